"""Optimisation from scratch: gradient descent, momentum and the adaptive methods of notebook 09, written out on
quadratics and 2-D surfaces (the file to read).

Read it in this order:

1. The surfaces: `quadratic_matrix` (the Hessian A of ½ wᵀAw with eigenvalues 1 and 1/κ, rotated by an angle) and
   `surface_loss` (that quadratic, or the non-convex "two-valleys" surface). `_run_2d` is every optimiser of the
   interactive view in one loop: GD, SGD (noisy gradients), heavy-ball momentum and Nesterov in PyTorch's form, Adam;
   `run_optimizer_2d` checks its inputs and calls it, and `classify_run` says what a path did.
2. Gradient descent on a quadratic, exactly: `gd_rate` (the contraction max |1 − ηλ| per step) and
   `gd_quadratic_steps` (the steps it takes, measured).
3. Convexity and a saddle: `convexity_demo` (a chord above a convex function, curvature never negative), and the
   saddle f = x²/2 + y⁴/4 − y²/2 (`_saddle_loss`, `_saddle_grad`).
4. Momentum: Polyak's best (η, β) (`best_momentum`, `momentum_rate`), `momentum_steps` (heavy ball or Nesterov,
   measured), and the two conventions side by side: `ema_momentum_steps` (m = βm + (1 − β)g) against
   `torch_sgd_steps` (`torch.optim.SGD` itself).
5. The adaptive methods, one step each: `adagrad_step`, `rmsprop_step`, `adam_step`, and `compare_with_torch`, which
   runs each next to its `torch.optim` counterpart.

The sweeps and the training runs on the digits are in `experiments.py`, the plots in `figures.py`.
"""

import functools
import math

import numpy as np
import torch

from utils import validation as v

from ._checks import _kappa, _lr, _momentum, _step_args

OPTIMIZERS_2D = ("gd", "sgd", "momentum", "nesterov", "adam")
SURFACES = ("quadratic", "two-valleys")

# The 2-D view: every path starts here, and stops being drawn (as diverged) beyond this radius.
START = (-1.6, 1.1)
WINDOW = (-2.2, 2.2, -1.6, 1.6)
DIVERGED_RADIUS = 1e3
CONVERGED_TOL = 1e-2         # distance to a minimum that counts as "converged"


# ----------------------------------------------------------------------------------------------
# Pure computations: quadratics and 2-D surfaces
# ----------------------------------------------------------------------------------------------


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
        return "converged", f"converged in {first_in} step{'' if first_in == 1 else 's'}{which}"
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
