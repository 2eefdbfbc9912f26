"""Overfitting and the regularisers that fight it (L2, L1, dropout, augmentation, early stopping): notebook 06.

Public functions (what the notebook and learners call):
- computations: l2_penalty, l1_penalty, soft_threshold, proportional_shrink, proximal_step, penalized_least_squares,
  ridge, inverted_dropout, InvertedDropout, early_stopping, shift_images, random_shift, weight_norm, weights_of;
- experiments: legendre_features, true_curve, polynomial_data, polynomial_fit, capacity_curve, sgd_decay_equivalence,
  dropout_vs_torch, digits_task, wrong_labels, build_model, fit, run_regulariser, comparison, more_data_runs,
  decay_sweep, l1_weight_stats, early_stopping_curve, sparse_regression, orthonormal_design, geometry_solutions;
- plots: plot_polynomial_fit, plot_capacity_curve, plot_shrinkage, plot_sparse_recovery, plot_penalty_geometry,
  plot_decay_sweep, plot_dropout_effect, plot_augmentations, plot_early_stopping, plot_more_data, plot_comparison;
- exercises: check_soft_threshold, check_inverted_dropout, check_early_stopping, check_decay_strength,
  check_label_preserving; predictions: CAPACITY, ADAMW_SHRINK, L1_ZEROS, COMBINATION_VS_DATA.
Every random draw comes from an explicit, seeded generator; every function leaves the global generators of torch and
NumPy as it found them (the one place that needs torch's, nn.Dropout in dropout_vs_torch, runs inside fork_rng).
"""

import copy
import functools
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from matplotlib.ticker import FixedLocator, MaxNLocator
from torch import nn
from torch.nn import functional as F

from utils import validation as V
from utils.data import Split
from utils.device import one_cpu_thread
from utils.exercises import check_close, feedback, learner_number
from utils.plotstyle import (
    BLACK,
    BLUE,
    GREEN,
    ORANGE,
    PURPLE,
    VERMILION,
    light_log_axis,
    new_figure,
    power_of_ten_label,
)
from utils.predictions import Prediction
from utils.training import History, evaluate, make_mlp

SEEDS = (0, 1, 2)  # every multi-seed experiment of the notebook (and of its claims tests) uses these seeds

# ---------------------------------------------------------------------------------------------
# Pure computations
# ---------------------------------------------------------------------------------------------


def _lam(name, value):
    return V.finite_number(name, value, low=0)


def _weights(weights):
    if isinstance(weights, torch.Tensor):
        weights = [weights]
    elif weights is None or isinstance(weights, (str, bytes, dict)) or not hasattr(weights, "__iter__"):
        raise TypeError(f"weights must be a tensor or an iterable of tensors, got {weights!r}"[:200])
    weights = list(weights)
    if not weights or not all(isinstance(w, torch.Tensor) for w in weights):
        raise TypeError("weights must be a tensor or a non-empty iterable of tensors")
    if not all(bool(torch.isfinite(w.detach()).all()) for w in weights):
        raise ValueError("weights contain NaN or infinity")
    return weights


def l2_penalty(weights, lam):
    """(lam / 2) * sum of squared weights, the penalty whose gradient is lam * w.

    weights: a tensor or an iterable of tensors (any shapes).  Returns a scalar tensor.
    With this convention `torch.optim.SGD(weight_decay=lam)` adds exactly its gradient.
    """
    lam = _lam("lam", lam)
    return 0.5 * lam * sum((w ** 2).sum() for w in _weights(weights))


def l1_penalty(weights, lam):
    """lam * sum of absolute weights.  weights: a tensor or iterable of tensors.  Returns a scalar tensor."""
    lam = _lam("lam", lam)
    return lam * sum(w.abs().sum() for w in _weights(weights))


def _values(name, z):
    """An array or a tensor of finite numbers, kept in its kind (tensors stay tensors)."""
    if isinstance(z, torch.Tensor):
        return V.tensor(name, z)
    return V.array(name, z, max_size=10**7)


def soft_threshold(z, threshold):
    """sign(z) * max(|z| - threshold, 0), elementwise: the proximal step of threshold * ||w||_1.

    z: array or tensor (any shape); threshold >= 0.  Returns the same type and shape.
    """
    z, threshold = _values("z", z), _lam("threshold", threshold)
    if isinstance(z, torch.Tensor):
        return torch.sign(z) * torch.clamp(z.abs() - threshold, min=0.0)
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


def proportional_shrink(z, lam):
    """z / (1 + lam): the minimiser of 0.5 (w - z)^2 + (lam / 2) w^2, elementwise (L2's closed form)."""
    z, lam = _values("z", z), _lam("lam", lam)
    return z / (1.0 + lam)


def proximal_step(w, grad, lr, lam, penalty="l1"):
    """One proximal-gradient step on loss(w) + penalty(w): a gradient step on the loss, then the penalty's prox.

    w, grad: arrays of the same shape; lr > 0.  penalty "l1" (lam ||w||_1, soft thresholding) or
    "l2" ((lam/2) ||w||^2, proportional shrinkage).  Returns the new w.
    """
    w, grad = V.array("w", w, max_size=10**7), V.array("grad", grad, max_size=10**7)
    if w.shape != grad.shape:
        raise ValueError(f"w and grad must have the same shape, got w {w.shape} and grad {grad.shape}")
    lr = V.finite_number("lr", lr, low=0, low_open=True)
    lam, penalty = _lam("lam", lam), V.one_of("penalty", penalty, ("l1", "l2"))
    return _prox(w - lr * grad, lr * lam, penalty)


def _prox(z, t, penalty):
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0) if penalty == "l1" else z / (1.0 + t)


def _design(X, y):
    X = V.array("X", X, ndim=2, max_size=10**6)
    y = V.array("y", y, shape=(X.shape[0],))
    return X, y


def penalized_least_squares(X, y, lam, penalty="l1", steps=2000):
    """Numerically minimise 0.5 ||y - X w||^2 + penalty(w) by proximal gradient descent (ISTA).

    X: (n, d), y: (n,).  penalty "l1": lam ||w||_1; "l2": (lam/2) ||w||^2.  Returns w (d,) float64.
    """
    X, y = _design(X, y)
    lam, penalty = _lam("lam", lam), V.one_of("penalty", penalty, ("l1", "l2"))
    steps = V.size("steps", steps, high=100_000)
    lr = 1.0 / max(np.linalg.norm(X, 2) ** 2, 1e-12)  # 1 / Lipschitz constant of the gradient
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        w = _prox(w - lr * (X.T @ (X @ w - y)), lr * lam, penalty)
    return w


def ridge(X, y, lam):
    """Closed-form minimiser of 0.5 ||y - X w||^2 + (lam/2) ||w||^2 (least norm when lam = 0).

    X: (n, d), y: (n,), both finite (LAPACK never returns on an infinite entry, so they are refused).  Returns w (d,).
    """
    X, y = _design(X, y)
    return _ridge(X, y, _lam("lam", lam))


