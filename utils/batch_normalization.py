"""Batch normalisation and its relatives from scratch, and the experiments of notebook 04."""

import functools
import math

import numpy as np
import torch
from torch import nn

from utils.device import one_cpu_thread
from utils.exercises import check_close, feedback

MODES = ("train", "eval")


# ----------------------------------------------------------------------------------------------------------------
# Pure computations (NumPy): forward/backward pairs in the style `*_forward(...) -> (out, cache)`,
# `*_backward(dout, cache) -> grads`.
# ----------------------------------------------------------------------------------------------------------------

def _as_float_array(name, value):
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.floating):
        if np.issubdtype(arr.dtype, np.number):
            arr = arr.astype(np.float64)
        else:
            raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    return arr


def _check_ndim(name, x, allowed, layout):
    if x.ndim not in allowed:
        raise ValueError(f"{name} must have {' or '.join(str(a) for a in allowed)} dimensions {layout}, "
                         f"got shape {x.shape} ({x.ndim} dimensions)")


def _check_affine(gamma, beta, shape, what):
    gamma = _as_float_array("gamma", gamma)
    beta = _as_float_array("beta", beta)
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != tuple(shape):
            raise ValueError(f"{name} must have shape {tuple(shape)} ({what}), got {p.shape}")
    return gamma, beta


