"""The experiments of notebook 08, returning data: deep MLP stacks trained with and without shortcuts (the degradation
problem), fitting the identity, gradients at initialisation, block deletion, a slice of the loss surface, and the small
residual and dense nets compared on the digits.

Training many same-depth nets is done as one batched computation (`_Stack`, behind `train_stack`); the long runs are
cached (`utils.caching.cached`: each call gets a copy of its own), so the notebook and its tests train each
configuration once. The nets themselves are in `maths.py`.
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

from ._checks import _MAX_DEPTH
from .maths import (
    BLOCK_KINDS,
    DeepMLP,
    activation_memory,
    count_parameters,
    make_deep_mlp,
    small_densenet,
    small_resnet,
)

# The degradation experiment: 8x8 digits, MLP blocks of two Linear → BatchNorm layers, plain SGD with momentum.
DEPTHS = (4, 12, 36)           # hidden weight layers inside the blocks (two per block)
STEPS = 150
LR = 0.05
MOMENTUM = 0.9
BATCH_SIZE = 64
SEEDS = (0, 1, 2)
KINDS = ("plain", "residual", "residual, last γ = 0")
GRADIENT_BATCH = 128
CHANCE_LOSS = math.log(10)


# ----------------------------------------------------------------------------------------------
# Training many same-depth nets at once
# ----------------------------------------------------------------------------------------------

def _linears_and_bns(net):
    """The nets' Linear and BatchNorm layers in forward order: stem, (lin1, bn1, lin2, bn2) per block, head."""
    lins, bns = [net.stem], [net.stem_bn]
    for b in net.blocks:
        lins += [b.lin1, b.lin2]
        bns += [b.bn1, b.bn2]
    return lins + [net.head], bns


class _Stack:
    """k DeepMLPs of one depth and width (post-activation, with BN; plain or residual) as one computation.

    Activations have shape (B, k, width): each copy's features are separate columns, so one `F.batch_norm` over
    (B, k·width) is k separate batch norms, and one batched matrix product is k separate Linear layers.
    """

    def __init__(self, nets, device):
        self.nets = nets
        k = len(nets)
        per_net = [_linears_and_bns(n) for n in nets]
        self.weights = [torch.stack([p[0][i].weight.detach().T for p in per_net]).to(device).clone().requires_grad_()
                        for i in range(len(per_net[0][0]))]
        self.head_bias = torch.stack([n.head.bias.detach() for n in nets])[None].to(device).clone().requires_grad_()
        self.gammas, self.betas, self.means, self.vars = [], [], [], []
        for i in range(len(per_net[0][1])):
            bns = [p[1][i] for p in per_net]
            self.gammas.append(torch.cat([b.weight.detach() for b in bns]).to(device).clone().requires_grad_())
            self.betas.append(torch.cat([b.bias.detach() for b in bns]).to(device).clone().requires_grad_())
            self.means.append(torch.cat([b.running_mean for b in bns]).to(device).clone())
            self.vars.append(torch.cat([b.running_var for b in bns]).to(device).clone())
        self.skip = torch.tensor([1.0 if n.kind == "residual" else 0.0 for n in nets], device=device).reshape(1, k, 1)
        self.k, self.momentum, self.eps = k, nets[0].stem_bn.momentum, nets[0].stem_bn.eps

    def parameters(self):
        return self.weights + self.gammas + self.betas + [self.head_bias]

    def _bn(self, h, i, training):
        b = h.shape[0]
        return F.batch_norm(h.reshape(b, -1), self.means[i], self.vars[i], self.gammas[i], self.betas[i], training,
                            self.momentum, self.eps).reshape(b, self.k, -1)

    @staticmethod
    def _mm(h, w):
        return torch.bmm(h.transpose(0, 1), w).transpose(0, 1)

    def forward(self, x, training=True, ends=True):
        """x: (B, k, d_in), one batch per copy. Returns logits (B, k, n_classes).

        ends=False runs the blocks only (no stem, no head): x is then (B, k, width) and so is the output.
        """
        h = torch.relu(self._bn(self._mm(x, self.weights[0]), 0, training)) if ends else x
        for j in range(1, len(self.weights) - 1, 2):
            z = torch.relu(self._bn(self._mm(h, self.weights[j]), j, training))
            z = self._bn(self._mm(z, self.weights[j + 1]), j + 1, training)
            h = torch.relu(self.skip * h + z)
        return self._mm(h, self.weights[-1]) + self.head_bias if ends else h

    def write_back(self):
        """Copy the trained tensors into the k nets (in place) and return them."""
        with torch.no_grad():
            for c, net in enumerate(self.nets):
                lins, bns = _linears_and_bns(net)
                for lin, w in zip(lins, self.weights):
                    lin.weight.copy_(w[c].T)
                net.head.bias.copy_(self.head_bias[0, c])
                for i, bn in enumerate(bns):
                    part = slice(c * bn.num_features, (c + 1) * bn.num_features)
                    bn.weight.copy_(self.gammas[i][part])
                    bn.bias.copy_(self.betas[i][part])
                    bn.running_mean.copy_(self.means[i][part])
                    bn.running_var.copy_(self.vars[i][part])
        return self.nets