def _ridge(X, y, lam):
    d = X.shape[1]
    # Solving the stacked system [X; sqrt(lam) I] w = [y; 0] avoids squaring the condition number.
    A = np.vstack([X, math.sqrt(lam) * np.eye(d)])
    b = np.concatenate([y, np.zeros(d)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def _dropout_p(p, name="p"):
    return V.probability(name, p, allow_one=False)


def _generator(generator):
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator (e.g. torch.Generator().manual_seed(0)) so that the "
                        f"random draws repeat, got {generator!r}"[:200])
    return generator


def inverted_dropout(x, p, generator, training=True):
    """Inverted dropout: zero each element with probability p and scale survivors by 1 / (1 - p).

    x: tensor (any shape); p: the probability of *dropping* (PyTorch's convention; CS231n's p is the probability of
    keeping); generator: a seeded torch.Generator (the mask is drawn from it).  In evaluation (training=False) it
    returns x itself, unchanged.  Returns (out, mask): mask (same shape as x, bool) marks the kept elements
    (None in evaluation).
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    x, p = V.tensor("x", x, dtype=x.dtype if x.is_floating_point() else None), _dropout_p(p)
    generator, training = _generator(generator), V.boolean("training", training)
    if not training or p == 0:
        return x, None
    keep = torch.rand(x.shape, generator=generator, device=generator.device).to(x.device) >= p
    return x * keep / (1.0 - p), keep


class InvertedDropout(nn.Module):
    """`inverted_dropout` as a layer with its own seeded generator (follows `model.train()` / `model.eval()`).

    p: probability of dropping, in [0, 1); seed: seeds the layer's mask generator.
    """

    def __init__(self, p=0.5, seed=0):
        super().__init__()
        self.p = _dropout_p(p)
        self.generator = torch.Generator().manual_seed(V.seed_value("seed", seed))

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=self.generator).to(x.device) >= self.p
        return x * keep / (1.0 - self.p)


def early_stopping(val_losses, patience):
    """Where early stopping with `patience` would stop on a sequence of validation losses.

    val_losses: sequence of numbers, one per evaluation.  Training stops after `patience`
    evaluations in a row without a new best.  Returns (best_index, stop_index): the weights
    to keep are those of best_index; stop_index is the last evaluation done (len - 1 if it never stops).
    """
    losses = V.array("val_losses", val_losses, ndim=1, max_size=10**6)
    return _early_stopping(losses, V.size("patience", patience, high=10_000))


def _early_stopping(losses, patience):
    best, best_i, waited = math.inf, 0, 0
    for i, v in enumerate(losses):
        if v < best:
            best, best_i, waited = v, i, 0
        else:
            waited += 1
            if waited >= patience:
                return best_i, i
    return best_i, len(losses) - 1


def _shift(name, value, n):
    if isinstance(value, torch.Tensor):
        if value.dtype.is_floating_point or value.ndim > 1 or value.numel() not in (1, n):
            raise ValueError(f"{name} must be an integer tensor of shape ({n},) or a whole number, got {value!r}"[:200])
        value = value.expand(n) if value.numel() == 1 else value
    else:
        value = torch.full((n,), V.integer(name, value, low=-1, high=1))
    if (value.abs() > 1).any():
        raise ValueError(f"{name} must be -1, 0 or 1: shift_images shifts by at most one pixel")
    return value


def shift_images(images, dx, dy):
    """Shift images (N, H, W) by at most one pixel (dx right, dy down; each -1, 0 or 1, or an (N,) integer tensor),
    filling the uncovered border with 0.  Returns (N, H, W)."""
    images = V.tensor("images", images, ndim=3, max_size=10**7)
    n = len(images)
    return _shift_images(images, _shift("dx", dx, n).to(images.device), _shift("dy", dy, n).to(images.device))


def _shift_images(images, dx, dy):
    n, h, w = images.shape
    padded = torch.zeros(n, h + 2, w + 2, dtype=images.dtype, device=images.device)
    padded[:, 1:-1, 1:-1] = images
    rows = (torch.arange(h, device=images.device)[None, :] + 1 - dy[:, None])  # (N, H)
    cols = (torch.arange(w, device=images.device)[None, :] + 1 - dx[:, None])  # (N, W)
    return padded[torch.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def random_shift(x, generator, image_shape=(8, 8)):
    """Shift each flattened image of x (N, H*W) by a random dx, dy in {-1, 0, 1} drawn from `generator`.

    Returns (N, H*W)."""
    if not (isinstance(image_shape, tuple) and len(image_shape) == 2):
        raise TypeError(f"image_shape must be a tuple (H, W), got {image_shape!r}")
    h, w = (V.size("image_shape", s, high=1024) for s in image_shape)
    x = V.tensor("x", x, shape=(None, h * w), max_size=10**7)
    return _random_shift(x, _generator(generator), (h, w))


def _random_shift(x, generator, image_shape):
    n = len(x)
    d = torch.randint(-1, 2, (2, n), generator=generator).to(x.device)
    return _shift_images(x.reshape(n, *image_shape), d[0], d[1]).reshape(n, -1)


def _model(model):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def weights_of(model):
    """The weight matrices of `model`: the parameters the penalties and the decay act on.

    Biases and the scale and shift of normalisation layers (1-D parameters) are left out, as is usual: they are
    few, and pulling them towards 0 does not make the function simpler (a BN scale of 0 switches a unit off).
    """
    return [p for n, p in _model(model).named_parameters() if n.endswith("weight") and p.ndim > 1]


def weight_norm(model):
    """Euclidean norm of all weight matrices of `model` (biases and normalisation parameters excluded)."""
    return math.sqrt(sum(float((p.detach() ** 2).sum()) for p in weights_of(model)))


# ---------------------------------------------------------------------------------------------
# Experiments: polynomials
# ---------------------------------------------------------------------------------------------

MAX_DEGREE = 19  # as many coefficients as the 20 training points


def legendre_features(x, degree):
    """Legendre polynomials P_0..P_degree of x in [-1, 1] (well conditioned).  x: (n,).  Returns (n, degree+1)."""
    x = V.array("x", x, ndim=1, max_size=10**6)
    return np.polynomial.legendre.legvander(x, V.integer("degree", degree, low=0, high=50))


def true_curve(x):
    """The function behind the polynomial data: a smooth bump and a slope.  x: array.  Returns an array."""
    x = V.array("x", x, max_size=10**6)
    return np.sin(2.5 * x) + 0.5 * x


def polynomial_data(n_train=20, n_val=200, noise=0.3, seed=0):
    """Few noisy points for fitting polynomials.  Returns (x_train, y_train, x_val, y_val), 1-D float64 arrays."""
    return _polynomial_data(V.size("n_train", n_train, high=10_000), V.size("n_val", n_val, high=100_000),
                            V.finite_number("noise", noise, low=0, high=10), V.seed_value("seed", seed))


@functools.lru_cache(maxsize=4)
def _polynomial_data(n_train, n_val, noise, seed):
    g = np.random.default_rng(seed)
    x_tr = np.sort(g.uniform(-1, 1, n_train))
    x_va = g.uniform(-1, 1, n_val)
    return (x_tr, np.sin(2.5 * x_tr) + 0.5 * x_tr + noise * g.standard_normal(n_train),
            x_va, np.sin(2.5 * x_va) + 0.5 * x_va + noise * g.standard_normal(n_val))


def polynomial_fit(degree, lam, seed=0):
    """Ridge fit of a degree-`degree` polynomial (0 … 19) to `polynomial_data(seed=seed)`.

    Returns coefficients (degree+1,), training MSE and validation MSE.
    """
    degree = V.integer("degree", degree, low=0, high=MAX_DEGREE)
    return _polynomial_fit(degree, _lam("lam", lam), V.seed_value("seed", seed))


@functools.lru_cache(maxsize=256)
def _polynomial_fit(degree, lam, seed):
    x_tr, y_tr, x_va, y_va = _polynomial_data(20, 200, 0.3, seed)
    leg = np.polynomial.legendre.legvander
    w = _ridge(leg(x_tr, degree), y_tr, lam)
    mse = [float(np.mean((leg(x, degree) @ w - y) ** 2)) for x, y in ((x_tr, y_tr), (x_va, y_va))]
    return w, mse[0], mse[1]


def capacity_curve(degrees=range(0, MAX_DEGREE + 1), lam=0.0, seed=0):
    """Training and validation MSE for each degree.  Returns (degrees (k,), train (k,), val (k,)) arrays."""
    degrees = [V.integer("degrees", d, low=0, high=MAX_DEGREE) for d in degrees]
    lam, seed = _lam("lam", lam), V.seed_value("seed", seed)
    rows = np.array([_polynomial_fit(d, lam, seed)[1:] for d in degrees])
    return np.array(degrees), rows[:, 0], rows[:, 1]


def _capacity_answer():
    d, _, va = capacity_curve(lam=0.0)
    best = int(d[np.argmin(va)])
    return "falls, then rises sharply" if 0 < best < d[-1] and va[-1] > 100 * va.min() else "keeps falling"


CAPACITY = Prediction(
    question="Without a penalty, you fit polynomials of degree 0, 1, …, 19 to the same 20 noisy points. "
             "As the degree grows, what does the error on 200 new points do?",
    options=("keeps falling", "falls, then levels off", "falls, then rises sharply"),
    answer=_capacity_answer,
    why="A low degree cannot follow the curve; a high one has enough freedom to follow the noise between the "
        "training points too. Its training error keeps falling, but its error on new points grows by orders "
        "of magnitude.")


# ---------------------------------------------------------------------------------------------
# Experiments: linear models and dropout against PyTorch
# ---------------------------------------------------------------------------------------------


def sgd_decay_equivalence(lam=0.01, lr=0.1, steps=50, seed=0):
    """Train one small linear classifier three ways with plain SGD and compare the weights.

    (a) autograd on loss + l2_penalty, (b) torch.optim.SGD(weight_decay=lam),
    (c) by hand: w <- (1 - lr*lam) w - lr * grad(loss).  float64 throughout.
    Returns {"penalty vs torch weight_decay": max |diff|, "penalty vs (1 - lr*lam) decay": max |diff|}.
    """
    lam, lr = _lam("lam", lam), V.finite_number("lr", lr, low=0, low_open=True, high=10)
    steps, seed = V.size("steps", steps, high=10_000), V.seed_value("seed", seed)
    x, y = _digits_arrays()
    x, y = x[:200].double(), y[:200]
    w0 = 0.1 * torch.randn(64, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    ce = nn.CrossEntropyLoss()

    def grad_of(w, extra=0.0):
        w = w.clone().requires_grad_(True)
        loss = ce(x @ w, y) + (0.5 * lam * (w ** 2).sum() if extra else 0.0)
        loss.backward()
        return w.grad

    wa, wc = w0.clone(), w0.clone()
    wb = w0.clone().requires_grad_(True)
    opt = torch.optim.SGD([wb], lr=lr, weight_decay=lam)
    with one_cpu_thread():
        for _ in range(steps):
            wa = wa - lr * grad_of(wa, extra=1)
            wc = (1 - lr * lam) * wc - lr * grad_of(wc)
            opt.zero_grad()
            ce(x @ wb, y).backward()
            opt.step()
    return {"penalty vs torch weight_decay": float((wa - wb.detach()).abs().max()),
            "penalty vs (1 - lr*lam) decay": float((wa - wc).abs().max())}


def dropout_vs_torch(p=0.3, n=1_000_000, seed=0):
    """Our `inverted_dropout` and `torch.nn.Dropout` on the same n random inputs (uniform in [0.5, 1.5]).

    torch's layer draws from the global generator, so it runs inside `torch.random.fork_rng` seeded with `seed`:
    the result repeats and the global generator is left as it was.  Returns a dict of means, zeroed fractions and
    whether each is exactly the identity in evaluation mode.
    """
    p, n, seed = _dropout_p(p), V.size("n", n, high=10_000_000), V.seed_value("seed", seed)
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, generator=g) + 0.5
    ours, keep = inverted_dropout(x, p, g)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        theirs = nn.Dropout(p).train()(x)
    return {"input mean": float(x.mean()), "ours mean": float(ours.mean()), "torch mean": float(theirs.mean()),
            "ours zeroed": float((ours == 0).float().mean()), "torch zeroed": float((theirs == 0).float().mean()),
            "kept values are x / (1 - p)": bool(torch.allclose(ours[keep], x[keep] / (1 - p))),
            "ours identity in eval": bool(torch.equal(InvertedDropout(p).eval()(x), x)),
            "torch identity in eval": bool(torch.equal(nn.Dropout(p).eval()(x), x))}


# ---------------------------------------------------------------------------------------------
# Experiments: the noisy digits task
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _digits_arrays():
    from utils.data import load_digits_arrays

    images, labels = load_digits_arrays()
    return images.reshape(len(images), -1), labels


LABEL_NOISE = 0.2  # the lesson's fraction of wrong training (and validation) labels
N_TEST = 600
N_VAL = 200
LR = 3e-3  # the learning rate of every run of the lesson
BATCH_SIZE = 20
STEPS = 300
EVAL_EVERY = 5  # evaluations (and early stopping's patience) are counted every 5 steps


@dataclass
class _DigitsTask(Split):
    """A Split (training and validation parts, both with wrong labels) plus a clean test part for reporting."""

    x_test: torch.Tensor = None
    y_test: torch.Tensor = None

    def to(self, device):
        return _DigitsTask(self.x_train.to(device), self.y_train.to(device), self.x_val.to(device),
                           self.y_val.to(device), self.name, self.n_classes, self.image_shape,
                           self.x_test.to(device), self.y_test.to(device))


def digits_task(n_train=100, n_val=N_VAL, label_noise=LABEL_NOISE, seed=0, device=None):
    """Scarce, noisy digits in three parts: training, validation and test.

    test: 600 images with their true labels, used only to report results.  training (the first n_train images of
    the rest) and validation (the last n_val of the rest, used to choose when to stop) have about `label_noise` of
    their labels replaced by a different, random class — like the labelled data you would collect and split
    yourself.  A larger training set contains the smaller one, wrong labels included.
    Returns a `utils.data.Split` (x: (N, 64) in [0, 1], image_shape (8, 8)) with x_test, y_test added.
    """
    n_val = V.size("n_val", n_val, high=400)
    pool = len(_digits_arrays()[0]) - N_TEST
    n_train = V.size("n_train", n_train, high=pool - n_val)
    label_noise = V.probability("label_noise", label_noise, allow_one=False)
    seed, device = V.seed_value("seed", seed), V.device_value("device", device or "cpu")
    return _digits_task(n_train, n_val, label_noise, seed).to(device)


@functools.lru_cache(maxsize=16)
def _digits_task(n_train, n_val, label_noise, seed):
    x, y = _digits_arrays()
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=g)
    test, pool = perm[:N_TEST], perm[N_TEST:]
    wrong = torch.rand(len(pool), generator=g) < label_noise
    offset = torch.randint(1, 10, (len(pool),), generator=g)  # 1..9: always a different class
    y_pool = torch.where(wrong, (y[pool] + offset) % 10, y[pool])
    tr, va = slice(0, n_train), slice(len(pool) - n_val, len(pool))
    return _DigitsTask(x[pool][tr], y_pool[tr], x[pool][va], y_pool[va], "digits", 10, (8, 8), x[test], y[test])


def wrong_labels(n_train=100, label_noise=LABEL_NOISE, seed=0):
    """How many of the n_train training labels of `digits_task` are wrong (an int)."""
    clean = digits_task(n_train, label_noise=0.0, seed=seed)
    return int((digits_task(n_train, label_noise=label_noise, seed=seed).y_train != clean.y_train).sum())


REGULARISERS = {
    "none": {},
    "L2": {"l2": 3e-2},
    "L1": {"l1": 1e-3},
    "dropout": {"dropout": 0.5},
    "augmentation": {"augment": True},
    "early stopping": {"patience": 5},
    "batch norm": {"batchnorm": True},
    "dropout + augmentation + early stopping": {"dropout": 0.5, "augment": True, "patience": 5},
}
COMBINATION = "dropout + augmentation + early stopping"


def build_model(hidden=128, dropout=0.0, batchnorm=False, seed=0):
    """The lesson's MLP [64, hidden, hidden, 10], initialised from a generator seeded with `seed`.

    Weights and biases get PyTorch's default init U(±1/√fan_in), drawn from the explicit generator; dropout layers
    are `InvertedDropout` with their own seeded generators.  Returns an nn.Sequential.
    """
    hidden = V.size("hidden", hidden, high=4096)
    dropout, batchnorm = _dropout_p(dropout, "dropout"), V.boolean("batchnorm", batchnorm)
    seed = V.seed_value("seed", seed)
    # make_mlp's default init draws from the global generator; fork_rng leaves that generator as it was, and
    # every parameter is then drawn again from our own generator below.
    with torch.random.fork_rng(devices=[]):
        model = make_mlp([64, hidden, hidden, 10], batchnorm=batchnorm, dropout=dropout)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                bound = 1 / math.sqrt(m.in_features)
                m.weight.uniform_(-bound, bound, generator=g)
                m.bias.uniform_(-bound, bound, generator=g)
    layers = [InvertedDropout(m.p, seed=seed + i) if isinstance(m, nn.Dropout) else m for i, m in enumerate(model)]
    return nn.Sequential(*layers)


@dataclass
class _Run(History):
    """A History (train and validation loss/accuracy per evaluation) plus the test split's loss and accuracy."""

    test_loss: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    stopped: int = None  # the step whose weights early stopping kept (None without early stopping)


def fit(model, data, steps=STEPS, lr=LR, batch_size=BATCH_SIZE, l1=0.0, l2=0.0, augment=False, patience=None,
        optimizer="adam", eval_every=EVAL_EVERY, seed=0, device=None):
    """Mini-batch training with the lesson's regularisers switched on by argument.

    data: `digits_task(...)`.  batch_size: images per step, drawn without replacement in a fresh order each epoch
    (so batch norm sees noisy batch statistics).  l1, l2: penalty strengths added to the loss, on weight matrices
    only; with optimizer "adamw", l2 is instead AdamW's decoupled weight decay (also on weight matrices only: biases
    and normalisation parameters are not decayed).  augment: two randomly shifted copies of the batch are added at
    every step.  patience: early stopping on the *validation* loss (in evaluations), restoring the best weights.
    Every `eval_every` steps the train, validation and test loss and accuracy are recorded.
    Returns a History with test_loss, test_acc and stopped added (the model keeps its final or restored weights).
    """
    model = _model(model)
    if not isinstance(data, _DigitsTask):
        raise TypeError(f"data must come from digits_task(...), got {type(data).__name__}")
    steps, lr = V.size("steps", steps, high=20_000), V.finite_number("lr", lr, low=0, low_open=True, high=10)
    batch_size = V.size("batch_size", batch_size, high=2000)
    l1, l2, augment = _lam("l1", l1), _lam("l2", l2), V.boolean("augment", augment)
    if patience is not None:
        patience = V.size("patience", patience, high=10_000)
    optimizer = V.one_of("optimizer", optimizer, ("adam", "adamw", "sgd"))
    eval_every, seed = V.size("eval_every", eval_every, high=20_000), V.seed_value("seed", seed)
    device = V.device_value("device", device or "cpu")
    with one_cpu_thread(device):
        return _fit(model, data.to(device), steps, lr, batch_size, l1, l2, augment, patience, optimizer,
                    eval_every, seed, device)


def _fit(model, data, steps, lr, batch_size, l1, l2, augment, patience, optimizer, eval_every, seed, device):
    model.to(device)
    weights = weights_of(model)
    decayed = {id(p) for p in weights}
    groups = [{"params": weights},
              {"params": [p for p in model.parameters() if id(p) not in decayed], "weight_decay": 0.0}]
    # fused: PyTorch's one-kernel Adam; for these tiny nets it makes a step about a third cheaper than the default
    if optimizer == "adamw":
        opt, l2_in_loss = torch.optim.AdamW(groups, lr=lr, weight_decay=l2, fused=True), 0.0
    elif optimizer == "adam":
        opt, l2_in_loss = torch.optim.Adam(groups, lr=lr, fused=True), l2
    else:
        opt, l2_in_loss = torch.optim.SGD(groups, lr=lr), l2
    g = torch.Generator().manual_seed(seed)
    n, bs = len(data.x_train), min(batch_size, len(data.x_train))
    # the three parts are evaluated in one forward pass (in evaluation mode every row is independent)
    x_all = torch.cat([data.x_train, data.x_val, data.x_test])
    y_all = torch.cat([data.y_train, data.y_val, data.y_test])
    parts = [slice(0, n), slice(n, n + len(data.x_val)), slice(n + len(data.x_val), len(x_all))]
    hist, best, waited, best_state, perm, pos = _Run(), math.inf, 0, None, None, n
    model.train()
    for step in range(1, steps + 1):
        if pos + bs > n:  # a fresh order for every epoch
            perm, pos = torch.randperm(n, generator=g).to(device), 0
        idx, pos = perm[pos:pos + bs], pos + bs
        x, y = data.x_train[idx], data.y_train[idx]
        if augment:  # the originals plus two randomly shifted copies, fresh at every step
            x = torch.cat([x] + [_random_shift(x, g, data.image_shape) for _ in range(2)])
            y = y.repeat(3)
        loss = F.cross_entropy(model(x), y)
        if l1:  # the penalties of l1_penalty and l2_penalty, without re-checking the weights at every step
            loss = loss + l1 * sum(w.abs().sum() for w in weights)
        if l2_in_loss:
            loss = loss + 0.5 * l2_in_loss * sum((w ** 2).sum() for w in weights)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % eval_every == 0 or step == steps:
            model.eval()
            with torch.no_grad():
                out = model(x_all)
            model.train()
            hist.step.append(step)
            for name, part in zip(("train", "val", "test"), parts):
                getattr(hist, f"{name}_loss").append(F.cross_entropy(out[part], y_all[part]).item())
                getattr(hist, f"{name}_acc").append((out[part].argmax(1) == y_all[part]).float().mean().item())
            if patience is not None:
                if hist.val_loss[-1] < best:
                    best, waited, best_state, hist.stopped = hist.val_loss[-1], 0, copy.deepcopy(
                        model.state_dict()), step
                else:
                    waited += 1
                    if waited >= patience:
                        break
    model.eval()
    if best_state is not None:
        model.load_state_dict(best_state)
    return hist


@functools.lru_cache(maxsize=128)
def _trained(cfg_items, n_train, steps, seed, device):
    # Several sections reuse the same runs (the unregularised one above all): train each once.
    cfg = dict(cfg_items)
    model = build_model(dropout=cfg.pop("dropout", 0.0), batchnorm=cfg.pop("batchnorm", False), seed=seed)
    hist = fit(model, digits_task(n_train, seed=seed), steps=steps, seed=seed, device=device, **cfg)
    return model, hist


def _run(cfg, n_train=100, steps=STEPS, seed=0, device="cpu"):
    return _trained(tuple(sorted(cfg.items())), n_train, steps, seed, str(device))


def _run_args(n_train, steps, seed, device):
    return (V.size("n_train", n_train, high=len(_digits_arrays()[0]) - N_TEST - N_VAL),
            V.size("steps", steps, high=3000), V.seed_value("seed", seed),
            V.device_value("device", device or "cpu"))


def _seeds(seeds, name="seeds"):
    return V.seeds(name, seeds)


def _names(names):
    if isinstance(names, str) or not hasattr(names, "__iter__"):
        raise TypeError(f"names must be a tuple of names from REGULARISERS, got {names!r}")
    names = tuple(V.one_of("names", n, tuple(REGULARISERS)) for n in names)
    if not names:
        raise ValueError("names must not be empty")
    return names


def run_regulariser(name, n_train=100, steps=STEPS, seed=0, device=None):
    """Train the lesson's MLP with one entry of REGULARISERS (cached: do not modify the result).

    Returns (model, History with test_loss, test_acc and stopped).
    """
    name = V.one_of("name", name, tuple(REGULARISERS))
    n_train, steps, seed, device = _run_args(n_train, steps, seed, device)
    return _run(REGULARISERS[name], n_train, steps, seed, device)


def comparison(names=tuple(REGULARISERS), seeds=SEEDS, n_train=100, steps=STEPS, device=None):
    """Every regulariser in `names`, trained once per seed (data, initial weights, batches and masks all follow it).

    Returns a dict: "names", "seeds", and arrays of shape (len(names), len(seeds)): "train acc", "test acc"
    (of the final or, with early stopping, restored weights) and "weight norm".
    """
    names, seeds = _names(names), _seeds(seeds)
    n_train, steps, _, device = _run_args(n_train, steps, 0, device)
    out = {"names": names, "seeds": seeds, "train acc": [], "test acc": [], "weight norm": []}
    for name in names:
        rows = []
        for seed in seeds:
            model, _ = _run(REGULARISERS[name], n_train, steps, seed, device)
            data = digits_task(n_train, seed=seed, device=device)
            rows.append((evaluate(model, data.x_train, data.y_train)[1],
                         evaluate(model, data.x_test, data.y_test)[1], weight_norm(model)))
        for key, column in zip(("train acc", "test acc", "weight norm"), zip(*rows)):
            out[key].append(column)
    return {k: (np.array(v) if k not in ("names", "seeds") else v) for k, v in out.items()}


def format_comparison(table, more=None):
    """The comparison as aligned text: mean ± sd over the seeds of train and test accuracy (%), the test gain over no
    regulariser in each seed (points), and the weight norm; `more` (from more_data_runs) adds the unregularised
    net with more data."""
    table = _table(table)
    none = table["test acc"][list(table["names"]).index("none")]
    seeds = ", ".join(str(s) for s in table["seeds"])
    lines = [f"{'':<40}{'train acc':>13}{'test acc':>13}   gain per seed ({seeds}){'':>3}{'‖W‖':>5}"]
    rows = [(n, 100 * tr, 100 * te, w) for n, tr, te, w in zip(table["names"], table["train acc"], table["test acc"],
                                                                table["weight norm"])]
    if more is not None:
        rows += [(f"no regulariser, {n} images", np.full(len(hs), np.nan), 100 * np.array([h.test_acc[-1] for h in hs]),
                  np.full(len(hs), np.nan)) for n, hs in _more(more).items() if n != 100]
    for name, tr, te, w in rows:
        gains = " ".join(f"{g:+5.1f}" for g in te - 100 * none)
        train = f"{tr.mean():5.1f} ± {tr.std():3.1f}" if np.all(np.isfinite(tr)) else f"{'':>11}"
        norm = f"{w.mean():5.1f}" if np.all(np.isfinite(w)) else ""
        lines.append(f"{name:<40}{train:>13}{te.mean():7.1f} ± {te.std():3.1f}   {gains:<24}{norm:>5}")
    return "\n".join(lines)


def more_data_runs(multiples=(1, 2, 4, 8), base=100, steps=STEPS, seeds=SEEDS, device=None):
    """The unregularised MLP trained on base * m images for each multiple m and seed.

    Returns {n_train: list of Histories, one per seed}.
    """
    seeds, base = _seeds(seeds), V.size("base", base, high=500)
    multiples = [V.size("multiples", m, high=8) for m in multiples]
    out = {}
    for m in multiples:
        n_train, steps, _, device = _run_args(base * m, steps, 0, device)
        out[n_train] = [_run({}, n_train, steps, s, device)[1] for s in seeds]
    return out


DECAY_LAMS = (3e-2, 3e-1, 3.0)


def decay_sweep(lams=DECAY_LAMS, seeds=SEEDS, n_train=100, steps=STEPS, device=None):
    """Adam with the L2 penalty in the loss vs AdamW's decoupled decay, at each strength λ and seed.

    Returns a dict: "lams" (L,), "seeds", "none acc" and "none norm" (S,) for no decay, and for each of
    "Adam + L2" and "AdamW": {"test acc": (L, S), "weight norm": (L, S)}.
    """
    lams = np.array([V.finite_number("lams", lam, low=0, low_open=True, high=100) for lam in lams])
    seeds = _seeds(seeds)
    n_train, steps, _, device = _run_args(n_train, steps, 0, device)

    def measure(cfg, seed):
        model, hist = _run(cfg, n_train, steps, seed, device)
        return hist.test_acc[-1], weight_norm(model)

    out = {"lams": lams, "seeds": seeds}
    out["none acc"], out["none norm"] = map(np.array, zip(*[measure({}, s) for s in seeds]))
    for name, extra in (("Adam + L2", {}), ("AdamW", {"optimizer": "adamw"})):
        res = np.array([[measure({"l2": float(lam), **extra}, s) for s in seeds] for lam in lams])  # (L, S, 2)
        out[name] = {"test acc": res[..., 0], "weight norm": res[..., 1]}
    return out


def _adamw_shrink():
    sweep = decay_sweep(lams=(3e-2,))
    ratio = sweep["AdamW"]["weight norm"][0] / sweep["none norm"]
    if np.all(ratio > 0.9):
        return "by less than 10 %"
    return "by about half" if np.all((ratio > 0.3) & (ratio < 0.7)) else "to almost nothing"


ADAMW_SHRINK = Prediction(
    question="Adam with the L2 penalty λ = 0.03 in the loss leaves much smaller weights than no penalty. "
             "AdamW with the same λ = 0.03 (learning rate 0.003, 300 steps): by how much does it shrink the final "
             "weight norm, compared with no decay?",
    options=("to almost nothing", "by about half", "by less than 10 %"),
    answer=_adamw_shrink,
    why=lambda answer: (
        f"AdamW multiplies the weights by (1 − ηλ) = {1 - LR * 0.03:.5f} per step, so 300 steps shrink them by at "
        f"most a factor (1 − ηλ)^300 = {(1 - LR * 0.03) ** 300:.3f}. The L2 gradient λw inside Adam is divided by "
        "√v, the running size of the gradient; "
        "once the data gradient is small, that step is about η whatever λ is, so the pull to zero is much stronger."))


def l1_weight_stats(seed=0, n_train=100, steps=STEPS, device=None):
    """How close to zero the weights of the L1 run (Adam, λ = REGULARISERS['L1']) and the unregularised run are.

    Returns {"L1": {...}, "none": {...}}, each with "exactly zero" and "below 1e-3" (fractions of all weights).
    """
    n_train, steps, seed, device = _run_args(n_train, steps, seed, device)
    out = {}
    for name in ("L1", "none"):
        w = torch.cat([p.detach().flatten() for p in weights_of(_run(REGULARISERS[name], n_train, steps, seed,
                                                                         device)[0])])
        out[name] = {"exactly zero": float((w == 0).float().mean()), "below 1e-3": float((w.abs() < 1e-3).float()
                                                                                         .mean())}
    return out


L1_ZEROS = Prediction(
    question="The net trained with Adam and the L1 penalty λ = 0.001: what fraction of its weights is exactly 0?",
    options=("more than half", "a few percent", "none at all"),
    answer=lambda: ("none at all" if l1_weight_stats()["L1"]["exactly zero"] == 0 else
                    "more than half" if l1_weight_stats()["L1"]["exactly zero"] > 0.5 else "a few percent"),
    why="The penalty's gradient is λ·sign(w), a push of fixed size towards 0. A step that crosses 0 lands on the "
        "other side, and the next step pushes back: the weight jitters around 0 but never lands on it. Exact zeros "
        "need the proximal step (soft thresholding), which sets every weight that would cross 0 to 0.")


def early_stopping_curve(seed=0, n_train=100, steps=STEPS, device=None):
    """The unregularised run (cached, shared with the comparison) evaluated every 10 steps.

    Returns (steps (k,), train_loss (k,), val_loss (k,), test_acc (k,)) arrays; the validation loss is on the
    held-out validation part (wrong labels included), test accuracy on the clean test part.
    """
    n_train, steps, seed, device = _run_args(n_train, steps, seed, device)
    h = _run({}, n_train, steps, seed, device)[1]
    return np.array(h.step), np.array(h.train_loss), np.array(h.val_loss), np.array(h.test_acc)


def _combination_answer():
    table = comparison(names=("none", COMBINATION))
    more = more_data_runs(multiples=(8,))[800]
    combo = table["test acc"][1]
    data8 = np.array([h.test_acc[-1] for h in more])
    if np.all(combo > data8):
        return "the regularised net with 100 images"
    return "the plain net with 800 images" if np.all(combo < data8) else "it depends on the seed"


COMBINATION_VS_DATA = Prediction(
    question="Which scores higher on the clean test images: the net with dropout + augmentation + early stopping "
             "trained on 100 images, or the same net without any regulariser trained on 800 images "
             "(both with 20 % wrong labels)?",
    options=("the regularised net with 100 images", "the plain net with 800 images", "it depends on the seed"),
    answer=_combination_answer,
    why="Without a regulariser the net memorises every wrong label of its 800 images as readily as of 100, and "
        "pays for it on new images; the combination stops before the wrong labels are learned and sees each image "
        "in several shifted versions.")


def sparse_regression(n=100, d=40, k=5, noise=0.05, seed=0):
    """A regression where only k of d features matter.  Returns X (n, d), y (n,), true w (d,)."""
    n, d = V.size("n", n, high=100_000), V.size("d", d, high=1000)
    k, noise, seed = V.size("k", k, high=d), V.finite_number("noise", noise, low=0, high=10), V.seed_value("seed", seed)
    g = np.random.default_rng(seed)
    X = g.standard_normal((n, d)) / math.sqrt(n)
    w = np.zeros(d)
    idx = g.choice(d, k, replace=False)
    w[idx] = g.choice([-1, 1], k) * g.uniform(1.0, 2.0, k)
    return X, X @ w + noise * g.standard_normal(n), w


def orthonormal_design(n=50, d=8, seed=0):
    """X (n, d) with orthonormal columns (X^T X = I) and a target y (n,)."""
    n, seed = V.size("n", n, high=100_000), V.seed_value("seed", seed)
    d = V.size("d", d, high=min(n, 1000))
    g = np.random.default_rng(seed)
    X = np.linalg.qr(g.standard_normal((n, d)))[0]
    return X, X @ g.uniform(-2, 2, d) + 0.1 * g.standard_normal(n)


# The 2-D loss 0.5 (w - W_STAR)^T A (w - W_STAR) used for the geometry picture.
W_STAR = np.array([2.0, 0.7])
A_MAT = np.array([[1.0, 0.35], [0.35, 0.6]])


def geometry_solutions(lam):
    """The minimisers of the 2-D loss plus lam ||w||_1 (proximal gradient) and plus (lam/2) ||w||^2 (exact).

    Returns (w_l1 (2,), w_l2 (2,)).
    """
    return _geometry_solutions(V.finite_number("lam", lam, low=0, high=100))


def _geometry_solutions(lam):
    w_l2 = np.linalg.solve(A_MAT + lam * np.eye(2), A_MAT @ W_STAR)
    lr = 1.0 / np.linalg.eigvalsh(A_MAT).max()
    w = np.zeros(2)
    for _ in range(400):
        w = _prox(w - lr * A_MAT @ (w - W_STAR), lr * lam, "l1")
    return w, w_l2


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------

_GRID = np.linspace(-1, 1, 200)


def _freeze_layout(fig):
    """Lay the figure out once (constrained layout), then keep that layout: a redraw only changes data and text."""
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig


@functools.lru_cache(maxsize=1)
def _largest_coefficient():
    # The top of the coefficient panel: the largest |coefficient| any degree reaches without or with the smallest
    # penalty of the slider.
    return max(float(np.abs(_polynomial_fit(d, lam, 0)[0]).max()) for d in range(MAX_DEGREE + 1) for lam in (0.0, 1e-8))


def plot_polynomial_fit(degree=15, lam=0.1, fig=None):
    """Left: the 20 points, the unpenalised fit and the ridge fit at `lam`; right: |coefficients| of both (log).

    degree: 1 … 19; lam: the penalty λ >= 0.  Redraws `fig` in place when given.
    """
    degree = V.integer("degree", degree, low=0, high=MAX_DEGREE)
    lam = _lam("lam", lam)
    x_tr, y_tr, _, _ = _polynomial_data(20, 200, 0.3, 0)
    w0, _, va0 = _polynomial_fit(degree, 0.0, 0)
    w, _, va = _polynomial_fit(degree, lam, 0)
    phi = np.polynomial.legendre.legvander(_GRID, degree)
    curves = (np.clip(phi @ w0, -10, 10), np.clip(phi @ w, -10, 10))
    k = np.arange(degree + 1)
    title = f"validation MSE {va0:.2g} (λ = 0) → {va:.2g}"
    ctitle = f"‖w‖ {np.linalg.norm(w0):.3g} (λ = 0) → {np.linalg.norm(w):.3g}"
    if fig is None:
        fig, (ax, axc) = new_figure(1, 2, figsize=(9.6, 4.0), width_ratios=[1.25, 1])
        ax.plot(_GRID, true_curve(_GRID), color=BLACK, lw=1, ls=":", label="true curve")
        ax.plot(_GRID, curves[0], color=VERMILION, lw=1.6, label="λ = 0")
        ax.plot(_GRID, curves[1], color=BLUE, label="penalty λ")
        ax.plot(x_tr, y_tr, "o", color=BLACK, ms=5, label="20 points")
        ax.set(xlabel="input x", ylabel="output y", ylim=(-2.5, 2.5), title=title)
        ax.xaxis.set_major_locator(FixedLocator([-1, 0, 1]))
        ax.yaxis.set_major_locator(FixedLocator([-2, 0, 2]))
        ax.legend(loc="lower right", fontsize=10)
        axc.plot(k, np.abs(w0) + 1e-6, "o-", color=VERMILION, ms=4, lw=1.2)
        axc.plot(k, np.abs(w) + 1e-6, "s-", color=BLUE, ms=4, lw=1.2)
        light_log_axis(axc, numticks=5)
        axc.xaxis.set_major_locator(FixedLocator([0, 5, 10, 15, 19]))
        top = 10 ** (math.ceil(math.log10(_largest_coefficient())) + 0.5)
        axc.set(xlabel="coefficient index", ylabel="|coefficient|", ylim=(1e-4, top), xlim=(-0.5, 19.5),
                title=ctitle)
        return _freeze_layout(fig)
    ax, axc = fig.axes
    ax.lines[1].set_ydata(curves[0])
    ax.lines[2].set_ydata(curves[1])
    ax.set_title(title)
    axc.lines[0].set_data(k, np.abs(w0) + 1e-6)
    axc.lines[1].set_data(k, np.abs(w) + 1e-6)
    axc.set_title(ctitle)
    return fig


def _about(ratio):
    """A ratio as text: '12' below 1000, otherwise its power of ten ('~10⁹')."""
    return f"{ratio:.0f}" if ratio < 1000 else "~" + power_of_ten_label(10.0 ** round(math.log10(ratio)))


def plot_capacity_curve(lam=0.1):
    """Training and validation MSE against polynomial degree, without and with the penalty `lam`."""
    lam = V.finite_number("lam", lam, low=0, low_open=True)
    fig, ax = new_figure(figsize=(8, 4.2))
    worst = {}
    for lm, style in ((0.0, "-"), (lam, "--")):
        d, tr, va = capacity_curve(lam=lm)
        ax.plot(d, tr, style, color=BLUE, label=f"training, λ = {lm:g}")
        ax.plot(d, va, style, color=ORANGE, label=f"validation, λ = {lm:g}")
        worst[lm] = va.max() / va.min()
    light_log_axis(ax)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="polynomial degree (capacity)", ylabel="mean squared error", ylim=(1e-3, 1e3),
           title=f"Worst / best validation error: {_about(worst[0.0])}× at λ = 0, {_about(worst[lam])}× at "
                 f"λ = {lam:g}")
    ax.legend(fontsize=10, ncol=2, loc="upper left")
    return fig


