"""The plots of notebook 08: each takes the data an experiment returned (or calls one cached computation) and
returns the figure. `plot_gradient_norms` is the interactive view; `VIEW_SWEEPS` lists the settings the benchmark
redraws it with."""

import math

import numpy as np

from utils import validation
from utils.plotstyle import BLUE, GREEN, ORANGE, PALETTE, PURPLE, VERMILION, light_log_axis, new_figure

from .experiments import CHANCE_LOSS, IDENTITY_KINDS, KINDS, gradient_norms, gradient_ratio, mean_train_loss
from .maths import BLOCK_KINDS, dense_channels

# ----------------------------------------------------------------------------------------------
# Plots
# ----------------------------------------------------------------------------------------------

def _smooth(curve, window=10):
    n = len(curve) // window
    return np.arange(1, n + 1) * window, curve[: n * window].reshape(n, window).mean(1)


def plot_degradation(runs):
    """Training curves (mini-batch loss, averaged over 10 steps), one panel per kind of block, one colour per depth:
    a thin line per seed, a thick one for their mean. Each title says whether deeper ended lower or higher."""
    if not isinstance(runs, dict) or not runs:
        raise TypeError("runs must be the dict returned by degradation_runs")
    depths = sorted({d for d, _, _ in runs})
    seeds = sorted({s for _, _, s in runs})
    fig, axes = new_figure(1, len(KINDS), figsize=(9.6, 3.9), sharey=True)
    for ax, kind in zip(axes, KINDS):
        for depth, colour in zip(depths, (BLUE, ORANGE, VERMILION, GREEN, PURPLE)):
            curves = []
            for s in seeds:
                x, y = _smooth(runs[(depth, kind, s)].curve)
                ax.plot(x, y, color=colour, lw=0.8, alpha=0.5)
                curves.append(y)
            ax.plot(x, np.mean(curves, 0), color=colour, lw=2.4, label=f"{depth} layers")
        finals = [mean_train_loss(runs, d, kind) for d in depths]
        verdict = "deeper ends higher" if finals[-1] > finals[0] else "deeper ends lower"
        ax.set_title(f"{kind}:\n{verdict}", fontsize=13)
        ax.set_xlabel("training step")
        light_log_axis(ax, "y")
    axes[0].set_ylabel("training loss (mini-batch)")
    axes[0].axhline(CHANCE_LOSS, color="0.5", ls=":", lw=1.2)
    axes[0].text(5, CHANCE_LOSS * 1.1, "chance", color="0.4", fontsize=11)
    axes[-1].legend(loc="upper right")
    return fig


def plot_identity_fit(curves):
    """Mean squared error of fitting y = x during training, one colour per kind (thin: seeds; thick: mean)."""
    if not isinstance(curves, dict) or not all(k in curves for k in IDENTITY_KINDS):
        raise TypeError("curves must be the dict returned by identity_fit")
    fig, ax = new_figure(figsize=(7.5, 3.8))
    floor = 1e-6
    for kind, colour in zip(IDENTITY_KINDS, (VERMILION, BLUE, GREEN)):
        c = np.maximum(curves[kind], floor)
        steps = np.arange(c.shape[1])
        for row in c:
            ax.plot(steps, row, color=colour, lw=0.7, alpha=0.4)
        ax.plot(steps, c.mean(0), color=colour, lw=2.4, label=kind)
    ax.set_xlabel("Adam step")
    ax.set_ylabel("mean squared error of y = x")
    light_log_axis(ax, "y")
    ends = {k: curves[k][:, -5:].mean() for k in IDENTITY_KINDS}
    best = min(("plain", "residual"), key=ends.get)
    ax.set_title(f"After {steps[-1]} steps the {best} stack is closer to the identity;\n"
                 f"with last γ = 0 it starts there (error {curves[IDENTITY_KINDS[2]][:, 0].max():.0g})")
    ax.legend(loc="center right")
    return fig


_GRAD_STYLE = {"plain": VERMILION, "residual": BLUE, "pre-activation": GREEN}


def plot_gradient_norms(depth=50, kind="plain", batchnorm=True, zero_last_gamma=False, fig=None):
    """‖∂L/∂h‖ at every block's input of a fresh net (log scale), for one kind of block, with a grey reference: the
    residual stack when `kind` is plain, the plain stack (standard γ) otherwise, at the same depth and BN setting.
    The title gives the input-side / output-side ratio."""
    norms = gradient_norms(depth, kind, batchnorm, zero_last_gamma)
    ref_kind = "residual" if kind == "plain" else "plain"
    reference = gradient_norms(depth, ref_kind, batchnorm, zero_last_gamma and ref_kind != "plain")
    x = np.arange(len(norms))
    ratio = gradient_ratio(norms)
    if not np.isfinite(ratio) or ratio == 0:
        finding = "no gradient reaches the input (every block outputs 0)"
    elif ratio > 10:
        finding = f"input side / output side = {ratio:.2g}: explodes toward the input"
    elif ratio < 0.1:
        finding = f"input side / output side = {ratio:.2g}: vanishes toward the input"
    else:
        finding = f"input side / output side = {ratio:.2g}: within a factor of 10"
    bn = "with BN" if batchnorm else "without BN"
    gamma = ", last γ = 0" if zero_last_gamma and batchnorm else ""
    title = f"{kind}, {depth} layers, {bn}{gamma}:\n{finding}"
    if fig is None:
        fig, ax = new_figure(figsize=(7.6, 4.2))
        ax.plot([], [], color="0.6", lw=1.8)
        ax.plot([], [], "o-", ms=3.5, lw=2.2)
        ax.set_xlabel("block input (0 = first block, the input side; right = the head's input)")
        ax.set_ylabel("‖∂L/∂h‖ at initialisation")
        ax.set_yscale("log")
        light_log_axis(ax, "y")
        ax.legend(handles=ax.lines, labels=["reference", "this kind"], loc="upper right")
    ax = fig.axes[0]
    values = np.concatenate([norms, reference])
    values = values[values > 0]
    low, high = np.log10(values.min()), np.log10(values.max())
    bottom = 10 ** (math.floor(low) - 0.2)
    ref_line, main = ax.lines[0], ax.lines[1]
    ref_line.set_data(np.arange(len(reference)), np.maximum(reference, bottom))
    main.set_data(x, np.maximum(norms, bottom))
    main.set_color(_GRAD_STYLE[kind])
    legend = ax.get_legend()
    legend.get_texts()[0].set_text(f"{ref_kind} (reference)")
    legend.get_texts()[1].set_text(kind)
    legend.legend_handles[1].set_color(_GRAD_STYLE[kind])
    ax.set_ylim(bottom, 10 ** (math.ceil(high) + 0.8))
    ax.set_xlim(-0.5, len(norms) - 0.5)
    ax.set_title(title, fontsize=13)
    return fig


