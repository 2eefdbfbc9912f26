"""The experiments of notebook 09, returning data: sweeps of exact gradient descent and momentum on quadratics, the
saddle runs and Adam's rotation study, then the 64-32-10 ReLU net trained on the 8×8 digits (non-convexity,
mini-batch gradient noise, batch size and shuffling, learning rates and the range test, SGD against Adam, schedules,
the linear scaling rule).

Every digits experiment trains through `_train` (one seeded run of plain or momentum SGD, or Adam, with an optional
schedule); the long ones are cached (`functools.lru_cache`), so the notebook and its tests train each configuration
once. The from-scratch updates are in `maths.py`.
"""

import functools
import math
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from utils import validation as v
from utils.data import load_dataset
from utils.device import one_cpu_thread

from ._checks import _kappa, _lr, _seeds, _step_scheduler
from .maths import (
    _best_heavy_ball,
    _gd_steps,
    _momentum_steps,
    _quadratic,
    _saddle_grad,
    _saddle_loss,
    quadratic_matrix,
)

SCHEDULES = ("constant", "step", "exponential", "1/t", "cosine", "cosine-restarts", "warmup-cosine", "one-cycle")
SEEDS = (0, 1, 2)

# The digits task shared by the training experiments: a 64-32-10 ReLU net, plain mini-batch SGD unless said otherwise.
SIZES = (64, 32, 10)
BATCH = 32
DIVERGED_LOSS = 1e3


# ----------------------------------------------------------------------------------------------
# Sweeps on quadratics and 2-D surfaces
# ----------------------------------------------------------------------------------------------


def lr_threshold_sweep(kappa=10.0, angle=30.0, factors=(0.5, 0.9, 0.99, 1.01, 1.1), steps=400):
    """GD on ½ wᵀAw at learning rates η = factor · 2/λ_max (λ_max = 1 here) from w₀ = (1, 1).

    Returns {"lrs": (k,), "final": (k,) |w| after `steps` steps, "diverged": (k,) bool (|w| grew above its start),
    "curves": (k, steps + 1) |w_t|; both clipped at 1e12 (a diverging run stops there)}."""
    a = quadratic_matrix(kappa, angle)
    factors = v.array("factors", factors, ndim=1, max_size=50)
    if np.any(factors <= 0):
        raise ValueError(f"factors must be > 0, got {factors.tolist()}")
    steps = v.size("steps", steps, high=20_000)
    lam_max = float(np.linalg.eigvalsh(a)[-1])
    lrs = factors * 2 / lam_max
    curves = np.empty((len(lrs), steps + 1))
    for i, lr in enumerate(lrs):
        w = np.array([1.0, 1.0])
        for t in range(steps + 1):
            curves[i, t] = min(np.linalg.norm(w), 1e12)
            w = w - lr * (a @ w) if curves[i, t] < 1e12 else w
    final = curves[:, -1]
    return {"lrs": lrs, "final": final, "diverged": final > curves[:, 0], "curves": curves, "factors": factors}


def steps_vs_kappa(kappas=(1, 3, 10, 30, 100, 300, 1000), tol=1e-6, angle=30.0):
    """Measured steps to |w| < tol·|w₀| for GD at its best rate 2/(λ_min + λ_max) and for heavy-ball momentum at
    its best (η, β), on quadratics of condition number κ.  Returns {"kappas", "gd", "momentum", "gd_theory",
    "momentum_theory"}: steps as arrays; theory = ln(1/tol)/ln(1/rate) with rates (κ−1)/(κ+1) and (√κ−1)/(√κ+1)."""
    kappas = v.array("kappas", kappas, ndim=1, max_size=20)
    if np.any(kappas < 1) or np.any(kappas > 1e4):
        raise ValueError(f"kappas must lie in [1, 1e4], got {kappas.tolist()}")
    tol = v.finite_number("tol", tol, low=1e-12, high=1, high_open=True)
    angle = v.finite_number("angle", angle, low=-360, high=360)
    gd, mom, gd_th, mom_th = [], [], [], []
    for k in kappas:
        a = _quadratic(float(k), angle)
        gd.append(_gd_steps(a, 2 / (1 + 1 / k), tol, 10 ** 6) if k > 1 else 1)
        lr_m, beta = _best_heavy_ball(float(k))
        mom.append(_momentum_steps(a, lr_m, beta, tol, 10 ** 6) if k > 1 else 1)
        r_gd, r_m = (k - 1) / (k + 1), (math.sqrt(k) - 1) / (math.sqrt(k) + 1)
        gd_th.append(math.log(1 / tol) / math.log(1 / r_gd) if r_gd > 0 else 1.0)
        mom_th.append(math.log(1 / tol) / math.log(1 / r_m) if r_m > 0 else 1.0)
    return {"kappas": kappas, "gd": np.array(gd, float), "momentum": np.array(mom, float),
            "gd_theory": np.array(gd_th), "momentum_theory": np.array(mom_th)}


