"""Weight initialisation from its formulas, per-layer activation and gradient statistics, notebook 03's experiments.

Public functions (what notebook 03 and a learner call; everything else is private):
- formulas: `gain`, `fans`, `init_std`, `init_weights`;
- forward and backward statistics: `activation_profile`, `gradient_profile`, `explorer_verdict`, `preactivation_stds`,
  `std_ratios`, `maxout_preactivation_stds`, `torch_default_stats`, `initial_loss`, `layer_table`;
- training experiments: `symmetry_experiment`, `deep_relu_training`, `activations_over_training`;
  convolutions: `conv_fan_table`, `conv_forward_std`;
- exercise checkers: `check_kaiming_std`, `check_tanh_gain`, `check_maxout_gain`;
- plots: `plot_init_histograms` (the explorer), `plot_cases`, `plot_std_ratios`, `plot_symmetry`, `plot_training`,
  `plot_activations_over_training`;
- predictions (`utils.predictions`): `TANH_S1_LAYER10`, `TANH_S1_GRADIENT`, `RELU_XAVIER_LAYER20`,
  `SMALL_LAST_LAYER_LOSS`.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.ticker import MaxNLocator
from torch import nn

from utils import validation as v
from utils.device import one_cpu_thread
from utils.exercises import feedback, learner_number
from utils.plotstyle import (
    BLUE,
    GREEN,
    ORANGE,
    PURPLE,
    SKY,
    VERMILION,
    draw_hist,
    light_log_axis,
    new_figure,
    update_hist,
)
from utils.predictions import Prediction

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
SCHEME_LABELS = {"constant": "constant s", "normal": "N(0, s²)", "xavier_uniform": "Xavier uniform",
                 "xavier_normal": "Xavier normal", "kaiming_uniform": "Kaiming uniform",
                 "kaiming_normal": "Kaiming normal", "lecun_normal": "LeCun normal", "orthogonal": "orthogonal",
                 "torch_default": "PyTorch default"}
_UNIFORM = ("xavier_uniform", "kaiming_uniform", "torch_default")
EXPLODED = 1e30     # a layer whose activations exceed this (or overflow) is reported as exploded
VANISHED = 1e-30    # a std below this is reported as vanished (and drawn at this floor on log axes)
MAX_DEPTH, MAX_WIDTH = 50, 500          # the explorer's sliders, and the bounds of the per-layer experiments
_MAX_SAMPLES = 2000                     # inputs per experiment: 50 layers x 2000 x 500 floats stay ~0.2 GB
_MAX_SCALE = 1e6
_MAX_STEPS = 2000                       # training steps: a few seconds for the small nets of this notebook
_MAX_HIDDEN = 256
_MAX_BINS = 500


# ----------------------------------------------------------------------------------------------------------------
# Argument checks (one place, so every public function answers bad input the same way)
# ----------------------------------------------------------------------------------------------------------------

def _activation(name, known=tuple(ACTIVATIONS)):
    return v.one_of("activation", name, known)


def _scheme(name):
    return v.one_of("scheme", name, SCHEMES)


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


# ----------------------------------------------------------------------------------------------------------------
# Pure computations
# ----------------------------------------------------------------------------------------------------------------

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


def _shown_layers(depth, most=8):
    """Up to `most` layer numbers (1-based) spread evenly from 1 to depth, both ends included."""
    return tuple(int(n) for n in np.unique(np.round(np.linspace(1, depth, min(depth, most)))))


def _histogram_range(activation, stds):
    """A shared x-range for the histograms of one net: the activation's range if bounded, else ±3 × largest std."""
    if activation == "tanh":
        return (-1.0, 1.0)
    if activation == "sigmoid":
        return (0.0, 1.0)
    finite = np.asarray(stds, dtype=float)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    r = 3.0 * float(finite.max()) if finite.size else 1.0
    return (0.0, r) if activation == "relu" else (-r, r)


# ----------------------------------------------------------------------------------------------------------------
# Experiments
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class _Profile:
    """What a deep net's layers look like for one setting (the data behind the histogram plots).

    mean, std, input_std, unit_std: (depth,) per layer (see `_LayerStats`); x_std: the std of the input itself
    (the reference a layer's spread is judged against); layers: the layer numbers histogrammed;
    counts: (len(layers), bins); edges: (bins + 1,); exploded_at: layer or None; saturated: (depth,) fraction of
    units within 1% of a bound of tanh/sigmoid (zeros otherwise; NaN for layers not histogrammed);
    zeros_dropped: True when exact zeros (ReLU's) are left out of the counts.
    """

    mean: np.ndarray
    std: np.ndarray
    input_std: np.ndarray
    unit_std: np.ndarray
    x_std: float
    layers: tuple
    counts: np.ndarray
    edges: np.ndarray
    exploded_at: object
    saturated: np.ndarray
    zeros_dropped: bool = False


def _net_weights(scheme, activation, scale, depth, width, seed):
    """`depth` (width, width) weights of `scheme`: layer l is `init_weights` with a generator seeded seed·1000 + l."""
    units, factor = _unit_weights(scheme, activation, scale, depth, width, seed)
    return [factor * w for w in units]


def _unit_weights(scheme, activation, scale, depth, width, seed):
    """The weights of `_net_weights` as (list of unit draws, factor): N(0, 1), U(-1, 1) or orthogonal draws, cached,
    and the number (the scheme's std or uniform bound, or s) they are multiplied by.

    With the unit draws cached, a slider over s, the scheme or the activation costs no new random numbers (and no
    QR per layer for orthogonal).
    """
    if scheme == "constant":
        return [torch.ones(width, width)] * depth, float(scale)
    kind = "orthogonal" if scheme == "orthogonal" else "uniform" if scheme in _UNIFORM else "normal"
    std = _std(scheme, (width, width), activation, scale)
    factor = {"orthogonal": scale, "uniform": math.sqrt(3.0) * std, "normal": std}[kind]
    return [_unit_layer(kind, width, seed, layer) for layer in range(depth)], float(factor)