def train_stack(nets, data, seeds, steps=STEPS, lr=LR, momentum=MOMENTUM, batch_size=BATCH_SIZE, device=None):
    """Train k DeepMLPs of one depth (plain or residual, with BN) side by side: the same as k separate runs of
    SGD with momentum on mini-batches drawn by a generator seeded with seeds[i], done as one batched computation.

    nets: DeepMLPs from `make_deep_mlp` (same depth and width, kind "plain" or "residual", batchnorm=True).
    data: a `utils.data.Split`. Returns the nets (trained in place, in eval mode) and the mini-batch losses
    (steps, k) as a NumPy array.
    """
    if not nets or not all(isinstance(n, DeepMLP) for n in nets):
        raise TypeError("nets must be a non-empty list of DeepMLP (from make_deep_mlp)")
    shapes = {(len(n.blocks), n.stem.out_features, n.kind in ("plain", "residual"),
               isinstance(n.stem_bn, nn.BatchNorm1d)) for n in nets}
    if len(shapes) != 1 or not next(iter(shapes))[2:] == (True, True):
        raise ValueError("nets must share depth and width and be 'plain' or 'residual' with batchnorm=True")
    seeds = validation.sequence("seeds", seeds, validation.seed_value)
    if len(seeds) != len(nets):
        raise ValueError(f"seeds must give one seed per net: {len(seeds)} seeds for {len(nets)} nets")
    steps = validation.size("steps", steps, high=5000)
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=10)
    momentum = validation.finite_number("momentum", momentum, low=0, high=1, high_open=True)
    batch_size = validation.size("batch_size", batch_size, high=4096)
    device = validation.device_value("device", device)
    x, y = data.x_train.to(device), data.y_train.to(device)
    n, k = len(x), len(nets)
    idx = torch.stack([torch.randint(n, (steps, batch_size), generator=torch.Generator().manual_seed(s))
                       for s in seeds], dim=2).to(device)          # (steps, B, k)
    with one_cpu_thread(device):
        stack = _Stack(nets, device)
        opt = torch.optim.SGD(stack.parameters(), lr=lr, momentum=momentum, foreach=True)
        losses = torch.zeros(steps, k)
        for t in range(steps):
            xb, yb = x[idx[t]], y[idx[t]]                          # (B, k, d), (B, k)
            logits = stack.forward(xb)
            per_copy = F.cross_entropy(logits.permute(0, 2, 1), yb, reduction="none").mean(0)   # (k,)
            opt.zero_grad(set_to_none=True)
            per_copy.sum().backward()
            opt.step()
            losses[t] = per_copy.detach().cpu()
        stack.write_back()
    for net in nets:
        for bn in _linears_and_bns(net)[1]:
            bn.num_batches_tracked += steps
        net.eval()
    return nets, losses.numpy()


def _evaluate(net, x, y):
    """(loss, accuracy) of a net in eval mode on a whole split."""
    net.eval()
    with torch.no_grad():
        out = net(x)
        return F.cross_entropy(out, y).item(), (out.argmax(1) == y).float().mean().item()


@dataclass
class _Run:
    """One trained net of the degradation experiment: its mini-batch loss curve and final numbers (eval mode)."""

    depth: int
    kind: str
    seed: int
    net: DeepMLP
    curve: np.ndarray
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float


def _task(device="cpu"):
    return load_dataset("digits", seed=0, device=device)


