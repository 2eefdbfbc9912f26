"""Overfitting and the regularisers that fight it (L2, L1, dropout, augmentation, early stopping): notebook 06."""

import copy
import functools
import math

import numpy as np
import torch
from matplotlib.ticker import MaxNLocator
from torch import nn

from utils.device import one_cpu_thread
from utils.exercises import check_close, feedback
from utils.plotstyle import BLACK, BLUE, GREEN, ORANGE, PURPLE, VERMILION, light_log_axis, new_figure
from utils.training import History, evaluate, make_mlp

# ---------------------------------------------------------------------------------------------
# Pure computations
# ---------------------------------------------------------------------------------------------


def _check_lambda(lam, name="lam"):
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a non-negative number, got {lam!r}")
    if not lam >= 0 or not math.isfinite(lam):
        raise ValueError(f"{name} must be a finite number >= 0, got {lam}")


def _check_p(p):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"dropout probability p must be a number in [0, 1), got {p!r}")
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability p must be in [0, 1), got {p}")


def _as_list(weights):
    if isinstance(weights, torch.Tensor):
        return [weights]
    weights = list(weights)
    if not all(isinstance(w, torch.Tensor) for w in weights):
        raise TypeError("weights must be a tensor or an iterable of tensors")
    return weights


def l2_penalty(weights, lam):
    """(lam / 2) * sum of squared weights, the penalty whose gradient is lam * w.

    weights: a tensor or an iterable of tensors (any shapes).  Returns a scalar tensor.
    With this convention `torch.optim.SGD(weight_decay=lam)` adds exactly its gradient.
    """
    _check_lambda(lam)
    return 0.5 * lam * sum((w ** 2).sum() for w in _as_list(weights))


def l1_penalty(weights, lam):
    """lam * sum of absolute weights.  weights: a tensor or iterable of tensors.  Returns a scalar tensor."""
    _check_lambda(lam)
    return lam * sum(w.abs().sum() for w in _as_list(weights))


def soft_threshold(z, threshold):
    """sign(z) * max(|z| - threshold, 0), elementwise: the proximal step of threshold * ||w||_1.

    z: array or tensor (any shape); threshold >= 0.  Returns the same type and shape.
    """
    _check_lambda(threshold, "threshold")
    if isinstance(z, torch.Tensor):
        return torch.sign(z) * torch.clamp(z.abs() - threshold, min=0.0)
    z = np.asarray(z, dtype=float)
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


def proportional_shrink(z, lam):
    """z / (1 + lam): the minimiser of 0.5 (w - z)^2 + (lam / 2) w^2, elementwise (L2's closed form)."""
    _check_lambda(lam)
    return z / (1.0 + lam)


def proximal_step(w, grad, lr, lam, penalty="l1"):
    """One proximal-gradient step on loss(w) + penalty(w): a gradient step on the loss, then the penalty's prox.

    w, grad: arrays of the same shape; lr > 0.  penalty "l1" (lam ||w||_1, soft thresholding) or
    "l2" ((lam/2) ||w||^2, proportional shrinkage).  Returns the new w.
    """
    _check_lambda(lam)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    z = w - lr * grad
    if penalty == "l1":
        return soft_threshold(z, lr * lam)
    if penalty == "l2":
        return proportional_shrink(z, lr * lam)
    raise ValueError(f"penalty must be 'l1' or 'l2', got {penalty!r}")


def penalized_least_squares(X, y, lam, penalty="l1", steps=2000):
    """Numerically minimise 0.5 ||y - X w||^2 + penalty(w) by proximal gradient descent (ISTA).

    X: (n, d), y: (n,).  penalty "l1": lam ||w||_1; "l2": (lam/2) ||w||^2.  Returns w (d,) float64.
    """
    _check_lambda(lam)
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, d) and y (n,), got {X.shape} and {y.shape}")
    lr = 1.0 / max(np.linalg.norm(X, 2) ** 2, 1e-12)  # 1 / Lipschitz constant of the gradient
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        w = proximal_step(w, X.T @ (X @ w - y), lr, lam, penalty)
    return w


