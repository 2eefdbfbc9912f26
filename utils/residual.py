"""Residual and dense connections: deep MLP stacks with and without shortcuts, ResNet and DenseNet built from their
blocks, and the experiments of notebook 08.

Public: the MLP experiment (`make_deep_mlp`, `DeepMLP`, `MLPBlock`, `train_stack`, `degradation_runs`,
`degradation_table`, `initial_losses`, `identity_fit`, `gradient_norms`, `block_deletion`, `loss_slice`), the
convolutional blocks and networks (`BasicBlock`, `Bottleneck`, `PreActBlock`, `DenseLayer`, `Transition`, `resnet18`,
`resnet50`, `densenet121`, `count_parameters`, `block_parameter_table`, `dense_channels`, `small_resnet`,
`small_densenet`, `activation_memory`, `compare_small_nets`), the exercises (`check_dense_channels`,
`check_bottleneck_params`, `check_needs_projection`), the predictions, and the plots.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from utils import validation
from utils.data import load_dataset
from utils.device import one_cpu_thread
from utils.exercises import feedback, learner_number
from utils.plotstyle import BLUE, GREEN, ORANGE, PALETTE, PURPLE, VERMILION, light_log_axis, new_figure
from utils.predictions import Prediction

# The degradation experiment: 8x8 digits, MLP blocks of two Linear → BatchNorm layers, plain SGD with momentum.
WIDTH = 32
DEPTHS = (4, 12, 36)           # hidden weight layers inside the blocks (two per block)
STEPS = 150
LR = 0.05
MOMENTUM = 0.9
BATCH_SIZE = 64
SEEDS = (0, 1, 2)
KINDS = ("plain", "residual", "residual, last γ = 0")
BLOCK_KINDS = ("plain", "residual", "pre-activation")
MAX_DEPTH = 200
GRADIENT_BATCH = 128
MAX_WIDTH = 512
MAX_CHANNELS = 4096
CHANCE_LOSS = math.log(10)


# ----------------------------------------------------------------------------------------------
# Deep MLP stacks: plain, residual (post-activation) and pre-activation blocks
# ----------------------------------------------------------------------------------------------

class MLPBlock(nn.Module):
    """Two Linear layers of `width` units, each followed by BatchNorm (optional), as one block.

    kind "plain":          y = relu(BN2(W2 relu(BN1(W1 x))))
    kind "residual":       y = relu(x + BN2(W2 relu(BN1(W1 x))))        (He et al., 2016a)
    kind "pre-activation": y = x + W2 relu(BN2(W1 relu(BN1(x))))         (He et al., 2016b)
    zero_last_gamma: start BN2's scale γ at 0, so that a residual block starts as the identity (Goyal et al., 2017).
    """

    def __init__(self, width, kind="plain", batchnorm=True, zero_last_gamma=False):
        super().__init__()
        width = validation.size("width", width, high=MAX_WIDTH)
        self.kind = validation.one_of("kind", kind, BLOCK_KINDS)
        batchnorm = validation.boolean("batchnorm", batchnorm)
        zero_last_gamma = validation.boolean("zero_last_gamma", zero_last_gamma)
        self.lin1 = nn.Linear(width, width, bias=not batchnorm)
        self.lin2 = nn.Linear(width, width, bias=not batchnorm)
        self.bn1 = nn.BatchNorm1d(width) if batchnorm else nn.Identity()
        self.bn2 = nn.BatchNorm1d(width) if batchnorm else nn.Identity()
        if batchnorm and zero_last_gamma:
            nn.init.zeros_(self.bn2.weight)

    def forward(self, x):
        if self.kind == "pre-activation":
            return x + self.lin2(torch.relu(self.bn2(self.lin1(torch.relu(self.bn1(x))))))
        out = self.bn2(self.lin2(torch.relu(self.bn1(self.lin1(x)))))
        return torch.relu(x + out) if self.kind == "residual" else torch.relu(out)


class DeepMLP(nn.Module):
    """stem (Linear → BN → ReLU) → blocks → [BN → ReLU for pre-activation] → head Linear.

    forward(x, skip=()) leaves out the blocks whose indices are in `skip` (their input passes on unchanged), for the
    block-deletion experiment.
    """

    def __init__(self, d_in, width, n_classes, n_blocks, kind="plain", batchnorm=True, zero_last_gamma=False):
        super().__init__()
        d_in = validation.size("d_in", d_in, high=4096)
        width = validation.size("width", width, high=MAX_WIDTH)
        n_classes = validation.size("n_classes", n_classes, high=1000, low=2)
        n_blocks = validation.size("n_blocks", n_blocks, high=MAX_DEPTH // 2, low=0)
        self.kind = validation.one_of("kind", kind, BLOCK_KINDS)
        batchnorm = validation.boolean("batchnorm", batchnorm)
        self.stem = nn.Linear(d_in, width, bias=not batchnorm)
        self.stem_bn = nn.BatchNorm1d(width) if batchnorm else nn.Identity()
        self.blocks = nn.ModuleList(MLPBlock(width, kind, batchnorm, zero_last_gamma) for _ in range(n_blocks))
        self.final_bn = nn.BatchNorm1d(width) if batchnorm and kind == "pre-activation" else nn.Identity()
        self.head = nn.Linear(width, n_classes)

    def forward(self, x, skip=()):
        h = torch.relu(self.stem_bn(self.stem(x)))
        for i, block in enumerate(self.blocks):
            if i not in skip:
                h = block(h)
        if self.kind == "pre-activation":
            h = torch.relu(self.final_bn(h))
        return self.head(h)

    def block_inputs(self, x):
        """The logits and the input of every block and of the head [(N, width), ...], kept for gradients."""
        h = torch.relu(self.stem_bn(self.stem(x)))
        states = []
        for block in self.blocks:
            h.retain_grad()
            states.append(h)
            h = block(h)
        if self.kind == "pre-activation":
            h = torch.relu(self.final_bn(h))
        h.retain_grad()
        states.append(h)
        return self.head(h), states


def make_deep_mlp(depth, kind="plain", width=WIDTH, batchnorm=True, zero_last_gamma=False, d_in=64, n_classes=10,
                  seed=0):
    """A seeded DeepMLP with `depth` hidden weight layers in depth/2 blocks (plus the stem and the head).

    kind: "plain", "residual" or "pre-activation". Weights are He-normal (fan-in, gain √2), biases 0, BN γ = 1, β = 0.
    """
    depth = validation.size("depth", depth, high=MAX_DEPTH, low=2)
    if depth % 2:
        raise ValueError(f"depth must be even (two layers per block), got {depth}")
    validation.one_of("kind", kind, BLOCK_KINDS)
    width = validation.size("width", width, high=MAX_WIDTH)
    batchnorm = validation.boolean("batchnorm", batchnorm)
    zero_last_gamma = validation.boolean("zero_last_gamma", zero_last_gamma)
    d_in = validation.size("d_in", d_in, high=4096)
    n_classes = validation.size("n_classes", n_classes, high=1000, low=2)
    seed = validation.seed_value("seed", seed)
    g = torch.Generator().manual_seed(seed)
    net = DeepMLP(d_in, width, n_classes, depth // 2, kind, batchnorm, zero_last_gamma)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, math.sqrt(2.0 / m.in_features), generator=g)
                if m.bias is not None:
                    m.bias.zero_()
    return net


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
    if len(seeds) != len(nets):
        raise ValueError(f"seeds must give one seed per net: {len(seeds)} seeds for {len(nets)} nets")
    seeds = [validation.seed_value("seeds", s) for s in seeds]
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


@functools.lru_cache(maxsize=4)
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
    depths = tuple(validation.size("depths", d, high=MAX_DEPTH, low=2) for d in depths)
    if not depths or any(d % 2 for d in depths):
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
    depths = tuple(validation.size("depths", d, high=MAX_DEPTH, low=2) for d in depths)
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
    depth = validation.size("depth", depth, high=MAX_DEPTH, low=2)
    validation.one_of("kind", kind, KINDS)
    vals = [r.train_loss for (d, k, _), r in runs.items() if d == depth and k == kind]
    if not vals:
        raise ValueError(f"runs hold no run of depth {depth!r} and kind {kind!r}")
    return float(np.mean(vals))


# ----------------------------------------------------------------------------------------------
# The identity map, gradients at initialisation, block deletion, the loss surface
# ----------------------------------------------------------------------------------------------

IDENTITY_KINDS = ("plain", "residual", "residual, last γ = 0")


@functools.lru_cache(maxsize=4)
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


@functools.lru_cache(maxsize=512)
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
    depth = validation.size("depth", depth, high=MAX_DEPTH, low=2)
    if depth % 2:
        raise ValueError(f"depth must be even (two layers per block), got {depth}")
    validation.one_of("kind", kind, BLOCK_KINDS)
    batchnorm = validation.boolean("batchnorm", batchnorm)
    zero_last_gamma = validation.boolean("zero_last_gamma", zero_last_gamma)
    seed = validation.seed_value("seed", seed)
    return _gradient_norms(depth, kind, batchnorm, zero_last_gamma and batchnorm, seed).copy()


def gradient_ratio(norms):
    """Input side over output side: norms[0] / norms[-1] (> 1: the gradient grows toward the input)."""
    norms = validation.array("norms", norms, ndim=1, min_size=2)
    return float(norms[0] / norms[-1]) if norms[-1] > 0 else math.inf


def gradient_ratio_table(depth=50, seed=0):
    """Input-side / output-side gradient ratio (`gradient_ratio`) of every kind, with and without BN and with the last
    γ at 0, for one depth, as aligned text."""
    depth = validation.size("depth", depth, high=MAX_DEPTH, low=2)
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
    depth = validation.size("depth", depth, high=MAX_DEPTH, low=2)
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
# Convolutional blocks, ResNet-18/50 and DenseNet-121 (built here: no torchvision, no weights)
# ----------------------------------------------------------------------------------------------

def _conv(c_in, c_out, k, stride=1):
    return nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False)


def _channels_and_stride(c_in, c_out, stride, out_name="c_out"):
    return (validation.size("c_in", c_in, high=MAX_CHANNELS), validation.size(out_name, c_out, high=MAX_CHANNELS),
            validation.size("stride", stride, high=4))


def _shortcut(c_in, c_out, stride, batchnorm=True):
    """The identity when shapes agree; otherwise a 1×1 convolution with the block's stride (+ BN): a projection."""
    if stride == 1 and c_in == c_out:
        return nn.Identity()
    layers = [_conv(c_in, c_out, 1, stride)]
    return nn.Sequential(*layers, nn.BatchNorm2d(c_out)) if batchnorm else layers[0]


