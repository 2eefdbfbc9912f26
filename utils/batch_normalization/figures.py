"""Plots of notebook 04 (each returns a matplotlib Figure; none of them trains) and its interactive views.

The views `plot_gamma_beta`, `plot_momentum_tracking` and `plot_eps_effect` take `fig=` to redraw in place;
VIEW_SWEEPS lists the settings the benchmark and the tests move each of them through.
"""

import math

import numpy as np

from utils import validation

from ._checks import _check_sweep, _eps
from .maths import (
    AXIS_EDGE,
    LINEAR_EDGE,
    SATURATION_EDGE,
    _batchnorm_forward,
    _sigmoid_shares,
    _standard_sample,
    momentum_tracking,
    steps_to_track,
)
from .training_effects import CHANCE_LOSS, sigmoid_summary, small_batch_summary, smoothness_at_equal_loss, trains_at

_GB_EDGES = np.linspace(-AXIS_EDGE, AXIS_EDGE, 81)


def _freeze_layout(fig):
    """Lay the new figure out once and keep that layout: redraws then skip the constrained-layout solver (a large
    part of a redraw).  Only data and texts change on a redraw, and titles stay centred."""
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig


def plot_gamma_beta(gamma=1.0, beta=0.0, fig=None):
    """Where y = gamma * xhat + beta lands on a sigmoid, for xhat ~ N(0, 1) (4000 samples).

    gamma, beta: finite, |value| <= 100.  The histogram of y is scaled so that its tallest bar has height 1 (so it is
    never cut off); values beyond ±8 are counted at the edges, not piled into the last bar.  The title reports the
    shares in the near-linear middle and on the flat (saturated) parts, and the mean slope.
    """
    from utils.plotstyle import BLUE, ORANGE, VERMILION, new_figure

    gamma = validation.finite_number("gamma", gamma, low=-100, high=100)
    beta = validation.finite_number("beta", beta, low=-100, high=100)
    y = gamma * _standard_sample() + beta
    shares = _sigmoid_shares(y)
    counts, _ = np.histogram(y, bins=_GB_EDGES)
    heights = counts / max(counts.max(), 1)
    title = (f"γ={gamma:.1f}, β={beta:.1f}: {100 * shares['linear']:.0f}% near-linear, "
             f"{100 * shares['saturated']:.0f}% saturated; mean slope {100 * shares['slope']:.0f}% of the max")
    left = f"← {100 * shares['below_axis']:.0f}%" if shares["below_axis"] else ""
    right = f"{100 * shares['above_axis']:.0f}% →" if shares["above_axis"] else ""
    if fig is None:
        fig, ax = new_figure(figsize=(8.5, 4.4))
        z = np.linspace(-AXIS_EDGE, AXIS_EDGE, 400)
        ax.axvspan(-LINEAR_EDGE, LINEAR_EDGE, color="0.85", zorder=0, label="near-linear (|y| < 1)")
        for lo, hi in ((-AXIS_EDGE, -SATURATION_EDGE), (SATURATION_EDGE, AXIS_EDGE)):
            ax.axvspan(lo, hi, color=VERMILION, alpha=0.12, zorder=0,
                       label="saturated (slope < 10% of max)" if lo < 0 else None)
        ax.stairs(heights, _GB_EDGES, fill=True, color=BLUE, alpha=0.8, label="histogram of y (tallest bar = 1)")
        ax.plot(z, 1 / (1 + np.exp(-z)), color=ORANGE, label="sigmoid(y)")
        ax.set(xlabel="sigmoid input y = γ·x̂ + β", ylabel="sigmoid(y);  relative count", xlim=(-AXIS_EDGE, AXIS_EDGE),
               ylim=(0, 1.12))
        ax.set_xticks([-8, -4, 0, 4, 8])          # few ticks: tick labels are a large part of a redraw
        ax.set_yticks([0, 0.5, 1])
        ax.text(-AXIS_EDGE + 0.1, 1.05, left, ha="left", va="center", fontsize=11, color=BLUE)
        ax.text(AXIS_EDGE - 0.1, 1.05, right, ha="right", va="center", fontsize=11, color=BLUE)
        fig.legend(loc="outside lower center", ncol=2, fontsize=10)
        ax.set_title(title, fontsize=12)
        return _freeze_layout(fig)
    else:
        ax = fig.axes[0]
        ax.patches[-1].set_data(heights, _GB_EDGES)
        ax.texts[0].set_text(left)
        ax.texts[1].set_text(right)
    ax.set_title(title, fontsize=12)
    return fig


