"""Dead ReLUs: a monitor that finds them, the mechanisms that kill them, and the experiments of notebook 05.

Public (what the notebook and learners call): the computations (`dead_mask`, `first_layer_dead_mask`,
`prelu_forward`, `prelu_backward`, `born_dead_probability`, `rai_init`), the monitor (`LayerStats`,
`DeadUnitMonitor`, `dead_unit_report`, `overall_dead_fraction`), the experiments (`make_task`, `make_net`,
`WarmupSGD`, `train_copies`, `train_lr_sweep`, `lr_sweep`, `lr_index`, `first_layer_dead_counts`, `dead_at_birth`,
`compare_remedies`, `summarise_remedies`, `format_table`, `prelu_slope_trace`, `prelu_slopes_under_decay`,
`revival_experiment`), the exercise checkers (`check_*`), the figures (`plot_*`) and the predictions asked in the
notebook (`LAYER2_DEAD_AT_LARGE_LR`, `BORN_DEAD_NARROW`, `PRELU_DIVERGES`, `PLAIN_REVIVAL`).  Everything else is
private.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.lines import Line2D
from torch import nn
from torch.nn import functional as F

from utils import validation
from utils.data import load_dataset
from utils.device import one_cpu_thread
from utils.exercises import feedback, learner_number
from utils.plotstyle import BLUE, GREEN, ORANGE, PALETTE, PURPLE, VERMILION, new_figure
from utils.predictions import Prediction
from utils.training import evaluate, make_mlp, train

# Activations whose output is > 0 exactly where their input is > 0, so "never positive" means the
# same thing before and after them (this also makes the monitor correct for `inplace=True` layers).
RELU_LIKE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.CELU, nn.SELU)

# The task every experiment of the notebook shares: two moons, a 2-32-32-2 ReLU net, plain SGD.
TASK = "moons"
SIZES = (2, 32, 32, 2)
STEPS = 300
BATCH_SIZE = 32
SNAPSHOT_EVERY = 10
LR_EXPONENTS = tuple(-2 + 0.25 * k for k in range(13))     # learning rates 10**-2 … 10**1
LARGE_LR = 10 ** 0.5
ACTIVATION_NAMES = ("relu", "leaky", "leaky_0.25", "prelu", "elu")
INIT_NAMES = ("default", "kaiming", "rai")
MAX_STEPS = 5000          # the most SGD steps an experiment runs (a few seconds on the CPU)


def _seed(seed, name="seed"):
    return validation.seed_value(name, seed)


def _positive_list(name, values, high, whole=False, max_len=64):
    """A non-empty list of positive numbers (whole numbers if `whole`), each at most `high`."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a list of numbers, got {values!r}")
    values = list(values)
    if not values or len(values) > max_len:
        raise ValueError(f"{name} must hold 1 to {max_len} values, got {len(values)}")
    if whole:
        return [validation.integer(name, v, low=1, high=high) for v in values]
    return [validation.finite_number(name, v, low=0, high=high, low_open=True) for v in values]


# ----------------------------------------------------------------------------------------------
# Pure computations
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


def born_dead_probability(depths, widths, n_nets=4000, n_inputs=64, d_in=2, seed=0, device=None, init="he"):
    """Monte Carlo estimate of P(a freshly initialised deep ReLU net is born dead), after Lu et al. (2019).

    Each net has `depth` hidden layers of `width` ReLU units, He-normal weights, zero biases, and is
    evaluated on n_inputs points drawn uniformly from [-1, 1]^d_in.  It is born dead when some hidden
    layer outputs zero for every input: every later layer then sees zeros and the output is constant.
    All nets of one width are simulated at once (batched matrix products), and since a zero layer stays
    zero, one pass up to max(depths) answers every depth.
    init: "he" (He-normal weights, zero biases) or "rai" (`rai_init`: weights and biases, Lu et al.'s remedy).
    Returns an array (len(widths), len(depths)) of probabilities.  Results are cached.
    """
    depths = _positive_list("depths", depths, high=200, whole=True, max_len=200)
    widths = _positive_list("widths", widths, high=256, whole=True, max_len=16)
    n_nets = validation.size("n_nets", n_nets, high=20_000)
    n_inputs = validation.size("n_inputs", n_inputs, high=1024)
    d_in = validation.size("d_in", d_in, high=64)
    if n_nets * n_inputs * max(max(widths), d_in) > 5 * 10**7:
        raise ValueError(f"n_nets * n_inputs * width = {n_nets * n_inputs * max(widths)} is too large (at most 5e7): "
                         f"{validation.SIZE_NOTE}")
    init = validation.one_of("init", init, ("he", "rai"))
    device = validation.device_value("device", device)
    return _born_dead_probability(tuple(depths), tuple(widths), n_nets, n_inputs, d_in, _seed(seed), str(device),
                                  init).copy()


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _born_dead_probability(depths, widths, n_nets, n_inputs, d_in, seed, device, init):
    g = torch.Generator().manual_seed(seed)
    device = torch.device(device)
    x = (2 * torch.rand(n_nets, n_inputs, d_in, generator=g) - 1).to(device)
    probs = np.zeros((len(widths), len(depths)))
    for i, width in enumerate(widths):
        h, fan_in = x, d_in
        first_dead = torch.full((n_nets,), math.inf, device=device)
        for layer in range(1, max(depths) + 1):
            if init == "he":
                h = torch.relu(torch.bmm(h, (torch.randn(n_nets, fan_in, width, generator=g)
                                              * math.sqrt(2.0 / fan_in)).to(device)))
            else:
                w, b = _rai_tensors(fan_in, width, g, n_nets)
                h = torch.relu(torch.baddbmm(b.to(device), h, w.to(device)))
            all_zero = ~(h > 0).flatten(1).any(dim=1)
            first_dead = torch.where(all_zero & (first_dead == math.inf),
                                     torch.full_like(first_dead, layer), first_dead)
            fan_in = width
        probs[i] = [(first_dead <= d).float().mean().item() for d in depths]
    return probs


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
# Experiments
# ----------------------------------------------------------------------------------------------

def make_task(seed=0, device="cpu"):
    """The two-moons data set all experiments share (300 training, 100 validation points)."""
    return load_dataset(TASK, n=400, seed=_seed(seed), device=validation.device_value("device", device))


def make_net(activation="relu", init="default", bias_init=0.0, batchnorm=False, seed=0):
    """The seeded 2-32-32-2 net of the notebook, in one of the variants the remedies table compares.

    activation: "relu", "leaky" (slope 0.01), "prelu" (one learned slope per unit, starts at 0.25), "elu".
    init: "default" (PyTorch's), "kaiming" (He-normal weights, biases = bias_init).
    """
    makers = {"relu": nn.ReLU, "leaky": lambda: nn.LeakyReLU(0.01), "leaky_0.25": lambda: nn.LeakyReLU(0.25),
              "elu": nn.ELU}
    widths = iter(SIZES[1:-1])
    makers["prelu"] = lambda: nn.PReLU(next(widths), init=0.25)
    validation.one_of("activation", activation, ACTIVATION_NAMES)
    validation.one_of("init", init, INIT_NAMES)
    bias_init = validation.finite_number("bias_init", bias_init, low=-100, high=100)
    batchnorm = validation.boolean("batchnorm", batchnorm)
    seed = _seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = make_mlp(SIZES, activation=makers[activation], batchnorm=batchnorm)
        if init == "kaiming":
            for layer in net:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                    nn.init.constant_(layer.bias, bias_init)
    if init == "rai":
        g = torch.Generator().manual_seed(seed)
        hidden = [m for m in net if isinstance(m, nn.Linear)][:-1]
        with torch.no_grad():
            for layer in hidden:
                w, b = _rai_tensors(layer.in_features, layer.out_features, g)
                layer.weight.copy_(w[0].T)
                layer.bias.copy_(b[0, 0])
    return net


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