class BasicBlock(nn.Module):
    """ResNet-18/34's block: relu(shortcut(x) + BN(conv3×3(relu(BN(conv3×3(x, stride)))))."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        c_in, c_out, stride = _channels_and_stride(c_in, c_out, stride)
        self.conv1, self.bn1 = _conv(c_in, c_out, 3, stride), nn.BatchNorm2d(c_out)
        self.conv2, self.bn2 = _conv(c_out, c_out, 3), nn.BatchNorm2d(c_out)
        self.shortcut = _shortcut(c_in, c_out, stride)

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.shortcut(x) + self.bn2(self.conv2(out)))


class Bottleneck(nn.Module):
    """ResNet-50's block: 1×1 (reduce to `mid` channels) → 3×3 (with the stride) → 1×1 (expand to 4·mid), each with
    BN, ReLU between, plus the shortcut (a projection when the stride or the channel count changes)."""

    expansion = 4

    def __init__(self, c_in, mid, stride=1):
        super().__init__()
        c_in, mid, stride = _channels_and_stride(c_in, mid, stride, "mid")
        c_out = mid * self.expansion
        self.conv1, self.bn1 = _conv(c_in, mid, 1), nn.BatchNorm2d(mid)
        self.conv2, self.bn2 = _conv(mid, mid, 3, stride), nn.BatchNorm2d(mid)
        self.conv3, self.bn3 = _conv(mid, c_out, 1), nn.BatchNorm2d(c_out)
        self.shortcut = _shortcut(c_in, c_out, stride)

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        return torch.relu(self.shortcut(x) + self.bn3(self.conv3(out)))


class PreActBlock(nn.Module):
    """He et al. (2016b): x + conv3×3(relu(BN(conv3×3(relu(BN(x)))))): nothing after the addition, so the shortcut
    path from any block to any later one is a pure identity. A projection (plain 1×1 convolution) when shapes change."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        c_in, c_out, stride = _channels_and_stride(c_in, c_out, stride)
        self.bn1, self.conv1 = nn.BatchNorm2d(c_in), _conv(c_in, c_out, 3, stride)
        self.bn2, self.conv2 = nn.BatchNorm2d(c_out), _conv(c_out, c_out, 3)
        self.shortcut = _shortcut(c_in, c_out, stride, batchnorm=False)

    def forward(self, x):
        out = self.conv1(torch.relu(self.bn1(x)))
        return self.shortcut(x) + self.conv2(torch.relu(self.bn2(out)))


