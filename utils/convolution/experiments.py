"""Convolutional networks: a conv layer from scratch, what it costs, the classic architectures, and the experiments
of notebook 07.

Public functions, in the order the notebook meets them:
- arithmetic and costs: conv_output_size, receptive_field, conv_params, conv_macs, dense_vs_conv, stacked_kernels,
  inception_branch_cost, largest_reduction;
- from scratch (each `*_forward` returns (out, cache), each `*_backward(dout, cache)` the gradients):
  conv2d_forward, conv2d_backward, maxpool2d_forward, maxpool2d_backward, avgpool2d_forward, avgpool2d_backward,
  conv1x1_as_matmul, batchnorm2d_forward, shift_images;
- architectures (built on PyTorch's `meta` device, so nothing is allocated): ARCHITECTURES, build_architecture,
  count_parameters, count_flops, weight_depth, layer_costs, lineage_table;
- experiments: equivariance_report, digits_summary, example_digit, small_cnn, small_mlp, compare_cnn_mlp,
  pretrain_source, fine_tune_sweep;
- predictions: VGG_FC_SHARE, STACK_RATIO, SHIFT_LOSER, TRANSFER_HELPS;
- plots: plot_conv_arithmetic (the interactive view), plot_layer_costs, plot_lineage, plot_filters_and_maps,
  plot_fine_tuning;
- exercises: check_output_size, check_layer_cost, check_reduction.
"""

import copy
import functools
import math

import numpy as np
import torch
from matplotlib.patches import Rectangle
from torch import nn
from torch.nn import functional as F

from utils import validation
from utils.data import load_digits_arrays
from utils.device import one_cpu_thread
from utils.exercises import feedback, learner_number
from utils.plotstyle import BLUE, GREEN, ORANGE, PALETTE, VERMILION, new_figure
from utils.predictions import Prediction

MAX_SIDE = 4096        # image sides, channel counts and kernel sizes above this are refused (memory and time)
MAX_CHANNELS = 8192
MAX_ELEMENTS = 20_000_000   # a from-scratch input or weight above this many numbers is refused (kernel memory)


# ----------------------------------------------------------------------------------------------
# Arithmetic: output sizes, receptive fields, parameters and multiply-accumulates
# ----------------------------------------------------------------------------------------------

def _side(name, value, low=1, high=MAX_SIDE):
    return validation.integer(name, value, low=low, high=high)


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    """Output length along one axis: floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1.

    size: input length (pixels); kernel, stride, padding, dilation: the layer's settings along that axis.
    Returns an int; a value <= 0 means the (dilated) kernel does not fit in the padded input (no output).
    """
    size, kernel = _side("size", size), _side("kernel", kernel)
    stride, dilation = _side("stride", stride), _side("dilation", dilation)
    padding = _side("padding", padding, low=0)
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def receptive_field(kernels, strides=None, dilations=None):
    """Side of the input region one output unit of a stack of layers sees.

    kernels: kernel size of each layer, first layer first; strides, dilations: the same length (default all 1).
    r = 1 + sum_l dilation_l*(kernel_l - 1) * (product of the strides of the layers before l).
    """
    kernels = [_side(f"kernels[{i}]", k) for i, k in enumerate(_sequence("kernels", kernels))]
    strides = [1] * len(kernels) if strides is None else _sequence("strides", strides)
    dilations = [1] * len(kernels) if dilations is None else _sequence("dilations", dilations)
    for name, seq in (("strides", strides), ("dilations", dilations)):
        if len(seq) != len(kernels):
            raise ValueError(f"{name} must have one entry per layer ({len(kernels)}), got {len(seq)}")
    strides = [_side(f"strides[{i}]", s) for i, s in enumerate(strides)]
    dilations = [_side(f"dilations[{i}]", d) for i, d in enumerate(dilations)]
    field, jump = 1, 1
    for k, s, d in zip(kernels, strides, dilations):
        field += d * (k - 1) * jump
        jump *= s
    return field


def _sequence(name, value):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a list of whole numbers, got {value!r}")
    if not 1 <= len(value) <= 1000:
        raise ValueError(f"{name} must have between 1 and 1000 entries, got {len(value)}")
    return list(value)


