"""Notebook 03's experiments: per-layer profiles of activations and gradients, the variance sweeps, PyTorch's default
init, the initial loss, the training runs and the convolution checks.  Each returns data (arrays, dicts, profiles);
the figures are drawn in `figures.py`.  The formulas they rely on are in `maths.py`.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from utils import validation as v
from utils.caching import cached
from utils.device import one_cpu_thread

from ._checks import _MAX_BINS, _MAX_HIDDEN, _MAX_STEPS, MAX_DEPTH, _depth, _samples, _scale, _shape, _width
from .maths import (
    _UNIFORM,
    ACTIVATIONS,
    EXPLODED,
    SCHEMES,
    VANISHED,
    _activation,
    _layer_numbers,
    _LayerStats,
    _propagate,
    _scheme,
    _std,
    fans,
    init_weights,
)


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


@cached(maxsize=2 * MAX_DEPTH)
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


@cached(maxsize=64)
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


@cached(maxsize=16)
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


@cached(maxsize=32)
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