def plot_shrinkage(lam=1.0, seed=0):
    """Closed forms for an orthonormal design (soft thresholding, proportional shrinkage) vs the numerical solutions."""
    lam = V.finite_number("lam", lam, low=0, high=3)
    X, y = orthonormal_design(seed=seed)
    z = X.T @ y
    zz = np.linspace(-3, 3, 301)
    w1, w2 = penalized_least_squares(X, y, lam, "l1"), penalized_least_squares(X, y, lam, "l2")
    fig, ax = new_figure(figsize=(8, 4.5))
    ax.plot(zz, zz, color=BLACK, lw=1, ls=":", label="no penalty: w = z")
    ax.plot(zz, soft_threshold(zz, lam), color=BLUE, label="L1 closed form: soft threshold")
    ax.plot(zz, proportional_shrink(zz, lam), color=ORANGE, label="L2 closed form: z / (1 + λ)")
    ax.plot(z, w1, "o", color=BLUE, ms=8, mfc="none", label="L1 numerical (ISTA)")
    ax.plot(z, w2, "s", color=ORANGE, ms=8, mfc="none", label="L2 numerical")
    ax.set(xlabel="least-squares coefficient z = Xᵀy", ylabel="penalised coefficient w",
           title=f"λ = {lam:g}: L1 zeroes {int(np.sum(w1 == 0))} of {len(z)} coefficients, L2 none "
                 f"({int(np.sum(w2 == 0))})")
    ax.legend(fontsize=9)
    return fig


