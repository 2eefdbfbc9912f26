"""Weight initialisation from its formulas, and what a forward pass does to the spread of the activations.

The file to read for the maths of notebook 03, top to bottom:
1. the names: `ACTIVATIONS` (name -> function), `SCHEMES` (the initialisations), `LEAKY_SLOPE`, and the thresholds
   `EXPLODED` / `VANISHED` that the verdicts use;
2. the formulas: `gain` (what an activation does to E[x²]), `fans` (fan_in, fan_out of a dense or conv weight),
   `init_std` (each scheme's std, written out), `init_weights` (a weight tensor drawn from those formulas, no
   torch.nn.init);
3. the forward pass measured: `_propagate` pushes inputs through h <- act(h @ Wᵀ) layer by layer and returns, per
   layer, the std of all values, the spread across inputs and the spread across units (`_LayerStats`, computed by
   `_layer_numbers`).

The experiments that use these (profiles, sweeps, training runs) are in `experiments.py`; the argument checks in
`_checks.py`.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from utils import validation as v

from ._checks import _mode, _scale, _shape

LEAKY_SLOPE = 0.01  # torch.nn.LeakyReLU's default negative slope
ACTIVATIONS = {
    "linear": lambda h: h,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "leaky_relu": lambda h: nn.functional.leaky_relu(h, LEAKY_SLOPE),
}
SCHEMES = ("constant", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
           "lecun_normal", "orthogonal", "torch_default")
_UNIFORM = ("xavier_uniform", "kaiming_uniform", "torch_default")
EXPLODED = 1e30     # a layer whose activations exceed this (or overflow) is reported as exploded
VANISHED = 1e-30    # a std below this is reported as vanished (and drawn at this floor on log axes)


# The two argument checks that need the names above (the others are in _checks.py).

def _activation(name, known=tuple(ACTIVATIONS)):
    return v.one_of("activation", name, known)


def _scheme(name):
    return v.one_of("scheme", name, SCHEMES)


def gain(activation):
    """The gain g of an activation (torch.nn.init.calculate_gain's values): Kaiming's std is g / sqrt(fan_in).

    linear, sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + slope²)) with slope 0.01.
    """
    _activation(activation)
    return {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0),
            "leaky_relu": math.sqrt(2.0 / (1.0 + LEAKY_SLOPE ** 2))}[activation]


def fans(shape):
    """(fan_in, fan_out) of a weight of shape (out, in) or (out_channels, in_channels, *kernel).

    fan_in is the number of inputs each output value sums over; fan_out the number of outputs each input feeds.
    A conv weight's fan_in is in_channels · kernel_height · kernel_width: every output value sums that many products.
    """
    shape = _shape(shape)
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _std(scheme, shape, activation, scale, mode="fan_in"):
    fan_in, fan_out = fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    if scheme == "constant":
        return 0.0
    if scheme == "normal":
        return float(scale)
    if scheme.startswith("xavier"):
        return scale * math.sqrt(2.0 / (fan_in + fan_out))
    if scheme.startswith("kaiming"):
        return scale * gain(activation) / math.sqrt(fan)
    if scheme == "lecun_normal":
        return scale / math.sqrt(fan)
    if scheme == "torch_default":  # nn.Linear / nn.Conv: U(±1/sqrt(fan_in)), variance 1/(3·fan_in)
        return scale / math.sqrt(3.0 * fan_in)
    rows, cols = shape[0], math.prod(shape[1:])
    return scale / math.sqrt(max(rows, cols))


def init_std(scheme, shape, activation="relu", scale=1.0, mode="fan_in"):
    """Standard deviation of the entries that `init_weights` draws (0 for "constant").

    normal: s.  xavier_*: s·sqrt(2 / (fan_in + fan_out)).  kaiming_*: s·gain(activation) / sqrt(fan).
    lecun_normal: s / sqrt(fan).  torch_default (nn.Linear's own init): s / sqrt(3·fan_in).
    orthogonal: s / sqrt(max(rows, cols)) (rows or columns have unit norm).
    mode: which fan Kaiming and LeCun divide by, "fan_in" (keeps the forward pass's variance, the default) or
    "fan_out" (keeps the backward pass's), as in torch.nn.init.kaiming_normal_(w, mode=...).
    """
    return _std(_scheme(scheme), _shape(shape), _activation(activation), _scale(scale), _mode(mode))


def init_weights(shape, scheme, activation="relu", scale=1.0, generator=None, dtype=torch.float32, mode="fan_in"):
    """A weight tensor of `shape` drawn from `scheme`, implemented from the formulas (no torch.nn.init).

    shape: (out, in) or (out_channels, in_channels, *kernel).  scale: s — the value for "constant",
    the std for "normal", and a multiplier on every other scheme (s = 1 is the scheme as published).
    Uniform schemes draw U(-b, b) with b = sqrt(3)·std, which has that std.  generator: a torch.Generator
    (default: a fresh one seeded 0, so that no call draws from PyTorch's global generator).  mode: see `init_std`.
    """
    shape, scheme = _shape(shape), _scheme(scheme)
    std = _std(scheme, shape, _activation(activation), _scale(scale), _mode(mode))
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    elif not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {generator!r}")
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
    if scheme == "constant":
        return torch.full(shape, float(scale), dtype=dtype)
    if scheme in _UNIFORM:
        bound = math.sqrt(3.0) * std
        return (torch.rand(shape, generator=generator, dtype=dtype) * 2 - 1) * bound
    if scheme == "orthogonal":
        rows, cols = shape[0], math.prod(shape[1:])
        a = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=dtype)
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))  # sign fix makes Q uniformly (Haar) distributed
        q = q if rows >= cols else q.T
        return (scale * q).reshape(shape).to(dtype)
    return torch.randn(shape, generator=generator, dtype=dtype) * std


@dataclass
class _LayerStats:
    """Per-layer statistics of a forward (or backward) pass through `depth` layers; all arrays (depth,) float64.

    std, mean: over all N·width values of a layer (NaN from an exploded layer on).
    input_std: sqrt of the mean over units of each unit's variance across the N inputs — the part of the spread that
        depends on the input.  unit_std: sqrt of the mean over inputs of the variance across units — how different the
        units of one layer are for the same input (0 when every unit computes the same thing).
    exploded_at: 1-based index of the first layer that overflowed or exceeded EXPLODED, else None.
    kept: {layer (1-based): (N, width) tensor} for the layers asked for in `keep` (before any explosion).
    """

    mean: np.ndarray
    std: np.ndarray
    input_std: np.ndarray
    unit_std: np.ndarray
    exploded_at: object
    kept: dict


def _rms_about(h64, centre):
    d = h64 - centre
    return (d * d).mean().sqrt().item()


def _layer_numbers(h64):
    # Two-pass population variances written out: with torch's float64 var/std_mean kernels these numbers took 1.9 ms
    # per 200 x 500 layer instead of 0.22 ms, about half of a new explorer profile at 50 layers of 500 (same values
    # to rounding; exactly 0 stays 0).
    m = h64.mean()
    across_inputs = _rms_about(h64, h64.mean(0)) if h64.shape[0] > 1 else 0.0
    across_units = _rms_about(h64, h64.mean(1, keepdim=True)) if h64.shape[1] > 1 else 0.0
    return m.item(), _rms_about(h64, m), across_inputs, across_units


def _propagate(x, weights, activation, keep=(), factor=1.0):
    """Push x through h ← act(factor · h @ Wᵀ) for each W in `weights` (no biases, no autograd); return `_LayerStats`.

    x: (N, d) tensor; weights: list of (width_l, width_{l-1}) tensors; factor: a scale shared by every weight,
    applied to the (N, width) product rather than to the matrices (cheaper, and unit weights can be cached);
    keep: 1-based layer numbers whose activations to return.  Statistics are computed in float64 so huge values
    do not overflow them.
    """
    act = ACTIVATIONS[activation]
    depth = len(weights)
    columns = [np.full(depth, np.nan) for _ in range(4)]
    kept, exploded_at, h = {}, None, x
    with torch.no_grad():
        for layer, w in enumerate(weights, start=1):
            h = h @ w.T
            h = act(h * factor if factor != 1.0 else h)
            h64 = h.double()
            biggest = h64.abs().max().item() if h64.numel() else 0.0
            if not math.isfinite(biggest) or biggest > EXPLODED:
                exploded_at = layer
                break
            for column, value in zip(columns, _layer_numbers(h64)):
                column[layer - 1] = value
            if layer in keep:
                kept[layer] = h
    mean, std, input_std, unit_std = columns
    return _LayerStats(mean, std, input_std, unit_std, exploded_at, kept)