class DenseLayer(nn.Module):
    """DenseNet-B's layer: BN → ReLU → 1×1 conv to bottleneck·k channels → BN → ReLU → 3×3 conv to k channels; the k
    new channels are concatenated to its input (bottleneck=0: BN → ReLU → 3×3 conv only)."""

    def __init__(self, c_in, growth, bottleneck=4):
        super().__init__()
        c_in = validation.size("c_in", c_in, high=MAX_CHANNELS)
        growth = validation.size("growth", growth, high=MAX_CHANNELS)
        bottleneck = validation.size("bottleneck", bottleneck, high=16, low=0)
        layers = []
        if bottleneck:
            layers += [nn.BatchNorm2d(c_in), nn.ReLU(), _conv(c_in, bottleneck * growth, 1)]
            c_in = bottleneck * growth
        layers += [nn.BatchNorm2d(c_in), nn.ReLU(), _conv(c_in, growth, 3)]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return torch.cat([x, self.body(x)], dim=1)


class Transition(nn.Sequential):
    """Between dense blocks: BN → ReLU → 1×1 conv to ⌊compression·c_in⌋ channels → 2×2 average pooling."""

    def __init__(self, c_in, compression=0.5):
        c_in = validation.size("c_in", c_in, high=MAX_CHANNELS)
        compression = validation.finite_number("compression", compression, low=0, low_open=True, high=1)
        c_out = max(1, int(math.floor(compression * c_in)))
        super().__init__(nn.BatchNorm2d(c_in), nn.ReLU(), _conv(c_in, c_out, 1), nn.AvgPool2d(2))
        self.out_channels = c_out


