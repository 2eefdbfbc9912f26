"""Optimisation: gradient descent on quadratics and 2-D surfaces, mini-batch noise, momentum, adaptive methods and
learning-rate schedules, and the experiments of notebook 09.

Public functions (what the notebook and learners call):
- surfaces and exact gradient descent: quadratic_matrix, surface_loss, run_optimizer_2d, classify_run,
  gd_quadratic_steps, gd_rate, lr_threshold_sweep, steps_vs_kappa, saddle_runs, convexity_demo;
- momentum: momentum_steps, momentum_beta_sweep, best_momentum, momentum_rate, ema_momentum_steps,
  torch_sgd_steps;
- adaptive methods from scratch: adagrad_step, rmsprop_step, adam_step, compare_with_torch, adam_rotation_study;
- the digits experiments: permutation_midpoint, gradient_variance_study, batch_size_table, shuffle_study, lr_runs,
  lr_range_test, optimizer_comparison, schedule_lrs, schedule_comparison, linear_scaling_study;
- figures: plot_convexity, plot_saddle, plot_surface (the interactive view), plot_lr_threshold, plot_steps_vs_kappa,
  plot_gradient_variance, plot_lr_runs, plot_lr_range_test, plot_momentum_sweep, plot_schedules,
  plot_schedule_comparison;
- exercise checkers: check_max_stable_lr, check_best_momentum, check_schedule;
- predictions: KAPPA_STEPS, SADDLE_END, VARIANCE_FACTOR, MOMENTUM_SPEEDUP, SCHEDULE_WINNER.
"""

import functools
import math
import time

import numpy as np
import torch
from matplotlib.collections import LineCollection
from torch import nn
from torch.nn import functional as F

from utils import validation as v
from utils.data import load_dataset
from utils.device import one_cpu_thread
from utils.exercises import feedback, learner_number
from utils.plotstyle import BLUE, GREEN, ORANGE, PALETTE, PURPLE, SKY, VERMILION, light_log_axis, new_figure
from utils.predictions import Prediction

OPTIMIZERS_2D = ("gd", "sgd", "momentum", "nesterov", "adam")
SURFACES = ("quadratic", "two-valleys")
SCHEDULES = ("constant", "step", "exponential", "1/t", "cosine", "cosine-restarts", "warmup-cosine", "one-cycle")
SEEDS = (0, 1, 2)

# The 2-D view: every path starts here, and stops being drawn (as diverged) beyond this radius.
START = (-1.6, 1.1)
WINDOW = (-2.2, 2.2, -1.6, 1.6)
DIVERGED_RADIUS = 1e3
CONVERGED_TOL = 1e-2         # distance to a minimum that counts as "converged"

# The digits task shared by the training experiments: a 64-32-10 ReLU net, plain mini-batch SGD unless said otherwise.
SIZES = (64, 32, 10)
BATCH = 32
DIVERGED_LOSS = 1e3


# ----------------------------------------------------------------------------------------------
# Pure computations: quadratics and 2-D surfaces
# ----------------------------------------------------------------------------------------------

def _kappa(kappa):
    return v.finite_number("kappa", kappa, low=1.0, high=1e6)


def _lr(lr, high=1e3, name="lr"):
    return v.finite_number(name, lr, low=0.0, low_open=True, high=high)


def _momentum(momentum):
    return v.finite_number("momentum", momentum, low=0.0, high=1.0, high_open=True)


def quadratic_matrix(kappa=10.0, angle=0.0):
    """The Hessian A (2, 2) of f(w) = ½ wᵀA w with eigenvalues λ_max = 1 and λ_min = 1/κ.

    kappa: condition number κ = λ_max/λ_min (≥ 1); angle: rotation of the eigenvectors, in degrees
    (0 = aligned with the axes).  Returns a float64 array.
    """
    kappa = _kappa(kappa)
    angle = v.finite_number("angle", angle, low=-360, high=360)
    return _quadratic(kappa, angle)


def _quadratic(kappa, angle):
    t = math.radians(angle)
    q = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return q @ np.diag([1.0, 1.0 / kappa]) @ q.T


# The non-convex surface: two valleys along x (minima near x = ±1, the left one deeper) and a saddle between them.
_TILT = 0.08


def _two_valleys(w):
    x, y = w[..., 0], w[..., 1]
    return (x ** 2 - 1) ** 2 / 4 + _TILT * x + y ** 2 / 2


def _two_valleys_grad(w):
    x, y = w[..., 0], w[..., 1]
    return np.stack([x * (x ** 2 - 1) + _TILT, y], -1)


@functools.lru_cache(maxsize=None)
def _two_valley_minima():
    roots = np.roots([1.0, 0.0, -1.0, _TILT])
    xs = sorted(float(r.real) for r in roots if abs(r.imag) < 1e-12 and 3 * r.real ** 2 - 1 > 0)
    return tuple((x, 0.0) for x in xs)                     # left (global) first, then right (local)


def surface_loss(w, surface="quadratic", kappa=10.0, angle=0.0):
    """The loss at points w (..., 2) of a 2-D surface: "quadratic" (½ wᵀA w, `quadratic_matrix(kappa, angle)`)
    or "two-valleys" ((x² − 1)²/4 + 0.08·x + y²/2: a deeper left valley, a shallower right one, a saddle between).
    Returns an array of shape (...)."""
    w = v.array("w", w)
    if w.shape[-1] != 2:
        raise ValueError(f"w must have shape (..., 2), got {w.shape}")
    v.one_of("surface", surface, SURFACES)
    return _loss_fn(surface, _kappa(kappa), v.finite_number("angle", angle, low=-360, high=360))[0](w)


def _loss_fn(surface, kappa, angle):
    """(loss, gradient, minima) of a surface as plain functions of (..., 2) arrays."""
    if surface == "two-valleys":
        return _two_valleys, _two_valleys_grad, _two_valley_minima()
    a = _quadratic(kappa, angle)
    return (lambda w: 0.5 * np.einsum("...i,ij,...j->...", w, a, w)), (lambda w: w @ a.T), ((0.0, 0.0),)


def _run_2d(surface, kappa, angle, optimizer, lr, momentum, noise, steps, seed, start=START):
    """The optimiser's path (steps + 1, 2); it stops early (shorter path) once |w| passes DIVERGED_RADIUS."""
    _, grad, _ = _loss_fn(surface, kappa, angle)
    g_noise = np.random.default_rng(seed)
    w = np.array(start, dtype=float)
    path = [w.copy()]
    buf = np.zeros(2)
    m, s = np.zeros(2), np.zeros(2)
    b1, b2, eps = momentum, 0.999, 1e-8
    for t in range(1, steps + 1):
        g = grad(w)
        if optimizer != "gd" and noise > 0:
            g = g + noise * g_noise.standard_normal(2)
        if optimizer in ("gd", "sgd"):
            w = w - lr * g
        elif optimizer in ("momentum", "nesterov"):        # PyTorch's form: buf = β·buf + g
            buf = momentum * buf + g if t > 1 else g.copy()
            w = w - lr * (g + momentum * buf if optimizer == "nesterov" else buf)
        else:                                              # Adam, with β₁ = the momentum slider
            m = b1 * m + (1 - b1) * g
            s = b2 * s + (1 - b2) * g * g
            w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(s / (1 - b2 ** t)) + eps)
        path.append(w.copy())
        if not np.all(np.isfinite(w)) or np.hypot(*w) > DIVERGED_RADIUS:
            break
    return np.array(path)


