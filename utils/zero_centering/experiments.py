"""Why all-positive inputs make gradient descent zig-zag, and the preprocessing that fixes it (notebook 02).

Public (what the notebook and learners call): the toy problem (`toy_inputs`, `centred`, `weight_gradient`,
`batch_orthant_fraction`, `toy_orthant_fractions`, `gd_path`, `steps_to_converge`, `curvatures`,
`condition_number`, `zigzag_runs`, `conditioning_table`, `offset_factors`), the network measurements
(`sign_stats_table`, `activation_training_run`, `activation_comparison`, `tuned_activation_rates`),
preprocessing (`Preprocessor`, `fit_preprocessor`, `transform`, `preprocess`, `make_cloud`, `preprocessing_table`,
`digits_train_pixels`, `normalisation_leak_experiment`), the figures (`plot_*`), the exercise checkers (`check_*`)
and the predictions asked in the notebook (`SIGMOID_BATCH_ROWS`, `PCA_STEPS`, `CENTRED_SIGMOID`, `LEAK_WORST`).
Everything else is private.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.collections import LineCollection
from torch import nn

from utils import validation
from utils.device import one_cpu_thread
from utils.exercises import feedback
from utils.plotstyle import BLUE, GREEN, ORANGE, PURPLE, VERMILION, new_figure
from utils.predictions import Prediction

W_STAR = (1.0, -1.0)      # the best weights of the toy problem: w1 > 0, w2 < 0
W_START = (-1.5, 0.0)     # where every toy gradient-descent path starts
TOY_SPREAD = 1.0          # toy inputs are offset + Uniform(-TOY_SPREAD, TOY_SPREAD)
TOY_N = 64                # toy examples
TOL = 1e-2                # "converged" = within this distance of w*
METHODS = ("none", "center", "standardize", "decorrelate", "whiten")
MAX_ROWS = 100_000        # the largest data sets the helpers accept (memory and time stay small)
MAX_STEPS = 100_000       # the most gradient-descent steps a toy helper runs
MAX_TRAIN_STEPS = 3000    # the most SGD steps of a network experiment (a few seconds)


class _CentredSigmoid(nn.Module):
    """σ(x) − ½: zero-centred like tanh, with sigmoid's slope (at most 1/4). The control of section 5."""

    def forward(self, x):
        return torch.sigmoid(x) - 0.5


ACTIVATIONS = {"sigmoid": nn.Sigmoid, "sigmoid_centred": _CentredSigmoid, "tanh": nn.Tanh}
ACTIVATION_LABELS = {"sigmoid": "sigmoid", "sigmoid_centred": "σ(x) − ½", "tanh": "tanh"}

__all__ = [
    "W_STAR", "W_START", "TOY_SPREAD", "TOY_N", "TOL", "METHODS", "ACTIVATIONS", "ACTIVATION_LABELS",
    "weight_gradient", "toy_inputs", "centred", "curvatures", "condition_number", "gd_path", "steps_to_converge",
    "batch_orthant_fraction", "zigzag_runs", "conditioning_table", "offset_factors", "toy_orthant_fractions",
    "sign_stats_table", "Preprocessor", "fit_preprocessor", "transform", "preprocess", "make_cloud",
    "preprocessing_table", "digits_train_pixels", "normalisation_leak_experiment", "activation_training_run",
    "activation_comparison", "tuned_activation_rates", "plot_zigzag", "plot_single_example_steps",
    "plot_steps_vs_offset", "plot_preprocessing", "plot_activation_runs", "check_possible_updates",
    "check_standardize", "UPDATE_CANDIDATES", "LEAK_ROWS", "SIGMOID_BATCH_ROWS", "PCA_STEPS", "CENTRED_SIGMOID",
    "LEAK_WORST", "VIEW_SWEEPS",
]


# ---------------------------------------------------------------------------------------------
# Pure computations
# ---------------------------------------------------------------------------------------------

def _as_matrix(x, name="x", min_rows=1):
    """x as a finite float64 NumPy array of shape (n, d); clear errors otherwise."""
    x = validation.array(name, x, ndim=2, max_size=MAX_ROWS * 100)
    if x.shape[0] < min_rows or x.shape[1] < 1:
        raise ValueError(f"{name} needs at least {min_rows} row(s) and 1 feature, got shape {x.shape}")
    if x.shape[0] > MAX_ROWS:
        raise ValueError(f"{name} has {x.shape[0]} rows, at most {MAX_ROWS} are accepted: {validation.SIZE_NOTE}")
    return x


def _as_vector(v, length, name):
    v = validation.array(name, v, ndim=1)
    if v.shape != (length,):
        raise ValueError(f"{name} must have {length} entries, got shape {v.shape}")
    return v


def _lr(lr, name="lr"):
    return validation.finite_number(name, lr, low=0, low_open=True)


def _seed(seed):
    return validation.seed_value("seed", seed)


def weight_gradient(x, upstream):
    """dL/dw for one neuron a = f(z), z = w·x + b: the gradient dL/dz times the input.

    x: (d,) inputs; upstream: the number dL/dz = (dL/da)·f′(z) (the local slope f′(z) is already in it).
    Returns (d,) = upstream * x.
    """
    x = validation.array("x", x, ndim=1, max_size=MAX_ROWS)
    upstream = validation.finite_number("upstream", upstream)
    return upstream * x