def _imagenet_stem(c_out):
    return [nn.Conv2d(3, c_out, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1)]


def _resnet(block, counts, widths=(64, 128, 256, 512), n_classes=1000, device="meta"):
    with torch.device(device):
        layers, c = _imagenet_stem(64), 64
        for stage, (n, width) in enumerate(zip(counts, widths)):
            for i in range(n):
                stride = 2 if stage > 0 and i == 0 else 1
                if block is Bottleneck:
                    layers.append(Bottleneck(c, width, stride))
                    c = width * Bottleneck.expansion
                else:
                    layers.append(block(c, width, stride))
                    c = width
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_classes)]
        return nn.Sequential(*layers)


def resnet18(n_classes=1000, device="meta"):
    """ResNet-18 (He et al., 2016a): basic blocks [2, 2, 2, 2], as torchvision builds it. On the `meta` device by
    default: shapes and parameter counts without memory or weights."""
    n_classes = validation.size("n_classes", n_classes, high=100_000, low=2)
    validation.one_of("device", device, ("meta", "cpu"))
    return _resnet(BasicBlock, (2, 2, 2, 2), n_classes=n_classes, device=device)


def resnet50(n_classes=1000, device="meta"):
    """ResNet-50: bottleneck blocks [3, 4, 6, 3] (stride on the 3×3 convolution, as torchvision's 'v1.5')."""
    n_classes = validation.size("n_classes", n_classes, high=100_000, low=2)
    validation.one_of("device", device, ("meta", "cpu"))
    return _resnet(Bottleneck, (3, 4, 6, 3), n_classes=n_classes, device=device)