class WarmupSGD(torch.optim.SGD):
    """Plain SGD whose learning rate rises linearly from lr/warmup_steps to lr over the first steps."""

    def __init__(self, params, lr, warmup_steps=100, weight_decay=0.0):
        lr = validation.finite_number("lr", lr, low=0, low_open=True)
        warmup_steps = validation.size("warmup_steps", warmup_steps, high=10**6)
        weight_decay = validation.finite_number("weight_decay", weight_decay, low=0, high=1)
        super().__init__(params, lr=lr, weight_decay=weight_decay)
        self.warmup_steps, self.t = int(warmup_steps), 0
        self.base_lrs = [group["lr"] for group in self.param_groups]

    def step(self, closure=None):
        self.t += 1
        for group, base in zip(self.param_groups, self.base_lrs):
            group["lr"] = base * min(1.0, self.t / self.warmup_steps)
        return super().step(closure)


@dataclass
class _StackedLayer:
    """One layer of k same-shaped nets, each tensor with a leading copy dimension k (see `_stack_nets`)."""

    kind: str               # "linear", "batchnorm", "prelu" or "elementwise"
    params: list            # trained: [W (k, in, out), b (k, 1, out)], [gamma, beta (k, 1, H)] or [alpha (k, 1, H)]
    buffers: list           # batchnorm only: [running mean, running var (k, 1, H)]
    module: nn.Module       # the first net's module (its settings; element-wise layers are applied as they are)


def _stack_nets(nets, device):
    """The layers of k nets of one architecture (a Sequential of Linear, BatchNorm1d, PReLU and
    element-wise activations) with every parameter stacked along a new leading copy dimension."""
    layers = []
    for mods in zip(*nets):
        def stack(get, trained=True, mods=mods):
            t = torch.stack([get(m).detach() for m in mods]).to(device).clone()
            return t.requires_grad_() if trained else t
        m = mods[0]
        if isinstance(m, nn.Linear):
            layers.append(_StackedLayer("linear", [stack(lambda m: m.weight.T), stack(lambda m: m.bias[None])], [], m))
        elif isinstance(m, nn.BatchNorm1d):
            layers.append(_StackedLayer("batchnorm", [stack(lambda m: m.weight[None]), stack(lambda m: m.bias[None])],
                                        [stack(lambda m: m.running_mean[None], False),
                                         stack(lambda m: m.running_var[None], False)], m))
        elif isinstance(m, nn.PReLU):
            layers.append(_StackedLayer("prelu", [stack(lambda m: m.weight[None])], [], m))
        else:
            layers.append(_StackedLayer("elementwise", [], [], m))
    return layers


def _stacked_forward(layers, x, training=True):
    """Run k stacked nets on x: (B, d) shared by every copy, or (k, B, d) one batch per copy.

    Batch norm uses the batch statistics and updates its running averages in training mode (as
    nn.BatchNorm1d does), the running averages otherwise.
    Returns logits (k, B, C) and the inputs of every activation layer [(k, B, H), ...].
    """
    h, pres = x, []
    for layer in layers:
        m = layer.module
        if layer.kind == "linear":
            h = torch.matmul(h, layer.params[0]) + layer.params[1]
        elif layer.kind == "batchnorm":
            run_mean, run_var = layer.buffers
            if training:
                mean, var = h.mean(dim=1, keepdim=True), h.var(dim=1, unbiased=False, keepdim=True)
                with torch.no_grad():
                    n = h.shape[1]
                    run_mean.mul_(1 - m.momentum).add_(m.momentum * mean)
                    run_var.mul_(1 - m.momentum).add_(m.momentum * var * n / (n - 1))
            else:
                mean, var = run_mean, run_var
            h = (h - mean) / torch.sqrt(var + m.eps) * layer.params[0] + layer.params[1]
        else:
            pres.append(h)
            h = torch.where(h > 0, h, layer.params[0] * h) if layer.kind == "prelu" else m(h)
    return h, pres


def _unstack_into(layers, nets):
    """Copy the trained stacked tensors back into the k nets (in place)."""
    with torch.no_grad():
        for i, net in enumerate(nets):
            for layer, m in zip(layers, net):
                if layer.kind == "linear":
                    m.weight.copy_(layer.params[0][i].T)
                    m.bias.copy_(layer.params[1][i, 0])
                elif layer.kind == "batchnorm":
                    m.weight.copy_(layer.params[0][i, 0])
                    m.bias.copy_(layer.params[1][i, 0])
                    m.running_mean.copy_(layer.buffers[0][i, 0])
                    m.running_var.copy_(layer.buffers[1][i, 0])
                elif layer.kind == "prelu":
                    m.weight.copy_(layer.params[0][i, 0])
    return nets


def train_copies(nets, data, lrs, seeds, steps=STEPS, batch_size=BATCH_SIZE, weight_decay=0.0, warmup_steps=0,
                 device=None):
    """Train k nets of one architecture side by side: the same as k separate calls
    `train(nets[i], data, steps, optimizer=WarmupSGD(..., lrs[i], warmup_steps[i], weight_decay), seed=seeds[i])`
    (weight decay on every parameter except PReLU slopes), done as one batched computation.

    nets: k `make_net` nets (same options, any seeds); lrs, seeds: k numbers each; warmup_steps: one
    number or k numbers (0 = none).  A copy whose loss becomes inf/NaN is frozen from then on.
    Returns the nets, trained in place, and a bool array (k,) marking the frozen copies.
    """
    if not isinstance(nets, (list, tuple)) or not all(isinstance(n, nn.Sequential) for n in nets):
        raise TypeError("nets must be a list of make_net nets")
    lrs = _positive_list("lrs", lrs, high=10**6, max_len=1000)
    seeds = [_seed(v, "seeds") for v in seeds]
    steps = validation.size("steps", steps, high=MAX_STEPS)
    batch_size = validation.size("batch_size", batch_size, high=10**5)
    weight_decay = validation.finite_number("weight_decay", weight_decay, low=0, high=1)
    warmup_steps = (validation.size("warmup_steps", warmup_steps, high=10**6, low=0)
                    if not hasattr(warmup_steps, "__iter__") else
                    [validation.size("warmup_steps", v, high=10**6, low=0) for v in warmup_steps])
    k = len(nets)
    if k == 0 or len(lrs) != k or len(seeds) != k:
        raise ValueError(f"need one learning rate and one seed per net; got {k} nets, {len(lrs)} lrs, "
                         f"{len(seeds)} seeds")
    device = validation.device_value("device", device)
    layers = _stack_nets(nets, device)
    params = [p for layer in layers for p in layer.params]
    decayed = [layer.kind != "prelu" for layer in layers for _ in layer.params]
    lr = torch.tensor([float(v) for v in lrs], device=device)
    warm = torch.tensor(np.broadcast_to(np.maximum(warmup_steps, 1), (k,)).astype(float), device=device)
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    x, y = data.x_train.to(device), data.y_train.to(device)
    n = len(x)
    frozen = torch.zeros(k, dtype=torch.bool, device=device)
    for step in range(1, steps + 1):
        idx = torch.stack([torch.randint(n, (min(batch_size, n),), generator=g) for g in gens]).to(device)
        logits, _ = _stacked_forward(layers, x[idx])
        losses = F.cross_entropy(logits.transpose(1, 2), y[idx], reduction="none").mean(1)
        frozen |= ~torch.isfinite(losses)
        grads = torch.autograd.grad(torch.where(frozen, 0.0, losses).sum(), params)
        rate = (lr * torch.clamp(step / warm, max=1.0)).reshape(-1, 1, 1)
        with torch.no_grad():
            for p, g, decay in zip(params, grads, decayed):
                if decay and weight_decay:
                    g = g.add(p, alpha=weight_decay)
                p -= torch.where(frozen.reshape(-1, 1, 1), 0.0, rate * g)
    return _unstack_into(layers, nets), frozen.cpu().numpy()


