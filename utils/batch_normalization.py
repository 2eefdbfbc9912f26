"""Batch normalisation and its relatives from scratch, and the experiments of notebook 04.

Public functions (what the notebook and learners call; everything else is private):
- layers: batchnorm_forward/backward, spatial_batchnorm_forward/backward, layernorm_forward/backward,
  groupnorm_forward/backward, instancenorm_forward/backward, fold_batchnorm;
- checks: rel_error, numerical_gradient, gradient_check, compare_with_torch, compare_relatives_with_torch,
  layernorm_per_token, format_table, sweep_table;
- small computations: sigmoid_shares, bias_gradient_through_bn, torch_to_keras_momentum, steps_to_track,
  running_var_after, momentum_tracking, batch_mean_spread;
- experiments: trained_bn_net, batch_dependence, single_example_in_train_mode, placement_experiment,
  relu_activity_experiment, sigmoid_mlp_experiment, sigmoid_summary, lr_sweep, init_scale_sweep, trains_at,
  regularisation_experiment, bn_noise, smoothness_experiment, small_batch_experiment, recalibration_experiment,
  frozen_bn_finetune, fold_check;
- exercise checkers: check_batchnorm_forward, check_batchnorm_backward, check_running_var, check_fold_batchnorm;
- plots: plot_gamma_beta, plot_stat_sharing, plot_momentum_tracking, plot_eps_effect, plot_sigmoid_mlp,
  plot_sweep, plot_smoothness, plot_batch_spread, plot_small_batch, plot_frozen_finetune;
- predictions (utils.predictions): TRAIN_MODE_SPREAD, BATCH_OF_ONE, FROZEN_BETA_ACTIVE, INIT_SCALE_WORST,
  SMALL_BATCH_LOSER.
"""

import copy
import functools
import math

import numpy as np
import torch
from torch import nn

from utils import validation
from utils.device import one_cpu_thread
from utils.exercises import check_close, feedback, learner_number
from utils.predictions import Prediction

MODES = ("train", "eval")
CHANCE_LOSS = math.log(10)          # cross-entropy of a uniform guess over the 10 digit classes
DIVERGED_ABOVE = 10.0               # a run whose final loss is above this (or NaN) counts as diverged
MAX_STEPS = 1000                    # training steps per run: more would take far longer than a few seconds
MAX_ELEMENTS = 1_000_000            # array elements accepted by the from-scratch layers


# ----------------------------------------------------------------------------------------------------------------
# Input checks shared by the public functions (built on utils.validation)
# ----------------------------------------------------------------------------------------------------------------

def _float_array(name, value, ndim=None, min_size=1, layout=""):
    """A finite float array; a float array that is passed in is returned as it is (float32 stays float32).

    ndim: the required number of dimensions, named in the message with `layout` (e.g. "(N, D)")."""
    checked = validation.array(name, value, min_size=min_size, max_size=MAX_ELEMENTS)
    if ndim is not None and checked.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions {layout}, got shape {checked.shape} "
                         f"({checked.ndim} dimensions)")
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        return value
    return checked


def _affine(gamma, beta, shape, what):
    gamma, beta = _float_array("gamma", gamma, min_size=0), _float_array("beta", beta, min_size=0)
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != tuple(shape):
            raise ValueError(f"{name} must have shape {tuple(shape)} ({what}), got {p.shape}")
    return gamma, beta


def _eps(eps):
    return validation.finite_number("eps", eps, low=0, low_open=True, high=10.0)


def _momentum(momentum, name="momentum"):
    return validation.probability(name, momentum)


def _seeds(seeds, name="seeds"):
    return validation.seeds(name, seeds)


def _values(name, values, low, high, integer=False, most=12):
    """A tuple of 1..most numbers within [low, high] (whole numbers if `integer`)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a tuple of numbers, got {values!r}")
    check = validation.integer if integer else validation.finite_number
    out = tuple(check(name, v, low=low, high=high) for v in values)
    if not 1 <= len(out) <= most:
        raise ValueError(f"{name} must hold 1 to {most} values, got {len(out)}")
    return out


def _steps(steps, name="steps"):
    return validation.size(name, steps, high=MAX_STEPS)


def _device_key(device):
    """The device as a string (hashable, for the caches below)."""
    return str(validation.device_value("device", device))


# ----------------------------------------------------------------------------------------------------------------
# Pure computations (NumPy): forward/backward pairs in the style `*_forward(...) -> (out, cache)`,
# `*_backward(dout, cache) -> grads`.
# ----------------------------------------------------------------------------------------------------------------

def _normalise_columns(x, eps):
    """x: (m, D). Normalise each column with its own mean and biased variance; returns xhat, inv_std (D,), mu, var."""
    mu = x.mean(axis=0)
    var = x.var(axis=0)  # biased: divides by m, as in the paper and in PyTorch's forward pass
    inv_std = 1.0 / np.sqrt(var + eps)
    return (x - mu) * inv_std, inv_std, mu, var


def batchnorm_forward(x, gamma, beta, mode="train", running_mean=None, running_var=None, momentum=0.1, eps=1e-5):
    """Batch normalisation of a fully connected layer's outputs: each feature over the batch.

    x: (N, D) inputs; gamma, beta: (D,) scale and shift.
    mode: "train" uses the batch's mean and (biased) variance and, if running_mean / running_var
          are given, updates them IN PLACE like PyTorch's buffers:
          running = (1 - momentum) * running + momentum * batch, with the UNBIASED batch variance N/(N-1)*var.
          "eval" uses running_mean / running_var; if they are None (PyTorch's track_running_stats=False)
          it uses the batch's statistics, as in training.
    running_mean, running_var: (D,) float arrays or None.  momentum: in [0, 1].  eps: > 0 (at most 10), added to
    the variance.
    Returns out (N, D) and a cache for `batchnorm_backward`.
    """
    x = _float_array("x", x, ndim=2, layout="(N, D)")
    gamma, beta = _affine(gamma, beta, x.shape[1:], "one per feature D = x.shape[1]")
    validation.one_of("mode", mode, MODES)
    momentum = _momentum(momentum)
    eps = _eps(eps)
    if (running_mean is None) != (running_var is None):
        raise ValueError("give both running_mean and running_var, or neither")
    if running_mean is not None:
        for name, r in (("running_mean", running_mean), ("running_var", running_var)):
            if not isinstance(r, np.ndarray) or not np.issubdtype(r.dtype, np.floating):
                raise TypeError(f"{name} must be a float NumPy array (it is updated in place), got {type(r).__name__}")
            if r.shape != x.shape[1:]:
                raise ValueError(f"{name} must have shape {x.shape[1:]}, got {r.shape}")
            if not np.all(np.isfinite(r)):
                raise ValueError(f"{name} contains NaN or infinity")
        if np.any(running_var < 0):
            raise ValueError("running_var must be >= 0 (it is a variance)")
    use_batch = mode == "train" or running_mean is None
    if use_batch and x.shape[0] < 2:
        raise ValueError(f"a batch of one (x of shape {x.shape}) has no spread: its variance is 0 and every output "
                         f"would equal beta.  Use mode='eval' with running statistics for single examples, "
                         f"train with batches of at least 2 (better 16+), or use layernorm/groupnorm instead")
    return _batchnorm_forward(x, gamma, beta, mode, running_mean, running_var, momentum, eps)


def _batchnorm_forward(x, gamma, beta, mode, running_mean, running_var, momentum, eps):
    """`batchnorm_forward` without the input checks (shared with the relatives below)."""
    if mode == "train" or running_mean is None:
        xhat, inv_std, mu, var = _normalise_columns(x, eps)
        if mode == "train" and running_mean is not None:
            m = x.shape[0]
            running_mean *= 1 - momentum
            running_mean += momentum * mu
            running_var *= 1 - momentum
            running_var += momentum * var * m / (m - 1)
        batch_stats = True
    else:
        inv_std = 1.0 / np.sqrt(running_var + eps)
        xhat = (x - running_mean) * inv_std
        batch_stats = False
    out = gamma * xhat + beta
    return out, {"xhat": xhat, "inv_std": inv_std, "gamma": gamma, "batch_stats": batch_stats}


def _check_cache(cache, keys):
    if not isinstance(cache, dict) or not set(keys) <= set(cache):
        raise TypeError("cache must be the cache returned by the matching *_forward function")


def batchnorm_backward(dout, cache):
    """Gradients of batch normalisation, in the compact closed form.

    dout: (N, D) upstream gradient; cache: from `batchnorm_forward`.
    Returns dx (N, D), dgamma (D,), dbeta (D,).
    With batch statistics, mu and var depend on every x_i, which gives
        dx = inv_std / N * (N * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)),   dxhat = gamma * dout;
    with running statistics (eval) they are constants and dx = gamma * inv_std * dout.
    """
    _check_cache(cache, ("xhat", "inv_std", "gamma", "batch_stats"))
    dout = _float_array("dout", dout)
    return _batchnorm_backward(dout, cache)


def _batchnorm_backward(dout, cache):
    xhat, inv_std, gamma = cache["xhat"], cache["inv_std"], cache["gamma"]
    if dout.shape != xhat.shape:
        raise ValueError(f"dout must have the forward output's shape {xhat.shape}, got {dout.shape}")
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    if not cache["batch_stats"]:
        return dxhat * inv_std, dgamma, dbeta
    n = dout.shape[0]
    dx = inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, dgamma, dbeta


def _channels_last(x):
    """(N, C, H, W) -> (N*H*W, C): every row is one position of one example, every column one channel."""
    n, c, h, w = x.shape
    return x.transpose(0, 2, 3, 1).reshape(-1, c)


def _channels_first(rows, shape):
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def spatial_batchnorm_forward(x, gamma, beta, mode="train", running_mean=None, running_var=None, momentum=0.1,
                              eps=1e-5):
    """Batch normalisation of a convolutional layer: one mean and variance per channel over (N, H, W).

    x: (N, C, H, W); gamma, beta: (C,).  Other arguments as in `batchnorm_forward` (running stats have shape (C,)).
    Implemented by reshaping to (N*H*W, C) and calling `batchnorm_forward`.
    Returns out (N, C, H, W) and a cache for `spatial_batchnorm_backward`.
    """
    x = _float_array("x", x, ndim=4, layout="(N, C, H, W)")
    _affine(gamma, beta, x.shape[1:2], "one per channel C = x.shape[1]")
    if mode == "train" and x.shape[0] * x.shape[2] * x.shape[3] < 2:
        raise ValueError(f"x of shape {x.shape} has one value per channel: its variance is 0.  Use mode='eval' with "
                         f"running statistics, a batch of at least 2, or groupnorm/instancenorm instead")
    out, cache = batchnorm_forward(_channels_last(x), gamma, beta, mode, running_mean, running_var, momentum, eps)
    return _channels_first(out, x.shape), {"bn": cache, "shape": x.shape}


def spatial_batchnorm_backward(dout, cache):
    """dout: (N, C, H, W).  Returns dx (N, C, H, W), dgamma (C,), dbeta (C,)."""
    _check_cache(cache, ("bn", "shape"))
    dout = _float_array("dout", dout)
    if dout.shape != cache["shape"]:
        raise ValueError(f"dout must have shape {cache['shape']}, got {dout.shape}")
    dx, dgamma, dbeta = _batchnorm_backward(_channels_last(dout), cache["bn"])
    return _channels_first(dx, cache["shape"]), dgamma, dbeta


def _columns_forward(cols, eps):
    """Normalise each column of cols (m, K) with the batch-norm core (no affine, batch statistics)."""
    return _batchnorm_forward(cols, 1.0, 0.0, "train", None, None, 0.0, eps)


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalisation: each example over all its features (no batch statistics, same in train and eval).

    x: (N, *F), e.g. (N, D) or (N, C, H, W); gamma, beta: F (one per element, like torch.nn.LayerNorm(F)).
    The trick: the transpose of x.reshape(N, -1) has one COLUMN per example, so batch norm's core does it.
    Returns out (same shape as x) and a cache for `layernorm_backward`.
    """
    x = _float_array("x", x)
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (N, features...), got shape {x.shape}")
    gamma, beta = _affine(gamma, beta, x.shape[1:], "the shape of one example, x.shape[1:], as in nn.LayerNorm")
    eps = _eps(eps)
    xhat_t, core = _columns_forward(x.reshape(x.shape[0], -1).T, eps)
    xhat = xhat_t.T.reshape(x.shape)
    return gamma * xhat + beta, {"core": core, "xhat": xhat, "gamma": gamma}


def layernorm_backward(dout, cache):
    """dout: like x.  Returns dx (like x), dgamma, dbeta (shape F, summed over the batch)."""
    _check_cache(cache, ("core", "xhat", "gamma"))
    dout = _float_array("dout", dout)
    xhat = cache["xhat"]
    if dout.shape != xhat.shape:
        raise ValueError(f"dout must have shape {xhat.shape}, got {dout.shape}")
    dgamma, dbeta = (dout * xhat).sum(axis=0), dout.sum(axis=0)
    dxhat_t = (dout * cache["gamma"]).reshape(dout.shape[0], -1).T
    dx_t, _, _ = _batchnorm_backward(dxhat_t, cache["core"])
    return dx_t.T.reshape(dout.shape), dgamma, dbeta