def _pair(name, value):
    """A kernel/stride/... given as an int or an (h, w) pair."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got {value!r}")
        return tuple(value)
    return (value, value)


def conv_params(c_in, c_out, kernel, groups=1, bias=True):
    """Learnable numbers in a Conv2d layer: (K_h*K_w*C_in/groups + bias)*C_out.

    kernel: an int or an (h, w) pair.  groups must divide c_in and c_out.
    """
    c_in, c_out = _side("c_in", c_in, high=MAX_CHANNELS), _side("c_out", c_out, high=MAX_CHANNELS)
    kh, kw = (_side("kernel", k) for k in _pair("kernel", kernel))
    groups = _groups(groups, c_in, c_out)
    bias = validation.boolean("bias", bias)
    return (kh * kw * (c_in // groups) + int(bias)) * c_out


def _groups(groups, c_in, c_out):
    groups = _side("groups", groups, high=MAX_CHANNELS)
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups must divide both c_in ({c_in}) and c_out ({c_out}), got {groups}")
    return groups


def conv_macs(c_in, c_out, kernel, h_out, w_out, groups=1):
    """Multiply-accumulates of a Conv2d layer on one image: K_h*K_w*(C_in/groups)*C_out*H_out*W_out.

    PyTorch's FlopCounterMode reports 2 FLOPs per multiply-accumulate (and does not count the bias additions).
    """
    c_in, c_out = _side("c_in", c_in, high=MAX_CHANNELS), _side("c_out", c_out, high=MAX_CHANNELS)
    kh, kw = (_side("kernel", k) for k in _pair("kernel", kernel))
    h_out, w_out = _side("h_out", h_out), _side("w_out", w_out)
    groups = _groups(groups, c_in, c_out)
    return kh * kw * (c_in // groups) * c_out * h_out * w_out


def dense_vs_conv(height=224, width=224, c_in=3, c_out=64, kernel=3, units=1000):
    """Parameter counts on an image of height x width x c_in pixels (biases included).

    Returns a dict: "dense_to_units" (a fully connected layer to `units` outputs), and, for an output of the same
    height x width with c_out channels ('same' padding): "dense" (every output number connected to every input
    number), "locally_connected" (each output pixel sees only a kernel x kernel patch, but has its own weights) and
    "conv" (the same kernel shared by every pixel).
    """
    height, width = _side("height", height), _side("width", width)
    c_in, c_out = _side("c_in", c_in, high=MAX_CHANNELS), _side("c_out", c_out, high=MAX_CHANNELS)
    kernel, units = _side("kernel", kernel), _side("units", units, high=10**6)
    n_in, pixels = height * width * c_in, height * width
    per_filter = kernel * kernel * c_in + 1
    return {"dense_to_units": (n_in + 1) * units,
            "dense": (n_in + 1) * pixels * c_out,
            "locally_connected": pixels * c_out * per_filter,
            "conv": c_out * per_filter}


def stacked_kernels(n_layers, kernel=3, channels=64):
    """VGG's argument: `n_layers` kernel x kernel convs (C channels in and out) against one conv with the same view.

    Returns a dict: field (the receptive field of the stack), stack_params and single_params (weights only, no
    biases), single_kernel (the kernel side of the one layer that sees as much), nonlinearities (ReLUs: n vs 1).
    """
    n_layers, kernel = _side("n_layers", n_layers, high=100), _side("kernel", kernel, high=99)
    channels = _side("channels", channels, high=MAX_CHANNELS)
    field = receptive_field([kernel] * n_layers)
    return {"field": field, "single_kernel": field,
            "stack_params": n_layers * kernel * kernel * channels * channels,
            "single_params": field * field * channels * channels,
            "nonlinearities": (n_layers, 1)}


def inception_branch_cost(c_in=192, c_out=32, reduce=16, size=28, kernel=5):
    """Multiply-accumulates of an Inception 5x5 branch on a size x size x c_in input (same padding, one image).

    Returns a dict: "direct" (kernel x kernel conv c_in -> c_out) and "reduced" (1x1 conv c_in -> reduce, then
    kernel x kernel conv reduce -> c_out), with "reduce_part" (the 1x1's share) and "ratio" (direct / reduced).
    Defaults: GoogLeNet's block 3a (28x28x192 input, 16 reduction channels, 32 outputs).
    """
    c_in, c_out = _side("c_in", c_in, high=MAX_CHANNELS), _side("c_out", c_out, high=MAX_CHANNELS)
    reduce, size = _side("reduce", reduce, high=MAX_CHANNELS), _side("size", size)
    kernel = _side("kernel", kernel, high=99)
    direct = conv_macs(c_in, c_out, kernel, size, size)
    first = conv_macs(c_in, reduce, 1, size, size)
    reduced = first + conv_macs(reduce, c_out, kernel, size, size)
    return {"direct": direct, "reduced": reduced, "reduce_part": first, "ratio": direct / reduced}


def largest_reduction(budget, c_in=192, c_out=32, size=28, kernel=5):
    """The largest number of 1x1 reduction channels whose reduced branch costs at most `budget` MACs (0 if none)."""
    budget = validation.finite_number("budget", budget, low=0)
    c_in, c_out = _side("c_in", c_in, high=MAX_CHANNELS), _side("c_out", c_out, high=MAX_CHANNELS)
    size, kernel = _side("size", size), _side("kernel", kernel, high=99)
    per_channel = size * size * (c_in + kernel * kernel * c_out)   # MACs per reduction channel
    return int(budget // per_channel)


# ----------------------------------------------------------------------------------------------
# From scratch: convolution, pooling, 1x1 convolution, batch norm per channel
# ----------------------------------------------------------------------------------------------

def _x4(name, x):
    return validation.tensor(name, x, ndim=4, max_size=MAX_ELEMENTS)


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as in PyTorch) by unfolding patches into a matrix (im2col).

    x: (N, C_in, H, W); weight: (C_out, C_in/groups, K_h, K_w); bias: (C_out,) or None.
    stride, padding, dilation: ints or (h, w) pairs.  groups: C_in and C_out are split into this many groups, each
    convolved with its own filters.
    Every output number is one dot product: the K_h*K_w*C_in/groups numbers of one input patch times one filter.
    Returns out (N, C_out, H_out, W_out) and a cache for `conv2d_backward`.
    """
    x, weight = _x4("x", x), _x4("weight", weight)
    if bias is not None:
        bias = validation.tensor("bias", bias, ndim=1, max_size=MAX_CHANNELS)
    stride = tuple(_side("stride", s) for s in _pair("stride", stride))
    padding = tuple(_side("padding", p, low=0) for p in _pair("padding", padding))
    dilation = tuple(_side("dilation", d) for d in _pair("dilation", dilation))
    n, c_in, h, w = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    groups = _side("groups", groups, high=MAX_CHANNELS)
    if c_in % groups or c_out % groups or c_per_group * groups != c_in:
        raise ValueError(f"weight of shape {tuple(weight.shape)} with groups={groups} needs x with "
                         f"{c_per_group * groups} channels and C_out divisible by groups; x has {c_in}")
    if bias is not None and bias.shape[0] != c_out:
        raise ValueError(f"bias must have {c_out} entries (one per output channel), got {bias.shape[0]}")
    h_out = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    w_out = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    if h_out <= 0 or w_out <= 0:
        raise ValueError(f"the kernel (span {dilation[0] * (kh - 1) + 1}x{dilation[1] * (kw - 1) + 1}) is larger "
                         f"than the padded input ({h + 2 * padding[0]}x{w + 2 * padding[1]}): weight/padding/"
                         f"dilation give no output for x of shape {tuple(x.shape)}")
    # cols: (N, C_in*K_h*K_w, L) - one column per output position, holding the patch it sees.
    cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)
    cols_g = cols.view(n, groups, c_per_group * kh * kw, h_out * w_out)
    w_g = weight.reshape(groups, c_out // groups, c_per_group * kh * kw)
    out = torch.einsum("gok,ngkl->ngol", w_g, cols_g).reshape(n, c_out, h_out, w_out)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    cache = (x.shape, cols_g, w_g, weight.shape, bias is not None, stride, padding, dilation, groups)
    return out, cache


def conv2d_backward(dout, cache):
    """Gradients of `conv2d_forward`.

    dout: (N, C_out, H_out, W_out) gradient of the loss w.r.t. the output.
    Returns dx (N, C_in, H, W), dweight (C_out, C_in/groups, K_h, K_w) and dbias (C_out,) (None without a bias).
    dweight is each filter's gradient summed over every position it was used at (parameter sharing); dx folds the
    patch gradients back onto the image, adding where patches overlap.
    """
    x_shape, cols_g, w_g, w_shape, has_bias, stride, padding, dilation, groups = _cache("cache", cache, 9)
    dout = _x4("dout", dout)
    n, c_out, h_out, w_out = dout.shape
    if (n, c_out, h_out * w_out) != (x_shape[0], w_shape[0], cols_g.shape[-1]):
        raise ValueError(f"dout has shape {tuple(dout.shape)}, which is not the shape of this forward pass's output")
    d_g = dout.reshape(n, groups, c_out // groups, h_out * w_out)
    dweight = torch.einsum("ngol,ngkl->gok", d_g, cols_g).reshape(w_shape)
    dcols = torch.einsum("gok,ngol->ngkl", w_g, d_g).reshape(n, -1, h_out * w_out)
    dx = F.fold(dcols, x_shape[2:], w_shape[2:], dilation=dilation, padding=padding, stride=stride)
    dbias = dout.sum(dim=(0, 2, 3)) if has_bias else None
    return dx, dweight, dbias


def _cache(name, cache, length):
    if not isinstance(cache, tuple) or len(cache) != length:
        raise TypeError(f"{name} must be the cache returned by the matching *_forward function, got "
                        f"{type(cache).__name__}")
    return cache


def _pool_setup(x, kernel, stride):
    x = _x4("x", x)
    kernel = _side("kernel", kernel, high=64)
    stride = kernel if stride is None else _side("stride", stride, high=64)
    n, c, h, w = x.shape
    if kernel > h or kernel > w:
        raise ValueError(f"kernel {kernel} is larger than the input's {h}x{w} pixels")
    h_out, w_out = (h - kernel) // stride + 1, (w - kernel) // stride + 1
    cols = F.unfold(x.reshape(n * c, 1, h, w), kernel, stride=stride)    # (N*C, K*K, L)
    return x, kernel, stride, cols, (n, c, h_out, w_out)


def maxpool2d_forward(x, kernel=2, stride=None):
    """Max pooling: the largest value of each kernel x kernel window (no padding).

    x: (N, C, H, W).  stride defaults to kernel.  Returns out (N, C, H_out, W_out) and a cache for the backward pass.
    """
    x, kernel, stride, cols, (n, c, h_out, w_out) = _pool_setup(x, kernel, stride)
    values, arg = cols.max(dim=1)
    return values.reshape(n, c, h_out, w_out), (x.shape, arg, kernel, stride)


def maxpool2d_backward(dout, cache):
    """Max pooling routes each output's whole gradient to the arg-max of its window; every other input gets 0.

    dout: (N, C, H_out, W_out).  Returns dx with the input's shape (overlapping windows add up).
    """
    x_shape, arg, kernel, stride = _cache("cache", cache, 4)
    dout = _x4("dout", dout)
    n, c, h, w = x_shape
    if dout.shape[:2] != x_shape[:2] or dout[0, 0].numel() != arg.shape[1]:
        raise ValueError(f"dout has shape {tuple(dout.shape)}, which is not the shape of this forward pass's output")
    dcols = torch.zeros(n * c, kernel * kernel, arg.shape[1], dtype=dout.dtype)
    dcols.scatter_(1, arg.unsqueeze(1), dout.reshape(n * c, 1, -1))
    return F.fold(dcols, (h, w), kernel, stride=stride).reshape(x_shape)


def avgpool2d_forward(x, kernel=2, stride=None):
    """Average pooling: the mean of each kernel x kernel window (no padding). Returns out and a cache."""
    x, kernel, stride, cols, (n, c, h_out, w_out) = _pool_setup(x, kernel, stride)
    return cols.mean(dim=1).reshape(n, c, h_out, w_out), (x.shape, kernel, stride)


def avgpool2d_backward(dout, cache):
    """Average pooling spreads each output's gradient evenly: 1/(kernel*kernel) to every input of its window."""
    x_shape, kernel, stride = _cache("cache", cache, 3)
    dout = _x4("dout", dout)
    n, c, h, w = x_shape
    h_out, w_out = (h - kernel) // stride + 1, (w - kernel) // stride + 1
    if tuple(dout.shape) != (n, c, h_out, w_out):
        raise ValueError(f"dout has shape {tuple(dout.shape)}, expected {(n, c, h_out, w_out)} (the forward output)")
    dcols = dout.reshape(n * c, 1, -1).expand(-1, kernel * kernel, -1) / (kernel * kernel)
    return F.fold(dcols, (h, w), kernel, stride=stride).reshape(x_shape)


def conv1x1_as_matmul(x, weight):
    """A 1x1 convolution written as what it is: the same dense layer applied to the channel vector of every pixel.

    x: (N, C_in, H, W); weight: (C_out, C_in).  Returns (N, C_out, H, W) = weight @ x[n, :, i, j] at each pixel.
    """
    x = _x4("x", x)
    weight = validation.tensor("weight", weight, ndim=2, max_size=MAX_ELEMENTS)
    if weight.shape[1] != x.shape[1]:
        raise ValueError(f"weight must have shape (C_out, {x.shape[1]}) for x with {x.shape[1]} channels, "
                         f"got {tuple(weight.shape)}")
    pixels = x.permute(0, 2, 3, 1)                       # (N, H, W, C_in): one channel vector per pixel
    return (pixels @ weight.T).permute(0, 3, 1, 2)


def batchnorm2d_forward(x, gamma, beta, eps=1e-5):
    """Batch norm in a CNN (training mode): one mean and variance per channel, over (N, H, W).

    x: (N, C, H, W); gamma, beta: (C,).  The only change from notebook 04's (N, D) version is which axes are
    averaged: every pixel of a channel shares that channel's statistics, as the channel shares its filter.
    Returns out (N, C, H, W).
    """
    x = _x4("x", x)
    gamma = validation.tensor("gamma", gamma, ndim=1, max_size=MAX_CHANNELS)
    beta = validation.tensor("beta", beta, ndim=1, max_size=MAX_CHANNELS)
    eps = validation.finite_number("eps", eps, low=0, low_open=True, high=1.0)
    if gamma.shape[0] != x.shape[1] or beta.shape[0] != x.shape[1]:
        raise ValueError(f"gamma and beta must have {x.shape[1]} entries (one per channel), got "
                         f"{gamma.shape[0]} and {beta.shape[0]}")
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    return gamma.view(1, -1, 1, 1) * (x - mean) / torch.sqrt(var + eps) + beta.view(1, -1, 1, 1)


def shift_images(x, dy=0, dx=1):
    """Shift images by (dy, dx) pixels (down, right; negative for up, left), filling with zeros.

    x: (N, C, H, W) or (N, H*W) flattened square images (returned in the same form).
    """
    x = validation.tensor("x", x, ndim=(2, 4), max_size=MAX_ELEMENTS)
    dy, dx = validation.integer("dy", dy, low=-8, high=8), validation.integer("dx", dx, low=-8, high=8)
    flat = x.ndim == 2
    if flat:
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:
            raise ValueError(f"flattened x must hold square images, got {x.shape[1]} pixels per row")
        x = x.reshape(-1, 1, side, side)
    h, w = x.shape[2:]
    out = torch.zeros_like(x)
    out[:, :, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[:, :, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out.reshape(len(out), -1) if flat else out


# ----------------------------------------------------------------------------------------------
# The classic architectures, built as PyTorch modules (no torchvision, no weights)
# ----------------------------------------------------------------------------------------------

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


@functools.lru_cache(maxsize=None)
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
    return [dict(_lineage_row(name)) for name in ARCHITECTURES]


# ----------------------------------------------------------------------------------------------
# Experiments on the 8x8 digits
# ----------------------------------------------------------------------------------------------

N_TEST = 600            # a fixed test set (seeded permutation 0) shared by every experiment
SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0))   # the four one-pixel shifts (dy, dx) of the shifted test sets
SOURCE_CLASSES, TARGET_CLASSES = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
PAIRINGS = ("clean", "shifted", "control")
METHODS = ("from scratch", "fine-tune all", "new head only")
SHOTS = (1, 3, 10)
SEEDS = (0, 1, 2)
SOURCE_STEPS = 300


@functools.lru_cache(maxsize=1)
def _digits():
    """Images (N, 1, 8, 8) in [0, 1], labels (N,), and the fixed test / training-pool index split."""
    images, labels = load_digits_arrays()
    perm = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    return images[:, None], labels, perm[:N_TEST], perm[N_TEST:]


def digits_summary():
    """Sizes of the experiments' data: n_images (all digits), n_test (the fixed test set), n_train (the training
    pool), n_source (training-pool images of the source classes 0-4)."""
    _, labels, test, pool = _digits()
    return {"n_images": len(labels), "n_test": len(test), "n_train": len(pool),
            "n_source": int((labels[pool] < len(SOURCE_CLASSES)).sum())}


def example_digit(index=0):
    """One training-pool digit: its (8, 8) image in [0, 1] and its label."""
    images, labels, _, pool = _digits()
    index = validation.integer("index", index, low=0, high=len(pool) - 1)
    return images[pool[index], 0], int(labels[pool[index]])


def small_cnn(n_classes=10, channels=(8, 16), seed=0):
    """A LeNet-style CNN for 8x8 images: two (3x3 conv, ReLU, 2x2 max pool) stages and one dense layer.

    Input (N, 1, 8, 8); output (N, n_classes) logits.  With channels (8, 16) it has 1,898 parameters for 10 classes.
    """
    n_classes = _side("n_classes", n_classes, high=1000)
    c1, c2 = (_side(f"channels[{i}]", c, high=256) for i, c in enumerate(_pair("channels", channels)))
    seed = validation.seed_value("seed", seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(c2 * 4, n_classes))


def small_mlp(hidden=26, n_classes=10, seed=0):
    """An MLP on the 64 pixels with one hidden ReLU layer; hidden=26 gives 1,960 parameters, the CNN's budget."""
    hidden = _side("hidden", hidden, high=4096)
    n_classes = _side("n_classes", n_classes, high=1000)
    seed = validation.seed_value("seed", seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))


def _random_shifts(x, generator, max_shift=1):
    """Each image shifted by its own random (dy, dx) in [-max_shift, max_shift]^2 (zero fill)."""
    m = max_shift
    padded = F.pad(x, (m, m, m, m))
    d = torch.randint(0, 2 * m + 1, (len(x), 2), generator=generator)
    rows = (d[:, 0, None] + torch.arange(8))[:, :, None].expand(-1, -1, 8)
    cols = (d[:, 1, None] + torch.arange(8))[:, None, :].expand(-1, 8, -1)
    index = torch.arange(len(x))[:, None, None]
    return padded[index, 0, rows, cols][:, None]


def _fit(model, x, y, steps, lr, seed, batch_size=64):
    """Adam on cross-entropy with mini-batches drawn by a generator seeded with `seed`."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        idx = torch.randint(len(x), (batch_size,), generator=g)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()
    return model


def _accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


@functools.lru_cache(maxsize=None)
def _equivariance(seed):
    images, _, test, _ = _digits()
    x = images[test[:100]].double()
    g = torch.Generator().manual_seed(seed)
    weight, bias = torch.randn(8, 1, 3, 3, generator=g, dtype=torch.float64), torch.zeros(8, dtype=torch.float64)
    mlp_w = torch.randn(64, 64 * 8 // 8, generator=g, dtype=torch.float64) / 8     # 64 -> 64 hidden units

    def conv(inp):
        return torch.relu(F.conv2d(inp, weight, bias, padding=1))

    shifted = shift_images(x, 0, 1)
    a, b = conv(x), conv(shifted)
    moved = shift_images(a, 0, 1)
    interior = (b - moved)[:, :, 1:-1, 2:-1].abs().max().item()   # away from the borders the shift commutes
    border = (b - moved).abs().max().item()

    def change(f0, f1):
        return ((f1 - f0).norm() / f0.norm()).item()

    flat, flat_s = x.reshape(len(x), -1), shifted.reshape(len(x), -1)
    return {"interior_error": interior, "border_error": border,
            "conv_change": change(a, b),
            "maxpool_change": change(F.max_pool2d(a, 2), F.max_pool2d(b, 2)),
            "global_pool_change": change(a.mean(dim=(2, 3)), b.mean(dim=(2, 3))),
            "mlp_change": change(torch.relu(flat @ mlp_w), torch.relu(flat_s @ mlp_w))}


def equivariance_report(seed=0):
    """Shift 100 test digits one pixel right and measure, for a random 3x3 conv layer (8 filters, ReLU, float64):

    interior_error: max |conv(shift x) - shift(conv x)| away from the borders (equivariance: 0 up to rounding);
    border_error: the same including the border columns (where zero padding breaks it);
    conv_change, maxpool_change, global_pool_change: relative change ||f(shift x) - f(x)|| / ||f(x)|| of the feature
    map, after 2x2 max pooling, and after global average pooling (invariance grows with pooling);
    mlp_change: the same for a random 64-unit ReLU layer on the flattened pixels.
    """
    return dict(_equivariance(validation.seed_value("seed", seed)))


@functools.lru_cache(maxsize=None)
def _cnn_vs_mlp(seed, steps):
    images, labels, test, pool = _digits()
    x, y = images[pool], labels[pool]
    xt, yt = images[test], labels[test]
    result = {}
    with one_cpu_thread():
        for name, model in (("CNN", small_cnn(seed=seed)), ("MLP", small_mlp(seed=seed))):
            _fit(model, x, y, steps, 1e-2, seed)
            shifted = [_accuracy(model, shift_images(xt, dy, dx), yt) for dy, dx in SHIFTS]
            result[name] = {"params": count_parameters(model), "accuracy": _accuracy(model, xt, yt),
                            "shifted_accuracy": float(np.mean(shifted)), "model": model}
    return result


def compare_cnn_mlp(seed=0, steps=300):
    """Train the small CNN and an MLP with about the same number of parameters on the digits (Adam, lr 0.01,
    batches of 64, the same seed), and test both on the fixed test set and on it shifted by one pixel.

    The nets are far too small for a GPU to help (each step would wait on kernel launches), so they run on one CPU
    thread everywhere, which also gives the same numbers on every machine.
    Returns {"CNN": {...}, "MLP": {...}}, each with params, accuracy, shifted_accuracy (mean over the four one-pixel
    shifts) and the trained model (a copy).
    """
    seed = validation.seed_value("seed", seed)
    steps = validation.size("steps", steps, high=5000)
    return {k: {**v, "model": copy.deepcopy(v["model"])} for k, v in _cnn_vs_mlp(seed, steps).items()}


def _target_sample(shots, seed):
    """shots labelled examples per target class from the training pool, chosen with `seed`."""
    _, labels, _, pool = _digits()
    g = torch.Generator().manual_seed(1000 + seed)
    picks = []
    for c in TARGET_CLASSES:
        members = pool[labels[pool] == c]
        picks.append(members[torch.randperm(len(members), generator=g)[:shots]])
    return torch.cat(picks)


class _StackedCNN(nn.Module):
    """M copies of `small_cnn` side by side in one module: grouped convolutions keep the copies apart, so one
    forward pass on x (B, M, 8, 8) (model m sees channel m) gives each copy's logits (B, M, n_out).

    Training M small nets this way costs little more than training one (the nets are too small to keep a CPU
    busy); tests check it against training the copies one by one.
    """

    def __init__(self, models):
        super().__init__()
        m, c1, c2 = len(models), models[0][0].out_channels, models[0][3].out_channels
        self.m, self.c2 = m, c2
        self.conv1 = nn.Conv2d(m, m * c1, 3, padding=1, groups=m)
        self.conv2 = nn.Conv2d(m * c1, m * c2, 3, padding=1, groups=m)
        with torch.no_grad():
            self.conv1.weight.copy_(torch.cat([net[0].weight for net in models]))
            self.conv1.bias.copy_(torch.cat([net[0].bias for net in models]))
            self.conv2.weight.copy_(torch.cat([net[3].weight for net in models]))
            self.conv2.bias.copy_(torch.cat([net[3].bias for net in models]))
            self.head_w = nn.Parameter(torch.stack([net[-1].weight.detach() for net in models]).clone())
            self.head_b = nn.Parameter(torch.stack([net[-1].bias.detach() for net in models]).clone())

    def forward(self, x):
        h = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        h = F.max_pool2d(torch.relu(self.conv2(h)), 2)
        h = h.reshape(len(x), self.m, self.c2 * 4)
        return torch.einsum("bmf,mof->bmo", h, self.head_w) + self.head_b

    def rates(self, body_lr, head_lr):
        """One learning rate per parameter entry: body_lr, head_lr are length-M lists (0 freezes)."""
        body, head = torch.tensor(body_lr, dtype=torch.float32), torch.tensor(head_lr, dtype=torch.float32)
        return {self.conv1.weight: body.repeat_interleave(self.conv1.out_channels // self.m).view(-1, 1, 1, 1),
                self.conv1.bias: body.repeat_interleave(self.conv1.out_channels // self.m),
                self.conv2.weight: body.repeat_interleave(self.c2).view(-1, 1, 1, 1),
                self.conv2.bias: body.repeat_interleave(self.c2),
                self.head_w: head.view(-1, 1, 1), self.head_b: head.view(-1, 1)}


def _fit_stacked(net, xs, ys, rates, steps, seed, batch_size=64, augment=None, betas=(0.9, 0.999), eps=1e-8):
    """Adam (PyTorch's update, with one rate per parameter entry) on the sum of the copies' mean cross-entropies.

    xs: (N, M, 8, 8) inputs, ys: (N, M) labels; augment: None or a length-M list of bools (random one-pixel
    shifts of that copy's images in each batch).  The copies share the batch indices.
    """
    g = torch.Generator().manual_seed(seed)
    params = [p for p in net.parameters()]
    state = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    n, bs = len(xs), min(batch_size, len(xs))
    for t in range(1, steps + 1):
        idx = torch.randint(n, (bs,), generator=g) if bs < n else torch.arange(n)
        xb = xs[idx]
        if augment is not None and any(augment):
            moved = _random_shifts(xb.reshape(-1, 1, 8, 8), g).reshape(xb.shape)
            keep = torch.tensor(augment).view(1, -1, 1, 1)
            xb = torch.where(keep, moved, xb)
        out = net(xb)
        loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), ys[idx].reshape(-1), reduction="sum") / bs
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p, (m, v) in zip(params, state):
                m.mul_(betas[0]).add_(p.grad, alpha=1 - betas[0])
                v.mul_(betas[1]).addcmul_(p.grad, p.grad, value=1 - betas[1])
                denom = (v.sqrt() / math.sqrt(1 - betas[1] ** t)).add_(eps)
                p.sub_(rates[p] / (1 - betas[0] ** t) * m / denom)
    return net


def _stacked_accuracy(net, x, y):
    """Accuracy of each copy on the same test images x (N, 1, 8, 8), labels y (N,). Returns a list of M floats."""
    with torch.no_grad():
        out = net(x.expand(-1, net.m, -1, -1))
    return (out.argmax(-1) == y[:, None]).float().mean(0).tolist()


@functools.lru_cache(maxsize=None)
def _sources(seed):
    images, labels, _, pool = _digits()
    keep = pool[labels[pool] < len(SOURCE_CLASSES)]
    nets = [small_cnn(len(SOURCE_CLASSES), channels=(16, 32), seed=seed) for _ in range(2)]
    stacked = _StackedCNN(nets)
    x = images[keep].expand(-1, 2, -1, -1)
    y = labels[keep][:, None].expand(-1, 2)
    with one_cpu_thread():
        _fit_stacked(stacked, x, y, stacked.rates([1e-2] * 2, [1e-2] * 2), SOURCE_STEPS, seed,
                     augment=[False, True])
    for i, net in enumerate(nets):    # copy the trained weights back into ordinary modules
        with torch.no_grad():
            c1, c2 = net[0].out_channels, net[3].out_channels
            net[0].weight.copy_(stacked.conv1.weight[i * c1:(i + 1) * c1])
            net[0].bias.copy_(stacked.conv1.bias[i * c1:(i + 1) * c1])
            net[3].weight.copy_(stacked.conv2.weight[i * c2:(i + 1) * c2])
            net[3].bias.copy_(stacked.conv2.bias[i * c2:(i + 1) * c2])
            net[-1].weight.copy_(stacked.head_w[i])
            net[-1].bias.copy_(stacked.head_b[i])
        net.eval()
    return {False: nets[0], True: nets[1]}


def pretrain_source(shifted=True, seed=0):
    """The source network: a small CNN (16 and 32 channels) trained on every training-pool image of digits 0-4
    (SOURCE_STEPS Adam steps at lr 0.01, batches of 64), with each image of a batch randomly shifted by up to one
    pixel in each direction when `shifted`.  Returns a copy of the trained model (on the CPU)."""
    shifted = validation.boolean("shifted", shifted)
    seed = validation.seed_value("seed", seed)
    return copy.deepcopy(_sources(seed)[shifted])


@functools.lru_cache(maxsize=None)
def _transfer_cell(pairing, shots, seeds, steps):
    """Accuracy (methods, seeds) of one pairing at one number of shots, all runs trained side by side."""
    images, labels, test, _ = _digits()
    target_shifted = pairing in ("shifted", "control")
    source = _sources(0)[pairing == "shifted"]
    k = len(SOURCE_CLASSES)
    xs, ys = [], []
    for seed in seeds:
        idx = _target_sample(shots, seed)
        x = images[idx]
        if target_shifted:  # the target task: digits 5-9, each seen shifted by a random (dy, dx) in [-1, 1]^2
            x = _random_shifts(x, torch.Generator().manual_seed(2000 + seed))
        xs.append(x)
        ys.append(labels[idx] - k)
    nets, body_lr, head_lr = [], [], []
    for method in METHODS:
        for seed in seeds:
            if method == "from scratch":
                net = small_cnn(len(TARGET_CLASSES), channels=(16, 32), seed=100 + seed)
            else:
                net = copy.deepcopy(source)
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(100 + seed)
                    net[-1] = nn.Linear(net[-1].in_features, len(TARGET_CLASSES))
            nets.append(net)
            # fine-tuning: a ten times smaller rate for the pretrained layers; new head only: pretrained frozen
            body_lr.append({"from scratch": 1e-2, "fine-tune all": 1e-3, "new head only": 0.0}[method])
            head_lr.append(1e-2)
    stacked = _StackedCNN(nets)
    x = torch.cat(xs * len(METHODS), dim=1)
    y = torch.stack(ys * len(METHODS), dim=1)
    with one_cpu_thread():
        _fit_stacked(stacked, x, y, stacked.rates(body_lr, head_lr), steps, seeds[0])
    keep = test[labels[test] >= k]
    xt, yt = images[keep], labels[keep] - k
    if target_shifted:
        xt = _random_shifts(xt, torch.Generator().manual_seed(99))
    return np.array(_stacked_accuracy(stacked, xt, yt)).reshape(len(METHODS), len(seeds))


def fine_tune_sweep(pairing="shifted", shots=SHOTS, seeds=SEEDS, steps=60):
    """Learn digits 5-9 from `shots` labelled images per class, three ways, and test on the fixed test set's 5-9s.

    pairing: "clean" (source trained on clean 0-4, target on clean 5-9), "shifted" (source trained on 0-4 randomly
    shifted by up to one pixel, target images shifted the same way) or "control" (clean source, shifted target).
    Methods: from scratch (a fresh CNN of the same shape), fine-tune all (pretrained layers at lr 1e-3, new head at
    1e-2) and new head only (pretrained layers frozen).  Each run: `steps` full-batch Adam steps.
    The source net is trained once (seed 0); a seed chooses the labelled examples, the new head and the fresh net.
    Returns a dict with pairing, shots, seeds, methods and accuracy: an array (methods, shots, seeds).
    """
    validation.one_of("pairing", pairing, PAIRINGS)
    shots = tuple(_side(f"shots[{i}]", s, high=100) for i, s in enumerate(_sequence("shots", shots)))
    seeds = tuple(validation.seed_value(f"seeds[{i}]", s) for i, s in enumerate(_sequence("seeds", seeds)))
    if len(seeds) > 20:
        raise ValueError(f"seeds has {len(seeds)} entries, at most 20 are accepted: {validation.SIZE_NOTE}")
    steps = validation.size("steps", steps, high=2000)
    acc = np.stack([_transfer_cell(pairing, k, seeds, steps) for k in shots], axis=1)
    return {"pairing": pairing, "shots": list(shots), "seeds": list(seeds), "methods": METHODS, "accuracy": acc}


# ----------------------------------------------------------------------------------------------
# Predictions (asked in the notebook before the experiment that answers them)
# ----------------------------------------------------------------------------------------------

def _fc_share():
    rows = layer_costs("VGG-16")
    return rows[-3]["params"] / sum(r["params"] for r in rows)


_SHARE_OPTIONS = ("about 1 %", "about 10 %", "about 40 %", "about 75 %")


def _nearest_share():
    share = 100 * _fc_share()
    return min(_SHARE_OPTIONS, key=lambda o: abs(float(o.split()[1]) - share))


VGG_FC_SHARE = Prediction(
    question="VGG-16 has 138 M parameters in 13 conv layers and 3 dense layers. What share of them sits in its first "
             "dense layer alone (7x7x512 inputs to 4,096 units)?",
    options=_SHARE_OPTIONS, answer=_nearest_share,
    why=lambda a: f"{100 * _fc_share():.0f} % ({layer_costs('VGG-16')[-3]['params']:,} numbers): a dense layer pays "
                  "for every input-output pair, 25,088 x 4,096 of them, while a conv layer's weights do not grow with "
                  "the image. The conv layers do almost all of the computing instead.")


def _stack_ratio():
    s = stacked_kernels(3, 3)
    return s["stack_params"] / s["single_params"]


STACK_RATIO = Prediction(
    question="Three 3x3 conv layers (C channels in and out) see a 7x7 region of the input, like one 7x7 layer. "
             "Their weights, as a fraction of the 7x7 layer's: type a number.",
    answer=_stack_ratio, tolerance=1.25,
    why=lambda a: f"3 x 3·3·C² = 27C² against 7·7·C² = 49C²: {a:.2f}, and with three ReLUs instead of one.")


_SHIFT_OPTIONS = ("the CNN", "the MLP", "both about the same")


def _shift_loser():
    r = compare_cnn_mlp(seed=0)
    drop = {k: r[k]["accuracy"] - r[k]["shifted_accuracy"] for k in ("CNN", "MLP")}
    if abs(drop["CNN"] - drop["MLP"]) < 0.05:
        return _SHIFT_OPTIONS[2]
    return _SHIFT_OPTIONS[0] if drop["CNN"] > drop["MLP"] else _SHIFT_OPTIONS[1]


def _shift_why(answer):
    r = compare_cnn_mlp(seed=0)
    return (f"Accuracy falls from {r['CNN']['accuracy']:.1%} to {r['CNN']['shifted_accuracy']:.1%} for the CNN and "
            f"from {r['MLP']['accuracy']:.1%} to {r['MLP']['shifted_accuracy']:.1%} for the MLP. The conv layers "
            "shift their maps with the image and max pooling absorbs part of the shift; the MLP's weights are tied "
            "to pixel positions. Neither is invariant: on an 8x8 image one pixel is an eighth of the width.")


SHIFT_LOSER = Prediction(
    question="A small CNN and an MLP with the same number of parameters classify the 8x8 digits about equally "
             "well. Shift every test image by one pixel: which loses more accuracy?",
    options=_SHIFT_OPTIONS, answer=_shift_loser, why=_shift_why)


_TRANSFER_OPTIONS = ("yes, in every seed", "in some seeds only", "no, in no seed")


def _transfer_helps():
    acc = fine_tune_sweep("shifted")["accuracy"]
    k = list(SHOTS).index(3)
    gains = acc[1, k] - acc[0, k]
    return _TRANSFER_OPTIONS[0] if (gains > 0).all() else _TRANSFER_OPTIONS[1] if (gains > 0).any() \
        else _TRANSFER_OPTIONS[2]


def _transfer_why(answer):
    acc = fine_tune_sweep("shifted")["accuracy"]
    k = list(SHOTS).index(3)
    gains = ", ".join(f"{100 * g:+.0f}" for g in acc[1, k] - acc[0, k])
    images, labels, _, pool = _digits()
    n_source = int((labels[pool] < len(SOURCE_CLASSES)).sum())
    return (f"Gains of fine-tuning over training from scratch, 3 images per class, seeds {SEEDS}: {gains} points. "
            "Fifteen shifted images cannot teach a fresh net that a digit moved by a pixel is the same digit; the "
            f"source net saw its {n_source} images of 0-4 in {SOURCE_STEPS * 64:,} randomly shifted copies.")


TRANSFER_HELPS = Prediction(
    question="Target task: shifted digits 5-9, only 3 labelled images per class. Does fine-tuning a net pretrained on "
             "many shifted digits 0-4 beat training the same architecture from scratch?",
    options=_TRANSFER_OPTIONS, answer=_transfer_helps, why=_transfer_why)


# ----------------------------------------------------------------------------------------------
# Plots
# ----------------------------------------------------------------------------------------------

# cell categories of the conv-arithmetic view
_PAD, _UNREAD, _READ, _WINDOW = 0, 1, 2, 3
_CELL_COLOURS = ["#d9d9d9", "#ffffff", "#a6cee3", BLUE]


def _arithmetic(size, kernel, stride, padding, dilation):
    """Cell categories of the padded input, the visited window centres and the output side (may be <= 0)."""
    padded = size + 2 * padding
    span = dilation * (kernel - 1) + 1
    out = conv_output_size(size, kernel, stride, padding, dilation)
    grid = np.full((padded, padded), _PAD)
    grid[padding:padding + size, padding:padding + size] = _UNREAD
    centres = []
    if out > 0:
        taps = np.arange(kernel) * dilation
        starts = np.arange(out) * stride
        read = np.zeros((padded, padded), bool)
        rows = (starts[:, None] + taps[None, :]).ravel()
        read[np.ix_(rows, rows)] = True
        inside = grid == _UNREAD
        grid[read & inside] = _READ
        grid[np.ix_(taps, taps)] = np.where(inside[np.ix_(taps, taps)], _WINDOW, grid[np.ix_(taps, taps)])
        centres = starts + (span - 1) / 2
    return grid, np.asarray(centres, float), out, span


def plot_conv_arithmetic(size=7, kernel=3, stride=2, padding=1, dilation=1, fig=None):
    """The conv-arithmetic view: the padded input grid (grey: padding; blue: read by some window; white: never read;
    dark: the first window's taps, inside the dashed square it spans), a dot at the centre of every window position,
    and the output grid (dark: the output of the first window).

    The title gives the formula's value and the receptive field of one output; a kernel that does not fit is drawn
    as such (no output) rather than raising.  size: input side (pixels, 1-12); kernel 1-7; stride 1-4;
    padding 0-3; dilation 1-3.
    """
    size = validation.integer("size", size, low=1, high=12)
    kernel = validation.integer("kernel", kernel, low=1, high=7)
    stride = validation.integer("stride", stride, low=1, high=4)
    padding = validation.integer("padding", padding, low=0, high=3)
    dilation = validation.integer("dilation", dilation, low=1, high=3)
    grid, centres, out, span = _arithmetic(size, kernel, stride, padding, dilation)
    padded = size + 2 * padding
    formula = f"⌊({size} + 2·{padding} − {dilation}·({kernel}−1) − 1) / {stride}⌋ + 1 = {out}"
    state = getattr(fig, "_arith_state", None) if fig is not None else None
    if state is None:
        from matplotlib.collections import LineCollection
        from matplotlib.colors import ListedColormap

        fig, (ax_in, ax_out) = new_figure(1, 2, figsize=(9.4, 4.8))
        fig.set_layout_engine("none")
        ax_in.set_position([0.02, 0.02, 0.47, 0.76])
        ax_out.set_position([0.51, 0.02, 0.47, 0.76])
        cmap = ListedColormap(_CELL_COLOURS)
        state = {"in_img": ax_in.imshow(grid, cmap=cmap, vmin=0, vmax=3, origin="upper", interpolation="nearest"),
                 "in_lines": ax_in.add_collection(LineCollection([], colors="0.55", linewidths=0.8)),
                 "window": ax_in.add_patch(Rectangle((-0.5, -0.5), 1, 1, fill=False, lw=2.5, ls="--",
                                                     ec=ORANGE)),
                 "dots": ax_in.plot([], [], "o", color=ORANGE, ms=6, mec="k", mew=0.6)[0],
                 "out_img": ax_out.imshow(np.zeros((1, 1)), cmap=cmap, vmin=0, vmax=3, interpolation="nearest"),
                 "out_lines": ax_out.add_collection(LineCollection([], colors="0.55", linewidths=0.8)),
                 "no_output": ax_out.text(0.5, 0.5, "", ha="center", va="center", color=VERMILION, fontsize=13,
                                          transform=ax_out.transAxes)}
        for ax in (ax_in, ax_out):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
        fig._arith_state = state
    ax_in, ax_out = fig.axes[0], fig.axes[1]

    def grid_lines(n):
        edges = np.arange(n + 1) - 0.5
        return ([[(e, -0.5), (e, n - 0.5)] for e in edges] + [[(-0.5, e), (n - 0.5, e)] for e in edges])

    state["in_img"].set_data(grid)
    state["in_img"].set_extent((-0.5, padded - 0.5, padded - 0.5, -0.5))
    state["in_lines"].set_segments(grid_lines(padded))
    cx, cy = np.meshgrid(centres, centres)
    state["dots"].set_data(cx.ravel(), cy.ravel())
    state["window"].set_width(span)
    state["window"].set_height(span)
    state["window"].set_edgecolor(ORANGE if out > 0 else VERMILION)
    extent = max(padded, span, 6)     # both panels at the same scale: one cell is one pixel in either
    for ax in (ax_in, ax_out):
        ax.set_xlim(-0.6, extent - 0.4)
        ax.set_ylim(extent - 0.4, -0.6)
    ax_in.set_title(f"input {size}×{size}, padded to {padded}×{padded}\n{len(centres) ** 2} window positions",
                    fontsize=13)
    if out > 0:
        out_grid = np.full((out, out), _READ)
        out_grid[0, 0] = _WINDOW
        state["out_img"].set_data(out_grid)
        state["out_img"].set_extent((-0.5, out - 0.5, out - 0.5, -0.5))
        state["out_img"].set_visible(True)
        state["out_lines"].set_segments(grid_lines(out))
        state["no_output"].set_text("")
        unread = int((grid == _UNREAD).sum())
        note = f"{unread} input pixels never read" if unread else "every input pixel is read"
        ax_out.set_title(f"output {out}×{out}\n{note}", fontsize=13)
        fig.suptitle(f"out = {formula};  each output sees a {span}×{span} patch", fontsize=14, x=0.5, y=0.97)
    else:
        state["out_img"].set_visible(False)
        state["out_lines"].set_segments([])
        state["no_output"].set_text(f"no output:\nthe kernel spans {span} pixels,\nthe padded input only {padded}")
        ax_out.set_title("output: none", fontsize=13, color=VERMILION)
        fig.suptitle(f"invalid: out = {formula} ≤ 0", fontsize=14, color=VERMILION, x=0.5, y=0.97)
    return fig


VIEW_SWEEPS = {"plot_conv_arithmetic": [
    {"size": s, "kernel": k, "stride": st, "padding": p, "dilation": d}
    for s, k, st, p, d in ((7, 3, 2, 1, 1), (12, 7, 1, 3, 1), (12, 3, 4, 0, 3), (5, 7, 1, 0, 1), (1, 1, 1, 0, 1),
                           (12, 7, 1, 3, 3), (4, 5, 3, 0, 1), (8, 2, 2, 0, 1), (12, 1, 4, 3, 1), (6, 3, 1, 1, 2))]}


def plot_layer_costs(name="VGG-16"):
    """Per weight layer of an architecture: parameters and activations (numbers per image), on a log scale.

    The title names where each kind of memory sits, computed from `layer_costs`.
    """
    from utils.plotstyle import light_log_axis

    rows = layer_costs(name)
    params = np.array([r["params"] for r in rows], float)
    acts = np.array([r["activations"] for r in rows], float)
    x = np.arange(len(rows))
    fig, ax = new_figure(figsize=(9.4, 4.4))
    ax.bar(x - 0.2, params, 0.4, color=ORANGE, label="parameters")
    ax.bar(x + 0.2, acts, 0.4, color=BLUE, label="activations per image")
    light_log_axis(ax)
    ax.set_xticks(x, [r["layer"] for r in rows], rotation=60, fontsize=10)
    ax.set_ylabel("numbers (log scale)")
    fc = np.array([r["kind"] == "fc" for r in rows])
    half = len(rows) // 3
    ax.set_title(f"{name}: the dense layers hold {params[fc].sum() / params.sum():.0%} of the parameters, "
                 f"the first {half} layers {acts[:half].sum() / acts.sum():.0%} of the activations", fontsize=13)
    ax.legend(loc="upper center", fontsize=11)
    return fig


def plot_lineage(rows):
    """Parameters against FLOPs (both log scales) for the rows of `lineage_table()`, one labelled dot each."""
    from utils.plotstyle import light_log_axis

    if not isinstance(rows, (list, tuple)) or not rows or not all(isinstance(r, dict) for r in rows):
        raise TypeError("rows must be the list of dicts that lineage_table() returns")
    fig, ax = new_figure(figsize=(8.0, 4.6))
    for r, colour in zip(rows, PALETTE):
        ax.plot(r["flops"], r["params"], "o", ms=11, color=colour)
        left = r["name"] == "NiN"      # NiN and GoogLeNet sit close together: label one on each side
        ax.annotate(f"{r['name']} ({r['year']})", (r["flops"], r["params"]), xytext=(-8 if left else 8, 6),
                    textcoords="offset points", fontsize=11, ha="right" if left else "left")
    light_log_axis(ax, "x")
    light_log_axis(ax, "y")
    ax.set_xlim(min(r["flops"] for r in rows) / 3, max(r["flops"] for r in rows) * 20)
    ax.set_ylim(min(r["params"] for r in rows) / 3, max(r["params"] for r in rows) * 4)
    ax.set(xlabel="FLOPs per image (PyTorch's counter)", ylabel="parameters")
    most = max(rows, key=lambda r: r["flops"])
    least = min((r for r in rows if r["year"] == most["year"]), key=lambda r: r["params"])
    ax.set_title(f"{least['name']} needs {most['params'] / least['params']:.0f}× fewer parameters than "
                 f"{most['name']} (same year)", fontsize=13)
    return fig


def plot_filters_and_maps(model, image):
    """A trained `small_cnn`'s first-layer filters (top row) and the feature maps they make from one image.

    model: a small_cnn (its first module a Conv2d with one input channel); image: (H, W) pixels.
    """
    if not isinstance(model, nn.Sequential) or not isinstance(model[0], nn.Conv2d) or model[0].in_channels != 1:
        raise TypeError("model must be a small_cnn (an nn.Sequential starting with a one-channel Conv2d)")
    image = validation.tensor("image", image, ndim=2, max_size=64 * 64)
    conv = model[0]
    with torch.no_grad():
        maps = torch.relu(conv(image[None, None].to(conv.weight.device)))[0].cpu().numpy()
        filters = conv.weight[:, 0].detach().cpu().numpy()
    image = image.cpu().numpy()
    n = filters.shape[0]
    fig, axes = new_figure(2, n + 1, figsize=(9.4, 2.9))
    axes[0, 0].imshow(image, cmap="gray_r")
    axes[0, 0].set_title("image", fontsize=11)
    axes[1, 0].axis("off")
    limit = float(np.abs(filters).max())
    for i in range(n):
        axes[0, i + 1].imshow(filters[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[0, i + 1].set_title(f"filter {i + 1}", fontsize=11)
        axes[1, i + 1].imshow(maps[i], cmap="viridis", vmin=0)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    axes[1, 1].set_ylabel("ReLU map", fontsize=11)
    silent = int((maps.reshape(n, -1).max(axis=1) == 0).sum())
    fig.suptitle(f"3×3 filters (red +, blue −) and their maps of one digit: {n - silent} of {n} respond to it",
                 fontsize=13)
    return fig


def plot_fine_tuning(sweeps):
    """Accuracy against labelled images per class, one panel per pairing: a dot per seed, a line through the means.

    sweeps: a list of `fine_tune_sweep` results.  Each panel's title says how the transfer methods compare with
    training from scratch in every seed.
    """
    if not isinstance(sweeps, (list, tuple)) or not sweeps or not all(isinstance(s, dict) for s in sweeps):
        raise TypeError("sweeps must be a list of fine_tune_sweep results")
    names = {"clean": "clean source → clean target", "shifted": "shifted source → shifted target",
             "control": "clean source → shifted target"}
    fig, axes = new_figure(1, len(sweeps), figsize=(9.4, 4.0), sharey=True, squeeze=False)
    for ax, sweep in zip(axes[0], sweeps):
        acc, shots = sweep["accuracy"], np.array(sweep["shots"])
        for i, (method, colour) in enumerate(zip(sweep["methods"], (VERMILION, BLUE, GREEN))):
            offset = (i - 1) * 0.04
            for s in range(acc.shape[2]):
                ax.plot(shots * (1 + offset), acc[i, :, s], "o", color=colour, ms=4, alpha=0.6)
            ax.plot(shots * (1 + offset), acc[i].mean(axis=1), "-", color=colour, label=method)
        ax.set_xscale("log")
        ax.set_xticks(shots, [str(k) for k in shots])
        ax.minorticks_off()
        ax.set_xlabel("labelled images per class")
        better = (acc[1:] > acc[:1]).all(axis=(0, 2))
        if better.all():
            verdict = "transfer wins at every n, every seed"
        elif better.any():
            verdict = "transfer wins every seed at n ≥ " + str(shots[np.argmax(better)])
        elif ((acc[1:] - acc[:1]).mean(axis=2) <= 0).all():
            verdict = "transfer no better on average, any n"
        else:
            verdict = "transfer wins in some seeds only"
        ax.set_title(f"{names[sweep['pairing']]}\n{verdict}", fontsize=11)
    axes[0, 0].set_ylabel("test accuracy, digits 5–9")
    axes[0, 0].legend(fontsize=10, loc="lower right")
    return fig


# ----------------------------------------------------------------------------------------------
# Exercises
# ----------------------------------------------------------------------------------------------

EXERCISE_CONV = {"size": 28, "kernel": 5, "stride": 2, "padding": 2, "dilation": 2}
EXERCISE_LAYER = {"c_in": 64, "c_out": 128, "kernel": 3, "groups": 4, "size": 56}   # padding 1, stride 1, bias
EXERCISE_BRANCH = {"c_in": 192, "c_out": 32, "size": 28, "kernel": 5, "fraction": 8}


def check_output_size(answer):
    """Exercise 1: the output side of a conv with EXERCISE_CONV's settings (input 28, kernel 5, stride 2, padding 2,
    dilation 2)."""
    value = learner_number(answer, whole=True)[0]
    if value is None:
        return feedback(False, f"answer with a whole number of pixels, got {answer!r}")
    c = EXERCISE_CONV
    expected = conv_output_size(**c)
    span = c["dilation"] * (c["kernel"] - 1) + 1
    hints = {
        conv_output_size(c["size"], c["kernel"], c["stride"], c["padding"], 1):
            f"that ignores the dilation: a 5-tap kernel with dilation 2 spans {span} pixels, not 5",
        conv_output_size(c["size"], c["kernel"], c["stride"], 0, c["dilation"]):
            "that ignores the padding: it adds p pixels on both sides",
        expected - 1: "one short: either the padding was added on one side only, or the final + 1 (the first "
                      "window position) is missing",
        expected + 1: "one too many: the division by the stride rounds down (a window that does not fit is "
                      "not taken)",
        conv_output_size(c["size"], c["kernel"], 1, c["padding"], c["dilation"]):
            "that is the output for stride 1: divide by the stride",
    }
    if value == expected:
        return feedback(True, "", f"Correct: ⌊(28 + 4 − {span})/2⌋ + 1 = {expected}.")
    return feedback(False, hints.get(value, f"{value} is not it: use ⌊(W + 2P − D(K−1) − 1)/S⌋ + 1"))


def _exercise_layer():
    c = EXERCISE_LAYER
    layer = nn.Conv2d(c["c_in"], c["c_out"], c["kernel"], padding=1, groups=c["groups"], device="meta")
    return count_parameters(layer), count_flops(layer, (c["c_in"], c["size"], c["size"]))


def check_layer_cost(params, flops):
    """Exercise 2: parameters and FLOPs (PyTorch's convention) of
    Conv2d(64, 128, kernel_size=3, padding=1, groups=4) on one 64x56x56 input."""
    p, f = learner_number(params, whole=True)[0], learner_number(flops, whole=True)[0]
    if p is None or f is None:
        return feedback(False, f"answer with two whole numbers (params, flops), got {params!r} and {flops!r}")
    c = EXERCISE_LAYER
    want_p, want_f = _exercise_layer()
    k2, cin, cout, g, hw = c["kernel"] ** 2, c["c_in"], c["c_out"], c["groups"], c["size"] ** 2
    problems = []
    if p != want_p:
        hint = {k2 * cin // g * cout: "the parameters miss the bias (one per output channel)",
                (k2 * cin + 1) * cout: "the parameters ignore the groups: each filter sees only C_in/groups channels",
                (k2 * cin // g + 1) * cout // g: "each group has C_out/groups filters, but there are `groups` "
                                                 "groups: all C_out filters exist",
                (k2 + 1) * cout: "the parameters forget the input channels: a filter is K×K×(C_in/groups)"}
        problems.append(hint.get(p, f"the parameters are off ({p:,})"))
    if f != want_f:
        macs = want_f // 2
        hint = {macs: "that FLOP count is the multiply-accumulates: PyTorch counts 2 FLOPs per MAC",
                2 * macs * g: "the FLOPs ignore the groups",
                macs * g: "that is the MAC count without groups; PyTorch counts 2 FLOPs per MAC, and groups divide",
                2 * macs // hw * 54 * 54: "the FLOPs use a 54×54 output; padding 1 keeps 56×56",
                2 * macs // hw: "the FLOPs are for one output pixel: multiply by H_out·W_out"}
        problems.append(hint.get(f, f"the FLOPs are off ({f:,})"))
    if problems:
        return feedback(False, "; ".join(problems))
    return feedback(True, "", f"Correct: {want_p:,} parameters and {want_f:,} FLOPs ({want_f // 2:,} MACs).")


def _branch_budget():
    c = EXERCISE_BRANCH
    direct = conv_macs(c["c_in"], c["c_out"], c["kernel"], c["size"], c["size"])
    return direct / c["fraction"]


def check_reduction(channels):
    """Exercise 3: the largest number of 1x1 reduction channels for which the reduced 5x5 branch of block 3a
    (28x28x192 in, 32 out) costs at most 1/8 of the direct 5x5 conv's multiply-accumulates."""
    value = learner_number(channels, whole=True)[0]
    if value is None:
        return feedback(False, f"answer with a whole number of channels, got {channels!r}")
    c = EXERCISE_BRANCH
    budget = _branch_budget()
    expected = largest_reduction(budget, c["c_in"], c["c_out"], c["size"], c["kernel"])
    hw = c["size"] ** 2
    hints = {int(budget // (hw * c["kernel"] ** 2 * c["c_out"])): "that forgets the cost of the 1x1 conv itself "
                                                                  "(C_in multiply-accumulates per channel per pixel)",
             int(budget // (hw * c["c_in"])): "that counts only the 1x1 conv; the 5x5 conv on r channels costs too",
             expected + 1: "one too many: that branch costs more than the budget (round down)",
             int(budget // 2 // (hw * (c["c_in"] + c["kernel"] ** 2 * c["c_out"]))):
                 "that halves the budget: both sides of the comparison are in MACs here"}
    if value == expected:
        cost = inception_branch_cost(c["c_in"], c["c_out"], expected, c["size"], c["kernel"])["reduced"]
        return feedback(True, "", f"Correct: r = {expected} costs {cost:,} MACs, within the budget of "
                                  f"{budget:,.0f}.")
    if value <= 0:
        return feedback(False, "at least one channel is needed for the branch to compute anything")
    return feedback(False, hints.get(value, f"{value} is not it: the branch costs H·W·r·(C_in + K²·C_out) MACs"))


__all__ = [
    "conv_output_size", "receptive_field", "conv_params", "conv_macs", "dense_vs_conv", "stacked_kernels",
    "inception_branch_cost", "largest_reduction",
    "conv2d_forward", "conv2d_backward", "maxpool2d_forward", "maxpool2d_backward", "avgpool2d_forward",
    "avgpool2d_backward", "conv1x1_as_matmul", "batchnorm2d_forward", "shift_images",
    "ARCHITECTURES", "build_architecture", "count_parameters", "count_flops", "weight_depth",
    "layer_costs", "lineage_table",
    "equivariance_report", "digits_summary", "example_digit", "small_cnn", "small_mlp", "compare_cnn_mlp",
    "pretrain_source", "fine_tune_sweep",
    "SHIFTS", "PAIRINGS", "METHODS", "SHOTS", "SEEDS",
    "VGG_FC_SHARE", "STACK_RATIO", "SHIFT_LOSER", "TRANSFER_HELPS",
    "plot_conv_arithmetic", "plot_layer_costs", "plot_lineage", "plot_filters_and_maps", "plot_fine_tuning",
    "VIEW_SWEEPS", "EXERCISE_CONV", "EXERCISE_LAYER", "EXERCISE_BRANCH",
    "check_output_size", "check_layer_cost", "check_reduction",
]