@functools.lru_cache(maxsize=2 * MAX_DEPTH)
def _unit_layer(kind, width, seed, layer):
    g = torch.Generator().manual_seed(seed * 1000 + layer)
    if kind == "uniform":
        return torch.rand((width, width), generator=g) * 2 - 1
    return init_weights((width, width), "orthogonal" if kind == "orthogonal" else "normal", generator=g)


def _inputs(n_samples, width, seed):
    return torch.randn(n_samples, width, generator=torch.Generator().manual_seed(seed + 10_000))


def _counts(values, activation, edges):
    values = values.detach().double().cpu().numpy().ravel()
    if activation == "relu":
        values = values[values != 0]  # half of ReLU's outputs are exactly 0: one spike that would hide the rest
    return np.histogram(values, bins=edges)[0]


def activation_profile(activation="tanh", scheme="xavier_normal", scale=1.0, depth=10, width=500,
                       n_samples=1000, seed=0, bins=60):
    """Forward N(0, 1) inputs (n_samples, width) through `depth` square layers of `width` units (no biases).

    Returns a profile with, per layer, the std of all values, the spread across inputs and across units, |mean|,
    the fraction saturated, and histogram counts of up to 10 layers (cached: a slider that comes back to a setting
    costs nothing).
    """
    return _activation_profile(_activation(activation), _scheme(scheme), _scale(scale), _depth(depth),
                               _width(width), _samples(n_samples), v.seed_value("seed", seed),
                               v.size("bins", bins, _MAX_BINS))


@functools.lru_cache(maxsize=64)
@one_cpu_thread()
def _activation_profile(activation, scheme, scale, depth, width, n_samples, seed, bins):
    layers = _shown_layers(depth, most=10)
    units, factor = _unit_weights(scheme, activation, scale, depth, width, seed)
    x = _inputs(n_samples, width, seed)
    stats = _propagate(x, units, activation, keep=set(layers) | {depth}, factor=factor)
    return _profile(stats, activation, layers, bins, x.double().std(correction=0).item())


def _saturated(h, activation):
    lo, hi = _histogram_range(activation, [1.0])
    return ((h <= lo + 0.01 * (hi - lo)) | (h >= hi - 0.01 * (hi - lo))).double().mean().item()


def _profile(stats, activation, layers, bins, x_std):
    layers = tuple(layer for layer in layers if layer in stats.kept)
    stds = [stats.std[layer - 1] for layer in layers]
    edges = np.linspace(*_histogram_range(activation, stds), bins + 1)
    counts = np.array([_counts(stats.kept[layer], activation, edges) for layer in layers]).reshape(len(layers), bins)
    saturated = np.zeros(len(stats.std))
    if activation in ("tanh", "sigmoid"):
        saturated[:] = np.nan
        for layer, h in stats.kept.items():
            saturated[layer - 1] = _saturated(h, activation)
    return _Profile(stats.mean, stats.std, stats.input_std, stats.unit_std, x_std, layers, counts, edges,
                    stats.exploded_at, saturated, zeros_dropped=activation == "relu")


def gradient_profile(activation="tanh", scheme="xavier_normal", scale=1.0, depth=10, width=500,
                     n_samples=1000, seed=0, bins=60):
    """Back-propagated gradients ∂L/∂h_l of every layer's activations, by autograd, as a profile.

    The loss is L = Σ h_depth · u with u ~ N(0, 1) fixed (seeded), so the gradient arriving at the top
    has std 1 and any change on the way down is the network's doing.
    """
    return _gradient_profile(_activation(activation), _scheme(scheme), _scale(scale), _depth(depth),
                             _width(width), _samples(n_samples), v.seed_value("seed", seed),
                             v.size("bins", bins, _MAX_BINS))


@functools.lru_cache(maxsize=16)
@one_cpu_thread()
def _gradient_profile(activation, scheme, scale, depth, width, n_samples, seed, bins):
    act = ACTIVATIONS[activation]
    weights = _net_weights(scheme, activation, scale, depth, width, seed)
    h, hs = _inputs(n_samples, width, seed).requires_grad_(), []
    for w in weights:
        h = act(h @ w.T)
        h.retain_grad()
        hs.append(h)
    u = torch.randn(h.shape, generator=torch.Generator().manual_seed(seed + 20_000))
    (h * u).sum().backward()
    grads = [t.grad for t in hs]
    bad = [i for i, g in enumerate(grads) if not torch.isfinite(g).all() or g.abs().max() > EXPLODED]
    exploded_at = max(bad) + 1 if bad else None  # gradients explode going *down*: the deepest bad index counts
    columns = np.array([_layer_numbers(g.double()) for g in grads]).T
    if bad:
        columns[:, :exploded_at] = np.nan
    layers = tuple(layer for layer in _shown_layers(depth, most=10) if exploded_at is None or layer > exploded_at)
    stats = _LayerStats(*columns, exploded_at, {layer: grads[layer - 1] for layer in layers})
    return _profile(stats, "linear", layers, bins, 1.0)