def densenet121(n_classes=1000, device="meta"):
    """DenseNet-121 (Huang et al., 2017): growth rate 32, blocks of [6, 12, 24, 16] bottleneck layers, compression
    0.5, 64 stem channels."""
    n_classes = validation.size("n_classes", n_classes, high=100_000, low=2)
    validation.one_of("device", device, ("meta", "cpu"))
    with torch.device(device):
        layers, c = _imagenet_stem(64), 64
        for b, n in enumerate((6, 12, 24, 16)):
            for _ in range(n):
                layers.append(DenseLayer(c, 32))
                c += 32
            if b < 3:
                layers.append(Transition(c))
                c = layers[-1].out_channels
        layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_classes)]
        return nn.Sequential(*layers)


def count_parameters(model):
    """Number of trainable parameters (running statistics of BN are buffers, not parameters)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def block_parameter_table():
    """Parameter counts of the block designs at typical ResNet/DenseNet sizes, as (name, shape change, params)."""
    with torch.device("meta"):
        rows = [("basic block", "64 → 64, stride 1", BasicBlock(64, 64)),
                ("basic block + projection", "64 → 128, stride 2", BasicBlock(64, 128, 2)),
                ("bottleneck block", "256 → 256 (mid 64)", Bottleneck(256, 64)),
                ("bottleneck + projection", "256 → 512 (mid 128), stride 2", Bottleneck(256, 128, 2)),
                ("pre-activation block", "64 → 64, stride 1", PreActBlock(64, 64)),
                ("dense layer (k = 32, bottleneck)", "256 → 288", DenseLayer(256, 32)),
                ("transition (compression 0.5)", "256 → 128, size / 2", Transition(256))]
    return [(name, shape, count_parameters(m)) for name, shape, m in rows]


def dense_channels(k0=64, growth=32, n_layers=6):
    """Channels after each layer of a dense block: k0 + l·growth for l = 0 … n_layers. Returns an int array."""
    k0 = validation.size("k0", k0, high=100_000)
    growth = validation.size("growth", growth, high=10_000)
    n_layers = validation.size("n_layers", n_layers, high=10_000, low=0)
    return k0 + growth * np.arange(n_layers + 1)


PUBLISHED = {"ResNet-18": 11.7e6, "ResNet-50": 25.6e6, "DenseNet-121": 8.0e6}   # the papers' rounded figures
PUBLISHED_TOLERANCE = 0.01   # relative; rounding to 0.1 M alone allows up to 0.6 % (DenseNet-121: 0.05/8.0)


def published_comparison():
    """(name, parameters counted here, published figure, relative difference) for ResNet-18/50 and DenseNet-121,
    built on the meta device (no memory, no weights)."""
    built = {"ResNet-18": resnet18(), "ResNet-50": resnet50(), "DenseNet-121": densenet121()}
    return [(name, count_parameters(m), PUBLISHED[name], count_parameters(m) / PUBLISHED[name] - 1)
            for name, m in built.items()]


# ----------------------------------------------------------------------------------------------
# A small residual net and a small dense net on the digits (MLP-scale: fully connected layers)
# ----------------------------------------------------------------------------------------------

class DenseMLPLayer(nn.Module):
    """A fully connected dense layer: BN → ReLU → Linear(c_in → growth); its output is concatenated to its input."""

    def __init__(self, c_in, growth):
        super().__init__()
        c_in = validation.size("c_in", c_in, high=MAX_CHANNELS)
        growth = validation.size("growth", growth, high=MAX_CHANNELS)
        self.body = nn.Sequential(nn.BatchNorm1d(c_in), nn.ReLU(), nn.Linear(c_in, growth))

    def forward(self, x):
        return torch.cat([x, self.body(x)], dim=1)


def small_resnet(width=32, n_blocks=4, seed=0):
    """Linear (64 → width) → BN → ReLU → n_blocks residual MLP blocks → Linear (width → 10)."""
    width = validation.size("width", width, high=512)
    n_blocks = validation.size("n_blocks", n_blocks, high=50)
    seed = validation.seed_value("seed", seed)
    return make_deep_mlp(2 * n_blocks, "residual", width=width, seed=seed)


def small_densenet(growth=12, n_layers=8, k0=32, seed=0):
    """Linear (64 → k0) → n_layers dense layers of growth k (k0 + n_layers·k features at the end) → BN → ReLU →
    Linear (→ 10). PyTorch's default initialisation from a seeded global generator is replaced by He-normal weights
    drawn from an explicit one."""
    growth = validation.size("growth", growth, high=512)
    n_layers = validation.size("n_layers", n_layers, high=50)
    k0 = validation.size("k0", k0, high=512)
    seed = validation.seed_value("seed", seed)
    mods, c = [nn.Linear(64, k0)], k0
    for _ in range(n_layers):
        mods.append(DenseMLPLayer(c, growth))
        c += growth
    mods += [nn.BatchNorm1d(c), nn.ReLU(), nn.Linear(c, 10)]
    net = nn.Sequential(*mods)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, math.sqrt(2.0 / m.in_features), generator=g)
                m.bias.zero_()
    return net


def activation_memory(model, x):
    """Bytes of activations autograd keeps for the backward pass during one forward of x (train mode): every saved
    tensor counted once, the model's own parameters not counted. Concatenation makes new tensors, so a dense net
    stores more per parameter."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    x = validation.tensor("x", x, ndim=(2, 4))
    seen = {}
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x).sum()
    return int(sum(seen.values()))


