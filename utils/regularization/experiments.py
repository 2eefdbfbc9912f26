"""The experiments of notebook 06 (overfitting and regularisation); each returns data.

In the order of this file:
- polynomials (section 1): the 20 noisy points, ridge fits of every degree, the capacity curve;
- linear models and dropout against PyTorch (sections 2 and 4): `sgd_decay_equivalence`, `dropout_vs_torch`;
- the noisy digits task (sections 2 to 8): the data, the lesson's MLP, `fit` with every regulariser switched on by
  argument, the cached runs, the comparison over seeds, more data, the Adam / AdamW decay sweep, the L1 net's
  weights, the early-stopping curve;
- sparse regression and the 2-D geometry picture (section 3).
The from-scratch computations they use are in `maths.py`.  Every random draw comes from an explicit, seeded
generator; every function leaves the global generators of torch and NumPy as it found them (the one place that needs
torch's, nn.Dropout in dropout_vs_torch, runs inside fork_rng).
"""

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from utils import validation as V
from utils.caching import cached
from utils.data import Split
from utils.device import one_cpu_thread
from utils.training import History, evaluate, make_mlp

from ._checks import _dropout_p, _lam, _model, _more, _table
from .maths import InvertedDropout, _prox, _random_shift, _ridge, inverted_dropout, weight_norm, weights_of

SEEDS = (0, 1, 2)  # every multi-seed experiment of the notebook (and of its claims tests) uses these seeds


# ---------------------------------------------------------------------------------------------
# Polynomials (section 1)
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


@cached(maxsize=4)
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


@cached(maxsize=256)
def _polynomial_fit(degree, lam, seed):
    x_tr, y_tr, x_va, y_va = _polynomial_data(20, 200, 0.3, seed)
    leg = np.polynomial.legendre.legvander
    w = _ridge(leg(x_tr, degree), y_tr, lam)
    mse = [float(np.mean((leg(x, degree) @ w - y) ** 2)) for x, y in ((x_tr, y_tr), (x_va, y_va))]
    return w, mse[0], mse[1]


def capacity_curve(degrees=range(0, MAX_DEGREE + 1), lam=0.0, seed=0):
    """Training and validation MSE for each degree.  Returns (degrees (k,), train (k,), val (k,)) arrays."""
    degrees = V.sequence("degrees", degrees, lambda n, d: V.integer(n, d, low=0, high=MAX_DEGREE))
    lam, seed = _lam("lam", lam), V.seed_value("seed", seed)
    rows = np.array([_polynomial_fit(d, lam, seed)[1:] for d in degrees])
    return np.array(degrees), rows[:, 0], rows[:, 1]


# ---------------------------------------------------------------------------------------------
# Linear models and dropout against PyTorch (sections 2 and 4)
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
# The noisy digits task (sections 2 to 8)
# ---------------------------------------------------------------------------------------------


@cached(maxsize=1)
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


@cached(maxsize=16)
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


@cached(maxsize=128)
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
    """Train the lesson's MLP with one entry of REGULARISERS (cached; each call returns a copy of its own).

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
    multiples = V.sequence("multiples", multiples, lambda n, m: V.size(n, m, high=8))
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
    lams = np.array(V.sequence("lams", lams, lambda n, lam: V.finite_number(n, lam, low=0, low_open=True, high=100)))
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


def early_stopping_curve(seed=0, n_train=100, steps=STEPS, device=None):
    """The unregularised run (cached, shared with the comparison) evaluated every 10 steps.

    Returns (steps (k,), train_loss (k,), val_loss (k,), test_acc (k,)) arrays; the validation loss is on the
    held-out validation part (wrong labels included), test accuracy on the clean test part.
    """
    n_train, steps, seed, device = _run_args(n_train, steps, seed, device)
    h = _run({}, n_train, steps, seed, device)[1]
    return np.array(h.step), np.array(h.train_loss), np.array(h.val_loss), np.array(h.test_acc)


def first_step_at_full_training_accuracy(hist):
    """The first evaluated step at which every training label is fitted (training accuracy 100 %), or None."""
    if not isinstance(hist, History):
        raise TypeError(f"hist must be a History (from run_regulariser or fit), got {type(hist).__name__}")
    return next((s for s, a in zip(hist.step, hist.train_acc) if a >= 1.0), None)


# ---------------------------------------------------------------------------------------------
# Sparse regression and the 2-D geometry picture (section 3)
# ---------------------------------------------------------------------------------------------


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