def train_lr_sweep(lrs, steps=STEPS, batch_size=BATCH_SIZE, snapshot_every=SNAPSHOT_EVERY, seed=0, device=None):
    """Train copies of one seeded 2-32-32-2 ReLU net with plain SGD, one copy per learning rate.

    Every copy starts from the same weights and sees the same mini-batches (drawn exactly as
    `utils.training.train` draws them), so the learning rate is the only difference.  The copies are
    trained side by side as one batched computation, which is why this is fast.
    Returns a dict of NumPy arrays:
      lrs (K,); steps (S,) snapshot steps; w1 (S, K, 32, 2), b1 (S, K, 32) first-layer weights;
      dead (S, K, 2) dead fraction of each hidden layer on the training set; final_loss (K,) full-batch
      training loss; val_acc (K,); exploded (K,) bool (the loss became inf/NaN and the copy was frozen);
      x_train (N, 2), y_train (N,) for drawing.
    """
    lrs = _positive_list("lrs", lrs, high=1000, max_len=64)
    steps = validation.size("steps", steps, high=MAX_STEPS)
    batch_size = validation.size("batch_size", batch_size, high=10**5)
    snapshot_every = validation.size("snapshot_every", snapshot_every, high=MAX_STEPS)
    return _train_lr_sweep(lrs, steps, batch_size, snapshot_every, _seed(seed),
                           validation.device_value("device", device))


@one_cpu_thread()
def _train_lr_sweep(lrs, steps, batch_size, snapshot_every, seed, device):
    data = make_task(seed, device)
    layers = _stack_nets([make_net(seed=seed)] * len(lrs), device)
    flat = [p for layer in layers for p in layer.params]
    lr = torch.tensor(lrs, device=device).reshape(-1, 1, 1)
    g = torch.Generator().manual_seed(seed)
    n, k = len(data.x_train), len(lrs)
    frozen = torch.zeros(k, dtype=torch.bool, device=device)
    snaps = {"steps": [], "w1": [], "b1": [], "dead": []}

    def snapshot(step):
        with torch.no_grad():
            _, pres = _stacked_forward(layers, data.x_train, training=False)
        snaps["steps"].append(step)
        snaps["w1"].append(layers[0].params[0].detach().transpose(1, 2).cpu().numpy().copy())
        snaps["b1"].append(layers[0].params[1].detach()[:, 0].cpu().numpy().copy())
        snaps["dead"].append(torch.stack([(~(z > 0).any(dim=1)).float().mean(dim=1) for z in pres], 1).cpu().numpy())

    snapshot(0)
    for step in range(1, steps + 1):
        idx = torch.randint(n, (min(batch_size, n),), generator=g).to(device)
        logits, _ = _stacked_forward(layers, data.x_train[idx])
        losses = F.cross_entropy(logits.transpose(1, 2), data.y_train[idx].expand(k, -1), reduction="none").mean(1)
        frozen |= ~torch.isfinite(losses)
        grads = torch.autograd.grad(torch.where(frozen, 0.0, losses).sum(), flat)
        with torch.no_grad():
            for p, gr in zip(flat, grads):
                p -= torch.where(frozen.reshape(-1, 1, 1), 0.0, lr * gr)
        if step % snapshot_every == 0 or step == steps:
            snapshot(step)
    with torch.no_grad():
        logits, _ = _stacked_forward(layers, data.x_train, training=False)
        final_loss = F.cross_entropy(logits.transpose(1, 2), data.y_train.expand(k, -1), reduction="none").mean(1)
        val_logits, _ = _stacked_forward(layers, data.x_val, training=False)
        val_acc = (val_logits.argmax(2) == data.y_val).float().mean(1)
    out = {key: np.stack(v) if key != "steps" else np.array(v) for key, v in snaps.items()}
    out.update(lrs=np.array(lrs), final_loss=final_loss.cpu().numpy(), val_acc=val_acc.cpu().numpy(),
               exploded=frozen.cpu().numpy(), x_train=data.x_train.cpu().numpy(), y_train=data.y_train.cpu().numpy())
    return out


@functools.lru_cache(maxsize=4)
def _lr_sweep(seed=0):
    """`train_lr_sweep` over the notebook's grid of learning rates, computed once and cached."""
    return _train_lr_sweep([10 ** e for e in LR_EXPONENTS], STEPS, BATCH_SIZE, SNAPSHOT_EVERY, seed,
                           torch.device("cpu"))


def lr_sweep(seed=0):
    """`train_lr_sweep` over the notebook's grid of learning rates (10**-2 … 10**1), computed once and cached."""
    return _lr_sweep(_seed(seed))


def lr_index(lr):
    """Index of a learning rate in the notebook's grid (the slider snaps to it)."""
    lr = validation.finite_number("lr", lr, low=0, low_open=True)
    e = math.log10(lr)
    if not LR_EXPONENTS[0] - 1e-6 <= e <= LR_EXPONENTS[-1] + 1e-6:
        raise ValueError(f"lr must be between 1e-2 and 1e1 (the precomputed grid), got {lr}")
    return int(round((e - LR_EXPONENTS[0]) / 0.25))


def first_layer_dead_counts(sweep, lr):
    """Dead first-layer units at every snapshot of a `train_lr_sweep` result, for its rate nearest `lr`.

    Returns an int array (S,).  A first-layer unit sees the fixed data, so once dead it stays dead:
    this count only ever rises, unlike the second layer's, where a unit can come back when its inputs move.
    """
    if not isinstance(sweep, dict) or not {"lrs", "dead", "w1"} <= set(sweep):
        raise TypeError("sweep must be a result of train_lr_sweep or lr_sweep")
    lr = validation.finite_number("lr", lr, low=0, low_open=True)
    k = int(np.argmin(np.abs(np.log(sweep["lrs"]) - math.log(lr))))
    if not math.isclose(sweep["lrs"][k], lr, rel_tol=0.02):
        raise ValueError(f"lr = {lr:g} was not trained in this sweep; its rates are "
                         f"{np.round(sweep['lrs'], 3).tolist()}")
    n_units = sweep["w1"].shape[2]
    return np.rint(sweep["dead"][:, k, 0] * n_units).astype(int)


@one_cpu_thread()
def dead_at_birth(bias_shifts=(-1.0, -0.5, -0.25, 0.0, 0.25), weight_gains=(0.01, 0.1, 0.3, 1.0, 3.0),
                  n_nets=20, seed=0):
    """Dead fraction of freshly built nets (no training) when the init is shifted or mis-scaled.

    Each net is the notebook's 2-32-32-2 net with PyTorch's default init, then either every bias
    shifted by `bias_shift` or every weight multiplied by `weight_gain`; averaged over n_nets seeds.
    Returns (dead fraction per shift (len(bias_shifts),), per gain (len(weight_gains),)).
    """
    if isinstance(bias_shifts, (str, bytes)) or not hasattr(bias_shifts, "__iter__") or not list(bias_shifts):
        raise TypeError(f"bias_shifts must be a non-empty list of numbers, got {bias_shifts!r}")
    bias_shifts = [validation.finite_number("bias_shifts", c, low=-100, high=100) for c in bias_shifts]
    weight_gains = _positive_list("weight_gains", weight_gains, high=1000, max_len=32)
    n_nets = validation.size("n_nets", n_nets, high=500)
    x = make_task(_seed(seed)).x_train

    def mean_dead(edit):
        fractions = []
        for s in range(n_nets):
            net = make_net(seed=seed + s)
            with torch.no_grad():
                for layer in net:
                    if isinstance(layer, nn.Linear):
                        edit(layer)
            fractions.append(overall_dead_fraction(dead_unit_report(net, x)))
        return float(np.mean(fractions))

    by_shift = [mean_dead(lambda layer, c=c: layer.bias.add_(c)) for c in bias_shifts]
    by_gain = [mean_dead(lambda layer, a=a: layer.weight.mul_(a)) for a in weight_gains]
    return np.array(by_shift), np.array(by_gain)


REMEDY_LR = 2.0

REMEDIES = {
    # name: (net options, learning-rate factor, warm-up steps)
    "ReLU (baseline)": ({}, 1.0, 0),
    "ReLU, lr ÷ 10": ({}, 0.1, 0),
    "ReLU, warm-up 100 steps": ({}, 1.0, 100),
    "Leaky ReLU (α = 0.01)": ({"activation": "leaky"}, 1.0, 0),
    "PReLU (α not decayed)": ({"activation": "prelu"}, 1.0, 0),
    "ELU": ({"activation": "elu"}, 1.0, 0),
    "BatchNorm before ReLU": ({"batchnorm": True}, 1.0, 0),
    "Kaiming init, zero bias": ({"init": "kaiming"}, 1.0, 0),
    "Kaiming init, bias 0.1": ({"init": "kaiming", "bias_init": 0.1}, 1.0, 0),
    "Randomized asym. init": ({"init": "rai"}, 1.0, 0),
    "Leaky ReLU (α = 0.25)": ({"activation": "leaky_0.25"}, 1.0, 0),
}


