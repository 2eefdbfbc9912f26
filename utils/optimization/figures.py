"""The plots of notebook 09: each takes the data an experiment returned (or calls one computation) and returns the
figure. `plot_surface` is the interactive view; `VIEW_SWEEPS` lists the settings the benchmark redraws it with."""

import functools
import math

import numpy as np
from matplotlib.collections import LineCollection

from utils import validation as v
from utils.plotstyle import BLUE, GREEN, ORANGE, PALETTE, PURPLE, SKY, VERMILION, light_log_axis, new_figure

from ._checks import _lr
from .experiments import SCHEDULES, schedule_lrs
from .maths import CONVERGED_TOL, OPTIMIZERS_2D, START, WINDOW, _classify, _loss_fn, _saddle_loss, run_optimizer_2d

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
    demo = v.record("demo", demo, ("x", "convex", "non-convex"), "convexity_demo()")
    for name in ("convex", "non-convex"):
        v.record(f"demo[{name!r}]", demo[name], ("f", "f2", "chord_x", "chord_y", "chord_above"), "convexity_demo()")
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
    runs = v.record("runs", runs, ("gd", "noisy", "loss_gd", "loss_noisy", "minimum"), "saddle_runs()")
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
    sweep = v.record("sweep", sweep, ("factors", "curves", "diverged"), "lr_threshold_sweep()")
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
    res = v.record("res", res, ("kappas", "gd", "gd_theory", "momentum", "momentum_theory"), "steps_vs_kappa()")
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
    if not isinstance(studies, dict) or not 1 <= len(studies) <= 3:
        error = ValueError if isinstance(studies, dict) else TypeError
        raise error(f"studies must be a dict of 1 to 3 {{label: gradient_variance_study(...)}}, got {studies!r:.60}")
    for label, st in studies.items():
        v.record(f"studies[{label!r}]", st, ("batch_sizes", "measured", "formula", "trace", "noise_scale"),
                 "gradient_variance_study()")
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
    if not isinstance(runs, dict) or not 1 <= len(runs) <= len(PALETTE):
        error = ValueError if isinstance(runs, dict) else TypeError
        raise error(f"runs must be the dict {{lr: run}} returned by lr_runs() (1 to {len(PALETTE)} rates), "
                    f"got {runs!r:.60}")
    for lr, run in runs.items():
        v.finite_number("runs (a learning rate)", lr, low=0, low_open=True)
        v.record(f"runs[{lr!r}]", run, ("step", "train_loss", "final_loss", "diverged"), "lr_runs()")
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
    rt = v.record("rt", rt, ("lrs", "loss", "smooth", "best_lr", "suggested_lr"), "lr_range_test()")
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
    sweep = v.record("sweep", sweep, ("betas", "steps", "converged", "nesterov_steps", "nesterov_converged", "lr",
                                      "beta_star", "best_beta", "gd_steps"), "momentum_beta_sweep()")
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
    comp = v.record("comp", comp, ("loss", "curves", "step"), "schedule_comparison()")
    if not comp["loss"]:
        raise ValueError("comp must be the dict returned by schedule_comparison(), with at least one schedule")
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
    level = _level_with_best(comp["loss"])         # no winner named on a difference smaller than the seeds' spread
    if len(level) == 1:
        title = f"Same steps, same peak rate: {level[0]} ends lowest on average"
    else:
        title = f"Lowest on average, level within the seeds' spread: {', '.join(level)}"
    fig.suptitle(title, fontsize=13)
    return fig


def _level_with_best(loss):
    """The schedules level with the lowest mean final loss: the best, and every schedule whose mean lies above the
    best's by less than the best's own spread from seed to seed (its standard deviation).  loss: {schedule: (n_seeds,)
    final losses}.  A difference smaller than that spread names no winner; with one seed only the best is named."""
    means = {name: float(np.mean(vals)) for name, vals in loss.items()}
    best = min(means, key=means.get)
    spread = float(np.std(loss[best], ddof=1)) if len(loss[best]) > 1 else 0.0
    return [name for name in loss if name == best or means[name] - means[best] < spread]