@functools.lru_cache(maxsize=4)
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


# ----------------------------------------------------------------------------------------------
# Plots
# ----------------------------------------------------------------------------------------------

def _smooth(curve, window=10):
    n = len(curve) // window
    return np.arange(1, n + 1) * window, curve[: n * window].reshape(n, window).mean(1)


def plot_degradation(runs):
    """Training curves (mini-batch loss, averaged over 10 steps), one panel per kind of block, one colour per depth:
    a thin line per seed, a thick one for their mean. Each title says whether deeper ended lower or higher."""
    if not isinstance(runs, dict) or not runs:
        raise TypeError("runs must be the dict returned by degradation_runs")
    depths = sorted({d for d, _, _ in runs})
    seeds = sorted({s for _, _, s in runs})
    fig, axes = new_figure(1, len(KINDS), figsize=(9.6, 3.9), sharey=True)
    for ax, kind in zip(axes, KINDS):
        for depth, colour in zip(depths, (BLUE, ORANGE, VERMILION, GREEN, PURPLE)):
            curves = []
            for s in seeds:
                x, y = _smooth(runs[(depth, kind, s)].curve)
                ax.plot(x, y, color=colour, lw=0.8, alpha=0.5)
                curves.append(y)
            ax.plot(x, np.mean(curves, 0), color=colour, lw=2.4, label=f"{depth} layers")
        finals = [mean_train_loss(runs, d, kind) for d in depths]
        verdict = "deeper ends higher" if finals[-1] > finals[0] else "deeper ends lower"
        ax.set_title(f"{kind}:\n{verdict}", fontsize=13)
        ax.set_xlabel("training step")
        light_log_axis(ax, "y")
    axes[0].set_ylabel("training loss (mini-batch)")
    axes[0].axhline(CHANCE_LOSS, color="0.5", ls=":", lw=1.2)
    axes[0].text(5, CHANCE_LOSS * 1.1, "chance", color="0.4", fontsize=11)
    axes[-1].legend(loc="upper right")
    return fig


def plot_identity_fit(curves):
    """Mean squared error of fitting y = x during training, one colour per kind (thin: seeds; thick: mean)."""
    if not isinstance(curves, dict) or not all(k in curves for k in IDENTITY_KINDS):
        raise TypeError("curves must be the dict returned by identity_fit")
    fig, ax = new_figure(figsize=(7.5, 3.8))
    floor = 1e-6
    for kind, colour in zip(IDENTITY_KINDS, (VERMILION, BLUE, GREEN)):
        c = np.maximum(curves[kind], floor)
        steps = np.arange(c.shape[1])
        for row in c:
            ax.plot(steps, row, color=colour, lw=0.7, alpha=0.4)
        ax.plot(steps, c.mean(0), color=colour, lw=2.4, label=kind)
    ax.set_xlabel("Adam step")
    ax.set_ylabel("mean squared error of y = x")
    light_log_axis(ax, "y")
    ends = {k: curves[k][:, -5:].mean() for k in IDENTITY_KINDS}
    best = min(("plain", "residual"), key=ends.get)
    ax.set_title(f"After {steps[-1]} steps the {best} stack is closer to the identity;\n"
                 f"with last γ = 0 it starts there (error {curves[IDENTITY_KINDS[2]][:, 0].max():.0g})")
    ax.legend(loc="center right")
    return fig