def _same_sign_rows(grad):
    """For each row of a weight gradient (out, in): True when all its entries share one sign.

    Exact zeros count as either sign.  Returns a boolean array (out,).
    """
    g = np.asarray(grad.detach().cpu() if isinstance(grad, torch.Tensor) else grad, dtype=np.float64)
    if g.ndim != 2:
        raise ValueError(f"grad must be 2-D (out, in), got shape {g.shape}")
    return np.all(g >= 0, axis=1) | np.all(g <= 0, axis=1)


def _ones_alignment(grad):
    """|cos| between each row of a gradient (out, in) and the all-ones direction, shape (out,).

    1 means the row moves every weight by the same amount in the same direction; for a random (Gaussian) direction
    in d dimensions the mean |cos| is about sqrt(2 / (pi d)) (0.14 for d = 32).
    """
    g = np.asarray(grad.detach().cpu() if isinstance(grad, torch.Tensor) else grad, dtype=np.float64)
    norms = np.linalg.norm(g, axis=1) * np.sqrt(g.shape[1])
    return np.abs(g.sum(1)) / np.where(norms > 0, norms, 1.0)


def _random_direction_alignment(d, n=20_000, seed=0):
    """Mean |cos| between random Gaussian directions in d dimensions and the all-ones direction (a baseline)."""
    return float(_ones_alignment(np.random.default_rng(seed).standard_normal((n, d))).mean())


def toy_inputs(offset, n=TOY_N, spread=TOY_SPREAD, seed=0):
    """The toy inputs: x = offset + Uniform(-spread, spread), shape (n, 2).

    Strictly positive whenever offset > spread.  The same seed gives the same noise for every
    offset, so only the mean moves.  Targets are y = x @ W_STAR (no noise), so w* = W_STAR exactly.
    Returns (x (n, 2), y (n,)) as float64 arrays.
    """
    offset = validation.finite_number("offset", offset, low=-100, high=100)
    n = validation.size("n", n, high=MAX_ROWS, low=2)
    spread = validation.finite_number("spread", spread, low=0, high=100, low_open=True)
    u = np.random.default_rng(_seed(seed)).uniform(-spread, spread, size=(n, 2))
    x = offset + u
    return x, x @ np.array(W_STAR)


def centred(x, y):
    """Subtract the sample means from inputs (n, d) and targets (n,); the best weights do not change."""
    x = _as_matrix(x)
    y = _as_vector(y, len(x), "y")
    return x - x.mean(0), y - y.mean()


def _mse_loss(x, y, w):
    """L(w) = mean((x @ w - y)^2) / 2 for x (n, d), y (n,), w (d,)."""
    r = x @ w - y
    return 0.5 * float(r @ r) / len(y)


def _second_moment(x):
    """The input second-moment matrix x^T x / n (d, d): the Hessian of the squared loss."""
    return x.T @ x / len(x)


def curvatures(x):
    """Eigenvalues (ascending) of x^T x / n: the curvatures of the squared loss along its principal axes."""
    return np.linalg.eigvalsh(_second_moment(_as_matrix(x)))


def condition_number(x):
    """Largest over smallest curvature of x^T x / n (inf when the smallest is 0)."""
    lam = curvatures(x)
    return float(lam[-1] / lam[0]) if lam[0] > 0 else float("inf")


def gd_path(x, y, w0, lr, steps):
    """Full-batch gradient descent on the squared loss: w <- w - lr * x^T (x w - y) / n.

    x: (n, d); y: (n,); w0: (d,).  Returns the path, shape (steps + 1, d), starting at w0 (a diverging path
    reaches infinity; the rows after that are inf or NaN).
    """
    x = _as_matrix(x)
    y = _as_vector(y, len(x), "y")
    w = _as_vector(w0, x.shape[1], "w0").copy()
    lr = _lr(lr)
    steps = validation.size("steps", steps, high=MAX_STEPS, low=0)
    path = np.empty((steps + 1, len(w)))
    path[0] = w
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            w = w - lr * (x.T @ (x @ w - y)) / len(y)
            path[t + 1] = w
    return path


def _per_example_updates(x, y, w, lr):
    """The update -lr * dL_i/dw that each example alone would make at w, shape (n, d)."""
    return -lr * (x @ w - y)[:, None] * x


def _sgd_path(x, y, w0, lr, steps, seed=0):
    """Gradient descent one example at a time (examples in a seeded random order).

    Returns the path (steps + 1, d); each step is one row of `_per_example_updates`.
    """
    w = np.array(w0, dtype=float)
    order = np.random.default_rng(seed).integers(len(x), size=steps)
    path = np.empty((steps + 1, len(w)))
    path[0] = w
    for t, i in enumerate(order):
        w = w - lr * (x[i] @ w - y[i]) * x[i]
        path[t + 1] = w
    return path


def batch_orthant_fraction(x, y, w, batch_size, n_batches=200, seed=0):
    """Fraction of random mini-batch gradients (at weights w) whose components all share one sign.

    1.0 for batch_size 1 with all-positive inputs; lower for larger batches, because the
    per-example gradients are summed.
    """
    x = _as_matrix(x)
    y = _as_vector(y, len(x), "y")
    w = _as_vector(w, x.shape[1], "w")
    batch_size = validation.integer("batch_size", batch_size, low=1, high=len(x))
    n_batches = validation.size("n_batches", n_batches, high=10_000)
    g = np.random.default_rng(_seed(seed))
    grads = np.stack([_per_example_updates(x[idx], y[idx], w, 1.0).sum(0)
                      for idx in (g.choice(len(x), batch_size, replace=False) for _ in range(n_batches))])
    return float(_same_sign_rows(grads).mean())


