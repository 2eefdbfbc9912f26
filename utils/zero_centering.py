"""Why all-positive inputs make gradient descent zig-zag, and the preprocessing that fixes it (notebook 02)."""

import functools
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.collections import LineCollection
from torch import nn

from utils.device import one_cpu_thread
from utils.exercises import feedback
from utils.plotstyle import BLUE, GREEN, ORANGE, PURPLE, VERMILION, new_figure

W_STAR = (1.0, -1.0)      # the best weights of the toy problem: w1 > 0, w2 < 0
W_START = (-1.5, 0.0)     # where every toy gradient-descent path starts
TOY_SPREAD = 1.0          # toy inputs are offset + Uniform(-TOY_SPREAD, TOY_SPREAD)
TOY_N = 64                # toy examples
TOL = 1e-2                # "converged" = within this distance of w*
METHODS = ("none", "center", "standardize", "decorrelate", "whiten")
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


# ---------------------------------------------------------------------------------------------
# Pure computations
# ---------------------------------------------------------------------------------------------

def _as_matrix(x, name="x", min_rows=1):
    """x as a finite float64 NumPy array of shape (n, d); clear errors otherwise."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (examples, features), got shape {x.shape}")
    if x.shape[0] < min_rows or x.shape[1] < 1:
        raise ValueError(f"{name} needs at least {min_rows} row(s) and 1 feature, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinity")
    return x


def _as_vector(v, length, name):
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if v.shape != (length,):
        raise ValueError(f"{name} must have {length} entries, got shape {v.shape}")
    return v


def _check_lr(lr):
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")


def _check_steps(steps, name="steps"):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {steps!r}")


def weight_gradient(x, upstream):
    """dL/dw for one neuron f(w·x + b): the upstream gradient dL/df times the input.

    x: (d,) inputs; upstream: the number dL/df.  Returns (d,) = upstream * x.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    return float(upstream) * x


def same_sign_rows(grad):
    """For each row of a weight gradient (out, in): True when all its entries share one sign.

    Exact zeros count as either sign.  Returns a boolean array (out,).
    """
    g = np.asarray(grad.detach().cpu() if isinstance(grad, torch.Tensor) else grad, dtype=np.float64)
    if g.ndim != 2:
        raise ValueError(f"grad must be 2-D (out, in), got shape {g.shape}")
    return np.all(g >= 0, axis=1) | np.all(g <= 0, axis=1)


def ones_alignment(grad):
    """|cos| between each row of a gradient (out, in) and the all-ones direction, shape (out,).

    1 means the row moves every weight by the same amount in the same direction;
    a random direction in d dimensions gives about 1/sqrt(d).
    """
    g = np.asarray(grad.detach().cpu() if isinstance(grad, torch.Tensor) else grad, dtype=np.float64)
    norms = np.linalg.norm(g, axis=1) * np.sqrt(g.shape[1])
    return np.abs(g.sum(1)) / np.where(norms > 0, norms, 1.0)


def toy_inputs(offset, n=TOY_N, spread=TOY_SPREAD, seed=0):
    """The toy inputs: x = offset + Uniform(-spread, spread), shape (n, 2).

    Strictly positive whenever offset > spread.  The same seed gives the same noise for every
    offset, so only the mean moves.  Targets are y = x @ W_STAR (no noise), so w* = W_STAR exactly.
    Returns (x (n, 2), y (n,)) as float64 arrays.
    """
    if not np.isfinite(offset):
        raise ValueError(f"offset must be a finite number, got {offset!r}")
    u = np.random.default_rng(seed).uniform(-spread, spread, size=(n, 2))
    x = offset + u
    return x, x @ np.array(W_STAR)


def centred(x, y):
    """Subtract the sample means from inputs (n, d) and targets (n,); the best weights do not change."""
    return x - x.mean(0), y - y.mean()


def mse_loss(x, y, w):
    """L(w) = mean((x @ w - y)^2) / 2 for x (n, d), y (n,), w (d,)."""
    r = x @ w - y
    return 0.5 * float(r @ r) / len(y)


def second_moment(x):
    """The input second-moment matrix x^T x / n (d, d): the Hessian of `mse_loss`."""
    x = _as_matrix(x)
    return x.T @ x / len(x)


def curvatures(x):
    """Eigenvalues (ascending) of x^T x / n: the curvatures of the squared loss along its principal axes."""
    return np.linalg.eigvalsh(second_moment(x))