def plot_sparse_recovery(X, y, w_true, lam_l1=0.2, lam_l2=0.5):
    """True coefficients vs the L1 (ISTA) and L2 (closed form) estimates, as stems."""
    X, y = _design(X, y)
    w_true = V.array("w_true", w_true, shape=(X.shape[1],))
    lam_l1, lam_l2 = _lam("lam_l1", lam_l1), _lam("lam_l2", lam_l2)
    w1 = penalized_least_squares(X, y, lam_l1, "l1", steps=3000)
    w2 = _ridge(X, y, lam_l2)
    fig, ax = new_figure(figsize=(9.6, 4))
    idx = np.arange(len(w_true))
    ax.plot(idx, w_true, "o", color=BLACK, ms=9, mfc="none", label=f"true ({np.count_nonzero(w_true)} non-zero)")
    ax.vlines(idx - 0.15, 0, w2, color=ORANGE, lw=2.5, label=f"L2, λ={lam_l2:g}: {np.sum(w2 != 0)} non-zero")
    ax.vlines(idx + 0.15, 0, w1, color=BLUE, lw=2.5, label=f"L1, λ={lam_l1:g}: {np.sum(w1 != 0)} non-zero")
    ax.axhline(0, color=BLACK, lw=0.8)
    same = set(np.flatnonzero(w1)) == set(np.flatnonzero(w_true))
    ax.set(xlabel="feature index", ylabel="coefficient",
           title=("L1 keeps exactly the true features" if same else "L1 keeps a different set of features")
           + f"; L2 keeps {np.sum(w2 != 0)} of {len(w2)}")
    ax.legend(fontsize=10, loc="lower left")
    return fig