def _first_step_below(decay_terms, tol2, max_steps):
    """Smallest t in [0, max_steps] with sum_i c_i * r_i^(2t) <= tol2 (the sum decreases with t); None if never."""
    coef, rates = decay_terms

    def value(t):
        with np.errstate(under="ignore"):
            return float(np.sum(coef * rates ** (2 * t)))

    if value(0) <= tol2:
        return 0
    if value(max_steps) > tol2:
        return None
    lo, hi = 0, max_steps          # value(lo) > tol2 >= value(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if value(mid) <= tol2:
            hi = mid
        else:
            lo = mid
    return hi


def steps_to_converge(x, y, w0, lr, tol=TOL, max_steps=MAX_STEPS):
    """Steps of `gd_path` until ||w_t - w_opt|| <= tol, computed in closed form; None if not within max_steps.

    With H = x^T x / n = Q diag(lam) Q^T, the error after t steps is Q diag((1 - lr lam)^t) Q^T (w0 - w_opt).
    """
    x = _as_matrix(x)
    y = _as_vector(y, len(x), "y")
    w0 = _as_vector(w0, x.shape[1], "w0")
    lr = _lr(lr)
    tol = validation.finite_number("tol", tol, low=0, low_open=True)
    max_steps = validation.size("max_steps", max_steps, high=10**7, low=0)
    return _steps_to_converge(x, y, w0, lr, tol, max_steps)


def _steps_to_converge(x, y, w0, lr, tol=TOL, max_steps=MAX_STEPS):
    lam, q = np.linalg.eigh(_second_moment(x))
    w_opt = np.linalg.lstsq(x, y, rcond=None)[0]
    c = q.T @ (w0 - w_opt)
    return _first_step_below((c ** 2, np.abs(1 - lr * lam)), tol ** 2, max_steps)


def _regression_steps(x, y, lr_scale=1.0, rel_tol=1e-6, max_steps=1_000_000):
    """Steps of full-batch GD on least squares with a bias, from zero weights, until the loss gap
    L(w_t) - L* has fallen to rel_tol times its starting value.  lr = lr_scale / (largest curvature).

    x: (n, d); y: (n,).  Returns (steps or None, condition number of the augmented second moment).
    """
    a = np.hstack([x, np.ones((len(x), 1))])
    lam, q = np.linalg.eigh(a.T @ a / len(a))
    w_opt = np.linalg.lstsq(a, y, rcond=None)[0]
    c = q.T @ (0 - w_opt)
    gap0 = 0.5 * float(np.sum(lam * c ** 2))
    lr = lr_scale / lam[-1]
    steps = _first_step_below((0.5 * lam * c ** 2, np.abs(1 - lr * lam)), rel_tol * gap0, max_steps)
    cond = float(lam[-1] / lam[0]) if lam[0] > 1e-300 else float("inf")
    return steps, cond


@dataclass
class Preprocessor:
    """A fitted input transform: x -> (x - mean) @ matrix.

    method: one of METHODS; mean: (d,) training means; matrix: (d, d).
    Features (or principal components) whose training variance is zero are centred but not
    rescaled (their scale factor is 1), so they become exactly 0 instead of dividing by zero;
    n_constant counts them.
    """

    method: str
    mean: np.ndarray
    matrix: np.ndarray
    n_constant: int = 0

    def __post_init__(self):
        validation.one_of("method", self.method, METHODS)
        self.mean = validation.array("mean", self.mean, ndim=1, max_size=10_000)
        d = len(self.mean)
        self.matrix = validation.array("matrix", self.matrix, shape=(d, d))
        self.n_constant = validation.integer("n_constant", self.n_constant, low=0, high=d)

    @property
    def n_features(self):
        return len(self.mean)


def fit_preprocessor(x_train, method="standardize", zero_var_tol=1e-12):
    """Fit mean subtraction ("center"), z-scores ("standardize"), PCA rotation ("decorrelate"),
    PCA whitening ("whiten") or nothing ("none") on training inputs x_train (n, d).

    Statistics use the population variance (divide by n).  A variance below
    zero_var_tol * max(1, largest variance) counts as zero (see `Preprocessor`).
    """
    validation.one_of("method", method, METHODS)
    x = _as_matrix(x_train, "x_train", min_rows=2)
    if x.shape[1] > 1000:
        raise ValueError(f"x_train has {x.shape[1]} features, at most 1000 are accepted: {validation.SIZE_NOTE}")
    zero_var_tol = validation.finite_number("zero_var_tol", zero_var_tol, low=0, high=1)
    d = x.shape[1]
    mean = x.mean(0) if method != "none" else np.zeros(d)
    if method in ("none", "center"):
        return Preprocessor(method, mean, np.eye(d))
    if method == "standardize":
        var = x.var(0)
        zero = var <= zero_var_tol * max(1.0, float(var.max()))
        scale = np.where(zero, 1.0, np.sqrt(np.where(zero, 1.0, var)))
        return Preprocessor(method, mean, np.diag(1.0 / scale), int(zero.sum()))
    lam, q = np.linalg.eigh(np.cov(x - mean, rowvar=False, bias=True).reshape(d, d))
    lam, q = lam[::-1], q[:, ::-1]                 # largest variance first
    q = q * np.where(q[np.abs(q).argmax(0), np.arange(d)] < 0, -1.0, 1.0)   # fix each axis' sign
    zero = lam <= zero_var_tol * max(1.0, float(lam.max()))
    if method == "decorrelate":
        return Preprocessor(method, mean, q.copy(), int(zero.sum()))
    scale = np.where(zero, 1.0, np.sqrt(np.where(zero, 1.0, lam)))
    return Preprocessor(method, mean, q / scale, int(zero.sum()))