def _verdict(p, activation):
    """A few words on what the last layer looks like, judged against the input (used in titles and claims).

    The order matters: an overflow, then saturation (a layer pinned at a bound has std 0 without having vanished),
    then the size of the spread against the input's, then how much of it still depends on the input.
    """
    if p.exploded_at is not None:
        return f"exploded (overflow) at layer {p.exploded_at}"
    depth = len(p.std)
    std, across_inputs, across_units = p.std[-1], p.input_std[-1], p.unit_std[-1]
    same = "; all units identical" if across_units <= 1e-6 * max(std, VANISHED) else ""
    if activation in ("tanh", "sigmoid") and p.saturated[-1] > 0.5:
        return f"saturated: {100 * p.saturated[-1]:.0f}% of layer {depth} at a bound{same}"
    if std < VANISHED:
        return f"vanished: layer {depth} is exactly 0"
    ratio = std / p.x_std
    if ratio < 0.1:
        return f"collapses: layer {depth}'s std {ratio:.2g}× the input's{same}"
    if ratio > 10:
        return f"grows: layer {depth}'s std {ratio:.3g}× the input's{same}"
    share = (across_inputs / std) ** 2
    if share < 1e-4:
        return f"output no longer depends on the input (spread across inputs {across_inputs:.1g}){same}"
    if share < 0.5:
        return f"inputs grow alike: {100 * share:.0f}% of layer {depth}'s variance depends on the input{same}"
    if ratio < 0.5:
        return f"shrinks: layer {depth}'s std {ratio:.2f}× the input's{same}"
    if ratio > 2:
        return f"grows: layer {depth}'s std {ratio:.2f}× the input's{same}"
    return f"keeps its spread (layer {depth}'s std {ratio:.2f}× the input's){same}"


def explorer_verdict(activation="relu", scheme="xavier_normal", scale=1.0, depth=20, width=250, seed=0):
    """The explorer's verdict on a setting (the second line of its title): what the last layer looks like."""
    p = activation_profile(activation, scheme, scale, depth, width, _EXPLORER_SAMPLES, seed)
    return _verdict(p, activation)


_EXPLORER_SAMPLES = 200


def preactivation_stds(activation, scheme, scale=1.0, depth=50, width=256, n_samples=512, seed=0):
    """Std of the pre-activations z_l = act(z_{l-1}) @ W_lᵀ of each layer, shape (depth + 1,); entry 0 is the input.

    Layer 1 sees the raw N(0, 1) input (no activation before it).  Pre-activations (before the nonlinearity) are
    what the variance argument is about.
    """
    return _preactivation_stds(_activation(activation), _scheme(scheme), _scale(scale), _depth(depth, 100),
                               _width(width), _samples(n_samples), v.seed_value("seed", seed))


@functools.lru_cache(maxsize=32)
@one_cpu_thread()
def _preactivation_stds(activation, scheme, scale, depth, width, n_samples, seed):
    act = ACTIVATIONS[activation]
    weights = _net_weights(scheme, activation, scale, depth, width, seed)
    z = _inputs(n_samples, width, seed)
    stds = [z.double().std().item()]
    with torch.no_grad():
        for layer, w in enumerate(weights):
            z = (z if layer == 0 else act(z)) @ w.T
            stds.append(z.double().std().item())
    return v.finite_result("the pre-activation std", np.array(stds))


def std_ratios(activation, scheme, depth=50, width=256, n_samples=512, seed=0):
    """Per-layer ratio std(z_l) / std(z_{l-1}) of the pre-activations (z_0 = the N(0, 1) input), shape (depth,)."""
    stds = preactivation_stds(activation, scheme, 1.0, depth, width, n_samples, seed)
    return stds[1:] / stds[:-1]


@one_cpu_thread()
def maxout_preactivation_stds(gain=1.0, depth=30, width=256, n_samples=512, seed=0):
    """A Maxout net with two pieces per unit: z_l = h_{l-1} @ W_lᵀ with W_l of shape (2·width, width) and std
    gain / sqrt(width); h_l = max(first half of z_l, second half).  Returns std(z_l) per layer, shape (depth + 1,)
    (entry 0 is the N(0, 1) input).
    """
    g_value = v.finite_number("gain", gain, low=0.0, high=3.0)  # 3**50 still fits in float32
    depth, width = _depth(depth), _width(width)
    n_samples, seed = _samples(n_samples), v.seed_value("seed", seed)
    gen = torch.Generator().manual_seed(seed)
    h = _inputs(n_samples, width, seed)
    stds = [h.double().std().item()]
    with torch.no_grad():
        for _ in range(depth):
            z = h @ (torch.randn(2 * width, width, generator=gen) * (g_value / math.sqrt(width))).T
            stds.append(z.double().std().item())
            h = torch.maximum(z[:, :width], z[:, width:])
    return np.array(stds)


@one_cpu_thread()
def torch_default_stats(depth=20, width=256, n_samples=512, bias=True, seed=0):
    """A plain ReLU MLP with PyTorch's default nn.Linear initialisation, from the formula: weights and biases
    U(±1/sqrt(fan_in)).  N(0, 1) inputs (n_samples, width).

    Returns {"std": (depth,) std of every Linear layer's output over all values, "input_std": (depth,) the part
    that depends on the input (see `activation_profile`), "bias_std": the std of the biases}.  bias=False zeroes
    the biases (the weights are the same draws).
    """
    depth, width = _depth(depth), _width(width)
    n_samples, bias, seed = _samples(n_samples), v.boolean("bias", bias), v.seed_value("seed", seed)
    g = torch.Generator().manual_seed(seed)
    h = _inputs(n_samples, width, seed)
    bound = 1.0 / math.sqrt(width)
    std, across_inputs = np.zeros(depth), np.zeros(depth)
    with torch.no_grad():
        for layer in range(depth):
            w = init_weights((width, width), "torch_default", generator=g)
            b = (torch.rand(width, generator=g) * 2 - 1) * bound
            z = h @ w.T + (b if bias else 0.0)
            _, std[layer], across_inputs[layer], _ = _layer_numbers(z.double())
            h = torch.relu(z)
    return {"std": std, "input_std": across_inputs, "bias_std": bound / math.sqrt(3.0) if bias else 0.0}


def _digits(device):
    from utils.data import load_dataset

    return load_dataset("digits", seed=0, device=device or "cpu")


def _linear(n_in, n_out, weight, device):
    """An nn.Linear holding `weight` and a zero bias, built without drawing from PyTorch's global generator."""
    layer = nn.Linear(n_in, n_out, device="meta").to_empty(device=device)
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.zero_()
    return layer