def _sgd_excluding_prelu_slopes(net, lr, weight_decay, warmup_steps=1, decay_slopes=False):
    """WarmupSGD with weight decay on every parameter except PReLU slopes (unless decay_slopes)."""
    slopes = [p for m in net.modules() if isinstance(m, nn.PReLU) for p in m.parameters()]
    others = [p for p in net.parameters() if all(p is not s for s in slopes)]
    groups = [{"params": others, "weight_decay": weight_decay}]
    if slopes:
        groups.append({"params": slopes, "weight_decay": weight_decay if decay_slopes else 0.0})
    return WarmupSGD(groups, lr=lr, warmup_steps=max(warmup_steps, 1)), slopes


REMEDY_SEEDS = (0, 1, 2, 3, 4)


def compare_remedies(lr=REMEDY_LR, weight_decay=1e-3, steps=STEPS, seeds=REMEDY_SEEDS, data_seed=0, device=None):
    """Train every variant of REMEDIES from several seeds on the same task; one record per (variant, seed).

    Seed s fixes the net's initial weights and the order of its mini-batches, and is shared by every
    variant, so the variants can be compared seed by seed.  All use SGD with weight decay on weights,
    biases and batch-norm scales (never on PReLU slopes); the runs are trained side by side
    (`train_copies`), one batched computation per architecture.
    Returns a list of dicts: name, seed, dead_at_birth, dead (fraction of hidden units whose
    pre-activation is never > 0 on the training set; NaN if diverged), train_loss, val_acc, and
    diverged (the loss became inf/NaN, or the final training loss is worse than guessing every
    class with equal probability, ln C).
    """
    lr = validation.finite_number("lr", lr, low=0, high=100, low_open=True)
    weight_decay = validation.finite_number("weight_decay", weight_decay, low=0, high=1)
    steps = validation.size("steps", steps, high=MAX_STEPS)
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a list of seeds, got {seeds!r}")
    seeds = tuple(_seed(v, "seeds") for v in seeds)
    if not seeds or len(seeds) > 20:
        raise ValueError(f"seeds must hold 1 to 20 seeds, got {len(seeds)}")
    device = validation.device_value("device", device)
    return [dict(r) for r in _compare_remedies(lr, weight_decay, steps, seeds, _seed(data_seed, "data_seed"),
                                               str(device))]


@functools.lru_cache(maxsize=8)
def _compare_remedies(lr, weight_decay, steps, seeds, data_seed, device):
    device = torch.device(device)
    data = make_task(data_seed)
    chance_loss = math.log(data.n_classes)
    by_arch = {}
    for name, (options, lr_factor, warmup) in REMEDIES.items():
        arch = (options.get("activation", "relu"), options.get("batchnorm", False))
        by_arch.setdefault(arch, []).extend((name, options, lr * lr_factor, warmup, s) for s in seeds)
    runs = []
    with one_cpu_thread(device):
        for jobs in by_arch.values():
            nets = [make_net(seed=s, **options) for _, options, _, _, s in jobs]
            born = [overall_dead_fraction(dead_unit_report(net, data.x_train)) for net in nets]
            nets, frozen = train_copies(nets, data, [j[2] for j in jobs], [j[4] for j in jobs], steps=steps,
                                        weight_decay=weight_decay, warmup_steps=[j[3] for j in jobs], device=device)
            for (name, _, _, _, s), net, dead0, froze in zip(jobs, nets, born, frozen):
                loss, _ = evaluate(net, data.x_train, data.y_train)
                _, acc = evaluate(net, data.x_val, data.y_val)
                diverged = bool(froze) or not loss <= chance_loss
                dead = math.nan if diverged else overall_dead_fraction(dead_unit_report(net, data.x_train))
                runs.append({"name": name, "seed": s, "dead_at_birth": dead0, "dead": dead, "train_loss": loss,
                             "val_acc": acc, "diverged": diverged})
    order = list(REMEDIES)
    return sorted(runs, key=lambda r: (order.index(r["name"]), seeds.index(r["seed"])))


def summarise_remedies(runs, baseline="ReLU (baseline)"):
    """One row per variant from `compare_remedies` records, in REMEDIES order.

    Each row: name, n_runs, n_diverged, dead_at_birth (mean over seeds), dead_mean, dead_sd (over the
    runs that did not diverge; NaN if none), fewer_dead_than_baseline (in how many seeds the variant
    ended with fewer dead units than the baseline from the same seed), train_loss (mean), val_acc_mean,
    val_acc_sd (runs that did not diverge).
    """
    if not isinstance(runs, list) or not runs or not all(isinstance(r, dict) and "dead" in r for r in runs):
        raise TypeError("runs must be the list returned by compare_remedies")
    names = list(dict.fromkeys(r["name"] for r in runs))
    if baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not among the variants {names}")
    base = {r["seed"]: r["dead"] for r in runs if r["name"] == baseline}
    rows = []
    for name in names:
        mine = [r for r in runs if r["name"] == name]
        ok = [r for r in mine if not r["diverged"]]

        def stat(key, fn, rs=ok):
            return float(fn([r[key] for r in rs])) if rs else math.nan
        rows.append({"name": name, "n_runs": len(mine), "n_diverged": len(mine) - len(ok),
                     "dead_at_birth": stat("dead_at_birth", np.mean, mine),
                     "dead_mean": stat("dead", np.mean), "dead_sd": stat("dead", np.std),
                     "fewer_dead_than_baseline": sum(r["dead"] < base[r["seed"]] for r in ok),
                     "train_loss": stat("train_loss", np.mean),
                     "val_acc_mean": stat("val_acc", np.mean), "val_acc_sd": stat("val_acc", np.std)})
    return rows


def format_table(rows, rows_low=None, low_lr=None):
    """The summarised remedies table (`summarise_remedies`) as aligned text; spreads are standard deviations.

    rows_low, low_lr: the same table at a smaller learning rate; adds two columns (runs diverged, mean dead after).
    """
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) and "n_runs" in r for r in rows):
        raise TypeError("rows must be the list returned by summarise_remedies")
    low = {}
    if rows_low is not None:
        if not isinstance(rows_low, list) or not all(isinstance(r, dict) and "n_runs" in r for r in rows_low):
            raise TypeError("rows_low must be the list returned by summarise_remedies")
        low_lr = validation.finite_number("low_lr", low_lr, low=0, low_open=True)
        low = {r["name"]: r for r in rows_low}
    extra = (f"{'at lr ' + format(low_lr, 'g') + ':':>22}", f"{'diverged':>10}{'dead after':>12}") if low else ("", "")
    lines = [f"{'variant':<25}{'diverged':>9}{'dead at birth':>15}{'dead after':>14}{'fewer dead':>12}"
             f"{'train loss':>12}{'val acc':>13}{extra[0]}",
             f"{'':<25}{'':>9}{'(mean)':>15}{'(mean ± sd)':>14}{'than base':>12}{'(mean)':>12}{'(mean ± sd)':>13}"
             f"{extra[1]}"]
    for r in rows:
        runs = f"{r['n_diverged']}/{r['n_runs']}"
        tail = ""
        if r["name"] in low:
            q = low[r["name"]]
            dead_low = "—" if q["n_diverged"] == q["n_runs"] else f"{q['dead_mean']:.0%}"
            tail = f"{q['n_diverged']}/{q['n_runs']:<2}{dead_low:>10}".rjust(22)
        if r["n_diverged"] == r["n_runs"]:
            lines.append(f"{r['name']:<25}{runs:>9}{r['dead_at_birth']:>15.0%}{'—':>14}{'—':>12}{'—':>12}{'—':>13}"
                         f"{tail}")
            continue
        dead = f"{r['dead_mean']:.0%} ± {100 * r['dead_sd']:.0f}"
        acc = f"{r['val_acc_mean']:.0%} ± {100 * r['val_acc_sd']:.0f}"
        fewer = f"{r['fewer_dead_than_baseline']}/{r['n_runs']}"
        lines.append(f"{r['name']:<25}{runs:>9}{r['dead_at_birth']:>15.0%}{dead:>14}{fewer:>12}"
                     f"{r['train_loss']:>12.3f}{acc:>13}{tail}")
    return "\n".join(lines)