@cached(maxsize=4)
def _degradation_runs(depths, seeds, steps, device):
    data = _task(device)
    runs = {}
    for depth in depths:
        jobs = [(kind, s) for kind in KINDS for s in seeds]
        nets = [make_deep_mlp(depth, "plain" if kind == "plain" else "residual",
                              zero_last_gamma=kind.endswith("0"), seed=s) for kind, s in jobs]
        nets, curves = train_stack(nets, data, [s for _, s in jobs], steps=steps, device=device)
        for c, ((kind, s), net) in enumerate(zip(jobs, nets)):
            tr = _evaluate(net, data.x_train, data.y_train)
            va = _evaluate(net, data.x_val, data.y_val)
            runs[(depth, kind, s)] = _Run(depth, kind, s, net, curves[:, c], *tr, *va)
    return runs


def degradation_runs(depths=DEPTHS, seeds=SEEDS, steps=STEPS, device="cpu"):
    """Train every (depth, kind, seed) of the degradation experiment once; later calls return the cached runs.

    kinds: KINDS, i.e. plain blocks, residual blocks, residual blocks whose last BN scale starts at 0. All nets of a
    depth see the same mini-batches for the same seed and differ only in their blocks.
    Returns a dict (depth, kind, seed) -> Run.
    """
    depths = validation.sequence("depths", depths, lambda n, d: validation.size(n, d, high=_MAX_DEPTH, low=2))
    if any(d % 2 for d in depths):
        raise ValueError(f"depths must be a non-empty list of even numbers, got {depths}")
    seeds = validation.seeds("seeds", seeds)
    steps = validation.size("steps", steps, high=5000)
    device = validation.device_value("device", device)
    return _degradation_runs(depths, seeds, steps, str(device))


def initial_losses(depths=DEPTHS, seed=0, device="cpu"):
    """Loss on the whole training set of freshly initialised plain and residual nets (train mode: BN normalises with
    the statistics of this batch, as during training).

    Returns a dict (depth, kind) -> loss, with kind "plain" or "residual"; ln 10 ≈ 2.303 is chance on 10 classes.
    """
    depths = validation.sequence("depths", depths, lambda n, d: validation.size(n, d, high=_MAX_DEPTH, low=2))
    seed = validation.seed_value("seed", seed)
    device = validation.device_value("device", device)
    data = _task(device)
    out = {}
    with one_cpu_thread(device), torch.no_grad():
        for depth in depths:
            for kind in ("plain", "residual"):
                net = make_deep_mlp(depth, kind, seed=seed).to(device).train()
                out[(depth, kind)] = F.cross_entropy(net(data.x_train), data.y_train).item()
    return out


def degradation_table(runs):
    """The degradation experiment as aligned text: one row per (depth, kind), mean ± sd over the seeds."""
    if not isinstance(runs, dict) or not runs:
        raise TypeError("runs must be the dict returned by degradation_runs")
    depths = sorted({d for d, _, _ in runs})
    seeds = sorted({s for _, _, s in runs})
    lines = [f"{'depth':>5}  {'blocks':<22}{'train loss':>16}{'train acc':>12}{'val acc':>10}",
             f"{'':>5}  {'':<22}{'(mean ± sd)':>16}{'(mean)':>12}{'(mean)':>10}"]
    for depth in depths:
        for kind in KINDS:
            rs = [runs[(depth, kind, s)] for s in seeds]
            loss = np.array([r.train_loss for r in rs])
            lines.append(f"{depth:>5}  {kind:<22}{loss.mean():>9.3f} ± {loss.std():.3f}"
                         f"{np.mean([r.train_acc for r in rs]):>12.1%}{np.mean([r.val_acc for r in rs]):>10.1%}")
    return "\n".join(lines)


def mean_train_loss(runs, depth, kind):
    """Mean final training loss over the seeds of `runs` for one depth and kind."""
    if not isinstance(runs, dict) or not runs:
        raise TypeError("runs must be the dict returned by degradation_runs")
    depth = validation.size("depth", depth, high=_MAX_DEPTH, low=2)
    validation.one_of("kind", kind, KINDS)
    vals = [r.train_loss for (d, k, _), r in runs.items() if d == depth and k == kind]
    if not vals:
        raise ValueError(f"runs hold no run of depth {depth!r} and kind {kind!r}")
    return float(np.mean(vals))