@functools.lru_cache(maxsize=1)
def _contours():
    vals, vecs = np.linalg.eigh(A_MAT)
    t = np.linspace(0, 2 * np.pi, 120)
    u = np.stack([np.cos(t), np.sin(t)])
    return vecs @ (u / np.sqrt(vals)[:, None])  # the level set of loss 0.5, centred at 0: scale by sqrt(2 level)


def _level_ellipse(level):
    return (W_STAR[:, None] + np.sqrt(2 * max(level, 0.0)) * _contours()).T


def _ball(kind, r):
    if kind == "l2":
        t = np.linspace(0, 2 * np.pi, 120)
        return r * np.stack([np.cos(t), np.sin(t)], 1)
    return r * np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]], dtype=float)


def _loss2d(w):
    d = w - W_STAR
    return 0.5 * d @ A_MAT @ d


GEOMETRY_LAMS = (0.01, 10 ** 0.5)  # the slider's range


def plot_penalty_geometry(lam=1.0, fig=None):
    """Loss contours meeting the L1 diamond (left) and the L2 circle (right) at the penalised minimiser.

    lam: 0.01 … 3.16 (the slider's range; the panels are sized so the diamond always fits).
    """
    lam = V.finite_number("lam", lam, low=GEOMETRY_LAMS[0], high=GEOMETRY_LAMS[1])
    w1, w2 = _geometry_solutions(lam)
    panels = [("l1", w1, np.abs(w1).sum()), ("l2", w2, np.linalg.norm(w2))]
    titles = [f"L1: w = ({w1[0]:.2f}, {w1[1]:.2f})" + (", sparse" if np.any(w1 == 0) else ""),
              f"L2: w = ({w2[0]:.2f}, {w2[1]:.2f}), shrunk"]
    if fig is None:
        fig, axes = new_figure(1, 2, figsize=(9.6, 5.2))
        for ax, (kind, w, r), title in zip(axes, panels, titles):
            for level in (0.05, 0.3, 0.8, 1.6, 2.8, 4.5):
                e = _level_ellipse(level)
                ax.plot(e[:, 0], e[:, 1], color=BLACK, lw=0.6, alpha=0.35)
            ax.axhline(0, color=BLACK, lw=0.8)
            ax.axvline(0, color=BLACK, lw=0.8)
            ball = _ball(kind, r)
            ax.plot(ball[:, 0], ball[:, 1], color=BLUE if kind == "l1" else ORANGE, lw=2.5,
                    label="‖w‖₁ = const" if kind == "l1" else "‖w‖₂ = const")
            e = _level_ellipse(_loss2d(w))
            ax.plot(e[:, 0], e[:, 1], color=VERMILION, lw=1.8, label="loss contour")
            ax.plot(*W_STAR, "*", color=BLACK, ms=14, label="no penalty")
            ax.plot(*w, "o", color=GREEN, ms=10, label="with penalty")
            ax.set(xlim=(-2.9, 3.3), ylim=(-2.9, 2.9), aspect="equal", xlabel="weight w₁", ylabel="weight w₂",
                   title=title)
            ax.grid(False)
            ax.xaxis.set_major_locator(FixedLocator([-2, 0, 2]))
            ax.yaxis.set_major_locator(FixedLocator([-2, 0, 2]))
            ax.legend(fontsize=9, loc="lower right")
        fig.suptitle(f"λ = {lam:.3g}")
        return _freeze_layout(fig)
    for ax, (kind, w, r), title in zip(fig.axes, panels, titles):
        ball = _ball(kind, r)
        ax.lines[8].set_data(ball[:, 0], ball[:, 1])
        e = _level_ellipse(_loss2d(w))
        ax.lines[9].set_data(e[:, 0], e[:, 1])
        ax.lines[11].set_data([w[0]], [w[1]])
        ax.set_title(title)
    fig._suptitle.set_text(f"λ = {lam:.3g}")
    return fig