@one_cpu_thread()
def initial_loss(scheme="kaiming_normal", last_scale=1.0, depth=3, width=64, seed=0):
    """The cross-entropy of an untrained ReLU MLP on the digits training set (10 classes): the loss at step 0.

    Hidden layers from `scheme` (ReLU gain); the last layer's weights are the scheme's times `last_scale`; biases 0.
    With a small last layer every logit is near 0, the prediction is uniform and the loss is ln 10.
    """
    scheme, last_scale = _scheme(scheme), _scale(last_scale, "last_scale")
    depth, width, seed = _depth(depth), _width(width), v.seed_value("seed", seed)
    data = _digits("cpu")
    sizes = [data.x_train.shape[1]] + [width] * (depth - 1) + [10]
    g = torch.Generator().manual_seed(seed)
    h = data.x_train
    with torch.no_grad():
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            w = init_weights((b, a), scheme, "relu", generator=g)
            h = h @ (w * last_scale if i == depth - 1 else w).T
            if i < depth - 1:
                h = torch.relu(h)
        loss = nn.functional.cross_entropy(h.double(), data.y_train).item()
    return v.finite_result("the initial loss", loss)


def symmetry_experiment(steps=300, lr=0.5, hidden=32, constant=0.1, seed=0, device=None):
    """Train a 64-32-10 tanh net on digits from (a) every weight = `constant` and (b) random (Kaiming) weights,
    and (c) logistic regression 64-10 from all zeros; full-batch gradient descent, biases start at 0.

    Returns a dict name -> {"accuracy": val accuracy, "rank": numerical rank of the hidden weight matrix,
    "spread": largest difference between two hidden units' incoming weights, "identical_rows": how many rows of the
    first weight matrix equal row 0 (within 1e-6), "weights": (hidden, 64) array}.
    """
    from utils.training import train

    steps, lr = v.size("steps", steps, _MAX_STEPS), v.finite_number("lr", lr, low=0.0, high=10.0, low_open=True)
    hidden, constant = v.size("hidden", hidden, _MAX_HIDDEN), v.finite_number("constant", constant, -10.0, 10.0)
    seed, device = v.seed_value("seed", seed), v.device_value("device", device)
    data = _digits(device)
    device = data.x_train.device
    results = {}
    with one_cpu_thread(device):
        for name in ("constant", "random", "logistic"):
            g = torch.Generator().manual_seed(seed)
            if name == "logistic":
                model = nn.Sequential(_linear(64, 10, torch.zeros(10, 64), device))
            else:
                shapes = ((hidden, 64), (10, hidden))
                w1, w2 = ([torch.full(s, constant) for s in shapes] if name == "constant" else
                          [init_weights(s, "kaiming_normal", "tanh", generator=g) for s in shapes])
                model = nn.Sequential(_linear(64, hidden, w1, device), nn.Tanh(), _linear(hidden, 10, w2, device))
            hist = train(model, data, steps=steps, lr=lr, batch_size=None, eval_every=steps, seed=seed,
                         device=device)
            w = model[0].weight.detach().cpu().double()
            sv = torch.linalg.svdvals(w)
            results[name] = {"accuracy": hist.final("val_acc"),
                             "rank": int((sv > 1e-6 * sv[0]).sum()) if sv[0] > 0 else 0,
                             "spread": float((w - w[0]).abs().max()),
                             "identical_rows": int(((w - w[0]).abs().amax(dim=1) <= 1e-6).sum()),
                             "weights": w.numpy()}
    return results


def _deep_relu_mlp(depth, width, scheme, seed, device):
    sizes = [64] + [width] * (depth - 1) + [10]
    model = nn.Sequential()
    g = torch.Generator().manual_seed(seed)
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        model.append(_linear(a, b, init_weights((b, a), scheme, "relu", generator=g), device))
        if i < len(sizes) - 2:
            model.append(nn.ReLU())
    return model


def deep_relu_training(depth=20, width=64, steps=300, lr=0.01, schemes=("xavier_normal", "kaiming_normal"),
                       seed=0, device=None):
    """Train a plain `depth`-layer ReLU MLP on digits once per init scheme (SGD with momentum, mini-batches of 64,
    biases starting at 0).

    Returns {scheme: utils.training.History}; same seed, same data order for every scheme.
    """
    from utils.training import train

    depth, width = _depth(depth), v.size("width", width, _MAX_HIDDEN)
    steps, lr = v.size("steps", steps, _MAX_STEPS), v.finite_number("lr", lr, low=0.0, high=10.0, low_open=True)
    if isinstance(schemes, str) or not schemes:
        raise TypeError(f"schemes must be a tuple of scheme names such as ('xavier_normal',), got {schemes!r}")
    schemes = tuple(v.one_of("schemes", s, SCHEMES) for s in schemes)
    seed, device = v.seed_value("seed", seed), v.device_value("device", device)
    data = _digits(device)
    out = {}
    with one_cpu_thread(device):
        for scheme in schemes:
            model = _deep_relu_mlp(depth, width, scheme, seed, data.x_train.device)
            out[scheme] = train(model, data, steps=steps, lr=lr, optimizer="momentum", batch_size=64,
                                eval_every=10, seed=seed, device=device)
    return out


def activations_over_training(scheme="normal", scale=1.0, activation="tanh", depth=6, width=64, steps=200,
                              lr=0.05, bins=40, seed=0, device=None):
    """Train a `depth`-layer net on digits (SGD with momentum, mini-batches of 64) and record, at every step, each
    hidden layer's activation histogram.

    Returns {"counts": (depth - 1, steps, bins) array, "edges": (bins + 1,), "loss": (steps,),
    "saturated": (depth - 1, steps) fraction of a layer's values with |a| > 0.95 (tanh) or outside [0.025, 0.975]
    (sigmoid): within 2.5% of the range from a bound; zeros for unbounded activations}.
    The histograms are taken on the training mini-batch of that step (the activations the update sees).
    """
    scheme, scale, activation = _scheme(scheme), _scale(scale), _activation(activation)
    depth, width = v.size("depth", depth, 20, low=2), v.size("width", width, _MAX_HIDDEN)
    steps, lr = v.size("steps", steps, _MAX_STEPS), v.finite_number("lr", lr, low=0.0, high=10.0, low_open=True)
    bins, seed = v.size("bins", bins, _MAX_BINS), v.seed_value("seed", seed)
    device = v.device_value("device", device)
    with one_cpu_thread(device):
        return _record_training(scheme, scale, activation, depth, width, steps, lr, bins, seed, device)


