"""Notebook 01's predictions and exercise checkers.

- Predictions, asked in the notebook before the experiment that answers them (each answer is computed by the
  experiment the notebook then runs): SMALLEST_FIRST_LAYER_GRADIENT (§4), RELU_ZEROS_AT_MINUS_ONE (§5),
  MAXOUT_AT_DEPTH_20 (§6), CENTRED_SIGMOID_UNDER_SGD (§7).
- Exercise checkers, one verdict per call: check_elu_derivative, check_most_saturated (most_saturated computes its
  answer), check_sigmoid_bound, check_leaky_relu_variance.
"""

import math

import numpy as np

from utils import validation
from utils.exercises import feedback, learner_number
from utils.predictions import Prediction

from ._checks import _threshold
from .experiments import _check_names, compare_training, gradient_norms, gradient_verdicts, relu_zero_fraction
from .maths import d_elu, elu, get_activation, saturated_mask

# ---------------------------------------------------------------------------------------------------------------
# Predictions: asked in the notebook before the experiment that answers them; each answer comes from the helper
# the notebook then calls.
# ---------------------------------------------------------------------------------------------------------------

def _classify_maxout_at_depth_20(seed=0):
    finding, _ = gradient_verdicts({"maxout": gradient_norms("maxout", 20, seed=seed)})["maxout"]
    return {"explodes": "grow far above 1", "overflows": "grow far above 1", "vanishes": "shrink towards 0",
            "shrinks": "shrink towards 0"}.get(finding, "stay near 1")


def _centred_sigmoid_under_sgd(seed=0):
    """"stays stuck like sigmoid" when σ(x) − ½'s final SGD loss is closer (on a log scale) to sigmoid's than to
    tanh's, in the notebook's SGD run (`compare_training()` with its defaults and this seed)."""
    run = compare_training(seed=seed)
    final = {n: run["histories"][n].final("train_loss") for n in ("sigmoid", "sigmoid_centred", "tanh")}
    to_sigmoid = abs(math.log(final["sigmoid_centred"] / final["sigmoid"]))
    to_tanh = abs(math.log(final["sigmoid_centred"] / final["tanh"]))
    return "stays stuck like sigmoid" if to_sigmoid < to_tanh else "trains like tanh"


def _smallest_first_layer(seed=0):
    first = {get_activation(n).label: gradient_norms(n, 20, seed=seed)[0] for n in ("sigmoid", "tanh", "relu")}
    return min(first, key=first.get)


SMALLEST_FIRST_LAYER_GRADIENT = Prediction(
    question="A 20-layer net at initialisation (Kaiming weights): with which activation does the first layer get "
             "the smallest gradient?",
    options=("sigmoid", "tanh", "ReLU"),
    answer=_smallest_first_layer,
    why=lambda a: (f"{a}: back-propagation multiplies the gradient by f′ at every layer, and sigmoid's f′ is at "
                   f"most 1/4, so 20 layers shrink it by up to 0.25²⁰ ≈ 1e-12. tanh's and ReLU's f′ reach 1."),
)

MAXOUT_AT_DEPTH_20 = Prediction(
    question="Same 20-layer net, Kaiming weights (variance 2/fan-in), Maxout units with two pieces. The gradient "
             "norms of its layers will …",
    options=("shrink towards 0", "stay near 1", "grow far above 1"),
    answer=_classify_maxout_at_depth_20,
    why="Kaiming's factor 2 makes up for ReLU zeroing half of its inputs. Maxout zeroes nothing: the larger of "
        "two zero-mean pieces a, b has E[max(a, b)²] = (E[a²] + E[b²]) / 2 = σ², the full variance. So the "
        "factor 2 doubles the signal's variance at every layer, and the gradients grow with it.",
)

RELU_ZEROS_AT_MINUS_ONE = Prediction(
    question="A ReLU unit's pre-activation z has mean −1 and standard deviation 1. On what percentage of inputs "
             "does it output exactly 0 (and pass no gradient)? Type a number of percent.",
    answer=lambda: round(100 * relu_zero_fraction(-1.0), 1),
    why="ReLU outputs 0 whenever z ≤ 0, that is when the standard-normal part of z is below +1, which happens "
        "with probability Φ(1) ≈ 84 %.",
    tolerance=1.1,
)

CENTRED_SIGMOID_UNDER_SGD = Prediction(
    question="Plain SGD, circles data, 300 steps: sigmoid stays near chance and tanh learns. σ(x) − ½ is "
             "zero-centred like tanh but has sigmoid's slope (at most 1/4). Which does it behave like?",
    options=("stays stuck like sigmoid", "trains like tanh"),
    answer=_centred_sigmoid_under_sgd,
    why=lambda a: ("Centring does not rescue it: σ(x) − ½ has sigmoid's small slope, so its first layers get the "
                   "same tiny gradients and, under SGD, take the same tiny steps." if a.startswith("stays") else
                   "Centring alone was enough here."),
)