def plot_block_deletion(result):
    """Validation accuracy after deleting each block in turn (one dot per seed), with each full net's accuracy."""
    if not isinstance(result, dict) or not result:
        raise TypeError("result must be the dict returned by block_deletion")
    fig, ax = new_figure(figsize=(8.0, 4.0))
    colours = {"plain": VERMILION, "residual": BLUE, "residual, last γ = 0": GREEN}
    for kind, r in result.items():
        deleted = r["deleted"]
        blocks = np.arange(1, deleted.shape[1] + 1)
        for row in deleted:
            ax.plot(blocks, row, "o", ms=4, color=colours[kind], alpha=0.6)
        ax.plot(blocks, deleted.mean(0), "-", color=colours[kind], lw=2, label=f"{kind}: one block deleted")
        ax.axhline(r["full"].mean(), color=colours[kind], ls="--", lw=1.3, label=f"{kind}: full net")
    ax.axhline(0.1, color="0.5", ls=":", lw=1.2)
    ax.text(deleted.shape[1] + 0.45, 0.11, "chance", color="0.4", fontsize=11, ha="right", va="bottom")
    ax.set_xlabel("deleted block")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0, 1.02)
    parts = []
    if "plain" in result:
        parts.append(f"plain falls to {result['plain']['deleted'].mean():.0%} on average")
    res = result.get("residual")
    if res is not None and res["deleted"].shape[1] > 2:
        drop = np.median((res["full"][:, None] - res["deleted"])[:, 2:])
        parts.append(f"residual loses {100 * drop:.1f} points (median, blocks 3+)")
    ax.set_title("One block deleted: " + ";\n".join(parts) if parts else "One block deleted", fontsize=13)
    ax.legend(loc="center right", fontsize=10)
    return fig


def plot_loss_slice(result):
    """Training loss along one random filter-normalised direction through each trained net (log scale)."""
    if not isinstance(result, dict) or "alpha" not in result:
        raise TypeError("result must be the dict returned by loss_slice")
    fig, ax = new_figure(figsize=(7.5, 4.0))
    colours = {"plain": VERMILION, "residual": BLUE, "residual, last γ = 0": GREEN}
    for kind in [k for k in result if k != "alpha"]:
        for j, row in enumerate(result[kind]):
            ax.plot(result["alpha"], row, color=colours[kind], lw=1.6, alpha=0.8, label=kind if j == 0 else None)
    ax.set_xlabel("α (step along the direction, in units of each neuron's weight norm)")
    ax.set_ylabel("training loss")
    light_log_axis(ax, "y")
    centre = int(np.argmin(np.abs(result["alpha"])))
    parts = [f"{k} {np.mean(result[k][:, centre]):.2f}" for k in result if k != "alpha"]
    ax.set_title("Loss at the trained weights (α = 0): " + ", ".join(parts))
    ax.legend(loc="upper center")
    return fig


def plot_dense_channels(k0=64, growths=(12, 24, 32, 48), n_layers=24):
    """Channels entering each layer of a dense block, k0 + l·k, for several growth rates k."""
    growths = validation.sequence("growths", growths, lambda n, k: validation.size(n, k, high=10_000),
                                  high=len(PALETTE))
    fig, ax = new_figure(figsize=(7.0, 3.8))
    for k, colour in zip(growths, PALETTE):
        c = dense_channels(k0, k, n_layers)
        ax.plot(np.arange(n_layers + 1), c, "o-", ms=3, color=colour, label=f"k = {k}")
    ax.set_xlabel("layer l inside the dense block")
    ax.set_ylabel("channels k₀ + l·k")
    ax.set_title(f"Channels grow linearly: {n_layers} layers at k = {growths[-1]} "
                 f"give {int(dense_channels(k0, growths[-1], n_layers)[-1])}")
    ax.legend(loc="upper left")
    return fig


VIEW_SWEEPS = {
    "plot_gradient_norms": [
        {"depth": d, "kind": k, "batchnorm": bn, "zero_last_gamma": z}
        for d in (2, 50, 100) for k in BLOCK_KINDS for bn in (True, False) for z in (False, True)
    ],
}