def run_optimizer_2d(surface="quadratic", kappa=10.0, angle=0.0, optimizer="gd", lr=1.0, momentum=0.9, noise=0.0,
                     steps=100, seed=0):
    """Run an optimiser from START on a 2-D surface (see `surface_loss`).

    optimizer: "gd" (exact gradient), "sgd" (gradient + Gaussian noise of std `noise` per coordinate), "momentum"
    (heavy ball, PyTorch's form), "nesterov", "adam" (β₁ = momentum, β₂ = 0.999); every optimiser but "gd" sees the
    noise.  Returns the path (k + 1, 2), k ≤ steps: shorter when the run diverged (|w| > DIVERGED_RADIUS).
    """
    v.one_of("surface", surface, SURFACES)
    v.one_of("optimizer", optimizer, OPTIMIZERS_2D)
    return _run_2d(surface, _kappa(kappa), v.finite_number("angle", angle, low=-360, high=360), optimizer, _lr(lr),
                   _momentum(momentum), v.finite_number("noise", noise, low=0, high=10),
                   v.size("steps", steps, high=100_000), v.seed_value("seed", seed))


def _classify(path, minima, steps, noisy=False):
    """(kind, text): kind is "converged", "diverged" (left the radius, or its distance to the minimum grew by more
    than 20 % and is still growing), "oscillates" (bouncing across the minimum without getting closer), "jitters"
    (held near the minimum by gradient noise) or "slow" (still on its way)."""
    if len(path) < steps + 1 or not np.all(np.isfinite(path[-1])):
        return "diverged", f"diverged: |w| passed {DIVERGED_RADIUS:.0f} after {len(path) - 1} steps"
    mins = np.array(minima)
    dist = np.min(np.linalg.norm(path[:, None, :] - mins[None], axis=-1), axis=1)      # (steps + 1,)
    near = np.argmin(np.linalg.norm(path[-1] - mins, axis=1))
    which = "" if len(minima) == 1 else (" (deeper valley)" if near == 0 else " (shallower valley)")
    outside = np.flatnonzero(dist >= CONVERGED_TOL)
    first_in = 0 if len(outside) == 0 else outside[-1] + 1
    if first_in <= steps:
        return "converged", f"converged in {first_in} steps{which}"
    if dist[-1] > 1.2 * dist[0] and dist[-1] > dist[max(0, len(dist) - 11)]:
        return "diverged", f"diverges: distance to the minimum grew from {dist[0]:.2g} to {dist[-1]:.2g}"
    if noisy and dist[-1] < 0.5:
        return "jitters", f"jitters {dist[-1]:.2f} from the minimum{which}"
    moves = np.diff(path[-12:], axis=0)
    flips = np.mean(np.sum(moves[1:] * moves[:-1], axis=1) < 0) if len(moves) > 1 else 0.0
    if flips >= 0.5 and dist[-1] > 0.5 * dist[max(0, len(dist) - 12)]:
        return "oscillates", f"oscillates: {dist[-1]:.2g} from the minimum after {steps} steps"
    return "slow", f"not converged: {dist[-1]:.2g} away{which} after {steps} steps"


def classify_run(path, surface="quadratic", steps=None, noisy=False):
    """What a 2-D run did: returns (kind, text) with kind one of "converged", "diverged", "oscillates", "jitters",
    "slow", and a one-line description ("converged in 37 steps").  path: (k + 1, 2) from `run_optimizer_2d`;
    steps: the number of steps asked for (default: the path's length − 1); noisy: the gradients were noisy."""
    path = v.array("path", path, ndim=2)
    if path.shape[1] != 2:
        raise ValueError(f"path must have shape (k + 1, 2), got {path.shape}")
    v.one_of("surface", surface, SURFACES)
    steps = len(path) - 1 if steps is None else v.size("steps", steps, low=0, high=100_000)
    return _classify(path, _loss_fn(surface, 1.0, 0.0)[2], steps, v.boolean("noisy", noisy))


def gd_rate(kappa=10.0, lr=None):
    """The worst contraction per step of GD on a quadratic with λ ∈ [1/κ, 1]: max |1 − ηλ| over the extremes.
    lr: the step size η (default: the best fixed rate 2/(λ_min + λ_max), whose rate is (κ − 1)/(κ + 1))."""
    kappa = _kappa(kappa)
    lr = 2 / (1 + 1 / kappa) if lr is None else _lr(lr)
    return max(abs(1 - lr), abs(1 - lr / kappa))


def _gd_steps(a, lr, tol, max_steps, start=(1.0, 1.0)):
    """Steps of GD on ½ wᵀAw until |w| < tol·|w₀| (None if not within max_steps or diverged)."""
    w = np.array(start, dtype=float)
    target = tol * np.linalg.norm(w)
    for t in range(1, max_steps + 1):
        w = w - lr * (a @ w)
        r = np.linalg.norm(w)
        if r < target:
            return t
        if not np.isfinite(r) or r > 1e12:
            return None
    return None


def gd_quadratic_steps(kappa=10.0, lr=1.0, angle=30.0, tol=1e-6, max_steps=100_000):
    """Measured steps of plain GD on ½ wᵀAw (A = quadratic_matrix(kappa, angle)) from w₀ = (1, 1) until
    |w| < tol·|w₀|.  Returns an int, or None when it does not get there within max_steps (or diverges)."""
    a = quadratic_matrix(kappa, angle)
    return _gd_steps(a, _lr(lr), v.finite_number("tol", tol, low=0, low_open=True, high=1, high_open=True),
                     v.size("max_steps", max_steps, high=1_000_000))


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


# ---- convexity and a saddle

def convexity_demo(n_points=201):
    """A convex f(x) = x²/2 and a non-convex g(x) = (x² − 1)²/4 + 0.08x on [−2, 2], their second derivatives, and
    one chord each between x = −1.2 and x = 1.2.  Returns a dict of arrays, and for each function whether its chord
    lies above it everywhere ("chord_above": bool) and the smallest second derivative ("min_curvature")."""
    n_points = v.size("n_points", n_points, low=11, high=10_001)
    x = np.linspace(-2, 2, n_points)
    out = {"x": x}
    fns = {"convex": (lambda z: z ** 2 / 2, lambda z: np.ones_like(z)),
           "non-convex": (lambda z: (z ** 2 - 1) ** 2 / 4 + _TILT * z, lambda z: 3 * z ** 2 - 1)}
    a, b = -1.2, 1.2
    inside = (x >= a) & (x <= b)
    for name, (f, f2) in fns.items():
        t = (x[inside] - a) / (b - a)
        chord = (1 - t) * f(a) + t * f(b)
        out[name] = {"f": f(x), "f2": f2(x), "chord_x": np.array([a, b]), "chord_y": np.array([f(a), f(b)]),
                     "chord_above": bool(np.all(chord >= f(x[inside]) - 1e-12)),
                     "min_curvature": float(np.min(f2(x)))}
    return out