def saddle_runs(lr=0.1, steps=150, noise=0.01, start=(1.5, 0.0), seeds=SEEDS):
    """Gradient descent on f(x, y) = x²/2 + y⁴/4 − y²/2 (a saddle at the origin, minima −1/4 at (0, ±1)) from a start
    on the saddle's ridge (y = 0): plain GD, and GD with Gaussian gradient noise (std `noise`), one run per seed.

    Returns {"gd": path (steps + 1, 2), "noisy": [path per seed], "loss_gd": (steps + 1,), "loss_noisy":
    (n_seeds, steps + 1), "grad_norm_gd": (steps + 1,), "minimum": -0.25}."""
    lr = _lr(lr, high=1.0)
    steps = v.size("steps", steps, high=100_000)
    noise = v.finite_number("noise", noise, low=0, low_open=True, high=1)
    start = v.array("start", start, shape=(2,))
    seeds = _seeds(seeds)

    def run(sigma, seed):
        g = np.random.default_rng(seed)
        w, path = start.copy(), [start.copy()]
        for _ in range(steps):
            w = w - lr * (_saddle_grad(w) + sigma * g.standard_normal(2))
            path.append(w.copy())
        return np.array(path)

    gd = run(0.0, 0)
    noisy = [run(noise, s) for s in seeds]
    return {"gd": gd, "noisy": noisy, "loss_gd": _saddle_loss(gd), "loss_noisy": np.array([_saddle_loss(p)
            for p in noisy]), "grad_norm_gd": np.array([np.linalg.norm(_saddle_grad(w)) for w in gd]),
            "minimum": -0.25, "seeds": seeds}


def momentum_beta_sweep(kappa=100.0, betas=None, angle=30.0, tol=1e-6):
    """Steps to converge against β at Polyak's step size η = 4/(√λ_max + √λ_min)², for heavy ball and Nesterov.

    Returns {"betas", "steps" (heavy ball), "converged" (bool: reached the tolerance within 100 000 steps; elsewhere
    steps is 100 000), "nesterov_steps" and "nesterov_converged" (Nesterov at η = 1/λ_max = 1), "best_beta" (the
    measured
    argmin), "beta_star" (the formula), "gd_steps" (plain GD at its best rate)}."""
    kappa = _kappa(kappa)
    betas = np.round(np.linspace(0.0, 0.95, 96), 4) if betas is None else v.array("betas", betas, ndim=1,
                                                                                      max_size=400)
    if np.any(betas < 0) or np.any(betas >= 1):
        raise ValueError(f"betas must lie in [0, 1), got values from {betas.min():g} to {betas.max():g}")
    a = quadratic_matrix(kappa, angle)
    tol = v.finite_number("tol", tol, low=1e-12, high=1, high_open=True)
    lr, beta_star = _best_heavy_ball(kappa)
    cap = 100_000
    steps = np.array([_momentum_steps(a, lr, b, tol, cap) or cap for b in betas], float)
    # Nesterov is run at η = 1/λ_max (at Polyak's larger step it does not converge)
    nest = np.array([_momentum_steps(a, 1.0, b, tol, cap, nesterov=True) or cap for b in betas], float)
    return {"betas": betas, "steps": steps, "converged": steps < cap, "nesterov_steps": nest,
            "nesterov_converged": nest < cap, "lr": lr, "best_beta": float(betas[np.argmin(steps)]),
            "beta_star": beta_star,
            "gd_steps": _gd_steps(a, 2 / (1 + 1 / kappa), tol, 10 ** 6)}


