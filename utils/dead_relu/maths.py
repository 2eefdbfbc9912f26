"""Dead ReLUs from scratch: what "dead" means, PReLU, the dead-unit monitor and the RAI initialisation.

The file a learner reads.  In order:

1. `dead_mask`, `first_layer_dead_mask` — a unit is dead on a data set when its pre-activation is <= 0 for
   EVERY example (for a first layer: when its active half-plane holds no data point).
2. `prelu_forward`, `prelu_backward` — the parametric ReLU and its gradients (x and the slope alpha).
3. The monitor: `LayerStats` (what one layer did), `DeadUnitMonitor` (forward hooks that count, per unit, the
   examples on which it fired), `dead_unit_report` (run a model over data and return the stats) and
   `overall_dead_fraction`.  `RELU_LIKE` lists the activation modules it watches.
4. `rai_init` — randomized asymmetric initialisation (Lu et al. 2019), the remedy for nets born dead.

The experiments that use these are in `experiments.py` and `remedies.py`.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from utils import validation

from ._checks import _seed

# Activations whose output is > 0 exactly where their input is > 0, so "never positive" means the
# same thing before and after them (this also makes the monitor correct for `inplace=True` layers).
RELU_LIKE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.CELU, nn.SELU)


# ----------------------------------------------------------------------------------------------
# What "dead" means, and PReLU
# ----------------------------------------------------------------------------------------------

def dead_mask(pre):
    """Which units are dead on a data set.

    pre: (N, H) pre-activations of H units on N examples (or (N, C, ...) for channels).
    Returns a bool tensor (H,): True where the pre-activation is <= 0 for every example.
    """
    if not isinstance(pre, torch.Tensor):
        raise TypeError(f"pre must be a torch.Tensor of shape (N, H), got {type(pre).__name__}")
    if pre.is_floating_point() and not bool(torch.isfinite(pre).all()):
        raise ValueError("pre contains NaN or infinity")
    if pre.ndim < 2:
        raise ValueError(f"pre must have shape (N, H) or (N, C, ...), got shape {tuple(pre.shape)}")
    if pre.shape[0] == 0:
        raise ValueError("pre has no examples (N = 0): a unit cannot be called dead on an empty data set")
    return ~(pre > 0).transpose(0, 1).reshape(pre.shape[1], -1).any(dim=1)


def first_layer_dead_mask(weight, bias, x):
    """Dead units of a first layer: the active half-plane {x : w·x + b > 0} holds no data point.

    weight: (H, d); bias: (H,); x: (N, d).  Returns a bool tensor (H,).
    """
    weight = validation.tensor("weight", weight, ndim=2)
    bias = validation.tensor("bias", bias, shape=(weight.shape[0],))
    x = validation.tensor("x", x, shape=(None, weight.shape[1]), max_size=10**7)
    return dead_mask(x @ weight.T + bias)


def prelu_forward(x, alpha):
    """Parametric ReLU: out = x where x > 0, alpha * x elsewhere.

    x: (N, C, ...) inputs; alpha: (C,) one slope per channel, or (1,) one shared slope.
    Returns out (same shape as x) and a cache for `prelu_backward`.
    """
    x = validation.tensor("x", x, max_size=10**8)
    alpha = validation.tensor("alpha", alpha, dtype=x.dtype)
    if alpha.ndim != 1 or alpha.numel() not in (1, x.shape[1] if x.ndim > 1 else 1):
        raise ValueError(f"alpha must have shape (1,) or (C,) with C = x.shape[1]; got alpha {tuple(alpha.shape)} "
                         f"for x {tuple(x.shape)}")
    a = alpha.reshape([1, -1] + [1] * (x.ndim - 2)) if x.ndim > 1 else alpha
    out = torch.where(x > 0, x, a * x)
    return out, (x, a, alpha.shape)


def prelu_backward(dout, cache):
    """Gradients of `prelu_forward`.

    dout: upstream gradient, shape of x.  Returns dx (shape of x) and dalpha (shape of alpha).
    """
    if not (isinstance(cache, tuple) and len(cache) == 3):
        raise TypeError("cache must be the second value returned by prelu_forward")
    x, a, alpha_shape = cache
    dout = validation.tensor("dout", dout, shape=tuple(x.shape), dtype=x.dtype)
    negative = x <= 0
    dx = torch.where(negative, a * dout, dout)
    contrib = torch.where(negative, dout * x, torch.zeros_like(x))
    if alpha_shape.numel() == 1:
        dalpha = contrib.sum().reshape(alpha_shape)
    else:
        dalpha = contrib.transpose(0, 1).reshape(alpha_shape[0], -1).sum(dim=1)
    return dx, dalpha


# ----------------------------------------------------------------------------------------------
# The dead-unit monitor
# ----------------------------------------------------------------------------------------------

@dataclass
class LayerStats:
    """What one ReLU-like layer did over a data set.

    unit_active_fraction: (units,) fraction of examples (and positions) on which each unit fired;
    a dead unit has exactly 0, a healthy sparse unit something in between.
    """

    name: str
    kind: str
    unit_active_fraction: np.ndarray
    layer: int = 1                  # position among the monitored layers: "hidden layer 1, 2, …" as in the figures

    def __post_init__(self):
        if not isinstance(self.name, str) or not isinstance(self.kind, str):
            raise TypeError(f"name and kind must be strings, got {self.name!r} and {self.kind!r}")
        self.unit_active_fraction = validation.array("unit_active_fraction", self.unit_active_fraction, ndim=1)
        if np.any((self.unit_active_fraction < 0) | (self.unit_active_fraction > 1)):
            raise ValueError("unit_active_fraction must hold fractions in [0, 1]")
        self.layer = validation.integer("layer", self.layer, low=1, high=10_000)

    @property
    def n_units(self):
        return len(self.unit_active_fraction)

    @property
    def dead(self):
        """Bool array (units,): True for units that never fired."""
        return self.unit_active_fraction == 0

    @property
    def n_dead(self):
        return int(self.dead.sum())

    @property
    def dead_fraction(self):
        return self.n_dead / self.n_units

    @property
    def active_fraction(self):
        """Fraction of all outputs of the layer that were non-zero (1 - sparsity)."""
        return float(self.unit_active_fraction.mean())

    def __repr__(self):
        return (f"hidden layer {self.layer} ({self.kind}, module {self.name!r}): {self.n_dead:3d}/{self.n_units} "
                f"dead ({self.dead_fraction:.0%}), {self.active_fraction:.0%} of outputs active")


class DeadUnitMonitor:
    """Forward hooks on every ReLU-like module of a model that record which units ever fire.

    Use it as a context manager; the hooks are removed on exit:

        with DeadUnitMonitor(model) as monitor:
            for xb in batches:
                model(xb)
        monitor.stats()          # one LayerStats per ReLU-like layer

    A unit is channel dimension 1 of the layer's input ((N, H) for linear layers, (N, C, H, W) for
    convolutions).  Works on any device; the counts are kept on the CPU.  Activations called as
    functions inside `forward` (torch.relu, F.relu) cannot be hooked: use nn.ReLU modules.
    """

    def __init__(self, model, layer_types=RELU_LIKE):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if isinstance(layer_types, type):
            layer_types = (layer_types,)
        if (not isinstance(layer_types, tuple) or not layer_types
                or not all(isinstance(t, type) and issubclass(t, nn.Module) for t in layer_types)):
            raise TypeError(f"layer_types must be a tuple of torch.nn.Module classes (e.g. (nn.ReLU,)), "
                            f"got {layer_types!r:.80}")
        self.layers = [(name or type(m).__name__, m) for name, m in model.named_modules()
                       if isinstance(m, layer_types)]
        if not self.layers:
            kinds = sorted({type(m).__name__ for m in model.modules()})
            raise ValueError(f"{type(model).__name__} contains no ReLU-like module (looked for "
                             f"{[t.__name__ for t in layer_types]}, found {kinds}); if forward() calls "
                             "torch.relu or F.relu, use nn.ReLU modules instead so they can be hooked")
        self._handles = []
        self.reset()

    def reset(self):
        """Forget everything recorded so far."""
        self._active = {name: None for name, _ in self.layers}
        self._count = {name: 0 for name, _ in self.layers}

    def _hook(self, name):
        def record(module, inputs, output):
            pre = inputs[0].detach()
            if pre.ndim < 2 or pre.shape[0] == 0:
                return
            per_unit = (pre > 0).transpose(0, 1).reshape(pre.shape[1], -1)
            counts = per_unit.sum(dim=1).cpu().double()
            self._active[name] = counts if self._active[name] is None else self._active[name] + counts
            self._count[name] += per_unit.shape[1]
        return record

    def __enter__(self):
        self._handles = [m.register_forward_hook(self._hook(name)) for name, m in self.layers]
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    def remove(self):
        """Remove the hooks (done automatically when the `with` block ends)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def stats(self):
        """A list of LayerStats, one per ReLU-like layer, in the order of `model.named_modules()`."""
        if all(c == 0 for c in self._count.values()):
            raise ValueError("the monitor has seen no forward pass yet: run the model inside the `with` block")
        seen = [(name, m) for name, m in self.layers if self._count[name] > 0]
        return [LayerStats(name, type(m).__name__, (self._active[name] / self._count[name]).numpy(), i + 1)
                for i, (name, m) in enumerate(seen)]