def _saddle_grad(w):
    x, y = w
    return np.array([x, y ** 3 - y])           # f = x²/2 + y⁴/4 − y²/2: a saddle at 0, minima at (0, ±1)


def _saddle_loss(w):
    w = np.asarray(w)
    return w[..., 0] ** 2 / 2 + w[..., 1] ** 4 / 4 - w[..., 1] ** 2 / 2


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


def _seeds(seeds, name="seeds"):
    return v.seeds(name, seeds)


# ---- momentum on a quadratic

def _best_heavy_ball(kappa):
    """Polyak's best (η, β) for λ ∈ [1/κ, 1]: η = 4/(√λ_max + √λ_min)², β = ((√κ − 1)/(√κ + 1))²."""
    lr = 4 / (1 + math.sqrt(1 / kappa)) ** 2
    return lr, ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2


def best_momentum(kappa=100.0):
    """The best heavy-ball momentum for a quadratic of condition number κ: β* = ((√κ − 1)/(√κ + 1))²."""
    return _best_heavy_ball(_kappa(kappa))[1]


def momentum_rate(kappa=100.0):
    """The contraction per step of heavy-ball momentum at its best (η, β): (√κ − 1)/(√κ + 1) (= √β*)."""
    k = _kappa(kappa)
    return (math.sqrt(k) - 1) / (math.sqrt(k) + 1)


def _momentum_steps(a, lr, beta, tol, max_steps, start=(1.0, 1.0), nesterov=False):
    w = np.array(start, dtype=float)
    buf = np.zeros(2)
    target = tol * np.linalg.norm(w)
    for t in range(1, max_steps + 1):
        g = a @ w
        buf = beta * buf + g
        w = w - lr * (g + beta * buf if nesterov else buf)
        r = np.linalg.norm(w)
        if r < target:
            return t
        if not np.isfinite(r) or r > 1e12:
            return None
    return None


def momentum_steps(kappa=100.0, lr=None, beta=None, angle=30.0, tol=1e-6, max_steps=100_000, nesterov=False):
    """Measured steps of heavy-ball momentum (PyTorch's form: buf = β·buf + g, w −= η·buf) on ½ wᵀAw from (1, 1) to
    |w| < tol·|w₀|.  lr, beta: default Polyak's best pair for κ.  Returns an int, or None (not within max_steps, or
    diverged)."""
    kappa = _kappa(kappa)
    best_lr, best_beta = _best_heavy_ball(kappa)
    lr = best_lr if lr is None else _lr(lr)
    beta = best_beta if beta is None else v.finite_number("beta", beta, low=0, high=1, high_open=True)
    return _momentum_steps(quadratic_matrix(kappa, angle), lr, beta,
                           v.finite_number("tol", tol, low=0, low_open=True, high=1, high_open=True),
                           v.size("max_steps", max_steps, high=1_000_000), nesterov=v.boolean("nesterov", nesterov))


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


def ema_momentum_steps(grads, lr=0.1, beta=0.9, w0=None):
    """The "EMA" form of momentum, m = β·m + (1 − β)·g (m₀ = 0), w −= η·m, fed a fixed list of gradients.

    grads: (T, P) one gradient per step; w0: (P,) start (zeros by default).  Returns the weights (T + 1, P)."""
    grads = v.array("grads", grads, ndim=2, max_size=10 ** 6)
    lr, beta = _lr(lr), v.finite_number("beta", beta, low=0, high=1, high_open=True)
    w = np.zeros(grads.shape[1]) if w0 is None else v.array("w0", w0, shape=(grads.shape[1],)).copy()
    m, out = np.zeros_like(w), [w.copy()]
    for g in grads:
        m = beta * m + (1 - beta) * g
        w = w - lr * m
        out.append(w.copy())
    return np.array(out)


def torch_sgd_steps(grads, lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, w0=None):
    """`torch.optim.SGD` itself, fed the same fixed list of gradients (float64).  Returns the weights (T + 1, P)."""
    grads = v.array("grads", grads, ndim=2, max_size=10 ** 6)
    lr, momentum = _lr(lr), _momentum(momentum)
    dampening = v.finite_number("dampening", dampening, low=0, high=1)
    w = torch.zeros(grads.shape[1], dtype=torch.float64) if w0 is None else \
        torch.tensor(v.array("w0", w0, shape=(grads.shape[1],)), dtype=torch.float64)
    w.requires_grad_(True)
    opt = torch.optim.SGD([w], lr=lr, momentum=momentum, dampening=dampening, nesterov=v.boolean("nesterov",
                                                                                                  nesterov))
    out = [w.detach().numpy().copy()]
    for g in grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(w.detach().numpy().copy())
    return np.array(out)


# ---- adaptive methods, from scratch

def _step_args(w, g, state, lr, eps):
    w, g = v.tensor("w", w, max_size=10 ** 7), v.tensor("g", g, max_size=10 ** 7)
    if w.shape != g.shape:
        raise ValueError(f"w and g must have the same shape, got w {tuple(w.shape)} and g {tuple(g.shape)}")
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict (empty at the first step), got {state!r}")
    return w, g, _lr(lr), v.finite_number("eps", eps, low=0, high=1)


def adagrad_step(w, g, state, lr=0.01, eps=1e-10):
    """One AdaGrad step: s += g²; w −= η·g/(√s + ε).  w, g: tensors of one shape; state: a dict (empty at the
    start) that keeps s.  Returns the new w."""
    w, g, lr, eps = _step_args(w, g, state, lr, eps)
    s = state.get("sum", torch.zeros_like(w)) + g * g
    state["sum"] = s
    return w - lr * g / (s.sqrt() + eps)


def rmsprop_step(w, g, state, lr=0.01, alpha=0.99, eps=1e-8):
    """One RMSProp step: s = α·s + (1 − α)·g²; w −= η·g/(√s + ε).  Returns the new w."""
    w, g, lr, eps = _step_args(w, g, state, lr, eps)
    alpha = v.finite_number("alpha", alpha, low=0, high=1, high_open=True)
    s = alpha * state.get("sq", torch.zeros_like(w)) + (1 - alpha) * g * g
    state["sq"] = s
    return w - lr * g / (s.sqrt() + eps)