def transform(pre, x):
    """Apply a fitted `Preprocessor` to x (n, d) with the TRAINING statistics; returns (n, d) float64."""
    if not isinstance(pre, Preprocessor):
        raise TypeError(f"pre must be a Preprocessor from fit_preprocessor, got {type(pre).__name__}")
    x = _as_matrix(x)
    if x.shape[1] != pre.n_features:
        raise ValueError(f"x has {x.shape[1]} features but the preprocessor was fitted on {pre.n_features}")
    return (x - pre.mean) @ pre.matrix


def preprocess(x_train, x_other=None, method="standardize"):
    """Fit on x_train, transform x_train (and x_other if given) with the training statistics."""
    pre = fit_preprocessor(x_train, method)
    out = transform(pre, x_train)
    return out if x_other is None else (out, transform(pre, x_other))


# ---------------------------------------------------------------------------------------------
# Experiments
# ---------------------------------------------------------------------------------------------

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


@functools.lru_cache(maxsize=8)
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


@functools.lru_cache(maxsize=64)
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


def _lr_scale(lr_scale):
    return validation.finite_number("lr_scale", lr_scale, low=0, high=2, low_open=True, high_open=True)


def _offset(offset):
    return validation.finite_number("offset", offset, low=-100, high=100)


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


def _offsets(offsets):
    if isinstance(offsets, (str, bytes)) or not hasattr(offsets, "__iter__"):
        raise TypeError(f"offsets must be a list of numbers, got {offsets!r}")
    out = tuple(_offset(m) for m in offsets)
    if not out or len(out) > 200:
        raise ValueError(f"offsets must hold 1 to 200 numbers, got {len(out)}")
    return out


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
    n = validation.size("n", n, high=MAX_ROWS, low=3)
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


@functools.lru_cache(maxsize=4)
def _digits_arrays(seed=0):
    """(x_train, y_train, x_val, y_val) of the digits split as float64 / int64 NumPy arrays (cached)."""
    from utils.data import load_dataset

    data = load_dataset("digits", seed=seed)
    return (data.x_train.double().numpy(), data.y_train.numpy(), data.x_val.double().numpy(), data.y_val.numpy())


def digits_train_pixels(seed=0):
    """The training images of `utils.data.load_dataset("digits", seed=seed)` as a (n, 64) float64 array."""
    return _digits_arrays(_seed(seed))[0].copy()


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


@functools.lru_cache(maxsize=8)
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
    steps = validation.size("steps", steps, high=MAX_TRAIN_STEPS)
    batch = validation.size("batch", batch, high=400, low=2)
    return list(_normalisation_leak(steps, batch, _seed(seed)))


@functools.lru_cache(maxsize=128)
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
    steps = validation.size("steps", steps, high=MAX_TRAIN_STEPS)
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
    seeds, steps = _seeds(seeds), validation.size("steps", steps, high=MAX_TRAIN_STEPS)
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
    seed, steps = _seed(seed), validation.size("steps", steps, high=MAX_TRAIN_STEPS)
    device = str(validation.device_value("device", device))
    out = {}
    for a in ACTIVATIONS:
        losses = np.array([_final_loss(_activation_run(a, steps, lr, 64, seed, device)) for lr in lrs])
        k = int(np.argmin(losses))
        out[a] = {"lrs": np.array(lrs), "loss": losses, "best_lr": lrs[k], "best_loss": float(losses[k])}
    return out


# ---------------------------------------------------------------------------------------------
# Plotting
# ---------------------------------------------------------------------------------------------

_WINDOW = (-2.2, 2.2, -2.0, 1.6)          # w1 min, w1 max, w2 min, w2 max of the zig-zag view


@functools.lru_cache(maxsize=64)
def _zigzag_contours(offset, seed=0, n_levels=14, n_points=200):
    """Loss contours of the raw and centred toy problems (cached per offset).

    L(w) - L(w*) = (w - w*)^T H (w - w*) / 2 with H = x^T x / n, so the contour at level c is an ellipse
    around w* whose semi-axes lie along H's eigenvectors with lengths sqrt(2c / lam_i): the long axis is
    sqrt(kappa) times the short one.  Levels are geometric from 1e-3 to the largest loss in the view's window.
    Returns {"raw": (n_levels, n_points, 2), "centred": ...}: closed (w1, w2) curves for a LineCollection.
    """
    theta = np.linspace(0, 2 * np.pi, n_points)
    circle = np.stack([np.cos(theta), np.sin(theta)], -1)                       # (n_points, 2)
    corners = np.array([[a, b] for a in _WINDOW[:2] for b in _WINDOW[2:]]) - np.array(W_STAR)
    out = {}
    for name, p in _toy_problem(float(offset), seed).items():
        lam, q = np.linalg.eigh(p["H"])
        top = max(0.5 * float(np.max(np.einsum("ki,ij,kj->k", corners, p["H"], corners))), 2e-3)
        radii = np.sqrt(2 * np.geomspace(1e-3, top, n_levels))                  # (n_levels,)
        unit = (circle / np.sqrt(lam)) @ q.T                                     # the level-1/2 ellipse
        out[name] = np.array(W_STAR) + radii[:, None, None] * unit
    return out