# ---------------------------------------------------------------------------------------------------------------
# Exercise checkers: one verdict per call; a wrong answer gets a hint that names the likely mistake.
# ---------------------------------------------------------------------------------------------------------------

_ELU_X = np.concatenate([np.linspace(-6.0, 6.0, 241), [0.0, -1e-9, 1e-9]])


def _close(a, b, tol=1e-6):
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol))


def check_elu_derivative(fn):
    """Exercise: `fn(x, alpha)` must return ELU's derivative (NumPy array in, array out) within 1e-6, for
    alpha = 1 and alpha = 0.5, with PyTorch's value α at x = 0.  Prints one verdict; returns True/False."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (my_elu_derivative, no brackets), got {fn!r}")
    wrong = []
    for alpha in (1.0, 0.5):
        x = _ELU_X.copy()
        try:
            got = fn(x.copy(), alpha)
        except Exception as exc:  # the learner's code: report, do not raise
            return feedback(False, f"calling your function raised {type(exc).__name__}: {exc}")
        if got is None:
            return feedback(False, "your function returned None: did you forget `return`?")
        try:
            got = np.broadcast_to(np.asarray(got, dtype=float), x.shape)
        except (TypeError, ValueError):
            return feedback(False, f"your function should return an array of the shape of x {x.shape}, "
                                   f"got {np.shape(got)}")
        if not np.all(np.isfinite(got)):
            return feedback(False, "your derivative contains NaN or infinity")
        want = d_elu(x, alpha)
        off = np.abs(got - want) > 1e-6
        if off.any():
            wrong.append((alpha, x, got, want, off))
    if not wrong:
        return feedback(True, "", "Correct: 1 for x > 0 and αeˣ for x ≤ 0 (α at x = 0), for α = 1 and α = 0.5.")
    alpha, x, got, want, off = wrong[0]
    neg, pos = x <= 0, x > 0
    if np.ptp(got) == 0:
        return feedback(False, f"your function returns {got[0]:g} for every x: it ignores x (1 for x > 0, αeˣ for "
                               "x ≤ 0)")
    if np.all(x[off] == 0):
        return feedback(False, f"right everywhere except at x = 0 (α = {alpha:g}): there PyTorch uses the x ≤ 0 "
                               f"branch, αe⁰ = α = {alpha:g}, not {got[off][0]:g}")
    if _close(got[neg], elu(x[neg], alpha)):
        return feedback(False, "for x ≤ 0 you returned ELU itself, α(eˣ − 1); its derivative is αeˣ")
    if _close(got[neg], np.exp(x[neg])) and alpha != 1:
        return feedback(False, f"for x ≤ 0 you returned eˣ: the factor α (= {alpha:g} here) is missing")
    if not np.any(off[pos]):
        return feedback(False, f"for x > 0 you are right; for x ≤ 0 the derivative of α(eˣ − 1) is αeˣ (off by up "
                               f"to {np.abs(got - want)[off].max():.3g} with α = {alpha:g})")
    if not np.any(off[neg]):
        return feedback(False, "for x ≤ 0 you are right; for x > 0 ELU is x, so its slope is 1")
    worst = int(np.argmax(np.abs(got - want)))
    return feedback(False, f"off on both sides, by up to {abs(got[worst] - want[worst]):.3g} (at x = {x[worst]:g}, "
                           f"α = {alpha:g}): 1 for x > 0, αeˣ for x ≤ 0")


def most_saturated(candidates=("sigmoid", "tanh", "softplus"), scale=3.0, threshold=0.05):
    """The candidate with the largest expected saturated share (see `saturated_mask`) for x ~ N(0, scale²).

    Returns (name, {name: share})."""
    candidates = _check_names(candidates, "candidates")
    scale = validation.finite_number("scale", scale, low=0.0, high=100.0, low_open=True)
    threshold = _threshold(threshold)
    x = np.linspace(-12 * scale, 12 * scale, 200_001)
    weights = np.exp(-0.5 * (x / scale) ** 2)
    frac = {c: float((saturated_mask(c, x, threshold) * weights).sum() / weights.sum()) for c in candidates}
    return max(frac, key=frac.get), frac


def check_most_saturated(answer, candidates=("sigmoid", "tanh", "softplus"), scale=3.0, threshold=0.05):
    """Exercise: name the candidate whose derivative is below `threshold` for the most inputs x ~ N(0, scale²)."""
    best, frac = most_saturated(candidates, scale, threshold)
    if not isinstance(answer, str):
        return feedback(False, f"answer with a name in quotes, one of {', '.join(map(repr, candidates))}; "
                               f"got {answer!r}")
    guess = answer.strip().lower()
    if guess not in candidates:
        return feedback(False, f"answer with one of {', '.join(map(repr, candidates))}, got {answer!r}")
    shares = ", ".join(f"{c}: {v:.0%}" for c, v in frac.items())
    if guess == best:
        return feedback(True, "", f"Correct! Saturated shares at scale {scale:g}: {shares}")
    if guess == "sigmoid":
        hint = ("sigmoid's derivative is small everywhere (at most 1/4), but the question is where it drops below "
                f"{threshold:g}: compare how far out each f′ has to go before it does")
    elif guess == "softplus":
        hint = "softplus' derivative is σ(x): it is small on the negative side only; the others are flat on both"
    else:
        hint = f"compare where each f′ drops below {threshold:g}, and on how many sides"
    return feedback(False, f"{answer} is not the one: {hint}")


def check_sigmoid_bound(answer, n_layers=10):
    """Exercise: the largest factor by which n_layers sigmoid derivatives can scale a gradient.

    Accepted within 1 % (so a value rounded to two digits, like 9.5e-7 for ten layers, counts)."""
    n_layers = validation.integer("n_layers", n_layers, low=1, high=100)
    if answer is None or answer is Ellipsis:
        return feedback(False, "`bound` is still None: replace it with a Python expression for the factor")
    value = learner_number(answer)[0]
    if value is None:
        return feedback(False, f"the bound should be a number (a Python expression such as 0.5 ** 3), "
                               f"got {answer!r}")
    want = 0.25 ** n_layers

    def near(x):
        return x != 0 and abs(value - x) <= 0.01 * abs(x)

    if near(want):
        return feedback(True, "", f"Correct: 0.25^{n_layers} = {want:.2g}.")
    hints = [(0.25 * n_layers, "you multiplied 0.25 by the number of layers: the factors multiply, so raise "
                               "0.25 to the power n"),
             (4.0 ** n_layers, "that is the inverse: each layer can *shrink* the gradient to a quarter, so 0.25^n"),
             (0.5 ** n_layers, "σ′ peaks at σ(0)(1 − σ(0)) = 1/2 · 1/2 = 1/4, not 1/2"),
             (0.25 ** (n_layers - 1), "one layer short: each of the n layers contributes a factor"),
             (0.25 ** (n_layers + 1), "one layer too many: each of the n layers contributes one factor")]
    for x, hint in hints:
        if near(x):
            return feedback(False, hint)
    return feedback(False, f"not quite: {value:.3g} is not the bound for {n_layers} layers (each sigmoid layer "
                           "scales the gradient by at most σ′(0))")


def check_leaky_relu_variance(fn):
    """Exercise: `fn(a)` returns the Kaiming-style variance factor g (Var W = g / fan_in) for Leaky ReLU with slope
    a, tested at a = 0, 0.01, 0.2, 0.5, 1.  One verdict per call."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (leaky_variance, no brackets), got {fn!r}")
    slopes = (0.0, 0.01, 0.2, 0.5, 1.0)
    got = []
    for a in slopes:
        try:
            value = fn(a)
        except Exception as exc:  # the learner's code: report, do not raise
            return feedback(False, f"calling your function with a = {a} raised {type(exc).__name__}: {exc}")
        if value is None:
            return feedback(False, "your function returned None: did you forget `return`?")
        try:
            got.append(validation.finite_number("value", value))
        except (TypeError, ValueError):
            return feedback(False, f"your function should return a number, got {value!r} for a = {a}")
    got = np.array(got)
    s = np.array(slopes)
    want = 2.0 / (1.0 + s * s)

    def like(candidate):
        return bool(np.allclose(got, candidate, rtol=1e-3, atol=1e-9))

    if like(want):
        return feedback(True, "", "Correct: Var W = 2 / ((1 + a²) · fan_in). a = 0 gives Kaiming's 2; a = 1 is "
                                  "the identity, which needs 1 (LeCun).")
    hints = [(np.full_like(s, 2.0), "your answer ignores a: at a = 1 Leaky ReLU is the identity, which keeps the "
                                    "variance with a factor 1, not 2"),
             (2.0 / (1.0 + s), "the negative half contributes a²·E[z²]/2: the slope enters squared"),
             (1.0 / (1.0 + s * s), "half the right value: E[f(z)²] = (1 + a²)/2 · E[z²], so the factor is "
                                   "2 / (1 + a²)"),
             (np.sqrt(2.0 / (1.0 + s * s)), "that is the gain for the standard deviation; the question asks for the "
                                            "variance factor (square it)"),
             ((1.0 + s * s) / 2.0, "upside down: the weights must make up for the shrinking factor (1 + a²)/2, so "
                                   "divide by it"),
             (2.0 * (1.0 + s * s), "the factor (1 + a²) belongs in the denominator")]
    for candidate, hint in hints:
        if like(candidate):
            return feedback(False, hint)
    i = int(np.argmax(np.abs(got - want)))
    return feedback(False, f"at a = {slopes[i]:g} you return {got[i]:.4g}; the variance is kept by "
                           f"{want[i]:.4g}. Work out E[f(z)²] for z ~ N(0, σ²) first")
