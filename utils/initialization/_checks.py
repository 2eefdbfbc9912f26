"""Argument checks shared by the rooms of `utils.initialization` (one place, so every public function answers bad
input the same way), and the bounds they enforce.  Nothing here is maths: a learner can skip this file.

The two checks that need the names of the activations and schemes (`_activation`, `_scheme`) sit in `maths.py`,
next to `ACTIVATIONS` and `SCHEMES`.
"""

import math

from utils import validation as v

MAX_DEPTH, MAX_WIDTH = 50, 500          # the explorer's sliders, and the bounds of the per-layer experiments
_MAX_SAMPLES = 2000                     # inputs per experiment: 50 layers x 2000 x 500 floats stay ~0.2 GB
_MAX_SCALE = 1e6
_MAX_STEPS = 2000                       # training steps: a few seconds for the small nets of this notebook
_MAX_HIDDEN = 256
_MAX_BINS = 500


def _scale(value, name="scale"):
    return v.finite_number(name, value, low=0.0, high=_MAX_SCALE)


def _mode(value):
    return v.one_of("mode", value, ("fan_in", "fan_out"))


def _depth(value, high=MAX_DEPTH):
    return v.size("depth", value, high)


def _width(value, name="width"):
    return v.size(name, value, MAX_WIDTH)


def _samples(value):
    # a std over one sample is 0 whatever the net does: at least 2
    return v.size("n_samples", value, _MAX_SAMPLES, low=2)


def _shape(shape):
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
        raise TypeError(f"shape must be a tuple of whole numbers such as (out, in), got {shape!r}")
    shape = tuple(v.size("shape", n, 100_000) for n in shape)
    if len(shape) < 2:
        raise ValueError(f"a weight shape needs at least 2 positive dimensions (out, in, *kernel), got {shape}")
    if math.prod(shape) > 50_000_000:
        raise ValueError(f"shape {shape} has {math.prod(shape)} entries: {v.SIZE_NOTE}")
    return shape