def prelu_slope_trace(lr=REMEDY_LR, weight_decay=1e-3, steps=STEPS, seed=0, activation="prelu"):
    """Train one net as `compare_remedies` does (same initial weights, same mini-batches, decay not on the slopes)
    and record, at every step, the mini-batch loss and the smallest and largest negative-side slope.

    activation: "prelu" (learned slopes) or "leaky_0.25" (the same starting slope, fixed).
    Returns dict(loss (T,), slope_min (T,), slope_max (T,), diverged_at: the first step whose loss is not finite,
    or None).  T = steps, or fewer when the run diverged (the trace stops there).
    """
    lr = validation.finite_number("lr", lr, low=0, high=100, low_open=True)
    weight_decay = validation.finite_number("weight_decay", weight_decay, low=0, high=1)
    steps = validation.size("steps", steps, high=MAX_STEPS)
    activation = validation.one_of("activation", activation, ("prelu", "leaky_0.25"))
    trace = _prelu_slope_trace(lr, weight_decay, steps, _seed(seed), activation)
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in trace.items()}


@functools.lru_cache(maxsize=16)
@one_cpu_thread()
def _prelu_slope_trace(lr, weight_decay, steps, seed, activation):
    data = make_task(0)
    net = make_net(activation, seed=seed)
    opt, slopes = _sgd_excluding_prelu_slopes(net, lr, weight_decay)
    fixed = [m.negative_slope for m in net if isinstance(m, nn.LeakyReLU)]
    g = torch.Generator().manual_seed(seed)
    n = len(data.x_train)
    loss_log, lo, hi, diverged = [], [], [], None
    for step in range(1, steps + 1):
        idx = torch.randint(n, (min(BATCH_SIZE, n),), generator=g)
        loss = F.cross_entropy(net(data.x_train[idx]), data.y_train[idx])
        if not math.isfinite(loss.item()):
            diverged = step
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        a = torch.cat([p.detach().flatten() for p in slopes]) if slopes else torch.tensor(fixed)
        loss_log.append(loss.item())
        lo.append(float(a.min()))
        hi.append(float(a.max()))
    return {"loss": np.array(loss_log), "slope_min": np.array(lo), "slope_max": np.array(hi), "diverged_at": diverged}


@one_cpu_thread()
def prelu_slopes_under_decay(lr=0.5, weight_decay=1e-2, steps=STEPS, seed=0):
    """Mean PReLU slope after training with the slopes excluded from, or included in, weight decay.

    Also returns what decay alone would leave of the initial 0.25: 0.25 * (1 - lr * weight_decay) ** steps.
    """
    lr = validation.finite_number("lr", lr, low=0, high=100, low_open=True)
    weight_decay = validation.finite_number("weight_decay", weight_decay, low=0, high=1)
    steps = validation.size("steps", steps, high=MAX_STEPS)
    data = make_task(_seed(seed))
    out = {"decay alone would leave": 0.25 * (1 - lr * weight_decay) ** steps}
    for name, decay in (("α excluded from decay", False), ("α decayed", True)):
        net = make_net("prelu", seed=seed)
        opt, slopes = _sgd_excluding_prelu_slopes(net, lr, weight_decay, decay_slopes=decay)
        train(net, data, steps=steps, optimizer=opt, batch_size=BATCH_SIZE, eval_every=steps, seed=seed)
        out[name] = float(torch.cat([p.detach().flatten() for p in slopes]).mean())
    return out


def _reinit_dead_units(net, x, seed=0):
    """Give every dead unit new He-normal incoming weights, zero bias and zero outgoing weights."""
    g = torch.Generator().manual_seed(seed)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    stats = dead_unit_report(net, x)
    with torch.no_grad():
        for s, layer, nxt in zip(stats, linears, linears[1:]):
            idx = torch.as_tensor(np.flatnonzero(s.dead))
            if len(idx):
                fresh = torch.randn(len(idx), layer.in_features, generator=g) * math.sqrt(2 / layer.in_features)
                layer.weight[idx] = fresh
                layer.bias[idx] = 0.0
                nxt.weight[:, idx] = 0.0
    return net


def revival_experiment(lr=LARGE_LR, steps=200, finetune_lr=0.1, seed=0):
    """Can dead units come back?  Kill units with a large learning rate, then keep training three ways.

    Returns a dict: dead_before (units dead after the large-lr phase), dead_grad_norm (largest gradient
    on any dead unit's incoming weights and bias, over the whole training set), and for each of
    "plain ReLU", "swap to Leaky ReLU (α = 0.1)", "re-initialise dead units": the number of hidden units
    still dead (as judged by a plain ReLU) after `steps` more steps at `finetune_lr`.  Results are cached.
    """
    lr = validation.finite_number("lr", lr, low=0, high=100, low_open=True)
    steps = validation.size("steps", steps, high=MAX_STEPS)
    finetune_lr = validation.finite_number("finetune_lr", finetune_lr, low=0, high=100, low_open=True)
    return dict(_revival_experiment(lr, steps, finetune_lr, _seed(seed)))


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _revival_experiment(lr, steps, finetune_lr, seed):
    data = make_task(seed)
    net = make_net(seed=seed)
    train(net, data, steps=STEPS, lr=lr, batch_size=BATCH_SIZE, eval_every=STEPS, seed=seed)
    stats = dead_unit_report(net, data.x_train)
    out = {"dead_before": sum(s.n_dead for s in stats), "n_units": sum(s.n_units for s in stats)}
    net.zero_grad()
    F.cross_entropy(net(data.x_train), data.y_train).backward()
    linears = [m for m in net if isinstance(m, nn.Linear)]
    dead_grads = [torch.cat([layer.weight.grad[s.dead].flatten(), layer.bias.grad[s.dead]])
                  for s, layer in zip(stats, linears) if s.n_dead]
    out["dead_grad_norm"] = max((g.abs().max().item() for g in dead_grads), default=0.0)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    for how in ("plain ReLU", "swap to Leaky ReLU (α = 0.1)", "re-initialise dead units"):
        variant = make_net(seed=seed)
        variant.load_state_dict(state)
        if how.startswith("swap"):
            variant = nn.Sequential(*[nn.LeakyReLU(0.1) if isinstance(m, nn.ReLU) else m for m in variant])
        if how.startswith("re-init"):
            _reinit_dead_units(variant, data.x_train, seed)
        train(variant, data, steps=steps, lr=finetune_lr, batch_size=BATCH_SIZE, eval_every=steps, seed=seed + 1)
        as_relu = nn.Sequential(*[nn.ReLU() if isinstance(m, nn.LeakyReLU) else m for m in variant])
        out[how] = sum(s.n_dead for s in dead_unit_report(as_relu, data.x_train))
    return out


# ----------------------------------------------------------------------------------------------
# Exercises
# ----------------------------------------------------------------------------------------------

# A tiny first layer and data set for counting dead units by hand.
EXERCISE_W = torch.tensor([[1.0, 0.0], [0.0, -1.0], [-1.0, -1.0], [0.5, 0.5]])
EXERCISE_B = torch.tensor([0.0, -2.5, -1.0, -1.25])
EXERCISE_X = torch.tensor([[1.0, 2.0], [-1.0, 0.5], [2.0, -2.0], [0.0, 1.0]])