def _cube_block(ax, c0, c1, n0, n1, hw, depth_vec, **style):
    """Fill the three visible faces of the block [c0, c1] x [0, hw] x [n0, n1] of the (C, H·W, N) cube."""
    from matplotlib.patches import Polygon

    dx, dy = depth_vec

    def p(c, h, n):
        return (c + n * dx, h + n * dy)

    faces = [[p(c0, 0, n0), p(c1, 0, n0), p(c1, hw, n0), p(c0, hw, n0)],          # front
             [p(c0, hw, n0), p(c1, hw, n0), p(c1, hw, n1), p(c0, hw, n1)],        # top
             [p(c1, 0, n0), p(c1, 0, n1), p(c1, hw, n1), p(c1, hw, n0)]]          # right side
    for face in faces:
        ax.add_patch(Polygon(face, closed=True, **style))


NORM_KINDS = {"batch": "Batch norm: one channel,\nall examples and positions",
              "layer": "Layer norm: one example,\nall channels and positions",
              "instance": "Instance norm: one example,\none channel",
              "group": "Group norm: one example,\none group of channels"}


def plot_stat_sharing(kinds=("batch", "layer", "instance", "group"), n=4, c=6, hw=5, groups=3):
    """The N x C x (H·W) cube of activations with the elements that share one mean and variance shaded.

    kinds: 1 to 4 of "batch", "layer", "instance", "group" (one cube each; four are drawn 2 x 2).
    n, c, hw: the cube's size (2..8 each); groups must divide c.
    """
    from utils.plotstyle import BLUE, new_figure

    if isinstance(kinds, str) or not hasattr(kinds, "__iter__"):
        raise TypeError(f"kinds must be a tuple of names from {tuple(NORM_KINDS)}, got {kinds!r}")
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in NORM_KINDS]
    if not kinds or bad or len(kinds) > 4:
        raise ValueError(f"kinds must be 1 to 4 names from {tuple(NORM_KINDS)}, got {kinds}")
    n, c, hw = (validation.size(name, v, low=2, high=8) for name, v in (("n", n), ("c", c), ("hw", hw)))
    groups = validation.size("groups", groups, high=c)
    if c % groups:
        raise ValueError(f"groups={groups} must divide c={c}")
    cols = 1 if len(kinds) == 1 else 2
    rows = math.ceil(len(kinds) / cols)
    fig, axes = new_figure(rows, cols, figsize=(5.2, 4.3) if cols == 1 else (8.8, 3.9 * rows))
    axes = np.atleast_1d(axes).ravel()
    depth = (0.55, 0.45)
    size = c // groups
    blocks = {"batch": (1, 2, 0, n), "layer": (0, c, 0, 1), "instance": (1, 2, 0, 1), "group": (size, 2 * size, 0, 1)}
    for ax, kind in zip(axes, kinds):
        c0, c1, n0, n1 = blocks[kind]
        for k in range(n, -1, -1):  # faint grid of example slices, back to front
            _cube_block(ax, 0, c, k, k, hw, depth, fill=False, edgecolor="0.75", linewidth=0.6)
        for j in range(c + 1):
            ax.plot([j, j + n * depth[0]], [hw, hw + n * depth[1]], color="0.75", lw=0.6)
        _cube_block(ax, c0, c1, n0, n1, hw, depth, facecolor=BLUE, edgecolor="black", alpha=0.75, linewidth=1)
        _cube_block(ax, 0, c, 0, n, hw, depth, fill=False, edgecolor="black", linewidth=1.2)
        # labels sit outside the cube: below the front face, left of it, and beyond the right side face
        ax.text(c / 2, -0.5, "C (channels) →", ha="center", va="top", fontsize=12)
        ax.text(-0.4, hw / 2, "H·W (positions) →", ha="right", va="center", rotation=90, fontsize=12)
        ax.text(c + n * depth[0] / 2 + 0.45, n * depth[1] / 2 - 0.25, "N (batch) →", ha="left", va="top",
                rotation=math.degrees(math.atan2(depth[1], depth[0])), rotation_mode="anchor", fontsize=12)
        ax.set_title(NORM_KINDS[kind], fontsize=12)
        ax.set(xlim=(-1.6, c + n * depth[0] + 2.6), ylim=(-1.3, hw + n * depth[1] + 0.3), aspect="equal")
        ax.axis("off")
    for ax in axes[len(kinds):]:
        ax.axis("off")
    return fig


