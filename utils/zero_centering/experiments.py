"""The experiments of notebook 02: each returns data (rows, arrays, runs) for the notebook to print or plot.

In the notebook's order: the sign statistics of a layer fed by sigmoid or tanh outputs (section 1), the toy problem's
gradient-descent runs and conditioning per offset (sections 2-3), the preprocessing comparisons and the
normalisation-leak experiment on digits (section 4), and the sigmoid / σ(x) − ½ / tanh training runs (section 5).
The slow ones are cached with `utils.caching.cached` (each call gets a copy of its own); the maths they use is in
`maths.py`.
"""

import math

import numpy as np
import torch
from torch import nn

from utils import validation
from utils.caching import cached
from utils.device import one_cpu_thread

from ._checks import _MAX_ROWS, _as_matrix, _as_vector, _lr_scale, _offset, _offsets, _seed
from .maths import (
    ACTIVATIONS,
    METHODS,
    TOY_N,
    W_STAR,
    W_START,
    _ones_alignment,
    _random_direction_alignment,
    _regression_steps,
    _same_sign_rows,
    _second_moment,
    _steps_to_converge,
    batch_orthant_fraction,
    fit_preprocessor,
    gd_path,
    preprocess,
    toy_inputs,
    transform,
)

_MAX_TRAIN_STEPS = 3000   # the most SGD steps of a network experiment (a few seconds)