def check_dead_count(answer):
    """Exercise: how many of the 4 units of (EXERCISE_W, EXERCISE_B) are dead on EXERCISE_X?"""
    if answer is None:
        return feedback(False, "replace None with your count (a whole number from 0 to 4)")
    count = learner_number(answer, whole=True)[0]
    if count is None:
        return feedback(False, f"answer with a whole number of units (0 to 4), got {answer!r}"[:200])
    pre = EXERCISE_X @ EXERCISE_W.T + EXERCISE_B
    expected = int(dead_mask(pre).sum())
    if count == expected:
        return feedback(True, "", f"Correct: {expected} of the 4 units never fire on these points.")
    mistakes = {
        int((pre <= 0).any(dim=0).sum()): "a unit that is <= 0 at SOME points is sparse, not dead: dead means "
                                          "w·x + b <= 0 at EVERY point",
        int(dead_mask(EXERCISE_X @ EXERCISE_W.T).sum()): "include the bias: the pre-activation is w·x + b",
        int((EXERCISE_B < 0).sum()): "a negative bias alone does not kill a unit: check w·x + b at every point",
    }
    hint = mistakes.get(count, "for each unit compute w·x + b at all four points; it is dead only if none of "
                               "the four values is > 0")
    return feedback(False, f"{count} is not right: {hint}")


def check_dead_mask(fn):
    """Exercise: `fn(pre)` with pre (N, H) must return the bool (H,) mask of units that never fire."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (my_dead_mask, without brackets), got {fn!r}"[:200])
    g = torch.Generator().manual_seed(5)
    pre = torch.randn(50, 12, generator=g)
    pre[:, [2, 7]] = -pre[:, [2, 7]].abs()
    pre[:, 9] = 0.0                        # exactly zero everywhere is dead too
    pre[3, 4] = 1e-3                       # one tiny positive value keeps a unit alive
    pre[:, 4] = torch.where(torch.arange(50) == 3, pre[:, 4], -pre[:, 4].abs())
    try:
        got = fn(pre.clone())
    except Exception as exc:               # the learner's code: report rather than raise
        return feedback(False, f"your function raised {type(exc).__name__}: {exc}")
    if not isinstance(got, torch.Tensor) or got.shape != (12,):
        return feedback(False, f"return a tensor of shape (12,) for pre of shape (50, 12), got {got!r}"[:200])
    expected = dead_mask(pre)
    wrong = torch.nonzero(got.bool() != expected).flatten().tolist()
    if not wrong:
        return feedback(True, "", "Correct: a unit is dead when pre <= 0 for every example.")
    if got.bool().tolist() == (pre <= 0).any(dim=0).tolist():
        return feedback(False, "you marked units that are <= 0 on SOME examples; dead means <= 0 on EVERY example "
                               "(.all(dim=0), not .any)")
    if got.bool().tolist() == (pre < 0).all(dim=0).tolist():
        return feedback(False, f"units {wrong} are misclassified: a pre-activation of exactly 0 does not fire "
                               "either (use <= 0, not < 0)")
    return feedback(False, f"units {wrong} are misclassified (dead means pre <= 0 for EVERY example)")


# Exercise 3: one first-layer unit, the four points of EXERCISE_X, and the gradient of one mini-batch.
KILL_W = torch.tensor([1.0, 0.5])
KILL_B = 0.5
KILL_GRAD_W = torch.tensor([1.0, 1.0])
KILL_GRAD_B = 0.5


def _killing_lr():
    """The smallest learning rate at which the step w -= lr * grad_w, b -= lr * grad_b leaves KILL_W, KILL_B
    <= 0 on every point of EXERCISE_X (each point's pre-activation falls linearly in lr)."""
    z = EXERCISE_X @ KILL_W + KILL_B
    drop = EXERCISE_X @ KILL_GRAD_W + KILL_GRAD_B
    firing = z > 0
    if bool((drop[firing] <= 0).any()):
        return math.inf
    return float((z[firing] / drop[firing]).max()) if bool(firing.any()) else 0.0


def check_killing_lr(answer):
    """Exercise: the smallest learning rate at which one SGD step with (KILL_GRAD_W, KILL_GRAD_B) kills the unit
    (KILL_W, KILL_B) on the data EXERCISE_X."""
    if answer is None:
        return feedback(False, "replace None with your learning rate (a number)")
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.integer, np.floating)):
        return feedback(False, f"answer with a learning rate (a number), got {answer!r}"[:200])
    answer = float(answer)
    expected = _killing_lr()
    if math.isclose(answer, expected, rel_tol=1e-3):
        return feedback(True, "", f"Correct: from lr = {expected:g} on, the unit is <= 0 at every point: dead.")
    z = EXERCISE_X @ KILL_W + KILL_B
    drop = EXERCISE_X @ KILL_GRAD_W + KILL_GRAD_B
    firing = z > 0
    ratios = (z[firing] / drop[firing]).tolist()
    mistakes = [
        (float(z[firing].max() / drop[firing][z[firing].argmax()]),
         "that switches the unit off at the point where it fired most, but it still fires elsewhere: it is dead "
         "only when w·x + b <= 0 at EVERY point"),
        (min(ratios), "that is where the FIRST point stops firing; the unit is dead only when the LAST one does"),
        (float(z.max()) / KILL_GRAD_B, "the weights move too, not only the bias: each point's w·x + b falls by "
                                       "lr · (grad_w·x + grad_b)"),
        (float((z[firing] / (EXERCISE_X[firing] @ KILL_GRAD_W)).max()),
         "the bias moves too: each point's w·x + b falls by lr · (grad_w·x + grad_b)"),
    ]
    for value, hint in mistakes:
        if math.isfinite(value) and math.isclose(answer, value, rel_tol=1e-3):
            return feedback(False, f"{answer:g} is not it: {hint}")
    side = "too small: some point still has w·x + b > 0" if answer < expected else \
        "larger than needed: the unit is already dead at a smaller rate"
    return feedback(False, f"{answer:g} is {side}")


# ----------------------------------------------------------------------------------------------
# Plots
# ----------------------------------------------------------------------------------------------

def plot_unit_activity(stats, title=None):
    """Bar chart of each unit's firing rate, per layer, sorted: dead units sit at exactly zero."""
    if isinstance(stats, LayerStats):
        stats = [stats]
    if not isinstance(stats, (list, tuple)) or not 1 <= len(stats) <= 4 or \
            not all(isinstance(t, LayerStats) for t in stats):
        raise TypeError("stats must be a list of 1 to 4 LayerStats (from dead_unit_report)")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string, got {title!r}")
    fig, axes = new_figure(1, len(stats), figsize=(min(4.8 * len(stats), 9.6), 3.8), squeeze=False)
    for ax, s, colour in zip(axes[0], stats, PALETTE):
        rates = np.sort(s.unit_active_fraction)
        ax.bar(np.arange(len(rates)), rates, color=colour, width=0.85)
        dead = np.flatnonzero(rates == 0)         # zero-height bars are invisible: mark them
        ax.plot(dead, np.zeros(len(dead)), "x", color=VERMILION, ms=7, mew=2, clip_on=False,
                label="dead: never fires")
        ax.set_title(f"hidden layer {s.layer}: {s.n_dead} of {s.n_units} dead", fontsize=13)
        ax.set_xlabel("unit (sorted by firing rate)")
        ax.set_ylim(0, 1.02)
    axes[0, 0].set_ylabel("fraction of examples\non which the unit fires")
    axes[0, 0].legend(loc="upper left")
    if title:
        fig.suptitle(title)
    return fig


_GRID = (np.linspace(-2.6, 2.6, 131), np.linspace(-1.8, 1.8, 91))


def _line_through(w, b):
    """End points of the line w·x + b = 0 (empty if w is ~0 or not finite)."""
    norm2 = float(w @ w)
    if not np.isfinite(norm2) or not np.isfinite(b) or norm2 < 1e-12:
        return np.array([]), np.array([])
    p0, d = -b * w / norm2, np.array([-w[1], w[0]]) / math.sqrt(norm2)
    ends = p0 + np.array([[-20.0], [20.0]]) * d
    return ends[:, 0], ends[:, 1]