def condition_number(x):
    """Largest over smallest curvature of x^T x / n (inf when the smallest is 0)."""
    lam = curvatures(x)
    return float(lam[-1] / lam[0]) if lam[0] > 0 else float("inf")


def gd_path(x, y, w0, lr, steps):
    """Full-batch gradient descent on `mse_loss`: w <- w - lr * x^T (x w - y) / n.

    x: (n, d); y: (n,); w0: (d,).  Returns the path, shape (steps + 1, d), starting at w0.
    """
    x = _as_matrix(x)
    y = _as_vector(y, len(x), "y")
    w = _as_vector(w0, x.shape[1], "w0").copy()
    _check_lr(lr)
    _check_steps(steps)
    path = np.empty((steps + 1, len(w)))
    path[0] = w
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            w = w - lr * (x.T @ (x @ w - y)) / len(y)
            path[t + 1] = w
    return path


def per_example_updates(x, y, w, lr):
    """The update -lr * dL_i/dw that each example alone would make at w, shape (n, d)."""
    x = _as_matrix(x)
    y = _as_vector(y, len(x), "y")
    w = _as_vector(w, x.shape[1], "w")
    _check_lr(lr)
    return -lr * (x @ w - y)[:, None] * x


def sgd_path(x, y, w0, lr, steps, seed=0):
    """Gradient descent one example at a time (examples in a seeded random order).

    Returns the path (steps + 1, d); each step is one row of `per_example_updates`.
    """
    x = _as_matrix(x)
    y = _as_vector(y, len(x), "y")
    w = _as_vector(w0, x.shape[1], "w0").copy()
    _check_lr(lr)
    _check_steps(steps)
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
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= len(x):
        raise ValueError(f"batch_size must be an integer in [1, {len(x)}], got {batch_size!r}")
    g = np.random.default_rng(seed)
    grads = np.stack([per_example_updates(x[idx], y[idx], w, 1.0).sum(0)
                      for idx in (g.choice(len(x), batch_size, replace=False) for _ in range(n_batches))])
    return float(same_sign_rows(grads).mean())


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


def steps_to_converge(x, y, w0, lr, tol=TOL, max_steps=100_000):
    """Steps of `gd_path` until ||w_t - w_opt|| <= tol, computed in closed form; None if not within max_steps.

    With H = x^T x / n = Q diag(lam) Q^T, the error after t steps is Q diag((1 - lr lam)^t) Q^T (w0 - w_opt).
    """
    x = _as_matrix(x)
    y = _as_vector(y, len(x), "y")
    w0 = _as_vector(w0, x.shape[1], "w0")
    _check_lr(lr)
    _check_steps(max_steps, "max_steps")
    lam, q = np.linalg.eigh(second_moment(x))
    w_opt = np.linalg.lstsq(x, y, rcond=None)[0]
    c = q.T @ (w0 - w_opt)
    return _first_step_below((c ** 2, np.abs(1 - lr * lam)), tol ** 2, max_steps)


def regression_steps(x, y, lr_scale=1.0, rel_tol=1e-6, max_steps=1_000_000):
    """Steps of full-batch GD on least squares with a bias, from zero weights, until the loss gap
    L(w_t) - L* has fallen to rel_tol times its starting value.  lr = lr_scale / (largest curvature).

    x: (n, d); y: (n,).  Returns (steps or None, condition number of the augmented second moment).
    """
    x = _as_matrix(x, min_rows=2)
    y = _as_vector(y, len(x), "y")
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

    method: one of METHODS; mean: (d,) training means; matrix: (d, k) with k = d.
    Features (or principal components) whose training variance is zero are centred but not
    rescaled (their scale factor is 1), so they become exactly 0 instead of dividing by zero.
    """

    method: str
    mean: np.ndarray
    matrix: np.ndarray
    n_constant: int = 0

    @property
    def n_features(self):
        return len(self.mean)


def fit_preprocessor(x_train, method="standardize", zero_var_tol=1e-12):
    """Fit mean subtraction ("center"), z-scores ("standardize"), PCA rotation ("decorrelate"),
    PCA whitening ("whiten") or nothing ("none") on training inputs x_train (n, d).

    Statistics use the population variance (divide by n).  A variance below
    zero_var_tol * max(1, largest variance) counts as zero (see `Preprocessor`).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    x = _as_matrix(x_train, "x_train", min_rows=2)
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