_GRAD_STYLE = {"plain": VERMILION, "residual": BLUE, "pre-activation": GREEN}


def plot_gradient_norms(depth=50, kind="plain", batchnorm=True, zero_last_gamma=False, fig=None):
    """‖∂L/∂h‖ at every block's input of a fresh net (log scale), for one kind of block, with a grey reference: the
    residual stack when `kind` is plain, the plain stack (standard γ) otherwise, at the same depth and BN setting.
    The title gives the input-side / output-side ratio."""
    norms = gradient_norms(depth, kind, batchnorm, zero_last_gamma)
    ref_kind = "residual" if kind == "plain" else "plain"
    reference = gradient_norms(depth, ref_kind, batchnorm, zero_last_gamma and ref_kind != "plain")
    x = np.arange(len(norms))
    ratio = gradient_ratio(norms)
    if not np.isfinite(ratio) or ratio == 0:
        finding = "no gradient reaches the input (every block outputs 0)"
    elif ratio > 10:
        finding = f"input side / output side = {ratio:.2g}: explodes toward the input"
    elif ratio < 0.1:
        finding = f"input side / output side = {ratio:.2g}: vanishes toward the input"
    else:
        finding = f"input side / output side = {ratio:.2g}: within a factor of 10"
    bn = "with BN" if batchnorm else "without BN"
    gamma = ", last γ = 0" if zero_last_gamma and batchnorm else ""
    title = f"{kind}, {depth} layers, {bn}{gamma}:\n{finding}"
    if fig is None:
        fig, ax = new_figure(figsize=(7.6, 4.2))
        ax.plot([], [], color="0.6", lw=1.8)
        ax.plot([], [], "o-", ms=3.5, lw=2.2)
        ax.set_xlabel("block input (0 = first block, the input side; right = the head's input)")
        ax.set_ylabel("‖∂L/∂h‖ at initialisation")
        ax.set_yscale("log")
        light_log_axis(ax, "y")
        ax.legend(handles=ax.lines, labels=["reference", "this kind"], loc="upper right")
    ax = fig.axes[0]
    values = np.concatenate([norms, reference])
    values = values[values > 0]
    low, high = np.log10(values.min()), np.log10(values.max())
    bottom = 10 ** (math.floor(low) - 0.2)
    ref_line, main = ax.lines[0], ax.lines[1]
    ref_line.set_data(np.arange(len(reference)), np.maximum(reference, bottom))
    main.set_data(x, np.maximum(norms, bottom))
    main.set_color(_GRAD_STYLE[kind])
    legend = ax.get_legend()
    legend.get_texts()[0].set_text(f"{ref_kind} (reference)")
    legend.get_texts()[1].set_text(kind)
    legend.legend_handles[1].set_color(_GRAD_STYLE[kind])
    ax.set_ylim(bottom, 10 ** (math.ceil(high) + 0.8))
    ax.set_xlim(-0.5, len(norms) - 0.5)
    ax.set_title(title, fontsize=13)
    return fig


def plot_block_deletion(result):
    """Validation accuracy after deleting each block in turn (one dot per seed), with each full net's accuracy."""
    if not isinstance(result, dict) or not result:
        raise TypeError("result must be the dict returned by block_deletion")
    fig, ax = new_figure(figsize=(8.0, 4.0))
    colours = {"plain": VERMILION, "residual": BLUE, "residual, last γ = 0": GREEN}
    for kind, r in result.items():
        deleted = r["deleted"]
        blocks = np.arange(1, deleted.shape[1] + 1)
        for row in deleted:
            ax.plot(blocks, row, "o", ms=4, color=colours[kind], alpha=0.6)
        ax.plot(blocks, deleted.mean(0), "-", color=colours[kind], lw=2, label=f"{kind}: one block deleted")
        ax.axhline(r["full"].mean(), color=colours[kind], ls="--", lw=1.3, label=f"{kind}: full net")
    ax.axhline(0.1, color="0.5", ls=":", lw=1.2)
    ax.text(deleted.shape[1] + 0.45, 0.11, "chance", color="0.4", fontsize=11, ha="right", va="bottom")
    ax.set_xlabel("deleted block")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0, 1.02)
    parts = []
    if "plain" in result:
        parts.append(f"plain falls to {result['plain']['deleted'].mean():.0%} on average")
    res = result.get("residual")
    if res is not None and res["deleted"].shape[1] > 2:
        drop = np.median((res["full"][:, None] - res["deleted"])[:, 2:])
        parts.append(f"residual loses {100 * drop:.1f} points (median, blocks 3+)")
    ax.set_title("One block deleted: " + ";\n".join(parts) if parts else "One block deleted", fontsize=13)
    ax.legend(loc="center right", fontsize=10)
    return fig