def plot_momentum_tracking(momentum=0.1, fig=None):
    """How fast running_mean follows a jump in the batch mean, for PyTorch's `momentum` (in [0, 1]; Keras:
    1 - momentum)."""
    from utils.plotstyle import BLUE, GREEN, new_figure

    true, batch, running = momentum_tracking(momentum)
    title = (f"momentum={momentum:.3g} (Keras {1 - momentum:.3g}): "
             + (f"90% of the jump after {steps_to_track(momentum)} steps" if momentum > 0 else "never moves"))
    if fig is None:
        fig, ax = new_figure(figsize=(8, 3.8))
        steps = np.arange(1, len(true) + 1)
        ax.plot(steps, batch, ".", color="0.6", label="batch mean μ_B")
        ax.plot(steps, true, "--", color=GREEN, label="true mean")
        ax.plot(steps, running, color=BLUE, label="running_mean")
        ax.set(xlabel="training step", ylabel="mean of the feature", ylim=(-1, 3.2))
        ax.legend(loc="upper left", ncol=3)
        ax.set_title(title, fontsize=12)
        return _freeze_layout(fig)
    else:
        ax = fig.axes[0]
        ax.lines[2].set_ydata(running)
    ax.set_title(title, fontsize=12)
    return fig


def plot_eps_effect(eps=1e-5, fig=None):
    """Std of BN's output x̂ against the std of a feature: sqrt(var / (var + eps)), with dots from batchnorm_forward.

    eps: in (0, 10].  Features whose variance is well below eps are NOT scaled up to unit spread.
    """
    from matplotlib.ticker import NullLocator

    from utils.plotstyle import BLUE, ORANGE, new_figure

    eps = _eps(eps)
    stds = np.logspace(-5, 1, 200)
    curve = stds / np.sqrt(stds ** 2 + eps)
    dot_stds = np.logspace(-5, 1, 7)
    z = np.random.default_rng(0).standard_normal((256, 1))
    z = (z - z.mean()) / z.std()
    dots = [_batchnorm_forward(s * z, np.ones(1), np.zeros(1), "train", None, None, 0.1, eps)[0].std()
            for s in dot_stds]
    title = f"eps={eps:.0e}: features with std below √eps = {math.sqrt(eps):.1e} stay small"
    if fig is None:
        fig, ax = new_figure(figsize=(7.5, 4.2))
        ax.semilogx(stds, curve, color=BLUE, label="σ / √(σ² + eps)")
        ax.semilogx(dot_stds, dots, "o", color=ORANGE, label="batchnorm_forward")
        ax.axvline(math.sqrt(eps), color="0.5", ls=":", label="σ = √eps")
        # plain tick labels and no minor ticks: mathtext labels on a log axis triple the redraw time
        ax.set_xticks(np.logspace(-5, 1, 7), [f"1e{k}" for k in range(-5, 2)])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set(xlabel="std σ of the feature in the batch", ylabel="std of x̂", ylim=(-0.05, 1.1))
        fig.legend(loc="outside lower center", ncol=3)   # below the axes: it never covers the curve
        ax.set_title(title, fontsize=12)
        return _freeze_layout(fig)
    else:
        ax = fig.axes[0]
        ax.lines[0].set_ydata(curve)
        ax.lines[1].set_ydata(dots)
        ax.lines[2].set_xdata([math.sqrt(eps)] * 2)
    ax.set_title(title, fontsize=12)
    return fig


def plot_sigmoid_mlp(results):
    """Two panels from `sigmoid_mlp_experiment`: validation accuracy, and the 15/50/85th percentiles of one sigmoid
    input over training, with and without BN.  Titles state the accuracy at step 100 and the spreads measured."""
    from utils.plotstyle import BLUE, ORANGE, new_figure

    summary = sigmoid_summary(results)
    fig, (a1, a2) = new_figure(1, 2, figsize=(9.6, 4.2))
    for (name, r), color in zip(results.items(), (ORANGE, BLUE)):
        a1.plot(r["step"], r["val_acc"], color=color, label=name)
        a2.fill_between(r["step"], r["pct"][:, 0], r["pct"][:, 2], color=color, alpha=0.3)
        a2.plot(r["step"], r["pct"][:, 1], color=color)
    first = next(iter(results.values()))
    i = min(int(np.searchsorted(first["step"], 100)), len(first["step"]) - 1)
    at = {name: r["val_acc"][i] for name, r in results.items()}
    a1.set(xlabel="training step", ylabel="validation accuracy", ylim=(0, 1),
           title=f"Step {first['step'][i]}: " + ", ".join(f"{k} {v:.2f}" for k, v in at.items()))
    spreads = {k: v["spread_median"] for k, v in summary.items()}
    a2.set(xlabel="training step", ylabel="one sigmoid's input (median, 15–85%)",
           title="Spread: " + ", ".join(f"{k} {v:.2f}" for k, v in spreads.items()))
    fig.legend(loc="outside lower center", ncol=2, fontsize=10)
    for ax in (a1, a2):
        ax.title.set_fontsize(12)
    return fig


