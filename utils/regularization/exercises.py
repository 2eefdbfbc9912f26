"""Notebook 06's predictions (asked before each reveal) and its exercise checkers.

Each checker answers "correct" or names the mistake: the wrong answers learners actually give (L2's shrinkage for
L1's, the probability of keeping for that of dropping, stopping one evaluation late, …) are recognised one by one.
"""

import math

import numpy as np
import torch

from utils import validation as V
from utils.exercises import check_close, feedback, learner_number
from utils.predictions import Prediction

from .experiments import COMBINATION, LR, capacity_curve, comparison, decay_sweep, l1_weight_stats, more_data_runs
from .maths import _early_stopping

# ---------------------------------------------------------------------------------------------
# Predictions (asked before each reveal)
# ---------------------------------------------------------------------------------------------


def _capacity_answer():
    d, _, va = capacity_curve(lam=0.0)
    best = int(d[np.argmin(va)])
    return "falls, then rises sharply" if 0 < best < d[-1] and va[-1] > 100 * va.min() else "keeps falling"


CAPACITY = Prediction(
    question="Without a penalty, you fit polynomials of degree 0, 1, …, 19 to the same 20 noisy points. "
             "As the degree grows, what does the error on 200 new points do?",
    options=("keeps falling", "falls, then levels off", "falls, then rises sharply"),
    answer=_capacity_answer,
    why="A low degree cannot follow the curve; a high one has enough freedom to follow the noise between the "
        "training points too. Its training error keeps falling, but its error on new points grows by orders "
        "of magnitude.")


def _adamw_shrink():
    sweep = decay_sweep(lams=(3e-2,))
    ratio = sweep["AdamW"]["weight norm"][0] / sweep["none norm"]
    if np.all(ratio > 0.9):
        return "by less than 10 %"
    return "by about half" if np.all((ratio > 0.3) & (ratio < 0.7)) else "to almost nothing"


ADAMW_SHRINK = Prediction(
    question="Adam with the L2 penalty λ = 0.03 in the loss leaves much smaller weights than no penalty. "
             "AdamW with the same λ = 0.03 (learning rate 0.003, 300 steps): by how much does it shrink the final "
             "weight norm, compared with no decay?",
    options=("to almost nothing", "by about half", "by less than 10 %"),
    answer=_adamw_shrink,
    why=lambda answer: (
        f"AdamW multiplies the weights by (1 − ηλ) = {1 - LR * 0.03:.5f} per step, so 300 steps shrink them by at "
        f"most a factor (1 − ηλ)^300 = {(1 - LR * 0.03) ** 300:.3f}. The L2 gradient λw inside Adam is divided by "
        "√v, the running size of the gradient; "
        "once the data gradient is small, that step is about η whatever λ is, so the pull to zero is much stronger."))


L1_ZEROS = Prediction(
    question="The net trained with Adam and the L1 penalty λ = 0.001: what fraction of its weights is exactly 0?",
    options=("more than half", "a few percent", "none at all"),
    answer=lambda: ("none at all" if l1_weight_stats()["L1"]["exactly zero"] == 0 else
                    "more than half" if l1_weight_stats()["L1"]["exactly zero"] > 0.5 else "a few percent"),
    why="The penalty's gradient is λ·sign(w), a push of fixed size towards 0. A step that crosses 0 lands on the "
        "other side, and the next step pushes back: the weight jitters around 0 but never lands on it. Exact zeros "
        "need the proximal step (soft thresholding), which sets every weight that would cross 0 to 0.")


def _combination_answer():
    table = comparison(names=("none", COMBINATION))
    more = more_data_runs(multiples=(8,))[800]
    combo = table["test acc"][1]
    data8 = np.array([h.test_acc[-1] for h in more])
    if np.all(combo > data8):
        return "the regularised net with 100 images"
    return "the plain net with 800 images" if np.all(combo < data8) else "it depends on the seed"