def _check_eps(eps):
    if not (isinstance(eps, (int, float, np.floating)) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")


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
    running_mean, running_var: (D,) float arrays or None.  momentum: in [0, 1].  eps: > 0, added to the variance.
    Returns out (N, D) and a cache for `batchnorm_backward`.
    """
    x = _as_float_array("x", x)
    _check_ndim("x", x, (2,), "(N, D)")
    gamma, beta = _check_affine(gamma, beta, x.shape[1:], "one per feature D")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    _check_eps(eps)
    if not 0 <= momentum <= 1:
        raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("give both running_mean and running_var, or neither")
    if running_mean is not None:
        for name, r in (("running_mean", running_mean), ("running_var", running_var)):
            if not isinstance(r, np.ndarray) or not np.issubdtype(r.dtype, np.floating):
                raise TypeError(f"{name} must be a float NumPy array (it is updated in place), got {type(r).__name__}")
            if r.shape != x.shape[1:]:
                raise ValueError(f"{name} must have shape {x.shape[1:]}, got {r.shape}")
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
    dout = _as_float_array("dout", dout)
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
    x = _as_float_array("x", x)
    _check_ndim("x", x, (4,), "(N, C, H, W)")
    _check_affine(gamma, beta, x.shape[1:2], "one per channel C")
    if mode == "train" and x.shape[0] * x.shape[2] * x.shape[3] < 2:
        raise ValueError(f"x of shape {x.shape} has one value per channel: its variance is 0.  Use mode='eval' with "
                         f"running statistics, a batch of at least 2, or groupnorm/instancenorm instead")
    out, cache = batchnorm_forward(_channels_last(x), gamma, beta, mode, running_mean, running_var, momentum, eps)
    return _channels_first(out, x.shape), {"bn": cache, "shape": x.shape}


def spatial_batchnorm_backward(dout, cache):
    """dout: (N, C, H, W).  Returns dx (N, C, H, W), dgamma (C,), dbeta (C,)."""
    dout = _as_float_array("dout", dout)
    if dout.shape != cache["shape"]:
        raise ValueError(f"dout must have shape {cache['shape']}, got {dout.shape}")
    dx, dgamma, dbeta = batchnorm_backward(_channels_last(dout), cache["bn"])
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
    x = _as_float_array("x", x)
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (N, features...), got shape {x.shape}")
    gamma, beta = _check_affine(gamma, beta, x.shape[1:], "the shape of one example, as in nn.LayerNorm")
    _check_eps(eps)
    xhat_t, core = _columns_forward(x.reshape(x.shape[0], -1).T, eps)
    xhat = xhat_t.T.reshape(x.shape)
    return gamma * xhat + beta, {"core": core, "xhat": xhat, "gamma": gamma}


def layernorm_backward(dout, cache):
    """dout: like x.  Returns dx (like x), dgamma, dbeta (shape F, summed over the batch)."""
    dout = _as_float_array("dout", dout)
    xhat = cache["xhat"]
    if dout.shape != xhat.shape:
        raise ValueError(f"dout must have shape {xhat.shape}, got {dout.shape}")
    dgamma, dbeta = (dout * xhat).sum(axis=0), dout.sum(axis=0)
    dxhat_t = (dout * cache["gamma"]).reshape(dout.shape[0], -1).T
    dx_t, _, _ = batchnorm_backward(dxhat_t, cache["core"])
    return dx_t.T.reshape(dout.shape), dgamma, dbeta


def groupnorm_forward(x, gamma, beta, groups, eps=1e-5):
    """Group normalisation: each example, each group of C/groups channels, over those channels and all positions.

    x: (N, C, *S), e.g. (N, C) or (N, C, H, W); gamma, beta: (C,); groups must divide C.
    groups=1 normalises like layer norm (with per-channel gamma); groups=C is instance norm.
    The trick: x.reshape(N*groups, -1).T has one column per (example, group).
    Returns out (like x) and a cache for `groupnorm_backward`.
    """
    x = _as_float_array("x", x)
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (N, C, ...), got shape {x.shape}")
    c = x.shape[1]
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    if c % groups:
        raise ValueError(f"groups={groups} does not divide the {c} channels; choose a divisor of {c}, "
                         f"e.g. {[g for g in range(1, c + 1) if c % g == 0]}")
    gamma, beta = _check_affine(gamma, beta, (c,), "one per channel C")
    _check_eps(eps)
    xhat_t, core = _columns_forward(x.reshape(x.shape[0] * groups, -1).T, eps)
    xhat = xhat_t.T.reshape(x.shape)
    per_channel = (1, c) + (1,) * (x.ndim - 2)
    out = gamma.reshape(per_channel) * xhat + beta.reshape(per_channel)
    return out, {"core": core, "xhat": xhat, "gamma": gamma.reshape(per_channel), "groups": groups}


def groupnorm_backward(dout, cache):
    """dout: like x.  Returns dx (like x), dgamma (C,), dbeta (C,)."""
    dout = _as_float_array("dout", dout)
    xhat = cache["xhat"]
    if dout.shape != xhat.shape:
        raise ValueError(f"dout must have shape {xhat.shape}, got {dout.shape}")
    axes = (0,) + tuple(range(2, dout.ndim))
    dgamma, dbeta = (dout * xhat).sum(axis=axes), dout.sum(axis=axes)
    dxhat_t = (dout * cache["gamma"]).reshape(dout.shape[0] * cache["groups"], -1).T
    dx_t, _, _ = batchnorm_backward(dxhat_t, cache["core"])
    return dx_t.T.reshape(dout.shape), dgamma, dbeta


def instancenorm_forward(x, gamma, beta, eps=1e-5):
    """Instance normalisation: each example, each channel, over its H*W positions (group norm with groups=C).

    x: (N, C, H, W); gamma, beta: (C,).  Returns out (N, C, H, W) and a cache for `instancenorm_backward`.
    """
    x = _as_float_array("x", x)
    _check_ndim("x", x, (4,), "(N, C, H, W)")
    return groupnorm_forward(x, gamma, beta, x.shape[1], eps)


def instancenorm_backward(dout, cache):
    """dout: (N, C, H, W).  Returns dx (N, C, H, W), dgamma (C,), dbeta (C,)."""
    return groupnorm_backward(dout, cache)


def rel_error(a, b):
    """Largest elementwise relative error |a - b| / max(|a| + |b|, 1e-12) (CS231n's measure)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


def numerical_gradient(f, x, dout, h=1e-5):
    """Centred-difference gradient of sum(f(x) * dout) with respect to x (float64 recommended).

    f: function of one array returning an array shaped like dout.  Returns an array shaped like x.
    """
    x = np.array(x, dtype=np.float64)
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


def gradient_check(shape=(6, 4), seed=0):
    """Compare `batchnorm_backward` (train mode) with centred differences, in float64.

    Returns {"dx": rel error, "dgamma": ..., "dbeta": ...}.
    """
    g = np.random.default_rng(seed)
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

    Trains for `steps` batches (updating running stats), then does one eval batch.
    Returns {mode: {quantity: largest absolute difference}} for mode "train" and "eval" and quantities
    out, dx, dgamma, dbeta, running_mean, running_var.
    """
    g = np.random.default_rng(seed)
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

    shape: (N, C, H, W).  Returns {name: {"out", "dx", "dgamma", "dbeta"}: largest absolute difference}.
    """
    n, c, h, w = shape
    g = np.random.default_rng(seed)
    x, dout = g.normal(1.0, 2.0, size=shape), g.normal(size=shape)
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


def format_table(rows, columns, row_label="", fmt="{:.2e}"):
    """A plain-text table of {row: {column: number}} (numbers formatted with fmt; strings as they are)."""
    width = max([len(row_label)] + [len(str(r)) for r in rows]) + 2
    lines = [f"{row_label:<{width}}" + "".join(f"{c:>14}" for c in columns)]
    for r, vals in rows.items():
        cells = [vals[c] if isinstance(vals[c], str) else fmt.format(vals[c]) for c in columns]
        lines.append(f"{str(r):<{width}}" + "".join(f"{v:>14}" for v in cells))
    return "\n".join(lines)


@one_cpu_thread()
def bias_gradient_through_bn(n=32, d_in=6, d_out=4, seed=0):
    """Gradient of a loss w.r.t. the bias of a Linear layer followed by BatchNorm1d (train mode).

    Returns (bias gradient (d_out,), weight gradient (d_out, d_in)) as NumPy arrays: the first is zero up to
    rounding, because adding a constant to a feature only moves its batch mean, which BN subtracts.
    """
    g = torch.Generator().manual_seed(seed)
    lin, bn = nn.Linear(d_in, d_out), nn.BatchNorm1d(d_out)
    x, target = torch.randn(n, d_in, generator=g), torch.randn(n, d_out, generator=g)
    loss = ((torch.relu(bn(lin(x))) - target) ** 2).mean()
    loss.backward()
    return lin.bias.grad.numpy(), lin.weight.grad.numpy()


def torch_to_keras_momentum(momentum):
    """PyTorch's momentum (weight of the NEW batch) -> Keras/TensorFlow's (weight of the OLD running value)."""
    if not 0 <= momentum <= 1:
        raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
    return 1.0 - momentum


def steps_to_track(momentum, fraction=0.9):
    """Steps before an exponential moving average covers `fraction` of a sudden jump: ceil(log(1-f)/log(1-m))."""
    if not 0 < momentum <= 1:
        raise ValueError(f"momentum must be in (0, 1], got {momentum!r}")
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    return 1 if momentum == 1 else math.ceil(math.log(1 - fraction) / math.log(1 - momentum))


def running_var_after(batch_vars, m, momentum=0.1, start=1.0):
    """running_var after one update per entry of batch_vars (biased batch variances of batches of m values)."""
    r = float(start)
    for v in batch_vars:
        r = (1 - momentum) * r + momentum * v * m / (m - 1)
    return r


def batch_mean_spread(batch_sizes=(2, 4, 8, 16, 32, 64, 128, 256), draws=2000, seed=0):
    """How much a batch's mean and variance wander: batches of a feature with mean 0 and variance 1.

    Returns {"batch_size": (B,), "mean_q": (B, 3) 5/50/95th percentiles of mu_B, "var_q": (B, 3) of var_B}.
    """
    g = np.random.default_rng(seed)
    mean_q, var_q = [], []
    for m in batch_sizes:
        if m < 2:
            raise ValueError(f"batch sizes must be >= 2, got {m}")
        x = g.standard_normal((draws, m))
        mean_q.append(np.percentile(x.mean(1), [5, 50, 95]))
        var_q.append(np.percentile(x.var(1), [5, 50, 95]))
    return {"batch_size": np.array(batch_sizes), "mean_q": np.array(mean_q), "var_q": np.array(var_q)}


# ----------------------------------------------------------------------------------------------------------------
# Experiments (PyTorch, seeded, small enough for seconds on a CPU)
# ----------------------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _digits(device, n=None, seed=0):
    """The digits split (cached in memory: every experiment of the notebook reuses it; nobody modifies it)."""
    from utils.data import load_dataset

    return load_dataset("digits", n=n, seed=seed, device=device or "cpu")


def _mlp(sizes, activation, norm=None, bias=True, groups=8, init=None, seed=0):
    """Linear -> [norm] -> activation per hidden layer.  norm: None, "bn", "bn_after" (after the activation),
    "bn_no_beta" (BN with beta frozen at 0), "gn" (GroupNorm with `groups`).
    init: None (PyTorch's default), "he" or "xavier" (normal, zero biases)."""
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


@one_cpu_thread()
def batch_dependence(model, x, index=0, companions=20, batch_size=16, seed=0):
    """How much example `index`'s output depends on the other examples in its batch.

    Puts x[index] into `companions` random batches of `batch_size` drawn from x and runs `model` in its
    CURRENT mode.  Returns the largest spread (max - min over batches) of its output, over output units.
    """
    if batch_size < 2:
        raise ValueError(f"batch_size must be >= 2, got {batch_size}")
    g = torch.Generator().manual_seed(seed)
    outs = []
    with torch.no_grad():
        for _ in range(companions):
            others = torch.randint(len(x), (batch_size - 1,), generator=g).to(x.device)
            outs.append(model(torch.cat([x[index:index + 1], x[others]]))[0])
    outs = torch.stack(outs)
    return float((outs.max(0).values - outs.min(0).values).max())


@one_cpu_thread()
def trained_bn_net(steps=150, seed=0, device=None):
    """A small ReLU MLP with BatchNorm1d trained on digits.  Returns (model on CPU in eval mode, Split, History)."""
    from utils.training import train

    data = _digits(device)
    model = _mlp([64, 64, 64, 10], nn.ReLU, norm="bn", seed=seed)
    hist = train(model, data, steps=steps, lr=0.1, batch_size=64, eval_every=steps, seed=seed, device=device)
    return model.cpu().eval(), data.to("cpu"), hist


@one_cpu_thread()
def placement_experiment(steps=150, seed=0, device=None):
    """BN before vs after the ReLU (and no BN) on digits, same seed and budget.

    Returns {name: History} for "no BN", "BN before ReLU", "BN after ReLU".
    """
    from utils.training import train

    data = _digits(device)
    out = {}
    for name, norm in (("no BN", None), ("BN before ReLU", "bn"), ("BN after ReLU", "bn_after")):
        model = _mlp([64, 64, 64, 64, 10], nn.ReLU, norm=norm, seed=seed)
        out[name] = train(model, data, steps=steps, lr=0.05, batch_size=32, eval_every=50, seed=seed, device=device)
    return out


@one_cpu_thread()
def relu_activity_experiment(steps=150, lr=0.01, seed=0, device=None):
    """Fraction of active (positive) ReLU units in a BN net (Adam) with beta frozen at 0 vs learned.

    Returns {name: {"active": fraction of (example, unit) pairs > 0 on the validation set, per hidden layer (list),
    "val_acc": validation accuracy, "beta_mean": mean learned beta per layer}}.
    """
    from utils.training import train

    data = _digits(device)
    results = {}
    for name, norm in (("beta frozen at 0", "bn_no_beta"), ("beta learned", "bn")):
        model = _mlp([64, 64, 64, 64, 10], nn.ReLU, norm=norm, seed=seed)
        hist = train(model, data, steps=steps, lr=lr, optimizer="adam", batch_size=32, eval_every=steps, seed=seed,
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


@one_cpu_thread()
def sigmoid_mlp_experiment(steps=300, lr=0.5, seed=0, device=None):
    """Ioffe & Szegedy's Figure 1 in miniature: a 3-hidden-layer sigmoid MLP on digits with and without BN.

    Every 20 steps records validation accuracy and the 15th/50th/85th percentiles (over validation examples)
    of the input to one sigmoid of the last hidden layer.
    Returns {name: {"step": (T,), "val_acc": (T,), "pct": (T, 3)}} for "without BN" and "with BN".
    """
    from utils.training import train

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

        hist = train(model, data, steps=steps, lr=lr, batch_size=60, eval_every=20, seed=seed, device=device,
                     on_eval=monitor)
        results[name] = {"step": np.array(hist.step), "val_acc": np.array(hist.val_acc), "pct": np.array(pct)}
    return results


def _final_loss(hist, cap):
    """Mean training loss of the last evaluation window, with divergence (NaN, inf, > cap) reported as inf."""
    loss = hist.final("train_loss")
    return loss if np.isfinite(loss) and loss <= cap else math.inf


@one_cpu_thread()
def lr_sweep(lrs=(0.01, 0.1, 0.3, 1.0, 3.0, 10.0), steps=80, seed=0, device=None):
    """Final training loss of a 3-hidden-layer ReLU MLP on digits for each learning rate, with and without BN.

    Returns {"x": lrs, "without BN": (L,), "with BN": (L,)}; diverged runs are inf.
    """
    from utils.training import train

    data = _digits(device)
    out = {"x": np.array(lrs, dtype=float)}
    for name, norm in (("without BN", None), ("with BN", "bn")):
        losses = []
        for lr in lrs:
            model = _mlp([64, 64, 64, 64, 10], nn.ReLU, norm=norm, seed=seed)
            hist = train(model, data, steps=steps, lr=lr, batch_size=64, eval_every=25, seed=seed, device=device)
            losses.append(_final_loss(hist, cap=10.0))
        out[name] = np.array(losses)
    return out


@one_cpu_thread()
def init_scale_sweep(scales=(0.1, 0.3, 1.0, 3.0, 10.0), depth=5, steps=80, lr=0.05, seed=0, device=None):
    """Final training loss of a deep ReLU MLP whose weights are He-initialised times `scale`, with and without BN.

    Returns {"x": scales, "without BN": (S,), "with BN": (S,)}; diverged runs are inf.
    """
    from utils.training import train

    data = _digits(device)
    out = {"x": np.array(scales, dtype=float)}
    for name, norm in (("without BN", None), ("with BN", "bn")):
        losses = []
        for s in scales:
            model = _mlp([64] + [64] * depth + [10], nn.ReLU, norm=norm, seed=seed)
            with torch.no_grad():
                for m in model:
                    if isinstance(m, nn.Linear):
                        m.weight.normal_(0.0, s * math.sqrt(2.0 / m.in_features),
                                         generator=torch.Generator().manual_seed(seed + m.in_features))
                        m.bias.zero_()
            hist = train(model, data, steps=steps, lr=lr, batch_size=64, eval_every=25, seed=seed, device=device)
            losses.append(_final_loss(hist, cap=10.0))
        out[name] = np.array(losses)
    return out


@one_cpu_thread()
def regularisation_experiment(n_train=300, steps=200, seed=0, device=None):
    """Train on a small digits subset with and without BN; compare the train/validation accuracy gap.

    Also measures the noise BN injects: the spread (std) of one example's normalised first-layer feature
    across 200 random batches of 32.  Returns {name: {"train_acc", "val_acc", "gap"}} and the noise std.
    """
    from utils.training import train

    data = _digits(device, n=int(n_train / 0.75), seed=seed)
    res = {}
    for name, norm in (("without BN", None), ("with BN", "bn")):
        model = _mlp([64, 128, 128, 10], nn.ReLU, norm=norm, seed=seed)
        h = train(model, data, steps=steps, lr=0.1, batch_size=32, eval_every=steps, seed=seed, device=device)
        res[name] = {"train_acc": h.final("train_acc"), "val_acc": h.final("val_acc"),
                     "gap": h.final("train_acc") - h.final("val_acc")}
    x = data.x_train.cpu().numpy().astype(np.float64)
    g = np.random.default_rng(seed)
    feature = x[:, 36]
    values = []
    for _ in range(200):
        others = g.choice(len(x), 31, replace=False)
        batch = np.concatenate([feature[:1], feature[others]])
        values.append((batch[0] - batch.mean()) / np.sqrt(batch.var() + 1e-5))
    return res, float(np.std(values))


@one_cpu_thread()
def smoothness_experiment(steps=150, lr=0.1, probe_every=25, seed=0, device=None):
    """Santurkar et al.'s cheap evidence: along training, how much the loss and the gradient change when you step
    along the gradient, with and without BN (4-hidden-layer ReLU MLP on digits, He init, same lr and seed).

    At every `probe_every` steps, on a fixed batch of 256: loss range max - min of L(w - eta * g) for eta in
    [0.25, 2] x lr (loss variation), max ||grad(w - eta * g) - g|| over the same etas (gradient change), and that
    change per unit distance moved, max ||grad(w - eta * g) - g|| / (eta * ||g||) (Santurkar et al.'s "effective
    beta-smoothness": it does not reward a network merely for having smaller gradients).
    Returns {name: {"step", "loss_range", "grad_change", "grad_lipschitz", "grad_norm", "train_loss"}} (arrays).
    """
    data = _digits(device)
    dev = data.x_train.device
    gen = torch.Generator().manual_seed(seed)
    probe = torch.randperm(len(data.x_train), generator=gen)[:256].to(dev)
    xp, yp = data.x_train[probe], data.y_train[probe]
    loss_fn = nn.CrossEntropyLoss()
    etas = lr * np.array([0.25, 0.5, 1.0, 1.5, 2.0])
    out = {}
    for name, norm in (("without BN", None), ("with BN", "bn")):
        model = _mlp([64, 64, 64, 64, 64, 10], nn.ReLU, norm=norm, init="he", seed=seed).to(dev)
        params = list(model.parameters())
        opt = torch.optim.SGD(params, lr=lr)
        g = torch.Generator().manual_seed(seed)
        rec = {k: [] for k in ("step", "loss_range", "grad_change", "grad_lipschitz", "grad_norm", "train_loss")}
        for step in range(steps + 1):
            if step % probe_every == 0:
                model.zero_grad()
                loss_fn(model(xp), yp).backward()
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


@one_cpu_thread()
def small_batch_experiment(batch_sizes=(2, 4, 64), steps=150, lr=0.003, groups=8, seed=0, device=None):
    """Validation accuracy of a ReLU MLP on digits with BatchNorm vs GroupNorm, for each training batch size.

    Adam, same number of steps and learning rate for every batch size.  Returns {"batch_size": (B,), "BatchNorm": (B,),
    "GroupNorm": (B,)} (validation accuracy in eval mode).
    """
    from utils.training import train

    data = _digits(device)
    out = {"batch_size": np.array(batch_sizes)}
    for name, norm in (("BatchNorm", "bn"), ("GroupNorm", "gn")):
        accs = []
        for bs in batch_sizes:
            model = _mlp([64, 64, 64, 10], nn.ReLU, norm=norm, groups=groups, seed=seed)
            h = train(model, data, steps=steps, lr=lr, optimizer="adam", batch_size=bs, eval_every=steps, seed=seed,
                      device=device)
            accs.append(h.final("val_acc"))
        out[name] = np.array(accs)
    return out


# ----------------------------------------------------------------------------------------------------------------
# Exercise checkers
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


def _matches(answer, expected, rtol=1e-6, atol=1e-8):
    """True if answer converts to an array of expected's shape and is close to it (silent, unlike check_close)."""
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == expected.shape and bool(np.allclose(a, expected, rtol=rtol, atol=atol))


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
    try:
        out = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        return feedback(False, f"return an array of shape {expected.shape}, got {type(out).__name__}")
    if out.shape == expected.shape:
        unbiased = gamma * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + 1e-5) + beta
        if np.allclose(out, unbiased, atol=1e-9) and not np.allclose(out, expected, atol=1e-9):
            return feedback(False, "close: you divided by the UNBIASED std (ddof=1); the forward pass uses the "
                                   "biased batch variance, np.var(x, axis=0)")
        if np.allclose(out, x):
            return feedback(False, "your function returns x unchanged; subtract the batch mean of each column, "
                                   "divide by sqrt(var + eps), then apply gamma and beta")
    return check_close(out, expected, rtol=1e-6, atol=1e-8, what="your batch-norm output")


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
    ok = True
    for what, mine, ref in (("dx", res[0], xt.grad), ("dgamma", res[1], gt.grad), ("dbeta", res[2], bt.grad)):
        if not _matches(mine, ref.numpy()):
            ok = check_close(mine, ref.numpy(), rtol=1e-6, atol=1e-8, what=what) and ok  # says what is off
    if not ok:
        return feedback(False, "hint: dxhat = gamma * dout; dx = (N*dxhat - dxhat.sum(0) - xhat*(dxhat*xhat).sum(0)) "
                               "/ (N * sqrt(var + eps))")
    return feedback(True, "", "Correct! All three gradients match PyTorch's autograd.")


RUNNING_VAR_EXERCISE = {"batch_vars": (2.0, 0.5, 1.0), "m": 4, "momentum": 0.1, "start": 1.0}


@one_cpu_thread()
def check_running_var(answer, batch_vars=RUNNING_VAR_EXERCISE["batch_vars"], m=RUNNING_VAR_EXERCISE["m"],
                      momentum=RUNNING_VAR_EXERCISE["momentum"]):
    """Is `answer` the running_var of nn.BatchNorm1d(1, momentum) (starting at 1) after batches of m values
    with these BIASED variances?  The expected value comes from PyTorch itself."""
    if m < 2 or m % 2:
        raise ValueError(f"m must be an even number >= 2, got {m}")
    layer = nn.BatchNorm1d(1, momentum=momentum).double()
    for v in batch_vars:
        a = math.sqrt(v)
        layer(torch.tensor([[a], [-a]] * (m // 2), dtype=torch.float64))  # mean 0, biased variance a**2 = v
    expected = layer.running_var.item()
    try:
        a = float(answer)
    except (TypeError, ValueError):
        return feedback(False, f"answer should be a number, got {answer!r}")
    if np.isclose(a, running_var_after(batch_vars, m=m + 1e12, momentum=momentum)):
        return feedback(False, "close: PyTorch stores the UNBIASED variance, m/(m-1) times the batch's variance")
    if np.isclose(a, running_var_after(batch_vars, m, momentum=1 - momentum)):
        return feedback(False, "you swapped the weights: PyTorch's momentum=0.1 is the weight of the NEW batch")
    return check_close(a, expected, rtol=1e-6, atol=1e-9, what="your running_var")


# ----------------------------------------------------------------------------------------------------------------
# Plots (each returns a matplotlib Figure; none of them trains)
# ----------------------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _standard_sample(n=4000, seed=0):
    return np.random.default_rng(seed).standard_normal(n)


def plot_gamma_beta(gamma=1.0, beta=0.0, fig=None):
    """Where y = gamma * xhat + beta lands on a sigmoid, for xhat ~ N(0, 1) (4000 samples).

    gamma: scale (any real); beta: shift.  Title reports the fraction in the nearly linear middle (|y| < 1).
    """
    from utils.plotstyle import BLUE, ORANGE, draw_hist, hist_counts, new_figure, update_hist

    y = gamma * _standard_sample() + beta
    edges = np.linspace(-8, 8, 81)
    counts, _ = hist_counts(np.clip(y, -8, 8), bins=edges)
    linear, saturated = np.mean(np.abs(y) < 1), np.mean(np.abs(y) > 4)
    title = (f"γ={gamma:.2f}, β={beta:.2f}: {100 * linear:.0f}% in the near-linear middle, "
             f"{100 * saturated:.0f}% saturated")
    if fig is None:
        fig, ax = new_figure(figsize=(8, 4))
        z = np.linspace(-8, 8, 400)
        # the sigmoid's values and the histogram's densities share the range [0, 1], so one axis serves both
        ax.axvspan(-1, 1, color="0.85", zorder=0)
        draw_hist(ax, counts, edges, density=True, color=BLUE, label="density of y = γ·x̂ + β")
        ax.plot(z, 1 / (1 + np.exp(-z)), color=ORANGE, label="sigmoid(y)")
        ax.plot(z, np.clip(0.5 + z / 4, 0, 1), color=ORANGE, ls=":", label="its tangent at 0")
        ax.set(xlabel="sigmoid input y", ylabel="density;  sigmoid(y)", xlim=(-8, 8), ylim=(0, 1.02))
        ax.legend(loc="upper left", fontsize=10)
    else:
        ax = fig.axes[0]
        update_hist(ax.patches[-1] if ax.patches else ax.containers[0], counts, edges, density=True)
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

    kinds: any of "batch", "layer", "instance", "group".  groups must divide c.
    """
    from utils.plotstyle import BLUE, new_figure

    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in NORM_KINDS]
    if not kinds or bad:
        raise ValueError(f"kinds must be a non-empty subset of {tuple(NORM_KINDS)}, got {kinds}")
    if c % groups:
        raise ValueError(f"groups={groups} must divide c={c}")
    fig, axes = new_figure(1, len(kinds), figsize=(3.6 * len(kinds), 3.8))
    axes = np.atleast_1d(axes)
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
        ax.annotate("C (channels) →", (c / 2, -0.6), ha="center", fontsize=11)
        ax.annotate("H·W (positions) →", (-0.6, hw / 2), ha="center", va="center", rotation=90, fontsize=11)
        ax.annotate("N (batch) →", (c + n * depth[0] / 2 + 0.3, n * depth[1] / 2), rotation=39, fontsize=11)
        ax.set_title(NORM_KINDS[kind], fontsize=12)
        ax.set(xlim=(-1.2, c + n * depth[0] + 1.5), ylim=(-1.2, hw + n * depth[1] + 0.5), aspect="equal")
        ax.axis("off")
    return fig


def momentum_tracking(momentum=0.1, steps=150, jump_at=50, jump=2.0, noise=0.3, seed=0):
    """Batch means of a feature whose true mean jumps from 0 to `jump` at step `jump_at`, and PyTorch's running
    mean (starting at 0).  Returns (true mean (T,), batch means (T,), running mean (T,))."""
    if not 0 <= momentum <= 1:
        raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
    true = np.where(np.arange(steps) < jump_at, 0.0, jump)
    batch = true + noise * np.random.default_rng(seed).standard_normal(steps)
    running, r = np.empty(steps), 0.0
    for t, b in enumerate(batch):
        r = (1 - momentum) * r + momentum * b
        running[t] = r
    return true, batch, running


def plot_momentum_tracking(momentum=0.1, fig=None):
    """How fast running_mean follows a jump in the batch mean, for PyTorch's `momentum` (Keras: 1 - momentum)."""
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
    else:
        ax = fig.axes[0]
        ax.lines[2].set_ydata(running)
    ax.set_title(title, fontsize=12)
    return fig


def plot_eps_effect(eps=1e-5, fig=None):
    """Std of BN's output x̂ against the std of a feature: sqrt(var / (var + eps)), with dots from batchnorm_forward.

    eps: > 0.  Features whose variance is well below eps are NOT scaled up to unit spread.
    """
    from matplotlib.ticker import NullLocator

    from utils.plotstyle import BLUE, ORANGE, new_figure

    _check_eps(eps)
    stds = np.logspace(-5, 1, 200)
    curve = stds / np.sqrt(stds ** 2 + eps)
    dot_stds = np.logspace(-5, 1, 7)
    z = np.random.default_rng(0).standard_normal((256, 1))
    z = (z - z.mean()) / z.std()
    dots = [batchnorm_forward(s * z, np.ones(1), np.zeros(1), eps=eps)[0].std() for s in dot_stds]
    title = f"eps={eps:.0e}: features with std below √eps = {math.sqrt(eps):.1e} stay small"
    if fig is None:
        fig, ax = new_figure(figsize=(7.5, 3.8))
        ax.semilogx(stds, curve, color=BLUE, label="σ / √(σ² + eps)")
        ax.semilogx(dot_stds, dots, "o", color=ORANGE, label="batchnorm_forward")
        ax.axvline(math.sqrt(eps), color="0.5", ls=":", label="σ = √eps")
        # plain tick labels and no minor ticks: mathtext labels on a log axis triple the redraw time
        ax.set_xticks(np.logspace(-5, 1, 7), [f"1e{k}" for k in range(-5, 2)])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set(xlabel="std σ of the feature in the batch", ylabel="std of x̂", ylim=(-0.05, 1.1))
        ax.legend(loc="lower right")
    else:
        ax = fig.axes[0]
        ax.lines[0].set_ydata(curve)
        ax.lines[1].set_ydata(dots)
        ax.lines[2].set_xdata([math.sqrt(eps)] * 2)
    ax.set_title(title, fontsize=12)
    return fig


def plot_sigmoid_mlp(results):
    """Two panels from `sigmoid_mlp_experiment`: validation accuracy, and the 15/50/85th percentiles of one sigmoid
    input over training, with and without BN."""
    from utils.plotstyle import BLUE, ORANGE, new_figure

    fig, (a1, a2) = new_figure(1, 2, figsize=(12, 4))
    for (name, r), color in zip(results.items(), (ORANGE, BLUE)):
        a1.plot(r["step"], r["val_acc"], color=color, label=name)
        a2.fill_between(r["step"], r["pct"][:, 0], r["pct"][:, 2], color=color, alpha=0.25)
        a2.plot(r["step"], r["pct"][:, 1], color=color, label=f"{name}: median, 15–85th pct")
    a1.set(xlabel="training step", ylabel="validation accuracy", ylim=(0, 1), title="BN learns faster")
    a1.legend(loc="center right")
    a2.set(xlabel="training step", ylabel="input to one sigmoid", title="Without BN the input drifts")
    a2.legend(loc="best", fontsize=10)
    return fig


def plot_sweep(sweep, xlabel, title):
    """Final training loss against a swept setting (log axis) with and without BN; diverged runs drawn as ×."""
    from utils.plotstyle import BLUE, ORANGE, new_figure

    fig, ax = new_figure(figsize=(7, 4))
    x = sweep["x"]
    finite = np.concatenate([v[np.isfinite(v)] for k, v in sweep.items() if k != "x"])
    top = 1.15 * max(finite.max() if finite.size else 1.0, math.log(10))
    for name, color in (("without BN", ORANGE), ("with BN", BLUE)):
        y = sweep[name]
        ok = np.isfinite(y)
        ax.semilogx(x[ok], y[ok], "o-", color=color, label=name)
        if (~ok).any():
            ax.semilogx(x[~ok], np.full((~ok).sum(), top), "x", color=color, ms=12, mew=3, label=f"{name}: diverged")
    ax.axhline(math.log(10), color="0.5", ls=":", label="chance (ln 10)")
    ax.set(xlabel=xlabel, ylabel="final training loss", ylim=(0, top * 1.05), title=title)
    ax.legend(fontsize=10)
    return fig


def plot_smoothness(results):
    """From `smoothness_experiment`: loss variation along the gradient, and how fast the gradient changes per unit
    distance moved along it (effective beta-smoothness), over training (log y)."""
    from matplotlib.ticker import NullLocator

    from utils.plotstyle import BLUE, ORANGE, new_figure

    fig, (a1, a2) = new_figure(1, 2, figsize=(12, 4))
    for (name, r), color in zip(results.items(), (ORANGE, BLUE)):
        a1.semilogy(r["step"], r["loss_range"], "o-", color=color, label=name)
        a2.semilogy(r["step"], r["grad_lipschitz"], "o-", color=color, label=name)
    a1.set(xlabel="training step", ylabel="max − min of loss along −g",
           title="With BN the loss varies less along the gradient")
    a2.set(xlabel="training step", ylabel="max ‖∇L(w − ηg) − g‖ / ‖ηg‖",
           title="…and its gradient changes less per unit step")
    a1.legend()
    for ax in (a1, a2):  # label 1-2-5 ticks plainly: matplotlib's default minor labels read "2 × 10⁰"
        lo, hi = ax.get_ylim()
        ticks = [t for t in (10.0 ** k * f for k in range(-4, 4) for f in (1, 2, 5)) if lo <= t <= hi]
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_ylim(lo, hi)
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
    ax.set(xlabel="batch size m", ylabel="statistic of a N(0, 1) feature",
           title="Small batches give noisy statistics")
    ax.legend(fontsize=10)
    return fig


def plot_small_batch(results):
    """From `small_batch_experiment`: validation accuracy against the training batch size, BN vs GroupNorm."""
    from utils.plotstyle import BLUE, GREEN, new_figure

    fig, ax = new_figure(figsize=(7, 4))
    for name, color in (("BatchNorm", BLUE), ("GroupNorm", GREEN)):
        ax.semilogx(results["batch_size"], results[name], "o-", color=color, label=name, base=2)
    ax.set_xticks(results["batch_size"], [str(b) for b in results["batch_size"]])
    ax.set(xlabel="training batch size", ylabel="validation accuracy", ylim=(0, 1),
           title="Tiny batches hurt BatchNorm far more than GroupNorm")
    ax.legend(loc="lower right")
    return fig


VIEW_SWEEPS = {
    "plot_gamma_beta": [{"gamma": g, "beta": b} for g in (0.0, 1.0, 5.0) for b in (-4.0, 0.0, 4.0)],
    "plot_momentum_tracking": [{"momentum": m} for m in (0.001, 0.01, 0.1, 0.5, 1.0)],
    "plot_eps_effect": [{"eps": e} for e in (1e-8, 1e-5, 1e-3, 1.0)],
}
