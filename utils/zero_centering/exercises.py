"""The predictions asked in notebook 02 (answers computed by the experiments) and the exercise checkers.

A checker prints "correct" or what is off (each wrong answer learners give, its mutant, has its own hint) and returns
True or False.
"""

import numpy as np
import torch

from utils import validation
from utils.exercises import feedback
from utils.predictions import Prediction

from ._checks import _seed
from .experiments import (
    LEAK_ROWS,
    activation_comparison,
    make_cloud,
    normalisation_leak_experiment,
    preprocessing_table,
    sign_stats_table,
)

# ---------------------------------------------------------------------------------------------
# Predictions asked in the notebook (answers computed by the helpers above)
# ---------------------------------------------------------------------------------------------

def _sigmoid_batch_rows_answer():
    frac = next(r["same_sign"] for r in sign_stats_table((1, 8, 64)) if r["activation"] == "sigmoid"
                and r["batch_size"] == 64)
    return "under 10 %" if frac < 0.1 else "over 90 %" if frac > 0.9 else "between 10 % and 90 %"


SIGMOID_BATCH_ROWS = Prediction(
    question="A layer is fed by sigmoid outputs and gets a mini-batch of 64 examples. What share of the rows of its "
             "weight gradient are still one-signed (every entry has the same sign)?",
    options=("under 10 %", "between 10 % and 90 %", "over 90 %"),
    answer=_sigmoid_batch_rows_answer,
    why="Summing 64 one-signed vectors can mix signs, so the strict rule of one example is gone. But every "
        "example's vector leans the same way (all entries positive times one number), so most sums keep one sign.",
)


def _pca_steps_answer():
    rows = {r["method"]: r["steps"] for r in preprocessing_table(*make_cloud(n=300, seed=0))}
    if rows["decorrelate"] == rows["center"]:
        return "the same number of steps"
    return "fewer steps" if rows["decorrelate"] < rows["center"] else "more steps"


PCA_STEPS = Prediction(
    question="Gradient descent on the centred cloud needs some number of steps. After PCA rotation of the same "
             "centred cloud (features now uncorrelated), does it need fewer, the same or more steps?",
    options=("fewer steps", "the same number of steps", "more steps"),
    answer=_pca_steps_answer,
    why="A rotation changes the directions of the valley's axes but not the curvatures along them (the eigenvalues "
        "of the covariance stay the same), so κ and the step count do not change. Only rescaling helps.",
)


def _centred_sigmoid_answer():
    res = activation_comparison(lr=0.5, seeds=(0, 1, 2))
    log = {a: np.log(res[a]["loss"]) for a in res}
    to_tanh = np.abs(log["sigmoid_centred"] - log["tanh"])
    to_sigmoid = np.abs(log["sigmoid_centred"] - log["sigmoid"])
    if np.all(to_sigmoid < to_tanh / 3):
        return "like sigmoid"
    if np.all(to_tanh < to_sigmoid / 3):
        return "like tanh"
    return "half-way between"


CENTRED_SIGMOID = Prediction(
    question="σ(x) − ½ is zero-centred like tanh but keeps sigmoid's slope (at most 1/4). Trained at the same "
             "learning rate 0.5, does its loss fall like tanh's, like sigmoid's, or half-way between?",
    options=("like tanh", "like sigmoid", "half-way between"),
    answer=_centred_sigmoid_answer,
    why="Centring removes the lean of the gradient rows towards ±(1, …, 1), but at the same learning rate σ(x) − ½ "
        "still has sigmoid's small slope, so its gradients stay small and its loss falls as slowly as sigmoid's.",
)


def _leak_worst_answer():
    rows = normalisation_leak_experiment(steps=150, batch=20, seed=0)
    k = int(np.argmin([acc for _, acc in rows]))
    return LEAK_ROWS[k]


LEAK_WORST = Prediction(
    question="A classifier was trained on digits standardised with the training statistics. Which way of "
             "standardising the validation images gives the LOWEST accuracy?",
    options=LEAK_ROWS,
    answer=_leak_worst_answer,
    why="A batch that holds one digit class has that digit's mean pattern as its own mean: subtracting it removes "
        "exactly the pattern the classifier looks for.",
)


# ---------------------------------------------------------------------------------------------
# Exercise checkers
# ---------------------------------------------------------------------------------------------

UPDATE_CANDIDATES = {"A": (0.2, 0.1, 0.4), "B": (-0.3, -0.1, -0.2), "C": (0.2, -0.1, 0.3), "D": (-0.1, 0.5, -0.2)}


def _letters(answer):
    """A learner's choice of candidate letters as a set, or None when it cannot be read."""
    if isinstance(answer, str):
        items = [c for c in answer.upper() if c.isalpha()]
    elif isinstance(answer, (list, tuple, set, frozenset)):
        items = []
        for a in answer:
            if not isinstance(a, str):
                return None
            items.extend(c for c in a.upper() if c.isalpha())
    else:
        return None
    return set(items)