def adam_step(w, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """One Adam step: m = β₁m + (1 − β₁)g, s = β₂s + (1 − β₂)g², both bias-corrected by 1 − βᵗ;
    w −= η·m̂/(√ŝ + ε).  Returns the new w."""
    w, g, lr, eps = _step_args(w, g, state, lr, eps)
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (β₁, β₂), got {betas!r}")
    b1, b2 = (v.finite_number("betas", b, low=0, high=1, high_open=True) for b in betas)
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", torch.zeros_like(w)) + (1 - b1) * g
    s = b2 * state.get("s", torch.zeros_like(w)) + (1 - b2) * g * g
    state.update(t=t, m=m, s=s)
    m_hat, s_hat = m / (1 - b1 ** t), s / (1 - b2 ** t)
    return w - lr * m_hat / (s_hat.sqrt() + eps)


_SCRATCH = {"adagrad": (adagrad_step, torch.optim.Adagrad, {"lr": 0.1}),
            "rmsprop": (rmsprop_step, torch.optim.RMSprop, {"lr": 0.01}),
            "adam": (adam_step, torch.optim.Adam, {"lr": 0.01})}


def compare_with_torch(method="adam", steps=20, seed=0):
    """Run the from-scratch update and `torch.optim`'s on the same problem (a random least-squares loss, float64,
    20 parameters) for `steps` steps.  Returns the largest absolute difference between the two weight trajectories."""
    v.one_of("method", method, tuple(_SCRATCH))
    steps, seed = v.size("steps", steps, high=10_000), v.seed_value("seed", seed)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(50, 20, generator=g, dtype=torch.float64)
    y = torch.randn(50, generator=g, dtype=torch.float64)
    w0 = torch.randn(20, generator=g, dtype=torch.float64)
    step_fn, cls, kw = _SCRATCH[method]

    def grad(w):
        return 2 * x.T @ (x @ w - y) / len(y)

    w_ref = w0.clone().requires_grad_(True)
    opt = cls([w_ref], **kw)
    w, state, worst = w0.clone(), {}, 0.0
    for _ in range(steps):
        w_ref.grad = grad(w_ref.detach())
        opt.step()
        w = step_fn(w, grad(w), state, **kw)
        worst = max(worst, float((w - w_ref.detach()).abs().max()))
    return worst


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
    report when; training time only, evaluations excluded).
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
    out = {"step": [0], "train_loss": [], "batch_loss": [], "lrs": [], "diverged": False, "steps_to_target": None,
           "examples_to_target": None, "seconds_to_target": None}
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
            sched.step()
        seconds += time.perf_counter() - start
        value = loss.item()
        if not math.isfinite(value) or value > DIVERGED_LOSS:
            out["diverged"] = True
            break
        out["batch_loss"].append(value)
        if t % eval_every == 0 or t == steps:
            with torch.no_grad():
                full = F.cross_entropy(net(x), y).item()
            if not math.isfinite(full) or full > DIVERGED_LOSS:
                out["diverged"] = True
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

LR_GRID = (0.01, 0.1, 1.0, 5.0, 20.0)


def lr_runs(lrs=LR_GRID, steps=300, seed=0):
    """Plain SGD (B 32) on the digits net at each learning rate.  Returns {lr: run summary} (see `_train`): "step"
    and "train_loss" (the full training loss every 10 steps, cut where the run diverged), "diverged", "final_loss"
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

OPTIMIZER_LRS = {"sgd+momentum": (0.01, 0.03, 0.1), "adam": (0.001, 0.003, 0.01)}


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
        sched.step()
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
    schedules = tuple(v.one_of("schedules", s, SCHEDULES) for s in schedules)
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


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------

_NAMES = {"gd": "GD", "sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adam": "Adam"}


@functools.lru_cache(maxsize=64)
def _contour_segments(surface, kappa, angle):
    """Contour lines of a surface in the view's window, as a list of (k, 2) arrays (cached per surface)."""
    import contourpy

    xs, ys = np.linspace(*WINDOW[:2], 161), np.linspace(*WINDOW[2:], 121)
    grid = np.stack(np.meshgrid(xs, ys), -1)
    loss, _, minima = _loss_fn(surface, kappa, angle)
    z = loss(grid)
    low = min(loss(np.array(m)) for m in minima)
    levels = low + np.geomspace(1e-3, max(float(z.max() - low), 1e-2), 14)
    gen = contourpy.contour_generator(xs, ys, z)
    return [seg for level in levels for seg in gen.lines(level) if len(seg) > 1]


def plot_surface(surface="quadratic", kappa=10.0, angle=30.0, optimizer="gd", lr=1.0, momentum=0.9, noise=0.0,
                 steps=60, fig=None):
    """The interactive view: an optimiser's path on a 2-D surface (left) and its distance to the nearest minimum
    against the step (right, log scale).  The title says what happened: converged in N steps, oscillates, jitters,
    still moving, or diverged.  A diverging path is drawn until it leaves the window (marked ✕ at the edge) and its
    distance is clipped at the top of the right panel: never NaN, never an empty axis.

    surface: "quadratic" (λ_max = 1, λ_min = 1/kappa, eigenvectors rotated by `angle` degrees; GD is stable for
    lr < 2) or "two-valleys" (kappa and angle unused).  optimizer: one of OPTIMIZERS_2D; momentum is β (β₁ for
    Adam); noise: std of the Gaussian noise added to each gradient (all optimisers but "gd").
    Given its previous figure (`fig=`), it moves the artists instead of building a new figure.
    """
    path = run_optimizer_2d(surface, kappa, angle, optimizer, lr, momentum, noise, steps)
    kappa, angle = float(kappa), float(angle)
    minima = _loss_fn(surface, kappa, angle)[2]
    kind, text = _classify(path, minima, steps, noisy=optimizer != "gd" and noise > 0)
    dist = np.min(np.linalg.norm(path[:, None, :] - np.array(minima)[None], axis=-1), axis=1)
    dist = np.clip(np.nan_to_num(dist, nan=1e4, posinf=1e4), 1e-8, 1e4)
    end = np.clip(path[-1], [WINDOW[0], WINDOW[2]], [WINDOW[1], WINDOW[3]])     # where a diverged path leaves
    state = getattr(fig, "_surface_state", None) if fig is not None else None
    if state is None:
        fig, (ax, ax2) = new_figure(1, 2, figsize=(9.6, 4.3))
        state = {"contours": ax.add_collection(LineCollection([], colors="0.65", linewidths=0.8, zorder=1))}
        state["path"] = ax.plot([], [], "-o", color=BLUE, ms=2.5, lw=1.3, zorder=3)[0]
        state["end"] = ax.plot([], [], "X", color=VERMILION, ms=11, zorder=4)[0]
        state["minima"] = ax.plot([], [], "*", color=GREEN, ms=15, zorder=5)[0]
        ax.plot(*START, "s", color="k", ms=7, zorder=4)
        ax.set(xlim=WINDOW[:2], ylim=WINDOW[2:], aspect="equal", xlabel="w₁", ylabel="w₂")
        ax.set_xticks([-2, -1, 0, 1, 2])
        ax.set_yticks([-1, 0, 1])
        state["dist"] = ax2.plot([], [], color=BLUE, lw=1.8)[0]
        ax2.axhline(CONVERGED_TOL, color=GREEN, lw=1, ls="--")
        ax2.text(0.03, CONVERGED_TOL / 2, "converged", color=GREEN, ha="left", va="top", fontsize=11,
                 transform=ax2.get_yaxis_transform())
        ax2.set(yscale="log", ylim=(1e-8, 1e4), xlabel="step", ylabel="distance to nearest minimum")
        light_log_axis(ax2, "y", numticks=5)
        fig.set_layout_engine("none")            # a fixed layout: re-solving it on every redraw costs more than drawing
        ax.set_position([0.08, 0.13, 0.48, 0.72])
        ax2.set_position([0.68, 0.13, 0.29, 0.72])
        state["title"] = fig.suptitle("", fontsize=12.5, y=0.97)
        fig._surface_state = state
    ax2 = fig.axes[1]
    state["contours"].set_segments(_contour_segments(surface, kappa, angle))
    state["path"].set_data(path[:, 0], path[:, 1])        # finite (runs stop at DIVERGED_RADIUS); the axes clip it
    state["end"].set_data([end[0]], [end[1]]) if kind == "diverged" else state["end"].set_data([], [])
    state["minima"].set_data([m[0] for m in minima], [m[1] for m in minima])
    state["dist"].set_data(np.arange(len(dist)), dist)
    ax2.set_xlim(0, max(steps, 1))
    extra = f", β {momentum:.2f}" if optimizer in ("momentum", "nesterov", "adam") else ""
    extra += f", noise {noise:.2f}" if optimizer != "gd" and noise > 0 else ""
    state["title"].set_text(f"{_NAMES[optimizer]} (η {lr:.3g}{extra}): {text}")
    state["title"].set_color(VERMILION if kind == "diverged" else "black")
    return fig


