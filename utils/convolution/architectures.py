"""The classic CNNs of notebook 07 (LeNet-5, AlexNet, VGG-16, NiN, GoogLeNet) as PyTorch modules, and what they
cost: parameter and FLOP counts, weight depth, per-layer costs and the lineage table.

Built on PyTorch's `meta` device by default, so nothing is allocated; the per-layer formulas come from `maths.py`.
"""


import torch
from torch import nn

from utils import validation
from utils.caching import cached

from ._checks import _sequence, _side
from .maths import conv_macs, conv_params


def _conv(c_in, c_out, kernel, stride=1, padding=0, groups=1):
    return [nn.Conv2d(c_in, c_out, kernel, stride, padding, groups=groups), nn.ReLU()]


def _lenet5():
    # LeCun et al. (1998), in its common modern form: C3 connected to all six S2 maps (the paper's connection table
    # used 60 of the 96 pairs), plain average pooling (the paper's subsampling had a trainable coefficient and bias
    # per map) and a linear output layer (the paper used RBF units).
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
                         nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),
                         nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def _alexnet():
    # Krizhevsky et al. (2012) as published: the two-GPU split survives as groups=2 in conv2, conv4 and conv5 (each
    # half sees only the maps on its own GPU); conv3 and the dense layers connect across. LRN has no parameters.
    return nn.Sequential(*_conv(3, 96, 11, stride=4), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0), nn.MaxPool2d(3, 2),
                         *_conv(96, 256, 5, padding=2, groups=2), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0),
                         nn.MaxPool2d(3, 2),
                         *_conv(256, 384, 3, padding=1), *_conv(384, 384, 3, padding=1, groups=2),
                         *_conv(384, 256, 3, padding=1, groups=2), nn.MaxPool2d(3, 2), nn.Flatten(),
                         nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
                         nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000))


def _vgg16():
    # Simonyan & Zisserman (2015), configuration D: thirteen 3x3 convs in five blocks, three dense layers.
    layers, c_in = [], 3
    for block in ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)):
        for c_out in block:
            layers += _conv(c_in, c_out, 3, padding=1)
            c_in = c_out
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 1000))


def _nin_block(c_in, c_out, kernel, stride, padding):
    return [*_conv(c_in, c_out, kernel, stride, padding), *_conv(c_out, c_out, 1), *_conv(c_out, c_out, 1)]