def ridge(X, y, lam):
    """Closed-form minimiser of 0.5 ||y - X w||^2 + (lam/2) ||w||^2 (least norm when lam = 0).

    X: (n, d), y: (n,).  Returns w (d,).
    """
    _check_lambda(lam)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    d = X.shape[1]
    # Solving the stacked system [X; sqrt(lam) I] w = [y; 0] avoids squaring the condition number.
    A = np.vstack([X, math.sqrt(lam) * np.eye(d)])
    b = np.concatenate([y, np.zeros(d)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def inverted_dropout(x, p, training=True, generator=None):
    """Inverted dropout: zero each element with probability p and scale survivors by 1 / (1 - p).

    x: tensor (any shape).  In evaluation (training=False) it returns x itself, unchanged.
    Returns (out, mask) where mask (same shape as x, bool) marks the kept elements (None in eval).
    """
    _check_p(p)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not training or p == 0:
        return x, None
    dev = generator.device if generator is not None else x.device
    keep = torch.rand(x.shape, generator=generator, device=dev).to(x.device) >= p
    return x * keep / (1.0 - p), keep


class InvertedDropout(nn.Module):
    """`inverted_dropout` as a layer (follows `model.train()` / `model.eval()`)."""

    def __init__(self, p=0.5, seed=0):
        super().__init__()
        _check_p(p)
        self.p = p
        self.generator = torch.Generator().manual_seed(seed)

    def forward(self, x):
        return inverted_dropout(x, self.p, self.training, self.generator)[0]


def early_stopping(val_losses, patience):
    """Where early stopping with `patience` would stop on a sequence of validation losses.

    val_losses: sequence of numbers, one per evaluation.  Training stops after `patience`
    evaluations in a row without a new best.  Returns (best_index, stop_index): the weights
    to keep are those of best_index; stop_index is the last evaluation done (len - 1 if it never stops).
    """
    if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)):
        raise TypeError(f"patience must be an integer >= 1, got {patience!r}")
    if patience < 1:
        raise ValueError(f"patience must be >= 1 evaluation, got {patience}")
    losses = [float(v) for v in val_losses]
    if not losses:
        raise ValueError("val_losses is empty")
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
    """Shift images (N, H, W) by integer pixels (dx right, dy down; tensors (N,) or ints), filling with 0."""
    n, h, w = images.shape
    padded = torch.zeros(n, h + 2, w + 2, dtype=images.dtype, device=images.device)
    padded[:, 1:-1, 1:-1] = images
    dx = torch.as_tensor(dx, device=images.device).expand(n)
    dy = torch.as_tensor(dy, device=images.device).expand(n)
    if (dx.abs() > 1).any() or (dy.abs() > 1).any():
        raise ValueError("shift_images shifts by at most one pixel (dx, dy in {-1, 0, 1})")
    rows = (torch.arange(h, device=images.device)[None, :] + 1 - dy[:, None])  # (N, H)
    cols = (torch.arange(w, device=images.device)[None, :] + 1 - dx[:, None])  # (N, W)
    return padded[torch.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def random_shift(x, image_shape=(8, 8), generator=None):
    """Shift each flattened image of x (N, H*W) by a random dx, dy in {-1, 0, 1}.  Returns (N, H*W)."""
    n = len(x)
    d = torch.randint(-1, 2, (2, n), generator=generator).to(x.device)
    return shift_images(x.reshape(n, *image_shape), d[0], d[1]).reshape(n, -1)


def weight_norm(model):
    """Euclidean norm of all weight matrices of `model` (biases and normalisation parameters excluded)."""
    return math.sqrt(sum(float((p.detach() ** 2).sum()) for n, p in model.named_parameters()
                         if n.endswith("weight") and p.ndim > 1))


def weights_of(model):
    """The weight matrices of `model` (the parameters the penalties act on)."""
    return [p for n, p in model.named_parameters() if n.endswith("weight") and p.ndim > 1]


# ---------------------------------------------------------------------------------------------
# Experiments
# ---------------------------------------------------------------------------------------------


def legendre_features(x, degree):
    """Legendre polynomials P_0..P_degree of x in [-1, 1] (well conditioned).  x: (n,).  Returns (n, degree+1)."""
    if not isinstance(degree, (int, np.integer)) or degree < 0:
        raise ValueError(f"degree must be an integer >= 0, got {degree!r}")
    return np.polynomial.legendre.legvander(np.asarray(x, dtype=float), int(degree))


def true_curve(x):
    """The function behind the polynomial data: a smooth bump and a slope."""
    return np.sin(2.5 * x) + 0.5 * x


@functools.lru_cache(maxsize=4)
def polynomial_data(n_train=20, n_val=200, noise=0.3, seed=0):
    """Few noisy points for fitting polynomials.  Returns (x_train, y_train, x_val, y_val), 1-D float64 arrays."""
    g = np.random.default_rng(seed)
    x_tr = np.sort(g.uniform(-1, 1, n_train))
    x_va = g.uniform(-1, 1, n_val)
    return (x_tr, true_curve(x_tr) + noise * g.standard_normal(n_train),
            x_va, true_curve(x_va) + noise * g.standard_normal(n_val))


def polynomial_fit(degree, lam, seed=0):
    """Ridge fit of a degree-`degree` polynomial to `polynomial_data(seed=seed)`.

    Returns coefficients (degree+1,), training MSE and validation MSE.
    """
    x_tr, y_tr, x_va, y_va = polynomial_data(seed=seed)
    w = ridge(legendre_features(x_tr, degree), y_tr, lam)
    mse = [float(np.mean((legendre_features(x, degree) @ w - y) ** 2)) for x, y in ((x_tr, y_tr), (x_va, y_va))]
    return w, mse[0], mse[1]


def capacity_curve(degrees=range(0, 20), lam=0.0, seed=0):
    """Training and validation MSE for each degree.  Returns (degrees (k,), train (k,), val (k,)) arrays."""
    rows = np.array([polynomial_fit(int(d), lam, seed)[1:] for d in degrees])
    return np.array(list(degrees)), rows[:, 0], rows[:, 1]


def sgd_decay_equivalence(lam=0.01, lr=0.1, steps=50, seed=0):
    """Train one small linear classifier three ways with plain SGD and compare the weights.

    (a) autograd on loss + l2_penalty, (b) torch.optim.SGD(weight_decay=lam),
    (c) by hand: w <- (1 - lr*lam) w - lr * grad(loss).  float64 throughout.
    Returns {"penalty vs torch weight_decay": max |diff|, "penalty vs (1 - lr*lam) decay": max |diff|}.
    """
    _check_lambda(lam)
    x, y = _digits_arrays()
    x, y = x[:200].double(), y[:200]
    torch.manual_seed(seed)
    w0 = 0.1 * torch.randn(64, 10, dtype=torch.float64)
    ce = nn.CrossEntropyLoss()

    def grad_of(w, extra=0.0):
        w = w.clone().requires_grad_(True)
        loss = ce(x @ w, y) + (l2_penalty(w, lam) if extra else 0.0)
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


@functools.lru_cache(maxsize=1)
def _digits_arrays():
    from utils.data import load_digits_arrays

    images, labels = load_digits_arrays()
    return images.reshape(len(images), -1), labels


LABEL_NOISE = 0.2  # the lesson's fraction of wrong training labels


def digits_task(n_train=100, n_val=600, label_noise=LABEL_NOISE, seed=0, device=None):
    """Scarce, noisy digits: a fixed validation set of n_val images, and the first n_train of the rest.

    A fraction of about `label_noise` of the training labels is replaced by a different, random class
    (validation labels stay clean), so a net that memorises its training set visibly pays for it.
    The validation set and the label noise of each image do not depend on n_train: a larger training
    set contains the smaller one, wrong labels included, so runs with more data are comparable.
    Returns a `utils.data.Split` (x: (N, 64) in [0, 1], image_shape (8, 8)).
    """
    from utils.data import Split

    x, y = _digits_arrays()
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)) or not 1 <= n_train <= len(x) - n_val:
        raise ValueError(f"n_train must be an integer in [1, {len(x) - n_val}], got {n_train!r}")
    if not 0 <= label_noise < 1:
        raise ValueError(f"label_noise must be a fraction in [0, 1), got {label_noise}")
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=g)
    val, pool = perm[:n_val], perm[n_val:]
    wrong = torch.rand(len(pool), generator=g) < label_noise
    offset = torch.randint(1, 10, (len(pool),), generator=g)  # 1..9: always a different class
    y_pool = torch.where(wrong, (y[pool] + offset) % 10, y[pool])
    tr = slice(0, n_train)
    return Split(x[pool][tr], y_pool[tr], x[val], y[val], "digits", 10, (8, 8)).to(device or "cpu")


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