VIEW_SWEEPS = {"plot_surface": (
    [{"surface": "quadratic", "kappa": k, "angle": a, "optimizer": o, "lr": lr, "momentum": 0.9, "noise": 0.0,
      "steps": 60} for k in (1.0, 10.0, 100.0) for a in (0.0, 30.0) for o in ("gd", "momentum")
     for lr in (0.1, 1.0, 2.05)]
    + [{"surface": "quadratic", "optimizer": o, "lr": lr, "momentum": b, "noise": n, "steps": st}
       for o in ("sgd", "nesterov", "adam") for lr in (0.01, 0.3, 3.0) for b in (0.0, 0.99) for n in (0.0, 1.0)
       for st in (1, 300)]
    + [{"surface": "two-valleys", "optimizer": o, "lr": lr, "momentum": 0.9, "noise": n, "steps": 150}
       for o in OPTIMIZERS_2D for lr in (0.05, 0.5, 5.0) for n in (0.0, 0.5)])}


def plot_convexity(demo):
    """Left: a convex and a non-convex function, each with a chord; right: their second derivatives."""
    x = demo["x"]
    fig, (a1, a2) = new_figure(1, 2, figsize=(9.6, 3.9))
    for name, colour in (("convex", BLUE), ("non-convex", VERMILION)):
        d = demo[name]
        label = f"{name}: chord {'above' if d['chord_above'] else 'crosses below'}"
        a1.plot(x, d["f"], color=colour, label=label)
        a1.plot(d["chord_x"], d["chord_y"], "--o", color=colour, ms=5, lw=1.4)
        a2.plot(x, d["f2"], color=colour, label=f"{name}: min f″ = {d['min_curvature']:.2g}")
    a2.axhline(0, color="k", lw=0.8)
    a1.set(xlabel="w", ylabel="f(w)", ylim=(-0.6, 2.2), title="A chord lies above a convex function")
    a2.set(xlabel="w", ylabel="second derivative f″(w)", title="…whose curvature is never negative")
    a1.legend(fontsize=10, loc="upper center")
    a2.legend(fontsize=10, loc="upper center")
    return fig


def plot_saddle(runs):
    """Left: the saddle surface with plain GD (stalls at the saddle) and noisy GD (escapes); right: loss per step."""
    fig, (a1, a2) = new_figure(1, 2, figsize=(9.6, 4.0))
    xs, ys = np.linspace(-1.8, 1.8, 121), np.linspace(-1.5, 1.5, 101)
    X, Y = np.meshgrid(xs, ys)
    a1.contour(X, Y, _saddle_loss(np.stack([X, Y], -1)), levels=14, colors="0.65", linewidths=0.8)
    a1.plot(*runs["gd"].T, "-o", color=VERMILION, ms=2, lw=1.3, label="GD")
    for i, p in enumerate(runs["noisy"]):
        a1.plot(*p.T, "-", color=BLUE, lw=1.0, alpha=0.8, label="GD + noise" if i == 0 else None)
    a1.plot([0, 0], [-1, 1], "*", color=GREEN, ms=13)
    a1.plot(0, 0, "x", color="k", ms=9, mew=2)
    a1.set(xlabel="x", ylabel="y", aspect="equal", title="GD stops at the saddle ✕")
    a1.legend(fontsize=10, loc="lower left")
    steps = np.arange(len(runs["loss_gd"]))
    a2.plot(steps, runs["loss_gd"], color=VERMILION, label="GD")
    for i, l in enumerate(runs["loss_noisy"]):
        a2.plot(steps, l, color=BLUE, lw=1.2, alpha=0.8, label=f"GD + noise ({len(runs['loss_noisy'])} seeds)"
                if i == 0 else None)
    a2.axhline(runs["minimum"], color=GREEN, ls="--", lw=1)
    stuck = runs["loss_gd"][-1]
    a2.set(xlabel="step", ylabel="loss", title=f"GD ends at loss {stuck:.1g}, noise finds −0.25")
    a2.legend(fontsize=10)
    return fig


def plot_lr_threshold(sweep):
    """|w_t| against the step for learning rates just below and just above 2/λ_max (log scale, clipped)."""
    fig, ax = new_figure(figsize=(8, 4))
    colours = (GREEN, BLUE, SKY, ORANGE, VERMILION)
    for f, curve, colour in zip(sweep["factors"], sweep["curves"], colours * 3):
        ax.plot(np.arange(len(curve)), np.clip(curve, 1e-20, 1e12), color=colour, lw=1.8,
                label=f"η = {f:g} × 2/λ_max")
    ax.set(yscale="log", ylim=(1e-20, 1e12), xlabel="GD step", ylabel="|w_t|  (clipped at 10¹²)")
    light_log_axis(ax, "y")
    below = sweep["diverged"][sweep["factors"] < 1]
    above = sweep["diverged"][sweep["factors"] > 1]
    verdict = "below 2/λ_max every run converges, above it every run diverges" if (
        not np.any(below) and np.all(above)) else "the threshold is not sharp here"
    ax.set_title(verdict[0].upper() + verdict[1:], fontsize=13)
    ax.legend(fontsize=10, loc="lower left", ncol=2)
    return fig