def dead_unit_report(model, x, batch_size=1024):
    """Run `model` over the inputs x (N, ...) in eval mode and return its monitor's LayerStats list.

    Usable during training (e.g. from `train(..., on_eval=...)`): gradients are off, the model's
    train/eval mode is restored, and x is moved to the model's device.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor of inputs, got {type(x).__name__}")
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"x is an empty data set (shape {tuple(x.shape)}): need at least one example")
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ValueError("x contains NaN or infinity")
    batch_size = validation.size("batch_size", batch_size, high=10**6)
    monitor = DeadUnitMonitor(model)
    param = next(model.parameters(), None)
    if param is not None:
        x = x.to(param.device)
    was_training = model.training
    model.eval()
    try:
        with monitor, torch.no_grad():
            for i in range(0, len(x), batch_size):
                model(x[i:i + batch_size])
    finally:
        model.train(was_training)
    return monitor.stats()


def overall_dead_fraction(stats):
    """Dead units over all units of all monitored layers (a number in [0, 1])."""
    if isinstance(stats, LayerStats):
        stats = [stats]
    if not isinstance(stats, (list, tuple)) or not stats or not all(isinstance(t, LayerStats) for t in stats):
        raise TypeError(f"stats must be a list of LayerStats (from dead_unit_report), got {stats!r}"[:200])
    return sum(s.n_dead for s in stats) / sum(s.n_units for s in stats)


# ----------------------------------------------------------------------------------------------
# Randomized asymmetric initialisation
# ----------------------------------------------------------------------------------------------

def _rai_tensors(fan_in, fan_out, generator, n=1):
    """n independent RAI layers: weights (n, fan_in, fan_out) for a batched product, biases (n, 1, fan_out)."""
    v = torch.randn(n, fan_out, fan_in + 1, generator=generator) * (0.6007 / math.sqrt(fan_in))
    k = torch.randint(fan_in + 1, (n, fan_out, 1), generator=generator)
    # Beta(2, 1) is the distribution of the larger of two independent Uniform(0, 1) draws.
    positive = torch.rand(n, fan_out, 2, generator=generator).max(dim=2, keepdim=True).values
    v.scatter_(2, k, positive)
    return v[:, :, :-1].transpose(1, 2).contiguous(), v[:, None, :, -1].contiguous()


def rai_init(fan_in, fan_out, seed=0):
    """Randomized asymmetric initialisation (after Lu et al. 2019) of one layer that feeds ReLU units.

    For each unit, the row v = [w, b] (fan_in + 1 numbers) is drawn from N(0, 0.6007² / fan_in); then ONE entry of
    the row, chosen uniformly at random, is replaced by a positive draw from Beta(2, 1).  The positive entry makes
    the unit likely to be active on some inputs, which keeps deep, narrow nets from being born dead.
    Returns weight (fan_out, fan_in) and bias (fan_out,) as float32 tensors.
    """
    fan_in = validation.size("fan_in", fan_in, high=100_000)
    fan_out = validation.size("fan_out", fan_out, high=100_000)
    if fan_in * fan_out > 10**8:
        raise ValueError(f"fan_in * fan_out = {fan_in * fan_out} is too large (at most 1e8): {validation.SIZE_NOTE}")
    w, b = _rai_tensors(fan_in, fan_out, torch.Generator().manual_seed(_seed(seed)))
    return w[0].T.contiguous(), b[0, 0].contiguous()