def layer_sign_stats(activation="sigmoid", batch_size=1, n_trials=50, d_in=16, width=32, n_out=10,
                     seed=0, device=None):
    """Feed a layer with sigmoid or tanh outputs and inspect the weight gradient of the NEXT layer.

    Net: x (batch, d_in) ~ N(0, 1) -> Linear(d_in, width) -> activation -> Linear(width, n_out),
    cross-entropy on random labels.  For each of n_trials random batches, look at the gradient of the
    second Linear's weight (n_out, width): row j holds the gradients of neuron j's incoming weights.
    Returns dict(same_sign = fraction of rows whose entries share one sign, alignment = mean |cos| of
    the rows with the all-ones direction).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    device = torch.device(device or "cpu")
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    first, second = nn.Linear(d_in, width).to(device), nn.Linear(width, n_out).to(device)
    act = ACTIVATIONS[activation]()
    same, align = [], []
    with one_cpu_thread():
        for _ in range(n_trials):
            x = torch.randn(batch_size, d_in, generator=g).to(device)
            y = torch.randint(n_out, (batch_size,), generator=g).to(device)
            second.zero_grad()
            nn.functional.cross_entropy(second(act(first(x))), y).backward()
            grad = second.weight.grad.detach().cpu()
            same.append(same_sign_rows(grad).mean())
            align.append(ones_alignment(grad).mean())
    return {"same_sign": float(np.mean(same)), "alignment": float(np.mean(align))}


def sign_stats_table(batch_sizes=(1, 8, 64), seed=0, device=None):
    """`layer_sign_stats` for sigmoid and tanh at each batch size: list of dict rows."""
    return [{"activation": a, "batch_size": b, **layer_sign_stats(a, b, seed=seed, device=device)}
            for a in ACTIVATIONS for b in batch_sizes]


@functools.lru_cache(maxsize=64)
def _toy_problem(offset, seed=0):
    """Raw and centred toy data plus their curvature facts (cached: the zig-zag view revisits offsets)."""
    x, y = toy_inputs(offset, seed=seed)
    xc, yc = centred(x, y)
    out = {}
    for name, (a, b) in (("raw", (x, y)), ("centred", (xc, yc))):
        lam = curvatures(a)
        out[name] = {"x": a, "y": b, "lam": lam, "H": second_moment(a)}
    return out


def zigzag_runs(offset=2.0, lr_scale=1.6, steps=60, seed=0):
    """GD from W_START on the raw and on the centred toy problem, each with lr = lr_scale / (largest curvature).

    Returns {"raw": {...}, "centred": {...}}, each with path (steps + 1, 2), lr, lam (2,), cond,
    and converge = steps until within TOL of W_STAR (None if not within 100 000).
    """
    if not 0 < lr_scale < 2:
        raise ValueError(f"lr_scale must be in (0, 2) (2 / largest curvature is the stability limit), got {lr_scale}")
    runs = {}
    for name, p in _toy_problem(float(offset), seed).items():
        lr = lr_scale / p["lam"][-1]
        runs[name] = {"path": gd_path(p["x"], p["y"], W_START, lr, int(steps)), "lr": lr, "lam": p["lam"],
                      "cond": float(p["lam"][-1] / p["lam"][0]),
                      "converge": steps_to_converge(p["x"], p["y"], W_START, lr)}
    return runs


def conditioning_table(offsets=(0.0, 0.5, 1.0, 2.0, 3.0, 4.0), lr_scale=1.6, seed=0):
    """Curvatures, condition number and steps to converge of the raw vs centred toy problem, per offset."""
    rows = []
    for m in offsets:
        runs = zigzag_runs(m, lr_scale, steps=0, seed=seed)
        rows.append({"offset": float(m),
                     **{f"{k}_{name}": v for name in ("raw", "centred")
                        for k, v in (("lam_min", runs[name]["lam"][0]), ("lam_max", runs[name]["lam"][-1]),
                                     ("cond", runs[name]["cond"]), ("steps", runs[name]["converge"]))}})
    return rows


def toy_orthant_fractions(offset=2.0, batch_sizes=(1, 4, 16, 64), seed=0):
    """For raw and centred toy inputs: fraction of mini-batch gradients at W_START in the ++ or -- orthant."""
    p = _toy_problem(float(offset), seed)
    return [{"batch_size": b, **{name: batch_orthant_fraction(p[name]["x"], p[name]["y"], W_START, b, seed=seed)
                                 for name in ("raw", "centred")}} for b in batch_sizes]


def make_cloud(n=300, seed=0):
    """A correlated, stretched, off-centre 2-D point cloud and linear-regression targets.

    Returns x (n, 2), y (n,) float64: y = 0.5 x1 - 1.0 x2 + 0.3 + 0.1 * noise.
    """
    g = np.random.default_rng(seed)
    angle = np.deg2rad(35)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    x = (g.standard_normal((n, 2)) * [2.0, 0.4]) @ rot.T + [4.0, 2.0]
    y = x @ np.array([0.5, -1.0]) + 0.3 + 0.1 * g.standard_normal(n)
    return x, y


def preprocessing_table(x, y, lr_scale=1.0, rel_tol=1e-6):
    """Steps of GD on least-squares regression after each preprocessing method (fitted on x itself)."""
    rows = []
    for method in METHODS:
        steps, cond = regression_steps(preprocess(x, method=method), y, lr_scale, rel_tol)
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
    return _digits_arrays(seed)[0].copy()


def _train_linear_digits(x_train, y_train, steps, seed):
    torch.manual_seed(seed)
    model = nn.Linear(x_train.shape[1], 10)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    xt, yt = torch.as_tensor(x_train, dtype=torch.float32), torch.as_tensor(y_train)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    return model


def normalisation_leak_experiment(steps=150, batch=20, seed=0):
    """Train a linear classifier on standardised digits (training statistics), then test it with the
    validation images standardised in four ways.

    Returns a list of (description, accuracy) rows: training statistics; the validation set's own
    statistics; each random batch of `batch` images with its own statistics; each batch of one digit
    class with its own statistics.
    """
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
    return [("training statistics (correct)", acc(transform(pre, xva), yva)),
            ("whole validation set, its own statistics", own_stats([np.arange(len(xva))])),
            (f"random batches of {batch}, each its own statistics", own_stats(random_batches)),
            ("batches of one digit class, each its own statistics", own_stats(by_class))]


def activation_training_run(activation="sigmoid", steps=300, lr=0.5, batch_size=64, seed=0, device=None):
    """Train the same MLP 64-32-32-10 on standardised digits with sigmoid or tanh hidden units (plain SGD).

    Records, at every step, the mean |cos| between the rows of the second Linear layer's weight gradient
    and the all-ones direction, and the fraction of rows whose gradient entries share one sign.
    Returns dict(history=utils.training.History, alignment=(steps,), same_sign=(steps,)).
    """
    from utils.data import Split
    from utils.training import make_mlp, train

    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
    xtr, ytr, xva, yva = _digits_arrays(seed)
    pre = fit_preprocessor(xtr, "standardize")
    data = Split(torch.tensor(transform(pre, xtr), dtype=torch.float32), torch.as_tensor(ytr),
                 torch.tensor(transform(pre, xva), dtype=torch.float32), torch.as_tensor(yva), "digits", 10)
    torch.manual_seed(seed)
    model = make_mlp([64, 32, 32, 10], activation=ACTIVATIONS[activation])
    align, same = [], []

    def record(grad):
        align.append(ones_alignment(grad).mean())
        same.append(same_sign_rows(grad).mean())

    model[2].weight.register_hook(record)       # the layer fed by the first hidden activations
    with one_cpu_thread():
        hist = train(model, data, steps=steps, lr=lr, optimizer="sgd", batch_size=batch_size, eval_every=10,
                     seed=seed, device=device)
    return {"history": hist, "alignment": np.array(align), "same_sign": np.array(same)}


# ---------------------------------------------------------------------------------------------
# Plotting
# ---------------------------------------------------------------------------------------------

_WINDOW = (-2.2, 2.2, -2.0, 1.6)          # w1 min, w1 max, w2 min, w2 max of the zig-zag view


@functools.lru_cache(maxsize=64)
def zigzag_contours(offset, seed=0, n_levels=14, n_points=200):
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
    runs = zigzag_runs(offset, lr_scale, steps)
    contours = zigzag_contours(float(offset))
    state = getattr(fig, "_zigzag_state", None) if fig is not None else None
    if state is None:
        fig, axes = new_figure(1, 2, figsize=(10, 4.6), sharex=True, sharey=True)
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
        for ax, left in zip(axes, (0.07, 0.545)):
            ax.set_position([left, 0.13, 0.44, 0.76])
        fig._zigzag_state = state
    for ax, lines, path, name in zip(fig.axes, state["contours"], state["paths"], ("raw", "centred")):
        lines.set_segments(contours[name])
        path.set_data(runs[name]["path"][:, 0], runs[name]["path"][:, 1])
        ax.set_title(f"{name} inputs (κ = {runs[name]['cond']:.1f}): {_steps_text(runs[name]['converge'])}",
                     fontsize=13)
    return fig


def plot_single_example_steps(offset=2.0, steps=40, seed=0):
    """Gradient descent one example at a time from W_START, raw vs centred toy inputs, on one axes.

    lr = 0.5 / max_i ||x_i||^2 for each input set (a safe step for every single example).
    With all-positive inputs every step points up-right or down-left.
    """
    p = _toy_problem(float(offset), seed)
    fig, ax = new_figure(figsize=(6.5, 5))
    for name, colour in (("raw", VERMILION), ("centred", BLUE)):
        x, y = p[name]["x"], p[name]["y"]
        lr = 0.5 / float(np.max(np.sum(x ** 2, axis=1)))
        path = sgd_path(x, y, W_START, lr, steps, seed=seed)
        moves = np.diff(path, axis=0)
        frac = np.mean(np.all(moves > 0, axis=1) | np.all(moves < 0, axis=1))
        ax.plot(path[:, 0], path[:, 1], "-o", color=colour, ms=3, lw=1.4,
                label=f"{name}: {frac:.0%} of steps ↗ or ↙")
    ax.plot(*W_START, "s", color="k", ms=8, label="start")
    ax.plot(*W_STAR, "*", color=GREEN, ms=16, label="w*")
    ax.set(xlabel="weight w₁", ylabel="weight w₂", aspect="equal", xlim=_WINDOW[:2], ylim=_WINDOW[2:],
           title=f"One example per step ({steps} steps):\npositive inputs only step ↗ or ↙")
    ax.legend(loc="lower left", fontsize=10)
    return fig


def plot_steps_vs_offset(lr_scale=1.6, offsets=None):
    """Steps to converge (log scale) and condition number vs the inputs' mean offset, raw vs centred."""
    offsets = np.linspace(0, 4, 17) if offsets is None else np.asarray(offsets, dtype=float)
    rows = conditioning_table(tuple(offsets), lr_scale)
    fig, (a1, a2) = new_figure(1, 2, figsize=(11, 4))
    for name, colour in (("raw", VERMILION), ("centred", BLUE)):
        steps = [r[f"steps_{name}"] if r[f"steps_{name}"] is not None else np.nan for r in rows]
        a1.plot(offsets, steps, "-o", color=colour, ms=4, label=f"{name} inputs")
        a2.plot(offsets, [r[f"cond_{name}"] for r in rows], "-o", color=colour, ms=4, label=f"{name} inputs")
    a1.set(yscale="log", xlabel="mean offset of the inputs", ylabel="GD steps to reach w* (log)",
           title="Steps grow with the offset unless centred")
    a2.set(yscale="log", ylim=(1, None), xlabel="mean offset of the inputs", ylabel="κ = λ_max / λ_min (log)",
           title="…because the curvature ratio grows")
    a1.legend()
    return fig