COMBINATION_VS_DATA = Prediction(
    question="Which scores higher on the clean test images: the net with dropout + augmentation + early stopping "
             "trained on 100 images, or the same net without any regulariser trained on 800 images "
             "(both with 20 % wrong labels)?",
    options=("the regularised net with 100 images", "the plain net with 800 images", "it depends on the seed"),
    answer=_combination_answer,
    why="Without a regulariser the net memorises every wrong label of its 800 images as readily as of 100, and "
        "pays for it on new images; the combination stops before the wrong labels are learned and sees each image "
        "in several shifted versions.")


# ---------------------------------------------------------------------------------------------
# Exercise checkers
# ---------------------------------------------------------------------------------------------

EXERCISE_Z = (3.0, -0.5, 1.2, -2.0)
EXERCISE_LAM = 1.0


def check_soft_threshold(answer):
    """The soft-thresholding of EXERCISE_Z with threshold EXERCISE_LAM, computed by hand (a list of 4 numbers)."""
    if answer is None or answer is ...:
        return feedback(False, "fill in `my_answer` with four numbers first")
    z = np.array(EXERCISE_Z)
    expected = np.sign(z) * np.maximum(np.abs(z) - EXERCISE_LAM, 0)
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return feedback(False, f"write four numbers, got {answer!r}")
    if a.shape == z.shape:
        if np.allclose(a, z / (1 + EXERCISE_LAM)):
            return feedback(False, "that is L2's proportional shrinkage z / (1 + λ); L1 subtracts λ from |z| instead")
        if np.allclose(a, z - np.sign(z) * EXERCISE_LAM):
            return feedback(False, "you subtracted λ from every |z|, also where |z| < λ: those must stop at 0")
        if np.allclose(a, np.maximum(z - EXERCISE_LAM, 0)):
            return feedback(False, "negative z must shrink towards 0 too: keep the sign, shrink |z|")
    return check_close(answer, expected, rtol=0, atol=1e-6, what="your soft-thresholded vector")


def _call_dropout(fn, x, p, seed):
    return fn(x.clone(), p, torch.Generator().manual_seed(seed))


def check_inverted_dropout(fn, p=0.3, seed=0):
    """Check a learner's `fn(x, p, generator)` implementing inverted dropout in training mode.

    The input is random (not all ones), so a function that ignores x is caught; the mask is compared with the one
    drawn from the same seeded generator, so a function that ignores the generator (F.dropout, a fixed pattern)
    is caught too.
    """
    if not callable(fn):
        return feedback(False, f"pass your function itself (my_dropout, without brackets), got {fn!r}")
    p, seed = V.probability("p", p, allow_zero=False, allow_one=False), V.seed_value("seed", seed)
    x = torch.rand(100_000, generator=torch.Generator().manual_seed(seed + 1)) + 0.5
    try:
        out = _call_dropout(fn, x, p, seed)
        again = _call_dropout(fn, x, p, seed)
        other = _call_dropout(fn, x, p, seed + 7)
    except Exception as exc:  # a learner's bug: report it, do not raise
        return feedback(False, f"your function raised {type(exc).__name__}: {exc}")
    if not all(isinstance(o, torch.Tensor) and o.shape == x.shape for o in (out, again, other)):
        return feedback(False, "return one tensor of the same shape as x (not a tuple, not the mask)")
    if torch.equal(out, x):
        return feedback(False, "your function returns x unchanged: in training, drop each element with "
                               "probability p")
    if not torch.equal(out, again):
        return feedback(False, "two calls with identically seeded generators gave different masks: draw the "
                               "random numbers from `generator` (F.dropout and torch.rand without generator= use "
                               "the global generator)")
    if torch.equal(out == 0, other == 0):
        return feedback(False, "the same elements are dropped whatever the generator's seed: the mask must be "
                               "random, drawn from `generator`")
    dropped = float((out == 0).float().mean())
    if abs(dropped - (1 - p)) < 0.01 and abs(p - 0.5) > 0.05:
        return feedback(False, f"{dropped:.1%} of the elements were dropped, about 1 − p: p is the probability "
                               f"of dropping (CS231n's p is the probability of keeping)")
    if abs(dropped - p) > 0.01:
        return feedback(False, f"{dropped:.1%} of the elements were dropped; expected about p = {p:.0%}")
    kept = out != 0
    ratio = out[kept] / x[kept]
    if torch.allclose(out[kept], torch.full_like(out[kept], 1 / (1 - p))) or torch.allclose(
            out[kept], torch.ones_like(out[kept])):
        return feedback(False, "the kept values do not depend on x: multiply the input by the mask, "
                               "do not return the mask itself")
    if torch.allclose(ratio, torch.ones_like(ratio)):
        return feedback(False, f"the kept elements are not scaled: divide them by 1 − p = {1 - p:g}, "
                               f"so the mean is unchanged")
    if torch.allclose(ratio, torch.full_like(ratio, 1 - p)):
        return feedback(False, "you multiplied the kept elements by 1 − p; inverted dropout divides by 1 − p")
    if not torch.allclose(ratio, torch.full_like(ratio, 1 / (1 - p))):
        return feedback(False, f"kept elements should equal x / (1 − p) = x × {1 / (1 - p):.4f}; "
                               f"yours are x × {float(ratio.median()):.4f} (median)")
    u = torch.rand(x.shape, generator=torch.Generator().manual_seed(seed))
    if not (torch.equal(kept, u >= p) or torch.equal(kept, u < 1 - p)):
        return feedback(False, "your mask is not the one drawn from `generator`: draw u = torch.rand(x.shape, "
                               "generator=generator) once and keep the elements where u >= p")
    return feedback(True, "", f"Correct: {dropped:.1%} dropped, kept values x / (1 − p), mean "
                              f"{float(out.mean()):.3f} vs {float(x.mean()):.3f} before.")