def plot_steps_vs_kappa(res):
    """Steps to converge against κ (log–log): GD at its best rate, momentum at its best (η, β), measured and theory."""
    fig, ax = new_figure(figsize=(7.5, 4.2))
    k = res["kappas"]
    ax.plot(k, res["gd"], "o", color=VERMILION, ms=7, label="GD, measured")
    ax.plot(k, res["gd_theory"], "-", color=VERMILION, lw=1.2, label="GD, ln(1/tol)/ln((κ+1)/(κ−1))")
    ax.plot(k, res["momentum"], "s", color=BLUE, ms=7, label="momentum, measured")
    ax.plot(k, res["momentum_theory"], "-", color=BLUE, lw=1.2, label="momentum, rate (√κ−1)/(√κ+1)")
    ax.set(xscale="log", yscale="log", xlabel="condition number κ", ylabel="steps to |w| < 10⁻⁶ |w₀|")
    light_log_axis(ax, "x")
    light_log_axis(ax, "y")
    ratio = res["gd"][-1] / res["momentum"][-1]
    ax.set_title(f"GD's steps grow like κ, momentum's like √κ ({ratio:.0f}× fewer at κ = {k[-1]:g})", fontsize=13)
    ax.legend(fontsize=10)
    return fig


def plot_gradient_variance(studies):
    """Measured E‖g_B − g‖² against B (log–log, dots) with the formula tr(Σ)/B·(N − B)/(N − 1) (lines), for each
    study in `studies` ({label: gradient_variance_study(...)}); the noise scale tr Σ/‖g‖² marked on each curve."""
    fig, ax = new_figure(figsize=(8, 4.3))
    for (label, st), colour in zip(studies.items(), (BLUE, VERMILION, GREEN)):
        B = st["batch_sizes"]
        ax.plot(B, st["measured"], "o", color=colour, ms=6, label=f"{label}: measured")
        ax.plot(B, st["formula"], "-", color=colour, lw=1.4, label=f"{label}: formula")
        ax.plot(B, st["trace"] / B, ":", color=colour, lw=1.2)
        ax.axvline(st["noise_scale"], color=colour, lw=1, ls="--")
        ax.text(st["noise_scale"] * 1.08, st["measured"][0], f"B_noise ≈ {st['noise_scale']:.0f}", color=colour,
                fontsize=10, va="top")
    ax.set(xscale="log", yscale="log", xlabel="batch size B", ylabel="E‖g_B − g‖²")
    light_log_axis(ax, "x")
    light_log_axis(ax, "y")
    ax.set_title("Variance falls as 1/B (dotted), faster near N (without replacement)", fontsize=13)
    ax.legend(fontsize=10, loc="lower left")
    return fig


def plot_lr_runs(runs):
    """Full training loss against the step for each learning rate (runs from `lr_runs`); a diverged run ends in ✕ at
    the top of the panel where it blew up."""
    fig, ax = new_figure(figsize=(8, 4.2))
    top = 5.0
    for (lr, run), colour in zip(runs.items(), PALETTE):
        loss = np.clip(run["train_loss"], 1e-3, top)
        label = f"η = {lr:g}" + (" (diverged)" if run["diverged"] else f": {run['final_loss']:.2f}")
        ax.plot(run["step"], loss, color=colour, label=label)
        if run["diverged"]:
            ax.plot(run["step"][-1] + 10, top, "X", color=colour, ms=11, clip_on=False)
    ax.axhline(math.log(10), color="0.4", lw=1, ls=":")
    ax.text(ax.get_xlim()[1], math.log(10) * 1.05, "ln 10: chance", ha="right", va="bottom", fontsize=10,
            color="0.3")
    ax.set(yscale="log", ylim=(1e-2, top), xlabel="SGD step", ylabel="training loss (clipped at 5)")
    light_log_axis(ax, "y")
    best = min((r["final_loss"], lr) for lr, r in runs.items())[1]
    ax.set_title(f"Too small crawls, too large stalls or diverges; η = {best:g} ends lowest", fontsize=13)
    ax.legend(fontsize=10, loc="lower left")
    return fig


def plot_lr_range_test(rt):
    """The range test: mini-batch loss (raw and smoothed) against the learning rate, with the rate of the smallest
    smoothed loss and the suggestion (a tenth of it) marked."""
    fig, ax = new_figure(figsize=(8, 4))
    ax.plot(rt["lrs"], rt["loss"], color="0.7", lw=1, label="mini-batch loss")
    ax.plot(rt["lrs"], rt["smooth"], color=BLUE, label="smoothed")
    ax.axvline(rt["best_lr"], color=VERMILION, ls="--", lw=1.3, label=f"lowest: η = {rt['best_lr']:.2g}")
    ax.axvline(rt["suggested_lr"], color=GREEN, ls="--", lw=1.3, label=f"suggested: η = {rt['suggested_lr']:.2g}")
    ax.set(xscale="log", xlabel="learning rate (raised every step)", ylabel="loss", ylim=(0, 3.5))
    light_log_axis(ax, "x")
    ax.set_title("Range test: the loss falls, bottoms out, then climbs", fontsize=13)
    ax.legend(fontsize=10, loc="lower left")
    return fig


def plot_momentum_sweep(sweep):
    """Steps to converge against β (κ from the sweep), heavy ball and Nesterov, with the formula's β* and the
    measured optimum marked and plain GD's steps as a reference line."""
    fig, ax = new_figure(figsize=(8, 4.2))
    b = sweep["betas"]
    ax.plot(b, np.where(sweep["converged"], sweep["steps"], np.nan), color=BLUE,      # gaps: no convergence
            label=f"heavy ball, η = {sweep['lr']:.2f}")
    ax.plot(b, np.where(sweep["nesterov_converged"], sweep["nesterov_steps"], np.nan), color=ORANGE,
            label="Nesterov, η = 1")
    edge = (sweep["lr"] - 2) / 2            # heavy ball needs η λ_max < 2 + 2β
    if edge > 0:
        ax.axvspan(0, edge, color="0.92", zorder=0)
        ax.text(edge / 2, 0.04, "heavy ball unstable:\nηλ_max > 2 + 2β", transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=10, color="0.35")
    ax.axhline(sweep["gd_steps"], color=VERMILION, ls=":", lw=1.3, label=f"GD at its best rate: {sweep['gd_steps']}")
    ax.axvline(sweep["beta_star"], color=GREEN, ls="--", lw=1.3, label=f"formula β* = {sweep['beta_star']:.3f}")
    best_steps = np.min(sweep["steps"])
    ax.plot(sweep["best_beta"], best_steps, "o", color=PURPLE, ms=9,
            label=f"measured best β = {sweep['best_beta']:.2f}")
    ax.set(yscale="log", xlabel="momentum β", ylabel="steps to |w| < 10⁻⁶ |w₀|")
    light_log_axis(ax, "y")
    ax.set_title(f"Best β: {sweep['best_beta']:.2f} measured, {sweep['beta_star']:.3f} by formula "
                 f"({sweep['gd_steps'] / best_steps:.0f}× fewer steps than GD)", fontsize=13)
    ax.legend(fontsize=10, loc="center left")
    return fig


def plot_schedules(steps=300, base_lr=0.1):
    """The gallery: each schedule's learning rate per step, read from torch.optim.lr_scheduler (2 × 4 panels)."""
    steps, base_lr = v.size("steps", steps, low=10, high=100_000), _lr(base_lr, name="base_lr")
    fig, axes = new_figure(2, 4, figsize=(9.6, 4.6), sharex=True, sharey=True)
    for ax, name, colour in zip(axes.flat, SCHEDULES, PALETTE):
        ax.plot(np.arange(steps), schedule_lrs(name, steps, base_lr), color=colour)
        ax.set_title(name, fontsize=12)
        ax.set_ylim(0, base_lr * 1.08)
    for ax in axes[1]:
        ax.set_xlabel("step")
    for ax in axes[:, 0]:
        ax.set_ylabel("η")
    return fig


