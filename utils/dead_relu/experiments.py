"""The experiments of notebook 05 on the causes of dead ReLUs (sections 1-4); they return data.

The shared task and net (`make_task`, `make_net`), the born-dead simulation (`born_dead_probability`), the
learning-rate sweep (`train_lr_sweep`, `lr_sweep`, `lr_index`, `first_layer_dead_counts`), deaths at birth
(`dead_at_birth`), and the batched trainer `train_copies` (with `WarmupSGD`) that `remedies.py` uses.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from utils import validation
from utils.caching import cached
from utils.data import load_dataset
from utils.device import one_cpu_thread
from utils.training import make_mlp

from ._checks import _positive_list, _seed
from .maths import _rai_tensors, dead_unit_report, overall_dead_fraction

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
_MAX_STEPS = 5000         # the most SGD steps an experiment runs (a few seconds on the CPU)


# ----------------------------------------------------------------------------------------------
# Experiments
# ----------------------------------------------------------------------------------------------

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
                                  init)


@cached(maxsize=8)
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


class WarmupSGD(torch.optim.SGD):
    """Plain SGD whose learning rate rises linearly from lr/warmup_steps to lr over the first steps."""

    def __init__(self, params, lr, warmup_steps=100, weight_decay=0.0):
        lr = validation.finite_number("lr", lr, low=0, low_open=True)
        warmup_steps = validation.size("warmup_steps", warmup_steps, high=10**6)
        weight_decay = validation.finite_number("weight_decay", weight_decay, low=0, high=1)
        if isinstance(params, torch.Tensor) or not hasattr(params, "__iter__"):
            raise TypeError(f"params must be the parameters to train (e.g. net.parameters()), got {params!r:.60}")
        params = list(params)
        if not params:
            raise ValueError("params must hold at least one parameter to train, got none")
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
    seeds = validation.sequence("seeds", seeds, lambda name, v: _seed(v, name))
    steps = validation.size("steps", steps, high=_MAX_STEPS)
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
    steps = validation.size("steps", steps, high=_MAX_STEPS)
    batch_size = validation.size("batch_size", batch_size, high=10**5)
    snapshot_every = validation.size("snapshot_every", snapshot_every, high=_MAX_STEPS)
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


@cached(maxsize=4)
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