def adam_rotation_study(kappa=100.0, angles=(0.0, 45.0), steps=200, lr_adam=0.05, starts=SEEDS):
    """Adam against heavy-ball momentum on ½ wᵀAw with the same curvatures, axis-aligned (angle 0) or rotated.

    Each start point is drawn from the seed on the unit circle.  Momentum uses Polyak's best (η, β) for κ; Adam lr_adam
    and β = (0.9, 0.999).  Returns {"angles", "adam": (n_angles, n_starts) final loss, "momentum": same}."""
    kappa = _kappa(kappa)
    angles = v.array("angles", angles, ndim=1, max_size=10)
    steps, lr_adam = v.size("steps", steps, high=20_000), _lr(lr_adam, high=10, name="lr_adam")
    starts = _seeds(starts, "starts")
    lr_m, beta = _best_heavy_ball(kappa)
    out = {"angles": angles, "adam": np.zeros((len(angles), len(starts))), "momentum": np.zeros((len(angles),
                                                                                               len(starts)))}
    for i, ang in enumerate(angles):
        a = _quadratic(kappa, float(ang))
        for j, s in enumerate(starts):
            phi = np.random.default_rng(s).uniform(0, 2 * np.pi)
            w0 = np.array([math.cos(phi), math.sin(phi)])
            for name in ("adam", "momentum"):
                w, buf, m, sq = w0.copy(), np.zeros(2), np.zeros(2), np.zeros(2)
                for t in range(1, steps + 1):
                    g = a @ w
                    if name == "momentum":
                        buf = beta * buf + g
                        w = w - lr_m * buf
                    else:
                        m, sq = 0.9 * m + 0.1 * g, 0.999 * sq + 0.001 * g * g
                        w = w - lr_adam * (m / (1 - 0.9 ** t)) / (np.sqrt(sq / (1 - 0.999 ** t)) + 1e-8)
                out[name][i, j] = 0.5 * w @ a @ w
    return out


# ----------------------------------------------------------------------------------------------
# Experiments on the 8×8 digits: a 64-32-10 ReLU net
# ----------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _digits():
    """The digits split every experiment shares (the data split is fixed; seeds vary the net and the batches)."""
    return load_dataset("digits", seed=0)