def plot_schedule_comparison(comp):
    """Left: training loss of the first seed under each schedule; right: final training loss, one dot per seed."""
    fig, (a1, a2) = new_figure(1, 2, figsize=(9.6, 4.2))
    names = list(comp["loss"])
    for name, colour in zip(names, PALETTE):
        a1.plot(comp["step"], comp["curves"][name], color=colour, lw=1.5, label=name)
    a1.set(yscale="log", xlabel="step", ylabel="training loss (seed 0)")
    light_log_axis(a1, "y")
    a1.legend(fontsize=9, ncol=2, loc="upper right")
    for i, (name, colour) in enumerate(zip(names, PALETTE)):
        vals = comp["loss"][name]
        a2.plot(np.full(len(vals), i), vals, "o", color=colour, ms=7)
    a2.set_xticks(range(len(names)), labels=names, rotation=35, ha="right", fontsize=10)
    a2.set(yscale="log", ylabel="final training loss")
    light_log_axis(a2, "y")
    best = min(names, key=lambda n: np.mean(comp["loss"][n]))
    fig.suptitle(f"Same steps, same peak rate: {best} ends lowest on average", fontsize=13)
    return fig


# ----------------------------------------------------------------------------------------------
# Predictions (asked in the notebook before the experiment that answers them)
# ----------------------------------------------------------------------------------------------

def _saddle_end():
    end = saddle_runs()["gd"][-1]
    if np.linalg.norm(end) < 0.05:
        return "at the saddle (0, 0)"
    return "in a minimum (0, ±1)" if abs(abs(end[1]) - 1) < 0.05 else "it diverges"


SADDLE_END = Prediction(
    question="Plain GD (η = 0.1) starts at (1.5, 0), exactly on the ridge of f(x, y) = x²/2 + y⁴/4 − y²/2, whose "
             "minima are at (0, ±1) and whose saddle is at (0, 0). Where is it after 150 steps?",
    options=("at the saddle (0, 0)", "in a minimum (0, ±1)", "it diverges"),
    answer=_saddle_end,
    why="On the line y = 0 the gradient's y-component, y³ − y, is exactly 0, so GD never leaves the line and slides "
        "into the saddle, where the gradient vanishes. Any noise in y grows by a factor (1 + η) per step near the "
        "saddle, so a noisy gradient escapes to a minimum.")


def _kappa_steps_ratio():
    res = steps_vs_kappa((10, 1000))
    return float(res["gd"][1] / res["gd"][0])


KAPPA_STEPS = Prediction(
    question="GD at its best fixed rate 2/(λ_min + λ_max) needs S steps on a quadratic with condition number κ = 10. "
             "By what factor does S grow at κ = 1000 (same tolerance)?",
    answer=_kappa_steps_ratio, tolerance=2.0,
    why=lambda a: f"The slowest direction contracts by (κ − 1)/(κ + 1) ≈ 1 − 2/κ per step, so the steps grow in "
                  f"proportion to κ: 100× more condition number, {a:.0f}× more steps.")


def _variance_factor():
    st = gradient_variance_study(seed=0)
    b = list(st["batch_sizes"])
    return float(st["measured"][b.index(8)] / st["measured"][b.index(128)])


VARIANCE_FACTOR = Prediction(
    question="The mini-batch gradient g_B of the digits net has variance E‖g_B − g‖² = V at batch size B = 8. By what "
             "factor is the variance smaller at B = 128? (N = 1348 examples, each batch drawn without replacement.)",
    answer=_variance_factor, tolerance=1.5,
    why=lambda a: f"Measured: {a:.1f}×. The variance of a mean of B independent draws falls as 1/B (16× here); "
                  f"drawing without replacement multiplies it by (N − B)/(N − 1), which shrinks it a little more at "
                  f"B = 128 than at B = 8. Not 4×: that would be the standard deviation.")


def _momentum_steps_at_100():
    return float(momentum_steps(100.0))


MOMENTUM_SPEEDUP = Prediction(
    question=f"On a quadratic with κ = 100, GD at its best fixed rate needs {gd_quadratic_steps(100.0, 2 / 1.01)} "
             "steps to shrink |w| a million-fold. How many steps does heavy-ball momentum need at its best (η, β)?",
    answer=_momentum_steps_at_100, tolerance=2.0,
    why=lambda a: f"Measured: {a:.0f}. Momentum's rate is (√κ − 1)/(√κ + 1) = 9/11 per step instead of GD's "
                  f"99/101, so its steps grow like √κ = 10 instead of κ = 100: roughly ten times fewer.")


def _schedule_winner():
    comp = schedule_comparison()
    c, k = float(np.mean(comp["loss"]["constant"])), float(np.mean(comp["loss"]["cosine"]))
    if abs(c - k) < 0.1 * max(c, k):
        return "about the same"
    return "cosine annealing" if k < c else "the constant rate"


SCHEDULE_WINNER = Prediction(
    question=f"SGD with momentum 0.9 trains the digits net for 300 steps at peak rate {SCHEDULE_LR}: once at a "
             "constant rate, once with cosine annealing (the rate falls smoothly to 0). Which ends with the lower "
             "training loss, on average over 3 seeds?",
    options=("the constant rate", "cosine annealing", "about the same"),
    answer=_schedule_winner,
    why="Cosine spends fewer steps at the peak rate, but the constant rate keeps bouncing in the noise that a large "
        "step and small batches cause; decaying the rate at the end lets the weights settle into the valley.")


# ----------------------------------------------------------------------------------------------
# Exercise checkers
# ----------------------------------------------------------------------------------------------

EXERCISE_A = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
EXERCISE_KAPPA = 400.0
EXERCISE_STEPS = 300
EXERCISE_TARGET = 0.045


def check_max_stable_lr(answer):
    """Exercise: the largest learning rate for which GD on f(w) = ½ wᵀ A w converges (A = EXERCISE_A)."""
    value, problem = learner_number(answer, "your learning rate")
    if problem:
        return feedback(False, problem)
    lam = np.linalg.eigvalsh(EXERCISE_A)
    right = 2 / lam[-1]
    if math.isclose(value, right, rel_tol=1e-3):
        return feedback(True, "", f"Correct: η < 2/λ_max = 2/{lam[-1]:.4f} = {right:.4f}.")
    mistakes = [(2 / lam[0], "that is 2/λ_min: the steepest direction (λ_max) blows up first"),
                (1 / lam[-1], "that is 1/λ_max: a safe rate, but GD still converges up to twice that"),
                (2 / (lam[0] + lam[-1]), "that is the best fixed rate 2/(λ_min + λ_max), not the largest stable one"),
                (2 / np.max(np.diag(EXERCISE_A)), "that uses the largest diagonal entry; the off-diagonal entries "
                                                  "matter: use the largest eigenvalue"),
                (2 / np.trace(EXERCISE_A), "that uses the trace (the sum of all eigenvalues); use the largest one"),
                (2 / np.linalg.norm(EXERCISE_A), "that uses the Frobenius norm; use the largest eigenvalue")]
    for wrong, hint in mistakes:
        if math.isclose(value, wrong, rel_tol=1e-3):
            return feedback(False, hint)
    side = "too large: GD diverges along the top eigenvector" if value > right else \
        "stable, but not the largest stable rate"
    return feedback(False, f"{value:.4g} is {side}; the eigenvalues of A decide it (np.linalg.eigvalsh)")


