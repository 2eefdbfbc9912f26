"""Regularisation from scratch: the maths of notebook 06, the file to read.

Read it top to bottom; each function is one idea, with the shapes in its docstring:
1. The penalties: `l2_penalty` ((λ/2)‖w‖², whose gradient λw is weight decay) and `l1_penalty` (λ‖w‖₁).
2. Their proximal steps: `soft_threshold` (L1: sign(z)·max(|z| − λ, 0), which gives exact zeros) and
   `proportional_shrink` (L2: z / (1 + λ)); `proximal_step` takes one step of proximal gradient descent,
   `penalized_least_squares` runs it on a least-squares loss (ISTA), and `ridge` is L2's closed form.
3. Dropout: `inverted_dropout` (drop with probability p, scale the survivors by 1 / (1 − p)) and the layer
   `InvertedDropout`.
4. Early stopping: `early_stopping` (where training with a given patience stops, and which weights it keeps).
5. Data augmentation: `shift_images` and `random_shift` (shifts by one pixel).
6. What the penalties act on: `weights_of` (the weight matrices only) and `weight_norm`.
A function named `_…` here is the computation of the public one just above it without the input checks (the other
rooms call it where the inputs are already checked); the checks themselves are in `_checks.py`.  Every random draw
comes from an explicit, seeded generator.
"""

import math

import numpy as np
import torch
from torch import nn

from utils import validation as V

from ._checks import _design, _dropout_p, _generator, _lam, _model, _shift, _values, _weights


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


def weights_of(model):
    """The weight matrices of `model`: the parameters the penalties and the decay act on.

    Biases and the scale and shift of normalisation layers (1-D parameters) are left out, as is usual: they are
    few, and pulling them towards 0 does not make the function simpler (a BN scale of 0 switches a unit off).
    """
    return [p for n, p in _model(model).named_parameters() if n.endswith("weight") and p.ndim > 1]


def weight_norm(model):
    """Euclidean norm of all weight matrices of `model` (biases and normalisation parameters excluded)."""
    return math.sqrt(sum(float((p.detach() ** 2).sum()) for p in weights_of(model)))
