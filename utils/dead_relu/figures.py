"""The figures of notebook 05 and its interactive view (`plot_hyperplanes`, swept by `VIEW_SWEEPS`).

Each plotting function takes data (or reads one cached computation) and returns the figure.
"""

import math

import numpy as np
from matplotlib.lines import Line2D

from utils import validation
from utils.plotstyle import BLUE, GREEN, ORANGE, PALETTE, PURPLE, VERMILION, new_figure

from ._checks import _positive_list, _seed
from .experiments import LARGE_LR, STEPS, _lr_sweep, first_layer_dead_counts, lr_index
from .maths import LayerStats
from .remedies import summarise_remedies

# ----------------------------------------------------------------------------------------------
# Plots
# ----------------------------------------------------------------------------------------------

def plot_unit_activity(stats, title=None):
    """Bar chart of each unit's firing rate, per layer, sorted: dead units sit at exactly zero."""
    if isinstance(stats, LayerStats):
        stats = [stats]
    if not isinstance(stats, (list, tuple)) or not 1 <= len(stats) <= 4 or \
            not all(isinstance(t, LayerStats) for t in stats):
        raise TypeError("stats must be a list of 1 to 4 LayerStats (from dead_unit_report)")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string, got {title!r}")
    fig, axes = new_figure(1, len(stats), figsize=(min(4.8 * len(stats), 9.6), 3.8), squeeze=False)
    for ax, s, colour in zip(axes[0], stats, PALETTE):
        rates = np.sort(s.unit_active_fraction)
        ax.bar(np.arange(len(rates)), rates, color=colour, width=0.85)
        dead = np.flatnonzero(rates == 0)         # zero-height bars are invisible: mark them
        ax.plot(dead, np.zeros(len(dead)), "x", color=VERMILION, ms=7, mew=2, clip_on=False,
                label="dead: never fires")
        ax.set_title(f"hidden layer {s.layer}: {s.n_dead} of {s.n_units} dead", fontsize=13)
        ax.set_xlabel("unit (sorted by firing rate)")
        ax.set_ylim(0, 1.02)
    axes[0, 0].set_ylabel("fraction of examples\non which the unit fires")
    axes[0, 0].legend(loc="upper left")
    if title:
        fig.suptitle(title)
    return fig


_GRID = (np.linspace(-2.6, 2.6, 131), np.linspace(-1.8, 1.8, 91))


def _line_through(w, b):
    """End points of the line w·x + b = 0 (empty if w is ~0 or not finite)."""
    norm2 = float(w @ w)
    if not np.isfinite(norm2) or not np.isfinite(b) or norm2 < 1e-12:
        return np.array([]), np.array([])
    p0, d = -b * w / norm2, np.array([-w[1], w[0]]) / math.sqrt(norm2)
    ends = p0 + np.array([[-20.0], [20.0]]) * d
    return ends[:, 0], ends[:, 1]