def build_model(hidden=128, dropout=0.0, batchnorm=False, seed=0):
    """The lesson's MLP [64, hidden, hidden, 10]; dropout layers are `InvertedDropout` (seeded)."""
    torch.manual_seed(seed)
    model = make_mlp([64, hidden, hidden, 10], batchnorm=batchnorm, dropout=dropout)
    layers = [InvertedDropout(m.p, seed=seed + i) if isinstance(m, nn.Dropout) else m for i, m in enumerate(model)]
    return nn.Sequential(*layers)


LR = 3e-3  # the learning rate of every run of the lesson


def fit(model, data, steps=300, lr=LR, l1=0.0, l2=0.0, augment=False, patience=None, optimizer="adam",
        eval_every=10, seed=0, device=None):
    """Full-batch training with the lesson's regularisers switched on by argument.

    l1, l2: penalty strengths added to the loss (on weight matrices only); augment: random one-pixel
    shifts of every image at every step; patience: early stopping (in evaluations) that restores the
    best weights; optimizer: "adam", "adamw" (decoupled decay of strength l2 instead of a penalty), "sgd".
    Returns a `utils.training.History` (and the model is left with its final or restored weights).
    """
    _check_lambda(l1, "l1")
    _check_lambda(l2, "l2")
    if patience is not None:
        early_stopping([0.0], patience)  # validates patience (an integer >= 1)
    if optimizer not in ("adam", "adamw", "sgd"):
        raise ValueError(f"optimizer must be 'adam', 'adamw' or 'sgd', got {optimizer!r}")
    with one_cpu_thread():
        return _fit(model, data, steps, lr, l1, l2, augment, patience, optimizer, eval_every, seed, device)