def groupnorm_forward(x, gamma, beta, groups, eps=1e-5):
    """Group normalisation: each example, each group of C/groups channels, over those channels and all positions.

    x: (N, C, *S), e.g. (N, C) or (N, C, H, W); gamma, beta: (C,); groups must divide C.
    groups=1 normalises like layer norm (with per-channel gamma); groups=C is instance norm.
    The trick: x.reshape(N*groups, -1).T has one column per (example, group).
    Returns out (like x) and a cache for `groupnorm_backward`.
    """
    x = _float_array("x", x)
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (N, C, ...), got shape {x.shape}")
    c = x.shape[1]
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    if c % groups:
        raise ValueError(f"groups={groups} does not divide the {c} channels of x (x.shape[1]); choose a divisor "
                         f"of {c}, e.g. {[g for g in range(1, c + 1) if c % g == 0]}")
    gamma, beta = _affine(gamma, beta, (c,), "one per channel C = x.shape[1]")
    eps = _eps(eps)
    xhat_t, core = _columns_forward(x.reshape(x.shape[0] * groups, -1).T, eps)
    xhat = xhat_t.T.reshape(x.shape)
    per_channel = (1, c) + (1,) * (x.ndim - 2)
    out = gamma.reshape(per_channel) * xhat + beta.reshape(per_channel)
    return out, {"core": core, "xhat": xhat, "gamma": gamma.reshape(per_channel), "groups": groups}


def groupnorm_backward(dout, cache):
    """dout: like x.  Returns dx (like x), dgamma (C,), dbeta (C,)."""
    _check_cache(cache, ("core", "xhat", "gamma", "groups"))
    dout = _float_array("dout", dout)
    xhat = cache["xhat"]
    if dout.shape != xhat.shape:
        raise ValueError(f"dout must have shape {xhat.shape}, got {dout.shape}")
    axes = (0,) + tuple(range(2, dout.ndim))
    dgamma, dbeta = (dout * xhat).sum(axis=axes), dout.sum(axis=axes)
    dxhat_t = (dout * cache["gamma"]).reshape(dout.shape[0] * cache["groups"], -1).T
    dx_t, _, _ = _batchnorm_backward(dxhat_t, cache["core"])
    return dx_t.T.reshape(dout.shape), dgamma, dbeta


def instancenorm_forward(x, gamma, beta, eps=1e-5):
    """Instance normalisation: each example, each channel, over its H*W positions (group norm with groups=C).

    x: (N, C, H, W); gamma, beta: (C,).  Returns out (N, C, H, W) and a cache for `instancenorm_backward`.
    """
    x = _float_array("x", x, ndim=4, layout="(N, C, H, W)")
    return groupnorm_forward(x, gamma, beta, x.shape[1], eps)


def instancenorm_backward(dout, cache):
    """dout: (N, C, H, W).  Returns dx (N, C, H, W), dgamma (C,), dbeta (C,)."""
    return groupnorm_backward(dout, cache)


