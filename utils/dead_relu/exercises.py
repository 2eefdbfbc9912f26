"""The exercises of notebook 05 (checkers with the mistakes they recognise) and the predictions it asks."""

import math

import numpy as np
import torch

from utils.exercises import feedback, learner_number
from utils.predictions import Prediction

from .experiments import LARGE_LR, STEPS, born_dead_probability, lr_index, lr_sweep
from .maths import dead_mask
from .remedies import REMEDY_LR, REMEDY_SEEDS, compare_remedies, revival_experiment

# ----------------------------------------------------------------------------------------------
# Exercises
# ----------------------------------------------------------------------------------------------

# A tiny first layer and data set for counting dead units by hand.
EXERCISE_W = torch.tensor([[1.0, 0.0], [0.0, -1.0], [-1.0, -1.0], [0.5, 0.5]])
EXERCISE_B = torch.tensor([0.0, -2.5, -1.0, -1.25])
EXERCISE_X = torch.tensor([[1.0, 2.0], [-1.0, 0.5], [2.0, -2.0], [0.0, 1.0]])


def check_dead_count(answer):
    """Exercise: how many of the 4 units of (EXERCISE_W, EXERCISE_B) are dead on EXERCISE_X?"""
    if answer is None:
        return feedback(False, "replace None with your count (a whole number from 0 to 4)")
    count = learner_number(answer, whole=True)[0]
    if count is None:
        return feedback(False, f"answer with a whole number of units (0 to 4), got {answer!r}"[:200])
    pre = EXERCISE_X @ EXERCISE_W.T + EXERCISE_B
    expected = int(dead_mask(pre).sum())
    if count == expected:
        return feedback(True, "", f"Correct: {expected} of the 4 units never fire on these points.")
    mistakes = {
        int((pre <= 0).any(dim=0).sum()): "a unit that is <= 0 at SOME points is sparse, not dead: dead means "
                                          "w·x + b <= 0 at EVERY point",
        int(dead_mask(EXERCISE_X @ EXERCISE_W.T).sum()): "include the bias: the pre-activation is w·x + b",
        int((EXERCISE_B < 0).sum()): "a negative bias alone does not kill a unit: check w·x + b at every point",
    }
    hint = mistakes.get(count, "for each unit compute w·x + b at all four points; it is dead only if none of "
                               "the four values is > 0")
    return feedback(False, f"{count} is not right: {hint}")


def check_dead_mask(fn):
    """Exercise: `fn(pre)` with pre (N, H) must return the bool (H,) mask of units that never fire."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (my_dead_mask, without brackets), got {fn!r}"[:200])
    g = torch.Generator().manual_seed(5)
    pre = torch.randn(50, 12, generator=g)
    pre[:, [2, 7]] = -pre[:, [2, 7]].abs()
    pre[:, 9] = 0.0                        # exactly zero everywhere is dead too
    pre[3, 4] = 1e-3                       # one tiny positive value keeps a unit alive
    pre[:, 4] = torch.where(torch.arange(50) == 3, pre[:, 4], -pre[:, 4].abs())
    try:
        got = fn(pre.clone())
    except Exception as exc:               # the learner's code: report rather than raise
        return feedback(False, f"your function raised {type(exc).__name__}: {exc}")
    if not isinstance(got, torch.Tensor) or got.shape != (12,):
        return feedback(False, f"return a tensor of shape (12,) for pre of shape (50, 12), got {got!r}"[:200])
    expected = dead_mask(pre)
    wrong = torch.nonzero(got.bool() != expected).flatten().tolist()
    if not wrong:
        return feedback(True, "", "Correct: a unit is dead when pre <= 0 for every example.")
    if got.bool().tolist() == (pre <= 0).any(dim=0).tolist():
        return feedback(False, "you marked units that are <= 0 on SOME examples; dead means <= 0 on EVERY example "
                               "(.all(dim=0), not .any)")
    if got.bool().tolist() == (pre < 0).all(dim=0).tolist():
        return feedback(False, f"units {wrong} are misclassified: a pre-activation of exactly 0 does not fire "
                               "either (use <= 0, not < 0)")
    return feedback(False, f"units {wrong} are misclassified (dead means pre <= 0 for EVERY example)")


# Exercise 3: one first-layer unit, the four points of EXERCISE_X, and the gradient of one mini-batch.
KILL_W = torch.tensor([1.0, 0.5])
KILL_B = 0.5
KILL_GRAD_W = torch.tensor([1.0, 1.0])
KILL_GRAD_B = 0.5


def _killing_lr():
    """The smallest learning rate at which the step w -= lr * grad_w, b -= lr * grad_b leaves KILL_W, KILL_B
    <= 0 on every point of EXERCISE_X (each point's pre-activation falls linearly in lr)."""
    z = EXERCISE_X @ KILL_W + KILL_B
    drop = EXERCISE_X @ KILL_GRAD_W + KILL_GRAD_B
    firing = z > 0
    if bool((drop[firing] <= 0).any()):
        return math.inf
    return float((z[firing] / drop[firing]).max()) if bool(firing.any()) else 0.0


def check_killing_lr(answer):
    """Exercise: the smallest learning rate at which one SGD step with (KILL_GRAD_W, KILL_GRAD_B) kills the unit
    (KILL_W, KILL_B) on the data EXERCISE_X."""
    if answer is None:
        return feedback(False, "replace None with your learning rate (a number)")
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.integer, np.floating)):
        return feedback(False, f"answer with a learning rate (a number), got {answer!r}"[:200])
    answer = float(answer)
    expected = _killing_lr()
    if math.isclose(answer, expected, rel_tol=1e-3):
        return feedback(True, "", f"Correct: from lr = {expected:g} on, the unit is <= 0 at every point: dead.")
    z = EXERCISE_X @ KILL_W + KILL_B
    drop = EXERCISE_X @ KILL_GRAD_W + KILL_GRAD_B
    firing = z > 0
    ratios = (z[firing] / drop[firing]).tolist()
    mistakes = [
        (float(z[firing].max() / drop[firing][z[firing].argmax()]),
         "that switches the unit off at the point where it fired most, but it still fires elsewhere: it is dead "
         "only when w·x + b <= 0 at EVERY point"),
        (min(ratios), "that is where the FIRST point stops firing; the unit is dead only when the LAST one does"),
        (float(z.max()) / KILL_GRAD_B, "the weights move too, not only the bias: each point's w·x + b falls by "
                                       "lr · (grad_w·x + grad_b)"),
        (float((z[firing] / (EXERCISE_X[firing] @ KILL_GRAD_W)).max()),
         "the bias moves too: each point's w·x + b falls by lr · (grad_w·x + grad_b)"),
    ]
    for value, hint in mistakes:
        if math.isfinite(value) and math.isclose(answer, value, rel_tol=1e-3):
            return feedback(False, f"{answer:g} is not it: {hint}")
    side = "too small: some point still has w·x + b > 0" if answer < expected else \
        "larger than needed: the unit is already dead at a smaller rate"
    return feedback(False, f"{answer:g} is {side}")