# ----------------------------------------------------------------------------------------------
# The identity map, gradients at initialisation, block deletion, the loss surface
# ----------------------------------------------------------------------------------------------

IDENTITY_KINDS = ("plain", "residual", "residual, last γ = 0")


@cached(maxsize=4)
def _identity_fit(depth, steps, lr, seeds):
    x = _task().x_train
    jobs = [(kind, s) for kind in IDENTITY_KINDS for s in seeds]
    nets = [make_deep_mlp(depth, "plain" if kind == "plain" else "residual", width=x.shape[1],
                          zero_last_gamma=kind.endswith("0"), d_in=x.shape[1], seed=s) for kind, s in jobs]
    idx = torch.stack([torch.randint(len(x), (steps + 1, BATCH_SIZE), generator=torch.Generator().manual_seed(s))
                       for _, s in jobs], dim=2)
    errors = torch.zeros(steps + 1, len(jobs))
    with one_cpu_thread():
        stack = _Stack(nets, "cpu")
        block_params = stack.weights[1:-1] + stack.gammas[1:] + stack.betas[1:]
        opt = torch.optim.Adam(block_params, lr=lr, foreach=True)
        for t in range(steps + 1):
            xb = x[idx[t]]
            per_copy = ((stack.forward(xb, ends=False) - xb) ** 2).mean(dim=(0, 2))
            errors[t] = per_copy.detach()
            if t < steps:
                opt.zero_grad(set_to_none=True)
                per_copy.sum().backward()
                opt.step()
    return {kind: errors[:, [j for j, (k, _) in enumerate(jobs) if k == kind]].T.numpy() for kind in IDENTITY_KINDS}


def identity_fit(depth=12, steps=100, lr=0.01, seeds=SEEDS):
    """Fit y = x on the digits' 64 pixels (all >= 0) with a stack of depth/2 blocks of width 64 (no stem, no head;
    BN, He-normal weights), Adam at `lr`: plain blocks, residual blocks, and residual blocks whose last γ starts at 0.

    A residual block outputs relu(x + F(x)) = x as soon as F = 0 (one γ at zero does it); a plain block must make its
    two layers and two batch norms compose to the identity. Returns {kind: (seeds, steps + 1)} mini-batch mean squared
    errors for each kind of IDENTITY_KINDS, the first column measured before any step.
    """
    depth = validation.size("depth", depth, high=48, low=2)
    if depth % 2:
        raise ValueError(f"depth must be even (two layers per block), got {depth}")
    steps = validation.size("steps", steps, high=2000)
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=1)
    seeds = validation.seeds("seeds", seeds)
    return _identity_fit(depth, steps, lr, seeds)


@cached(maxsize=512)
def _gradient_norms(depth, kind, batchnorm, zero_last_gamma, seed):
    data = _task()
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(data.x_train), generator=g)[:GRADIENT_BATCH]
    net = make_deep_mlp(depth, kind, batchnorm=batchnorm, zero_last_gamma=zero_last_gamma, seed=seed).train()
    with one_cpu_thread():
        logits, states = net.block_inputs(data.x_train[idx])
        F.cross_entropy(logits, data.y_train[idx]).backward()
    return np.array([s.grad.norm().item() for s in states])


def gradient_norms(depth=50, kind="plain", batchnorm=True, zero_last_gamma=False, seed=0):
    """‖∂L/∂h‖ at the input of every block (and of the head) of a freshly initialised net, on a batch of
    GRADIENT_BATCH = 128 digits (BN in training mode).

    Returns an array (depth/2 + 1,): entry 0 is the first block's input (the input side), the last the head's input.
    Without batch norm `zero_last_gamma` has no γ to act on and changes nothing.
    """
    depth = validation.size("depth", depth, high=_MAX_DEPTH, low=2)
    if depth % 2:
        raise ValueError(f"depth must be even (two layers per block), got {depth}")
    validation.one_of("kind", kind, BLOCK_KINDS)
    batchnorm = validation.boolean("batchnorm", batchnorm)
    zero_last_gamma = validation.boolean("zero_last_gamma", zero_last_gamma)
    seed = validation.seed_value("seed", seed)
    return _gradient_norms(depth, kind, batchnorm, zero_last_gamma and batchnorm, seed)