def _steps_text(k):
    return f"{k} steps to w*" if k is not None else "no convergence"


def plot_zigzag(offset=2.0, lr_scale=1.6, steps=60, fig=None):
    """Loss contours and the GD path from the same start, raw (left) vs centred (right) inputs.

    offset: mean of both inputs; lr_scale: learning rate times the largest curvature of each surface
    (< 2 is stable); steps: GD steps drawn.  Titles report the condition number and the steps each needs
    to get within TOL of w*.
    Given its previous figure back (`fig=`), it only moves the paths, swaps the (cached) contour segments
    and retitles.  The figure is kept lean on purpose: every redraw re-lays out every piece of text, and
    text is most of the cost of a PNG, so there is no legend (two direct labels) and no figure title.
    """
    offset, lr_scale = _offset(offset), _lr_scale(lr_scale)
    steps = validation.size("steps", steps, high=10_000, low=0)
    runs = _zigzag_runs(offset, lr_scale, steps)
    contours = _zigzag_contours(float(offset))
    state = getattr(fig, "_zigzag_state", None) if fig is not None else None
    if state is None:
        fig, axes = new_figure(1, 2, figsize=(9.6, 4.5), sharex=True, sharey=True)
        state = {"contours": [], "paths": []}
        for ax, colour in zip(axes, (VERMILION, BLUE)):
            state["contours"].append(ax.add_collection(LineCollection([], colors="0.6", linewidths=0.8, zorder=1)))
            state["paths"].append(ax.plot([], [], "-o", color=colour, ms=3, lw=1.4)[0])
            ax.plot(*W_START, "s", color="k", ms=8)
            ax.plot(*W_STAR, "*", color=GREEN, ms=16, zorder=5)
            ax.set(xlim=_WINDOW[:2], ylim=_WINDOW[2:], aspect="equal")
            ax.set_xticks([-2, -1, 0, 1, 2], labels=["−2", "", "0", "", "2"])
            ax.set_yticks([-2, -1, 0, 1], labels=["−2", "−1", "0", "1"])
        axes[0].text(W_START[0], W_START[1] + 0.15, "start", ha="center", va="bottom", fontsize=12)
        axes[0].text(W_STAR[0] + 0.12, W_STAR[1] - 0.15, "w*", ha="left", va="top", fontsize=13)
        axes[0].set_ylabel("weight w₂")
        fig.supxlabel("weight w₁", fontsize=12)
        # A fixed layout: re-solving the constrained layout on every redraw costs more than the drawing.
        fig.set_layout_engine("none")
        for ax, left in zip(axes, (0.075, 0.545)):
            ax.set_position([left, 0.13, 0.44, 0.76])
        fig._zigzag_state = state
    for ax, lines, path, name in zip(fig.axes, state["contours"], state["paths"], ("raw", "centred")):
        lines.set_segments(contours[name])
        path.set_data(runs[name]["path"][:, 0], runs[name]["path"][:, 1])
        ax.set_title(f"{name} (κ = {runs[name]['cond']:.1f}): {_steps_text(runs[name]['converge'])}",
                     fontsize=13)
    return fig


def _single_example_runs(offset, steps, seed):
    """One-example-per-step GD from W_START on the raw and the centred toy problem, each at its own safe rate
    lr = 0.5 / max_i ||x_i||^2.  Returns {name: {"path", "lr", "one_signed" (fraction of ↗/↙ steps), "distance"}}."""
    p = _toy_problem(float(offset), seed)
    out = {}
    for name in ("raw", "centred"):
        x, y = p[name]["x"], p[name]["y"]
        lr = 0.5 / float(np.max(np.sum(x ** 2, axis=1)))
        path = _sgd_path(x, y, W_START, lr, steps, seed=seed)
        moves = np.diff(path, axis=0)
        out[name] = {"path": path, "lr": lr,
                     "one_signed": float(np.mean(np.all(moves > 0, axis=1) | np.all(moves < 0, axis=1))),
                     "distance": float(np.linalg.norm(path[-1] - np.array(W_STAR)))}
    return out