def _seeded_init(seed, build):
    """build() with torch's global generator seeded, without changing the global generator for the caller."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def _layer_sign_stats(activation="sigmoid", batch_size=1, n_trials=50, d_in=16, width=32, n_out=10,
                      seed=0, device="cpu"):
    """Feed a layer with sigmoid or tanh outputs and inspect the weight gradient of the NEXT layer.

    Net: x (batch, d_in) ~ N(0, 1) -> Linear(d_in, width) -> activation -> Linear(width, n_out),
    cross-entropy on random labels.  For each of n_trials random batches, look at the gradient of the
    second Linear's weight (n_out, width): row j holds the gradients of neuron j's incoming weights.
    Returns dict(same_sign = fraction of rows whose entries share one sign, alignment = mean |cos| of
    the rows with the all-ones direction).
    """
    g = torch.Generator().manual_seed(seed)
    first, second = _seeded_init(seed, lambda: (nn.Linear(d_in, width), nn.Linear(width, n_out)))
    first, second = first.to(device), second.to(device)
    act = ACTIVATIONS[activation]()
    same, align = [], []
    with one_cpu_thread():
        for _ in range(n_trials):
            x = torch.randn(batch_size, d_in, generator=g).to(device)
            y = torch.randint(n_out, (batch_size,), generator=g).to(device)
            second.zero_grad()
            nn.functional.cross_entropy(second(act(first(x))), y).backward()
            grad = second.weight.grad.detach().cpu()
            same.append(_same_sign_rows(grad).mean())
            align.append(_ones_alignment(grad).mean())
    return {"same_sign": float(np.mean(same)), "alignment": float(np.mean(align))}


def _batch_sizes(batch_sizes, high=1024):
    if isinstance(batch_sizes, (str, bytes)) or not hasattr(batch_sizes, "__iter__"):
        raise TypeError(f"batch_sizes must be a list of whole numbers, got {batch_sizes!r}")
    out = tuple(validation.integer("batch_sizes", b, low=1, high=high) for b in batch_sizes)
    if not out or len(out) > 20:
        raise ValueError(f"batch_sizes must hold 1 to 20 sizes, got {len(out)}")
    return out


@cached(maxsize=8)
def _sign_stats_table(batch_sizes, seed, device):
    return [{"activation": a, "batch_size": b, **_layer_sign_stats(a, b, seed=seed, device=device)}
            for a in ("sigmoid", "tanh") for b in batch_sizes]


def sign_stats_table(batch_sizes=(1, 8, 64), seed=0, device=None):
    """For a layer fed by sigmoid or by tanh outputs, at each batch size: the fraction of the next layer's gradient
    rows that are one-signed and their mean |cos| with the all-ones direction (50 random batches each).

    Returns a list of dict rows (activation, batch_size, same_sign, alignment); also the random-direction baseline
    is `random_alignment` in each row (mean |cos| of Gaussian directions in 32 dimensions).
    """
    batch_sizes = _batch_sizes(batch_sizes)
    seed, device = _seed(seed), validation.device_value("device", device)
    rows = _sign_stats_table(batch_sizes, seed, str(device))
    baseline = _random_direction_alignment(32, seed=seed)
    return [{**r, "random_alignment": baseline} for r in rows]


@cached(maxsize=64)
def _toy_problem(offset, seed=0):
    """Raw and centred toy data plus their curvature facts (cached: the zig-zag view revisits offsets)."""
    x, y = toy_inputs(offset, seed=seed)
    xc, yc = x - x.mean(0), y - y.mean()
    out = {}
    for name, (a, b) in (("raw", (x, y)), ("centred", (xc, yc))):
        h = _second_moment(a)
        lam, q = np.linalg.eigh(h)
        out[name] = {"x": a, "y": b, "lam": lam, "q": q, "H": h}
    return out


def zigzag_runs(offset=2.0, lr_scale=1.6, steps=60, seed=0):
    """GD from W_START on the raw and on the centred toy problem, each with lr = lr_scale / (largest curvature).

    lr_scale must lie in (0, 2): 2 / (largest curvature) is the stability limit.
    Returns {"raw": {...}, "centred": {...}}, each with path (steps + 1, 2), lr, lam (2,), cond,
    and converge = steps until within TOL of W_STAR (None if not within 100 000).
    """
    offset, lr_scale, seed = _offset(offset), _lr_scale(lr_scale), _seed(seed)
    steps = validation.size("steps", steps, high=10_000, low=0)
    return _zigzag_runs(offset, lr_scale, steps, seed)


def _zigzag_runs(offset, lr_scale, steps, seed=0):
    runs = {}
    for name, p in _toy_problem(float(offset), seed).items():
        lr = lr_scale / p["lam"][-1]
        runs[name] = {"path": gd_path(p["x"], p["y"], W_START, lr, int(steps)), "lr": lr, "lam": p["lam"],
                      "cond": float(p["lam"][-1] / p["lam"][0]),
                      "converge": _steps_to_converge(p["x"], p["y"], np.array(W_START), lr)}
    return runs


def conditioning_table(offsets=(0.0, 0.5, 1.0, 2.0, 3.0, 4.0), lr_scale=1.6, seed=0):
    """Curvatures, condition number and steps to converge of the raw vs centred toy problem, per offset."""
    offsets, lr_scale, seed = _offsets(offsets), _lr_scale(lr_scale), _seed(seed)
    rows = []
    for m in offsets:
        runs = _zigzag_runs(m, lr_scale, 0, seed)
        rows.append({"offset": float(m),
                     **{f"{k}_{name}": v for name in ("raw", "centred")
                        for k, v in (("lam_min", runs[name]["lam"][0]), ("lam_max", runs[name]["lam"][-1]),
                                     ("cond", runs[name]["cond"]), ("steps", runs[name]["converge"]))}})
    return rows


def offset_factors(offsets=(0.0, 0.25, 0.5, 1.0), lr_scale=1.6, seed=0):
    """Why a small offset can beat centring: per offset and problem (raw, centred), the two per-step factors of GD
    with lr = lr_scale / lam_max, the share of the starting error that lies along the steep axis, and the steps.

    Each row: offset and, for name in (raw, centred): cond_<name>, steep_<name> = |1 - lr_scale| (the factor by which
    the error along the steep axis shrinks per step, the same for both), flat_<name> = |1 - lr_scale / cond|,
    steep_share_<name> = |component of (w_start - w*) along the steep axis| / ||w_start - w*||, steps_<name>.
    """
    offsets, lr_scale, seed = _offsets(offsets), _lr_scale(lr_scale), _seed(seed)
    err = np.array(W_START) - np.array(W_STAR)
    rows = []
    for m in offsets:
        row = {"offset": float(m)}
        for name, p in _toy_problem(float(m), seed).items():
            lam, q = p["lam"], p["q"]
            cond = float(lam[-1] / lam[0])
            row.update({f"cond_{name}": cond, f"steep_{name}": abs(1 - lr_scale),
                        f"flat_{name}": abs(1 - lr_scale / cond),
                        f"steep_share_{name}": float(abs(q[:, -1] @ err) / np.linalg.norm(err)),
                        f"steps_{name}": _steps_to_converge(p["x"], p["y"], np.array(W_START), lr_scale / lam[-1])})
        rows.append(row)
    return rows


def toy_orthant_fractions(offset=2.0, batch_sizes=(1, 4, 16, 64), seed=0):
    """For raw and centred toy inputs: fraction of mini-batch gradients at W_START in the ++ or -- orthant."""
    offset, seed = _offset(offset), _seed(seed)
    batch_sizes = _batch_sizes(batch_sizes, high=TOY_N)
    p = _toy_problem(float(offset), seed)
    return [{"batch_size": b, **{name: batch_orthant_fraction(p[name]["x"], p[name]["y"], W_START, b, seed=seed)
                                 for name in ("raw", "centred")}} for b in batch_sizes]


def make_cloud(n=300, seed=0):
    """A correlated, stretched, off-centre 2-D point cloud and linear-regression targets.

    Returns x (n, 2), y (n,) float64: y = 0.5 x1 - 1.0 x2 + 0.3 + 0.1 * noise.
    """
    n = validation.size("n", n, high=_MAX_ROWS, low=3)
    g = np.random.default_rng(_seed(seed))
    angle = np.deg2rad(35)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    x = (g.standard_normal((n, 2)) * [2.0, 0.4]) @ rot.T + [4.0, 2.0]
    y = x @ np.array([0.5, -1.0]) + 0.3 + 0.1 * g.standard_normal(n)
    return x, y


def preprocessing_table(x, y, lr_scale=1.0, rel_tol=1e-6):
    """Steps of GD on least-squares regression (with a bias, from zero weights, lr = lr_scale / largest curvature)
    after each preprocessing method (fitted on x itself), until the loss gap falls to rel_tol of its start.

    Returns a list of dict rows (method, cond, steps); steps is None when not within 1 000 000.
    """
    x = _as_matrix(x, min_rows=2)
    y = _as_vector(y, len(x), "y")
    lr_scale = _lr_scale(lr_scale)
    rel_tol = validation.finite_number("rel_tol", rel_tol, low=0, high=1, low_open=True, high_open=True)
    rows = []
    for method in METHODS:
        steps, cond = _regression_steps(preprocess(x, method=method), y, lr_scale, rel_tol)
        rows.append({"method": method, "cond": cond, "steps": steps})
    return rows


@cached(maxsize=4)
def _digits_arrays(seed=0):
    """(x_train, y_train, x_val, y_val) of the digits split as float64 / int64 NumPy arrays (cached)."""
    from utils.data import load_dataset

    data = load_dataset("digits", seed=seed)
    return (data.x_train.double().numpy(), data.y_train.numpy(), data.x_val.double().numpy(), data.y_val.numpy())


def digits_train_pixels(seed=0):
    """The training images of `utils.data.load_dataset("digits", seed=seed)` as a (n, 64) float64 array."""
    return _digits_arrays(_seed(seed))[0]


def _train_linear_digits(x_train, y_train, steps, seed):
    model = _seeded_init(seed, lambda: nn.Linear(x_train.shape[1], 10))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    xt, yt = torch.as_tensor(x_train, dtype=torch.float32), torch.as_tensor(y_train)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    return model


LEAK_ROWS = ("training statistics (correct)", "whole validation set, its own statistics",
             "random batches, each its own statistics", "batches of one digit class, each its own statistics")


@cached(maxsize=8)
def _normalisation_leak(steps, batch, seed):
    xtr, ytr, xva, yva = _digits_arrays(seed)
    pre = fit_preprocessor(xtr, "standardize")
    with one_cpu_thread():
        model = _train_linear_digits(transform(pre, xtr), ytr, steps, seed)

    def acc(x, y):
        with torch.no_grad():
            return float((model(torch.as_tensor(x, dtype=torch.float32)).argmax(1).numpy() == y).mean())

    def own_stats(groups):
        xs = np.concatenate([preprocess(xva[i], method="standardize") for i in groups])
        return acc(xs, yva[np.concatenate(groups)])

    order = np.random.default_rng(seed).permutation(len(xva))
    random_batches = [order[i:i + batch] for i in range(0, len(order) - 1, batch) if len(order[i:i + batch]) > 1]
    by_class = [np.flatnonzero(yva == c)[i:i + batch] for c in range(10)
                for i in range(0, int((yva == c).sum()), batch)]
    by_class = [b for b in by_class if len(b) > 1]
    return [(LEAK_ROWS[0], acc(transform(pre, xva), yva)),
            (LEAK_ROWS[1], own_stats([np.arange(len(xva))])),
            (f"random batches of {batch}, each its own statistics", own_stats(random_batches)),
            (LEAK_ROWS[3], own_stats(by_class))]


def normalisation_leak_experiment(steps=150, batch=20, seed=0):
    """Train a linear classifier on standardised digits (training statistics), then test it with the
    validation images standardised in four ways.

    Returns a list of (description, accuracy) rows: training statistics; the validation set's own
    statistics; each random batch of `batch` images with its own statistics; each batch of one digit
    class with its own statistics.
    """
    steps = validation.size("steps", steps, high=_MAX_TRAIN_STEPS)
    batch = validation.size("batch", batch, high=400, low=2)
    return _normalisation_leak(steps, batch, _seed(seed))


@cached(maxsize=128)
def _activation_run(activation, steps, lr, batch_size, seed, device):
    from utils.data import Split
    from utils.training import make_mlp, train

    xtr, ytr, xva, yva = _digits_arrays(seed)
    pre = fit_preprocessor(xtr, "standardize")
    data = Split(torch.tensor(transform(pre, xtr), dtype=torch.float32), torch.as_tensor(ytr),
                 torch.tensor(transform(pre, xva), dtype=torch.float32), torch.as_tensor(yva), "digits", 10)
    model = _seeded_init(seed, lambda: make_mlp([64, 32, 32, 10], activation=ACTIVATIONS[activation]))
    align, same = [], []

    def record(grad):
        align.append(_ones_alignment(grad).mean())
        same.append(_same_sign_rows(grad).mean())

    model[2].weight.register_hook(record)       # the layer fed by the first hidden activations
    with one_cpu_thread(), np.errstate(all="ignore"):
        hist = train(model, data, steps=steps, lr=lr, optimizer="sgd", batch_size=batch_size, eval_every=10,
                     seed=seed, device=device)
    return {"history": hist, "alignment": np.array(align), "same_sign": np.array(same)}


def _final_loss(run):
    """The run's last training loss (mean of its last 10 mini-batch losses); inf when it diverged."""
    loss = float(run["history"].final("train_loss"))
    return loss if math.isfinite(loss) else math.inf