def _fit(model, data, steps, lr, l1, l2, augment, patience, optimizer, eval_every, seed, device):
    device = torch.device(device or "cpu")
    model.to(device)
    data = data.to(device)
    if optimizer == "adamw":
        opt, l2_in_loss = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=l2), 0.0
    else:
        cls = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
        opt, l2_in_loss = cls(model.parameters(), lr=lr), l2
    g = torch.Generator().manual_seed(seed)
    ce = nn.CrossEntropyLoss()
    hist, best, waited, best_state = History(), math.inf, 0, None
    for step in range(1, steps + 1):
        model.train()
        x, y = data.x_train, data.y_train
        if augment:  # the originals plus two randomly shifted copies, fresh at every step
            x = torch.cat([x] + [random_shift(data.x_train, data.image_shape, g) for _ in range(2)])
            y = y.repeat(3)
        loss = ce(model(x), y)
        penalty = l1_penalty(weights_of(model), l1) if l1 else 0.0
        penalty = penalty + (l2_penalty(weights_of(model), l2_in_loss) if l2_in_loss else 0.0)
        opt.zero_grad(set_to_none=True)
        (loss + penalty).backward()
        opt.step()
        if step % eval_every == 0 or step == steps:
            tr_loss, tr_acc = evaluate(model, data.x_train, data.y_train)
            va_loss, va_acc = evaluate(model, data.x_val, data.y_val)
            for key, v in zip(("step", "train_loss", "val_loss", "train_acc", "val_acc"),
                              (step, tr_loss, va_loss, tr_acc, va_acc)):
                getattr(hist, key).append(v)
            if patience is not None:
                if va_loss < best:
                    best, waited, best_state = va_loss, 0, copy.deepcopy(model.state_dict())
                else:
                    waited += 1
                    if waited >= patience:
                        break
    if patience is not None and best_state is not None:
        model.load_state_dict(best_state)
    return hist


@functools.lru_cache(maxsize=32)
def _trained(cfg_items, n_train, steps, seed, device):
    # Several sections reuse the same runs (the unregularised one above all): train each once.
    cfg = dict(cfg_items)
    model = build_model(dropout=cfg.pop("dropout", 0.0), batchnorm=cfg.pop("batchnorm", False), seed=seed)
    hist = fit(model, digits_task(n_train, seed=seed), steps=steps, seed=seed, device=device, **cfg)
    return model, hist


def trained(cfg, n_train=100, steps=300, seed=0, device=None):
    """The lesson's MLP trained on `digits_task(n_train, seed=seed)` with the regularisers in `cfg` (cached).

    cfg: dict with any of dropout, batchnorm and the keyword arguments of `fit` (l1, l2, augment, patience,
    optimizer).  Returns (model, History); do not modify them, they are shared between callers.
    """
    return _trained(tuple(sorted(cfg.items())), n_train, steps, seed, str(torch.device(device or "cpu")))


def run_regulariser(name, n_train=100, steps=300, seed=0, device=None):
    """Train the lesson's MLP with one entry of REGULARISERS.  Returns (model, History)."""
    if name not in REGULARISERS:
        raise ValueError(f"unknown regulariser {name!r}; expected one of {tuple(REGULARISERS)}")
    return trained(REGULARISERS[name], n_train, steps, seed, device)


def comparison_table(names=tuple(REGULARISERS), n_train=100, steps=300, seed=0, device=None):
    """One row per regulariser: train accuracy, validation accuracy, gap, weight norm (after the last or restored step).

    Returns (rows: list of dicts, histories: dict name -> History, models: dict name -> model).
    """
    rows, hists, models = [], {}, {}
    for name in names:
        model, hist = run_regulariser(name, n_train, steps, seed, device)
        data = digits_task(n_train, seed=seed, device=device)
        tr, va = evaluate(model, data.x_train, data.y_train)[1], evaluate(model, data.x_val, data.y_val)[1]
        rows.append({"regulariser": name, "train acc": tr, "val acc": va, "gap": tr - va,
                     "weight norm": weight_norm(model)})
        hists[name], models[name] = hist, model
    return rows, hists, models


def format_table(rows):
    """The comparison rows as an aligned text table (accuracies in %)."""
    lines = [f"{'regulariser':<41}{'train acc':>10}{'val acc':>10}{'gap':>8}{'‖W‖':>8}"]
    for r in rows:
        lines.append(f"{r['regulariser']:<41}{100 * r['train acc']:>9.1f}%{100 * r['val acc']:>9.1f}%"
                     f"{100 * r['gap']:>7.1f}%{r['weight norm']:>8.1f}")
    return "\n".join(lines)