def check_best_momentum(answer, kappa=EXERCISE_KAPPA):
    """Exercise: the best heavy-ball β for a quadratic of condition number κ (default EXERCISE_KAPPA)."""
    kappa = _kappa(kappa)
    value, problem = learner_number(answer, "your β")
    if problem:
        return feedback(False, problem)
    r = math.sqrt(kappa)
    right = ((r - 1) / (r + 1)) ** 2
    if math.isclose(value, right, abs_tol=1e-3):
        return feedback(True, "", f"Correct: β* = ((√κ − 1)/(√κ + 1))² = {right:.4f} for κ = {kappa:g}.")
    mistakes = [((r - 1) / (r + 1), "that is the convergence rate (√κ − 1)/(√κ + 1) = √β*; square it"),
                ((kappa - 1) / (kappa + 1), "that is plain GD's rate (κ − 1)/(κ + 1); the momentum formula uses √κ"),
                (1 - 1 / r, "1 − 1/√κ has the right trend, but the optimum is ((√κ − 1)/(√κ + 1))²"),
                (1 - 1 / kappa, "1 − 1/κ is too close to 1: momentum with it oscillates slowly"),
                (0.9, "0.9 is the habitual default, not the optimum for this κ")]
    for wrong, hint in mistakes:
        if math.isclose(value, wrong, abs_tol=1e-4):
            return feedback(False, hint)
    if not 0 <= value < 1:
        return feedback(False, f"β must lie in [0, 1), got {value:g}")
    return feedback(False, f"β = {value:.4g} is off by {value - right:+.3g}; the optimum makes the slowest and the "
                           "fastest direction contract at the same rate")


def check_schedule(make_scheduler):
    """Exercise: make_scheduler(optimizer, steps) returns a torch.optim.lr_scheduler scheduler with which SGD
    (peak rate SCHEDULE_LR, momentum 0.9, B 32) brings the digits net's training loss to EXERCISE_TARGET or below
    within EXERCISE_STEPS steps (seed 0)."""
    if not callable(make_scheduler):
        return feedback(False, f"make_scheduler must be a function (optimizer, steps) -> scheduler, got "
                               f"{make_scheduler!r}")
    made = []

    def wrapped(opt, steps):
        sched = make_scheduler(opt, steps)
        made.append(sched)
        return sched

    try:
        with torch.no_grad():
            probe = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=SCHEDULE_LR)
            sched = make_scheduler(probe, EXERCISE_STEPS)
        if not isinstance(sched, torch.optim.lr_scheduler.LRScheduler):
            return feedback(False, f"make_scheduler returned {sched!r}; return a scheduler from "
                                   "torch.optim.lr_scheduler built on the optimizer it is given")
        if sched.optimizer is not probe:
            return feedback(False, "the scheduler must be built on the optimizer passed to make_scheduler")
        run = _train(0, EXERCISE_STEPS, SCHEDULE_LR, momentum=SCHEDULE_MOMENTUM, scheduler_fn=wrapped,
                     eval_every=EXERCISE_STEPS)
    except Exception as exc:  # a learner's bug is reported, not raised
        return feedback(False, f"running your scheduler failed: {type(exc).__name__}: {exc}")
    lrs = np.array(run["lrs"])
    loss = run["final_loss"]
    if run["diverged"] or (loss > run["train_loss"][0] and lrs.max() > 1.01 * SCHEDULE_LR):
        return feedback(False, f"training diverged (loss {min(loss, DIVERGED_LOSS):.3g}, worse than at the start): "
                               f"your schedule raises the rate to {lrs.max():.3g}, far above the peak {SCHEDULE_LR}")
    if loss <= EXERCISE_TARGET:
        return feedback(True, "", f"Correct: training loss {loss:.3f} ≤ {EXERCISE_TARGET} after {EXERCISE_STEPS} "
                                  f"steps (the rate went from {lrs.max():.3g} to {lrs[-1]:.3g}).")
    if np.allclose(lrs, lrs[0]):
        hint = "the rate never changes: a constant rate keeps bouncing in the mini-batch noise; let it decay"
    elif lrs[EXERCISE_STEPS // 3] < 0.05 * lrs.max():
        hint = "the rate is nearly zero after the first third: it decays too early to make progress"
    elif lrs[-1] > 0.2 * lrs.max():
        hint = "the rate is still high at the end: decay it further by the last step"
    else:
        hint = "try a schedule that keeps the rate high for longer and then brings it close to 0"
    return feedback(False, f"training loss {loss:.3f} > {EXERCISE_TARGET} after {EXERCISE_STEPS} steps: {hint}")


__all__ = [
    "OPTIMIZERS_2D", "SURFACES", "SCHEDULES", "COMPARED", "SEEDS", "START", "WINDOW", "SIZES", "BATCH", "LR_GRID",
    "BATCH_LRS", "OPTIMIZER_LRS", "SCHEDULE_LR", "SCHEDULE_MOMENTUM", "EXERCISE_A", "EXERCISE_KAPPA",
    "EXERCISE_STEPS", "EXERCISE_TARGET", "VIEW_SWEEPS",
    "quadratic_matrix", "surface_loss", "run_optimizer_2d", "classify_run", "gd_rate", "gd_quadratic_steps",
    "lr_threshold_sweep", "steps_vs_kappa", "convexity_demo", "saddle_runs",
    "best_momentum", "momentum_rate", "momentum_steps", "momentum_beta_sweep", "ema_momentum_steps",
    "torch_sgd_steps", "adagrad_step", "rmsprop_step", "adam_step", "compare_with_torch", "adam_rotation_study",
    "permutation_midpoint", "gradient_variance_study", "batch_size_table", "shuffle_study", "lr_runs", "lr_range_test",
    "optimizer_comparison", "schedule_lrs", "schedule_comparison", "linear_scaling_study",
    "plot_surface", "plot_convexity", "plot_saddle", "plot_lr_threshold", "plot_steps_vs_kappa",
    "plot_gradient_variance", "plot_lr_runs", "plot_lr_range_test", "plot_momentum_sweep", "plot_schedules",
    "plot_schedule_comparison",
    "check_max_stable_lr", "check_best_momentum", "check_schedule",
    "SADDLE_END", "KAPPA_STEPS", "VARIANCE_FACTOR", "MOMENTUM_SPEEDUP", "SCHEDULE_WINNER",
]