def plot_loss_slice(result):
    """Training loss along one random filter-normalised direction through each trained net (log scale)."""
    if not isinstance(result, dict) or "alpha" not in result:
        raise TypeError("result must be the dict returned by loss_slice")
    fig, ax = new_figure(figsize=(7.5, 4.0))
    colours = {"plain": VERMILION, "residual": BLUE, "residual, last γ = 0": GREEN}
    for kind in [k for k in result if k != "alpha"]:
        for j, row in enumerate(result[kind]):
            ax.plot(result["alpha"], row, color=colours[kind], lw=1.6, alpha=0.8, label=kind if j == 0 else None)
    ax.set_xlabel("α (step along the direction, in units of each neuron's weight norm)")
    ax.set_ylabel("training loss")
    light_log_axis(ax, "y")
    centre = int(np.argmin(np.abs(result["alpha"])))
    parts = [f"{k} {np.mean(result[k][:, centre]):.2f}" for k in result if k != "alpha"]
    ax.set_title("Loss at the trained weights (α = 0): " + ", ".join(parts))
    ax.legend(loc="upper center")
    return fig


def plot_dense_channels(k0=64, growths=(12, 24, 32, 48), n_layers=24):
    """Channels entering each layer of a dense block, k0 + l·k, for several growth rates k."""
    growths = [validation.size("growths", k, high=10_000) for k in growths]
    fig, ax = new_figure(figsize=(7.0, 3.8))
    for k, colour in zip(growths, PALETTE):
        c = dense_channels(k0, k, n_layers)
        ax.plot(np.arange(n_layers + 1), c, "o-", ms=3, color=colour, label=f"k = {k}")
    ax.set_xlabel("layer l inside the dense block")
    ax.set_ylabel("channels k₀ + l·k")
    ax.set_title(f"Channels grow linearly: {n_layers} layers at k = {growths[-1]} "
                 f"give {int(dense_channels(k0, growths[-1], n_layers)[-1])}")
    ax.legend(loc="upper left")
    return fig


VIEW_SWEEPS = {
    "plot_gradient_norms": [
        {"depth": d, "kind": k, "batchnorm": bn, "zero_last_gamma": z}
        for d in (2, 50, 100) for k in BLOCK_KINDS for bn in (True, False) for z in (False, True)
    ],
}


__all__ = [
    "WIDTH", "DEPTHS", "STEPS", "LR", "MOMENTUM", "BATCH_SIZE", "SEEDS", "KINDS", "BLOCK_KINDS", "IDENTITY_KINDS",
    "CHANCE_LOSS", "MLPBlock", "DeepMLP", "make_deep_mlp", "train_stack", "degradation_runs",
    "initial_losses", "degradation_table", "mean_train_loss", "identity_fit", "gradient_norms", "gradient_ratio",
    "block_deletion", "loss_slice", "slice_sharpness", "BasicBlock", "Bottleneck", "PreActBlock", "DenseLayer",
    "Transition", "resnet18", "resnet50", "densenet121", "count_parameters", "block_parameter_table",
    "dense_channels", "PUBLISHED", "PUBLISHED_TOLERANCE", "published_comparison", "gradient_ratio_table",
    "small_nets_table", "DenseMLPLayer", "small_resnet", "small_densenet", "activation_memory", "compare_small_nets",
    "DEEPER_PLAIN", "GRADIENT_TOWARD_INPUT", "DELETE_BLOCK", "check_dense_channels", "check_bottleneck_params",
    "check_needs_projection", "plot_degradation", "plot_identity_fit", "plot_gradient_norms", "plot_block_deletion",
    "plot_loss_slice", "plot_dense_channels", "VIEW_SWEEPS",
]
