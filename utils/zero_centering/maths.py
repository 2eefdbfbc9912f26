"""Zero-centred inputs from scratch: the maths of notebook 02, the file a learner reads.

Read it top to bottom; it follows the notebook:

1. The toy problem's constants (`W_STAR`, `W_START`, `TOY_N`, `TOY_SPREAD`, `TOL`, `METHODS`) and the three
   activations compared in section 5 (`ACTIVATIONS`: sigmoid, the control σ(x) − ½, tanh).
2. Section 1: one neuron's weight gradient is one number times its input (`weight_gradient`), so all-positive inputs
   give one-signed gradients; two ways to measure that on a gradient matrix (`_same_sign_rows`, `_ones_alignment`).
3. Sections 2-3: the toy regression problem (`toy_inputs`, `centred`), its loss and curvatures (`_mse_loss`,
   `curvatures`, `condition_number`), gradient descent on it with the whole batch (`gd_path`) and one example at a
   time (`_per_example_updates`, `_sgd_path`), the sign rule for mini-batches (`batch_orthant_fraction`) and the
   steps to converge in closed form (`steps_to_converge`, `_regression_steps`).
4. Section 4: preprocessing fitted on the training data and applied to any data (`Preprocessor`, `fit_preprocessor`,
   `transform`, `preprocess`).

Conventions: x (n, d) inputs, y (n,) targets, w (d,) weights, all float64 NumPy arrays.  The checks of the learner's
arguments are in `_checks.py`; the experiments built on these functions are in `experiments.py`.
"""

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from utils import validation

from ._checks import _MAX_ROWS, _as_matrix, _as_vector, _lr, _seed

W_STAR = (1.0, -1.0)      # the best weights of the toy problem: w1 > 0, w2 < 0
W_START = (-1.5, 0.0)     # where every toy gradient-descent path starts
TOY_SPREAD = 1.0          # toy inputs are offset + Uniform(-TOY_SPREAD, TOY_SPREAD)
TOY_N = 64                # toy examples
TOL = 1e-2                # "converged" = within this distance of w*
METHODS = ("none", "center", "standardize", "decorrelate", "whiten")
_MAX_STEPS = 100_000      # the most gradient-descent steps a toy helper runs


class _CentredSigmoid(nn.Module):
    """σ(x) − ½: zero-centred like tanh, with sigmoid's slope (at most 1/4). The control of section 5."""

    def forward(self, x):
        return torch.sigmoid(x) - 0.5


ACTIVATIONS = {"sigmoid": nn.Sigmoid, "sigmoid_centred": _CentredSigmoid, "tanh": nn.Tanh}
ACTIVATION_LABELS = {"sigmoid": "sigmoid", "sigmoid_centred": "σ(x) − ½", "tanh": "tanh"}


def weight_gradient(x, upstream):
    """dL/dw for one neuron a = f(z), z = w·x + b: the gradient dL/dz times the input.

    x: (d,) inputs; upstream: the number dL/dz = (dL/da)·f′(z) (the local slope f′(z) is already in it).
    Returns (d,) = upstream * x.
    """
    x = validation.array("x", x, ndim=1, max_size=_MAX_ROWS)
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
    n = validation.size("n", n, high=_MAX_ROWS, low=2)
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
    steps = validation.size("steps", steps, high=_MAX_STEPS, low=0)
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


def steps_to_converge(x, y, w0, lr, tol=TOL, max_steps=_MAX_STEPS):
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


def _steps_to_converge(x, y, w0, lr, tol=TOL, max_steps=_MAX_STEPS):
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
