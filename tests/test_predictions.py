"""Predict, then reveal: verdicts for right and wrong guesses, and what a reader without widgets sees."""

import pytest

from utils.predictions import WIDGET_VIEW, Prediction, ask, judge

CHOICE = Prediction(question="Which is largest?", options=("a", "b", "c"), answer=lambda: "b",
                    why=lambda ans: f"{ans} has the biggest value.")
NUMBER = Prediction(question="How many?", answer=100.0, why="Because.", tolerance=2.0)


def test_choice_verdicts_say_right_or_wrong_and_why():
    right, message = judge(CHOICE, "b")
    assert right and message.startswith("Right: b.") and "biggest" in message
    right, message = judge(CHOICE, "a")
    assert not right and "you said a, the answer is b" in message and "biggest" in message
    right, message = judge(CHOICE, None)
    assert not right and "Make a prediction first" in message


@pytest.mark.parametrize("guess, ok", [(100, True), (60, True), (199, True), (45, False), (250, False),
                                       (-100, False), (0, False), ("lots", False), (float("nan"), False)])
def test_numeric_predictions_count_within_the_tolerance_factor(guess, ok):
    assert judge(NUMBER, guess)[0] is ok


def test_an_answer_outside_the_options_is_a_bug_in_the_lesson():
    broken = Prediction(question="?", options=("a", "b"), answer="z", why="")
    with pytest.raises(ValueError, match="not one of the options"):
        judge(broken, "a")


@pytest.mark.parametrize("kwargs", [dict(question=""), dict(options=("only",)), dict(options="ab"),
                                    dict(tolerance=1.0), dict(tolerance=float("nan"))])
def test_malformed_predictions_are_refused(kwargs):
    base = dict(question="q?", options=("a", "b"), answer="a", why="")
    with pytest.raises((TypeError, ValueError)):
        Prediction(**{**base, **kwargs})


def test_the_widget_reveals_only_when_asked_and_degrades_to_a_hidden_answer():
    shown = ask(CHOICE)
    assert shown.result.value == ""  # nothing revealed before the learner acts
    bundle = shown._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == shown.box.model_id
    html = bundle["text/html"]
    assert "Which is largest?" in html and "<details>" in html and html.index("<details>") < html.index("biggest")
    shown.choice.value = 0  # the learner picks "a"
    right, _ = shown.reveal()
    assert not right and "the answer is b" in shown.result.value
    shown.choice.value = 1
    assert shown.reveal()[0] and "Right" in shown.result.value


def test_numeric_widget_reads_the_typed_number():
    shown = ask(NUMBER)
    shown.choice.value = " 120 "
    assert shown.reveal()[0]
    shown.choice.value = "many"
    assert not shown.reveal()[0] and "Type a number" in shown.result.value


def test_the_static_site_keeps_the_question_and_the_hidden_answer():
    import nbformat

    from tools import site

    bundle = ask(CHOICE)._repr_mimebundle_()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("ask(CHOICE)", outputs=[
        nbformat.v4.new_output("display_data", data=bundle)])])
    data = site.prepare_for_reading(nb).cells[0].outputs[0]["data"]
    assert list(data) == ["text/html"] and "Which is largest?" in data["text/html"] and "<details>" in data["text/html"]


BAD_INPUT_BASE = {"judge": lambda: dict(prediction=CHOICE, guess="a"), "ask": lambda: dict(prediction=CHOICE)}
BAD_INPUT_ALLOW = {("judge", "guess"): "any guess is a learner's answer, judged rather than refused",
                   ("judge", "answer"): "the resolved answer, passed by the widget"}