def fold_batchnorm(weight, bias, running_mean, running_var, gamma, beta, eps=1e-5):
    """Fold an eval-mode BatchNorm1d into the Linear layer before it: BN(W x + b) = W' x + b'.

    weight: (D_out, D_in); bias: (D_out,) (zeros if the layer had none); running_mean, running_var, gamma, beta:
    (D_out,).  With scale = gamma / sqrt(running_var + eps):  W' = scale[:, None] * W,
    b' = scale * (b - running_mean) + beta.  Returns (W', b').
    """
    weight = _float_array("weight", weight, ndim=2)
    d = weight.shape[:1]
    what = "one per output unit, weight.shape[0]"
    bias = _float_array("bias", bias, ndim=1)
    for name, v in (("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        v = _float_array(name, v, ndim=1)
        if v.shape != d:
            raise ValueError(f"{name} must have shape {d} ({what}), got {v.shape}")
    running_mean, running_var = np.asarray(running_mean, float), np.asarray(running_var, float)
    if np.any(running_var < 0):
        raise ValueError("running_var must be >= 0 (it is a variance)")
    gamma, beta = _affine(gamma, beta, d, what)
    scale = gamma / np.sqrt(running_var + _eps(eps))
    return scale[:, None] * weight, scale * (bias - running_mean) + beta


def rel_error(a, b):
    """Largest elementwise relative error |a - b| / max(|a| + |b|, 1e-12) (CS231n's measure)."""
    a, b = validation.array("a", a, min_size=0), validation.array("b", b, min_size=0)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got a {a.shape} and b {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


def numerical_gradient(f, x, dout, h=1e-5):
    """Centred-difference gradient of sum(f(x) * dout) with respect to x (float64 recommended).

    f: function of one array returning an array shaped like dout; x: at most 10,000 elements; h: > 0, the step.
    Returns an array shaped like x.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of one array, got {f!r}")
    x = np.array(validation.array("x", x, max_size=10_000), dtype=np.float64)
    dout = validation.array("dout", dout)
    h = validation.finite_number("h", h, low=0, low_open=True, high=1.0)
    shape = np.shape(f(x))
    if shape != dout.shape:
        raise ValueError(f"f(x) has shape {shape} but dout has shape {dout.shape}: they must match (check x and dout)")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = np.sum(f(x) * dout)
        flat[i] = old - h
        minus = np.sum(f(x) * dout)
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad


def _shape2(name, shape, low=(2, 1), high=(64, 16)):
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise TypeError(f"{name} must be a pair (N, D), got {shape!r}")
    return tuple(validation.integer(name, v, low=lo, high=hi) for v, lo, hi in zip(shape, low, high))


def gradient_check(shape=(6, 4), seed=0):
    """Compare `batchnorm_backward` (train mode) with centred differences, in float64.

    shape: (N, D) with 3 <= N <= 64, 1 <= D <= 16.  Returns {"dx": rel error, "dgamma": ..., "dbeta": ...}.
    """
    shape = _shape2("shape", shape, low=(3, 1))
    g = np.random.default_rng(validation.seed_value("seed", seed))
    x = g.normal(2.0, 3.0, size=shape)
    gamma, beta, dout = g.normal(size=shape[1]), g.normal(size=shape[1]), g.normal(size=shape)
    _, cache = batchnorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    return {"dx": rel_error(dx, numerical_gradient(lambda v: batchnorm_forward(v, gamma, beta)[0], x, dout)),
            "dgamma": rel_error(dgamma, numerical_gradient(lambda v: batchnorm_forward(x, v, beta)[0], gamma, dout)),
            "dbeta": rel_error(dbeta, numerical_gradient(lambda v: batchnorm_forward(x, gamma, v)[0], beta, dout))}


@one_cpu_thread()
def compare_with_torch(n=16, d=5, steps=3, momentum=0.1, seed=0):
    """Run `batchnorm_forward/backward` and torch.nn.BatchNorm1d side by side in float64.

    n: batch size (2..1000); d: features (1..100); steps: training batches (1..100), which update the running
    statistics, followed by one eval batch.
    Returns {mode: {quantity: largest absolute difference}} for mode "train" and "eval" and quantities
    out, dx, dgamma, dbeta, running_mean, running_var.
    """
    n, d = validation.size("n", n, low=2, high=1000), validation.size("d", d, high=100)
    steps, momentum = validation.size("steps", steps, high=100), _momentum(momentum)
    g = np.random.default_rng(validation.seed_value("seed", seed))
    bn = nn.BatchNorm1d(d, momentum=momentum).double()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(g.normal(size=d)))
        bn.bias.copy_(torch.from_numpy(g.normal(size=d)))
    gamma, beta = bn.weight.detach().numpy().copy(), bn.bias.detach().numpy().copy()
    rm, rv = np.zeros(d), np.ones(d)
    diffs = {"train": {}, "eval": {}}
    for mode in ("train",) * steps + ("eval",):
        x, dout = g.normal(1.0, 2.0, size=(n, d)), g.normal(size=(n, d))
        bn.train(mode == "train")
        xt = torch.tensor(x, requires_grad=True)
        bn.zero_grad()
        yt = bn(xt)
        yt.backward(torch.from_numpy(dout))
        out, cache = batchnorm_forward(x, gamma, beta, mode, rm, rv, momentum)
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        for name, mine, ref in (("out", out, yt), ("dx", dx, xt.grad), ("dgamma", dgamma, bn.weight.grad),
                                ("dbeta", dbeta, bn.bias.grad), ("running_mean", rm, bn.running_mean),
                                ("running_var", rv, bn.running_var)):
            err = float(np.max(np.abs(mine - ref.detach().numpy())))
            diffs[mode][name] = max(diffs[mode].get(name, 0.0), err)
    return diffs


@one_cpu_thread()
def compare_relatives_with_torch(shape=(4, 6, 3, 5), groups=3, seed=0):
    """Spatial batch norm, layer norm, instance norm and group norm from this module against their torch.nn modules
    (train mode, float64, random gamma and beta).

    shape: (N, C, H, W), each 1..16 (N*H*W >= 2); groups: divides C.
    Returns {name: {"out", "dx", "dgamma", "dbeta"}: largest absolute difference}.
    """
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 4:
        raise TypeError(f"shape must be (N, C, H, W), got {shape!r}")
    n, c, h, w = (validation.integer("shape", v, low=1, high=16) for v in shape)
    groups = validation.size("groups", groups, high=c)
    if c % groups:
        raise ValueError(f"groups={groups} must divide the channel count C={c} of shape")
    if n * h * w < 2 or h * w < 2:
        raise ValueError(f"shape {tuple(shape)} needs at least two positions per channel (H*W >= 2)")
    g = np.random.default_rng(validation.seed_value("seed", seed))
    x, dout = g.normal(1.0, 2.0, size=(n, c, h, w)), g.normal(size=(n, c, h, w))
    cases = {"BatchNorm2d": (nn.BatchNorm2d(c), spatial_batchnorm_forward, spatial_batchnorm_backward, {}),
             "LayerNorm": (nn.LayerNorm((c, h, w)), layernorm_forward, layernorm_backward, {}),
             "InstanceNorm2d": (nn.InstanceNorm2d(c, affine=True), instancenorm_forward, instancenorm_backward, {}),
             "GroupNorm": (nn.GroupNorm(groups, c), groupnorm_forward, groupnorm_backward, {"groups": groups})}
    table = {}
    for name, (module, forward, backward, kw) in cases.items():
        module = module.double().train()
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(g.normal(size=module.weight.shape)))
            module.bias.copy_(torch.from_numpy(g.normal(size=module.bias.shape)))
        xt = torch.tensor(x, requires_grad=True)
        yt = module(xt)
        yt.backward(torch.from_numpy(dout))
        out, cache = forward(x, module.weight.detach().numpy(), module.bias.detach().numpy(), **kw)
        dx, dgamma, dbeta = backward(dout, cache)
        table[name] = {k: float(np.max(np.abs(mine - ref.detach().numpy())))
                       for k, mine, ref in (("out", out, yt), ("dx", dx, xt.grad),
                                            ("dgamma", dgamma, module.weight.grad), ("dbeta", dbeta, module.bias.grad))}
    return table


@one_cpu_thread()
def layernorm_per_token(n=2, tokens=5, channels=8, seed=0):
    """LayerNorm as a transformer uses it: nn.LayerNorm(channels) on (N, T, channels) normalises each token over its
    channels.  Compares it with `layernorm_forward` applied to the (N*T, channels) rows, and reports how far each
    token's mean and std are from 0 and 1.

    Returns {"vs_ours": largest |difference|, "token_mean": largest |mean| of a token, "token_std_error": largest
    |std - 1| of a token, "position_mean": largest |mean over the T positions| of one channel (not normalised)}.
    """
    n, tokens = validation.size("n", n, high=64), validation.size("tokens", tokens, low=2, high=512)
    channels = validation.size("channels", channels, low=2, high=1024)
    g = np.random.default_rng(validation.seed_value("seed", seed))
    x = g.normal(3.0, 2.0, size=(n, tokens, channels)) + g.normal(0, 3.0, size=(1, tokens, 1))
    layer = nn.LayerNorm(channels, elementwise_affine=False).double()
    ref = layer(torch.from_numpy(x)).detach().numpy()
    ours, _ = layernorm_forward(x.reshape(-1, channels), np.ones(channels), np.zeros(channels))
    return {"vs_ours": float(np.abs(ours.reshape(x.shape) - ref).max()),
            "token_mean": float(np.abs(ref.mean(-1)).max()),
            "token_std_error": float(np.abs(ref.std(-1) - 1).max()),
            "position_mean": float(np.abs(ref.mean(1)).max())}


def format_table(rows, columns, row_label="", fmt="{:.2e}"):
    """A plain-text table of {row: {column: number}} (numbers formatted with fmt; strings as they are)."""
    if not isinstance(rows, dict) or not all(isinstance(v, dict) for v in rows.values()):
        raise TypeError(f"rows must be a dict of dicts {{row: {{column: value}}}}, got {type(rows).__name__}")
    if isinstance(columns, (str, bytes)) or not hasattr(columns, "__iter__"):
        raise TypeError(f"columns must be a list of column names, got {columns!r}")
    columns = list(columns)
    if not isinstance(row_label, str) or not isinstance(fmt, str):
        raise TypeError(f"row_label and fmt must be strings, got row_label={row_label!r}, fmt={fmt!r}")
    missing = [(r, c) for r, vals in rows.items() for c in columns if c not in vals]
    if missing:
        raise ValueError(f"rows lack the columns {missing[:3]}: every row needs a value for every column")
    width = max([len(row_label)] + [len(str(r)) for r in rows]) + 2
    cells = {r: [vals[c] if isinstance(vals[c], str) else fmt.format(vals[c]) for c in columns]
             for r, vals in rows.items()}
    widths = [max([14, len(str(c)) + 2] + [len(row[j]) + 2 for row in cells.values()]) for j, c in enumerate(columns)]
    lines = [f"{row_label:<{width}}" + "".join(f"{str(c):>{w}}" for c, w in zip(columns, widths))]
    for r, row in cells.items():
        lines.append(f"{str(r):<{width}}" + "".join(f"{v:>{w}}" for v, w in zip(row, widths)))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------------
# Small computations
# ----------------------------------------------------------------------------------------------------------------

LINEAR_EDGE = 1.0                                   # |y| < 1: the sigmoid stays within 0.02 of its tangent at 0
SATURATION_EDGE = 2 * math.acosh(math.sqrt(10.0))   # |y| > 3.64: the sigmoid's slope is below 10 % of its maximum
AXIS_EDGE = 8.0                                     # the γ/β view shows y in [-8, 8]


@functools.lru_cache(maxsize=1)
def _standard_sample(n=4000, seed=0):
    return np.random.default_rng(seed).standard_normal(n)


def sigmoid_shares(gamma=1.0, beta=0.0):
    """Where y = gamma * xhat + beta lands on a sigmoid, for xhat ~ N(0, 1) (4000 fixed samples).

    gamma, beta: finite numbers with |gamma|, |beta| <= 100.
    Returns {"linear": share with |y| < 1 (the sigmoid within 0.02 of its tangent line), "saturated": share with
    |y| > 3.64 (slope below 10 % of its maximum), "slope": mean slope sigmoid'(y) as a fraction of its maximum 1/4,
    "below_axis", "above_axis": shares with y < -8 and y > 8 (outside the view)}.
    """
    gamma = validation.finite_number("gamma", gamma, low=-100, high=100)
    beta = validation.finite_number("beta", beta, low=-100, high=100)
    return _sigmoid_shares(gamma * _standard_sample() + beta)


def _sigmoid_shares(y):
    s = 1 / (1 + np.exp(-np.clip(y, -60, 60)))
    return {"linear": float(np.mean(np.abs(y) < LINEAR_EDGE)), "saturated": float(np.mean(np.abs(y) > SATURATION_EDGE)),
            "slope": float(np.mean(4 * s * (1 - s))), "below_axis": float(np.mean(y < -AXIS_EDGE)),
            "above_axis": float(np.mean(y > AXIS_EDGE))}


@one_cpu_thread()
def bias_gradient_through_bn(n=32, d_in=6, d_out=4, seed=0):
    """Gradient of a loss w.r.t. the bias of a Linear layer followed by BatchNorm1d (train mode).

    n: batch size (2..1000); d_in, d_out: layer sizes (1..256).
    Returns (bias gradient (d_out,), weight gradient (d_out, d_in)) as NumPy arrays: the first is zero up to
    rounding, because adding a constant to a feature only moves its batch mean, which BN subtracts.
    """
    n = validation.size("n", n, low=2, high=1000)
    d_in, d_out = validation.size("d_in", d_in, high=256), validation.size("d_out", d_out, high=256)
    g = torch.Generator().manual_seed(validation.seed_value("seed", seed))
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws its initial weights from the global generator
        torch.manual_seed(seed)
        lin, bn = nn.Linear(d_in, d_out), nn.BatchNorm1d(d_out)
    x, target = torch.randn(n, d_in, generator=g), torch.randn(n, d_out, generator=g)
    loss = ((torch.relu(bn(lin(x))) - target) ** 2).mean()
    loss.backward()
    return lin.bias.grad.numpy(), lin.weight.grad.numpy()


def torch_to_keras_momentum(momentum):
    """PyTorch's momentum (weight of the NEW batch) -> Keras/TensorFlow's (weight of the OLD running value)."""
    return 1.0 - _momentum(momentum)


def steps_to_track(momentum, fraction=0.9):
    """Steps before an exponential moving average covers `fraction` of a sudden jump: ceil(log(1-f)/log(1-m)).

    momentum: in (0, 1]; fraction: in (0, 1).
    """
    momentum = validation.finite_number("momentum", momentum, low=0, low_open=True, high=1)
    fraction = validation.finite_number("fraction", fraction, low=0, high=1, low_open=True, high_open=True)
    return 1 if momentum == 1 else math.ceil(math.log(1 - fraction) / math.log(1 - momentum))


def running_var_after(batch_vars, m, momentum=0.1, start=1.0):
    """running_var after one update per entry of batch_vars (biased batch variances of batches of m values).

    batch_vars: 1 to 10,000 variances (>= 0); m: batch size (2..10**6); momentum: in [0, 1]; start: >= 0.
    """
    batch_vars = validation.array("batch_vars", batch_vars, ndim=1, max_size=10_000)
    if np.any(batch_vars < 0):
        raise ValueError(f"batch_vars must be variances (>= 0), got {batch_vars}")
    m = validation.size("m", m, low=2, high=10**6)
    momentum = _momentum(momentum)
    r = validation.finite_number("start", start, low=0)
    for v in batch_vars:
        r = (1 - momentum) * r + momentum * v * m / (m - 1)
    return float(r)


def momentum_tracking(momentum=0.1, steps=150, jump_at=50, jump=2.0, noise=0.3, seed=0):
    """Batch means of a feature whose true mean jumps from 0 to `jump` at step `jump_at`, and PyTorch's running
    mean (starting at 0).

    momentum: in [0, 1]; steps: 2..10,000; jump_at: 0..steps; jump: |jump| <= 100; noise: 0..100.
    Returns (true mean (T,), batch means (T,), running mean (T,)).
    """
    momentum = _momentum(momentum)
    steps = validation.size("steps", steps, low=2, high=10_000)
    jump_at = validation.integer("jump_at", jump_at, low=0, high=steps)
    jump = validation.finite_number("jump", jump, low=-100, high=100)
    noise = validation.finite_number("noise", noise, low=0, high=100)
    true = np.where(np.arange(steps) < jump_at, 0.0, jump)
    batch = true + noise * np.random.default_rng(validation.seed_value("seed", seed)).standard_normal(steps)
    running, r = np.empty(steps), 0.0
    for t, b in enumerate(batch):
        r = (1 - momentum) * r + momentum * b
        running[t] = r
    return true, batch, running


def batch_mean_spread(batch_sizes=(2, 4, 8, 16, 32, 64, 128, 256), draws=2000, seed=0):
    """How much a batch's mean and variance wander: batches of a feature with mean 0 and variance 1.

    batch_sizes: 1 to 12 sizes in 2..4096; draws: batches per size (10..20,000).
    Returns {"batch_size": (B,), "mean_q": (B, 3) 5/50/95th percentiles of mu_B, "var_q": (B, 3) of var_B}.
    """
    batch_sizes = _values("batch_sizes", batch_sizes, 2, 4096, integer=True)
    draws = validation.size("draws", draws, low=10, high=20_000)
    g = np.random.default_rng(validation.seed_value("seed", seed))
    mean_q, var_q = [], []
    for m in batch_sizes:
        x = g.standard_normal((draws, m))
        mean_q.append(np.percentile(x.mean(1), [5, 50, 95]))
        var_q.append(np.percentile(x.var(1), [5, 50, 95]))
    return {"batch_size": np.array(batch_sizes), "mean_q": np.array(mean_q), "var_q": np.array(var_q)}


# ----------------------------------------------------------------------------------------------------------------
# Experiments (PyTorch, seeded, small enough for seconds on a CPU).  Each public function checks its arguments and
# calls a cached private one, so that a prediction's answer and the notebook cell after it share one run.
# ----------------------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _digits(device, n=None, seed=0):
    """The digits split (cached in memory: every experiment of the notebook reuses it; nobody modifies it)."""
    from utils.data import load_dataset

    return load_dataset("digits", n=n, seed=seed, device=device or "cpu")


def _mlp(sizes, activation, norm=None, bias=True, groups=8, init=None, seed=0):
    """Linear -> [norm] -> activation per hidden layer.  norm: None, "bn", "bn_after" (after the activation),
    "bn_no_beta" (BN with beta frozen at 0), "gn" (GroupNorm with `groups`).
    init: None (PyTorch's default), "he" or "xavier" (normal, zero biases).
    The initial weights come from `seed`; the global random generator is left as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b, bias=bias))
            if i == len(sizes) - 2:
                break
            if norm in ("bn", "bn_no_beta"):
                layers.append(nn.BatchNorm1d(b))
                if norm == "bn_no_beta":
                    layers[-1].bias.requires_grad_(False)
            elif norm == "gn":
                layers.append(nn.GroupNorm(groups, b))
            layers.append(activation())
            if norm == "bn_after":
                layers.append(nn.BatchNorm1d(b))
        for layer in layers:
            if isinstance(layer, nn.Linear) and init is not None:
                (nn.init.kaiming_normal_ if init == "he" else nn.init.xavier_normal_)(layer.weight)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


def _train(model, data, **kw):
    from utils.training import train

    return train(model, data, **kw)


@one_cpu_thread()
def batch_dependence(model, x, index=0, companions=20, batch_size=16, seed=0):
    """How much example `index`'s output depends on the other examples in its batch.

    Puts x[index] into `companions` random batches of `batch_size` drawn from x and runs `model` in its
    CURRENT mode.  model: a torch module taking (N, D); x: (N, D) tensor; companions: 1..1000;
    batch_size: 2..4096.  Returns the largest spread (max - min over batches) of its output, over output units.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    x = validation.tensor("x", x, ndim=2, max_size=10**7)
    index = validation.integer("index", index, low=0, high=len(x) - 1)
    companions = validation.size("companions", companions, high=1000)
    batch_size = validation.size("batch_size", batch_size, low=2, high=4096)
    g = torch.Generator().manual_seed(validation.seed_value("seed", seed))
    device = next(iter(model.parameters()), x).device
    x = x.to(device)
    outs = []
    with torch.no_grad():
        for _ in range(companions):
            others = torch.randint(len(x), (batch_size - 1,), generator=g).to(device)
            outs.append(model(torch.cat([x[index:index + 1], x[others]]))[0])
    outs = torch.stack(outs)
    return float((outs.max(0).values - outs.min(0).values).max())


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _trained_bn_net(steps, seed, device, momentum=0.1):
    data = _digits(device)
    model = _mlp([64, 64, 64, 10], nn.ReLU, norm="bn", seed=seed)
    if momentum != 0.1:
        for m in model:
            if isinstance(m, nn.BatchNorm1d):
                m.momentum = momentum
    hist = _train(model, data, steps=steps, lr=0.1, batch_size=64, eval_every=steps, seed=seed, device=device)
    return model.cpu().eval(), data.to("cpu"), hist


def trained_bn_net(steps=150, seed=0, device=None):
    """A small ReLU MLP (64-64-64-10) with BatchNorm1d trained on digits (SGD, lr 0.1, batches of 64).

    Returns (a fresh copy of the model, on the CPU in eval mode; the data Split on the CPU; the History).
    """
    model, data, hist = _trained_bn_net(_steps(steps), validation.seed_value("seed", seed), _device_key(device))
    return copy.deepcopy(model), data, hist


def _train_mode_spread():
    """The notebook's section-4 measurement in train mode (the answer of TRAIN_MODE_SPREAD)."""
    model, digits, _ = trained_bn_net(steps=150)
    model.train()
    return batch_dependence(model, digits.x_val, index=0, companions=20, batch_size=16)


SINGLE_EXAMPLE_OUTCOMES = ("the same logits as in eval mode", "the same logits for every image", "an error")


def single_example_in_train_mode(steps=150, seed=0, device=None):
    """What the trained BN net of `trained_bn_net` does with a batch of ONE image while left in train mode.

    Returns (one of SINGLE_EXAMPLE_OUTCOMES, the message or the logits' description).
    """
    model, digits, _ = trained_bn_net(steps, seed, device)
    model.train()
    try:
        with torch.no_grad():
            one = model(digits.x_val[:1])
            other = model(digits.x_val[1:2])
    except ValueError as err:
        return "an error", str(err)
    model.eval()
    with torch.no_grad():
        if torch.allclose(one, model(digits.x_val[:1])):
            return SINGLE_EXAMPLE_OUTCOMES[0], "train mode gave the eval-mode logits"
    if torch.allclose(one, other):
        return SINGLE_EXAMPLE_OUTCOMES[1], "every image got the same logits"
    return SINGLE_EXAMPLE_OUTCOMES[0], "the logits depend on the image"


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _placement(steps, seed, device):
    data = _digits(device)
    out = {}
    for name, norm in (("no BN", None), ("BN before ReLU", "bn"), ("BN after ReLU", "bn_after")):
        model = _mlp([64, 64, 64, 64, 10], nn.ReLU, norm=norm, seed=seed)
        out[name] = _train(model, data, steps=steps, lr=0.05, batch_size=32, eval_every=50, seed=seed, device=device)
    return out


def placement_experiment(steps=150, seed=0, device=None):
    """BN before vs after the ReLU (and no BN) on digits, same seed and budget (SGD, lr 0.05, batches of 32;
    PyTorch's default initialisation for all three).

    Returns {name: History} for "no BN", "BN before ReLU", "BN after ReLU".
    """
    return _placement(_steps(steps), validation.seed_value("seed", seed), _device_key(device))


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _relu_activity(steps, lr, seed, device):
    data = _digits(device)
    results = {}
    for name, norm in (("beta frozen at 0", "bn_no_beta"), ("beta learned", "bn")):
        model = _mlp([64, 64, 64, 64, 10], nn.ReLU, norm=norm, seed=seed)
        hist = _train(model, data, steps=steps, lr=lr, optimizer="adam", batch_size=32, eval_every=steps, seed=seed,
                      device=device)
        acts = []
        hooks = [m.register_forward_hook(lambda mod, i, o, acts=acts: acts.append((o > 0).float().mean().item()))
                 for m in model if isinstance(m, nn.ReLU)]
        model.eval()
        with torch.no_grad():
            model(data.x_val)
        for h in hooks:
            h.remove()
        betas = [m.bias.detach().mean().item() for m in model if isinstance(m, nn.BatchNorm1d)]
        results[name] = {"active": acts, "val_acc": hist.final("val_acc"), "beta_mean": betas}
    return results


def relu_activity_experiment(steps=150, lr=0.01, seed=0, device=None):
    """Fraction of active (positive) ReLU units in a BN net (Adam) with beta frozen at 0 vs learned.

    Returns {name: {"active": fraction of (example, unit) pairs > 0 on the validation set, per hidden layer (list),
    "val_acc": validation accuracy, "beta_mean": mean learned beta per layer}}.
    """
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=10)
    return _relu_activity(_steps(steps), lr, validation.seed_value("seed", seed), _device_key(device))


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _sigmoid_mlp(steps, lr, seed, device):
    data = _digits(device)
    results = {}
    for name, norm in (("without BN", None), ("with BN", "bn")):
        model = _mlp([64, 100, 100, 100, 10], nn.Sigmoid, norm=norm, init="xavier", seed=seed)
        last_sigmoid = [m for m in model if isinstance(m, nn.Sigmoid)][-1]
        captured, pct = {}, []
        last_sigmoid.register_forward_hook(lambda mod, i, o, captured=captured: captured.__setitem__("z", i[0][:, 0]))

        def monitor(step, model, captured=captured, pct=pct):
            model.eval()
            with torch.no_grad():
                model(data.x_val.to(next(model.parameters()).device))
            model.train()
            pct.append(np.percentile(captured["z"].cpu().numpy(), [15, 50, 85]))

        hist = _train(model, data, steps=steps, lr=lr, batch_size=60, eval_every=20, seed=seed, device=device,
                      on_eval=monitor)
        results[name] = {"step": np.array(hist.step), "val_acc": np.array(hist.val_acc),
                         "pct": np.array(pct)}
    return results


def sigmoid_mlp_experiment(steps=300, lr=0.5, seed=0, device=None):
    """After Ioffe & Szegedy's Figure 1: a 3-hidden-layer sigmoid MLP (Xavier init) on digits with and without BN.

    Every 20 steps records validation accuracy and the 15th/50th/85th percentiles over the validation examples of
    the input to one sigmoid of the last hidden layer.
    Returns {name: {"step": (T,), "val_acc": (T,), "pct": (T, 3)}} for "without BN" and "with BN".
    """
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=10)
    return _sigmoid_mlp(_steps(steps), lr, validation.seed_value("seed", seed), _device_key(device))


