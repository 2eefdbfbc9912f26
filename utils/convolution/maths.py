"""Convolutional networks from scratch: the arithmetic of a conv layer and the layers themselves (the maths of
notebook 07; this is the file to read).

Read it in this order:
1. Arithmetic - what a layer produces and costs, as formulas: `conv_output_size` (the output side),
   `receptive_field` (what one output sees through a stack), `conv_params` and `conv_macs` (parameters and
   multiply-accumulates), then the arguments the notebook builds on them: `dense_vs_conv` (why not a dense layer on
   images), `stacked_kernels` (VGG's stacks of 3x3 convs), `inception_branch_cost` and `largest_reduction` (1x1
   bottlenecks).
2. From scratch - each `*_forward` returns (out, cache), each `*_backward(dout, cache)` the gradients, checked
   against PyTorch in tests/test_convolution.py: `conv2d_forward` / `conv2d_backward` (im2col: every output number is
   one dot product of a patch and a filter), `maxpool2d_forward` / `maxpool2d_backward`, `avgpool2d_forward` /
   `avgpool2d_backward`, `conv1x1_as_matmul` (a 1x1 conv is a dense layer per pixel), `batchnorm2d_forward` (one
   mean and variance per channel) and `shift_images` (the shift behind equivariance).

The input checks (`_side`, `_pair`, `_x4`, ...) live in `_checks.py`; the classic architectures and the experiments
that use these functions are in `architectures.py` and `experiments.py`.
"""

import math

import torch
from torch.nn import functional as F

from utils import validation

from ._checks import _MAX_CHANNELS, _MAX_ELEMENTS, _cache, _groups, _pair, _same_dtype, _sequence, _side, _x4

# ----------------------------------------------------------------------------------------------
# Arithmetic: output sizes, receptive fields, parameters and multiply-accumulates
# ----------------------------------------------------------------------------------------------

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


def conv_params(c_in, c_out, kernel, groups=1, bias=True):
    """Learnable numbers in a Conv2d layer: (K_h*K_w*C_in/groups + bias)*C_out.

    kernel: an int or an (h, w) pair.  groups must divide c_in and c_out.
    """
    c_in, c_out = _side("c_in", c_in, high=_MAX_CHANNELS), _side("c_out", c_out, high=_MAX_CHANNELS)
    kh, kw = (_side("kernel", k) for k in _pair("kernel", kernel))
    groups = _groups(groups, c_in, c_out)
    bias = validation.boolean("bias", bias)
    return (kh * kw * (c_in // groups) + int(bias)) * c_out


def conv_macs(c_in, c_out, kernel, h_out, w_out, groups=1):
    """Multiply-accumulates of a Conv2d layer on one image: K_h*K_w*(C_in/groups)*C_out*H_out*W_out.

    PyTorch's FlopCounterMode reports 2 FLOPs per multiply-accumulate (and does not count the bias additions).
    """
    c_in, c_out = _side("c_in", c_in, high=_MAX_CHANNELS), _side("c_out", c_out, high=_MAX_CHANNELS)
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
    c_in, c_out = _side("c_in", c_in, high=_MAX_CHANNELS), _side("c_out", c_out, high=_MAX_CHANNELS)
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
    channels = _side("channels", channels, high=_MAX_CHANNELS)
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
    c_in, c_out = _side("c_in", c_in, high=_MAX_CHANNELS), _side("c_out", c_out, high=_MAX_CHANNELS)
    reduce, size = _side("reduce", reduce, high=_MAX_CHANNELS), _side("size", size)
    kernel = _side("kernel", kernel, high=99)
    direct = conv_macs(c_in, c_out, kernel, size, size)
    first = conv_macs(c_in, reduce, 1, size, size)
    reduced = first + conv_macs(reduce, c_out, kernel, size, size)
    return {"direct": direct, "reduced": reduced, "reduce_part": first, "ratio": direct / reduced}


def largest_reduction(budget, c_in=192, c_out=32, size=28, kernel=5):
    """The largest number of 1x1 reduction channels whose reduced branch costs at most `budget` MACs (0 if none)."""
    budget = validation.finite_number("budget", budget, low=0)
    c_in, c_out = _side("c_in", c_in, high=_MAX_CHANNELS), _side("c_out", c_out, high=_MAX_CHANNELS)
    size, kernel = _side("size", size), _side("kernel", kernel, high=99)
    per_channel = size * size * (c_in + kernel * kernel * c_out)   # MACs per reduction channel
    return int(budget // per_channel)


# ----------------------------------------------------------------------------------------------
# From scratch: convolution, pooling, 1x1 convolution, batch norm per channel
# ----------------------------------------------------------------------------------------------

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
        bias = validation.tensor("bias", bias, ndim=1, max_size=_MAX_CHANNELS)
    _same_dtype(x, weight=weight, bias=bias)
    stride = tuple(_side("stride", s) for s in _pair("stride", stride))
    padding = tuple(_side("padding", p, low=0) for p in _pair("padding", padding))
    dilation = tuple(_side("dilation", d) for d in _pair("dilation", dilation))
    n, c_in, h, w = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    groups = _side("groups", groups, high=_MAX_CHANNELS)
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
    weight = validation.tensor("weight", weight, ndim=2, max_size=_MAX_ELEMENTS)
    _same_dtype(x, weight=weight)
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
    gamma = validation.tensor("gamma", gamma, ndim=1, max_size=_MAX_CHANNELS)
    beta = validation.tensor("beta", beta, ndim=1, max_size=_MAX_CHANNELS)
    _same_dtype(x, gamma=gamma, beta=beta)
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
    x = validation.tensor("x", x, ndim=(2, 4), max_size=_MAX_ELEMENTS)
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