def plot_hyperplanes(lr=LARGE_LR, step=STEPS, seed=0, fig=None):
    """First-layer units of the sweep's net trained at `lr`, after `step` steps.

    Each unit is the line w·x + b = 0; the grey shading counts how many units are active at each point (darker:
    more).  Alive units are thin green lines; dead units (no data on the active side) are dashed vermilion lines
    with a tick that points to their active side, away from every data point.
    Given its previous figure back (`fig=`), it only updates the shading, the lines, the ticks and the title.
    """
    lr = validation.finite_number("lr", lr, low=0, low_open=True)
    k = lr_index(lr)
    sweep = _lr_sweep(_seed(seed))
    step = validation.integer("step", step, low=0, high=int(sweep["steps"][-1]))
    s = int(np.argmin(np.abs(sweep["steps"] - step)))
    w, b, x = sweep["w1"][s, k], sweep["b1"][s, k], sweep["x_train"]
    finite = np.all(np.isfinite(w), axis=1) & np.isfinite(b)
    dead = np.array([not np.any(x @ wi + bi > 0) for wi, bi in zip(w, b)])
    gx, gy = np.meshgrid(*_GRID)
    pts = np.stack([gx.ravel(), gy.ravel()], 1)
    with np.errstate(all="ignore"):
        active = ((pts @ np.where(finite[:, None], w, 0).T + np.where(finite, b, -1)) > 0).sum(1).reshape(gx.shape)
    feet, dirs = np.full((len(b), 2), 99.0), np.zeros((len(b), 2))     # ticks off-screen for alive units
    for i, (wi, bi) in enumerate(zip(w, b)):
        n2 = float(wi @ wi) if np.all(np.isfinite(wi)) else 0.0
        if dead[i] and n2 > 1e-12 and np.isfinite(bi):
            feet[i], dirs[i] = -(bi / n2) * wi, wi / math.sqrt(n2)
    title = (f"lr = {lr:.3g}, step {int(sweep['steps'][s])}: {int(dead.sum())} of {len(b)} "
             "first-layer units dead")
    state = getattr(fig, "_hyperplane_state", None) if fig is not None else None
    if state is None:
        fig, ax = new_figure(figsize=(7.5, 5.0))
        image = ax.imshow(active, origin="lower", extent=(*_GRID[0][[0, -1]], *_GRID[1][[0, -1]]), cmap="Greys",
                          vmin=0, vmax=len(b), alpha=0.5, aspect="auto", interpolation="nearest")
        lines = [ax.plot([], [], lw=1.0)[0] for _ in range(len(b))]
        quiver = ax.quiver(feet[:, 0], feet[:, 1], dirs[:, 0], dirs[:, 1], angles="xy", scale_units="xy", scale=3,
                           width=0.006, color=VERMILION, zorder=4)
        ax.scatter(x[:, 0], x[:, 1], c=np.where(sweep["y_train"] == 1, ORANGE, BLUE), s=12, zorder=3,
                   edgecolors="white", linewidths=0.3)
        ax.set_xlim(*_GRID[0][[0, -1]])
        ax.set_ylim(*_GRID[1][[0, -1]])
        ax.set_xlabel("input x₁")
        ax.set_ylabel("input x₂")
        # few ticks: every tick label is laid out again on each redraw, and text is most of a redraw's cost
        ax.set_xticks([-2, -1, 0, 1, 2], labels=["−2", "−1", "0", "1", "2"])
        ax.set_yticks([-1, 0, 1], labels=["−1", "0", "1"])
        ax.legend(handles=[Line2D([], [], color=GREEN, lw=1.0, label="alive unit"),
                           Line2D([], [], color=VERMILION, ls="--", lw=2.0, label="dead unit (tick: active side)")],
                  loc="lower left", fontsize=10, title="shading: darker = more units active", title_fontsize=10)
        # A fixed layout: re-solving the constrained layout on every redraw costs more than the drawing.
        fig.set_layout_engine("none")
        ax.set_position([0.1, 0.11, 0.86, 0.8])
        state = {"image": image, "lines": lines, "quiver": quiver}
        fig._hyperplane_state = state
    ax = fig.axes[0]
    state["image"].set_data(active)
    for line, wi, bi, is_dead in zip(state["lines"], w, b, dead):
        line.set_data(*_line_through(wi, bi))
        line.set(color=VERMILION if is_dead else GREEN, linestyle="--" if is_dead else "-",
                 linewidth=2.0 if is_dead else 1.0, alpha=1.0 if is_dead else 0.7, zorder=3 if is_dead else 2)
    state["quiver"].set_offsets(feet)
    state["quiver"].set_UVC(dirs[:, 0], dirs[:, 1])
    ax.set_title(title, fontsize=13)
    return fig


def plot_dead_vs_lr(sweep):
    """Dead fraction (per hidden layer, at birth and after training) against the learning rate."""
    _check_sweep(sweep)
    fig, ax = new_figure(figsize=(7.5, 4.3))
    for layer, colour in zip(range(sweep["dead"].shape[2]), (BLUE, ORANGE)):
        ax.plot(sweep["lrs"], sweep["dead"][-1, :, layer], "o-", color=colour,
                label=f"hidden layer {layer + 1}, after {sweep['steps'][-1]} steps")
        ax.plot(sweep["lrs"], sweep["dead"][0, :, layer], ":", color=colour,
                label=f"hidden layer {layer + 1}, at birth")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (plain SGD)")
    ax.set_ylabel("fraction of units dead")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Beyond a threshold, larger steps kill more units")
    ax.legend(loc="upper left")
    return fig


def plot_dead_over_steps(sweep, lrs):
    """Dead first-layer units during training, one curve per learning rate in `lrs` (at most 5).

    Each rate has its own colour, line style and marker, and curves that lie on top of each other are drawn with
    the smaller rate on top, so no curve hides another."""
    _check_sweep(sweep)
    lrs = _positive_list("lrs", lrs, high=1000, max_len=5)
    fig, ax = new_figure(figsize=(7.5, 4.2))
    styles = ((BLUE, "-", "o"), (ORANGE, "--", "s"), (GREEN, "-.", "^"), (VERMILION, ":", "D"), (PURPLE, "-", "v"))
    for z, (lr, (colour, ls, marker)) in enumerate(zip(lrs, styles)):
        counts = first_layer_dead_counts(sweep, lr)
        ax.step(sweep["steps"], counts, where="post", color=colour, ls=ls, lw=2.4, zorder=10 - z,
                marker=marker, markevery=5, ms=6, label=f"lr = {lr:.3g}: {counts[-1]} dead at the end")
    ax.set_xlabel("training step")
    ax.set_ylabel(f"first-layer units dead (of {sweep['w1'].shape[2]})")
    ax.set_ylim(-0.5, sweep["w1"].shape[2] + 0.5)
    ax.set_title("Deaths come in jumps; a smaller step kills later")
    ax.legend(loc="upper left", fontsize=10)
    return fig