def check_possible_updates(answer, inputs="sigmoid"):
    """Exercise: which of the weight updates in UPDATE_CANDIDATES can ONE example produce for a neuron whose inputs
    are sigmoid outputs (all positive) or tanh outputs (either sign)?  answer: the letters, e.g. ["A", "C"] or "AC".
    """
    inputs = validation.one_of("inputs", inputs, ("sigmoid", "tanh"))
    if answer is None:
        return feedback(False, "replace None with the letters of the possible updates, e.g. ['A', 'C']")
    chosen = _letters(answer)
    if chosen is None or not chosen:
        return feedback(False, f"give the letters of the possible updates as a list of strings, e.g. ['A', 'C']; "
                               f"got {answer!r}")
    unknown = sorted(chosen - set(UPDATE_CANDIDATES))
    if unknown:
        return feedback(False, f"{unknown} are not candidates: choose among {sorted(UPDATE_CANDIDATES)}")
    one_signed = {k for k, v in UPDATE_CANDIDATES.items() if all(c > 0 for c in v) or all(c < 0 for c in v)}
    right = one_signed if inputs == "sigmoid" else set(UPDATE_CANDIDATES)
    if chosen == right:
        return feedback(True, "", f"Correct: {sorted(right)}.")
    missing, extra = sorted(right - chosen), sorted(chosen - right)
    if inputs == "sigmoid":
        if extra:
            return feedback(False, f"{extra} mix signs. One example's update is −η·(dL/dz)·x: with every x_i > 0, "
                                   "every component has the sign of −dL/dz, so all components share one sign")
        return feedback(False, f"{missing} is possible too: dL/dz can be negative or positive, so one example can "
                               "move every weight up, or every weight down")
    return feedback(False, f"{missing} is possible too: tanh outputs can be negative, so the components of "
                           "−η·(dL/dz)·x can have any pattern of signs (the pattern of the example's x)")


def check_standardize(fn, seed=0):
    """Exercise: fn(x_train, x_test) -> (train_z, test_z) must use the TRAINING mean and std for both."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (my_standardize, without brackets), got {fn!r}")
    seed = _seed(seed)
    g = np.random.default_rng(seed)
    x_train = g.normal([5.0, -2.0, 0.5], [2.0, 0.5, 3.0], size=(200, 3))
    x_test = g.normal([6.0, -1.5, 0.0], [1.0, 1.0, 1.0], size=(50, 3))
    try:
        out = fn(x_train.copy(), x_test.copy())
        train_z, test_z = (np.asarray(o.detach() if isinstance(o, torch.Tensor) else o, dtype=float) for o in out)
    except Exception as exc:  # a learner's bug is reported, not raised
        return feedback(False, f"calling your function failed: {type(exc).__name__}: {exc}")
    mean, std = x_train.mean(0), x_train.std(0)
    want_train, want_test = (x_train - mean) / std, (x_test - mean) / std
    if train_z.shape != want_train.shape or test_z.shape != want_test.shape:
        return feedback(False, f"the standardised data have shapes {train_z.shape} and {test_z.shape}, expected "
                               f"{want_train.shape} and {want_test.shape}: compute the statistics per feature "
                               "(axis=0)")
    both = np.concatenate([x_train, x_test])
    mutants = (
        (x_train, "train", "your function returned the training data unchanged: subtract the training mean and "
                           "divide by the training standard deviation"),
        ((x_test - x_test.mean(0)) / x_test.std(0), "test", "the test data were standardised with their OWN mean and "
                                                            "std; use the training ones"),
        ((x_test - both.mean(0)) / both.std(0), "test", "the statistics were computed on training and test data "
                                                        "together; compute them on the training data only"),
        ((x_train - mean) / x_train.std(0, ddof=1), "train", "you divided by the sample std (ddof=1); use np.std's "
                                                             "default ddof=0"),
        (x_train - mean, "train", "you subtracted the mean but did not divide by the standard deviation"),
        ((x_train - mean) / x_train.var(0), "train", "you divided by the variance; divide by the standard deviation "
                                                     "(its square root)"),
        ((x_train - x_train.mean()) / x_train.std(), "train", "you used one mean and std over all features; "
                                                              "compute them per feature (axis=0)"),
    )
    for value, which, hint in mutants:
        got = test_z if which == "test" else train_z
        if np.allclose(got, value, rtol=1e-6, atol=1e-6):
            return feedback(False, hint)
    for what, got, want in (("training", train_z, want_train), ("test", test_z, want_test)):
        if not np.allclose(got, want, rtol=1e-6, atol=1e-6):
            err = float(np.max(np.abs(got - want)))
            return feedback(False, f"the standardised {what} data are off by up to {err:.3g}: subtract the training "
                                   "mean and divide by the training standard deviation (np.std, ddof=0)")
    return feedback(True, "", "Correct: both sets use the training mean and standard deviation.")