def _make_net(seed):
    """The 64-32-10 ReLU net, initialised from an explicit generator (He-uniform, zero biases)."""
    g = torch.Generator().manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        lin = nn.Linear(a, b)
        bound = math.sqrt((6.0 if i < len(SIZES) - 2 else 3.0) / a)
        with torch.no_grad():
            lin.weight.uniform_(-bound, bound, generator=g)
            lin.bias.zero_()
        layers += [lin, nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _scheduler(name, opt, steps, base_lr):
    """A torch.optim.lr_scheduler for one of SCHEDULES (the library's own classes, stepped once per step)."""
    S = torch.optim.lr_scheduler
    if name == "constant":
        return S.LambdaLR(opt, lambda t: 1.0)
    if name == "step":
        return S.StepLR(opt, step_size=max(1, steps // 3), gamma=0.2)
    if name == "exponential":
        return S.ExponentialLR(opt, gamma=0.02 ** (1 / steps))
    if name == "1/t":
        return S.LambdaLR(opt, lambda t: 1 / (1 + t / max(1, steps / 10)))
    if name == "cosine":
        return S.CosineAnnealingLR(opt, T_max=steps)
    if name == "cosine-restarts":
        return S.CosineAnnealingWarmRestarts(opt, T_0=max(1, steps // 3))
    if name == "warmup-cosine":
        w = max(1, steps // 10)
        return S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.1, total_iters=w),
                                    S.CosineAnnealingLR(opt, T_max=steps - w)], milestones=[w])
    if name == "one-cycle":   # cycle_momentum=False: the schedule changes the rate only, like the others
        return S.OneCycleLR(opt, max_lr=base_lr, total_steps=steps, cycle_momentum=False)
    raise ValueError(f"schedule must be one of {SCHEDULES}; got {name!r}")


def _batches(n, batch_size, order, g, labels):
    """An endless stream of index tensors: fresh shuffles every epoch ("reshuffle"), one fixed shuffle ("once"), or
    the examples sorted by class ("sorted"); full batches use every example."""
    if batch_size >= n:
        idx = torch.arange(n)
        while True:
            yield idx
    fixed = torch.randperm(n, generator=g) if order == "once" else torch.argsort(labels, stable=True)
    while True:
        perm = torch.randperm(n, generator=g) if order == "reshuffle" else fixed
        for i in range(0, n - batch_size + 1, batch_size):
            yield perm[i:i + batch_size]


@one_cpu_thread()
def _train(seed, steps, lr, batch_size=BATCH, optimizer="sgd", momentum=0.0, schedule="constant", warmup=0,
           order="reshuffle", eval_every=10, target=None, lr_fn=None, scheduler_fn=None):
    """Train the digits net; returns a dict with the full-training-set loss curve and the outcome.

    warmup: steps of linear warm-up (from lr/warmup up to lr) before `schedule`; lr_fn: a per-step rate t -> η_t that
    replaces lr and schedule (the range test); scheduler_fn: a learner's (optimizer, steps) -> scheduler.
    target: stop when the full training loss reaches it (steps_to_target, examples_to_target, seconds_to_target
    report when; training time only, evaluations excluded).  diverged_at: the step whose loss blew up (None if none).
    """
    data = _digits()
    x, y = data.x_train, data.y_train
    n = len(x)
    net = _make_net(seed)
    if optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    sched = None
    if scheduler_fn is not None:
        sched = scheduler_fn(opt, steps)
    elif lr_fn is None and (schedule != "constant" or warmup):
        S = torch.optim.lr_scheduler
        if warmup:
            parts = [S.LinearLR(opt, start_factor=1 / warmup, total_iters=warmup)]
            if steps > warmup:
                parts.append(_scheduler(schedule, opt, steps - warmup, lr))
            sched = S.SequentialLR(opt, parts, milestones=[warmup]) if len(parts) > 1 else parts[0]
        else:
            sched = _scheduler(schedule, opt, steps, lr)
    g = torch.Generator().manual_seed(seed + 1000)
    batches = _batches(n, batch_size, order, g, y)
    out = {"step": [0], "train_loss": [], "batch_loss": [], "lrs": [], "diverged": False, "diverged_at": None,
           "steps_to_target": None, "examples_to_target": None, "seconds_to_target": None}
    with torch.no_grad():
        out["train_loss"].append(F.cross_entropy(net(x), y).item())
    seconds = 0.0
    for t in range(1, steps + 1):
        start = time.perf_counter()
        if lr_fn is not None:
            for group in opt.param_groups:
                group["lr"] = lr_fn(t)
        out["lrs"].append(opt.param_groups[0]["lr"])
        idx = next(batches)
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            _step_scheduler(sched)
        seconds += time.perf_counter() - start
        value = loss.item()
        if not math.isfinite(value) or value > DIVERGED_LOSS:
            out.update(diverged=True, diverged_at=t)
            break
        out["batch_loss"].append(value)
        if t % eval_every == 0 or t == steps:
            with torch.no_grad():
                full = F.cross_entropy(net(x), y).item()
            if not math.isfinite(full) or full > DIVERGED_LOSS:
                out.update(diverged=True, diverged_at=t)
                break
            out["step"].append(t)
            out["train_loss"].append(full)
            if target is not None and full <= target:
                out.update(steps_to_target=t, examples_to_target=t * min(batch_size, n), seconds_to_target=seconds)
                break
    out["final_loss"] = out["train_loss"][-1] if not out["diverged"] else math.inf
    with torch.no_grad():
        out["val_acc"] = 0.0 if out["diverged"] else (net(data.x_val).argmax(1) == data.y_val).float().mean().item()
    out["net"] = net
    return out


def _train_summary(run):
    """A run without the net, with lists as arrays and a finite final loss (DIVERGED_LOSS stands for divergence)."""
    keep = {k: val for k, val in run.items() if k != "net"}
    keep["final_loss"] = min(run["final_loss"], DIVERGED_LOSS)
    for k in ("step", "train_loss", "batch_loss", "lrs"):
        keep[k] = np.array(run[k], dtype=float)
    return keep


def permutation_midpoint(steps=300, lr=0.5, seeds=SEEDS):
    """Why a network's loss is not convex: train the digits net, swap its hidden units into another order (the same
    function, so the same loss), and evaluate the loss on the straight line between the two weight vectors.

    Returns {"t": (11,) positions on the line (0 = trained, 1 = permuted), "loss": (n_seeds, 11) full training
    loss along the line}.  Convexity would put every point on the line at or below the endpoints' loss."""
    steps, lr, seeds = v.size("steps", steps, high=5000), _lr(lr, high=10), _seeds(seeds)
    data = _digits()
    t = np.linspace(0, 1, 11)
    losses = []
    for s in seeds:
        net = _train(s, steps, lr, eval_every=steps)["net"]
        perm = torch.randperm(SIZES[1], generator=torch.Generator().manual_seed(s))
        w1, b1, w2, b2 = (p.detach() for p in net.parameters())
        swapped = (w1[perm], b1[perm], w2[:, perm], b2)
        row = []
        with torch.no_grad():
            for a in t:
                p1, q1, p2, q2 = ((1 - a) * u + a * w for u, w in zip((w1, b1, w2, b2), swapped))
                out = torch.relu(data.x_train @ p1.T + q1) @ p2.T + q2
                row.append(F.cross_entropy(out, data.y_train).item())
        losses.append(row)
    return {"t": t, "loss": np.array(losses)}


# ---- mini-batch gradient noise

def _per_example_grads(net, x, y):
    """Per-example gradients of the cross-entropy, flattened: (N, P) float64 (torch.func: one vmapped grad)."""
    from torch.func import functional_call, grad, vmap

    params = {k: p.detach() for k, p in net.named_parameters()}

    def loss_one(p, xi, yi):
        return F.cross_entropy(functional_call(net, p, (xi[None],)), yi[None])

    grads = vmap(grad(loss_one), in_dims=(None, 0, 0))(params, x, y)
    return torch.cat([grads[k].reshape(len(x), -1) for k in params], 1).double()


def _gradient_variance(seed, trained_steps, batch_sizes, n_draws):
    data = _digits()
    net = _make_net(seed) if trained_steps == 0 else _train(seed, trained_steps, 0.1)["net"]
    with one_cpu_thread():
        G = _per_example_grads(net, data.x_train, data.y_train)
    N = len(G)
    g_full = G.mean(0)
    total_var = float(((G - g_full) ** 2).sum(1).mean())           # tr(Σ), population covariance
    gen = torch.Generator().manual_seed(seed + 7)
    D = G - g_full
    measured = []
    with one_cpu_thread():
        for B in batch_sizes:
            # n_draws batches without replacement as rows of an averaging matrix: (M @ D)[k] = g_B − g for draw k
            pick = torch.argsort(torch.rand(n_draws, N, generator=gen), dim=1)[:, :B]
            M = torch.zeros(n_draws, N, dtype=torch.float64).scatter_(1, pick, 1.0 / B)
            measured.append(float(((M @ D) ** 2).sum(1).mean()))
    B = np.array(batch_sizes, float)
    return {"batch_sizes": B, "measured": np.array(measured), "formula": total_var / B * (N - B) / (N - 1),
            "trace": total_var, "grad_norm2": float((g_full ** 2).sum()), "noise_scale": total_var /
            float((g_full ** 2).sum()), "N": N}


def gradient_variance_study(seed=0, trained_steps=0, batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
                            n_draws=100):
    """E‖g_B − g‖² of mini-batch gradients (batches drawn without replacement) against B, on the digits net.

    trained_steps: measure at initialisation (0) or after this many SGD steps (lr 0.1, B 32).  Returns
    {"batch_sizes", "measured", "formula" (tr(Σ)/B · (N − B)/(N − 1)), "trace" (tr Σ), "grad_norm2" (‖g‖²),
    "noise_scale" (tr Σ/‖g‖²), "N"}."""
    seed = v.seed_value("seed", seed)
    trained_steps = v.size("trained_steps", trained_steps, low=0, high=5000)
    sizes = v.array("batch_sizes", batch_sizes, ndim=1, max_size=30)
    n = len(_digits().x_train)
    if np.any(sizes < 1) or np.any(sizes > n) or np.any(sizes != np.round(sizes)):
        raise ValueError(f"batch_sizes must be whole numbers from 1 to {n}, got {sizes.tolist()}")
    n_draws = v.size("n_draws", n_draws, low=2, high=2000)
    cached = _gradient_variance_cached(seed, trained_steps, tuple(int(b) for b in sizes), n_draws)
    return {k: val.copy() if isinstance(val, np.ndarray) else val for k, val in cached.items()}


_gradient_variance_cached = functools.lru_cache(maxsize=32)(_gradient_variance)


# ---- batch size: steps, examples and time to a target loss

BATCH_LRS = {1: 0.02, 32: 0.2, "full": 0.5}


def batch_size_table(target=0.3, seed=0, max_examples=400_000):
    """Steps, examples seen and training seconds to reach a full-training-set loss of `target`, for batch size 1,
    32 and the full batch (at the learning rate `BATCH_LRS` gives each).  Returns a list of dicts (one per batch
    size): batch_size, lr, steps, examples, seconds (None when not reached within max_examples examples)."""
    target = v.finite_number("target", target, low=0.01, high=2.0)
    seed = v.seed_value("seed", seed)
    max_examples = v.size("max_examples", max_examples, low=1000, high=2_000_000)
    n = len(_digits().x_train)
    rows = []
    for key, lr in BATCH_LRS.items():
        b = n if key == "full" else key
        run = _train(seed, max(1, max_examples // b), lr, batch_size=b, eval_every=max(1, 64 // b), target=target)
        rows.append({"batch_size": b, "lr": lr, "steps": run["steps_to_target"],
                     "examples": run["examples_to_target"], "seconds": run["seconds_to_target"]})
    return rows


def shuffle_study(epochs=5, lr=0.1, seeds=SEEDS):
    """Training loss after `epochs` epochs (B 32) when batches come from the data sorted by class, from one fixed
    shuffle, or from a fresh shuffle every epoch.  Returns {order: (n_seeds,) final full-training loss}."""
    epochs = v.size("epochs", epochs, high=50)
    lr, seeds = _lr(lr, high=10), _seeds(seeds)
    steps = epochs * (len(_digits().x_train) // BATCH)
    return {order: np.array([_train_summary(_train(s, steps, lr, order=order, eval_every=steps))["final_loss"]
                             for s in seeds]) for order in ("sorted", "once", "reshuffle")}


# ---- learning rates

# 50, not 20: at η = 20 (and 10) whether a run diverges or first kills every ReLU and stalls depends on the seed and
# even on the CPU's floating-point kernels (a knife edge); η = 50 diverges within three steps in every seed.
LR_GRID = (0.01, 0.1, 1.0, 5.0, 50.0)


def lr_runs(lrs=LR_GRID, steps=300, seed=0):
    """Plain SGD (B 32) on the digits net at each learning rate.  Returns {lr: run summary} (see `_train`): "step"
    and "train_loss" (the full training loss every 10 steps, cut where the run diverged), "diverged", "diverged_at"
    (the step whose loss blew up, or None), "final_loss"
    (DIVERGED_LOSS when diverged), "dead_fraction" (hidden units dead on the training set at the end)."""
    lrs = v.array("lrs", lrs, ndim=1, max_size=12)
    if np.any(lrs <= 0) or np.any(lrs > 1e3):
        raise ValueError(f"lrs must lie in (0, 1000], got {lrs.tolist()}")
    steps, seed = v.size("steps", steps, high=5000), v.seed_value("seed", seed)
    out = {}
    for lr in lrs:
        run = _train(seed, steps, float(lr))
        out[float(lr)] = _train_summary(run)
        out[float(lr)]["dead_fraction"] = _dead_fraction(run["net"])
    return out


def _dead_fraction(net):
    """Fraction of hidden ReLU units that output 0 for every training example (notebook 05's "dead")."""
    with torch.no_grad():
        h = net[0](_digits().x_train)
    return float((h <= 0).all(0).float().mean()) if torch.isfinite(h).all() else 1.0


def lr_range_test(lr_min=1e-3, lr_max=10.0, steps=200, seed=0):
    """The learning-rate range test: SGD (B 32) with the rate raised geometrically from lr_min to lr_max over
    `steps` steps, recording each mini-batch loss.  Stops when the smoothed loss passes 4× its minimum (or blows up).

    Returns {"lrs", "loss" (raw), "smooth" (EMA 0.9, bias-corrected), "best_lr" (rate at the smallest smoothed loss),
    "suggested_lr" (best_lr / 10)}."""
    lr_min = _lr(lr_min, name="lr_min")
    lr_max = v.finite_number("lr_max", lr_max, low=lr_min, low_open=True, high=1e3)
    steps, seed = v.size("steps", steps, low=10, high=5000), v.seed_value("seed", seed)
    ratio = lr_max / lr_min

    def lr_fn(t):
        return lr_min * ratio ** ((t - 1) / (steps - 1))

    run = _train(seed, steps, lr_min, lr_fn=lr_fn, eval_every=steps + 1)
    losses = np.array(run["batch_loss"])
    lrs = np.array(run["lrs"][:len(losses)])
    smooth, avg = [], 0.0
    for i, loss in enumerate(losses):
        avg = 0.9 * avg + 0.1 * loss
        smooth.append(avg / (1 - 0.9 ** (i + 1)))
    smooth = np.array(smooth)
    stop = len(smooth)
    for i in range(len(smooth)):
        if smooth[i] > 4 * np.min(smooth[:i + 1]):
            stop = i + 1
            break
    lrs, losses, smooth = lrs[:stop], losses[:stop], smooth[:stop]
    best = float(lrs[np.argmin(smooth)])
    return {"lrs": lrs, "loss": losses, "smooth": smooth, "best_lr": best, "suggested_lr": best / 10}


# ---- adaptive methods on digits

# Each grid brackets its optimiser's best rate (0.1 and 0.03 on this task): a rate on either side of it does worse.
OPTIMIZER_LRS = {"sgd+momentum": (0.003, 0.01, 0.03, 0.1, 0.3), "adam": (0.001, 0.003, 0.01, 0.03, 0.1)}


def optimizer_comparison(steps=300, seeds=SEEDS):
    """SGD with momentum 0.9 against Adam on the digits net (B 32), each at the learning rates of OPTIMIZER_LRS.
    Returns {name: {lr: (n_seeds,) final full-training loss}} and, under "val_acc", the same shape of accuracies."""
    steps, seeds = v.size("steps", steps, high=5000), _seeds(seeds)
    out = {"loss": {}, "val_acc": {}}
    for name, lrs in OPTIMIZER_LRS.items():
        out["loss"][name], out["val_acc"][name] = {}, {}
        for lr in lrs:
            runs = [_train(s, steps, lr, optimizer="adam" if name == "adam" else "sgd",
                           momentum=0.0 if name == "adam" else 0.9, eval_every=steps) for s in seeds]
            out["loss"][name][lr] = np.array([min(r["final_loss"], DIVERGED_LOSS) for r in runs])
            out["val_acc"][name][lr] = np.array([r["val_acc"] for r in runs])
    return out


# ---- schedules

def schedule_lrs(name="cosine", steps=300, base_lr=0.1):
    """The learning rate at every step of one of SCHEDULES, read from torch.optim.lr_scheduler itself (a dummy
    parameter, stepped `steps` times).  Returns an array (steps,)."""
    v.one_of("name", name, SCHEDULES)
    steps, base_lr = v.size("steps", steps, low=10, high=100_000), _lr(base_lr, name="base_lr")
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = _scheduler(name, opt, steps, base_lr)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        _step_scheduler(sched)
    return np.array(lrs)


SCHEDULE_LR = 0.2
SCHEDULE_MOMENTUM = 0.9
COMPARED = ("constant", "step", "1/t", "cosine", "warmup-cosine", "one-cycle")


def schedule_comparison(schedules=COMPARED, steps=300, lr=SCHEDULE_LR, seeds=SEEDS):
    """Train the digits net (SGD, momentum 0.9, B 32) for the same `steps` under each schedule (peak rate `lr`).
    Returns {"loss": {schedule: (n_seeds,) final full-training loss}, "val_acc": {...}, "curves": {schedule:
    (n_eval,) training loss of the first seed}, "step": (n_eval,)}."""
    if isinstance(schedules, str):
        schedules = (schedules,)
    schedules = v.sequence("schedules", schedules, lambda n, s: v.one_of(n, s, SCHEDULES))
    steps, lr, seeds = v.size("steps", steps, low=10, high=5000), _lr(lr, high=10), _seeds(seeds)
    cached = _schedule_comparison(schedules, steps, lr, seeds)          # a copy: callers may change what they get
    return {k: ({n: a.copy() for n, a in val.items()} if isinstance(val, dict) else val.copy())
            for k, val in cached.items()}


@functools.lru_cache(maxsize=8)
def _schedule_comparison(schedules, steps, lr, seeds):
    out = {"loss": {}, "val_acc": {}, "curves": {}, "step": None}
    for name in schedules:
        runs = [_train_summary(_train(s, steps, lr, momentum=SCHEDULE_MOMENTUM, schedule=name, eval_every=10))
                for s in seeds]
        out["loss"][name] = np.array([r["final_loss"] for r in runs])
        out["val_acc"][name] = np.array([r["val_acc"] for r in runs])
        out["curves"][name] = runs[0]["train_loss"]
        out["step"] = runs[0]["step"]
    return out


def linear_scaling_study(epochs=6, small_batch=32, factor=8, lr=0.05, warmup_fraction=0.2, seeds=SEEDS):
    """The linear scaling rule at this scale: the same number of epochs at batch `small_batch` with rate lr, and at
    batch factor·small_batch with (a) the same rate, (b) factor·lr, (c) factor·lr after linear warm-up over
    warmup_fraction of the steps.  SGD with momentum 0.9.  Returns {setting: {"loss": (n_seeds,), "val_acc":
    (n_seeds,), "diverged": (n_seeds,) bool, "batch", "lr", "steps"}}."""
    epochs, small_batch = v.size("epochs", epochs, high=50), v.size("small_batch", small_batch, high=128)
    factor = v.size("factor", factor, low=2, high=32)
    lr, seeds = _lr(lr, high=10), _seeds(seeds)
    warmup_fraction = v.finite_number("warmup_fraction", warmup_fraction, low=0, low_open=True, high=1)
    n = len(_digits().x_train)
    big = small_batch * factor
    if big > n:
        raise ValueError(f"small_batch × factor = {big} exceeds the {n} training examples")
    settings = {f"B {small_batch}, lr {lr:g}": (small_batch, lr, 0),
                f"B {big}, lr {lr:g} (not scaled)": (big, lr, 0),
                f"B {big}, lr {factor * lr:g} (scaled)": (big, factor * lr, 0),
                f"B {big}, lr {factor * lr:g} + warm-up": (big, factor * lr, -1)}
    out = {}
    for name, (b, rate, warm) in settings.items():
        steps = max(1, epochs * n // b)
        warm = max(1, round(warmup_fraction * steps)) if warm else 0
        runs = [_train(s, steps, rate, batch_size=b, momentum=0.9, warmup=warm, eval_every=steps) for s in seeds]
        out[name] = {"loss": np.array([min(r["final_loss"], DIVERGED_LOSS) for r in runs]),
                     "val_acc": np.array([r["val_acc"] for r in runs]),
                     "diverged": np.array([r["diverged"] for r in runs]), "batch": b, "lr": rate, "steps": steps,
                     "warmup": warm}
    return out