def _record_training(scheme, scale, activation, depth, width, steps, lr, bins, seed, device):
    data = _digits(device)
    device = data.x_train.device
    sizes = [64] + [width] * (depth - 1) + [10]
    g = torch.Generator().manual_seed(seed)
    weights = [init_weights((b, a), scheme, activation, scale, generator=g).to(device).requires_grad_()
               for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [torch.zeros(b, device=device, requires_grad=True) for b in sizes[1:]]
    opt = torch.optim.SGD(weights + biases, lr=lr, momentum=0.9)
    act = ACTIVATIONS[activation]
    lo, hi = _histogram_range(activation, [1.0])
    edges = np.linspace(lo, hi, bins + 1)
    counts = np.zeros((depth - 1, steps, bins))
    saturated = np.zeros((depth - 1, steps))
    losses = np.zeros(steps)
    order = torch.Generator().manual_seed(seed)
    for step in range(steps):
        idx = torch.randint(len(data.x_train), (64,), generator=order).to(device)
        h = data.x_train[idx]
        for layer, (w, b) in enumerate(zip(weights, biases)):
            h = h @ w.T + b
            if layer < depth - 1:
                h = act(h)
                values = h.detach()
                counts[layer, step] = np.histogram(values.cpu().numpy(), bins=edges)[0]
                if activation in ("tanh", "sigmoid"):
                    far = 0.475 * (hi - lo)  # |a| > 0.95 for tanh, outside [0.025, 0.975] for sigmoid
                    saturated[layer, step] = ((values - (lo + hi) / 2).abs() > far).double().mean().item()
        loss = nn.functional.cross_entropy(h, data.y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[step] = loss.item()
    return {"counts": counts, "edges": edges, "loss": losses, "saturated": saturated}


def conv_fan_table(shape=(32, 16, 3, 3), activation="relu", seed=0):
    """For a conv weight `shape`, compare the helper's fans and stds with torch.nn.init's draws.

    Returns rows (scheme, fan_in, fan_out, formula std, std of helper's sample, std of torch's sample); the last row
    is Kaiming normal with mode="fan_out".
    """
    shape, activation = _shape(shape), _activation(activation, ("linear", "tanh", "sigmoid", "relu"))
    seed = v.seed_value("seed", seed)
    fan_in, fan_out = fans(shape)
    torch_init = {("xavier_uniform", "fan_in"): lambda w, g: nn.init.xavier_uniform_(w, generator=g),
                  ("xavier_normal", "fan_in"): lambda w, g: nn.init.xavier_normal_(w, generator=g),
                  ("kaiming_uniform", "fan_in"): lambda w, g: nn.init.kaiming_uniform_(
                      w, nonlinearity=activation, generator=g),
                  ("kaiming_normal", "fan_in"): lambda w, g: nn.init.kaiming_normal_(
                      w, nonlinearity=activation, generator=g),
                  ("kaiming_normal", "fan_out"): lambda w, g: nn.init.kaiming_normal_(
                      w, mode="fan_out", nonlinearity=activation, generator=g)}
    rows = []
    for (scheme, mode), fn in torch_init.items():
        ours = init_weights(shape, scheme, activation, generator=torch.Generator().manual_seed(seed), mode=mode)
        theirs = fn(torch.empty(shape), torch.Generator().manual_seed(seed + 1))
        label = scheme if mode == "fan_in" else f"{scheme}, fan_out"
        rows.append((label, fan_in, fan_out, _std(scheme, shape, activation, 1.0, mode),
                     ours.std().item(), theirs.std().item()))
    return rows


@one_cpu_thread()
def conv_forward_std(scheme="kaiming_normal", depth=8, channels=32, size=16, seed=0):
    """Std of the output of each of `depth` 3x3 conv + ReLU layers on N(0, 1) images (16 of them); shape (depth,).

    Circular padding gives every output pixel the full fan_in (zero padding would shrink the border's variance).
    """
    scheme, depth = _scheme(scheme), _depth(depth)
    channels, size = v.size("channels", channels, 128), v.size("size", size, 64)
    g = torch.Generator().manual_seed(v.seed_value("seed", seed))
    h = torch.randn(16, channels, size, size, generator=g)
    out = []
    with torch.no_grad():
        for _ in range(depth):
            w = init_weights((channels, channels, 3, 3), scheme, "relu", generator=g)
            h = torch.relu(nn.functional.conv2d(nn.functional.pad(h, (1, 1, 1, 1), mode="circular"), w))
            out.append(h.std().item())
    return np.array(out)


def layer_table(columns, digits=3):
    """A text table with one row per layer: columns is {name: (depth,) values}; NaN is shown as "exploded"."""
    if not isinstance(columns, dict) or not columns:
        raise TypeError(f"columns must be a non-empty dict name -> per-layer values, got {type(columns).__name__}")
    digits = v.size("digits", digits, 12)
    columns = {str(k): v.array(f"columns[{k!r}]", c, ndim=1, finite=False) for k, c in columns.items()}
    names = list(columns)
    depth = max(len(c) for c in columns.values())
    widths = [max(14, len(name) + 2) for name in names]
    lines = ["layer" + "".join(f"{name:>{w}}" for name, w in zip(names, widths))]
    for i in range(depth):
        cells = []
        for name, w in zip(names, widths):
            value = columns[name][i] if i < len(columns[name]) else float("nan")
            text = "exploded" if not np.isfinite(value) else f"{value:.{digits}g}"
            cells.append(f"{text:>{w}}")
        lines.append(f"{i + 1:>5}" + "".join(cells))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------------
# Exercise checkers
# ----------------------------------------------------------------------------------------------------------------

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


# ----------------------------------------------------------------------------------------------------------------
# Plotting
# ----------------------------------------------------------------------------------------------------------------

_COLOURS = [BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY]


def _ridge_heights(counts):
    """Each row scaled to peak 0.9 (one row = one layer); empty rows stay flat.

    Bins under 2% of their row's peak are drawn flat: at the figure's size they would be less than half a pixel
    high and show only as stray hairlines along the baseline.
    """
    peak = counts.max(axis=1, keepdims=True).astype(float)
    heights = np.divide(counts, peak, out=np.zeros(counts.shape), where=peak > 0)
    return 0.9 * np.where(heights < 0.02, 0.0, heights)


def _draw_ridges(ax, profile, n_slots, colour=BLUE):
    """Draw a ridgeline (the i-th shown layer's histogram at height offset i) with `n_slots` reusable step artists.

    The ridges are filled without an outline: an outline would draw a line along the baseline of every empty bin.
    """
    artists = [draw_hist(ax, np.zeros(len(profile.edges) - 1), profile.edges, fill=True, color=colour,
                         baseline=0.0, alpha=0.7, linewidth=0) for _ in range(n_slots)]
    _update_ridges(ax, artists, profile)
    ax.set_ylabel("layer (deeper ↑)")
    ax.tick_params(axis="y", length=0)
    ax.grid(False, axis="y")  # horizontal lines would cut the ridges at arbitrary heights
    return artists


def _update_ridges(ax, artists, profile):
    heights = _ridge_heights(profile.counts)
    for i, art in enumerate(artists):
        if i < len(profile.layers):
            update_hist(art, heights[i] + i, profile.edges)
            art.set_data(baseline=float(i))
            art.set_visible(True)
        else:
            art.set_visible(False)
    ax.set_yticks(np.arange(len(profile.layers)) + 0.3, [str(layer) for layer in profile.layers])
    ax.set_xlim(profile.edges[0], profile.edges[-1])
    ax.set_ylim(-0.1, max(len(profile.layers), 1) + 0.1)


def _curve(values, ok):
    return np.maximum(np.asarray(values)[ok], VANISHED)


def _std_ylim(values):
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (1e-3, 10.0)
    lo, hi = float(values.min()), float(values.max())
    return (10.0 ** math.floor(math.log10(lo) - 0.3), 10.0 ** math.ceil(math.log10(hi) + 0.3))


def _explorer_figure(profile):
    """Build the explorer's figure once; `plot_init_histograms` then only updates its artists.

    The layout is fixed, with room for the widest tick labels: constrained layout re-solved it on every redraw, and
    automatic title and axis-label placement measured every tick label again (together about half the drawing time).
    """
    fig, (ax_h, ax_s) = new_figure(1, 2, figsize=(9.6, 4.8))
    fig.set_layout_engine("none")
    ax_h.set_position([0.075, 0.12, 0.45, 0.66])
    ax_s.set_position([0.655, 0.12, 0.33, 0.58])
    fig._ridges = _draw_ridges(ax_h, profile, 10)
    ax_s.semilogy([1], [1], "o-", color=BLUE, ms=4, label="std, all values")
    ax_s.semilogy([1], [1], "^-", color=GREEN, ms=4, lw=1.5, label="spread across inputs")
    ax_s.semilogy([1], [1], "s--", color=ORANGE, ms=3, lw=1.2, label="|mean|")
    fig._input_line = ax_s.axhline(1.0, color="0.45", lw=1, ls=":", label="input's std")
    light_log_axis(ax_s)
    ax_h.xaxis.set_major_locator(MaxNLocator(nbins=5))  # every tick is drawn twice per redraw: keep a few
    ax_s.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True, min_n_ticks=1))
    # the legend sits above the axes (it names the panel): inside, it would hide curves that end at the bottom
    ax_s.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=9, frameon=False,
                columnspacing=1.0, handlelength=1.8)
    ax_h.set_title("activation histograms, per layer", y=1.02, fontsize=12)
    ax_s.set(xlabel="layer", ylabel="std, spread, |mean| (log)")
    for ax, ylabel_x in ((ax_h, -0.085), (ax_s, -0.2)):
        ax.xaxis.set_label_coords(0.5, -0.11)
        ax.yaxis.set_label_coords(ylabel_x, 0.5)
    fig._exploded = ax_s.text(0.5, 0.5, "", transform=ax_s.transAxes, ha="center", color=VERMILION,
                              fontsize=13, fontweight="bold")
    return fig


