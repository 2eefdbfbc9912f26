"""Notebook 03's exercises (`check_kaiming_std`, `check_tanh_gain`, `check_maxout_gain`: one verdict each, with a hint
that names the mistake) and its predictions (`TANH_S1_LAYER10`, `TANH_S1_GRADIENT`, `RELU_XAVIER_LAYER20`,
`SMALL_LAST_LAYER_LOSS`, asked before the experiment that answers them).
"""

import math

from utils.exercises import feedback, learner_number
from utils.predictions import Prediction

from ._checks import _mode, _shape
from .experiments import (
    _EXPLORER_SAMPLES,
    activation_profile,
    gradient_profile,
    initial_loss,
    maxout_preactivation_stds,
    preactivation_stds,
)
from .maths import _activation, fans, gain


def _near(a, b, rtol=0.01):
    return b != 0 and abs(a - b) <= rtol * abs(b)


def check_kaiming_std(answer, shape=(128, 64, 3, 3), mode="fan_out", activation="relu"):
    """Exercise: the std that torch.nn.init.kaiming_normal_(w, mode=mode, nonlinearity=activation) uses for a
    weight of `shape` (out_channels, in_channels, kh, kw).  One verdict, with a hint that names the mistake."""
    shape, mode = _shape(shape), _mode(mode)
    activation = _activation(activation, ("linear", "tanh", "sigmoid", "relu"))
    a, problem = learner_number(answer, "your std")
    if problem:
        return feedback(False, problem)
    fan_in, fan_out = fans(shape)
    fan, other = (fan_in, fan_out) if mode == "fan_in" else (fan_out, fan_in)
    g = gain(activation)
    right = g / math.sqrt(fan)
    if _near(a, right, 1e-3):
        return feedback(True, "", f"Correct: std = {g:.4g} / sqrt({fan}) = {right:.4g}.")
    channels = shape[1] if mode == "fan_in" else shape[0]
    other_name = "fan_out" if mode == "fan_in" else "fan_in"
    mutants = [
        (right ** 2, "that is the variance g²/fan; the std is its square root"),
        (g / math.sqrt(other), f"you divided by {other_name} = {other}; mode={mode!r} uses {mode} = {fan}"),
        (g / math.sqrt(channels), f"you forgot the kernel: {mode} = channels × kh × kw = {channels} × "
                                  f"{math.prod(shape[2:])} = {fan}"),
        (1 / math.sqrt(fan), f"you left out the gain: {activation}'s gain is {g:.4g}"),
        (g ** 2 / math.sqrt(fan), f"you used the gain squared ({g ** 2:.4g}); the std uses the gain {g:.4g}"),
        (math.sqrt(2 / (fan_in + fan_out)), "that is Xavier's std sqrt(2 / (fan_in + fan_out)), not Kaiming's"),
        (g ** 2 / fan, "that is the variance computed with the gain squared; the std is its square root"),
    ]
    for value, hint in mutants:
        if _near(a, value, 1e-2) and not _near(value, right, 1e-3):
            return feedback(False, f"{a:.4g} is not it: {hint}.")
    if a <= 0:
        return feedback(False, f"a std must be positive, got {a:.4g}")
    return feedback(False, f"{a:.4g} is not it: Kaiming's std is gain / sqrt(fan), with the fan counted for "
                           f"mode={mode!r} as channels × kh × kw.")


TANH_GAIN_DEPTH = 50


def check_tanh_gain(answer):
    """Exercise: a gain g (weights N(0, g²/fan_in)) for which a 50-layer tanh net of width 256 keeps its
    pre-activation std at 1 (layer 50 within 5% of the input's 1).  Runs the experiment with your g."""
    g, problem = learner_number(answer, "your gain")
    if problem:
        return feedback(False, problem)
    if not 0 < g <= 10:
        return feedback(False, f"a gain between 0 and 10 is expected (it multiplies 1/sqrt(fan_in)), got {g:.4g}")
    last = float(preactivation_stds("tanh", "lecun_normal", g, TANH_GAIN_DEPTH)[-1])
    if abs(last - 1) <= 0.05:
        return feedback(True, "", f"Correct: with g = {g:.3g} layer {TANH_GAIN_DEPTH}'s pre-activation std is "
                                  f"{last:.3f}.")
    where = f"with g = {g:.3g} layer {TANH_GAIN_DEPTH}'s pre-activation std settles at {last:.3g}"
    if _near(g, 5 / 3, 0.005):
        hint = "5/3 is the value torch.nn.init.calculate_gain rounds to; it keeps the std a little above 1: go lower"
    elif _near(g, 1.0, 0.005):
        hint = "gain 1 (Xavier, LeCun) lets tanh shrink the spread a little at every layer: go higher"
    elif _near(g, math.sqrt(2), 0.005):
        hint = "√2 is ReLU's gain: tanh does not zero half its input, it only squashes the large values"
    elif _near(g, 25 / 9, 0.005):
        hint = "25/9 is (5/3)², a factor for the variance; the gain multiplies the std"
    else:
        hint = "raise the gain" if last < 1 else "lower the gain"
    return feedback(False, f"{where}: {hint}.")