def _activation(activation):
    return validation.one_of("activation", activation, tuple(ACTIVATIONS))


def activation_training_run(activation="sigmoid", steps=300, lr=0.5, batch_size=64, seed=0, device=None):
    """Train the same MLP 64-32-32-10 on standardised digits with sigmoid, σ(x) − ½ ("sigmoid_centred") or tanh
    hidden units (plain SGD; the initial weights depend only on the seed, so all activations start from the same
    weights).

    Records, at every step, the mean |cos| between the rows of the second Linear layer's weight gradient
    and the all-ones direction, and the fraction of rows whose gradient entries share one sign.
    Returns dict(history=utils.training.History, alignment=(steps,), same_sign=(steps,)).  Results are cached.
    """
    activation = _activation(activation)
    steps = validation.size("steps", steps, high=_MAX_TRAIN_STEPS)
    lr = validation.finite_number("lr", lr, low=0, high=100, low_open=True)
    batch_size = validation.size("batch_size", batch_size, high=1024)
    device = validation.device_value("device", device)
    return _activation_run(activation, steps, lr, batch_size, _seed(seed), str(device))


def _seeds(seeds, name="seeds"):
    return validation.seeds(name, seeds)


def activation_comparison(lr=0.5, seeds=(0, 1, 2), steps=300, device=None):
    """Sigmoid, σ(x) − ½ and tanh trained at ONE learning rate, from each seed (see `activation_training_run`).

    Returns {activation: {"loss": (n_seeds,) final training losses, "alignment": (n_seeds,) mean |cos(row, 1)|
    over the run}} with activations in the order of ACTIVATIONS.
    """
    lr = validation.finite_number("lr", lr, low=0, high=100, low_open=True)
    seeds, steps = _seeds(seeds), validation.size("steps", steps, high=_MAX_TRAIN_STEPS)
    device = str(validation.device_value("device", device))
    out = {}
    for a in ACTIVATIONS:
        runs = [_activation_run(a, steps, lr, 64, s, device) for s in seeds]
        out[a] = {"loss": np.array([_final_loss(r) for r in runs]),
                  "alignment": np.array([float(r["alignment"].mean()) for r in runs])}
    return out