def _check_sweep(sweep):
    if not isinstance(sweep, dict) or not {"lrs", "dead", "w1", "steps"} <= set(sweep):
        raise TypeError("sweep must be a result of train_lr_sweep or lr_sweep")


def plot_dead_at_birth(bias_shifts, by_shift, weight_gains, by_gain):
    """Two panels: dead fraction at birth against a bias shift, and against a weight scale."""
    bias_shifts = validation.array("bias_shifts", bias_shifts, ndim=1)
    by_shift = validation.array("by_shift", by_shift, shape=bias_shifts.shape)
    weight_gains = validation.array("weight_gains", weight_gains, ndim=1)
    by_gain = validation.array("by_gain", by_gain, shape=weight_gains.shape)
    fig, (a, b) = new_figure(1, 2, figsize=(9.6, 4.0), sharey=True)
    a.plot(bias_shifts, by_shift, "o-", color=VERMILION)
    a.set_xlabel("constant added to every bias")
    a.set_ylabel("fraction of units dead at birth")
    a.set_title("A negative bias kills at birth")
    b.plot(weight_gains, by_gain, "o-", color=BLUE)
    b.set_xscale("log")
    b.set_xlabel("factor on every weight (×PyTorch default)")
    b.set_title("Tiny weights let the bias decide")
    a.set_ylim(-0.02, 1.02)
    return fig


def plot_born_dead(depths, widths, probs, probs_rai=None):
    """P(born dead) against depth, one curve per width; `probs_rai` (optional, same shape) adds dashed curves for
    the randomized asymmetric initialisation."""
    depths = validation.array("depths", depths, ndim=1)
    widths = validation.array("widths", widths, ndim=1)
    probs = validation.array("probs", probs, shape=(len(widths), len(depths)))
    if probs_rai is not None:
        probs_rai = validation.array("probs_rai", probs_rai, shape=probs.shape)
    fig, ax = new_figure(figsize=(8.5, 4.3))
    for i, (width, p, colour) in enumerate(zip(widths, probs, PALETTE)):
        ax.plot(depths, p, "o-", ms=4, color=colour, label=f"width {width:g}, He")
        if probs_rai is not None:
            ax.plot(depths, probs_rai[i], "--", color=colour, lw=1.8, label=f"width {width:g}, RAI")
    ax.set_xlabel("depth (hidden layers)")
    ax.set_ylabel("P(output constant at init)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Deep, narrow ReLU nets are often born dead")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10)
    return fig



def plot_remedies(runs, baseline="ReLU (baseline)"):
    """Dead fraction after training for every variant and seed of `compare_remedies` (one dot per run).

    The bar is the mean over the seeds that did not diverge, the grey diamond the mean dead fraction
    at birth; the title names the variants that beat the baseline in every seed.
    """
    rows = summarise_remedies(runs, baseline)
    seeds = list(dict.fromkeys(r["seed"] for r in runs))
    fig, ax = new_figure(figsize=(9.6, 6.2))
    y_of = {r["name"]: i for i, r in enumerate(rows)}
    base = next(r for r in rows if r["name"] == baseline)["dead_mean"]
    ax.axvline(base, color="0.5", ls="--", lw=1.2, label="baseline mean")
    for j, seed in enumerate(seeds):
        ok = [r for r in runs if r["seed"] == seed and not r["diverged"]]
        offset = 0.6 * (j / max(len(seeds) - 1, 1) - 0.5)
        ax.plot([r["dead"] for r in ok], [y_of[r["name"]] + offset for r in ok], "o", ms=5, color=BLUE, alpha=0.75,
                label="one seed" if j == 0 else None)
    for r in rows:
        y = y_of[r["name"]]
        ax.plot([r["dead_at_birth"]], [y], "D", ms=8, mfc="none", mec="0.35", mew=1.5,
                label="dead at birth (mean)" if y == 0 else None)
        if r["n_diverged"] == r["n_runs"]:
            ax.text(0.15, y, f"diverged in all {r['n_runs']} seeds", va="center", color=VERMILION)
        else:
            ax.plot([r["dead_mean"]] * 2, [y - 0.35, y + 0.35], color="black", lw=2.5,
                    label="mean after training" if y == 0 else None)
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(-0.02, 1.0)
    ax.set_xlabel("fraction of hidden units dead after training")
    winners = [r["name"] for r in rows if r["name"] != baseline and r["n_diverged"] == 0
               and r["fewer_dead_than_baseline"] == r["n_compared"] > 0]
    ax.set_title(f"Trains in all {len(seeds)} seeds and has fewer dead units than the baseline in each seed it "
                 f"trained in:\n"
                 + (" and ".join(winners) if winners else "no variant"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10)
    return fig


VIEW_SWEEPS = {
    "plot_hyperplanes": [
        {"lr": 10 ** e, "step": s} for e in (-2.0, -1.0, 0.0, 0.5, 1.0) for s in (0, STEPS // 2, STEPS)
    ],
}