def check_maxout_gain(answer):
    """Exercise: the gain g (each piece's weights N(0, g²/fan_in)) that keeps a two-piece Maxout net's
    pre-activation variance the same from layer to layer."""
    g, problem = learner_number(answer, "your gain")
    if problem:
        return feedback(False, problem)
    if _near(g, 1.0, 0.02):
        return feedback(True, "", "Correct: E[max(a, b)²] = Var[a], so the layer keeps E[x²] = Var[z] and needs "
                                  "n·Var[w] = 1, i.e. gain 1.")
    if _near(g, math.sqrt(2), 0.01):
        hint = ("√2 is ReLU's gain: ReLU sets half its input to 0, so E[relu(z)²] = Var[z]/2.  max(a, b) is never "
                "zeroed: E[max(a, b)²] = Var[a]")
    elif _near(g, 2.0, 0.01):
        hint = "2 is a factor for the variance (ReLU's), not the gain, and Maxout does not halve E[x²] anyway"
    elif _near(g, 1 / math.sqrt(2), 0.01):
        hint = "that would halve the variance at every layer"
    elif _near(g, 5 / 3, 0.01):
        hint = "5/3 is tanh's gain"
    else:
        hint = "work out E[max(a, b)²] for independent a, b ~ N(0, σ²): max² + min² = a² + b²"
    if 0 < g <= 3:
        last = float(maxout_preactivation_stds(g)[-1])
        hint += f" (with g = {g:.3g} layer 30's std is {last:.3g}, the input's is 1)"
    return feedback(False, f"{g:.4g} is not it: {hint}.")


# ----------------------------------------------------------------------------------------------------------------
# Predictions (asked in the notebook before the experiment that answers them)
# ----------------------------------------------------------------------------------------------------------------

_SHAPES = ("a narrow spike at 0", "a bell curve about as wide as layer 1's", "two spikes, at −1 and +1")


def _histogram_shape(p, activation):
    if activation in ("tanh", "sigmoid") and p.saturated[-1] > 0.5:
        return _SHAPES[2]
    return _SHAPES[0] if p.std[-1] < 0.1 * p.std[0] else _SHAPES[1]


TANH_S1_LAYER10 = Prediction(
    question="Ten tanh layers of 500 units, no biases, weights drawn from N(0, 1) (s = 1), inputs from N(0, 1). "
             "What does the histogram of layer 10's activations look like?",
    options=_SHAPES,
    answer=lambda: _histogram_shape(activation_profile("tanh", "normal", 1.0, 10, 500, 1000, 0), "tanh"),
    why=("Each pre-activation sums 500 terms of std 1, so its std is about √500 ≈ 22, and tanh of a number that "
         "large is ±1. The units are saturated."),
)

_GRADIENT_FATES = ("much smaller than at layer 10 (it vanishes)", "about the same", "much larger than at layer 10 "
                   "(it explodes)")


def _gradient_fate(activation, scheme, scale):
    p = gradient_profile(activation, scheme, scale, 10, 500, 1000, 0)
    if p.exploded_at is not None:
        return _GRADIENT_FATES[2]
    ratio = p.std[0] / p.std[-1]
    return _GRADIENT_FATES[2] if ratio > 10 else _GRADIENT_FATES[0] if ratio < 0.1 else _GRADIENT_FATES[1]


TANH_S1_GRADIENT = Prediction(
    question="In the same saturated tanh net (weights N(0, 1)), a gradient of std 1 arrives at layer 10 and is "
             "back-propagated down to layer 1. What is its std at layer 1?",
    options=_GRADIENT_FATES,
    answer=lambda: _gradient_fate("tanh", "normal", 1.0),
    why=("tanh′ is close to 0 for most units, but not for all, and every step down multiplies by Wᵀ, whose entries "
         "have std 1 over 500 inputs (a factor of about √500 ≈ 22). Here the large weights have the larger effect."),
)

_RIDGE_WIDTHS = ("about as wide as layer 1's (within 2×)", "2 to 100 times narrower than layer 1's",
                 "100 to 10 000 times narrower than layer 1's", "every value exactly 0")


def _ridge_width(p):
    if p.std[-1] == 0:
        return _RIDGE_WIDTHS[3]
    ratio = p.std[-1] / p.std[0]
    return _RIDGE_WIDTHS[0] if ratio > 0.5 else _RIDGE_WIDTHS[1] if ratio > 0.01 else _RIDGE_WIDTHS[2] \
        if ratio > 1e-4 else _RIDGE_WIDTHS[3]


RELU_XAVIER_LAYER20 = Prediction(
    question="A ReLU net of 20 layers of 250 units with Xavier normal weights (the explorer's default setting). "
             "How wide is layer 20's histogram?",
    options=_RIDGE_WIDTHS,
    answer=lambda: _ridge_width(activation_profile("relu", "xavier_normal", 1.0, 20, 250, _EXPLORER_SAMPLES, 0)),
    why=("Xavier's variance 1/250 (fan-in = fan-out) keeps the variance of a zero-mean input, but ReLU sets half of "
         "its input to 0 and halves E[x²]; so each layer multiplies the std by about 1/√2, and (1/√2)^19 ≈ 0.0014."),
)

SMALL_LAST_LAYER_LOSS = Prediction(
    question="An untrained ReLU net for the 10 digit classes, Kaiming weights, with its last layer's weights "
             "multiplied by 0.01. What is its cross-entropy loss on the training set, before any step?",
    answer=lambda: initial_loss("kaiming_normal", 0.01),
    why=lambda a: (f"The loss is {a:.3f}, and ln 10 = {math.log(10):.3f}: with a tiny last layer every logit is "
                   f"close to 0, so the net predicts 1/10 for every class, and −ln(1/10) = ln 10."),
    tolerance=1.1,
)