def plot_hyperplanes(lr=LARGE_LR, step=STEPS, seed=0, fig=None):
    """First-layer units of the sweep's net trained at `lr`, after `step` steps.

    Each unit is the line w·x + b = 0; the grey shading counts how many units are active at each point (darker:
    more).  Alive units are thin green lines; dead units (no data on the active side) are dashed vermilion lines
    with a tick that points to their active side, away from every data point.
    Given its previous figure back (`fig=`), it only updates the shading, the lines, the ticks and the title.
    """
    lr = validation.finite_number("lr", lr, low=0, low_open=True)
    k = lr_index(lr)
    sweep = _lr_sweep(_seed(seed))
    step = validation.integer("step", step, low=0, high=int(sweep["steps"][-1]))
    s = int(np.argmin(np.abs(sweep["steps"] - step)))
    w, b, x = sweep["w1"][s, k], sweep["b1"][s, k], sweep["x_train"]
    finite = np.all(np.isfinite(w), axis=1) & np.isfinite(b)
    dead = np.array([not np.any(x @ wi + bi > 0) for wi, bi in zip(w, b)])
    gx, gy = np.meshgrid(*_GRID)
    pts = np.stack([gx.ravel(), gy.ravel()], 1)
    with np.errstate(all="ignore"):
        active = ((pts @ np.where(finite[:, None], w, 0).T + np.where(finite, b, -1)) > 0).sum(1).reshape(gx.shape)
    feet, dirs = np.full((len(b), 2), 99.0), np.zeros((len(b), 2))     # ticks off-screen for alive units
    for i, (wi, bi) in enumerate(zip(w, b)):
        n2 = float(wi @ wi) if np.all(np.isfinite(wi)) else 0.0
        if dead[i] and n2 > 1e-12 and np.isfinite(bi):
            feet[i], dirs[i] = -(bi / n2) * wi, wi / math.sqrt(n2)
    title = (f"lr = {lr:.3g}, step {int(sweep['steps'][s])}: {int(dead.sum())} of {len(b)} "
             "first-layer units dead")
    state = getattr(fig, "_hyperplane_state", None) if fig is not None else None
    if state is None:
        fig, ax = new_figure(figsize=(7.5, 5.0))
        image = ax.imshow(active, origin="lower", extent=(*_GRID[0][[0, -1]], *_GRID[1][[0, -1]]), cmap="Greys",
                          vmin=0, vmax=len(b), alpha=0.5, aspect="auto", interpolation="nearest")
        lines = [ax.plot([], [], lw=1.0)[0] for _ in range(len(b))]
        quiver = ax.quiver(feet[:, 0], feet[:, 1], dirs[:, 0], dirs[:, 1], angles="xy", scale_units="xy", scale=3,
                           width=0.006, color=VERMILION, zorder=4)
        ax.scatter(x[:, 0], x[:, 1], c=np.where(sweep["y_train"] == 1, ORANGE, BLUE), s=12, zorder=3,
                   edgecolors="white", linewidths=0.3)
        ax.set_xlim(*_GRID[0][[0, -1]])
        ax.set_ylim(*_GRID[1][[0, -1]])
        ax.set_xlabel("input x₁")
        ax.set_ylabel("input x₂")
        # few ticks: every tick label is laid out again on each redraw, and text is most of a redraw's cost
        ax.set_xticks([-2, -1, 0, 1, 2], labels=["−2", "−1", "0", "1", "2"])
        ax.set_yticks([-1, 0, 1], labels=["−1", "0", "1"])
        ax.legend(handles=[Line2D([], [], color=GREEN, lw=1.0, label="alive unit"),
                           Line2D([], [], color=VERMILION, ls="--", lw=2.0, label="dead unit (tick: active side)")],
                  loc="lower left", fontsize=10, title="shading: darker = more units active", title_fontsize=10)
        # A fixed layout: re-solving the constrained layout on every redraw costs more than the drawing.
        fig.set_layout_engine("none")
        ax.set_position([0.1, 0.11, 0.86, 0.8])
        state = {"image": image, "lines": lines, "quiver": quiver}
        fig._hyperplane_state = state
    ax = fig.axes[0]
    state["image"].set_data(active)
    for line, wi, bi, is_dead in zip(state["lines"], w, b, dead):
        line.set_data(*_line_through(wi, bi))
        line.set(color=VERMILION if is_dead else GREEN, linestyle="--" if is_dead else "-",
                 linewidth=2.0 if is_dead else 1.0, alpha=1.0 if is_dead else 0.7, zorder=3 if is_dead else 2)
    state["quiver"].set_offsets(feet)
    state["quiver"].set_UVC(dirs[:, 0], dirs[:, 1])
    ax.set_title(title, fontsize=13)
    return fig


def plot_dead_vs_lr(sweep):
    """Dead fraction (per hidden layer, at birth and after training) against the learning rate."""
    _check_sweep(sweep)
    fig, ax = new_figure(figsize=(7.5, 4.3))
    for layer, colour in zip(range(sweep["dead"].shape[2]), (BLUE, ORANGE)):
        ax.plot(sweep["lrs"], sweep["dead"][-1, :, layer], "o-", color=colour,
                label=f"hidden layer {layer + 1}, after {sweep['steps'][-1]} steps")
        ax.plot(sweep["lrs"], sweep["dead"][0, :, layer], ":", color=colour,
                label=f"hidden layer {layer + 1}, at birth")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (plain SGD)")
    ax.set_ylabel("fraction of units dead")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Beyond a threshold, larger steps kill more units")
    ax.legend(loc="upper left")
    return fig


def plot_dead_over_steps(sweep, lrs):
    """Dead first-layer units during training, one curve per learning rate in `lrs` (at most 5).

    Each rate has its own colour, line style and marker, and curves that lie on top of each other are drawn with
    the smaller rate on top, so no curve hides another."""
    _check_sweep(sweep)
    lrs = _positive_list("lrs", lrs, high=1000, max_len=5)
    fig, ax = new_figure(figsize=(7.5, 4.2))
    styles = ((BLUE, "-", "o"), (ORANGE, "--", "s"), (GREEN, "-.", "^"), (VERMILION, ":", "D"), (PURPLE, "-", "v"))
    for z, (lr, (colour, ls, marker)) in enumerate(zip(lrs, styles)):
        counts = first_layer_dead_counts(sweep, lr)
        ax.step(sweep["steps"], counts, where="post", color=colour, ls=ls, lw=2.4, zorder=10 - z,
                marker=marker, markevery=5, ms=6, label=f"lr = {lr:.3g}: {counts[-1]} dead at the end")
    ax.set_xlabel("training step")
    ax.set_ylabel(f"first-layer units dead (of {sweep['w1'].shape[2]})")
    ax.set_ylim(-0.5, sweep["w1"].shape[2] + 0.5)
    ax.set_title("Deaths come in jumps; a smaller step kills later")
    ax.legend(loc="upper left", fontsize=10)
    return fig


def _check_sweep(sweep):
    if not isinstance(sweep, dict) or not {"lrs", "dead", "w1", "steps"} <= set(sweep):
        raise TypeError("sweep must be a result of train_lr_sweep or lr_sweep")


def plot_dead_at_birth(bias_shifts, by_shift, weight_gains, by_gain):
    """Two panels: dead fraction at birth against a bias shift, and against a weight scale."""
    bias_shifts = validation.array("bias_shifts", bias_shifts, ndim=1)
    by_shift = validation.array("by_shift", by_shift, shape=bias_shifts.shape)
    weight_gains = validation.array("weight_gains", weight_gains, ndim=1)
    by_gain = validation.array("by_gain", by_gain, shape=weight_gains.shape)
    fig, (a, b) = new_figure(1, 2, figsize=(9.6, 4.0), sharey=True)
    a.plot(bias_shifts, by_shift, "o-", color=VERMILION)
    a.set_xlabel("constant added to every bias")
    a.set_ylabel("fraction of units dead at birth")
    a.set_title("A negative bias kills at birth")
    b.plot(weight_gains, by_gain, "o-", color=BLUE)
    b.set_xscale("log")
    b.set_xlabel("factor on every weight (×PyTorch default)")
    b.set_title("Tiny weights let the bias decide")
    a.set_ylim(-0.02, 1.02)
    return fig