def sigmoid_summary(results):
    """Spread and drift of the monitored sigmoid input, from `sigmoid_mlp_experiment`.

    Returns {name: {"spread_max": largest 15-85th percentile width over the probes, "spread_median": its median,
    "drift": how far the median moved (max - min over the probes)}}.
    """
    if not isinstance(results, dict) or not all(isinstance(r, dict) and "pct" in r for r in results.values()):
        raise TypeError("results must be the dict returned by sigmoid_mlp_experiment")
    out = {}
    for name, r in results.items():
        width = r["pct"][:, 2] - r["pct"][:, 0]
        out[name] = {"spread_max": float(width.max()), "spread_median": float(np.median(width)),
                     "drift": float(r["pct"][:, 1].max() - r["pct"][:, 1].min())}
    return out


def _final_loss(hist):
    """Mean training loss of the last evaluation window; divergence (NaN, or above DIVERGED_ABOVE) becomes inf."""
    loss = hist.final("train_loss")
    return loss if np.isfinite(loss) and loss <= DIVERGED_ABOVE else math.inf


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _lr_sweep(lrs, steps, seeds, device):
    data = _digits(device)
    variants = {"without BN, default init": (None, None), "without BN, He init": (None, "he"), "with BN": ("bn", None)}
    out = {"setting": "learning rate", "x": np.array(lrs, dtype=float), "names": tuple(variants)}
    for name, (norm, init) in variants.items():
        losses = np.empty((len(seeds), len(lrs)))
        for i, seed in enumerate(seeds):
            for j, lr in enumerate(lrs):
                model = _mlp([64, 64, 64, 64, 10], nn.ReLU, norm=norm, init=init, seed=seed)
                losses[i, j] = _final_loss(_train(model, data, steps=steps, lr=lr, batch_size=64, eval_every=25,
                                                  seed=seed, device=device))
        out[name] = losses
    return out


def lr_sweep(lrs=(0.01, 0.1, 0.3, 1.0, 3.0, 10.0), steps=80, seeds=(0, 1, 2), device=None):
    """Final training loss of a 3-hidden-layer ReLU MLP on digits (SGD, batches of 64) for each learning rate and
    seed: without BN (PyTorch's default initialisation, and He initialisation) and with BN (default init).

    lrs: 1 to 12 rates in (0, 100].  Returns {"setting": "learning rate", "x": (L,), "names": the three variants,
    name: (S, L) losses, one row per seed}; a diverged run (final loss above 10, or NaN) is inf.
    """
    lrs = _values("lrs", lrs, 1e-6, 100.0)
    return _lr_sweep(lrs, _steps(steps), _seeds(seeds), _device_key(device))


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _init_scale_sweep(scales, depth, steps, lr, seeds, device):
    data = _digits(device)
    out = {"setting": "initial weight scale s (× He)", "x": np.array(scales, dtype=float),
           "names": ("without BN", "with BN")}
    for name, norm in zip(out["names"], (None, "bn")):
        losses = np.empty((len(seeds), len(scales)))
        for i, seed in enumerate(seeds):
            for j, s in enumerate(scales):
                model = _mlp([64] + [64] * depth + [10], nn.ReLU, norm=norm, seed=seed)
                with torch.no_grad():
                    for m in model:
                        if isinstance(m, nn.Linear):
                            m.weight.normal_(0.0, s * math.sqrt(2.0 / m.in_features),
                                             generator=torch.Generator().manual_seed(seed + m.in_features))
                            m.bias.zero_()
                losses[i, j] = _final_loss(_train(model, data, steps=steps, lr=lr, batch_size=64, eval_every=25,
                                                  seed=seed, device=device))
        out[name] = losses
    return out


def init_scale_sweep(scales=(0.1, 0.3, 1.0, 3.0, 10.0), depth=5, steps=80, lr=0.05, seeds=(0, 1, 2), device=None):
    """Final training loss of a deep ReLU MLP (depth hidden layers of 64, SGD) whose weights are He-initialised
    times `scale`, with and without BN, for each seed.

    scales: 1 to 12 values in (0, 100]; depth: 1..20.  Returns {"setting", "x": (K,), "names", name: (S, K)};
    a diverged run (final loss above 10, or NaN) is inf.
    """
    scales = _values("scales", scales, 1e-6, 100.0)
    depth = validation.size("depth", depth, high=20)
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=100)
    return _init_scale_sweep(scales, depth, _steps(steps), lr, _seeds(seeds), _device_key(device))


def _check_sweep(sweep):
    if not isinstance(sweep, dict) or not {"x", "names", "setting"} <= set(sweep):
        raise TypeError("sweep must be the dict returned by lr_sweep or init_scale_sweep")
    return sweep


def trains_at(sweep, name, threshold=0.5):
    """The swept values at which every seed of `name` ended with a training loss below `threshold`.

    sweep: from `lr_sweep` or `init_scale_sweep`; name: one of sweep["names"]; threshold: > 0.
    Returns a list of x values (floats).
    """
    _check_sweep(sweep)
    validation.one_of("name", name, sweep["names"])
    threshold = validation.finite_number("threshold", threshold, low=0, low_open=True)
    ok = np.all(sweep[name] < threshold, axis=0)
    return [float(x) for x, good in zip(sweep["x"], ok) if good]


def _x_text(values):
    if not values:
        return "none"
    return ", ".join(f"{v:g}" for v in values)


def sweep_table(sweep):
    """A plain-text table of a sweep: the mean final loss over seeds, "diverged k/S" where k of the S seeds diverged
    (final loss above 10, or NaN), and a line that says so."""
    _check_sweep(sweep)
    rows = {}
    for name in sweep["names"]:
        losses = sweep[name]
        cells = {}
        for j, x in enumerate(sweep["x"]):
            k = int(np.sum(~np.isfinite(losses[:, j])))
            cells[f"{x:g}"] = f"diverged {k}/{len(losses)}" if k else float(np.mean(losses[:, j]))
        rows[name] = cells
    head = sweep["setting"].split(" (")[0]
    text = format_table(rows, [f"{x:g}" for x in sweep["x"]], head, fmt="{:.3f}")
    return (text + f"\n(mean final training loss over {len(sweep[sweep['names'][0]])} seeds; chance is "
            f"ln 10 = {CHANCE_LOSS:.3f}; 'diverged k/S': k of S seeds ended with a loss above "
            f"{DIVERGED_ABOVE:g} or NaN)")


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _regularisation(n_train, steps, seed, device):
    data = _digits(device, n=int(n_train / 0.75), seed=seed)
    res, models = {}, {}
    for name, norm in (("without BN", None), ("with BN", "bn")):
        model = _mlp([64, 128, 128, 10], nn.ReLU, norm=norm, seed=seed)
        h = _train(model, data, steps=steps, lr=0.1, batch_size=32, eval_every=steps, seed=seed, device=device)
        res[name] = {"train_acc": h.final("train_acc"), "val_acc": h.final("val_acc"),
                     "gap": h.final("train_acc") - h.final("val_acc")}
        models[name] = model
    return res, _bn_noise(models["with BN"], data.x_train, seed)


def _bn_noise(model, x, seed, batches=200, batch_size=32):
    """Std, across random batches, of example 0's normalised value at the FIRST BN layer of `model` (the values BN
    really normalises: the first Linear layer's outputs); the median over that layer's units."""
    with torch.no_grad():
        h = model[0](x).cpu().numpy().astype(np.float64)          # (N, units): the input of the first BN layer
    g = np.random.default_rng(seed)
    values = []
    for _ in range(batches):
        others = g.choice(np.arange(1, len(h)), batch_size - 1, replace=False)
        batch = np.concatenate([h[:1], h[others]])
        values.append((batch[0] - batch.mean(0)) / np.sqrt(batch.var(0) + 1e-5))
    return float(np.median(np.std(values, axis=0)))


