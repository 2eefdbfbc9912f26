"""Batch normalisation and its relatives from scratch: the maths of notebook 04, the file to read.

Every layer is a pair in CS231n's style, `*_forward(x, ...) -> (out, cache)` and `*_backward(dout, cache) -> grads`,
in NumPy.  Read it in this order:
1. `batchnorm_forward` and `batchnorm_backward`: batch norm of a fully connected layer, each feature normalised over
   the batch (`_normalise_columns` is the core; `_batchnorm_forward` / `_batchnorm_backward` are the same without
   the input checks, and the relatives below reuse them).
2. `spatial_batchnorm_forward` / `_backward`: the convolutional version, one mean and variance per channel, by
   reshaping (N, C, H, W) to (N*H*W, C).
3. The relatives, each written with batch norm's core on a transposed reshape: `layernorm_forward` / `_backward`,
   `groupnorm_forward` / `_backward`, `instancenorm_forward` / `_backward`.
4. `fold_batchnorm`: an eval-mode BN folded into the Linear layer before it.
5. Small computations the notebook quotes: where gamma * xhat + beta lands on a sigmoid (`sigmoid_shares`, with
   LINEAR_EDGE, SATURATION_EDGE, AXIS_EDGE), the vanishing bias gradient before BN (`bias_gradient_through_bn`),
   the running statistics' momentum (`torch_to_keras_momentum`, `steps_to_track`, `running_var_after`,
   `momentum_tracking`) and how much a batch's statistics wander (`batch_mean_spread`).

These functions are checked against numerical gradients and PyTorch in `comparisons.py`; the input checks they call
(`_float_array`, `_affine`, ...) are in `_checks.py`.
"""

import math

import numpy as np
import torch
from torch import nn

from utils import validation
from utils.caching import cached
from utils.device import one_cpu_thread

from ._checks import _affine, _check_cache, _eps, _float_array, _momentum, _values

MODES = ("train", "eval")


# ----------------------------------------------------------------------------------------------------------------
# The layers (NumPy): forward/backward pairs in the style `*_forward(...) -> (out, cache)`,
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


# ----------------------------------------------------------------------------------------------------------------
# Small computations
# ----------------------------------------------------------------------------------------------------------------

LINEAR_EDGE = 1.0                                   # |y| < 1: the sigmoid stays within 0.02 of its tangent at 0
SATURATION_EDGE = 2 * math.acosh(math.sqrt(10.0))   # |y| > 3.64: the sigmoid's slope is below 10 % of its maximum
AXIS_EDGE = 8.0                                     # the γ/β view shows y in [-8, 8]


@cached(maxsize=1)
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