def plot_born_dead(depths, widths, probs, probs_rai=None):
    """P(born dead) against depth, one curve per width; `probs_rai` (optional, same shape) adds dashed curves for
    the randomized asymmetric initialisation."""
    depths = validation.array("depths", depths, ndim=1)
    widths = validation.array("widths", widths, ndim=1)
    probs = validation.array("probs", probs, shape=(len(widths), len(depths)))
    if probs_rai is not None:
        probs_rai = validation.array("probs_rai", probs_rai, shape=probs.shape)
    fig, ax = new_figure(figsize=(8.5, 4.3))
    for i, (width, p, colour) in enumerate(zip(widths, probs, PALETTE)):
        ax.plot(depths, p, "o-", ms=4, color=colour, label=f"width {width:g}, He")
        if probs_rai is not None:
            ax.plot(depths, probs_rai[i], "--", color=colour, lw=1.8, label=f"width {width:g}, RAI")
    ax.set_xlabel("depth (hidden layers)")
    ax.set_ylabel("P(output constant at init)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Deep, narrow ReLU nets are often born dead")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10)
    return fig



def plot_remedies(runs, baseline="ReLU (baseline)"):
    """Dead fraction after training for every variant and seed of `compare_remedies` (one dot per run).

    The bar is the mean over the seeds that did not diverge, the grey diamond the mean dead fraction
    at birth; the title names the variants that beat the baseline in every seed.
    """
    rows = summarise_remedies(runs, baseline)
    seeds = list(dict.fromkeys(r["seed"] for r in runs))
    fig, ax = new_figure(figsize=(9.6, 6.2))
    y_of = {r["name"]: i for i, r in enumerate(rows)}
    base = next(r for r in rows if r["name"] == baseline)["dead_mean"]
    ax.axvline(base, color="0.5", ls="--", lw=1.2, label="baseline mean")
    for j, (seed, colour) in enumerate(zip(seeds, PALETTE)):
        ok = [r for r in runs if r["seed"] == seed and not r["diverged"]]
        ax.plot([r["dead"] for r in ok], [y_of[r["name"]] + 0.12 * (j - (len(seeds) - 1) / 2) for r in ok], "o",
                ms=7, color=colour, label=f"seed {seed}")
    for r in rows:
        y = y_of[r["name"]]
        ax.plot([r["dead_at_birth"]], [y], "D", ms=8, mfc="none", mec="0.35", mew=1.5,
                label="dead at birth (mean)" if y == 0 else None)
        if r["n_diverged"] == r["n_runs"]:
            ax.text(0.15, y, f"diverged in all {r['n_runs']} seeds", va="center", color=VERMILION)
        else:
            ax.plot([r["dead_mean"]] * 2, [y - 0.35, y + 0.35], color="black", lw=2.5,
                    label="mean after training" if y == 0 else None)
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(-0.02, 1.0)
    ax.set_xlabel("fraction of hidden units dead after training")
    winners = [r["name"] for r in rows if r["name"] != baseline and r["n_runs"] - r["n_diverged"] > 0
               and r["fewer_dead_than_baseline"] == r["n_runs"]]
    ax.set_title(f"Fewer dead units than the baseline in all {len(seeds)} seeds:\n"
                 + (" and ".join(winners) if winners else "no variant"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10)
    return fig


VIEW_SWEEPS = {
    "plot_hyperplanes": [
        {"lr": 10 ** e, "step": s} for e in (-2.0, -1.0, 0.0, 0.5, 1.0) for s in (0, STEPS // 2, STEPS)
    ],
}


# ----------------------------------------------------------------------------------------------
# Predictions asked in the notebook (answers computed by the helpers above, with the notebook's arguments)
# ----------------------------------------------------------------------------------------------

def _share_bucket(fraction):
    return "under 10 %" if fraction < 0.1 else "over 50 %" if fraction > 0.5 else "10 % to 50 %"


LAYER2_DEAD_AT_LARGE_LR = Prediction(
    question=f"The net of section 1 is trained for {STEPS} steps at learning rate {LARGE_LR:.3g}. What share of "
             "the units of its SECOND hidden layer end up dead?",
    options=("under 10 %", "10 % to 50 %", "over 50 %"),
    answer=lambda: _share_bucket(float(lr_sweep(0)["dead"][-1, lr_index(LARGE_LR), 1])),
    why="Large steps push whole units to the silent side. The second layer loses more than the first: its inputs are "
        "the first layer's outputs, which move during training, and many of them are zero.",
)

BORN_DEAD_DEPTHS, BORN_DEAD_WIDTHS = tuple(range(1, 31)), (2, 3, 4, 6, 8)


def _born_dead_narrow_answer():
    p = born_dead_probability(BORN_DEAD_DEPTHS, BORN_DEAD_WIDTHS, n_nets=4000, n_inputs=64, seed=0)
    return _share_bucket(float(p[0, 9]))


BORN_DEAD_NARROW = Prediction(
    question="A ReLU net with 10 hidden layers of width 2 gets He-normal weights and zero biases. How often is it "
             "born dead (some layer outputs zero for every input, so the output is constant)?",
    options=("under 10 %", "10 % to 50 %", "over 50 %"),
    answer=_born_dead_narrow_answer,
    why="Each layer of two units has a fair chance that both units are silent on every input; one such layer is "
        "enough, and with ten layers the chances add up.",
)


def _prelu_diverges_answer():
    runs = compare_remedies(lr=REMEDY_LR, weight_decay=1e-3, seeds=REMEDY_SEEDS)
    n = sum(r["diverged"] for r in runs if r["name"] == "PReLU (α not decayed)")
    return "none" if n == 0 else f"all {len(REMEDY_SEEDS)}" if n == len(REMEDY_SEEDS) else "some"


PRELU_DIVERGES = Prediction(
    question=f"PReLU passes gradient on both sides, like Leaky ReLU, so its units cannot die. At learning rate "
             f"{REMEDY_LR:g}, in how many of the {len(REMEDY_SEEDS)} seeds does training with PReLU diverge?",
    options=("none", "some", f"all {len(REMEDY_SEEDS)}"),
    answer=_prelu_diverges_answer,
    why="PReLU's slopes are learned with the same large rate. They drift far from 0.25, some become negative or "
        "larger than 1, and the outputs blow up (section 5 measures it).",
)


def _plain_revival_answer():
    r = revival_experiment(lr=LARGE_LR, steps=200, finetune_lr=0.1, seed=0)
    back = r["dead_before"] - r["plain ReLU"]
    if back <= 0.1 * r["dead_before"]:
        return "none or almost none"
    return "almost all" if back >= 0.9 * r["dead_before"] else "about half"


PLAIN_REVIVAL = Prediction(
    question="The net killed by the large learning rate is trained 200 more steps at a gentle rate (0.1), with "
             "plain ReLU. How many of its dead units come back?",
    options=("none or almost none", "about half", "almost all"),
    answer=_plain_revival_answer,
    why="A dead unit's gradient is exactly zero, so no optimiser step moves its incoming weights; a second-layer "
        "unit can only come back if the first layer's outputs move enough, which is rare.",
)


__all__ = [
    "RELU_LIKE", "TASK", "SIZES", "STEPS", "BATCH_SIZE", "SNAPSHOT_EVERY", "LR_EXPONENTS", "LARGE_LR",
    "ACTIVATION_NAMES", "INIT_NAMES", "REMEDY_LR", "REMEDIES", "REMEDY_SEEDS", "EXERCISE_W", "EXERCISE_B",
    "EXERCISE_X", "KILL_W", "KILL_B", "KILL_GRAD_W", "KILL_GRAD_B", "BORN_DEAD_DEPTHS", "BORN_DEAD_WIDTHS",
    "dead_mask", "first_layer_dead_mask", "prelu_forward", "prelu_backward", "born_dead_probability", "rai_init",
    "LayerStats", "DeadUnitMonitor", "dead_unit_report", "overall_dead_fraction", "make_task", "make_net",
    "WarmupSGD", "train_copies", "train_lr_sweep", "lr_sweep", "lr_index", "first_layer_dead_counts",
    "dead_at_birth", "compare_remedies", "summarise_remedies", "format_table", "prelu_slope_trace",
    "prelu_slopes_under_decay", "revival_experiment", "check_dead_count", "check_dead_mask", "check_killing_lr",
    "plot_unit_activity", "plot_hyperplanes", "plot_dead_vs_lr", "plot_dead_over_steps", "plot_dead_at_birth",
    "plot_born_dead", "plot_remedies", "VIEW_SWEEPS", "LAYER2_DEAD_AT_LARGE_LR", "BORN_DEAD_NARROW",
    "PRELU_DIVERGES", "PLAIN_REVIVAL",
]