def adam_vs_adamw(lam=0.03, steps=300, n_train=100, seed=0, device=None):
    """Same model, same data: Adam with L2 in the loss vs AdamW with decoupled weight decay of the same strength.

    Returns {name: (History, weight norm, trained model)} for "no decay", "Adam + L2 penalty", "AdamW".
    """
    _check_lambda(lam)
    out = {}
    runs = (("no decay", {}), ("Adam + L2 penalty", {"l2": lam}), ("AdamW", {"l2": lam, "optimizer": "adamw"}))
    for name, kw in runs:
        model, hist = trained(kw, n_train, steps, seed, device)
        out[name] = (hist, weight_norm(model), model)
    return out


def more_data_runs(multiples=(1, 2, 4, 8), base=100, steps=300, seed=0, device=None):
    """The unregularised MLP trained on base * m images for each multiple m.  Returns {n_train: History}."""
    return {base * m: trained({}, base * m, steps, seed, device)[1] for m in multiples}


def sparse_regression(n=100, d=40, k=5, noise=0.05, seed=0):
    """A regression where only k of d features matter.  Returns X (n, d), y (n,), true w (d,)."""
    g = np.random.default_rng(seed)
    X = g.standard_normal((n, d)) / math.sqrt(n)
    w = np.zeros(d)
    idx = g.choice(d, k, replace=False)
    w[idx] = g.choice([-1, 1], k) * g.uniform(1.0, 2.0, k)
    return X, X @ w + noise * g.standard_normal(n), w


def orthonormal_design(n=50, d=8, seed=0):
    """X (n, d) with orthonormal columns (X^T X = I) and a target y (n,)."""
    g = np.random.default_rng(seed)
    X = np.linalg.qr(g.standard_normal((n, d)))[0]
    return X, X @ g.uniform(-2, 2, d) + 0.1 * g.standard_normal(n)


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------

_GRID = np.linspace(-1, 1, 300)


def plot_polynomial_fit(degree=15, lam=0.1, fig=None):
    """Left: the data, the unpenalised fit and the ridge fit at `lam`; right: |coefficients| of both (log scale)."""
    x_tr, y_tr, _, _ = polynomial_data()
    w0, tr0, va0 = polynomial_fit(degree, 0.0)
    w, tr, va = polynomial_fit(degree, lam)
    phi = legendre_features(_GRID, degree)
    curves = (np.clip(phi @ w0, -10, 10), np.clip(phi @ w, -10, 10))
    k = np.arange(degree + 1)
    title = f"degree {degree}: validation MSE {va0:.3g} at λ = 0, {va:.2g} at λ = {lam:.2g}"
    ctitle = f"‖w‖ = {np.linalg.norm(w0):.1f} (λ=0) vs {np.linalg.norm(w):.1f}"
    if fig is None:
        fig, (ax, axc) = new_figure(1, 2, figsize=(13, 4.3), width_ratios=[1.4, 1])
        ax.plot(_GRID, true_curve(_GRID), color=BLACK, lw=1, ls=":", label="true function")
        ax.plot(_GRID, curves[0], color=VERMILION, lw=1.6, label="no penalty (λ = 0)")
        ax.plot(_GRID, curves[1], color=BLUE, label="with penalty λ")
        ax.plot(x_tr, y_tr, "o", color=BLACK, ms=5, label="training points")
        ax.set(xlabel="input x", ylabel="output y", ylim=(-2.5, 2.5), title=title)
        ax.legend(loc="lower right", fontsize=10)
        axc.plot(k, np.abs(w0) + 1e-6, "o-", color=VERMILION, ms=4, lw=1.2, label="λ = 0")
        axc.plot(k, np.abs(w) + 1e-6, "s-", color=BLUE, ms=4, lw=1.2, label="with penalty λ")
        light_log_axis(axc)
        axc.xaxis.set_major_locator(MaxNLocator(integer=True))
        axc.set(xlabel="Legendre coefficient index", ylabel="|coefficient|",
                ylim=(1e-4, 1e4), xlim=(-0.5, 19.5), title=ctitle)
        axc.legend(fontsize=10)
        return fig
    ax, axc = fig.axes
    ax.lines[1].set_ydata(curves[0])
    ax.lines[2].set_ydata(curves[1])
    ax.set_title(title)
    axc.lines[0].set_data(k, np.abs(w0) + 1e-6)
    axc.lines[1].set_data(k, np.abs(w) + 1e-6)
    axc.set_title(ctitle)
    return fig