def regularisation_experiment(n_train=300, steps=200, seed=0, device=None):
    """Train on a small digits subset (n_train examples, 32..1300) with and without BN (SGD, lr 0.1, batches of 32,
    default init); compare the train/validation accuracy gap.

    Also measures the noise BN injects: for the trained BN net's first BN layer (whose inputs are the first Linear
    layer's outputs), the std of one example's normalised value across 200 random batches of 32, median over units.
    Returns ({name: {"train_acc", "val_acc", "gap"}}, noise std).
    """
    n_train = validation.size("n_train", n_train, low=32, high=1300)
    return _regularisation(n_train, _steps(steps), validation.seed_value("seed", seed), _device_key(device))


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _smoothness(steps, lr, probe_every, seed, device):
    data = _digits(device)
    dev = data.x_train.device
    gen = torch.Generator().manual_seed(seed)
    probe = torch.randperm(len(data.x_train), generator=gen)[:256].to(dev)
    xp, yp = data.x_train[probe], data.y_train[probe]
    loss_fn = nn.CrossEntropyLoss()
    etas = lr * np.array([0.25, 0.5, 1.0, 1.5, 2.0])
    out = {}
    keys = ("step", "probe_loss", "loss_range", "grad_change", "grad_lipschitz", "grad_norm")
    for name, norm in (("without BN", None), ("with BN", "bn")):
        model = _mlp([64, 64, 64, 64, 64, 10], nn.ReLU, norm=norm, init="he", seed=seed).to(dev)
        params = list(model.parameters())
        opt = torch.optim.SGD(params, lr=lr)
        g = torch.Generator().manual_seed(seed)
        rec = {k: [] for k in keys + ("train_loss",)}
        for step in range(steps + 1):
            if step % probe_every == 0:
                model.zero_grad()
                loss0 = loss_fn(model(xp), yp)
                loss0.backward()
                grads = [p.grad.detach().clone() for p in params]
                saved = [p.detach().clone() for p in params]
                grad_norm = math.sqrt(sum((gr ** 2).sum().item() for gr in grads))
                losses, changes = [], []
                for eta in etas:
                    with torch.no_grad():
                        for p, s, gr in zip(params, saved, grads):
                            p.copy_(s - eta * gr)
                    model.zero_grad()
                    loss = loss_fn(model(xp), yp)
                    loss.backward()
                    losses.append(loss.item())
                    changes.append(math.sqrt(sum(((p.grad - gr) ** 2).sum().item() for p, gr in zip(params, grads))))
                with torch.no_grad():
                    for p, s in zip(params, saved):
                        p.copy_(s)
                rec["step"].append(step)
                rec["probe_loss"].append(loss0.item())
                rec["loss_range"].append(max(losses) - min(losses))
                rec["grad_change"].append(max(changes))
                rec["grad_lipschitz"].append(max(c / (eta * grad_norm) for c, eta in zip(changes, etas)))
                rec["grad_norm"].append(grad_norm)
            if step == steps:
                break
            idx = torch.randint(len(data.x_train), (64,), generator=g).to(dev)
            loss = loss_fn(model(data.x_train[idx]), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            rec["train_loss"].append(loss.item())
        out[name] = {k: np.array(v) for k, v in rec.items()}
    return out


def smoothness_experiment(steps=150, lr=0.1, probe_every=10, seed=0, device=None):
    """Santurkar et al.'s cheap evidence: along training, how much the loss and the gradient change when you step
    along the gradient, with and without BN (4-hidden-layer ReLU MLP on digits, He init, same lr and seed).

    At every `probe_every` steps, on a fixed batch of 256: the loss there (probe_loss), the loss range max - min of
    L(w - eta * g) for eta in [0.25, 2] x lr (loss variation), max ||grad(w - eta * g) - g|| over the same etas
    (gradient change), and that change per unit distance moved, max ||grad(w - eta * g) - g|| / (eta * ||g||)
    (Santurkar et al.'s "effective beta-smoothness": it does not reward a network merely for having smaller
    gradients).  lr: in (0, 10]; probe_every: 1..steps.
    Returns {name: {"step", "probe_loss", "loss_range", "grad_change", "grad_lipschitz", "grad_norm",
    "train_loss"}} (arrays).
    """
    steps = _steps(steps)
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=10)
    probe_every = validation.size("probe_every", probe_every, high=steps)
    return _smoothness(steps, lr, probe_every, validation.seed_value("seed", seed), _device_key(device))


def smoothness_at_equal_loss(results, low=None, high=None):
    """Compare the two networks of `smoothness_experiment` at the same loss, not the same step.

    Keeps the probes whose probe_loss lies in [low, high] for both networks (default: the range the two
    trajectories share), and returns {name: {"loss_range": median relative loss variation (max - min) / loss,
    "grad_lipschitz": median gradient change per unit step, "probes": how many probes}} plus "band": (low, high).
    """
    if not isinstance(results, dict) or not all(isinstance(r, dict) and "probe_loss" in r for r in results.values()):
        raise TypeError("results must be the dict returned by smoothness_experiment")
    lows = [r["probe_loss"].min() for r in results.values()]
    highs = [r["probe_loss"].max() for r in results.values()]
    low = max(lows) if low is None else validation.finite_number("low", low, low=0)
    high = min(highs) if high is None else validation.finite_number("high", high, low=0)
    out = {"band": (float(low), float(high))}
    for name, r in results.items():
        keep = (r["probe_loss"] >= low) & (r["probe_loss"] <= high)
        rel = r["loss_range"][keep] / r["probe_loss"][keep]
        out[name] = {"loss_range": float(np.median(rel)) if keep.any() else math.nan,
                     "grad_lipschitz": float(np.median(r["grad_lipschitz"][keep])) if keep.any() else math.nan,
                     "probes": int(keep.sum())}
    return out


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _small_batch(batch_sizes, steps, lr, groups, seeds, device):
    data = _digits(device)
    out = {"batch_size": np.array(batch_sizes)}
    for name, norm in (("BatchNorm", "bn"), ("GroupNorm", "gn")):
        accs = np.empty((len(seeds), len(batch_sizes)))
        for i, seed in enumerate(seeds):
            for j, bs in enumerate(batch_sizes):
                model = _mlp([64, 64, 64, 10], nn.ReLU, norm=norm, groups=groups, seed=seed)
                h = _train(model, data, steps=steps, lr=lr, optimizer="adam", batch_size=bs, eval_every=steps,
                           seed=seed, device=device)
                accs[i, j] = h.final("val_acc")
        out[name] = accs
    return out


def small_batch_experiment(batch_sizes=(2, 4, 8, 16, 32, 64), steps=150, lr=0.003, groups=8, seeds=(0, 1, 2),
                           device=None):
    """Validation accuracy of a ReLU MLP (64-64-64-10) on digits with BatchNorm vs GroupNorm, for each training batch
    size and seed.  Adam, the same number of steps and learning rate for every batch size.

    batch_sizes: 1 to 12 sizes in 2..512; groups: divides 64.  Returns {"batch_size": (B,), "BatchNorm": (S, B),
    "GroupNorm": (S, B)} (validation accuracy in eval mode, one row per seed).
    """
    batch_sizes = _values("batch_sizes", batch_sizes, 2, 512, integer=True)
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=1)
    groups = validation.one_of("groups", groups, (1, 2, 4, 8, 16, 32, 64))
    return _small_batch(batch_sizes, _steps(steps), lr, groups, _seeds(seeds), _device_key(device))


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _recalibration(momentum, steps, seed, device):
    from utils.training import accuracy

    model, data, hist = _trained_bn_net(steps, seed, device, momentum=momentum)
    model = copy.deepcopy(model)
    stale = accuracy(model.eval(), data.x_val, data.y_val)
    for m in model:
        if isinstance(m, nn.BatchNorm1d):
            m.reset_running_stats()
            m.momentum = None              # None: a plain average over every batch seen since the reset
    model.train()
    with torch.no_grad():
        for start in range(0, len(data.x_train), 64):
            model(data.x_train[start:start + 64])
    batches = int(model[1].num_batches_tracked)
    recalibrated = accuracy(model.eval(), data.x_val, data.y_val)
    return {"stale": stale, "recalibrated": recalibrated, "batches": batches}


def recalibration_experiment(momentum=0.001, steps=150, seed=0, device=None):
    """Re-estimating BN's running statistics after training.

    Trains the net of `trained_bn_net` with BN's `momentum` set to this value (0.001: the running averages move
    only ~14 % of the way in 150 steps), measures validation accuracy in eval mode ("stale"), then resets the running
    statistics, sets momentum=None (a cumulative average) and runs the whole training set once in train mode
    without gradients, and measures again ("recalibrated").  Returns {"stale", "recalibrated", "batches"}.
    """
    momentum = validation.finite_number("momentum", momentum, low=0, low_open=True, high=1)
    return _recalibration(momentum, _steps(steps), validation.seed_value("seed", seed), _device_key(device))


@functools.lru_cache(maxsize=8)
@one_cpu_thread()
def _frozen_finetune(steps, lr, batch_size, seeds, device):
    from utils.training import accuracy

    out = {"before": [], "BN in train mode": [], "BN frozen": []}
    for seed in seeds:
        base, data, hist = _trained_bn_net(150, seed, device)
        out["before"].append(accuracy(base.eval(), data.x_val, data.y_val))
        for name in ("BN in train mode", "BN frozen"):
            model = copy.deepcopy(base)
            opt = torch.optim.SGD(model.parameters(), lr=lr)
            g = torch.Generator().manual_seed(seed + 100)
            model.train()
            if name == "BN frozen":      # eval mode for BN only: running statistics used, and not updated
                for m in model:
                    if isinstance(m, nn.BatchNorm1d):
                        m.eval()
            for _ in range(steps):
                idx = torch.randint(len(data.x_train), (batch_size,), generator=g)
                loss = nn.functional.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            out[name].append(accuracy(model.eval(), data.x_val, data.y_val))
    return {k: np.array(v) for k, v in out.items()}


def frozen_bn_finetune(steps=100, lr=0.005, batch_size=2, seeds=(0, 1, 2), device=None):
    """Fine-tuning a trained BN net (the one of `trained_bn_net`) with tiny batches: BN left in train mode vs BN
    frozen (its layers in eval mode: running statistics used and not updated; gamma and beta still learn).

    steps: fine-tuning steps (SGD, `lr`, batches of `batch_size`, 2..64).
    Returns {"before": (S,), "BN in train mode": (S,), "BN frozen": (S,)}: validation accuracy per seed.
    """
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=1)
    batch_size = validation.size("batch_size", batch_size, low=2, high=64)
    return _frozen_finetune(_steps(steps), lr, batch_size, _seeds(seeds), _device_key(device))


@one_cpu_thread()
def fold_check(steps=150, seed=0, device=None):
    """Fold every BatchNorm1d of the `trained_bn_net` model into the Linear layer before it (with `fold_batchnorm`)
    and compare the folded net with the unfolded one in eval mode on the validation set.

    Returns {"max_diff": largest |logit difference|, "same_predictions": fraction of equal argmax,
    "layers": (modules before, after)}.
    """
    model, data, _ = trained_bn_net(steps, seed, device)
    model.eval()
    folded, layers = [], list(model)
    i = 0
    while i < len(layers):
        layer = layers[i]
        if isinstance(layer, nn.Linear) and i + 1 < len(layers) and isinstance(layers[i + 1], nn.BatchNorm1d):
            b = layers[i + 1]
            bias = layer.bias if layer.bias is not None else torch.zeros(layer.out_features)
            w, c = fold_batchnorm(*(t.detach().double().numpy() for t in (layer.weight, bias, b.running_mean,
                                                                           b.running_var, b.weight, b.bias)), b.eps)
            new = nn.Linear(layer.in_features, layer.out_features)
            with torch.no_grad():
                new.weight.copy_(torch.from_numpy(w))
                new.bias.copy_(torch.from_numpy(c))
            folded.append(new)
            i += 2
        else:
            folded.append(layer)
            i += 1
    folded = nn.Sequential(*folded).eval()
    with torch.no_grad():
        a, b = model(data.x_val), folded(data.x_val)
    return {"max_diff": float((a - b).abs().max()), "same_predictions": float((a.argmax(1) == b.argmax(1)).float()
                                                                               .mean()),
            "layers": (len(model), len(folded))}


# ----------------------------------------------------------------------------------------------------------------
# Exercise checkers: each compares with PyTorch and, for the wrong answers learners often give, names the mistake.
# ----------------------------------------------------------------------------------------------------------------

def _exercise_batch(seed=3, n=8, d=5):
    g = np.random.default_rng(seed)
    return g.normal(1.5, 2.0, size=(n, d)), g.normal(1.0, 0.5, size=d), g.normal(0.0, 1.0, size=d)


def _call(fn, *args):
    """Call a learner's function; return (result, None) or (None, message) instead of raising."""
    try:
        return fn(*args), None
    except Exception as exc:  # the learner's code may fail in any way; say how instead of crashing the cell
        return None, f"your function raised {type(exc).__name__}: {exc}"


def _as_array(answer):
    """The learner's answer as a float array (NumPy array, list or torch tensor), or None if it is not numbers."""
    if isinstance(answer, torch.Tensor):
        answer = answer.detach().cpu().numpy()
    try:
        return np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return None


def _matches(answer, expected, rtol=1e-6, atol=1e-8):
    """True if answer converts to an array of expected's shape and is close to it (silent, unlike check_close)."""
    a = _as_array(answer)
    return a is not None and a.shape == np.shape(expected) and bool(np.allclose(a, expected, rtol=rtol, atol=atol))


def _first_mistake(answer, mutants):
    """The hint of the first known wrong answer that `answer` equals, or None."""
    for value, hint in mutants:
        if _matches(answer, value, rtol=1e-7, atol=1e-9):
            return hint
    return None


def _forward_mutants(x, gamma, beta, eps):
    mu, var = x.mean(0), x.var(0)
    xhat = (x - mu) / np.sqrt(var + eps)
    rows = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps)
    return [
        (x, "your function returns x unchanged: subtract each column's batch mean, divide by sqrt(var + eps), then "
            "scale by gamma and shift by beta"),
        (xhat, "you returned the normalised x̂ but forgot gamma and beta: the output is gamma * x̂ + beta"),
        (xhat + beta, "you forgot gamma: the output is gamma * x̂ + beta"),
        (gamma * xhat, "you forgot beta: the output is gamma * x̂ + beta"),
        (beta * xhat + gamma, "gamma and beta are swapped: gamma scales x̂, beta shifts it"),
        (gamma * rows + beta, "you normalised along the wrong axis: each ROW (one example over its features). BN "
                              "normalises each COLUMN (one feature over the batch): use axis=0"),
        (rows, "you normalised each row (axis=1) and forgot gamma and beta: BN normalises each column (axis=0), "
               "then computes gamma * x̂ + beta"),
        (gamma * (x - mu) / np.sqrt(x.var(0, ddof=1) + eps) + beta,
         "close: you divided by the UNBIASED std (ddof=1); the forward pass uses the biased batch variance, "
         "np.var(x, axis=0)"),
        (gamma * (x - mu) / (np.sqrt(var) + eps) + beta, "eps belongs inside the square root: sqrt(var + eps)"),
        (gamma * (x - mu) / (var + eps) + beta, "you divided by the variance; divide by the standard deviation "
                                                "sqrt(var + eps)"),
        (gamma * x / np.sqrt(var + eps) + beta, "you forgot to subtract the batch mean of each column"),
    ]