def _sweep(sweep):
    if not isinstance(sweep, dict) or not {"lams", "Adam + L2", "AdamW", "none acc"} <= set(sweep):
        raise TypeError("sweep must be the dict returned by decay_sweep(...)")
    return sweep


def plot_decay_sweep(sweep):
    """Test accuracy (left) and weight norm (right) against λ for Adam + L2 and AdamW; one dot per seed."""
    sweep = _sweep(sweep)
    lams = sweep["lams"]
    fig, axes = new_figure(1, 2, figsize=(9.6, 4.2))
    for ax, key, none_key, unit in zip(axes, ("test acc", "weight norm"), ("none acc", "none norm"),
                                       (100, 1)):
        ax.axhline(unit * np.mean(sweep[none_key]), color=BLACK, lw=1, ls=":", label="no decay")
        for (name, colour), dx in zip((("Adam + L2", VERMILION), ("AdamW", BLUE)), (0.93, 1.07)):
            values = unit * sweep[name][key]
            ax.plot(lams, values.mean(1), "-", color=colour, lw=1.8, label=name)
            for s in range(values.shape[1]):
                ax.plot(lams * dx, values[:, s], "o", color=colour, ms=4, alpha=0.6)
        light_log_axis(ax, "x")
        ax.set(xlabel="decay strength λ")
    axes[0].set(ylabel="test accuracy (%)", ylim=(0, 100))
    axes[1].set(ylabel="‖W‖ after training")
    axes[0].legend(fontsize=10, loc="lower left")
    adam, adamw = sweep["Adam + L2"]["test acc"], sweep["AdamW"]["test acc"]
    collapse = lams[np.argmax(np.all(adam < 0.2, axis=1))] if np.any(np.all(adam < 0.2, axis=1)) else None
    text = f"Adam + L2 collapses from λ = {collapse:g}" if collapse is not None else "Adam + L2 never collapses"
    fig.suptitle(f"{text}; AdamW's worst mean: {100 * adamw.mean(1).min():.0f} %")
    return fig


def _histories(hists):
    if not isinstance(hists, dict) or not hists or not all(isinstance(h, History) for h in hists.values()):
        raise TypeError("hists must be a dict label -> History (from run_regulariser or fit)")
    return hists


def first_step_at_full_training_accuracy(hist):
    """The first evaluated step at which every training label is fitted (training accuracy 100 %), or None."""
    if not isinstance(hist, History):
        raise TypeError(f"hist must be a History (from run_regulariser or fit), got {type(hist).__name__}")
    return next((s for s, a in zip(hist.step, hist.train_acc) if a >= 1.0), None)


def plot_dropout_effect(hists):
    """Training and test accuracy against step for {label: History} (e.g. no dropout vs dropout)."""
    hists = _histories(hists)
    fig, ax = new_figure(figsize=(8, 4.2))
    for (label, h), colour in zip(hists.items(), (VERMILION, BLUE, GREEN, PURPLE)):
        ax.plot(h.step, 100 * np.array(h.train_acc), "--", color=colour, lw=1.6, label=f"{label}: training")
        ax.plot(h.step, 100 * np.array(h.test_acc), "-", color=colour, label=f"{label}: test")
    reach = {label: first_step_at_full_training_accuracy(h) for label, h in hists.items()}
    ax.set(xlabel="training step", ylabel="accuracy (%)", ylim=(0, 101),
           title="100 % training accuracy at step " + ", ".join(f"{s if s else 'never'} ({label})"
                                                               for label, s in reach.items()))
    ax.legend(fontsize=10, loc="lower right")
    return fig