def plot_capacity_curve(lam=0.1):
    """Training and validation MSE against polynomial degree, without and with a penalty."""
    fig, ax = new_figure(figsize=(8, 4.2))
    for lm, style in ((0.0, "-"), (lam, "--")):
        d, tr, va = capacity_curve(lam=lm)
        ax.plot(d, tr, style, color=BLUE, label=f"training, λ={lm:g}")
        ax.plot(d, va, style, color=ORANGE, label=f"validation, λ={lm:g}")
    ax.set(yscale="log", xlabel="polynomial degree (capacity)", ylabel="mean squared error",
           ylim=(1e-3, 1e2), title="Without a penalty validation error explodes with capacity; with one it levels off")
    ax.legend(fontsize=10, ncol=2)
    return fig


def plot_weight_histograms(models, bins=60, title="Weight distributions"):
    """Histogram of all weight-matrix entries for each model in {label: model}; `title` states the finding."""
    from utils.plotstyle import draw_hist, hist_counts

    fig, ax = new_figure(figsize=(8, 4))
    for (label, model), colour in zip(models.items(), (VERMILION, BLUE, GREEN, PURPLE)):
        w = torch.cat([p.detach().flatten().cpu() for p in weights_of(model)]).numpy()
        counts, edges = hist_counts(w, bins=bins, range=(-0.5, 0.5))
        draw_hist(ax, counts, edges, density=True, fill=False, color=colour,
                  label=f"{label}: std {w.std():.3f}")
    ax.set(xlabel="weight value", ylabel="density", title=title)
    ax.legend(fontsize=10)
    return fig


def plot_sparse_recovery(X, y, w_true, lam_l1=0.2, lam_l2=0.5):
    """True coefficients vs the L1 (ISTA) and L2 (closed form) estimates, as stems."""
    w1 = penalized_least_squares(X, y, lam_l1, "l1", steps=3000)
    w2 = ridge(X, y, lam_l2)
    fig, ax = new_figure(figsize=(11, 4))
    idx = np.arange(len(w_true))
    ax.plot(idx, w_true, "o", color=BLACK, ms=9, mfc="none", label=f"true ({np.count_nonzero(w_true)} non-zero)")
    ax.vlines(idx - 0.15, 0, w2, color=ORANGE, lw=2.5, label=f"L2, λ={lam_l2:g}: {np.sum(np.abs(w2) > 1e-8)} non-zero")
    ax.vlines(idx + 0.15, 0, w1, color=BLUE, lw=2.5, label=f"L1, λ={lam_l1:g}: {np.sum(w1 != 0)} non-zero")
    ax.axhline(0, color=BLACK, lw=0.8)
    ax.set(xlabel="feature index", ylabel="coefficient",
           title="L1 sets the irrelevant coefficients exactly to zero; L2 only shrinks them")
    ax.legend(fontsize=10, loc="lower left")
    return fig


# The 2-D loss 0.5 (w - W_STAR)^T A (w - W_STAR) used for the geometry picture.
W_STAR = np.array([2.0, 0.7])
A_MAT = np.array([[1.0, 0.35], [0.35, 0.6]])


def geometry_solutions(lam):
    """The minimisers of the 2-D loss plus lam ||w||_1 (proximal gradient) and plus (lam/2) ||w||^2 (exact).

    Returns (w_l1 (2,), w_l2 (2,)).
    """
    _check_lambda(lam)
    w_l2 = np.linalg.solve(A_MAT + lam * np.eye(2), A_MAT @ W_STAR)
    lr = 1.0 / np.linalg.eigvalsh(A_MAT).max()
    w = np.zeros(2)
    for _ in range(400):
        w = soft_threshold(w - lr * A_MAT @ (w - W_STAR), lr * lam)
    return w, w_l2


def _loss2d(w):
    d = w - W_STAR
    return 0.5 * d @ A_MAT @ d


def _level_ellipse(level, n=200):
    vals, vecs = np.linalg.eigh(A_MAT)
    t = np.linspace(0, 2 * np.pi, n)
    u = np.stack([np.cos(t), np.sin(t)])
    return (W_STAR[:, None] + vecs @ (np.sqrt(2 * max(level, 0.0) / vals)[:, None] * u)).T


def _unit_ball(kind, r, n=200):
    t = np.linspace(0, 2 * np.pi, n)
    if kind == "l2":
        return r * np.stack([np.cos(t), np.sin(t)], 1)
    return r * np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]], dtype=float)