@one_cpu_thread()
def check_batchnorm_forward(fn):
    """fn(x, gamma, beta, eps) -> out for x (N, D), train mode.  Compared with torch's batch_norm (float64)."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (e.g. my_batchnorm_forward), got {fn!r}")
    x, gamma, beta = _exercise_batch()
    out, err = _call(fn, x.copy(), gamma.copy(), beta.copy(), 1e-5)
    if err:
        return feedback(False, err)
    t = torch.from_numpy
    expected = nn.functional.batch_norm(t(x), None, None, t(gamma), t(beta), training=True, eps=1e-5).numpy()
    if out is None:
        return feedback(False, f"your function returned None: return an array of shape {expected.shape}")
    if isinstance(out, tuple):
        return feedback(False, f"return only the output array (shape {expected.shape}), not a tuple")
    a = _as_array(out)
    if a is None:
        return feedback(False, f"return an array of shape {expected.shape}, got {type(out).__name__}")
    if a.shape == expected.shape and not np.allclose(a, expected, rtol=1e-6, atol=1e-8):
        hint = _first_mistake(a, _forward_mutants(x, gamma, beta, 1e-5))
        if hint:
            return feedback(False, hint)
    return check_close(a, expected, rtol=1e-6, atol=1e-8, what="your batch-norm output")


def _backward_mutants(dout, x, gamma, eps):
    """Known wrong (dx, dgamma, dbeta) parts, each with its hint."""
    n = x.shape[0]
    inv_std = 1 / np.sqrt(x.var(0) + eps)
    xhat = (x - x.mean(0)) * inv_std
    dxhat = dout * gamma
    dx_mean_only = inv_std * (dxhat - dxhat.mean(0))
    dx_var_only = inv_std * (dxhat - xhat * (dxhat * xhat).mean(0))
    inv_unb = 1 / np.sqrt(x.var(0, ddof=1) + eps)
    xhat_unb = (x - x.mean(0)) * inv_unb
    dx = {"dx": [
        (dxhat * inv_std, "dx treats the batch mean and variance as constants (that is the eval-mode gradient). "
                          "In training, mu and var depend on every x_i: add the paths x -> mu -> x̂ and "
                          "x -> var -> x̂ of the graph"),
        (dx_mean_only, "dx has the path through the batch mean but not the one through the variance "
                       "(x -> var -> x̂)"),
        (dx_var_only, "dx has the path through the variance but not the one through the batch mean "
                      "(x -> mu -> x̂, and mu -> var)"),
        (inv_std / n * (n * dout - dout.sum(0) - xhat * (dout * xhat).sum(0)),
         "dx forgot gamma: the gradient arriving at x̂ is dx̂ = gamma * dout"),
        (inv_unb / n * (n * dxhat - dxhat.sum(0) - xhat_unb * (dxhat * xhat_unb).sum(0)),
         "dx uses the UNBIASED variance; the forward pass, and so the graph, uses np.var(x, axis=0)")],
        "dgamma": [((dout * x).sum(0), "dgamma multiplies dout by x; it must be x̂ (y = gamma * x̂ + beta)"),
                   (dout.sum(0), "dgamma and dbeta look swapped: dgamma = sum(dout * x̂), dbeta = sum(dout)"),
                   ((dout * xhat).mean(0), "dgamma: SUM over the batch, not the mean")],
        "dbeta": [((dout * xhat).sum(0), "dgamma and dbeta look swapped: dgamma = sum(dout * x̂), dbeta = sum(dout)"),
                  (dout.mean(0), "dbeta: SUM over the batch, not the mean")]}
    return dx


@one_cpu_thread()
def check_batchnorm_backward(fn):
    """fn(dout, x, gamma, eps) -> (dx, dgamma, dbeta) for x (N, D), train mode.  Compared with torch autograd."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (e.g. my_batchnorm_backward), got {fn!r}")
    x, gamma, beta = _exercise_batch(seed=4)
    dout = np.random.default_rng(5).normal(size=x.shape)
    res, err = _call(fn, dout.copy(), x.copy(), gamma.copy(), 1e-5)
    if err:
        return feedback(False, err)
    if not isinstance(res, (tuple, list)) or len(res) != 3:
        return feedback(False, f"return three arrays (dx, dgamma, dbeta), got {type(res).__name__}")
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-5).backward(torch.from_numpy(dout))
    mutants = _backward_mutants(dout, x, gamma, 1e-5)
    arrays = [_as_array(r) for r in res]
    if all(a is not None and a.size and not np.any(a) for a in arrays):
        return feedback(False, "all three gradients are zero: replace the placeholder with your backward pass")
    walk = {"dx": "walk the graph x -> mu -> var -> x̂ -> y backwards and add up every path that reaches x",
            "dgamma": "which values does gamma multiply in y = gamma * x̂ + beta?",
            "dbeta": "beta is added to every example's output"}
    problems = []
    for what, mine, ref in (("dx", res[0], xt.grad.numpy()), ("dgamma", res[1], gt.grad.numpy()),
                            ("dbeta", res[2], bt.grad.numpy())):
        a = _as_array(mine)
        if a is None:
            problems.append(f"{what} should be an array of numbers, got {type(mine).__name__}")
        elif a.shape != ref.shape:
            axis = " (sum over the batch, axis 0)" if what != "dx" and a.shape == (x.shape[0],) else ""
            problems.append(f"{what} has shape {a.shape}, expected {ref.shape}{axis}")
        elif not np.all(np.isfinite(a)):
            problems.append(f"{what} contains NaN or infinity")
        elif not np.allclose(a, ref, rtol=1e-6, atol=1e-8):
            hint = _first_mistake(a, mutants[what])
            err_size = float(np.max(np.abs(a - ref)))
            problems.append(hint or f"{what} is off by up to {err_size:.3g}: {walk[what]}")
    if problems:
        return feedback(False, "; ".join(dict.fromkeys(problems)))
    return feedback(True, "", "Correct! All three gradients match PyTorch's autograd.")


RUNNING_VAR_EXERCISE = {"batch_vars": (2.0, 0.5, 1.0), "m": 4, "momentum": 0.1, "start": 1.0}