def _nin():
    # Lin et al. (2014) for ImageNet, in the layout of Dive into Deep Learning's chapter: AlexNet-like convs each
    # followed by two 1x1 convs ("mlpconv"), and global average pooling over 1000 maps instead of dense layers.
    return nn.Sequential(*_nin_block(3, 96, 11, 4, 0), nn.MaxPool2d(3, 2),
                         *_nin_block(96, 256, 5, 1, 2), nn.MaxPool2d(3, 2),
                         *_nin_block(256, 384, 3, 1, 1), nn.MaxPool2d(3, 2), nn.Dropout(0.5),
                         *_nin_block(384, 1000, 3, 1, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())


class _Inception(nn.Module):
    """GoogLeNet's block: 1x1, 1x1 -> 3x3, 1x1 -> 5x5 and 3x3 max pool -> 1x1 branches, concatenated by channel.

    Its weight depth is 2 (the longest path through it has two convolutions).
    """

    weight_depth = 2

    def __init__(self, c_in, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        super().__init__()
        self.b1 = nn.Sequential(*_conv(c_in, c1, 1))
        self.b2 = nn.Sequential(*_conv(c_in, c3_reduce, 1), *_conv(c3_reduce, c3, 3, padding=1))
        self.b3 = nn.Sequential(*_conv(c_in, c5_reduce, 1), *_conv(c5_reduce, c5, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, padding=1), *_conv(c_in, pool_proj, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)


def _googlenet():
    # Szegedy et al. (2015), Table 1, without the two auxiliary classifiers (used only in training) and without LRN.
    return nn.Sequential(*_conv(3, 64, 7, stride=2, padding=3), nn.MaxPool2d(3, 2, padding=1),
                         *_conv(64, 64, 1), *_conv(64, 192, 3, padding=1), nn.MaxPool2d(3, 2, padding=1),
                         _Inception(192, 64, 96, 128, 16, 32, 32), _Inception(256, 128, 128, 192, 32, 96, 64),
                         nn.MaxPool2d(3, 2, padding=1),
                         _Inception(480, 192, 96, 208, 16, 48, 64), _Inception(512, 160, 112, 224, 24, 64, 64),
                         _Inception(512, 128, 128, 256, 24, 64, 64), _Inception(512, 112, 144, 288, 32, 64, 64),
                         _Inception(528, 256, 160, 320, 32, 128, 128), nn.MaxPool2d(3, 2, padding=1),
                         _Inception(832, 256, 160, 320, 32, 128, 128), _Inception(832, 384, 192, 384, 48, 128, 128),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.4), nn.Linear(1024, 1000))


# name -> builder, input (C, H, W), published parameter count (None: the paper gives none), where it is published,
# the relative tolerance our count is checked against, the year and the idea it introduced.
ARCHITECTURES = {
    "LeNet-5": dict(build=_lenet5, input=(1, 32, 32), published=60_000, tolerance=0.05, year=1998,
                    source="LeCun et al. 1998: 'about 60,000 free parameters'",
                    idea="conv + average-pooling stages, then dense layers"),
    "AlexNet": dict(build=_alexnet, input=(3, 227, 227), published=60_000_000, tolerance=0.02, year=2012,
                    source="Krizhevsky et al. 2012: '60 million parameters'",
                    idea="ReLU, dropout, max pooling, training on GPUs"),
    "VGG-16": dict(build=_vgg16, input=(3, 224, 224), published=138_000_000, tolerance=0.005, year=2014,
                   source="Simonyan & Zisserman 2015, Table 2: 138 M",
                   idea="stacks of 3x3 convs, depth 16"),
    "NiN": dict(build=_nin, input=(3, 224, 224), published=None, tolerance=None, year=2013,
                source="Lin et al. 2014 give no ImageNet count",
                idea="1x1 convs (mlpconv), global average pooling, no dense layers"),
    "GoogLeNet": dict(build=_googlenet, input=(3, 224, 224), published=6_800_000, tolerance=0.05, year=2014,
                      source="Szegedy et al. 2015, Table 1 (sum of its params column): 6.8 M",
                      idea="Inception blocks with 1x1 reductions, global average pooling"),
}


def build_architecture(name, device="meta"):
    """One of ARCHITECTURES as an nn.Module (untrained).

    device: "meta" (default) builds shapes only, so VGG-16's 138 M parameters take no memory; the FLOP and
    parameter counts need nothing else.  "cpu" allocates real (random) weights.
    """
    validation.one_of("name", name, tuple(ARCHITECTURES))
    validation.one_of("device", device, ("meta", "cpu"))
    with torch.device(device):
        return ARCHITECTURES[name]["build"]()


def count_parameters(model):
    """The number of learnable numbers in `model` (every parameter tensor's element count)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters())


def _input_for(model, input_shape):
    input_shape = tuple(_side(f"input_shape[{i}]", s) for i, s in enumerate(_sequence("input_shape", input_shape)))
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape}")
    device = next(model.parameters()).device
    return torch.empty((1, *input_shape), device=device)


def count_flops(model, input_shape):
    """FLOPs of one forward pass on one image, as PyTorch's own counter (`FlopCounterMode`) reports them.

    input_shape: (C, H, W).  Works on a meta-device model (nothing is computed).  Conventions: 2 FLOPs per
    multiply-accumulate of convolutions and matrix products; bias additions, activations, pooling and
    normalisation are not counted.  Returns an int.
    """
    from torch.utils.flop_counter import FlopCounterMode

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    x = _input_for(model, input_shape)
    was_training = model.training
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    model.train(was_training)
    return int(counter.get_total_flops())


def weight_depth(model):
    """The number of layers with weights (conv, dense) on the longest path through `model`."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if hasattr(model, "weight_depth"):
        return model.weight_depth
    if isinstance(model, (nn.Conv2d, nn.Linear)):
        return 1
    return sum(weight_depth(child) for child in model.children())


def layer_costs(name):
    """Per weight layer of an architecture: its parameters, multiply-accumulates and output size.

    Returns a list of dicts (in forward order) with keys "layer" (e.g. "conv3", "fc1"), "kind" ("conv"/"fc"),
    "params", "macs" (by the formulas conv_params/conv_macs, on one image) and "activations" (numbers in the layer's
    output, per image; activation memory in float32 is 4 bytes each).  Inception blocks count as one row.
    """
    validation.one_of("name", name, tuple(ARCHITECTURES))
    model = build_architecture(name)
    rows, counters = [], {"conv": 0, "fc": 0, "inception": 0}

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            kind, params = "conv", conv_params(module.in_channels, module.out_channels, module.kernel_size,
                                               module.groups, module.bias is not None)
            macs = conv_macs(module.in_channels, module.out_channels, module.kernel_size, output.shape[2],
                             output.shape[3], module.groups)
        elif isinstance(module, nn.Linear):
            kind, params = "fc", module.weight.numel() + (module.bias.numel() if module.bias is not None else 0)
            macs = module.in_features * module.out_features
        else:
            kind, params = "inception", count_parameters(module)
            macs = sum(r["macs"] for r in module._inner)
        counters[kind] += 1
        rows.append({"layer": f"{kind}{counters[kind]}", "kind": "conv" if kind == "inception" else kind,
                     "params": params, "macs": macs, "activations": int(output[0].numel())})

    handles = []
    for module in model.modules():
        if isinstance(module, _Inception):
            module._inner = []
            for sub in module.modules():
                if isinstance(sub, nn.Conv2d):
                    handles.append(sub.register_forward_hook(
                        lambda m, i, o, owner=module: owner._inner.append(
                            {"macs": conv_macs(m.in_channels, m.out_channels, m.kernel_size, o.shape[2],
                                               o.shape[3], m.groups)})))
            handles.append(module.register_forward_hook(hook))
    inside = {id(s) for m in model.modules() if isinstance(m, _Inception) for s in m.modules()}
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)) and id(module) not in inside:
            handles.append(module.register_forward_hook(hook))
    try:
        model.eval()
        with torch.no_grad():
            model(_input_for(model, ARCHITECTURES[name]["input"]))
    finally:
        for h in handles:
            h.remove()
    return rows


@cached(maxsize=None)
def _lineage_row(name):
    spec = ARCHITECTURES[name]
    model = build_architecture(name)
    params = count_parameters(model)
    published = spec["published"]
    return {"name": name, "year": spec["year"], "input": spec["input"], "params": params,
            "published": published, "difference": None if published is None else params / published - 1,
            "flops": count_flops(model, spec["input"]), "depth": weight_depth(model), "idea": spec["idea"],
            "source": spec["source"]}


def lineage_table():
    """One row per architecture of ARCHITECTURES (oldest first): name, year, input, params (counted), published,
    difference (counted / published - 1), flops (PyTorch's counter, one image), depth (weight layers), idea."""
    return [_lineage_row(name) for name in ARCHITECTURES]