def plot_penalty_geometry(lam=1.0, fig=None):
    """Loss contours meeting the L1 diamond (left) and the L2 circle (right) at the penalised minimiser."""
    w1, w2 = geometry_solutions(lam)
    panels = [("l1", w1, np.abs(w1).sum()), ("l2", w2, np.linalg.norm(w2))]
    titles = [f"L1: w = ({w1[0]:.2f}, {w1[1]:.2f})" + (" — sparse!" if np.any(w1 == 0) else ""),
              f"L2: w = ({w2[0]:.2f}, {w2[1]:.2f}) — shrunk"]
    if fig is None:
        fig, axes = new_figure(1, 2, figsize=(11, 5))
        for ax, (kind, w, r), title in zip(axes, panels, titles):
            for level in (0.05, 0.3, 0.8, 1.6, 2.8):
                e = _level_ellipse(level)
                ax.plot(e[:, 0], e[:, 1], color=BLACK, lw=0.6, alpha=0.35)
            ball = _unit_ball(kind, r)
            ax.plot(ball[:, 0], ball[:, 1], color=BLUE if kind == "l1" else ORANGE, lw=2.5,
                    label="‖w‖₁ = const" if kind == "l1" else "‖w‖₂ = const")
            e = _level_ellipse(_loss2d(w))
            ax.plot(e[:, 0], e[:, 1], color=VERMILION, lw=1.8, label="loss contour at solution")
            ax.plot(*W_STAR, "*", color=BLACK, ms=14, label="unpenalised minimum")
            ax.plot(*w, "o", color=GREEN, ms=10, label="penalised minimum")
            ax.axhline(0, color=BLACK, lw=0.8)
            ax.axvline(0, color=BLACK, lw=0.8)
            ax.set(xlim=(-1.2, 3.2), ylim=(-1.5, 2.0), aspect="equal", xlabel="weight w₁",
                   ylabel="weight w₂", title=title)
        axes[0].legend(fontsize=9, loc="lower right")
        fig.suptitle(f"λ = {lam:.3g}: the diamond's corner lies on an axis, the circle has no corners")
        return fig
    for ax, (kind, w, r), title in zip(fig.axes, panels, titles):
        k = 5
        ball = _unit_ball(kind, r)
        ax.lines[k].set_data(ball[:, 0], ball[:, 1])
        e = _level_ellipse(_loss2d(w))
        ax.lines[k + 1].set_data(e[:, 0], e[:, 1])
        ax.lines[k + 3].set_data([w[0]], [w[1]])
        ax.set_title(title)
    fig._suptitle.set_text(f"λ = {lam:.3g}: the diamond's corner lies on an axis, the circle has no corners")
    return fig


def plot_shrinkage(lam=1.0, seed=0):
    """Closed forms for an orthonormal design (soft thresholding, proportional shrinkage) vs the numerical solutions."""
    X, y = orthonormal_design(seed=seed)
    z = X.T @ y
    zz = np.linspace(-3, 3, 301)
    fig, ax = new_figure(figsize=(8, 4.5))
    ax.plot(zz, zz, color=BLACK, lw=1, ls=":", label="no penalty: w = z")
    ax.plot(zz, soft_threshold(zz, lam), color=BLUE, label="L1 closed form: soft threshold")
    ax.plot(zz, proportional_shrink(zz, lam), color=ORANGE, label="L2 closed form: z / (1 + λ)")
    ax.plot(z, penalized_least_squares(X, y, lam, "l1"), "o", color=BLUE, ms=8, mfc="none",
            label="L1 numerical (ISTA)")
    ax.plot(z, penalized_least_squares(X, y, lam, "l2"), "s", color=ORANGE, ms=8, mfc="none",
            label="L2 numerical")
    ax.set(xlabel="least-squares coefficient z = Xᵀy", ylabel="penalised coefficient w",
           title=f"λ = {lam:g}: L1 subtracts λ (and stops at 0), L2 divides by 1 + λ")
    ax.legend(fontsize=9)
    return fig


def plot_dropout_effect(hists):
    """Training and validation accuracy curves for {label: History} (e.g. no dropout vs dropout)."""
    fig, ax = new_figure(figsize=(8, 4.2))
    for (label, h), colour in zip(hists.items(), (VERMILION, BLUE, GREEN, PURPLE)):
        ax.plot(h.step, 100 * np.array(h.train_acc), "--", color=colour, lw=1.6, label=f"{label}: training")
        ax.plot(h.step, 100 * np.array(h.val_acc), "-", color=colour, label=f"{label}: validation")
    ax.set(xlabel="training step", ylabel="accuracy (%)", ylim=(50, 101),
           title="Dropout slows the memorising of wrong labels; validation falls later")
    ax.legend(fontsize=10, loc="lower right")
    return fig


