"""Weight initialisation from its formulas, per-layer activation and gradient statistics, notebook 03's experiments."""

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.ticker import MaxNLocator
from torch import nn

from utils.device import one_cpu_thread
from utils.exercises import check_close, feedback
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

LEAKY_SLOPE = 0.01  # torch.nn.LeakyReLU's default negative slope
ACTIVATIONS = {
    "linear": lambda h: h,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "leaky_relu": lambda h: nn.functional.leaky_relu(h, LEAKY_SLOPE),
}
SCHEMES = ("constant", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
           "lecun_normal", "orthogonal")
SCHEME_LABELS = {"constant": "constant s", "normal": "N(0, s²)", "xavier_uniform": "Xavier uniform",
                 "xavier_normal": "Xavier normal", "kaiming_uniform": "Kaiming uniform",
                 "kaiming_normal": "Kaiming normal", "lecun_normal": "LeCun normal", "orthogonal": "orthogonal"}
EXPLODED = 1e30     # a layer whose activations exceed this (or overflow) is reported as exploded
VANISHED = 1e-30    # a std below this is reported as vanished (and drawn at this floor on log axes)
MAX_DEPTH, MAX_WIDTH = 50, 500


# ----------------------------------------------------------------------------------------------------------------
# Pure computations
# ----------------------------------------------------------------------------------------------------------------

def _check_name(kind, name, known):
    if not isinstance(name, str) or name not in known:
        raise ValueError(f"unknown {kind} {name!r}; known names: {', '.join(known)}")


def _check_positive_int(name, value, maximum=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")


def _check_scale(scale):
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.floating, np.integer)) \
            or not math.isfinite(scale) or scale < 0:
        raise ValueError(f"scale s must be a finite number >= 0, got {scale!r}")


def gain(activation):
    """The gain g of an activation (torch.nn.init.calculate_gain's values): Kaiming's std is g / sqrt(fan_in).

    linear, sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + slope²)) with slope 0.01.
    """
    _check_name("activation", activation, tuple(ACTIVATIONS))
    return {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0),
            "leaky_relu": math.sqrt(2.0 / (1.0 + LEAKY_SLOPE ** 2))}[activation]


