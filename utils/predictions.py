"""Predict, then reveal: the learner commits to an answer before an experiment's result is shown.

A topic module defines each prediction once, next to the experiment that answers it:

    SMALLEST_GRADIENT = Prediction(
        question="At depth 20, which activation's first layer gets the smallest gradient?",
        options=("sigmoid", "tanh", "ReLU"),
        answer=lambda: ...,            # computed by the same helper the notebook calls (a callable, or a value)
        why=lambda answer: f"...",     # the explanation shown with the verdict
    )

and the notebook asks it with `ask(activations.SMALLEST_GRADIENT)` as the last line of a cell.

In JupyterLab, VS Code and Colab (ipywidgets 7.7 and 8) the learner picks an option (or types a number) and presses
"Reveal"; only then are the answer, the verdict and the reason shown.  Where widgets cannot run (the static site, an
HTML export) the same output shows the question, the options and the answer folded away in a <details> block.  A
numeric prediction counts as right when it is within a factor `tolerance` of the answer (on a log scale: 10 means
"the right order of magnitude").

Public: Prediction, judge, ask.
"""

import html
import math
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple, Union

from utils import validation
from utils.zh import translate as _t  # Chinese in notebooks/zh/, English elsewhere

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@dataclass(frozen=True)
class Prediction:
    """A question with options (or a numeric answer), the right answer, and why.

    question: the question, one or two sentences.
    options: the choices, or None for a numeric prediction.
    answer: the right option / number, or a function of no arguments that computes it (so the answer comes from
        the same helper the notebook and the claim tests call).
    why: the explanation shown with the verdict; a string, or a function of the answer returning one.
    tolerance: numeric predictions only: right when within this factor of the answer (answer/tolerance ...
        answer*tolerance); for an answer of 0, within `tolerance - 1` of it.
    """

    question: str
    answer: Union[Any, Callable[[], Any]]
    why: Union[str, Callable[[Any], str]]
    options: Optional[Tuple[Any, ...]] = None
    tolerance: float = 2.0

    def __post_init__(self):
        if not isinstance(self.question, str) or not self.question.strip():
            raise ValueError(f"question must be a non-empty string, got {self.question!r}")
        if self.options is not None:
            if isinstance(self.options, str) or len(tuple(self.options)) < 2:
                raise ValueError(f"options must be a tuple of at least two choices, got {self.options!r}")
            object.__setattr__(self, "options", tuple(self.options))
        validation.finite_number("tolerance", self.tolerance, low=1.0, low_open=True)

    def resolved_answer(self):
        """The right answer (computed now if `answer` is a function)."""
        value = self.answer() if callable(self.answer) else self.answer
        if self.options is not None and value not in self.options:
            raise ValueError(f"the computed answer {value!r} is not one of the options {self.options}")
        return value

    def explanation(self, answer):
        return self.why(answer) if callable(self.why) else self.why


def _format(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def judge(prediction, guess, answer=None):
    """Whether `guess` is right, and the message that says so and why. Returns (right: bool, message: str).

    answer: the resolved answer, when the caller already has it (otherwise it is computed).
    """
    if not isinstance(prediction, Prediction):
        raise TypeError(f"prediction must be a Prediction, got {prediction!r}")
    answer = prediction.resolved_answer() if answer is None else answer
    right, message = _judge(prediction, guess, answer)
    return right, _t(message)


def _judge(prediction, guess, answer):
    why = prediction.explanation(answer)
    if guess is None:
        return False, "Make a prediction first: pick an option or type a number, then press Reveal."
    if prediction.options is not None:
        right = guess == answer
    else:
        try:
            g = validation.finite_number("guess", guess)
        except (TypeError, ValueError):
            return False, f"Type a number as your prediction (got {guess!r})."
        a, t = float(answer), float(prediction.tolerance)
        if a == 0:
            right = abs(g) <= t - 1
        else:
            right = g != 0 and math.copysign(1, g) == math.copysign(1, a) and abs(math.log(abs(g / a))) <= math.log(t)
    verdict = "Right" if right else "Not quite"
    if prediction.options is None:
        close = f" (counted right within a factor {prediction.tolerance:g})"
        return right, f"{verdict}: you said {_format(guess)}, the answer is {_format(answer)}{close}. {why}"
    if right:
        return True, f"{verdict}: {_format(answer)}. {why}"
    return False, f"{verdict}: you said {_format(guess)}, the answer is {_format(answer)}. {why}"


def _static_html(prediction, answer):
    """What a reader without widgets sees: the question, the options, the answer folded away."""
    options = ""
    if prediction.options is not None:
        items = "".join(f"<li>{html.escape(_t(_format(o)))}</li>" for o in prediction.options)
        options = f"<ul>{items}</ul>"
    return (f"<div class='course-prediction'><p><b>{_t('Predict:')}</b> {html.escape(_t(prediction.question))}</p>"
            f"{options}<details><summary>{_t('Answer (decide first)')}</summary><p>"
            f"{html.escape(_t(f'{_format(answer)}: {prediction.explanation(answer)}'))}</p></details></div>")


class _Ask:
    """The widget and its static fallback in one display output."""

    def __init__(self, prediction):
        import ipywidgets as widgets

        self.prediction = prediction
        self.answer = prediction.resolved_answer()
        layout = widgets.Layout(width="auto")
        if prediction.options is not None:
            self.choice = widgets.RadioButtons(options=[(_t(_format(o)), i) for i, o in enumerate(prediction.options)],
                                               value=None, layout=layout)
        else:
            self.choice = widgets.Text(value="", placeholder=_t("your number"), layout=widgets.Layout(width="160px"))
        self.button = widgets.Button(description=_t("Reveal"), button_style="info")
        self.result = widgets.HTML(value="")
        self.box = widgets.VBox([widgets.HTML(value=f"<b>{_t('Predict:')}</b> {html.escape(_t(prediction.question))}"),
                                 self.choice, self.button, self.result])
        self.button.on_click(self.reveal)

    def guess(self):
        if self.prediction.options is not None:
            return None if self.choice.value is None else self.prediction.options[self.choice.value]
        text = self.choice.value.strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            return text

    def reveal(self, *_):
        right, message = judge(self.prediction, self.guess(), self.answer)
        colour = "#009E73" if right else "#D55E00"
        self.result.value = f"<p style='color:{colour}'>{'✅' if right else '❌'} {html.escape(message)}</p>"
        return right, message

    def _repr_mimebundle_(self, **_):
        return {WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": self.box.model_id},
                "text/html": _static_html(self.prediction, self.answer),
                "text/plain": _t(f"Predict: {self.prediction.question}")}


def ask(prediction):
    """The question, the choices and a Reveal button, as an object that displays itself: make `ask(...)` the last
    line of a cell (it is then shown once; tests call its `reveal`).

    The answer is fixed when the question is asked; it stays hidden until the learner presses Reveal.
    """
    if not isinstance(prediction, Prediction):
        raise TypeError(f"prediction must be a Prediction, got {prediction!r}")
    return _Ask(prediction)


__all__ = ["Prediction", "judge", "ask"]