@one_cpu_thread()
def check_running_var(answer):
    """Is `answer` the running_var of nn.BatchNorm1d(1) (momentum 0.1, starting at 1) after the batches of
    RUNNING_VAR_EXERCISE?  The expected value comes from PyTorch itself."""
    ex = RUNNING_VAR_EXERCISE
    m = ex["m"]
    layer = nn.BatchNorm1d(1, momentum=ex["momentum"]).double()
    for v in ex["batch_vars"]:
        a = math.sqrt(v)
        layer(torch.tensor([[a], [-a]] * (m // 2), dtype=torch.float64))  # mean 0, biased variance a**2 = v
    expected = layer.running_var.item()
    if answer is None or answer is Ellipsis:
        return feedback(False, "replace the placeholder with your number, then run the cell again")
    if isinstance(answer, (str, bytes)):
        return feedback(False, f"give a number, not text: got {answer!r}")
    a, problem = learner_number(answer, "your running_var")
    if problem:
        return feedback(False, problem)
    biased = 1.0
    for v in ex["batch_vars"]:
        biased = (1 - ex["momentum"]) * biased + ex["momentum"] * v
    mutants = [
        (biased,
         "close: PyTorch stores the UNBIASED variance, m/(m-1) times the batch's biased variance"),
        (running_var_after(ex["batch_vars"], m, momentum=1 - ex["momentum"]),
         "you swapped the weights: PyTorch's momentum=0.1 is the weight of the NEW batch"),
        (running_var_after(ex["batch_vars"], m, ex["momentum"], start=0.0),
         "a fresh BatchNorm1d starts with running_var = 1, not 0"),
        (float(np.mean(ex["batch_vars"])) * m / (m - 1),
         "that is the plain average of the batches; the running value is an exponential moving average that "
         "starts at 1"),
        (running_var_after(ex["batch_vars"][-1:], m, ex["momentum"]),
         "you applied only the last batch's update; apply one update per batch, in order")]
    if not math.isclose(a, expected, rel_tol=1e-6, abs_tol=1e-9):
        hint = _first_mistake(a, [(np.float64(v), h) for v, h in mutants])
        if hint:
            return feedback(False, hint)
    return check_close(a, expected, rtol=1e-6, atol=1e-9, what="your running_var")


def _fold_exercise():
    g = np.random.default_rng(11)
    return (g.normal(size=(4, 6)), g.normal(size=4), g.normal(0.5, 1.0, size=4), g.uniform(0.5, 3.0, size=4),
            g.normal(1.0, 0.5, size=4), g.normal(size=4), 1e-5)


@one_cpu_thread()
def check_fold_batchnorm(fn):
    """fn(weight, bias, running_mean, running_var, gamma, beta, eps) -> (new_weight, new_bias).

    The answer is checked by running nn.Linear followed by nn.BatchNorm1d in eval mode on random inputs, and the
    folded nn.Linear on the same inputs."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (e.g. my_fold), got {fn!r}")
    w, b, rm, rv, gamma, beta, eps = _fold_exercise()
    res, err = _call(fn, *(v.copy() for v in (w, b, rm, rv, gamma, beta)), eps)
    if err:
        hint = " (the scale has one entry per OUTPUT unit, i.e. per ROW of the weight: scale[:, None] * W)" \
            if "broadcast" in err or "size" in err else ""
        return feedback(False, err + hint)
    if not isinstance(res, (tuple, list)) or len(res) != 2:
        return feedback(False, f"return two arrays (new_weight, new_bias), got {type(res).__name__}")
    lin, norm = nn.Linear(6, 4).double(), nn.BatchNorm1d(4, eps=eps).double().eval()
    with torch.no_grad():
        for p, v in ((lin.weight, w), (lin.bias, b), (norm.running_mean, rm), (norm.running_var, rv),
                     (norm.weight, gamma), (norm.bias, beta)):
            p.copy_(torch.from_numpy(v))
        x = torch.from_numpy(np.random.default_rng(12).normal(size=(16, 6)))
        expected_out = norm(lin(x)).numpy()
    scale = gamma / np.sqrt(rv + eps)
    expected = {"new_weight": scale[:, None] * w, "new_bias": scale * (b - rm) + beta}
    mutants = {"new_weight": [(w, "the weight must change too: multiply each row by gamma / sqrt(var + eps)"),
                              (w / np.sqrt(rv + eps)[:, None], "the weight scale forgot gamma"),
                              (gamma[:, None] * w / (rv + eps)[:, None], "divide by the std sqrt(var + eps), not the "
                                                                         "variance"),
                              (gamma[:, None] * w / np.sqrt(rv)[:, None], "eps belongs inside the square root: "
                                                                          "sqrt(running_var + eps)")],
               "new_bias": [(scale * b + beta, "the bias forgot the running mean: b' = scale * (b - mean) + beta"),
                            (b - rm + beta, "the bias forgot the scale: b' = scale * (b - mean) + beta"),
                            (scale * (b - rm), "the bias forgot beta: b' = scale * (b - mean) + beta"),
                            (b, "the bias must change too: b' = scale * (b - mean) + beta"),
                            (scale * (b + rm) + beta, "subtract the running mean: b' = scale * (b - mean) + beta"),
                            (-scale * rm + beta, "keep the Linear layer's own bias b: b' = scale * (b - mean) + "
                                                 "beta")]}
    problems = []
    for what, mine in zip(("new_weight", "new_bias"), res):
        a = _as_array(mine)
        ref = expected[what]
        if a is None:
            problems.append(f"{what} should be an array of numbers, got {type(mine).__name__}")
        elif a.shape != ref.shape:
            problems.append(f"{what} has shape {a.shape}, expected {ref.shape}")
        elif not np.allclose(a, ref, rtol=1e-7, atol=1e-9):
            problems.append(_first_mistake(a, mutants[what]) or
                            f"{what} is off by up to {float(np.max(np.abs(a - ref))):.3g}")
    if problems:
        return feedback(False, "; ".join(dict.fromkeys(problems)))
    folded = x.numpy() @ _as_array(res[0]).T + _as_array(res[1])
    return feedback(bool(np.allclose(folded, expected_out, atol=1e-9)), "the folded layer does not reproduce "
                    "Linear + BatchNorm1d in eval mode", "Correct! The folded layer gives the same outputs as Linear "
                    "followed by BatchNorm1d in eval mode.")


# ----------------------------------------------------------------------------------------------------------------
# Predictions (utils.predictions): each answer comes from the helper the notebook calls next, with its arguments
# ----------------------------------------------------------------------------------------------------------------

TRAIN_MODE_SPREAD = Prediction(
    question="The trained network is left in train mode. One validation image is put into 20 random batches of 16. "
             "By how much does one of its logits change, at most, from batch to batch? (In eval mode: 0.)",
    answer=_train_mode_spread,
    why=lambda a: f"In train mode BN normalises with the mean and variance of the current batch, so the other 15 "
                  f"images change this image's logits: here by up to {a:.2f}. In eval mode BN uses the running "
                  f"averages, and the logits do not change at all.",
    tolerance=3.0)

BATCH_OF_ONE = Prediction(
    question="The trained network is left in train mode and gets a batch of ONE image. What happens?",
    options=SINGLE_EXAMPLE_OUTCOMES,
    answer=lambda: single_example_in_train_mode()[0],
    why="A batch of one has variance 0, so every normalised value would be 0 and every output would be beta, "
        "whatever the image. PyTorch's BatchNorm1d refuses: it raises a ValueError ('Expected more than 1 value per "
        "channel when training').")

FROZEN_BETA_ACTIVE = Prediction(
    question="A BN network is trained with beta frozen at 0, so each ReLU gets gamma * x̂. On the validation set, "
             "what fraction of the first hidden layer's ReLUs is active (output > 0)?",
    answer=lambda: relu_activity_experiment()["beta frozen at 0"]["active"][0],
    why=lambda a: f"{a:.2f}: x̂ has mean 0 over the batch, so about half of the values are positive; a little less "
                  f"here, because these inputs are skewed and their median lies below their mean.",
    tolerance=1.25)


def _worst_init_scale():
    sweep = init_scale_sweep()
    return float(sweep["x"][int(np.argmax(np.mean(sweep["with BN"], axis=0)))])


INIT_SCALE_WORST = Prediction(
    question="With BN, the weights start at s times the He scale. After 80 steps, which s has the highest training "
             "loss (mean over 3 seeds)?",
    options=(0.1, 0.3, 1.0, 3.0, 10.0),
    answer=_worst_init_scale,
    why=lambda a: f"s = {a:g}. BN removes the scale from each layer's output, but not from its gradient: the "
                  f"gradient of a scale-invariant layer shrinks like 1/|W|, so large weights take smaller effective "
                  f"steps and train slowest.")


def _small_batch_loser():
    r = small_batch_experiment()
    loss = {k: float(np.mean(r[k][:, -1] - r[k][:, 0])) for k in ("BatchNorm", "GroupNorm")}
    if abs(loss["BatchNorm"] - loss["GroupNorm"]) < 0.02:
        return "about the same"
    return max(loss, key=loss.get)


SMALL_BATCH_LOSER = Prediction(
    question="The same network is trained with BatchNorm and with GroupNorm at batch size 64 and at batch size 2 "
             "(same steps). Which loses more validation accuracy going from 64 down to 2?",
    options=("BatchNorm", "GroupNorm", "about the same"),
    answer=_small_batch_loser,
    why="With two examples, BN's normalised values are exactly +1 and -1 in training, whatever the inputs; and the "
        "running statistics it uses in eval mode come from such noisy pairs. GroupNorm never looks across the batch.")


# ----------------------------------------------------------------------------------------------------------------
# Plots (each returns a matplotlib Figure; none of them trains)
# ----------------------------------------------------------------------------------------------------------------

_GB_EDGES = np.linspace(-AXIS_EDGE, AXIS_EDGE, 81)


def _freeze_layout(fig):
    """Lay the new figure out once and keep that layout: redraws then skip the constrained-layout solver (a large
    part of a redraw).  Only data and texts change on a redraw, and titles stay centred."""
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig


def plot_gamma_beta(gamma=1.0, beta=0.0, fig=None):
    """Where y = gamma * xhat + beta lands on a sigmoid, for xhat ~ N(0, 1) (4000 samples).

    gamma, beta: finite, |value| <= 100.  The histogram of y is scaled so that its tallest bar has height 1 (so it is
    never cut off); values beyond ±8 are counted at the edges, not piled into the last bar.  The title reports the
    shares in the near-linear middle and on the flat (saturated) parts, and the mean slope.
    """
    from utils.plotstyle import BLUE, ORANGE, VERMILION, new_figure

    gamma = validation.finite_number("gamma", gamma, low=-100, high=100)
    beta = validation.finite_number("beta", beta, low=-100, high=100)
    y = gamma * _standard_sample() + beta
    shares = _sigmoid_shares(y)
    counts, _ = np.histogram(y, bins=_GB_EDGES)
    heights = counts / max(counts.max(), 1)
    title = (f"γ={gamma:.1f}, β={beta:.1f}: {100 * shares['linear']:.0f}% near-linear, "
             f"{100 * shares['saturated']:.0f}% saturated; mean slope {100 * shares['slope']:.0f}% of the max")
    left = f"← {100 * shares['below_axis']:.0f}%" if shares["below_axis"] else ""
    right = f"{100 * shares['above_axis']:.0f}% →" if shares["above_axis"] else ""
    if fig is None:
        fig, ax = new_figure(figsize=(8.5, 4.4))
        z = np.linspace(-AXIS_EDGE, AXIS_EDGE, 400)
        ax.axvspan(-LINEAR_EDGE, LINEAR_EDGE, color="0.85", zorder=0, label="near-linear (|y| < 1)")
        for lo, hi in ((-AXIS_EDGE, -SATURATION_EDGE), (SATURATION_EDGE, AXIS_EDGE)):
            ax.axvspan(lo, hi, color=VERMILION, alpha=0.12, zorder=0,
                       label="saturated (slope < 10% of max)" if lo < 0 else None)
        ax.stairs(heights, _GB_EDGES, fill=True, color=BLUE, alpha=0.8, label="histogram of y (tallest bar = 1)")
        ax.plot(z, 1 / (1 + np.exp(-z)), color=ORANGE, label="sigmoid(y)")
        ax.set(xlabel="sigmoid input y = γ·x̂ + β", ylabel="sigmoid(y);  relative count", xlim=(-AXIS_EDGE, AXIS_EDGE),
               ylim=(0, 1.12))
        ax.set_xticks([-8, -4, 0, 4, 8])          # few ticks: tick labels are a large part of a redraw
        ax.set_yticks([0, 0.5, 1])
        ax.text(-AXIS_EDGE + 0.1, 1.05, left, ha="left", va="center", fontsize=11, color=BLUE)
        ax.text(AXIS_EDGE - 0.1, 1.05, right, ha="right", va="center", fontsize=11, color=BLUE)
        fig.legend(loc="outside lower center", ncol=2, fontsize=10)
        ax.set_title(title, fontsize=12)
        return _freeze_layout(fig)
    else:
        ax = fig.axes[0]
        ax.patches[-1].set_data(heights, _GB_EDGES)
        ax.texts[0].set_text(left)
        ax.texts[1].set_text(right)
    ax.set_title(title, fontsize=12)
    return fig


def _cube_block(ax, c0, c1, n0, n1, hw, depth_vec, **style):
    """Fill the three visible faces of the block [c0, c1] x [0, hw] x [n0, n1] of the (C, H·W, N) cube."""
    from matplotlib.patches import Polygon

    dx, dy = depth_vec

    def p(c, h, n):
        return (c + n * dx, h + n * dy)

    faces = [[p(c0, 0, n0), p(c1, 0, n0), p(c1, hw, n0), p(c0, hw, n0)],          # front
             [p(c0, hw, n0), p(c1, hw, n0), p(c1, hw, n1), p(c0, hw, n1)],        # top
             [p(c1, 0, n0), p(c1, 0, n1), p(c1, hw, n1), p(c1, hw, n0)]]          # right side
    for face in faces:
        ax.add_patch(Polygon(face, closed=True, **style))


NORM_KINDS = {"batch": "Batch norm: one channel,\nall examples and positions",
              "layer": "Layer norm: one example,\nall channels and positions",
              "instance": "Instance norm: one example,\none channel",
              "group": "Group norm: one example,\none group of channels"}


def plot_stat_sharing(kinds=("batch", "layer", "instance", "group"), n=4, c=6, hw=5, groups=3):
    """The N x C x (H·W) cube of activations with the elements that share one mean and variance shaded.

    kinds: 1 to 4 of "batch", "layer", "instance", "group" (one cube each; four are drawn 2 x 2).
    n, c, hw: the cube's size (2..8 each); groups must divide c.
    """
    from utils.plotstyle import BLUE, new_figure

    if isinstance(kinds, str) or not hasattr(kinds, "__iter__"):
        raise TypeError(f"kinds must be a tuple of names from {tuple(NORM_KINDS)}, got {kinds!r}")
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in NORM_KINDS]
    if not kinds or bad or len(kinds) > 4:
        raise ValueError(f"kinds must be 1 to 4 names from {tuple(NORM_KINDS)}, got {kinds}")
    n, c, hw = (validation.size(name, v, low=2, high=8) for name, v in (("n", n), ("c", c), ("hw", hw)))
    groups = validation.size("groups", groups, high=c)
    if c % groups:
        raise ValueError(f"groups={groups} must divide c={c}")
    cols = 1 if len(kinds) == 1 else 2
    rows = math.ceil(len(kinds) / cols)
    fig, axes = new_figure(rows, cols, figsize=(5.2, 4.3) if cols == 1 else (8.8, 3.9 * rows))
    axes = np.atleast_1d(axes).ravel()
    depth = (0.55, 0.45)
    size = c // groups
    blocks = {"batch": (1, 2, 0, n), "layer": (0, c, 0, 1), "instance": (1, 2, 0, 1), "group": (size, 2 * size, 0, 1)}
    for ax, kind in zip(axes, kinds):
        c0, c1, n0, n1 = blocks[kind]
        for k in range(n, -1, -1):  # faint grid of example slices, back to front
            _cube_block(ax, 0, c, k, k, hw, depth, fill=False, edgecolor="0.75", linewidth=0.6)
        for j in range(c + 1):
            ax.plot([j, j + n * depth[0]], [hw, hw + n * depth[1]], color="0.75", lw=0.6)
        _cube_block(ax, c0, c1, n0, n1, hw, depth, facecolor=BLUE, edgecolor="black", alpha=0.75, linewidth=1)
        _cube_block(ax, 0, c, 0, n, hw, depth, fill=False, edgecolor="black", linewidth=1.2)
        # labels sit outside the cube: below the front face, left of it, and beyond the right side face
        ax.text(c / 2, -0.5, "C (channels) →", ha="center", va="top", fontsize=12)
        ax.text(-0.4, hw / 2, "H·W (positions) →", ha="right", va="center", rotation=90, fontsize=12)
        ax.text(c + n * depth[0] / 2 + 0.45, n * depth[1] / 2 - 0.25, "N (batch) →", ha="left", va="top",
                rotation=math.degrees(math.atan2(depth[1], depth[0])), rotation_mode="anchor", fontsize=12)
        ax.set_title(NORM_KINDS[kind], fontsize=12)
        ax.set(xlim=(-1.6, c + n * depth[0] + 2.6), ylim=(-1.3, hw + n * depth[1] + 0.3), aspect="equal")
        ax.axis("off")
    for ax in axes[len(kinds):]:
        ax.axis("off")
    return fig


def plot_momentum_tracking(momentum=0.1, fig=None):
    """How fast running_mean follows a jump in the batch mean, for PyTorch's `momentum` (in [0, 1]; Keras:
    1 - momentum)."""
    from utils.plotstyle import BLUE, GREEN, new_figure

    true, batch, running = momentum_tracking(momentum)
    title = (f"momentum={momentum:.3g} (Keras {1 - momentum:.3g}): "
             + (f"90% of the jump after {steps_to_track(momentum)} steps" if momentum > 0 else "never moves"))
    if fig is None:
        fig, ax = new_figure(figsize=(8, 3.8))
        steps = np.arange(1, len(true) + 1)
        ax.plot(steps, batch, ".", color="0.6", label="batch mean μ_B")
        ax.plot(steps, true, "--", color=GREEN, label="true mean")
        ax.plot(steps, running, color=BLUE, label="running_mean")
        ax.set(xlabel="training step", ylabel="mean of the feature", ylim=(-1, 3.2))
        ax.legend(loc="upper left", ncol=3)
        ax.set_title(title, fontsize=12)
        return _freeze_layout(fig)
    else:
        ax = fig.axes[0]
        ax.lines[2].set_ydata(running)
    ax.set_title(title, fontsize=12)
    return fig


def plot_eps_effect(eps=1e-5, fig=None):
    """Std of BN's output x̂ against the std of a feature: sqrt(var / (var + eps)), with dots from batchnorm_forward.

    eps: in (0, 10].  Features whose variance is well below eps are NOT scaled up to unit spread.
    """
    from matplotlib.ticker import NullLocator

    from utils.plotstyle import BLUE, ORANGE, new_figure

    eps = _eps(eps)
    stds = np.logspace(-5, 1, 200)
    curve = stds / np.sqrt(stds ** 2 + eps)
    dot_stds = np.logspace(-5, 1, 7)
    z = np.random.default_rng(0).standard_normal((256, 1))
    z = (z - z.mean()) / z.std()
    dots = [_batchnorm_forward(s * z, np.ones(1), np.zeros(1), "train", None, None, 0.1, eps)[0].std()
            for s in dot_stds]
    title = f"eps={eps:.0e}: features with std below √eps = {math.sqrt(eps):.1e} stay small"
    if fig is None:
        fig, ax = new_figure(figsize=(7.5, 4.2))
        ax.semilogx(stds, curve, color=BLUE, label="σ / √(σ² + eps)")
        ax.semilogx(dot_stds, dots, "o", color=ORANGE, label="batchnorm_forward")
        ax.axvline(math.sqrt(eps), color="0.5", ls=":", label="σ = √eps")
        # plain tick labels and no minor ticks: mathtext labels on a log axis triple the redraw time
        ax.set_xticks(np.logspace(-5, 1, 7), [f"1e{k}" for k in range(-5, 2)])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set(xlabel="std σ of the feature in the batch", ylabel="std of x̂", ylim=(-0.05, 1.1))
        fig.legend(loc="outside lower center", ncol=3)   # below the axes: it never covers the curve
        ax.set_title(title, fontsize=12)
        return _freeze_layout(fig)
    else:
        ax = fig.axes[0]
        ax.lines[0].set_ydata(curve)
        ax.lines[1].set_ydata(dots)
        ax.lines[2].set_xdata([math.sqrt(eps)] * 2)
    ax.set_title(title, fontsize=12)
    return fig


def plot_sigmoid_mlp(results):
    """Two panels from `sigmoid_mlp_experiment`: validation accuracy, and the 15/50/85th percentiles of one sigmoid
    input over training, with and without BN.  Titles state the accuracy at step 100 and the spreads measured."""
    from utils.plotstyle import BLUE, ORANGE, new_figure

    summary = sigmoid_summary(results)
    fig, (a1, a2) = new_figure(1, 2, figsize=(9.6, 4.2))
    for (name, r), color in zip(results.items(), (ORANGE, BLUE)):
        a1.plot(r["step"], r["val_acc"], color=color, label=name)
        a2.fill_between(r["step"], r["pct"][:, 0], r["pct"][:, 2], color=color, alpha=0.3)
        a2.plot(r["step"], r["pct"][:, 1], color=color)
    first = next(iter(results.values()))
    i = min(int(np.searchsorted(first["step"], 100)), len(first["step"]) - 1)
    at = {name: r["val_acc"][i] for name, r in results.items()}
    a1.set(xlabel="training step", ylabel="validation accuracy", ylim=(0, 1),
           title=f"Step {first['step'][i]}: " + ", ".join(f"{k} {v:.2f}" for k, v in at.items()))
    spreads = {k: v["spread_median"] for k, v in summary.items()}
    a2.set(xlabel="training step", ylabel="one sigmoid's input (median, 15–85%)",
           title="Spread: " + ", ".join(f"{k} {v:.2f}" for k, v in spreads.items()))
    fig.legend(loc="outside lower center", ncol=2, fontsize=10)
    for ax in (a1, a2):
        ax.title.set_fontsize(12)
    return fig


SHORT_NAMES = {"without BN, default init": "no BN (default)", "without BN, He init": "no BN (He)",
               "without BN": "no BN", "with BN": "BN"}


def plot_sweep(sweep, threshold=0.5):
    """Final training loss against a swept setting (log axis), one thin line per seed and variant.

    Diverged runs (loss above 10, or NaN) are drawn as × in a separate band labelled "diverged" above the axis's
    values, so that they do not read as a loss.  The title lists where every seed ends below `threshold`.
    """
    from utils.plotstyle import BLUE, GREEN, ORANGE, new_figure

    _check_sweep(sweep)
    threshold = validation.finite_number("threshold", threshold, low=0, low_open=True)
    fig, ax = new_figure(figsize=(8.5, 4.6))
    x = sweep["x"]
    finite = np.concatenate([sweep[k][np.isfinite(sweep[k])] for k in sweep["names"]])
    top = max(finite.max() if finite.size else 1.0, CHANCE_LOSS) * 1.08
    band = top * 1.12
    colours = dict(zip(sweep["names"], (ORANGE, GREEN, BLUE) if len(sweep["names"]) == 3 else (ORANGE, BLUE)))
    for k, name in enumerate(sweep["names"]):
        shift = 1 + 0.07 * (k - (len(sweep["names"]) - 1) / 2)   # side by side where several variants diverge
        for i, row in enumerate(sweep[name]):
            ok = np.isfinite(row)
            ax.semilogx(x[ok], row[ok], "o-", color=colours[name], lw=1.4, ms=4, alpha=0.8,
                        label=SHORT_NAMES.get(name, name) if i == 0 else None)
            if (~ok).any():
                ax.semilogx(x[~ok] * shift, np.full((~ok).sum(), band), "x", color=colours[name], ms=10, mew=2.5)
    ax.axhline(CHANCE_LOSS, color="0.5", ls=":", label="chance (ln 10)")
    ax.axhline(threshold, color="0.3", ls="--", lw=1, label=f"loss {threshold:g}")
    ax.axhline((top + band) / 2 * 0.99, color="0.6", lw=0.8)
    ticks = [t for t in (0, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if t <= top]
    ax.set_yticks(ticks + [band], [f"{t:g}" for t in ticks] + ["diverged"])
    ax.set_xticks(x, [f"{v:g}" for v in x])
    ax.minorticks_off()
    ax.set(xlabel=sweep["setting"], ylabel="final training loss", ylim=(0, band * 1.06))
    where = "; ".join(f"{SHORT_NAMES.get(n, n)}: {_x_text(trains_at(sweep, n, threshold))}" for n in sweep["names"])
    n_seeds = len(sweep[sweep["names"][0]])
    ax.set_title(f"Loss < {threshold:g} in all {n_seeds} seeds at\n{where}", fontsize=12)
    fig.legend(loc="outside right center", fontsize=10)
    return fig


def plot_smoothness(results):
    """From `smoothness_experiment`, against the loss reached (not the step), so that the two networks are compared
    at the same point of training: the relative loss variation along the gradient, and how fast the gradient
    changes per unit distance moved along it (effective beta-smoothness).  Log axes."""
    from matplotlib.ticker import NullLocator

    from utils.plotstyle import BLUE, ORANGE, new_figure

    equal = smoothness_at_equal_loss(results)
    fig, (a1, a2) = new_figure(1, 2, figsize=(9.6, 4.2))
    for (name, r), color in zip(results.items(), (ORANGE, BLUE)):
        a1.loglog(r["probe_loss"], r["loss_range"] / r["probe_loss"], "o", color=color, label=name, ms=6)
        a2.loglog(r["probe_loss"], r["grad_lipschitz"], "o", color=color, label=name, ms=6)
    lo, hi = equal["band"]
    names = [k for k in results]
    a1.set(xlabel="loss on the probe batch", ylabel="(max − min) / loss along −g",
           title="Relative loss variation, median in the grey band:\n"
                 + ", ".join(f"{k} {equal[k]['loss_range']:.2g}" for k in names))
    a2.set(xlabel="loss on the probe batch", ylabel="max ‖∇L(w − ηg) − g‖ / ‖ηg‖",
           title="Gradient change per unit step, median in the band:\n"
                 + ", ".join(f"{k} {equal[k]['grad_lipschitz']:.2g}" for k in names))
    a1.legend(fontsize=10)
    for ax in (a1, a2):
        if hi > lo:
            ax.axvspan(lo, hi, color="0.9", zorder=0)
        ax.invert_xaxis()              # training goes from high loss (left) to low loss (right)
        ax.title.set_fontsize(11)
        for axis in (ax.xaxis, ax.yaxis):  # label 1-2-5 ticks plainly: the default minor labels read "2 × 10⁰"
            axis.set_minor_locator(NullLocator())
        for get, setter in ((ax.get_ylim, ax.set_yticks), (ax.get_xlim, ax.set_xticks)):
            a, b = sorted(get())
            ticks = [t for t in (10.0 ** k * f for k in range(-4, 4) for f in (1, 2, 5)) if a <= t <= b]
            setter(ticks, [f"{t:g}" for t in ticks])
    return fig


def plot_batch_spread(spread):
    """From `batch_mean_spread`: 5–95th percentile bands of μ_B and σ²_B against the batch size."""
    from utils.plotstyle import BLUE, ORANGE, new_figure

    fig, ax = new_figure(figsize=(7.5, 4))
    m = spread["batch_size"]
    for key, color, label, truth in (("mean_q", BLUE, "batch mean μ_B", 0.0), ("var_q", ORANGE, "batch variance σ²_B",
                                                                                1.0)):
        q = spread[key]
        ax.fill_between(m, q[:, 0], q[:, 2], color=color, alpha=0.25)
        ax.semilogx(m, q[:, 1], "o-", color=color, label=f"{label} (median, 5–95th pct)", base=2)
        ax.axhline(truth, color=color, ls=":", lw=1)
    ax.set_xticks(m, [str(v) for v in m])
    ax.minorticks_off()
    w = spread["mean_q"][:, 2] - spread["mean_q"][:, 0]
    ax.set(xlabel="batch size m", ylabel="statistic of a N(0, 1) feature",
           title=f"90% band of μ_B: {w[0]:.2f} wide at m={m[0]}, {w[-1]:.2f} at m={m[-1]}")
    ax.legend(fontsize=10)
    return fig


def small_batch_summary(results):
    """From `small_batch_experiment`: the batch sizes at which GroupNorm beats BatchNorm in every seed, those at
    which BatchNorm beats GroupNorm in every seed, and the largest |BN - GN| difference (over seeds) per size.

    Returns {"gn_wins": [sizes], "bn_wins": [sizes], "max_gap": (B,) array}.
    """
    if not isinstance(results, dict) or not {"batch_size", "BatchNorm", "GroupNorm"} <= set(results):
        raise TypeError("results must be the dict returned by small_batch_experiment")
    diff = results["BatchNorm"] - results["GroupNorm"]
    sizes = [int(b) for b in results["batch_size"]]
    return {"gn_wins": [b for b, d in zip(sizes, diff.T) if np.all(d < 0)],
            "bn_wins": [b for b, d in zip(sizes, diff.T) if np.all(d > 0)],
            "max_gap": np.abs(diff).max(axis=0)}


def plot_small_batch(results):
    """From `small_batch_experiment`: validation accuracy against the training batch size, BN vs GroupNorm, one dot
    per seed and a line through the mean.  The title says where one beats the other in every seed."""
    from utils.plotstyle import BLUE, GREEN, new_figure

    s = small_batch_summary(results)
    fig, ax = new_figure(figsize=(8, 4.4))
    b = results["batch_size"]
    for name, color, shift in (("BatchNorm", BLUE, 0.96), ("GroupNorm", GREEN, 1.04)):
        acc = results[name]
        ax.semilogx(b, acc.mean(0), "-", color=color, label=f"{name} (mean)", base=2)
        for row in acc:
            ax.semilogx(b * shift, row, "o", color=color, ms=5, alpha=0.7, base=2)
    ax.set_xticks(b, [str(v) for v in b])
    ax.minorticks_off()
    n = len(results["BatchNorm"])
    ax.set(xlabel="training batch size", ylabel="validation accuracy", ylim=(0, 1),
           title=f"In all {n} seeds GroupNorm wins at batch size {_x_text(s['gn_wins'])},\n"
                 f"BatchNorm at {_x_text(s['bn_wins'])}")
    ax.title.set_fontsize(12)
    ax.legend(loc="lower right")
    return fig


VIEW_SWEEPS = {
    "plot_gamma_beta": [{"gamma": g, "beta": b} for g in (0.0, 0.1, 1.0, 5.0) for b in (-4.0, 0.0, 4.0)],
    "plot_momentum_tracking": [{"momentum": m} for m in (0.001, 0.01, 0.1, 0.5, 1.0)],
    "plot_eps_effect": [{"eps": e} for e in (1e-8, 1e-5, 1e-3, 0.1, 1.0)],
}

__all__ = [
    "batchnorm_forward", "batchnorm_backward", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
    "layernorm_forward", "layernorm_backward", "groupnorm_forward", "groupnorm_backward", "instancenorm_forward",
    "instancenorm_backward", "fold_batchnorm",
    "rel_error", "numerical_gradient", "gradient_check", "compare_with_torch", "compare_relatives_with_torch",
    "layernorm_per_token", "format_table", "sweep_table",
    "sigmoid_shares", "bias_gradient_through_bn", "torch_to_keras_momentum", "steps_to_track", "running_var_after",
    "momentum_tracking", "batch_mean_spread",
    "trained_bn_net", "batch_dependence", "single_example_in_train_mode", "placement_experiment",
    "relu_activity_experiment", "sigmoid_mlp_experiment", "sigmoid_summary", "lr_sweep", "init_scale_sweep",
    "trains_at", "regularisation_experiment", "smoothness_experiment", "smoothness_at_equal_loss",
    "small_batch_experiment", "small_batch_summary", "recalibration_experiment", "frozen_bn_finetune", "fold_check",
    "check_batchnorm_forward", "check_batchnorm_backward", "check_running_var", "check_fold_batchnorm",
    "plot_gamma_beta", "plot_stat_sharing", "plot_momentum_tracking", "plot_eps_effect", "plot_sigmoid_mlp",
    "plot_sweep", "plot_smoothness", "plot_batch_spread", "plot_small_batch",
    "TRAIN_MODE_SPREAD", "BATCH_OF_ONE", "FROZEN_BETA_ACTIVE", "INIT_SCALE_WORST", "SMALL_BATCH_LOSER",
    "RUNNING_VAR_EXERCISE", "SINGLE_EXAMPLE_OUTCOMES", "NORM_KINDS", "MODES", "CHANCE_LOSS", "VIEW_SWEEPS",
]