# ----------------------------------------------------------------------------------------------
# Predictions asked in the notebook (answers computed by the experiments, with the notebook's arguments)
# ----------------------------------------------------------------------------------------------

def _share_bucket(fraction):
    return "under 10 %" if fraction < 0.1 else "over 50 %" if fraction > 0.5 else "10 % to 50 %"


LAYER2_DEAD_AT_LARGE_LR = Prediction(
    question=f"The net of section 1 is trained for {STEPS} steps at learning rate {LARGE_LR:.3g}. What share of "
             "the units of its SECOND hidden layer end up dead?",
    options=("under 10 %", "10 % to 50 %", "over 50 %"),
    answer=lambda: _share_bucket(float(lr_sweep(0)["dead"][-1, lr_index(LARGE_LR), 1])),
    why="Large steps push whole units to the silent side. In most seeds the second layer loses more than the first: "
        "its inputs are the first layer's outputs, which move during training, and many of them are zero.",
)

BORN_DEAD_DEPTHS, BORN_DEAD_WIDTHS = tuple(range(1, 31)), (2, 3, 4, 6, 8)


def _born_dead_narrow_answer():
    p = born_dead_probability(BORN_DEAD_DEPTHS, BORN_DEAD_WIDTHS, n_nets=4000, n_inputs=64, seed=0)
    return _share_bucket(float(p[0, 9]))


BORN_DEAD_NARROW = Prediction(
    question="A ReLU net with 10 hidden layers of width 2 gets He-normal weights and zero biases. How often is it "
             "born dead (some layer outputs zero for every input, so the output is constant)?",
    options=("under 10 %", "10 % to 50 %", "over 50 %"),
    answer=_born_dead_narrow_answer,
    why="Each layer of two units has a fair chance that both units are silent on every input; one such layer is "
        "enough, and with ten layers the chances add up.",
)


def _prelu_diverges_answer():
    runs = compare_remedies(lr=REMEDY_LR, weight_decay=1e-3, seeds=REMEDY_SEEDS)
    n = sum(r["diverged"] for r in runs if r["name"] == "PReLU (α not decayed)")
    return "none" if n == 0 else f"all {len(REMEDY_SEEDS)}" if n == len(REMEDY_SEEDS) else "some"


PRELU_DIVERGES = Prediction(
    question=f"PReLU passes gradient on both sides, like Leaky ReLU, so its units cannot die. At learning rate "
             f"{REMEDY_LR:g}, in how many of the {len(REMEDY_SEEDS)} seeds does training with PReLU diverge?",
    options=("none", "some", f"all {len(REMEDY_SEEDS)}"),
    answer=_prelu_diverges_answer,
    why="PReLU's slopes are learned with the same large rate. They drift far from 0.25, some become negative or "
        "larger than 1, and the outputs blow up (section 5 measures it).",
)


def _plain_revival_answer():
    r = revival_experiment(lr=LARGE_LR, steps=200, finetune_lr=0.1, seed=0)
    back = r["dead_before"] - r["plain ReLU"]
    if back <= 0.1 * r["dead_before"]:
        return "none or almost none"
    return "almost all" if back >= 0.9 * r["dead_before"] else "about half"


PLAIN_REVIVAL = Prediction(
    question="The net killed by the large learning rate is trained 200 more steps at a gentle rate (0.1), with "
             "plain ReLU. How many of its dead units come back?",
    options=("none or almost none", "about half", "almost all"),
    answer=_plain_revival_answer,
    why="A dead unit's gradient is exactly zero, so no optimiser step moves its incoming weights; a second-layer "
        "unit can only come back if the first layer's outputs move enough, which is rare.",
)