def plot_augmentations(index=2):
    """One digit, its eight one-pixel shifts, and its mirror image (which is not a valid digit)."""
    x, y = _digits_arrays()
    index = V.integer("index", index, low=0, high=len(x) - 1)
    img = x[index].reshape(1, 8, 8)
    fig, axes = new_figure(2, 5, figsize=(8, 3.9))
    shifts = [(0, 0), (-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)]
    for ax, (dx, dy) in zip(axes.flat, shifts):
        ax.imshow(shift_images(img, dx, dy)[0].numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title("original" if (dx, dy) == (0, 0) else f"shift ({dx:+d},{dy:+d})", fontsize=11)
    ax = axes.flat[-1]
    ax.imshow(img[0].flip(1).numpy(), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("mirrored ✗", fontsize=11, color=VERMILION)
    for ax in axes.flat:  # a light frame on all four sides (the course style would leave an L of two spines)
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color("0.75")
    fig.suptitle(f"Label {int(y[index])}: shifts keep it; the mirror image is no digit")
    return fig


def plot_early_stopping(patience=5, fig=None):
    """The validation loss of the unregularised run (seed 0) with the kept step and the stopping step for
    `patience` (1 … 20 evaluations of every 5 steps) marked; the title gives the kept weights' test accuracy."""
    patience = V.size("patience", patience, high=20)
    steps, tr, va, acc = early_stopping_curve()
    best, stop = _early_stopping(va, patience)
    title = f"patience {patience}: stop at step {steps[stop]}, keep step {steps[best]} ({100 * acc[best]:.1f} % test)"
    if fig is None:
        fig, ax = new_figure(figsize=(8, 4.2))
        ax.plot(steps, tr, color=BLUE, lw=1.6, label="training loss")
        ax.plot(steps, va, color=ORANGE, label="validation loss")
        ax.plot([steps[best]], [va[best]], "o", color=GREEN, ms=10, label="weights kept")
        ax.axvline(steps[stop], color=VERMILION, ls="--", label="training stops")
        ax.set(xlabel="training step", ylabel="cross-entropy loss", ylim=(0, 1.1 * va.max()), title=title)
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))  # few tick labels: text is most of a redraw
        ax.yaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 5, 10]))
        ax.legend(fontsize=10, loc="center right")
        return _freeze_layout(fig)
    ax = fig.axes[0]
    ax.lines[2].set_data([steps[best]], [va[best]])
    ax.lines[3].set_xdata([steps[stop], steps[stop]])
    ax.set_title(title)
    return fig


def _more(runs):
    if not isinstance(runs, dict) or not runs or not all(isinstance(v, list) and v for v in runs.values()):
        raise TypeError("runs must be the dict returned by more_data_runs(...)")
    return runs


def plot_more_data(runs):
    """Test accuracy against step for each training-set size in {n_train: [History per seed]} (mean over seeds)."""
    runs = _more(runs)
    fig, ax = new_figure(figsize=(8, 4.2))
    finals = []
    for (n, hs), colour in zip(runs.items(), (VERMILION, ORANGE, GREEN, BLUE, PURPLE)):
        mean = 100 * np.mean([h.test_acc for h in hs], axis=0)
        ax.plot(hs[0].step, mean, color=colour, label=f"{n} training images")
        finals.append(mean[-1])
    rises = all(b > a for a, b in zip(finals, finals[1:]))
    ax.set(xlabel="training step", ylabel="test accuracy (%)", ylim=(40, 100),
           title=("Each doubling of the data lifts" if rises else "More data does not always lift")
           + f" the final mean test accuracy ({len(next(iter(runs.values())))} seeds)")
    ax.legend(fontsize=10, loc="lower right")
    return fig


def _table(table):
    if not isinstance(table, dict) or not {"names", "test acc"} <= set(table) or "none" not in table["names"]:
        raise TypeError("table must be the dict returned by comparison(...), including 'none'")
    return table


def plot_comparison(table, more=None):
    """Gain in test accuracy over no regulariser, one dot per seed and the mean as a bar, for each regulariser of
    `table` (from `comparison`) and, from `more` (from `more_data_runs`), for the unregularised net with more data."""
    table = _table(table)
    none = table["test acc"][list(table["names"]).index("none")]
    gains = {n: 100 * (acc - none) for n, acc in zip(table["names"], table["test acc"]) if n != "none"}
    if more is not None:
        for n, hs in _more(more).items():
            if n != 100:
                gains[f"no regulariser, {n} images"] = 100 * (np.array([h.test_acc[-1] for h in hs]) - none)
    order = sorted(gains, key=lambda k: np.mean(gains[k]))
    short = {COMBINATION: "dropout + augment + early stop"}
    fig, ax = new_figure(figsize=(9.6, 0.45 * len(order) + 1.6))
    for i, name in enumerate(order):
        colour = GREEN if "images" in name else BLUE
        ax.barh(i, np.mean(gains[name]), color=colour, alpha=0.35, height=0.7)
        ax.plot(gains[name], np.full(len(gains[name]), i), "o", color=colour, ms=6)
    ax.axvline(0, color=BLACK, lw=1)
    ax.set_yticks(range(len(order)), [short.get(n, n) for n in order], fontsize=11)
    ax.grid(False, axis="y")
    always = [n for n in gains if "images" not in n and np.all(gains[n] > 0)]
    ax.set(xlabel=f"test accuracy gain over no regulariser (points; one dot per seed, {len(none)} seeds)",
           title=f"{len(always)} of {sum('images' not in n for n in gains)} regularisers gain in every seed; "
                 f"largest mean gain:\n{short.get(order[-1], order[-1])}")
    return fig


VIEW_SWEEPS = {
    "plot_polynomial_fit": [{"degree": d, "lam": lam} for d in (1, 8, 19) for lam in (1e-8, 1e-3, 10.0)],
    "plot_penalty_geometry": [{"lam": lam} for lam in (0.01, 0.3, 1.0, 3.16)],
    "plot_early_stopping": [{"patience": p} for p in (1, 2, 5, 20)],
}


# ---------------------------------------------------------------------------------------------
# Exercise checkers
# ---------------------------------------------------------------------------------------------

EXERCISE_Z = (3.0, -0.5, 1.2, -2.0)
EXERCISE_LAM = 1.0


def check_soft_threshold(answer):
    """The soft-thresholding of EXERCISE_Z with threshold EXERCISE_LAM, computed by hand (a list of 4 numbers)."""
    if answer is None or answer is ...:
        return feedback(False, "fill in `my_answer` with four numbers first")
    z = np.array(EXERCISE_Z)
    expected = np.sign(z) * np.maximum(np.abs(z) - EXERCISE_LAM, 0)
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return feedback(False, f"write four numbers, got {answer!r}")
    if a.shape == z.shape:
        if np.allclose(a, z / (1 + EXERCISE_LAM)):
            return feedback(False, "that is L2's proportional shrinkage z / (1 + λ); L1 subtracts λ from |z| instead")
        if np.allclose(a, z - np.sign(z) * EXERCISE_LAM):
            return feedback(False, "you subtracted λ from every |z|, also where |z| < λ: those must stop at 0")
        if np.allclose(a, np.maximum(z - EXERCISE_LAM, 0)):
            return feedback(False, "negative z must shrink towards 0 too: keep the sign, shrink |z|")
    return check_close(answer, expected, rtol=0, atol=1e-6, what="your soft-thresholded vector")


def _call_dropout(fn, x, p, seed):
    return fn(x.clone(), p, torch.Generator().manual_seed(seed))


def check_inverted_dropout(fn, p=0.3, seed=0):
    """Check a learner's `fn(x, p, generator)` implementing inverted dropout in training mode.

    The input is random (not all ones), so a function that ignores x is caught; the mask is compared with the one
    drawn from the same seeded generator, so a function that ignores the generator (F.dropout, a fixed pattern)
    is caught too.
    """
    if not callable(fn):
        return feedback(False, f"pass your function itself (my_dropout, without brackets), got {fn!r}")
    p, seed = V.probability("p", p, allow_zero=False, allow_one=False), V.seed_value("seed", seed)
    x = torch.rand(100_000, generator=torch.Generator().manual_seed(seed + 1)) + 0.5
    try:
        out = _call_dropout(fn, x, p, seed)
        again = _call_dropout(fn, x, p, seed)
        other = _call_dropout(fn, x, p, seed + 7)
    except Exception as exc:  # a learner's bug: report it, do not raise
        return feedback(False, f"your function raised {type(exc).__name__}: {exc}")
    if not all(isinstance(o, torch.Tensor) and o.shape == x.shape for o in (out, again, other)):
        return feedback(False, "return one tensor of the same shape as x (not a tuple, not the mask)")
    if torch.equal(out, x):
        return feedback(False, "your function returns x unchanged: in training, drop each element with "
                               "probability p")
    if not torch.equal(out, again):
        return feedback(False, "two calls with identically seeded generators gave different masks: draw the "
                               "random numbers from `generator` (F.dropout and torch.rand without generator= use "
                               "the global generator)")
    if torch.equal(out == 0, other == 0):
        return feedback(False, "the same elements are dropped whatever the generator's seed: the mask must be "
                               "random, drawn from `generator`")
    dropped = float((out == 0).float().mean())
    if abs(dropped - (1 - p)) < 0.01 and abs(p - 0.5) > 0.05:
        return feedback(False, f"{dropped:.1%} of the elements were dropped, about 1 − p: p is the probability "
                               f"of dropping (CS231n's p is the probability of keeping)")
    if abs(dropped - p) > 0.01:
        return feedback(False, f"{dropped:.1%} of the elements were dropped; expected about p = {p:.0%}")
    kept = out != 0
    ratio = out[kept] / x[kept]
    if torch.allclose(out[kept], torch.full_like(out[kept], 1 / (1 - p))) or torch.allclose(
            out[kept], torch.ones_like(out[kept])):
        return feedback(False, "the kept values do not depend on x: multiply the input by the mask, "
                               "do not return the mask itself")
    if torch.allclose(ratio, torch.ones_like(ratio)):
        return feedback(False, f"the kept elements are not scaled: divide them by 1 − p = {1 - p:g}, "
                               f"so the mean is unchanged")
    if torch.allclose(ratio, torch.full_like(ratio, 1 - p)):
        return feedback(False, "you multiplied the kept elements by 1 − p; inverted dropout divides by 1 − p")
    if not torch.allclose(ratio, torch.full_like(ratio, 1 / (1 - p))):
        return feedback(False, f"kept elements should equal x / (1 − p) = x × {1 / (1 - p):.4f}; "
                               f"yours are x × {float(ratio.median()):.4f} (median)")
    u = torch.rand(x.shape, generator=torch.Generator().manual_seed(seed))
    if not (torch.equal(kept, u >= p) or torch.equal(kept, u < 1 - p)):
        return feedback(False, "your mask is not the one drawn from `generator`: draw u = torch.rand(x.shape, "
                               "generator=generator) once and keep the elements where u >= p")
    return feedback(True, "", f"Correct: {dropped:.1%} dropped, kept values x / (1 − p), mean "
                              f"{float(out.mean()):.3f} vs {float(x.mean()):.3f} before.")