_SHORT_NAMES = {"without BN, default init": "no BN (default)", "without BN, He init": "no BN (He)",
               "without BN": "no BN", "with BN": "BN"}


def _x_text(values):
    if not values:
        return "none"
    return ", ".join(f"{v:g}" for v in values)


def plot_sweep(sweep, threshold=0.5):
    """Final training loss against a swept setting (log axis), one thin line per seed and variant.

    Diverged runs (loss above 10, or NaN) are drawn as × in a separate band labelled "diverged" above the axis's
    values, so that they do not read as a loss.  The title lists where every seed ends below `threshold`.
    """
    from utils.plotstyle import BLUE, GREEN, ORANGE, new_figure

    _check_sweep(sweep)
    threshold = validation.finite_number("threshold", threshold, low=0, low_open=True)
    fig, ax = new_figure(figsize=(8.5, 4.6))
    x = sweep["x"]
    finite = np.concatenate([sweep[k][np.isfinite(sweep[k])] for k in sweep["names"]])
    top = max(finite.max() if finite.size else 1.0, CHANCE_LOSS) * 1.08
    band = top * 1.12
    colours = dict(zip(sweep["names"], (ORANGE, GREEN, BLUE) if len(sweep["names"]) == 3 else (ORANGE, BLUE)))
    for k, name in enumerate(sweep["names"]):
        shift = 1 + 0.07 * (k - (len(sweep["names"]) - 1) / 2)   # side by side where several variants diverge
        for i, row in enumerate(sweep[name]):
            ok = np.isfinite(row)
            ax.semilogx(x[ok], row[ok], "o-", color=colours[name], lw=1.4, ms=4, alpha=0.8,
                        label=_SHORT_NAMES.get(name, name) if i == 0 else None)
            if (~ok).any():
                ax.semilogx(x[~ok] * shift, np.full((~ok).sum(), band), "x", color=colours[name], ms=10, mew=2.5)
    ax.axhline(CHANCE_LOSS, color="0.5", ls=":", label="chance (ln 10)")
    ax.axhline(threshold, color="0.3", ls="--", lw=1, label=f"loss {threshold:g}")
    ax.axhline((top + band) / 2 * 0.99, color="0.6", lw=0.8)
    ticks = [t for t in (0, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if t <= top]
    ax.set_yticks(ticks + [band], [f"{t:g}" for t in ticks] + ["diverged"])
    ax.set_xticks(x, [f"{v:g}" for v in x])
    ax.minorticks_off()
    ax.set(xlabel=sweep["setting"], ylabel="final training loss", ylim=(0, band * 1.06))
    where = "; ".join(f"{_SHORT_NAMES.get(n, n)}: {_x_text(trains_at(sweep, n, threshold))}" for n in sweep["names"])
    n_seeds = len(sweep[sweep["names"][0]])
    ax.set_title(f"Loss < {threshold:g} in all {n_seeds} seeds at\n{where}", fontsize=12)
    fig.legend(loc="outside right center", fontsize=10)
    return fig


def plot_smoothness(results):
    """From `smoothness_experiment`, against the loss reached (not the step), so that the two networks are compared
    at the same point of training: the relative loss variation along the gradient, and how fast the gradient
    changes per unit distance moved along it (effective beta-smoothness).  Log axes."""
    from matplotlib.ticker import NullLocator

    from utils.plotstyle import BLUE, ORANGE, new_figure

    equal = smoothness_at_equal_loss(results)
    fig, (a1, a2) = new_figure(1, 2, figsize=(9.6, 4.2))
    for (name, r), color in zip(results.items(), (ORANGE, BLUE)):
        a1.loglog(r["probe_loss"], r["loss_range"] / r["probe_loss"], "o", color=color, label=name, ms=6)
        a2.loglog(r["probe_loss"], r["grad_lipschitz"], "o", color=color, label=name, ms=6)
    lo, hi = equal["band"]
    names = [k for k in results]
    a1.set(xlabel="loss on the probe batch", ylabel="(max − min) / loss along −g",
           title="Relative loss variation, median in the grey band:\n"
                 + ", ".join(f"{k} {equal[k]['loss_range']:.2g}" for k in names))
    a2.set(xlabel="loss on the probe batch", ylabel="max ‖∇L(w − ηg) − g‖ / ‖ηg‖",
           title="Gradient change per unit step, median in the band:\n"
                 + ", ".join(f"{k} {equal[k]['grad_lipschitz']:.2g}" for k in names))
    a1.legend(fontsize=10)
    for ax in (a1, a2):
        if hi > lo:
            ax.axvspan(lo, hi, color="0.9", zorder=0)
        ax.invert_xaxis()              # training goes from high loss (left) to low loss (right)
        ax.title.set_fontsize(11)
        for axis in (ax.xaxis, ax.yaxis):  # label 1-2-5 ticks plainly: the default minor labels read "2 × 10⁰"
            axis.set_minor_locator(NullLocator())
        for get, setter in ((ax.get_ylim, ax.set_yticks), (ax.get_xlim, ax.set_xticks)):
            a, b = sorted(get())
            ticks = [t for t in (10.0 ** k * f for k in range(-4, 4) for f in (1, 2, 5)) if a <= t <= b]
            setter(ticks, [f"{t:g}" for t in ticks])
    return fig


def plot_batch_spread(spread):
    """From `batch_mean_spread`: 5–95th percentile bands of μ_B and σ²_B against the batch size."""
    from utils.plotstyle import BLUE, ORANGE, new_figure

    validation.record("spread", spread, ("batch_size", "mean_q", "var_q"), "batch_mean_spread()")
    fig, ax = new_figure(figsize=(7.5, 4))
    m = spread["batch_size"]
    for key, color, label, truth in (("mean_q", BLUE, "batch mean μ_B", 0.0), ("var_q", ORANGE, "batch variance σ²_B",
                                                                                1.0)):
        q = spread[key]
        ax.fill_between(m, q[:, 0], q[:, 2], color=color, alpha=0.25)
        ax.semilogx(m, q[:, 1], "o-", color=color, label=f"{label} (median, 5–95th pct)", base=2)
        ax.axhline(truth, color=color, ls=":", lw=1)
    ax.set_xticks(m, [str(v) for v in m])
    ax.minorticks_off()
    w = spread["mean_q"][:, 2] - spread["mean_q"][:, 0]
    ax.set(xlabel="batch size m", ylabel="statistic of a N(0, 1) feature",
           title=f"90% band of μ_B: {w[0]:.2f} wide at m={m[0]}, {w[-1]:.2f} at m={m[-1]}")
    ax.legend(fontsize=10)
    return fig


def plot_small_batch(results):
    """From `small_batch_experiment`: validation accuracy against the training batch size, BN vs GroupNorm, one dot
    per seed and a line through the mean.  The title says where one beats the other in every seed."""
    from utils.plotstyle import BLUE, GREEN, new_figure

    s = small_batch_summary(results)
    fig, ax = new_figure(figsize=(8, 4.4))
    b = results["batch_size"]
    for name, color, shift in (("BatchNorm", BLUE, 0.96), ("GroupNorm", GREEN, 1.04)):
        acc = results[name]
        ax.semilogx(b, acc.mean(0), "-", color=color, label=f"{name} (mean)", base=2)
        for row in acc:
            ax.semilogx(b * shift, row, "o", color=color, ms=5, alpha=0.7, base=2)
    ax.set_xticks(b, [str(v) for v in b])
    ax.minorticks_off()
    n = len(results["BatchNorm"])
    ax.set(xlabel="training batch size", ylabel="validation accuracy", ylim=(0, 1),
           title=f"In all {n} seeds GroupNorm wins at batch size {_x_text(s['gn_wins'])},\n"
                 f"BatchNorm at {_x_text(s['bn_wins'])}")
    ax.title.set_fontsize(12)
    ax.legend(loc="lower right")
    return fig


VIEW_SWEEPS = {
    "plot_gamma_beta": [{"gamma": g, "beta": b} for g in (0.0, 0.1, 1.0, 5.0) for b in (-4.0, 0.0, 4.0)],
    "plot_momentum_tracking": [{"momentum": m} for m in (0.001, 0.01, 0.1, 0.5, 1.0)],
    "plot_eps_effect": [{"eps": e} for e in (1e-8, 1e-5, 1e-3, 0.1, 1.0)],
}