def plot_single_example_steps(offset=2.0, steps=150, seed=0):
    """Gradient descent one example at a time from W_START over the loss contours: raw (left) vs centred (right).

    Each uses its own safe rate lr = 0.5 / max_i ||x_i||^2 (raw inputs are larger, so their rate is smaller).
    With all-positive inputs every step points up-right or down-left, so the raw path climbs down a staircase.
    """
    offset, seed = _offset(offset), _seed(seed)
    steps = validation.size("steps", steps, high=10_000)
    runs = _single_example_runs(offset, steps, seed)
    contours = _zigzag_contours(float(offset), seed)
    fig, axes = new_figure(1, 2, figsize=(9.6, 4.6), sharex=True, sharey=True)
    for ax, name, colour in zip(axes, ("raw", "centred"), (VERMILION, BLUE)):
        r = runs[name]
        ax.add_collection(LineCollection(contours[name], colors="0.7", linewidths=0.8, zorder=1))
        ax.plot(r["path"][:, 0], r["path"][:, 1], "-", color=colour, lw=1.3)
        ax.plot(*W_START, "s", color="k", ms=8)
        ax.plot(*W_STAR, "*", color=GREEN, ms=16, zorder=5)
        ax.set(xlim=_WINDOW[:2], ylim=_WINDOW[2:], aspect="equal", xlabel="weight w₁")
        ax.set_title(f"{name} inputs: {r['one_signed']:.0%} of steps ↗ or ↙\n"
                     f"lr {r['lr']:.3f}, ends {r['distance']:.2f} from w*", fontsize=12)
    axes[0].set_ylabel("weight w₂")
    fig.suptitle(f"One example per step, {steps} steps from the square to w* (star)", fontsize=13)
    return fig


def plot_steps_vs_offset(lr_scale=1.6, offsets=None):
    """Steps to converge (log scale) and condition number vs the inputs' mean offset, raw vs centred."""
    lr_scale = _lr_scale(lr_scale)
    offsets = np.linspace(0, 4, 17) if offsets is None else np.array(_offsets(offsets))
    rows = conditioning_table(tuple(offsets), lr_scale)
    fig, (a1, a2) = new_figure(1, 2, figsize=(9.6, 4))
    for name, colour in (("raw", VERMILION), ("centred", BLUE)):
        steps = [r[f"steps_{name}"] if r[f"steps_{name}"] is not None else np.nan for r in rows]
        a1.plot(offsets, steps, "-o", color=colour, ms=4, label=f"{name} inputs")
        a2.plot(offsets, [r[f"cond_{name}"] for r in rows], "-o", color=colour, ms=4, label=f"{name} inputs")
    last = rows[-1]
    ratio = (last["steps_raw"] or np.nan) / max(last["steps_centred"] or 1, 1)
    a1.set(yscale="log", xlabel="mean offset of the inputs", ylabel="GD steps to reach w* (log)",
           title=f"At offset {last['offset']:g}: raw needs {ratio:.0f}× the steps")
    a2.set(yscale="log", ylim=(1, None), xlabel="mean offset of the inputs", ylabel="κ = λ_max / λ_min (log)",
           title=f"κ grows to {last['cond_raw']:.0f} unless centred")
    a1.legend()
    return fig


_PREPROCESSING_CHAINS = (("none", "center", "standardize"), ("center", "decorrelate", "whiten"))
_PREPROCESSING_NAMES = {"none": "original", "center": "centred", "standardize": "standardised",
                        "decorrelate": "PCA-rotated", "whiten": "whitened"}


def plot_preprocessing(x):
    """The same 2-D cloud x (n, 2) after each transform, as two chains that each remove one thing per step:
    top: original -> centred -> standardised (per-feature mean, then per-feature scale);
    bottom: centred -> PCA-rotated -> whitened (the rotation and whitening act on the centred cloud).
    Each panel is titled with its features' standard deviations and correlation."""
    x = _as_matrix(x, min_rows=3)
    if x.shape[1] != 2:
        raise ValueError(f"x must have 2 features (plot_preprocessing draws 2-D clouds), got {x.shape[1]}")
    colours = {"none": VERMILION, "center": ORANGE, "standardize": GREEN, "decorrelate": PURPLE, "whiten": BLUE}
    clouds = {m: preprocess(x, method=m) for m in METHODS}
    lim = float(np.max(np.abs(np.concatenate(list(clouds.values()))))) * 1.05
    fig, axes = new_figure(2, 3, figsize=(9.6, 6.6), sharex=True, sharey=True)
    for row, chain in zip(axes, _PREPROCESSING_CHAINS):
        for ax, method in zip(row, chain):
            z = clouds[method]
            ax.scatter(z[:, 0], z[:, 1], s=5, color=colours[method], alpha=0.6)
            ax.axhline(0, color="k", lw=0.8)
            ax.axvline(0, color="k", lw=0.8)
            cov = np.cov(z, rowvar=False, bias=True)
            corr = round(float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])), 2) + 0.0    # + 0.0: no "-0.00"
            ax.set_title(f"{_PREPROCESSING_NAMES[method]}\nstd {np.sqrt(cov[0, 0]):.1f} / "
                         f"{np.sqrt(cov[1, 1]):.1f}, corr {corr:+.2f}", fontsize=11)
            ax.set(aspect="equal", xlim=(-lim, lim), ylim=(-lim, lim))
    for ax in axes[1]:
        ax.set_xlabel("feature 1")
    for ax in axes[:, 0]:
        ax.set_ylabel("feature 2")
    fig.suptitle("Top: shift, then rescale each feature.  Bottom: rotate, then rescale the centred cloud",
                 fontsize=12)
    return fig