EXERCISE_LOSSES = (2.0, 1.6, 1.5, 1.55, 1.45, 1.5, 1.5, 1.52, 1.4, 1.6, 1.7, 1.8, 1.9)
_ES_CASES = (EXERCISE_LOSSES, (3.0, 2.0, 2.0, 2.5, 1.0, 1.1), (1.0, 2.0, 0.5, 0.6, 0.7, 0.4),
             (5.0, 4.0, 3.0, 2.0), (1.0, 1.0, 1.0, 1.0, 1.0))


def _mutant_stops(losses, patience, kind):
    """Where common wrong versions of early stopping stop (for the checker's hints)."""
    best, best_i, waited, bad = math.inf, 0, 0, 0
    for i, v in enumerate(losses):
        improved = v <= best if kind == "ties" else v < best
        if improved:
            best, best_i = v, i
            waited = waited if kind == "no reset" else 0
        else:
            waited += 1
            bad += 1
            if waited >= patience + (1 if kind == "late" else 0):
                return best_i, i
    return best_i, len(losses) - 1


def check_early_stopping(fn):
    """Check a learner's `fn(val_losses, patience)` returning (best_index, stop_index), as `early_stopping` does."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (my_early_stopping, without brackets), got {fn!r}")
    for losses in _ES_CASES:
        for patience in (1, 2, 3):
            expected = _early_stopping(np.array(losses), patience)
            try:
                got = fn(list(losses), patience)
                got = tuple(int(v) for v in got)
            except Exception as exc:  # a learner's bug: report it, do not raise
                return feedback(False, f"on losses {list(losses)} with patience {patience} your function failed "
                                       f"({type(exc).__name__}: {exc}); return two whole numbers (best, stop)")
            if got == expected:
                continue
            where = f"on losses {list(losses)} with patience {patience} you returned {got}, expected {expected}"
            if len(got) != 2:
                return feedback(False, f"return two numbers (best_index, stop_index); {where}")
            if got[1] == expected[1] and got[0] == expected[1]:
                return feedback(False, f"you keep the weights of the step where training stopped; keep those of "
                                       f"the best validation loss: {where}")
            for kind, hint in (("late", "you stop one evaluation too late: stop at the patience-th evaluation in a "
                                        "row without a new best"),
                               ("no reset", "reset the count of evaluations without improvement when a new best "
                                            "appears"),
                               ("ties", "a loss equal to the best so far is not an improvement")):
                if got == _mutant_stops(losses, patience, kind):
                    return feedback(False, f"{hint}: {where}")
            if got[1] == len(losses) - 1 and expected[1] < got[1]:
                return feedback(False, f"your training never stops early: {where}")
            return feedback(False, where)
    return feedback(True, "", "Correct: right best step and stopping step on every test sequence.")


DECAY_STEPS = 300


def check_decay_strength(answer):
    """λ for which AdamW (η = LR, DECAY_STEPS steps) halves a weight whose data gradient is zero throughout."""
    expected = (1 - 0.5 ** (1 / DECAY_STEPS)) / LR
    if answer is None or answer is ...:
        return feedback(False, "replace the placeholder with your λ, then run this cell again")
    a = learner_number(answer)[0]
    if a is None:
        return feedback(False, f"write λ as one number, got {answer!r}")
    if math.isclose(a, expected, rel_tol=0.01):
        return feedback(True, "", f"Correct: λ ≈ {expected:.3f}, so (1 − ηλ)^{DECAY_STEPS} = "
                                  f"{(1 - LR * a) ** DECAY_STEPS:.3f}.")
    hints = ((0.5 / (LR * DECAY_STEPS), "the decay compounds: the weight is multiplied by (1 − ηλ) at every step, "
                                        "so after T steps by (1 − ηλ)^T, not by 1 − Tηλ"),
             (1 - 0.5 ** (1 / DECAY_STEPS), "that is ηλ, the shrink per step; divide by the learning rate η"),
             (0.5 / LR, "that halves the weight in a single step; it must take all 300 steps"),
             (0.5, "λ is not the fraction removed; the weight is multiplied by (1 − ηλ) at each step"),
             (math.log(2) / DECAY_STEPS, "that is ηλ; divide by the learning rate η"))
    for value, hint in hints:
        if math.isclose(a, value, rel_tol=0.02):
            return feedback(False, hint)
    return feedback(False, f"with λ = {a:g} the weight ends at {max(1 - LR * a, 0) ** DECAY_STEPS:.3g} of its start, "
                           f"not 0.5")


TRANSFORMS = {"a": "shift by one pixel", "b": "mirror left–right", "c": "rotate by 10°",
              "d": "rotate by 180°", "e": "add faint random noise to the pixels"}
_KEEPS_LABEL = {"a", "c", "e"}


def check_label_preserving(answer):
    """The letters of TRANSFORMS that keep every digit's label (a set, list or string of letters)."""
    if answer is None or answer is ...:
        return feedback(False, "write the letters of the transformations you chose, e.g. {'a', 'b'}")
    if isinstance(answer, str):
        answer = [c for c in answer.lower() if c.isalpha()]
    try:
        chosen = {str(c).strip().lower() for c in answer}
    except TypeError:
        return feedback(False, f"write a set of letters such as {{'a', 'b'}}, got {answer!r}")
    unknown = chosen - set(TRANSFORMS)
    if unknown:
        return feedback(False, f"{sorted(unknown)} is not one of the letters {sorted(TRANSFORMS)}")
    if "b" in chosen:
        return feedback(False, "a mirrored 2, 3, 4 or 7 is no digit at all, and the net never sees mirrored digits "
                               "at test time")
    if "d" in chosen:
        return feedback(False, "turned upside down, a 6 becomes a 9 (and a 9 a 6): that changes the label")
    missing = _KEEPS_LABEL - chosen
    if missing:
        return feedback(False, f"{', '.join(TRANSFORMS[m] for m in sorted(missing))}: would a person still read "
                               f"the same digit? Then it keeps the label")
    return feedback(True, "", "Correct: small shifts, small rotations and faint noise keep every digit readable as "
                              "itself.")


__all__ = [
    "SEEDS", "LR", "STEPS", "BATCH_SIZE", "LABEL_NOISE", "REGULARISERS", "COMBINATION", "DECAY_LAMS", "VIEW_SWEEPS",
    "EXERCISE_Z", "EXERCISE_LAM", "EXERCISE_LOSSES", "DECAY_STEPS", "TRANSFORMS",
    "CAPACITY", "ADAMW_SHRINK", "L1_ZEROS", "COMBINATION_VS_DATA",
    "l2_penalty", "l1_penalty", "soft_threshold", "proportional_shrink", "proximal_step", "penalized_least_squares",
    "ridge", "inverted_dropout", "InvertedDropout", "early_stopping", "shift_images", "random_shift", "weight_norm",
    "weights_of",
    "legendre_features", "true_curve", "polynomial_data", "polynomial_fit", "capacity_curve", "sgd_decay_equivalence",
    "dropout_vs_torch", "digits_task", "wrong_labels", "build_model", "fit", "run_regulariser", "comparison",
    "format_comparison", "more_data_runs", "decay_sweep", "l1_weight_stats", "early_stopping_curve",
    "sparse_regression", "orthonormal_design", "geometry_solutions", "GEOMETRY_LAMS", "EVAL_EVERY",
    "plot_polynomial_fit", "plot_capacity_curve", "plot_shrinkage", "plot_sparse_recovery", "plot_penalty_geometry",
    "plot_decay_sweep", "first_step_at_full_training_accuracy", "plot_dropout_effect", "plot_augmentations",
    "plot_early_stopping", "plot_more_data",
    "plot_comparison",
    "check_soft_threshold", "check_inverted_dropout", "check_early_stopping", "check_decay_strength",
    "check_label_preserving",
]