def fans(shape):
    """(fan_in, fan_out) of a weight of shape (out, in) or (out_channels, in_channels, *kernel).

    A conv weight's fan_in is in_channels · kernel_height · kernel_width: every output value sums that many products.
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) < 2 or any(n < 1 for n in shape):
        raise ValueError(f"a weight shape needs at least 2 positive dimensions (out, in, *kernel), got {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def init_std(scheme, shape, activation="relu", scale=1.0):
    """Standard deviation of the entries that `init_weights` draws (0 for "constant").

    normal: s.  xavier_*: s·sqrt(2 / (fan_in + fan_out)).  kaiming_*: s·gain(activation) / sqrt(fan_in).
    lecun_normal: s / sqrt(fan_in).  orthogonal: s / sqrt(max(rows, cols)) (rows or columns have unit norm).
    """
    _check_name("scheme", scheme, SCHEMES)
    _check_scale(scale)
    fan_in, fan_out = fans(shape)
    if scheme == "constant":
        return 0.0
    if scheme == "normal":
        return float(scale)
    if scheme.startswith("xavier"):
        return scale * math.sqrt(2.0 / (fan_in + fan_out))
    if scheme.startswith("kaiming"):
        return scale * gain(activation) / math.sqrt(fan_in)
    if scheme == "lecun_normal":
        return scale / math.sqrt(fan_in)
    rows, cols = shape[0], math.prod(shape[1:])
    return scale / math.sqrt(max(rows, cols))


def init_weights(shape, scheme, activation="relu", scale=1.0, generator=None, dtype=torch.float32):
    """A weight tensor of `shape` drawn from `scheme`, implemented from the formulas (no torch.nn.init).

    shape: (out, in) or (out_channels, in_channels, *kernel).  scale: s — the value for "constant",
    the std for "normal", and a multiplier on every other scheme (s = 1 is the scheme as published).
    Uniform schemes draw U(-b, b) with b = sqrt(3)·std, which has that std.
    """
    std = init_std(scheme, shape, activation, scale)
    shape = tuple(int(n) for n in shape)
    if scheme == "constant":
        return torch.full(shape, float(scale), dtype=dtype)
    if scheme.endswith("uniform"):
        bound = math.sqrt(3.0) * std
        return (torch.rand(shape, generator=generator, dtype=dtype) * 2 - 1) * bound
    if scheme == "orthogonal":
        rows, cols = shape[0], math.prod(shape[1:])
        work = torch.float64 if dtype == torch.float64 else torch.float32
        a = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=work)
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))  # sign fix makes Q uniformly (Haar) distributed
        q = q if rows >= cols else q.T
        return (scale * q).reshape(shape).to(dtype)
    return torch.randn(shape, generator=generator, dtype=dtype) * std


@dataclass
class LayerStats:
    """Per-layer statistics of a forward (or backward) pass through `depth` layers.

    mean, std: (depth,) float64 arrays over all N·width values of each layer (NaN from the exploded layer on).
    exploded_at: 1-based index of the first layer that overflowed or exceeded EXPLODED, else None.
    kept: {layer (1-based): (N, width) tensor} for the layers asked for in `keep` (before any explosion).
    """

    mean: np.ndarray
    std: np.ndarray
    exploded_at: object
    kept: dict


def propagate(x, weights, activation, keep=(), factor=1.0):
    """Push x through h ← act(factor · h @ Wᵀ) for each W in `weights` (no biases, no autograd); return `LayerStats`.

    x: (N, d) tensor; weights: list of (width_l, width_{l-1}) tensors; factor: a scale shared by every weight,
    applied to the (N, width) product rather than to the matrices (cheaper, and unit weights can be cached);
    keep: 1-based layer numbers whose activations to return.  Statistics are computed in float64 so huge values
    do not overflow them.
    """
    _check_name("activation", activation, tuple(ACTIVATIONS))
    act = ACTIVATIONS[activation]
    depth = len(weights)
    mean, std = np.full(depth, np.nan), np.full(depth, np.nan)
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
            s, m = torch.std_mean(h64, correction=0)
            mean[layer - 1], std[layer - 1] = m.item(), s.item()
            if layer in keep:
                kept[layer] = h
    return LayerStats(mean, std, exploded_at, kept)


def shown_layers(depth, most=8):
    """Up to `most` layer numbers (1-based) spread evenly from 1 to depth, both ends included."""
    _check_positive_int("depth", depth)
    return tuple(int(v) for v in np.unique(np.round(np.linspace(1, depth, min(depth, most)))))


def histogram_range(activation, stds):
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
class Profile:
    """What a deep net's layers look like for one setting (the data behind the histogram plots).

    mean, std: (depth,) per layer; layers: the layer numbers histogrammed; counts: (len(layers), bins);
    edges: (bins + 1,); exploded_at: layer or None; saturated: (depth,) fraction of units within 1% of a bound
    of tanh/sigmoid (zeros otherwise); zeros_dropped: True when exact zeros (ReLU's) are left out of the counts.
    """

    mean: np.ndarray
    std: np.ndarray
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
    kind = "orthogonal" if scheme == "orthogonal" else "uniform" if scheme.endswith("uniform") else "normal"
    std = init_std(scheme, (width, width), activation, scale)
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


@functools.lru_cache(maxsize=64)
@one_cpu_thread()
def activation_profile(activation="tanh", scheme="xavier_normal", scale=1.0, depth=10, width=500,
                       n_samples=1000, seed=0, bins=60):
    """Forward N(0, 1) inputs (n_samples, width) through `depth` square layers of `width` units (no biases).

    Returns a `Profile` (cached: a slider that comes back to a setting costs nothing).
    """
    _check_name("activation", activation, tuple(ACTIVATIONS))
    _check_name("scheme", scheme, SCHEMES)
    _check_scale(scale)
    _check_positive_int("depth", depth)
    _check_positive_int("width", width)
    _check_positive_int("n_samples", n_samples)
    layers = shown_layers(depth)
    units, factor = _unit_weights(scheme, activation, scale, depth, width, seed)
    stats = propagate(_inputs(n_samples, width, seed), units, activation, keep=layers, factor=factor)
    return _profile(stats, activation, layers, bins)


def _profile(stats, activation, layers, bins):
    layers = tuple(layer for layer in layers if layer in stats.kept)
    stds = [stats.std[layer - 1] for layer in layers]
    edges = np.linspace(*histogram_range(activation, stds), bins + 1)
    counts = np.array([_counts(stats.kept[layer], activation, edges) for layer in layers]).reshape(len(layers), bins)
    saturated = np.zeros(len(stats.std))
    if activation in ("tanh", "sigmoid"):
        lo, hi = histogram_range(activation, stds)
        for layer, h in stats.kept.items():
            saturated[layer - 1] = ((h <= lo + 0.01 * (hi - lo)) | (h >= hi - 0.01 * (hi - lo))).double().mean().item()
    return Profile(stats.mean, stats.std, layers, counts, edges, stats.exploded_at, saturated,
                   zeros_dropped=activation == "relu")


@functools.lru_cache(maxsize=16)
@one_cpu_thread()
def gradient_profile(activation="tanh", scheme="xavier_normal", scale=1.0, depth=10, width=500,
                     n_samples=1000, seed=0, bins=60):
    """Back-propagated gradients ∂L/∂h_l of every layer's activations, by autograd, as a `Profile`.

    The loss is L = Σ h_depth · u with u ~ N(0, 1) fixed (seeded), so the gradient arriving at the top
    has std 1 and any change on the way down is the network's doing.
    """
    _check_name("activation", activation, tuple(ACTIVATIONS))
    _check_positive_int("depth", depth)
    _check_positive_int("width", width)
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
    mean = np.array([g.double().mean().item() for g in grads])
    std = np.array([g.double().std(correction=0).item() for g in grads])
    bad = [i for i, g in enumerate(grads) if not torch.isfinite(g).all() or g.abs().max() > EXPLODED]
    exploded_at = max(bad) + 1 if bad else None  # gradients explode going *down*: the deepest bad index counts
    if bad:
        mean[: exploded_at], std[: exploded_at] = np.nan, np.nan
    layers = tuple(layer for layer in shown_layers(depth) if exploded_at is None or layer > exploded_at)
    stats = LayerStats(mean, std, exploded_at, {layer: grads[layer - 1] for layer in layers})
    return _profile(stats, "linear", layers, bins)


@one_cpu_thread()
def std_ratios(activation, scheme, depth=50, width=256, n_samples=512, seed=0):
    """Per-layer ratio std_l / std_{l-1} of the pre-activations (layer 0 = the N(0, 1) input), shape (depth,).

    Pre-activations (h @ Wᵀ before the nonlinearity) are what the variance argument is about.
    """
    _check_name("activation", activation, tuple(ACTIVATIONS))
    _check_positive_int("depth", depth)
    act = ACTIVATIONS[activation]
    weights = _net_weights(scheme, activation, 1.0, depth, width, seed)
    h = _inputs(n_samples, width, seed)
    stds = [h.double().std().item()]
    with torch.no_grad():
        for layer, w in enumerate(weights):
            z = (h if layer == 0 else act(h)) @ w.T
            stds.append(z.double().std().item())
            h = z
    stds = np.array(stds)
    return stds[1:] / stds[:-1]


def _digits(device):
    from utils.data import load_dataset

    return load_dataset("digits", seed=0, device=device or "cpu")


def symmetry_experiment(steps=300, lr=0.5, hidden=32, constant=0.1, seed=0, device=None):
    """Train a 64-32-10 tanh net on digits from (a) every weight = `constant` and (b) random (Kaiming) weights,
    and (c) logistic regression 64-10 from all zeros.

    Returns a dict name -> {"accuracy": val accuracy, "rank": numerical rank of the hidden weight matrix,
    "spread": largest difference between two hidden units' incoming weights, "weights": (hidden, 64) array}.
    """
    from utils.training import train

    with one_cpu_thread(device):
        return _symmetry(steps, lr, hidden, constant, seed, device, train)


def _symmetry(steps, lr, hidden, constant, seed, device, train):
    torch.manual_seed(seed)
    data = _digits(device)
    results = {}
    for name in ("constant", "random", "logistic"):
        if name == "logistic":
            model = nn.Sequential(nn.Linear(64, 10))
            nn.init.zeros_(model[0].weight)
            nn.init.zeros_(model[0].bias)
        else:
            model = nn.Sequential(nn.Linear(64, hidden), nn.Tanh(), nn.Linear(hidden, 10))
            g = torch.Generator().manual_seed(seed)
            for layer in (model[0], model[2]):
                w = init_weights(tuple(layer.weight.shape), "constant" if name == "constant" else "kaiming_normal",
                                 "tanh", constant if name == "constant" else 1.0, generator=g)
                with torch.no_grad():
                    layer.weight.copy_(w)
                    layer.bias.zero_()
        hist = train(model, data, steps=steps, lr=lr, batch_size=None, eval_every=steps, seed=seed, device=device)
        w = model[0].weight.detach().cpu().double()
        sv = torch.linalg.svdvals(w)
        results[name] = {"accuracy": hist.final("val_acc"),
                         "rank": int((sv > 1e-6 * sv[0]).sum()) if sv[0] > 0 else 0,
                         "spread": float((w - w[0]).abs().max()),
                         "weights": w.numpy()}
    return results


def _deep_relu_mlp(depth, width, scheme, seed):
    sizes = [64] + [width] * (depth - 1) + [10]
    model = nn.Sequential()
    g = torch.Generator().manual_seed(seed)
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(a, b)
        with torch.no_grad():
            lin.weight.copy_(init_weights((b, a), scheme, "relu", generator=g))
            lin.bias.zero_()
        model.append(lin)
        if i < len(sizes) - 2:
            model.append(nn.ReLU())
    return model


def deep_relu_training(depth=20, width=64, steps=300, lr=0.01, schemes=("xavier_normal", "kaiming_normal"),
                       seed=0, device=None):
    """Train a plain `depth`-layer ReLU MLP on digits once per init scheme (SGD with momentum, mini-batches of 64).

    Returns {scheme: utils.training.History}; same seed, same data order for every scheme.
    """
    from utils.training import train

    _check_positive_int("depth", depth)
    data = _digits(device)
    out = {}
    with one_cpu_thread(device):
        for scheme in schemes:
            torch.manual_seed(seed)
            model = _deep_relu_mlp(depth, width, scheme, seed)
            out[scheme] = train(model, data, steps=steps, lr=lr, optimizer="momentum", batch_size=64,
                                eval_every=10, seed=seed, device=device)
    return out


def activations_over_training(scheme="normal", scale=1.0, activation="tanh", depth=6, width=64, steps=200,
                              lr=0.05, bins=40, seed=0, device=None):
    """Train a `depth`-layer net on digits and record, at every step, each hidden layer's activation histogram.

    Returns {"counts": (depth - 1, steps, bins) array, "edges": (bins + 1,), "loss": (steps,)}.
    The histograms are taken on the training mini-batch of that step (the activations the update sees).
    """
    _check_name("activation", activation, tuple(ACTIVATIONS))
    _check_positive_int("depth", depth)
    _check_positive_int("steps", steps)
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
    edges = np.linspace(*histogram_range(activation, [1.0]), bins + 1)
    counts = np.zeros((depth - 1, steps, bins))
    losses = np.zeros(steps)
    order = torch.Generator().manual_seed(seed)
    for step in range(steps):
        idx = torch.randint(len(data.x_train), (64,), generator=order).to(device)
        h = data.x_train[idx]
        for layer, (w, b) in enumerate(zip(weights, biases)):
            h = h @ w.T + b
            if layer < depth - 1:
                h = act(h)
                counts[layer, step] = np.histogram(h.detach().cpu().numpy(), bins=edges)[0]
        loss = nn.functional.cross_entropy(h, data.y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[step] = loss.item()
    return {"counts": counts, "edges": edges, "loss": losses}


def conv_fan_table(shape=(32, 16, 3, 3), activation="relu", seed=0):
    """For a conv weight `shape`, compare the helper's fans and stds with torch.nn.init's draws.

    Returns rows (scheme, fan_in, fan_out, formula std, std of helper's sample, std of torch's sample).
    """
    fan_in, fan_out = fans(shape)
    g = torch.Generator().manual_seed(seed)
    torch_init = {"xavier_uniform": lambda w: nn.init.xavier_uniform_(w),
                  "xavier_normal": lambda w: nn.init.xavier_normal_(w),
                  "kaiming_uniform": lambda w: nn.init.kaiming_uniform_(w, nonlinearity=activation),
                  "kaiming_normal": lambda w: nn.init.kaiming_normal_(w, nonlinearity=activation)}
    rows = []
    for scheme, fn in torch_init.items():
        ours = init_weights(shape, scheme, activation, generator=g)
        torch.manual_seed(seed)
        theirs = fn(torch.empty(shape))
        rows.append((scheme, fan_in, fan_out, init_std(scheme, shape, activation),
                     ours.std().item(), theirs.std().item()))
    return rows


@one_cpu_thread()
def conv_forward_std(scheme="kaiming_normal", depth=8, channels=32, size=16, seed=0):
    """Std of the output of each of `depth` 3x3 conv + ReLU layers on N(0, 1) images; shape (depth,).

    Circular padding gives every output pixel the full fan_in (zero padding would shrink the border's variance).
    """
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(16, channels, size, size, generator=g)
    out = []
    with torch.no_grad():
        for _ in range(depth):
            w = init_weights((channels, channels, 3, 3), scheme, "relu", generator=g)
            h = torch.relu(nn.functional.conv2d(nn.functional.pad(h, (1, 1, 1, 1), mode="circular"), w))
            out.append(h.std().item())
    return np.array(out)


def layer_table(columns, fmt="{:>12.3g}"):
    """A text table with one row per layer: columns is {name: (depth,) values}; NaN is shown as "exploded"."""
    names = list(columns)
    depth = max(len(v) for v in columns.values())
    lines = ["layer" + "".join(f"{name:>{max(14, len(name) + 2)}}" for name in names)]
    for i in range(depth):
        cells = []
        for name in names:
            v = columns[name][i] if i < len(columns[name]) else float("nan")
            text = "exploded" if not np.isfinite(v) else fmt.format(v).strip()
            cells.append(f"{text:>{max(14, len(name) + 2)}}")
        lines.append(f"{i + 1:>5}" + "".join(cells))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------------
# Exercise checkers
# ----------------------------------------------------------------------------------------------------------------

def check_kaiming_std(answer, fan_in=300):
    """Exercise: the std of Kaiming normal for a ReLU layer with `fan_in` inputs."""
    return check_close(answer, math.sqrt(2.0 / fan_in), rtol=1e-3, atol=0.0,
                       what=f"your std for fan_in = {fan_in}")


def last_layer_ratio(scheme, activation="relu", depth=30, width=256, seed=0):
    """std of the last layer's activations divided by the first layer's, for a net from `activation_profile`."""
    p = activation_profile(activation, scheme, 1.0, depth, width, 256, seed)
    if p.exploded_at is not None:
        return math.inf
    return float(p.std[-1] / p.std[0])


def check_keeps_spread(answer, activation="relu", depth=30, width=256, band=(0.5, 2.0)):
    """Exercise: name a scheme (one of SCHEMES, at s = 1) whose last layer keeps its std within `band` × the first."""
    if not isinstance(answer, str) or answer not in SCHEMES:
        return feedback(False, f"answer with one of the scheme names {SCHEMES}, got {answer!r}")
    ratio = last_layer_ratio(answer, activation, depth, width)
    ok = band[0] <= ratio <= band[1]
    return feedback(ok, f"with {answer} the last layer's std is {ratio:.3g} × the first layer's "
                        f"(wanted {band[0]}–{band[1]}): try again",
                    f"Correct! With {answer}, layer {depth} keeps {ratio:.2f} × layer 1's std.")


# ----------------------------------------------------------------------------------------------------------------
# Plotting
# ----------------------------------------------------------------------------------------------------------------

def verdict(profile, activation):
    """A few words on what happens to the activations across the layers (used in titles)."""
    if profile.exploded_at is not None:
        return f"exploded (overflow) at layer {profile.exploded_at}"
    first, last = profile.std[0], profile.std[-1]
    if last < VANISHED:
        return "vanished to exactly 0"
    if activation in ("tanh", "sigmoid") and profile.saturated[len(profile.std) - 1] > 0.5:
        return f"saturated: {100 * profile.saturated[-1]:.0f}% of the last layer at a bound"
    ratio = last / first if first > 0 else 1.0
    if ratio < 0.1:
        return f"collapses: std shrinks {1 / ratio:.3g}× from layer 1"
    if ratio > 10:
        return f"grows: std {ratio:.3g}× layer 1's"
    return f"keeps its spread (last/first std {ratio:.2f})"


def _ridge_heights(counts):
    """Each row scaled to peak 0.9 (one row = one layer); empty rows stay flat."""
    peak = counts.max(axis=1, keepdims=True).astype(float)
    return 0.9 * np.divide(counts, peak, out=np.zeros(counts.shape), where=peak > 0)


def _draw_ridges(ax, profile, n_slots, colour=BLUE):
    """Draw a ridgeline (the i-th shown layer's histogram at height offset i) with `n_slots` reusable step artists."""
    artists = [draw_hist(ax, np.zeros(len(profile.edges) - 1), profile.edges, fill=True, color=colour,
                         baseline=0.0, alpha=0.6) for _ in range(n_slots)]
    _update_ridges(ax, artists, profile)
    ax.set_ylabel("layer (deeper ↑)")
    ax.tick_params(axis="y", length=0)
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


def _curve_data(profile):
    depth = len(profile.std)
    ok = np.isfinite(profile.std)
    layers = np.arange(1, depth + 1)[ok]
    return layers, profile.mean[ok], np.maximum(profile.std[ok], VANISHED)


def _std_ylim(std):
    if std.size == 0:
        return (1e-3, 10.0)
    lo, hi = float(std.min()), float(std.max())
    return (10.0 ** math.floor(math.log10(lo) - 0.3), 10.0 ** math.ceil(math.log10(hi) + 0.3))


def _explorer_figure(profile, layers, std, abs_mean):
    """Build the explorer's figure once; `plot_init_histograms` then only updates its artists.

    The layout is fixed, with room for the widest tick labels: constrained layout re-solved it on every redraw, and
    automatic title and axis-label placement measured every tick label again (together about half the drawing time).
    """
    fig, (ax_h, ax_s) = new_figure(1, 2, figsize=(12, 4.6))
    fig.set_layout_engine("none")
    ax_h.set_position([0.07, 0.14, 0.48, 0.70])
    ax_s.set_position([0.645, 0.14, 0.34, 0.70])
    fig._ridges = _draw_ridges(ax_h, profile, 8)
    ax_s.semilogy(layers, std, "o-", color=BLUE, ms=4, label="std")
    ax_s.semilogy(layers, abs_mean, "s--", color=ORANGE, ms=3, lw=1.5, label="|mean|")
    light_log_axis(ax_s)
    ax_h.xaxis.set_major_locator(MaxNLocator(nbins=5))  # every tick is drawn twice per redraw: keep a few
    ax_h.grid(False, axis="y")  # horizontal lines would cut the ridges at arbitrary heights
    ax_s.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True, min_n_ticks=1))
    ax_s.legend(loc="lower left", fontsize=11)
    ax_h.set_title("activation histograms, per layer", y=1.02)
    ax_s.set_title("spread per layer", y=1.02)
    ax_s.set(xlabel="layer", ylabel="activation std, |mean| (log)")
    for ax, ylabel_x in ((ax_h, -0.065), (ax_s, -0.16)):
        ax.xaxis.set_label_coords(0.5, -0.11)
        ax.yaxis.set_label_coords(ylabel_x, 0.5)
    fig._exploded = ax_s.text(0.5, 0.5, "", transform=ax_s.transAxes, ha="center", color=VERMILION,
                              fontsize=14, fontweight="bold")
    return fig


def plot_init_histograms(activation="relu", scheme="xavier_normal", scale=1.0, depth=20, width=250, fig=None):
    """The explorer: per-layer activation histograms (a ridgeline, layer 1 at the bottom) and per-layer std and |mean|.

    200 N(0, 1) inputs go through `depth` layers of `width` units, weights from `scheme` at scale s (see
    `init_weights`).  Returns the Figure; pass it back as `fig` to update it in place.
    """
    _check_positive_int("depth", depth, MAX_DEPTH)
    _check_positive_int("width", width, MAX_WIDTH)
    p = activation_profile(activation, scheme, float(scale), int(depth), int(width), 200, 0)
    layers, mean, std = _curve_data(p)
    abs_mean = np.maximum(np.abs(mean), std.min() * 1e-3) if std.size else mean
    title = f"{activation} + {SCHEME_LABELS[scheme]} (s = {scale:.3g}): {verdict(p, activation)}"
    if fig is None:
        fig = _explorer_figure(p, layers, std, abs_mean)
        ax_h, ax_s = fig.axes[:2]
    else:
        ax_h, ax_s = fig.axes[:2]
        _update_ridges(ax_h, fig._ridges, p)
        ax_s.lines[0].set_data(layers, std)
        ax_s.lines[1].set_data(layers, abs_mean)
    ax_h.set_xlabel("activation value" + ("  (ReLU's exact zeros left out)" if p.zeros_dropped else ""))
    fig._exploded.set_text(f"exploded at layer {p.exploded_at}" if p.exploded_at is not None else "")
    ax_s.set_xlim(0.5, depth + 0.5)
    ax_s.set_ylim(*_std_ylim(np.concatenate([std, abs_mean])))
    fig.suptitle(title, fontsize=14)
    return fig


def plot_cases(cases, kind="activation", depth=10, width=500, n_samples=1000):
    """Side-by-side ridgelines for a few settings, then their per-layer mean and std on shared axes.

    cases: list of (activation, scheme, scale) triples.  kind: "activation" or "gradient" (∂L/∂h by autograd).
    """
    if kind not in ("activation", "gradient"):
        raise ValueError(f"kind must be 'activation' or 'gradient', got {kind!r}")
    compute = activation_profile if kind == "activation" else gradient_profile
    profiles = [compute(a, s, float(k), depth, width, n_samples, 0) for a, s, k in cases]
    n = len(profiles)
    fig, axes = new_figure(1, n + 2, figsize=(4.0 * (n + 2), 4.4))
    colours = [BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY]
    for i, ((act, scheme, scale), p) in enumerate(zip(cases, profiles)):
        label = f"{SCHEME_LABELS[scheme]}" + (f", s={scale:g}" if scheme in ("normal", "constant") or scale != 1
                                               else "")
        _draw_ridges(axes[i], p, len(p.layers), colour=colours[i])
        word = verdict(p, act) if kind == "activation" else (
            f"layer {depth} → 1: std ×{p.std[0] / p.std[-1]:.3g}" if p.exploded_at is None else
            f"exploded below layer {p.exploded_at}")
        axes[i].set_title(f"{label}\n{word}", fontsize=12)
        axes[i].set_xlabel("activation value" if kind == "activation" else "gradient ∂L/∂h")
        layers, mean, std = _curve_data(p)
        axes[n].plot(layers, mean, "o-", color=colours[i], ms=4, label=label)
        axes[n + 1].semilogy(layers, std, "o-", color=colours[i], ms=4, label=label)
    what = "activations" if kind == "activation" else "gradients ∂L/∂h"
    axes[n].set(xlabel="layer", ylabel=f"mean of {what}", title="mean per layer")
    axes[n + 1].set(xlabel="layer", ylabel=f"std of {what} (log)", title="std per layer")
    axes[n + 1].legend(fontsize=10)
    return fig


def plot_std_ratios(ratios):
    """Per-layer std ratio for several (label -> (depth,) ratios) runs, with the 1 and 1/√2 references."""
    fig, ax = new_figure(figsize=(9, 4.2))
    for (label, r), colour in zip(ratios.items(), [BLUE, ORANGE, GREEN, VERMILION]):
        ax.plot(np.arange(1, len(r) + 1), r, "o-", ms=3, color=colour, label=label)
    for level, text, style in ((1.0, "1", "--"), (1 / math.sqrt(2), "1/√2", ":")):
        ax.axhline(level, color="0.4", lw=1, ls=style)
        ax.text(1.01, level, text, color="0.3", va="center", transform=ax.get_yaxis_transform())
    # layer 1 sees the raw N(0, 1) input, which no ReLU has halved: there Kaiming's ratio is √2 (≈ 1.41)
    ax.set(xlabel="layer l", ylabel=r"$\mathrm{std}(z_l)\ /\ \mathrm{std}(z_{l-1})$", ylim=(0.5, 1.5),
           title="Matched scheme keeps the ratio at 1; Xavier with ReLU loses 1/√2 per layer")
    ax.legend(loc="upper right", fontsize=10)
    return fig


def plot_symmetry(results):
    """The trained hidden weight matrices of the constant- and random-init nets, as images."""
    fig, axes = new_figure(1, 2, figsize=(11, 3.8))
    for ax, name in zip(axes, ("constant", "random")):
        w = results[name]["weights"]
        lim = float(np.abs(w).max()) or 1.0
        im = ax.imshow(w, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
        ax.grid(False)
        ax.set(xlabel="input pixel", ylabel="hidden unit",
               title=f"{name} init: rank {results[name]['rank']}, val acc {results[name]['accuracy']:.2f}")
        fig.colorbar(im, ax=ax, label="weight")
    fig.suptitle("After training, constant init still has 32 copies of one hidden unit")
    return fig


def plot_training(histories):
    """Training loss and validation accuracy against step, one line per scheme."""
    fig, (ax_l, ax_a) = new_figure(1, 2, figsize=(11, 4))
    for (scheme, h), colour in zip(histories.items(), [ORANGE, BLUE, GREEN]):
        ax_l.plot(h.step, h.train_loss, color=colour, label=SCHEME_LABELS.get(scheme, scheme))
        ax_a.plot(h.step, h.val_acc, color=colour, label=SCHEME_LABELS.get(scheme, scheme))
    ax_l.set(xlabel="step", ylabel="training loss (cross-entropy)", title="loss")
    ax_a.set(xlabel="step", ylabel="validation accuracy", title="accuracy", ylim=(0, 1))
    ax_a.legend()
    return fig


def plot_activations_over_training(records, layers=None):
    """Heat maps: for each run (rows) and chosen layer (columns), step on x, activation value on y, colour = log count.

    records: {label: dict from `activations_over_training`}.
    """
    first = next(iter(records.values()))
    depth = first["counts"].shape[0]
    layers = layers or sorted({1, (depth + 1) // 2, depth})
    fig, axes = new_figure(len(records), len(layers), figsize=(4.2 * len(layers), 2.9 * len(records)), squeeze=False)
    for row, (label, rec) in enumerate(records.items()):
        edges, steps = rec["edges"], rec["counts"].shape[1]
        for col, layer in enumerate(layers):
            ax = axes[row, col]
            ax.imshow(np.log1p(rec["counts"][layer - 1].T), origin="lower", aspect="auto", cmap="viridis",
                      extent=(0, steps, edges[0], edges[-1]))
            ax.grid(False)
            ax.set_title(f"{label}: layer {layer}", fontsize=12)
            ax.set(xlabel="training step" if row == len(records) - 1 else "",
                   ylabel="activation value" if col == 0 else "")
    fig.suptitle("Activation histograms over training (colour: log(1 + count)): a bad start stays saturated")
    return fig


VIEW_SWEEPS = {
    "plot_init_histograms": (
        [{"activation": a, "scheme": "xavier_normal", "scale": 1.0, "depth": 20, "width": 250}
         for a in ACTIVATIONS]
        + [{"activation": "relu", "scheme": s, "scale": 1.0, "depth": 20, "width": 250} for s in SCHEMES]
        + [{"activation": a, "scheme": "normal", "scale": s, "depth": d, "width": w}
           for a in ("tanh", "relu") for s in (0.001, 100.0) for d, w in ((1, 10), (50, 500))]
        + [{"activation": "relu", "scheme": "constant", "scale": 100.0, "depth": 50, "width": 500},
           {"activation": "sigmoid", "scheme": "orthogonal", "scale": 0.001, "depth": 50, "width": 10},
           {"activation": "leaky_relu", "scheme": "kaiming_uniform", "scale": 100.0, "depth": 50, "width": 500}]
    ),
}