def plot_init_histograms(activation="relu", scheme="xavier_normal", scale=1.0, depth=20, width=250, fig=None):
    """The explorer: per-layer activation histograms (a ridgeline, layer 1 at the bottom), and per layer the std
    of all values, the spread across inputs (how much a unit's value depends on the input) and |mean|, against
    the input's std.

    200 N(0, 1) inputs go through `depth` layers of `width` units, weights from `scheme` at scale s (see
    `init_weights`).  Returns the Figure; pass it back as `fig` to update it in place.
    """
    p = activation_profile(activation, scheme, scale, depth, width, _EXPLORER_SAMPLES, 0)
    ok = np.isfinite(p.std)
    layers = np.arange(1, len(p.std) + 1)[ok]
    std, spread = _curve(p.std, ok), _curve(p.input_std, ok)
    abs_mean = np.maximum(np.abs(p.mean[ok]), std.min() * 1e-3) if std.size else std
    if fig is None:
        fig = _explorer_figure(p)
        ax_h, ax_s = fig.axes[:2]
    else:
        ax_h, ax_s = fig.axes[:2]
        _update_ridges(ax_h, fig._ridges, p)
    for line, values in zip(ax_s.lines[:3], (std, spread, abs_mean)):
        line.set_data(layers, values)
    fig._input_line.set_ydata([p.x_std, p.x_std])
    ax_h.set_xlabel("activation value" + ("  (ReLU's exact zeros left out)" if p.zeros_dropped else ""))
    fig._exploded.set_text(f"exploded at layer {p.exploded_at}" if p.exploded_at is not None else "")
    ax_s.set_xlim(0.5, depth + 0.5)
    ax_s.set_ylim(*_std_ylim(np.concatenate([std, spread, abs_mean, [p.x_std]])))
    fig.suptitle(f"{activation} + {SCHEME_LABELS[scheme]} (s = {scale:.3g}), {depth} layers of {width}:\n"
                 f"{_verdict(p, activation)}", fontsize=12, y=0.985)
    return fig