def plot_activation_runs(runs):
    """runs: {activation name: activation_training_run(...)} (2 or 3 of them).  Loss curves and update alignment,
    titled with what the data show."""
    if not isinstance(runs, dict) or not runs or len(runs) > 6:
        raise TypeError(f"runs must be a dict of 1 to 6 activation runs, got {type(runs).__name__}")
    for name, run in runs.items():
        if not isinstance(run, dict) or "history" not in run or "alignment" not in run:
            raise TypeError(f"runs[{name!r}] must be a result of activation_training_run")
    fig, (a1, a2) = new_figure(1, 2, figsize=(9.6, 4))
    finals, aligns = {}, {}
    colours = (VERMILION, ORANGE, BLUE, GREEN, PURPLE, "k")
    for (name, run), colour in zip(runs.items(), colours):
        label = ACTIVATION_LABELS.get(name, name)
        h = run["history"]
        a1.plot(h.step, h.train_loss, color=colour, label=label)
        align = np.asarray(run["alignment"], dtype=float)
        k = max(1, min(10, len(align)))
        smooth = np.convolve(align, np.ones(k) / k, mode="valid")
        a2.plot(np.arange(k, len(align) + 1), smooth, color=colour, label=label)
        finals[label], aligns[label] = _final_loss(run), float(align.mean())
    best = min(finals, key=finals.get)
    most = max(aligns, key=aligns.get)
    a1.set(yscale="log", xlabel="SGD step", ylabel="training loss (log)", title=f"{best} ends lowest")
    a2.set(xlabel="SGD step", ylabel="mean |cos(row, all-ones)|", ylim=(0, 1),
           title=f"{most}: rows lean towards ±(1, …, 1)")
    a1.legend(fontsize=10)
    return fig


VIEW_SWEEPS = {"plot_zigzag": [{"offset": o, "lr_scale": s, "steps": n}
                               for o in (0.0, 2.0, 4.0) for s in (0.1, 1.6, 1.99) for n in (1, 60, 400)]}


# ---------------------------------------------------------------------------------------------
# Predictions asked in the notebook (answers computed by the helpers above)
# ---------------------------------------------------------------------------------------------

def _sigmoid_batch_rows_answer():
    frac = next(r["same_sign"] for r in sign_stats_table((1, 8, 64)) if r["activation"] == "sigmoid"
                and r["batch_size"] == 64)
    return "under 10 %" if frac < 0.1 else "over 90 %" if frac > 0.9 else "between 10 % and 90 %"


SIGMOID_BATCH_ROWS = Prediction(
    question="A layer is fed by sigmoid outputs and gets a mini-batch of 64 examples. What share of the rows of its "
             "weight gradient are still one-signed (every entry has the same sign)?",
    options=("under 10 %", "between 10 % and 90 %", "over 90 %"),
    answer=_sigmoid_batch_rows_answer,
    why="Summing 64 one-signed vectors can mix signs, so the strict rule of one example is gone. But every "
        "example's vector leans the same way (all entries positive times one number), so most sums keep one sign.",
)


def _pca_steps_answer():
    rows = {r["method"]: r["steps"] for r in preprocessing_table(*make_cloud(n=300, seed=0))}
    if rows["decorrelate"] == rows["center"]:
        return "the same number of steps"
    return "fewer steps" if rows["decorrelate"] < rows["center"] else "more steps"


PCA_STEPS = Prediction(
    question="Gradient descent on the centred cloud needs some number of steps. After PCA rotation of the same "
             "centred cloud (features now uncorrelated), does it need fewer, the same or more steps?",
    options=("fewer steps", "the same number of steps", "more steps"),
    answer=_pca_steps_answer,
    why="A rotation changes the directions of the valley's axes but not the curvatures along them (the eigenvalues "
        "of the covariance stay the same), so κ and the step count do not change. Only rescaling helps.",
)


def _centred_sigmoid_answer():
    res = activation_comparison(lr=0.5, seeds=(0, 1, 2))
    log = {a: np.log(res[a]["loss"]) for a in res}
    to_tanh = np.abs(log["sigmoid_centred"] - log["tanh"])
    to_sigmoid = np.abs(log["sigmoid_centred"] - log["sigmoid"])
    if np.all(to_sigmoid < to_tanh / 3):
        return "like sigmoid"
    if np.all(to_tanh < to_sigmoid / 3):
        return "like tanh"
    return "half-way between"


CENTRED_SIGMOID = Prediction(
    question="σ(x) − ½ is zero-centred like tanh but keeps sigmoid's slope (at most 1/4). Trained at the same "
             "learning rate 0.5, does its loss fall like tanh's, like sigmoid's, or half-way between?",
    options=("like tanh", "like sigmoid", "half-way between"),
    answer=_centred_sigmoid_answer,
    why="Centring removes the lean of the gradient rows towards ±(1, …, 1), but at the same learning rate σ(x) − ½ "
        "still has sigmoid's small slope, so its gradients stay small and its loss falls as slowly as sigmoid's.",
)


def _leak_worst_answer():
    rows = normalisation_leak_experiment(steps=150, batch=20, seed=0)
    k = int(np.argmin([acc for _, acc in rows]))
    return LEAK_ROWS[k]


LEAK_WORST = Prediction(
    question="A classifier was trained on digits standardised with the training statistics. Which way of "
             "standardising the validation images gives the LOWEST accuracy?",
    options=LEAK_ROWS,
    answer=_leak_worst_answer,
    why="A batch that holds one digit class has that digit's mean pattern as its own mean: subtracting it removes "
        "exactly the pattern the classifier looks for.",
)


# ---------------------------------------------------------------------------------------------
# Exercise checkers
# ---------------------------------------------------------------------------------------------

UPDATE_CANDIDATES = {"A": (0.2, 0.1, 0.4), "B": (-0.3, -0.1, -0.2), "C": (0.2, -0.1, 0.3), "D": (-0.1, 0.5, -0.2)}