def plot_preprocessing(x):
    """The same 2-D cloud x (n, 2) after each step: original, centred, standardised, decorrelated, whitened."""
    x = _as_matrix(x, min_rows=2)
    if x.shape[1] != 2:
        raise ValueError(f"plot_preprocessing draws 2-D clouds, got {x.shape[1]} features")
    names = {"none": "original", "center": "centred", "standardize": "standardised",
             "decorrelate": "decorrelated (PCA)", "whiten": "whitened"}
    fig, axes = new_figure(1, 5, figsize=(16, 4.2), sharex=True, sharey=True)
    for ax, method, colour in zip(axes, METHODS, (VERMILION, ORANGE, GREEN, PURPLE, BLUE)):
        z = preprocess(x, method=method)
        ax.scatter(z[:, 0], z[:, 1], s=6, color=colour, alpha=0.6)
        ax.axhline(0, color="k", lw=0.8)
        ax.axvline(0, color="k", lw=0.8)
        cov = np.cov(z, rowvar=False, bias=True)
        corr = round(float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])), 2) + 0.0    # + 0.0: no "-0.00"
        ax.set_title(f"{names[method]}\nstd {np.sqrt(cov[0, 0]):.1f} / {np.sqrt(cov[1, 1]):.1f}, corr {corr:+.2f}",
                     fontsize=12)
        ax.set(xlabel="feature 1", aspect="equal", xlim=(-5, 8), ylim=(-5, 8))
    axes[0].set_ylabel("feature 2")
    fig.suptitle("Each step removes one thing: the offset, the unequal scales, the correlation, the unequal spreads",
                 fontsize=13)
    return fig


