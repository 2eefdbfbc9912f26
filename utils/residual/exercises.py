"""The predictions and exercises of notebook 08: each `Prediction`'s answer is computed by the helper the notebook
calls, and each `check_…` answers "correct" or names the mistake."""

import numpy as np
import torch
from torch import nn

from utils.exercises import feedback, learner_number
from utils.predictions import Prediction

from .experiments import (
    DEPTHS,
    SEEDS,
    STEPS,
    block_deletion,
    degradation_runs,
    gradient_norms,
    gradient_ratio,
    mean_train_loss,
)
from .maths import Bottleneck, _shortcut, count_parameters

# ----------------------------------------------------------------------------------------------
# Predictions (each answer computed by the helper the notebook calls)
# ----------------------------------------------------------------------------------------------

def _deeper_plain_answer():
    runs = degradation_runs()
    ratio = mean_train_loss(runs, DEPTHS[-1], "plain") / mean_train_loss(runs, DEPTHS[0], "plain")
    return "higher" if ratio > 1.25 else "lower" if ratio < 0.8 else "about the same"


def _deeper_plain_why(answer):
    runs = degradation_runs()
    deep, shallow = mean_train_loss(runs, DEPTHS[-1], "plain"), mean_train_loss(runs, DEPTHS[0], "plain")
    return (f"Measured: {deep:.3f} at {DEPTHS[-1]} layers against {shallow:.3f} at {DEPTHS[0]} (mean over seeds "
            f"{', '.join(map(str, SEEDS))}). The deeper plain net has every function of the shallower one within reach "
            "(its extra blocks could be identities), yet SGD does not find one: an optimisation failure, not "
            "overfitting (overfitting lowers the training loss).")


DEEPER_PLAIN = Prediction(
    question=(f"Plain MLP blocks with batch norm and He initialisation, trained identically ({STEPS} SGD steps). "
              f"After training, is the {DEPTHS[-1]}-layer net's loss on its own training set lower, about the same, "
              f"or higher than the {DEPTHS[0]}-layer net's?"),
    options=("lower", "about the same", "higher"),
    answer=_deeper_plain_answer,
    why=lambda a: _deeper_plain_why(a),
)


def _gradient_direction_answer():
    ratio = gradient_ratio(gradient_norms(50, "plain", True))
    return "much larger" if ratio > 10 else "much smaller" if ratio < 0.1 else "about the same"


GRADIENT_TOWARD_INPUT = Prediction(
    question=("A freshly initialised 50-layer plain stack WITH batch norm: is the gradient ‖∂L/∂h‖ at the first "
              "block's input much smaller, about the same, or much larger than at the last block's output?"),
    options=("much smaller", "about the same", "much larger"),
    answer=_gradient_direction_answer,
    why=lambda a: (f"{a}: batch norm keeps every layer's forward signal at unit scale, but each BN layer divides the "
                   "backward signal by its batch std and ReLU + BN layers in series multiply it up; over 50 layers "
                   "the gradient grows toward the input by orders of magnitude (Yang et al., 2019)."),
)


def _deletion_answer():
    out = block_deletion(degradation_runs(), depth=DEPTHS[1], kinds=("residual",))
    drop = (out["residual"]["full"][:, None] - out["residual"]["deleted"])[:, 2:]
    median = float(np.median(drop))
    return "less than 5 points" if median < 0.05 else "5 to 30 points" if median < 0.3 else "more than 30 points"


DELETE_BLOCK = Prediction(
    question=(f"Take the trained {DEPTHS[1]}-layer residual net and delete one of its later blocks at test time "
              "(its input passes straight on). Typically, how much validation accuracy does it lose?"),
    options=("less than 5 points", "5 to 30 points", "more than 30 points"),
    answer=_deletion_answer,
    why=lambda a: (f"{a}: the shortcut still carries the signal around the hole, and the remaining blocks each add "
                   "only a small correction, so the net behaves like an ensemble of shallower paths (Veit et al., "
                   "2016). A plain net has no path around the hole."),
)


# ----------------------------------------------------------------------------------------------
# Exercises
# ----------------------------------------------------------------------------------------------