def _letters(answer):
    """A learner's choice of candidate letters as a set, or None when it cannot be read."""
    if isinstance(answer, str):
        items = [c for c in answer.upper() if c.isalpha()]
    elif isinstance(answer, (list, tuple, set, frozenset)):
        items = []
        for a in answer:
            if not isinstance(a, str):
                return None
            items.extend(c for c in a.upper() if c.isalpha())
    else:
        return None
    return set(items)


def check_possible_updates(answer, inputs="sigmoid"):
    """Exercise: which of the weight updates in UPDATE_CANDIDATES can ONE example produce for a neuron whose inputs
    are sigmoid outputs (all positive) or tanh outputs (either sign)?  answer: the letters, e.g. ["A", "C"] or "AC".
    """
    inputs = validation.one_of("inputs", inputs, ("sigmoid", "tanh"))
    if answer is None:
        return feedback(False, "replace None with the letters of the possible updates, e.g. ['A', 'C']")
    chosen = _letters(answer)
    if chosen is None or not chosen:
        return feedback(False, f"give the letters of the possible updates as a list of strings, e.g. ['A', 'C']; "
                               f"got {answer!r}")
    unknown = sorted(chosen - set(UPDATE_CANDIDATES))
    if unknown:
        return feedback(False, f"{unknown} are not candidates: choose among {sorted(UPDATE_CANDIDATES)}")
    one_signed = {k for k, v in UPDATE_CANDIDATES.items() if all(c > 0 for c in v) or all(c < 0 for c in v)}
    right = one_signed if inputs == "sigmoid" else set(UPDATE_CANDIDATES)
    if chosen == right:
        return feedback(True, "", f"Correct: {sorted(right)}.")
    missing, extra = sorted(right - chosen), sorted(chosen - right)
    if inputs == "sigmoid":
        if extra:
            return feedback(False, f"{extra} mix signs. One example's update is −η·(dL/dz)·x: with every x_i > 0, "
                                   "every component has the sign of −dL/dz, so all components share one sign")
        return feedback(False, f"{missing} is possible too: dL/dz can be negative or positive, so one example can "
                               "move every weight up, or every weight down")
    return feedback(False, f"{missing} is possible too: tanh outputs can be negative, so the components of "
                           "−η·(dL/dz)·x can have any pattern of signs (the pattern of the example's x)")


def check_standardize(fn, seed=0):
    """Exercise: fn(x_train, x_test) -> (train_z, test_z) must use the TRAINING mean and std for both."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (my_standardize, without brackets), got {fn!r}")
    seed = _seed(seed)
    g = np.random.default_rng(seed)
    x_train = g.normal([5.0, -2.0, 0.5], [2.0, 0.5, 3.0], size=(200, 3))
    x_test = g.normal([6.0, -1.5, 0.0], [1.0, 1.0, 1.0], size=(50, 3))
    try:
        out = fn(x_train.copy(), x_test.copy())
        train_z, test_z = (np.asarray(o.detach() if isinstance(o, torch.Tensor) else o, dtype=float) for o in out)
    except Exception as exc:  # a learner's bug is reported, not raised
        return feedback(False, f"calling your function failed: {type(exc).__name__}: {exc}")
    mean, std = x_train.mean(0), x_train.std(0)
    want_train, want_test = (x_train - mean) / std, (x_test - mean) / std
    if train_z.shape != want_train.shape or test_z.shape != want_test.shape:
        return feedback(False, f"the standardised data have shapes {train_z.shape} and {test_z.shape}, expected "
                               f"{want_train.shape} and {want_test.shape}: compute the statistics per feature "
                               "(axis=0)")
    both = np.concatenate([x_train, x_test])
    mutants = (
        (x_train, "train", "your function returned the training data unchanged: subtract the training mean and "
                           "divide by the training standard deviation"),
        ((x_test - x_test.mean(0)) / x_test.std(0), "test", "the test data were standardised with their OWN mean and "
                                                            "std; use the training ones"),
        ((x_test - both.mean(0)) / both.std(0), "test", "the statistics were computed on training and test data "
                                                        "together; compute them on the training data only"),
        ((x_train - mean) / x_train.std(0, ddof=1), "train", "you divided by the sample std (ddof=1); use np.std's "
                                                             "default ddof=0"),
        (x_train - mean, "train", "you subtracted the mean but did not divide by the standard deviation"),
        ((x_train - mean) / x_train.var(0), "train", "you divided by the variance; divide by the standard deviation "
                                                     "(its square root)"),
        ((x_train - x_train.mean()) / x_train.std(), "train", "you used one mean and std over all features; "
                                                              "compute them per feature (axis=0)"),
    )
    for value, which, hint in mutants:
        got = test_z if which == "test" else train_z
        if np.allclose(got, value, rtol=1e-6, atol=1e-6):
            return feedback(False, hint)
    for what, got, want in (("training", train_z, want_train), ("test", test_z, want_test)):
        if not np.allclose(got, want, rtol=1e-6, atol=1e-6):
            err = float(np.max(np.abs(got - want)))
            return feedback(False, f"the standardised {what} data are off by up to {err:.3g}: subtract the training "
                                   "mean and divide by the training standard deviation (np.std, ddof=0)")
    return feedback(True, "", "Correct: both sets use the training mean and standard deviation.")