def plot_activation_runs(runs):
    """runs: {"sigmoid": activation_training_run(...), "tanh": ...}.  Loss curves and update alignment."""
    fig, (a1, a2) = new_figure(1, 2, figsize=(11, 4))
    for (name, run), colour in zip(runs.items(), (VERMILION, BLUE)):
        h = run["history"]
        a1.plot(h.step, h.train_loss, color=colour, label=name)
        k = 10
        smooth = np.convolve(run["alignment"], np.ones(k) / k, mode="valid")
        a2.plot(np.arange(k, len(run["alignment"]) + 1), smooth, color=colour, label=name)
    a1.set(xlabel="SGD step", ylabel="training loss (cross-entropy)", title="tanh trains faster")
    a2.set(xlabel="SGD step", ylabel="mean |cos(row, all-ones)|", ylim=(0, 1),
           title="Sigmoid inputs push layer-2 rows along ±1")
    a1.legend()
    return fig


VIEW_SWEEPS = {"plot_zigzag": [{"offset": o, "lr_scale": s, "steps": n}
                               for o in (0.0, 2.0, 4.0) for s in (0.1, 1.6, 1.95) for n in (1, 60, 400)]}


# ---------------------------------------------------------------------------------------------
# Exercise checkers
# ---------------------------------------------------------------------------------------------