def _case_label(scheme, scale):
    return SCHEME_LABELS[scheme] + (f", s = {scale:g}" if scheme in ("normal", "constant") or scale != 1 else "")


def plot_cases(cases, kind="activation", depth=10, width=500, n_samples=1000):
    """Ridgelines (every layer when depth ≤ 10) for two or three settings, then their per-layer std on one axis.

    cases: list of (activation, scheme, scale) triples.  kind: "activation" or "gradient" (∂L/∂h by autograd).
    """
    if isinstance(cases, (str, bytes)) or not hasattr(cases, "__len__") or not 1 <= len(cases) <= 3:
        raise ValueError(f"cases must be a list of 1 to 3 (activation, scheme, scale) triples, got {cases!r}")
    kind = v.one_of("kind", kind, ("activation", "gradient"))
    compute = activation_profile if kind == "activation" else gradient_profile
    profiles = [compute(a, s, k, depth, width, n_samples, 0) for a, s, k in cases]
    fig, axes = new_figure(2, 2, figsize=(9.6, 7.6))
    axes = axes.ravel()
    what = "activations" if kind == "activation" else "gradients ∂L/∂h"
    for i, ((act, scheme, scale), p) in enumerate(zip(cases, profiles)):
        _draw_ridges(axes[i], p, len(p.layers), colour=_COLOURS[i])
        if kind == "activation":
            word = _verdict(p, act)
        elif p.exploded_at is not None:
            word = f"exploded below layer {p.exploded_at}"
        else:
            word = f"from layer {depth} to 1 the std changes ×{p.std[0] / p.std[-1]:.2g}"
        axes[i].set_title(f"{act} + {_case_label(scheme, scale)}\n{word}", fontsize=11)
        axes[i].set_xlabel("activation value" if kind == "activation" else "gradient ∂L/∂h")
        ok = np.isfinite(p.std)
        axes[3].semilogy(np.arange(1, depth + 1)[ok], _curve(p.std, ok), "o-", color=_COLOURS[i], ms=4,
                         label=f"{act} + {_case_label(scheme, scale)}")
    for ax in axes[len(cases):3]:
        ax.set_visible(False)
    if kind == "activation":
        axes[3].axhline(profiles[0].x_std, color="0.45", lw=1, ls=":", label="input's std")
    axes[3].set(xlabel="layer", ylabel=f"std of {what} (log)", title=f"std of the {what}, per layer")
    axes[3].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[3].legend(fontsize=9)
    return fig


def _geometric_mean(r):
    return float(np.exp(np.mean(np.log(r))))


def plot_std_ratios(ratios):
    """Per-layer std ratio for several (label -> (depth,) ratios) runs, with the 1 and 1/√2 references."""
    if not isinstance(ratios, dict) or not 1 <= len(ratios) <= 4:
        raise TypeError(f"ratios must be a dict of 1 to 4 label -> per-layer ratios, got {type(ratios).__name__}")
    ratios = {str(k): v.array(f"ratios[{k!r}]", r, ndim=1) for k, r in ratios.items()}
    fig, ax = new_figure(figsize=(9.6, 4.4))
    means = {label: _geometric_mean(r) for label, r in ratios.items()}
    for (label, r), colour in zip(ratios.items(), _COLOURS):
        ax.plot(np.arange(1, len(r) + 1), r, "o-", ms=3, color=colour, label=f"{label} (×{means[label]:.2f})")
    for level, text, style in ((1.0, "1", "--"), (1 / math.sqrt(2), "1/√2", ":")):
        ax.axhline(level, color="0.4", lw=1, ls=style)
        ax.text(1.01, level, text, color="0.3", va="center", transform=ax.get_yaxis_transform())
    nearest = min(means, key=lambda k: abs(math.log(means[k])))
    lowest = min(means, key=means.get)
    # layer 1 sees the raw N(0, 1) input, which no ReLU has halved: there Kaiming's ratio is √2 (≈ 1.41)
    ax.set(xlabel="layer l", ylabel=r"$\mathrm{std}(z_l)\ /\ \mathrm{std}(z_{l-1})$", ylim=(0.5, 1.5),
           title=f"{nearest} keeps the ratio nearest 1 (×{means[nearest]:.2f} per layer); "
                 f"{lowest}: ×{means[lowest]:.2f}")
    ax.title.set_fontsize(11)
    ax.legend(loc="upper right", fontsize=9, title="mean ratio per layer", title_fontsize=9)
    return fig