def plot_augmentations(index=0):
    """One digit, its eight one-pixel shifts, and its mirror image (which is not a valid digit)."""
    x, y = _digits_arrays()
    img = x[index].reshape(1, 8, 8)
    fig, axes = new_figure(2, 5, figsize=(10, 4.6))
    shifts = [(0, 0), (-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)]
    for ax, (dx, dy) in zip(axes.flat, shifts):
        ax.imshow(shift_images(img, dx, dy)[0].numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title("original" if (dx, dy) == (0, 0) else f"shift ({dx:+d},{dy:+d})", fontsize=11)
    ax = axes.flat[-1]
    ax.imshow(img[0].flip(1).numpy(), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("mirrored ✗", fontsize=11, color=VERMILION)
    for ax in axes.flat:
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
    fig.suptitle(f"Label {int(y[index])}: shifts keep it; mirroring makes a shape that is no digit")
    return fig


def plot_more_data(runs):
    """Validation accuracy against step for each training-set size in {n_train: History}."""
    fig, ax = new_figure(figsize=(8, 4.2))
    for (n, h), colour in zip(runs.items(), (VERMILION, ORANGE, GREEN, BLUE)):
        ax.plot(h.step, 100 * np.array(h.val_acc), color=colour, label=f"{n} training images")
    ax.set(xlabel="training step", ylabel="validation accuracy (%)", ylim=(50, 101),
           title="No regulariser: each doubling of the data lifts validation accuracy")
    ax.legend(fontsize=10, loc="lower right")
    return fig


def early_stopping_curve(steps=300, n_train=100, seed=0):
    """Validation and training loss of the unregularised MLP (the cached run of the table), every 10 steps.

    Returns (steps (k,), train_loss (k,), val_loss (k,)) arrays.
    """
    hist = trained({}, n_train, steps, seed)[1]
    return np.array(hist.step), np.array(hist.train_loss), np.array(hist.val_loss)


def plot_early_stopping(patience=5, fig=None):
    """The U-shaped validation loss with the best evaluation and the stopping point for `patience` marked."""
    steps, tr, va = early_stopping_curve()
    best, stop = early_stopping(va, patience)
    title = f"patience {patience}: stop at step {steps[stop]}, keep the weights of step {steps[best]}"
    if fig is None:
        fig, ax = new_figure(figsize=(8, 4.2))
        ax.plot(steps, tr, color=BLUE, label="training loss")
        ax.plot(steps, va, color=ORANGE, label="validation loss")
        ax.plot([steps[best]], [va[best]], "o", color=GREEN, ms=11, label="best (weights kept)")
        ax.axvline(steps[stop], color=VERMILION, ls="--", label="training stops")
        light_log_axis(ax)
        ax.set(xlabel="training step", ylabel="cross-entropy loss (log scale)", title=title)
        ax.legend(fontsize=10, loc="center right")
        return fig
    ax = fig.axes[0]
    ax.lines[2].set_data([steps[best]], [va[best]])
    ax.lines[3].set_xdata([steps[stop], steps[stop]])
    ax.set_title(title)
    return fig


VIEW_SWEEPS = {
    "plot_polynomial_fit": [{"degree": d, "lam": lam} for d in (1, 8, 19) for lam in (1e-8, 1e-3, 10.0)],
    "plot_penalty_geometry": [{"lam": lam} for lam in (0.01, 0.3, 1.0, 3.0)],
    "plot_early_stopping": [{"patience": p} for p in (1, 5, 20)],
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
    expected = soft_threshold(np.array(EXERCISE_Z), EXERCISE_LAM)
    if np.shape(answer) == expected.shape and np.allclose(np.asarray(answer, float), np.array(EXERCISE_Z) / 2):
        return feedback(False, "that is L2's proportional shrinkage z / (1 + λ); L1 subtracts λ from |z| instead")
    return check_close(answer, expected, rtol=0, atol=1e-6, what="your soft-thresholded vector")


def check_inverted_dropout(fn, p=0.3, seed=0):
    """Check a learner's `fn(x, p, generator)` implementing inverted dropout in training mode."""
    x = torch.ones(200_000)
    try:
        out = fn(x, p, torch.Generator().manual_seed(seed))
    except Exception as exc:  # a learner's bug: report it, do not raise
        return feedback(False, f"your function raised {type(exc).__name__}: {exc}")
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        return feedback(False, "return a tensor of the same shape as x")
    dropped = float((out == 0).float().mean())
    if dropped < p / 2:
        return feedback(False, f"only {dropped:.1%} of the elements are zero; about p = {p:.0%} should be dropped")
    kept = out[out != 0]
    if not torch.allclose(kept, torch.full_like(kept, 1 / (1 - p))):
        return feedback(False, f"kept elements of a ones tensor should equal 1/(1-p) = {1 / (1 - p):.4f}, "
                               f"got values like {float(kept[0]):.4f}")
    if abs(dropped - p) > 0.01:
        return feedback(False, f"{dropped:.1%} of elements were dropped; expected about {p:.0%}")
    return feedback(True, "", f"Correct: {dropped:.1%} dropped, mean {float(out.mean()):.3f} ≈ 1 is preserved.")