def check_sign_pattern(answer, x, upstream):
    """Exercise: the signs (+1/-1/0) of dL/dw for one neuron with inputs x and upstream gradient dL/df."""
    expected = np.sign(weight_gradient(x, upstream))
    if answer is None:
        return feedback(False, f"replace None with a list of {len(expected)} values, each +1 or -1")
    try:
        a = np.sign(np.asarray(answer, dtype=float).reshape(-1))
    except (TypeError, ValueError):
        return feedback(False, f"give a list of +1 / -1 values, one per input; got {answer!r}")
    if not np.all(np.isfinite(a)):
        return feedback(False, "every sign must be a number, +1 or -1")
    if a.shape != expected.shape:
        return feedback(False, f"expected {len(expected)} signs (one per input), got {a.size}")
    wrong = np.flatnonzero(a != expected)
    return feedback(len(wrong) == 0,
                    f"sign(s) at position(s) {wrong.tolist()} are off: dL/dw_i = (dL/df) * x_i, so each sign is "
                    "sign(dL/df) times sign(x_i)",
                    "Correct: each dL/dw_i carries sign(dL/df) * sign(x_i).")


def check_standardize(fn, seed=0):
    """Exercise: fn(x_train, x_test) -> (train_z, test_z) must use the TRAINING mean and std for both."""
    g = np.random.default_rng(seed)
    x_train = g.normal([5.0, -2.0, 0.5], [2.0, 0.5, 3.0], size=(200, 3))
    x_test = g.normal([6.0, -1.5, 0.0], [1.0, 1.0, 1.0], size=(50, 3))
    try:
        out = fn(x_train.copy(), x_test.copy())
        train_z, test_z = (np.asarray(o.detach() if isinstance(o, torch.Tensor) else o, dtype=float) for o in out)
    except Exception as exc:  # a learner's bug is reported, not raised
        return feedback(False, f"calling your function failed: {type(exc).__name__}: {exc}")
    mean, std = x_train.mean(0), x_train.std(0)
    if test_z.shape == x_test.shape and np.allclose(test_z, (x_test - x_test.mean(0)) / x_test.std(0), atol=1e-6):
        return feedback(False, "the test data were standardised with their OWN mean and std; use the training ones")
    for what, got, want in (("training", train_z, (x_train - mean) / std), ("test", test_z, (x_test - mean) / std)):
        if got.shape != want.shape:
            return feedback(False, f"the standardised {what} data have shape {got.shape}, expected {want.shape}")
        if not np.allclose(got, want, rtol=1e-6, atol=1e-6):
            err = float(np.max(np.abs(got - want)))
            return feedback(False, f"the standardised {what} data are off by up to {err:.3g}: subtract the training "
                                   "mean and divide by the training standard deviation (np.std, ddof=0)")
    return feedback(True, "", "Correct: both sets use the training mean and standard deviation.")
