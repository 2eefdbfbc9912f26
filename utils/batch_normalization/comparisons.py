"""The from-scratch layers of `maths.py` checked: against centred differences and against PyTorch.

- `rel_error` and `numerical_gradient`: the tools of a gradient check; `gradient_check` applies them to
  `batchnorm_backward`.
- `compare_with_torch`: `batchnorm_forward` / `batchnorm_backward` beside torch.nn.BatchNorm1d, train and eval mode,
  running statistics included; `compare_relatives_with_torch`: spatial batch, layer, instance and group norm beside
  their torch.nn modules; `layernorm_per_token`: LayerNorm as a transformer applies it.
- `format_table`: the plain-text tables the notebook prints.
"""

import numpy as np
import torch
from torch import nn

from utils import validation
from utils.device import one_cpu_thread

from ._checks import _momentum, _shape2
from .maths import (
    batchnorm_backward,
    batchnorm_forward,
    groupnorm_backward,
    groupnorm_forward,
    instancenorm_backward,
    instancenorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)


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
    if not rows or not columns:
        raise ValueError(f"rows and columns must not be empty: got {len(rows)} rows and {len(columns)} columns")
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