EXERCISE_LOSSES = (2.0, 1.6, 1.5, 1.55, 1.45, 1.5, 1.5, 1.52, 1.4, 1.6, 1.7, 1.8, 1.9)
_ES_CASES = (EXERCISE_LOSSES, (3.0, 2.0, 2.0, 2.5, 1.0, 1.1), (1.0, 2.0, 0.5, 0.6, 0.7, 0.4),
             (5.0, 4.0, 3.0, 2.0), (1.0, 1.0, 1.0, 1.0, 1.0))


def _mutant_stops(losses, patience, kind):
    """Where common wrong versions of early stopping stop (for the checker's hints)."""
    best, best_i, waited, bad = math.inf, 0, 0, 0
    for i, v in enumerate(losses):
        improved = v <= best if kind == "ties" else v < best
        if improved:
            best, best_i = v, i
            waited = waited if kind == "no reset" else 0
        else:
            waited += 1
            bad += 1
            if waited >= patience + (1 if kind == "late" else 0):
                return best_i, i
    return best_i, len(losses) - 1


def check_early_stopping(fn):
    """Check a learner's `fn(val_losses, patience)` returning (best_index, stop_index), as `early_stopping` does."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (my_early_stopping, without brackets), got {fn!r}")
    for losses in _ES_CASES:
        for patience in (1, 2, 3):
            expected = _early_stopping(np.array(losses), patience)
            try:
                got = fn(list(losses), patience)
                got = tuple(int(v) for v in got)
            except Exception as exc:  # a learner's bug: report it, do not raise
                return feedback(False, f"on losses {list(losses)} with patience {patience} your function failed "
                                       f"({type(exc).__name__}: {exc}); return two whole numbers (best, stop)")
            if got == expected:
                continue
            where = f"on losses {list(losses)} with patience {patience} you returned {got}, expected {expected}"
            if len(got) != 2:
                return feedback(False, f"return two numbers (best_index, stop_index); {where}")
            if got[1] == expected[1] and got[0] == expected[1]:
                return feedback(False, f"you keep the weights of the step where training stopped; keep those of "
                                       f"the best validation loss: {where}")
            for kind, hint in (("late", "you stop one evaluation too late: stop at the patience-th evaluation in a "
                                        "row without a new best"),
                               ("no reset", "reset the count of evaluations without improvement when a new best "
                                            "appears"),
                               ("ties", "a loss equal to the best so far is not an improvement")):
                if got == _mutant_stops(losses, patience, kind):
                    return feedback(False, f"{hint}: {where}")
            if got[1] == len(losses) - 1 and expected[1] < got[1]:
                return feedback(False, f"your training never stops early: {where}")
            return feedback(False, where)
    return feedback(True, "", "Correct: right best step and stopping step on every test sequence.")


DECAY_STEPS = 300


def check_decay_strength(answer):
    """λ for which AdamW (η = LR, DECAY_STEPS steps) halves a weight whose data gradient is zero throughout."""
    expected = (1 - 0.5 ** (1 / DECAY_STEPS)) / LR
    if answer is None or answer is ...:
        return feedback(False, "replace the placeholder with your λ, then run this cell again")
    a = learner_number(answer)[0]
    if a is None:
        return feedback(False, f"write λ as one number, got {answer!r}")
    if math.isclose(a, expected, rel_tol=0.01):
        return feedback(True, "", f"Correct: λ ≈ {expected:.3f}, so (1 − ηλ)^{DECAY_STEPS} = "
                                  f"{(1 - LR * a) ** DECAY_STEPS:.3f}.")
    hints = ((0.5 / (LR * DECAY_STEPS), "the decay compounds: the weight is multiplied by (1 − ηλ) at every step, "
                                        "so after T steps by (1 − ηλ)^T, not by 1 − Tηλ"),
             (1 - 0.5 ** (1 / DECAY_STEPS), "that is ηλ, the shrink per step; divide by the learning rate η"),
             (0.5 / LR, "that halves the weight in a single step; it must take all 300 steps"),
             (0.5, "λ is not the fraction removed; the weight is multiplied by (1 − ηλ) at each step"),
             (math.log(2) / DECAY_STEPS, "that is ηλ; divide by the learning rate η"))
    for value, hint in hints:
        if math.isclose(a, value, rel_tol=0.02):
            return feedback(False, hint)
    return feedback(False, f"with λ = {a:g} the weight ends at {max(1 - LR * a, 0) ** DECAY_STEPS:.3g} of its start, "
                           f"not 0.5")


TRANSFORMS = {"a": "shift by one pixel", "b": "mirror left–right", "c": "rotate by 10°",
              "d": "rotate by 180°", "e": "add faint random noise to the pixels"}
_KEEPS_LABEL = {"a", "c", "e"}


def check_label_preserving(answer):
    """The letters of TRANSFORMS that keep every digit's label (a set, list or string of letters)."""
    if answer is None or answer is ...:
        return feedback(False, "write the letters of the transformations you chose, e.g. {'a', 'b'}")
    if isinstance(answer, str):
        answer = [c for c in answer.lower() if c.isalpha()]
    try:
        chosen = {str(c).strip().lower() for c in answer}
    except TypeError:
        return feedback(False, f"write a set of letters such as {{'a', 'b'}}, got {answer!r}")
    unknown = chosen - set(TRANSFORMS)
    if unknown:
        return feedback(False, f"{sorted(unknown)} is not one of the letters {sorted(TRANSFORMS)}")
    if "b" in chosen:
        return feedback(False, "a mirrored 2, 3, 4 or 7 is no digit at all, and the net never sees mirrored digits "
                               "at test time")
    if "d" in chosen:
        return feedback(False, "turned upside down, a 6 becomes a 9 (and a 9 a 6): that changes the label")
    missing = _KEEPS_LABEL - chosen
    if missing:
        return feedback(False, f"{', '.join(TRANSFORMS[m] for m in sorted(missing))}: would a person still read "
                               f"the same digit? Then it keeps the label")
    return feedback(True, "", "Correct: small shifts, small rotations and faint noise keep every digit readable as "
                              "itself.")