def plot_symmetry(results):
    """The trained hidden weight matrices of the constant- and random-init nets, as images, each with its own colour
    scale centred on its median (a shared scale would paint the constant net's nearly equal weights one colour)."""
    if not isinstance(results, dict) or not {"constant", "random"} <= set(results):
        raise TypeError("results must be the dict that symmetry_experiment returns")
    fig, axes = new_figure(1, 2, figsize=(9.6, 3.8))
    for ax, name in zip(axes, ("constant", "random")):
        r = results[name]
        w = np.asarray(r["weights"], dtype=float)
        centre = float(np.median(w))
        half = float(np.abs(w - centre).max()) or 1e-12
        im = ax.imshow(w, cmap="RdBu_r", vmin=centre - half, vmax=centre + half, aspect="auto",
                       interpolation="nearest")
        ax.grid(False)
        ax.set(xlabel="input pixel", ylabel="hidden unit")
        ax.set_title(f"{name} init: {r['identical_rows']} of {len(w)} rows identical\n"
                     f"validation accuracy {r['accuracy']:.2f}", fontsize=11)
        fig.colorbar(im, ax=ax, label="weight", format="%.3g")
    copies = results["constant"]["identical_rows"]
    fig.suptitle(f"After training, constant init still has {copies} copies of one hidden unit", fontsize=12)
    return fig


def plot_training(histories):
    """Training loss and validation accuracy against step, one line per scheme; ln 10 marks chance."""
    if not isinstance(histories, dict) or not 1 <= len(histories) <= 6:
        raise TypeError("histories must be the dict that deep_relu_training returns")
    fig, (ax_l, ax_a) = new_figure(1, 2, figsize=(9.6, 4.0))
    for (scheme, h), colour in zip(histories.items(), [ORANGE, BLUE, GREEN, VERMILION, PURPLE, SKY]):
        label = SCHEME_LABELS.get(scheme, scheme)
        ax_l.plot(h.step, h.train_loss, color=colour, label=f"{label}: ends at {h.final('train_loss'):.2f}")
        ax_a.plot(h.step, h.val_acc, color=colour, label=f"{label}: ends at {h.final('val_acc'):.2f}")
    ax_l.axhline(math.log(10), color="0.45", lw=1, ls=":", label="chance, ln 10")
    best = min(histories, key=lambda s: histories[s].final("train_loss"))
    ax_l.set(xlabel="step", ylabel="training loss (cross-entropy)")
    ax_l.set_title(f"training loss: {SCHEME_LABELS.get(best, best)} ends lowest", fontsize=11)
    ax_a.set(xlabel="step", ylabel="validation accuracy", ylim=(0, 1))
    ax_a.set_title("validation accuracy", fontsize=11)
    ax_l.legend(fontsize=9)
    ax_a.legend(fontsize=9)
    return fig


def plot_activations_over_training(records, layers=None):
    """Heat maps: for each run (rows) and chosen layer (columns), step on x, activation value on y, colour = log count.

    records: {label: dict from `activations_over_training`}.
    """
    if not isinstance(records, dict) or not 1 <= len(records) <= 3:
        raise TypeError("records must be a dict of 1 to 3 label -> activations_over_training results")
    first = next(iter(records.values()))
    depth = first["counts"].shape[0]
    layers = layers or sorted({1, (depth + 1) // 2, depth})
    fig, axes = new_figure(len(records), len(layers), figsize=(9.6, 2.9 * len(records) + 0.4), squeeze=False)
    for row, (label, rec) in enumerate(records.items()):
        edges, steps = rec["edges"], rec["counts"].shape[1]
        for col, layer in enumerate(layers):
            ax = axes[row, col]
            ax.imshow(np.log1p(rec["counts"][layer - 1].T), origin="lower", aspect="auto", cmap="viridis",
                      extent=(0, steps, edges[0], edges[-1]), interpolation="nearest")
            ax.grid(False)
            ax.set_title(f"{label}: layer {layer}\n{100 * rec['saturated'][layer - 1, -1]:.0f}% saturated at the "
                         f"end", fontsize=10)
            ax.set(xlabel="training step" if row == len(records) - 1 else "",
                   ylabel="activation value" if col == 0 else "")
    shares = ", ".join(f"{label} {100 * rec['saturated'][-1, -1]:.0f}%" for label, rec in records.items())
    fig.suptitle(f"Layer {depth} at the last step, share with |a| > 0.95: {shares}", fontsize=12)
    return fig


VIEW_SWEEPS = {
    "plot_init_histograms": (
        [{"activation": a, "scheme": "xavier_normal", "scale": 1.0, "depth": 20, "width": 250}
         for a in ACTIVATIONS]
        + [{"activation": "relu", "scheme": s, "scale": 1.0, "depth": 20, "width": 250} for s in SCHEMES]
        + [{"activation": a, "scheme": "normal", "scale": s, "depth": d, "width": w}
           for a in ("tanh", "relu") for s in (0.001, 100.0) for d, w in ((1, 10), (50, 500))]
        + [{"activation": "relu", "scheme": "constant", "scale": 100.0, "depth": 50, "width": 500},
           {"activation": "sigmoid", "scheme": "constant", "scale": 1.0, "depth": 20, "width": 250},
           {"activation": "sigmoid", "scheme": "orthogonal", "scale": 0.001, "depth": 50, "width": 10},
           {"activation": "leaky_relu", "scheme": "kaiming_uniform", "scale": 100.0, "depth": 50, "width": 500}]
    ),
}

__all__ = [
    "LEAKY_SLOPE", "ACTIVATIONS", "SCHEMES", "SCHEME_LABELS", "EXPLODED", "VANISHED", "MAX_DEPTH", "MAX_WIDTH",
    "TANH_GAIN_DEPTH", "VIEW_SWEEPS",
    "gain", "fans", "init_std", "init_weights",
    "activation_profile", "gradient_profile", "explorer_verdict", "preactivation_stds", "std_ratios",
    "maxout_preactivation_stds", "torch_default_stats", "initial_loss", "layer_table",
    "symmetry_experiment", "deep_relu_training", "activations_over_training", "conv_fan_table", "conv_forward_std",
    "check_kaiming_std", "check_tanh_gain", "check_maxout_gain",
    "plot_init_histograms", "plot_cases", "plot_std_ratios", "plot_symmetry", "plot_training",
    "plot_activations_over_training",
    "TANH_S1_LAYER10", "TANH_S1_GRADIENT", "RELU_XAVIER_LAYER20", "SMALL_LAST_LAYER_LOSS",
]