def check_dense_channels(answer):
    """Exercise: how many channels leave DenseNet-121's third dense block (before its transition layer)?

    64 stem channels, growth rate 32, blocks of 6, 12, 24 layers, each transition halves the channels.
    """
    value = learner_number(answer)[0]
    if value is None:
        return feedback(False, f"answer with a number of channels, got {answer!r}")
    c, no_compression = 64, 64
    for b, n in enumerate((6, 12, 24)):
        c += 32 * n
        no_compression += 32 * n
        if b < 2:
            c //= 2
    hints = {no_compression: "you forgot the transition layers: each halves the channels between blocks",
             32 * 24: "that is only what the third block adds: it also passes on the channels it received",
             64 + 32 * 24: "the third block receives the second transition's output, not the stem's 64 channels",
             c // 2: "that is after the third transition; the question asks before it"}
    if value == c:
        return feedback(True, "", f"Correct: 64 → 256 → 128 → 512 → 256 → {c} channels.")
    hint = hints.get(value, "track the channels block by block: a block adds growth × layers, a transition halves")
    return feedback(False, f"{value:g} is not it: {hint}")


def _bottleneck_reference(c_in=256, mid=64):
    with torch.device("meta"):
        return count_parameters(Bottleneck(c_in, mid))


def check_bottleneck_params(answer):
    """Exercise: the number of trainable parameters of a bottleneck block 256 → 256 (mid 64, stride 1), convolutions
    without bias, BN after each convolution, identity shortcut."""
    value = learner_number(answer)[0]
    if value is None:
        return feedback(False, f"answer with a number of parameters, got {answer!r}")
    expected = _bottleneck_reference()
    convs = 256 * 64 + 64 * 64 * 9 + 64 * 256
    hints = {convs: "you counted the convolutions only: each BN layer has a γ and a β per channel",
             convs + 4 * (64 + 64 + 256): "running mean and variance are buffers, not trainable parameters",
             convs + 2 * (64 + 64 + 256) + (64 + 64 + 256): "the convolutions have no bias (BN's β replaces it)",
             256 * 64 + 64 * 64 + 64 * 256 + 2 * (64 + 64 + 256): "the middle convolution is 3×3: 9 weights per "
                                                                  "input-output channel pair",
             2 * 256 * 256 * 9 + 4 * 256: "that is a basic block at 256 channels; the bottleneck works at 64 inside",
             expected + 256 * 256 + 2 * 256: "the shortcut is the identity here (same shape): it has no parameters"}
    if value == expected:
        return feedback(True, "", f"Correct: {expected:,} parameters (a basic block at 256 channels would have "
                                  f"{2 * 256 * 256 * 9 + 4 * 256:,}).")
    hint = hints.get(value, "add up 1×1 (256·64), 3×3 (64·64·9), 1×1 (64·256) and 2 parameters per BN channel")
    return feedback(False, f"{value:g} is not it: {hint}")


_SHORTCUT_CASES = [(64, 64, 1), (64, 128, 1), (64, 64, 2), (64, 128, 2), (256, 256, 1), (32, 16, 1), (16, 16, 2)]


def check_needs_projection(fn):
    """Exercise: `fn(c_in, c_out, stride)` must return True when a block's shortcut cannot be the identity (the
    output's shape differs from the input's) and False otherwise."""
    if not callable(fn):
        return feedback(False, f"pass your function itself, got {fn!r}")
    wrong = []
    for c_in, c_out, stride in _SHORTCUT_CASES:
        try:
            got = fn(c_in, c_out, stride)
        except Exception as exc:       # the learner's code: report rather than raise
            return feedback(False, f"your function raised {type(exc).__name__}: {exc}")
        if not isinstance(got, (bool, np.bool_)):
            return feedback(False, f"return True or False, got {got!r} for ({c_in}, {c_out}, {stride})")
        truth = not isinstance(_shortcut(c_in, c_out, stride), nn.Identity)
        if bool(got) != truth:
            wrong.append((c_in, c_out, stride, truth))
    if not wrong:
        return feedback(True, "", "Correct: a projection is needed exactly when the stride or the channel count "
                                  "changes the shape.")
    if not any(t for _, _, _, t in wrong):
        hint = "when neither the stride nor the channels change, x + F(x) adds directly: the identity is enough"
    elif all(s != 1 for _, _, s, _ in wrong):
        hint = "a stride of 2 halves the height and width, so x no longer matches F(x)"
    elif all(s == 1 and a != b for a, b, s, _ in wrong):
        hint = "when the channel counts differ, x + F(x) cannot be added channel by channel"
    else:
        hint = "both a change of channels and a stride other than 1 change the shape"
    cases = ", ".join(f"(c_in={a}, c_out={b}, stride={s}) should be {t}" for a, b, s, t in wrong[:3])
    return feedback(False, f"{cases}: {hint}")
