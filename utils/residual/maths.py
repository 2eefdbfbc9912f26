"""Residual and dense connections from scratch: the blocks of notebook 08 as small `nn.Module`s (the file to read).

Read it in this order:

1. The MLP blocks of the degradation experiment: `MLPBlock` (plain, residual, pre-activation: one formula each in its
   docstring), `DeepMLP` (stem → blocks → head; `skip` deletes blocks at test time) and `make_deep_mlp` (a seeded,
   He-initialised stack).
2. The convolutional blocks of real networks: the projection shortcut (`_shortcut`), `BasicBlock`, `Bottleneck`,
   `PreActBlock`, then DenseNet's `DenseLayer` (concatenate instead of add) and `Transition`.
3. Whole networks built from them, on the `meta` device (shapes and parameter counts, no memory): `resnet18`,
   `resnet50`, `densenet121`; `count_parameters`, `block_parameter_table`, `dense_channels` (k0 + l·k) and
   `published_comparison` against the papers' figures (`PUBLISHED`, `PUBLISHED_TOLERANCE`).
4. The small nets that the notebook trains on the digits: `DenseMLPLayer`, `small_resnet`, `small_densenet`, and
   `activation_memory` (bytes autograd keeps for the backward pass).

The experiments that train these nets are in `experiments.py`, the plots in `figures.py`.
"""

import math

import numpy as np
import torch
from torch import nn

from utils import validation

from ._checks import _MAX_CHANNELS, _MAX_DEPTH, _MAX_WIDTH, _channels_and_stride

WIDTH = 32                     # units of every hidden layer of the MLP stacks
BLOCK_KINDS = ("plain", "residual", "pre-activation")


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
        width = validation.size("width", width, high=_MAX_WIDTH)
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
        width = validation.size("width", width, high=_MAX_WIDTH)
        n_classes = validation.size("n_classes", n_classes, high=1000, low=2)
        n_blocks = validation.size("n_blocks", n_blocks, high=_MAX_DEPTH // 2, low=0)
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
    depth = validation.size("depth", depth, high=_MAX_DEPTH, low=2)
    if depth % 2:
        raise ValueError(f"depth must be even (two layers per block), got {depth}")
    validation.one_of("kind", kind, BLOCK_KINDS)
    width = validation.size("width", width, high=_MAX_WIDTH)
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
# Convolutional blocks, ResNet-18/50 and DenseNet-121 (built here: no torchvision, no weights)
# ----------------------------------------------------------------------------------------------

def _conv(c_in, c_out, k, stride=1):
    return nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False)


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
        c_in = validation.size("c_in", c_in, high=_MAX_CHANNELS)
        growth = validation.size("growth", growth, high=_MAX_CHANNELS)
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
        c_in = validation.size("c_in", c_in, high=_MAX_CHANNELS)
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
        c_in = validation.size("c_in", c_in, high=_MAX_CHANNELS)
        growth = validation.size("growth", growth, high=_MAX_CHANNELS)
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
    spans = {}  # storage -> the byte ranges of it that saved tensors read
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in params and t.numel():
            # A saved tensor may be a view (x_train[:64] is a view onto the whole training set): count the bytes the
            # view reaches, not its whole storage.
            reach = 1 + sum((size - 1) * abs(stride) for size, stride in zip(t.shape, t.stride()))
            start = t.storage_offset() * t.element_size()
            spans.setdefault(storage.data_ptr(), []).append((start, start + reach * t.element_size()))
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x).sum()
    total = 0
    for ranges in spans.values():  # overlapping views of one storage are counted once
        end = 0
        for a, b in sorted(ranges):
            total += max(0, b - max(a, end))
            end = max(end, b)
    return int(total)