def gradient_ratio(norms):
    """Input side over output side: norms[0] / norms[-1] (> 1: the gradient grows toward the input)."""
    norms = validation.array("norms", norms, ndim=1, min_size=2)
    return float(norms[0] / norms[-1]) if norms[-1] > 0 else math.inf


def gradient_ratio_table(depth=50, seed=0):
    """Input-side / output-side gradient ratio (`gradient_ratio`) of every kind, with and without BN and with the last
    γ at 0, for one depth, as aligned text."""
    depth = validation.size("depth", depth, high=_MAX_DEPTH, low=2)
    seed = validation.seed_value("seed", seed)
    lines = [f"depth {depth}: ‖∂L/∂h‖ at the first block's input / at the head's input",
             f"{'blocks':<16}{'with BN':>12}{'BN, last γ = 0':>17}{'without BN':>13}"]
    for kind in BLOCK_KINDS:
        cells = [gradient_ratio(gradient_norms(depth, kind, bn, z, seed)) for bn, z in
                 ((True, False), (True, True), (False, False))]
        lines.append(f"{kind:<16}" + "".join(f"{c:>{w}.3g}" for c, w in zip(cells, (12, 17, 13))))
    return "\n".join(lines)


def _check_runs(runs, depth, kinds, seeds):
    """Validate the (depth, kinds, seeds) a section reads from `degradation_runs`' result; returns (depth, seeds)."""
    if not isinstance(runs, dict) or not runs:
        raise TypeError("runs must be the dict returned by degradation_runs")
    depth = validation.size("depth", depth, high=_MAX_DEPTH, low=2)
    if not isinstance(kinds, (tuple, list)):
        raise TypeError(f"kinds must be a tuple of names from {KINDS}, got {kinds!r}")
    if not kinds:
        raise ValueError(f"kinds must name at least one of {KINDS}, got an empty {type(kinds).__name__}")
    for kind in kinds:
        validation.one_of("kinds", kind, KINDS)
    seeds = validation.seeds("seeds", seeds)
    missing = [(depth, k, s) for k in kinds for s in seeds if (depth, k, s) not in runs]
    if missing:
        raise ValueError(f"runs hold no run for {missing[:3]}: train them with degradation_runs first")
    return depth, seeds


def block_deletion(runs, depth=DEPTHS[-1], kinds=("plain", "residual"), seeds=SEEDS):
    """Delete one block at a time from trained nets of `runs` (its input passes on unchanged) and measure the
    validation accuracy, as Veit et al. (2016) did with ResNets.

    Returns a dict kind -> {"full": (seeds,) accuracies, "deleted": (seeds, blocks) accuracies}.
    """
    depth, seeds = _check_runs(runs, depth, kinds, seeds)
    device = next(runs[(depth, kinds[0], seeds[0])].net.parameters()).device
    data = _task(device)
    out = {}
    with one_cpu_thread(device), torch.no_grad():
        for kind in kinds:
            full, deleted = [], []
            for s in seeds:
                net = runs[(depth, kind, s)].net.eval()
                full.append((net(data.x_val).argmax(1) == data.y_val).float().mean().item())
                deleted.append([(net(data.x_val, skip={i}).argmax(1) == data.y_val).float().mean().item()
                                for i in range(len(net.blocks))])
            out[kind] = {"full": np.array(full), "deleted": np.array(deleted)}
    return out


def _filter_normalised_direction(net, g):
    """A random direction in weight space: Gaussian, each neuron's row rescaled to that row's norm in the net
    (Li et al., 2018); zero for biases and BN's γ and β."""
    direction = []
    for p in net.parameters():
        if p.ndim == 2:
            d = torch.randn(p.shape, generator=g).to(p.device)
            d *= p.detach().norm(dim=1, keepdim=True) / d.norm(dim=1, keepdim=True).clamp_min(1e-12)
        else:
            d = torch.zeros_like(p)
        direction.append(d)
    return direction