def tuned_activation_rates(lrs=(0.5, 1.0, 2.0, 4.0, 8.0, 16.0), seed=0, steps=300, device=None):
    """Each activation trained at every learning rate of `lrs` (one seed); its best rate is the one with the lowest
    final training loss.

    Returns {activation: {"lrs": (k,), "loss": (k,) final training losses (inf = diverged), "best_lr", "best_loss"}}.
    """
    if isinstance(lrs, (str, bytes)) or not hasattr(lrs, "__iter__"):
        raise TypeError(f"lrs must be a list of learning rates, got {lrs!r}")
    lrs = tuple(validation.finite_number("lrs", lr, low=0, high=100, low_open=True) for lr in lrs)
    if not lrs or len(lrs) > 12:
        raise ValueError(f"lrs must hold 1 to 12 learning rates, got {len(lrs)}")
    seed, steps = _seed(seed), validation.size("steps", steps, high=_MAX_TRAIN_STEPS)
    device = str(validation.device_value("device", device))
    out = {}
    for a in ACTIVATIONS:
        losses = np.array([_final_loss(_activation_run(a, steps, lr, 64, seed, device)) for lr in lrs])
        k = int(np.argmin(losses))
        out[a] = {"lrs": np.array(lrs), "loss": losses, "best_lr": lrs[k], "best_loss": float(losses[k])}
    return out