def loss_slice(runs, depth=DEPTHS[-1], kinds=("plain", "residual"), seeds=SEEDS, span=1.0, n_points=21):
    """Training loss along one random filter-normalised direction through each trained net's weights:
    L(θ + α d) for α in [-span, span] (Li et al., 2018). The direction's seed is the run's seed.

    Returns a dict with "alpha" (n_points,) and, per kind, an array (seeds, n_points) of losses (eval mode).
    """
    depth, seeds = _check_runs(runs, depth, kinds, seeds)
    span = validation.finite_number("span", span, low=0, low_open=True, high=10)
    n_points = validation.size("n_points", n_points, high=201, low=3)
    device = next(runs[(depth, kinds[0], seeds[0])].net.parameters()).device
    data = _task(device)
    alphas = np.linspace(-span, span, n_points)
    out = {"alpha": alphas}
    with one_cpu_thread(device), torch.no_grad():
        for kind in kinds:
            rows = []
            for s in seeds:
                net = runs[(depth, kind, s)].net.eval()
                params = [p for p in net.parameters()]
                start = [p.detach().clone() for p in params]
                direction = _filter_normalised_direction(net, torch.Generator().manual_seed(1000 + s))
                row = []
                try:
                    for a in alphas:
                        for p, p0, d in zip(params, start, direction):
                            p.copy_(p0 + float(a) * d)
                        row.append(F.cross_entropy(net(data.x_train), data.y_train).item())
                finally:
                    for p, p0 in zip(params, start):
                        p.copy_(p0)
                rows.append(row)
            out[kind] = np.array(rows)
    return out


def slice_sharpness(losses, alphas, width=0.25):
    """Mean loss rise over |α| <= width from the centre of a slice (a crude flatness number; larger = sharper)."""
    losses = validation.array("losses", losses, ndim=1, min_size=3)
    alphas = validation.array("alphas", alphas, ndim=1, min_size=3)
    if len(losses) != len(alphas):
        raise ValueError(f"losses and alphas must have the same length, got {len(losses)} and {len(alphas)}")
    width = validation.finite_number("width", width, low=0, low_open=True)
    centre = int(np.argmin(np.abs(alphas)))
    near = np.abs(alphas) <= width
    return float(np.mean(losses[near] - losses[centre]))


# ----------------------------------------------------------------------------------------------
# A small residual net and a small dense net on the digits (MLP-scale: fully connected layers)
# ----------------------------------------------------------------------------------------------

@cached(maxsize=4)
def _compare_small_nets(steps, seeds):
    data = _task()
    x_tr, x_va = data.x_train, data.x_val
    rows = []
    with one_cpu_thread():
        for name, maker in (("residual MLP", small_resnet), ("dense MLP", small_densenet)):
            for seed in seeds:
                net = maker(seed=seed)
                g = torch.Generator().manual_seed(seed)
                opt = torch.optim.Adam(net.parameters(), lr=0.01)
                net.train()
                for _ in range(steps):
                    idx = torch.randint(len(x_tr), (BATCH_SIZE,), generator=g)
                    loss = F.cross_entropy(net(x_tr[idx]), data.y_train[idx])
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                net.eval()
                with torch.no_grad():
                    acc = (net(x_va).argmax(1) == data.y_val).float().mean().item()
                rows.append({"name": name, "seed": seed, "params": count_parameters(net), "val_acc": acc,
                             "memory": activation_memory(net, x_tr[:BATCH_SIZE]) / BATCH_SIZE})
    return rows


def compare_small_nets(steps=100, seeds=SEEDS):
    """Train the small residual MLP and the small dense MLP identically (Adam, lr 0.01, batches of 64) on the digits.

    Returns one dict per (net, seed): params, val_acc, memory (bytes kept for backward per example)."""
    steps = validation.size("steps", steps, high=3000)
    seeds = validation.seeds("seeds", seeds)
    return [dict(r) for r in _compare_small_nets(steps, seeds)]


def small_nets_table(rows):
    """`compare_small_nets` rows as aligned text: parameters, validation accuracy (mean ± sd over seeds), bytes kept
    for the backward pass per example."""
    if not isinstance(rows, list) or not rows:
        raise TypeError("rows must be the list returned by compare_small_nets")
    lines = [f"{'net':<14}{'parameters':>12}{'val acc (mean ± sd)':>22}{'kept for backward':>20}"]
    for name in dict.fromkeys(r["name"] for r in rows):
        mine = [r for r in rows if r["name"] == name]
        acc = np.array([r["val_acc"] for r in mine])
        lines.append(f"{name:<14}{mine[0]['params']:>12,}{acc.mean():>15.1%} ± {100 * acc.std():.1f}"
                     f"{mine[0]['memory'] / 1024:>16.1f} KiB")
    return "\n".join(lines)
