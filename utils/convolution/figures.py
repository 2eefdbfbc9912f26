"""The figures of notebook 07: the interactive conv-arithmetic view (with `VIEW_SWEEPS`, the settings the benchmark
and tests sweep), per-layer costs, the lineage of the classic CNNs, first-layer filters and their maps, and the
fine-tuning sweep.  Each takes data (or calls one computation) and returns the figure.
"""

import numpy as np
import torch
from matplotlib.patches import Rectangle
from torch import nn

from utils import validation
from utils.plotstyle import BLUE, GREEN, ORANGE, PALETTE, VERMILION, new_figure

from .architectures import layer_costs
from .maths import conv_output_size

# cell categories of the conv-arithmetic view
_PAD, _UNREAD, _READ, _WINDOW = 0, 1, 2, 3
_CELL_COLOURS = ["#d9d9d9", "#ffffff", "#a6cee3", BLUE]


def _arithmetic(size, kernel, stride, padding, dilation):
    """Cell categories of the padded input, the visited window centres and the output side (may be <= 0)."""
    padded = size + 2 * padding
    span = dilation * (kernel - 1) + 1
    out = conv_output_size(size, kernel, stride, padding, dilation)
    grid = np.full((padded, padded), _PAD)
    grid[padding:padding + size, padding:padding + size] = _UNREAD
    centres = []
    if out > 0:
        taps = np.arange(kernel) * dilation
        starts = np.arange(out) * stride
        read = np.zeros((padded, padded), bool)
        rows = (starts[:, None] + taps[None, :]).ravel()
        read[np.ix_(rows, rows)] = True
        inside = grid == _UNREAD
        grid[read & inside] = _READ
        grid[np.ix_(taps, taps)] = np.where(inside[np.ix_(taps, taps)], _WINDOW, grid[np.ix_(taps, taps)])
        centres = starts + (span - 1) / 2
    return grid, np.asarray(centres, float), out, span


def plot_conv_arithmetic(size=7, kernel=3, stride=2, padding=1, dilation=1, fig=None):
    """The conv-arithmetic view: the padded input grid (grey: padding; blue: read by some window; white: never read;
    dark: the first window's taps, inside the dashed square it spans), a dot at the centre of every window position,
    and the output grid (dark: the output of the first window).

    The title gives the formula's value and the receptive field of one output; a kernel that does not fit is drawn
    as such (no output) rather than raising.  size: input side (pixels, 1-12); kernel 1-7; stride 1-4;
    padding 0-3; dilation 1-3.
    """
    size = validation.integer("size", size, low=1, high=12)
    kernel = validation.integer("kernel", kernel, low=1, high=7)
    stride = validation.integer("stride", stride, low=1, high=4)
    padding = validation.integer("padding", padding, low=0, high=3)
    dilation = validation.integer("dilation", dilation, low=1, high=3)
    grid, centres, out, span = _arithmetic(size, kernel, stride, padding, dilation)
    padded = size + 2 * padding
    formula = f"⌊({size} + 2·{padding} − {dilation}·({kernel}−1) − 1) / {stride}⌋ + 1 = {out}"
    state = getattr(fig, "_arith_state", None) if fig is not None else None
    if state is None:
        from matplotlib.collections import LineCollection
        from matplotlib.colors import ListedColormap

        fig, (ax_in, ax_out) = new_figure(1, 2, figsize=(9.4, 4.8))
        fig.set_layout_engine("none")
        ax_in.set_position([0.02, 0.02, 0.47, 0.76])
        ax_out.set_position([0.51, 0.02, 0.47, 0.76])
        cmap = ListedColormap(_CELL_COLOURS)
        state = {"in_img": ax_in.imshow(grid, cmap=cmap, vmin=0, vmax=3, origin="upper", interpolation="nearest"),
                 "in_lines": ax_in.add_collection(LineCollection([], colors="0.55", linewidths=0.8)),
                 "window": ax_in.add_patch(Rectangle((-0.5, -0.5), 1, 1, fill=False, lw=2.5, ls="--",
                                                     ec=ORANGE)),
                 "dots": ax_in.plot([], [], "o", color=ORANGE, ms=6, mec="k", mew=0.6)[0],
                 "out_img": ax_out.imshow(np.zeros((1, 1)), cmap=cmap, vmin=0, vmax=3, interpolation="nearest"),
                 "out_lines": ax_out.add_collection(LineCollection([], colors="0.55", linewidths=0.8)),
                 "no_output": ax_out.text(0.5, 0.5, "", ha="center", va="center", color=VERMILION, fontsize=13,
                                          transform=ax_out.transAxes),
                 # an invalid setting turns the titles vermilion; the next valid one must turn them back
                 "text_colour": ax_out.title.get_color()}
        for ax in (ax_in, ax_out):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
        fig._arith_state = state
    ax_in, ax_out = fig.axes[0], fig.axes[1]

    def grid_lines(n):
        edges = np.arange(n + 1) - 0.5
        return ([[(e, -0.5), (e, n - 0.5)] for e in edges] + [[(-0.5, e), (n - 0.5, e)] for e in edges])

    state["in_img"].set_data(grid)
    state["in_img"].set_extent((-0.5, padded - 0.5, padded - 0.5, -0.5))
    state["in_lines"].set_segments(grid_lines(padded))
    cx, cy = np.meshgrid(centres, centres)
    state["dots"].set_data(cx.ravel(), cy.ravel())
    state["window"].set_width(span)
    state["window"].set_height(span)
    state["window"].set_edgecolor(ORANGE if out > 0 else VERMILION)
    extent = max(padded, span, 6)     # both panels at the same scale: one cell is one pixel in either
    for ax in (ax_in, ax_out):
        ax.set_xlim(-0.6, extent - 0.4)
        ax.set_ylim(extent - 0.4, -0.6)
    ax_in.set_title(f"input {size}×{size}, padded to {padded}×{padded}\n{len(centres) ** 2} window positions",
                    fontsize=13)
    if out > 0:
        out_grid = np.full((out, out), _READ)
        out_grid[0, 0] = _WINDOW
        state["out_img"].set_data(out_grid)
        state["out_img"].set_extent((-0.5, out - 0.5, out - 0.5, -0.5))
        state["out_img"].set_visible(True)
        state["out_lines"].set_segments(grid_lines(out))
        state["no_output"].set_text("")
        unread = int((grid == _UNREAD).sum())
        note = f"{unread} input pixels never read" if unread else "every input pixel is read"
        ax_out.set_title(f"output {out}×{out}\n{note}", fontsize=13, color=state["text_colour"])
        fig.suptitle(f"out = {formula};  each output sees a {span}×{span} patch", fontsize=14, x=0.5, y=0.97,
                     color=state["text_colour"])
    else:
        state["out_img"].set_visible(False)
        state["out_lines"].set_segments([])
        state["no_output"].set_text(f"no output:\nthe kernel spans {span} pixels,\nthe padded input only {padded}")
        ax_out.set_title("output: none", fontsize=13, color=VERMILION)
        fig.suptitle(f"invalid: out = {formula} ≤ 0", fontsize=14, color=VERMILION, x=0.5, y=0.97)
    return fig


VIEW_SWEEPS = {"plot_conv_arithmetic": [
    {"size": s, "kernel": k, "stride": st, "padding": p, "dilation": d}
    for s, k, st, p, d in ((7, 3, 2, 1, 1), (12, 7, 1, 3, 1), (12, 3, 4, 0, 3), (5, 7, 1, 0, 1), (1, 1, 1, 0, 1),
                           (12, 7, 1, 3, 3), (4, 5, 3, 0, 1), (8, 2, 2, 0, 1), (12, 1, 4, 3, 1), (6, 3, 1, 1, 2))]}


def plot_layer_costs(name="VGG-16"):
    """Per weight layer of an architecture: parameters and activations (numbers per image), on a log scale.

    The title names where each kind of memory sits, computed from `layer_costs`.
    """
    from utils.plotstyle import light_log_axis

    rows = layer_costs(name)
    params = np.array([r["params"] for r in rows], float)
    acts = np.array([r["activations"] for r in rows], float)
    x = np.arange(len(rows))
    fig, ax = new_figure(figsize=(9.4, 4.4))
    ax.bar(x - 0.2, params, 0.4, color=ORANGE, label="parameters")
    ax.bar(x + 0.2, acts, 0.4, color=BLUE, label="activations per image")
    light_log_axis(ax)
    ax.set_xticks(x, [r["layer"] for r in rows], rotation=60, fontsize=10)
    ax.set_ylabel("numbers (log scale)")
    fc = np.array([r["kind"] == "fc" for r in rows])
    half = len(rows) // 3
    ax.set_title(f"{name}: the dense layers hold {params[fc].sum() / params.sum():.0%} of the parameters, "
                 f"the first {half} layers {acts[:half].sum() / acts.sum():.0%} of the activations", fontsize=13)
    ax.legend(loc="upper center", fontsize=11)
    return fig


def plot_lineage(rows):
    """Parameters against FLOPs (both log scales) for the rows of `lineage_table()`, one labelled dot each."""
    from utils.plotstyle import light_log_axis

    if not isinstance(rows, (list, tuple)) or not rows or not all(isinstance(r, dict) for r in rows):
        raise TypeError("rows must be the list of dicts that lineage_table() returns")
    fig, ax = new_figure(figsize=(8.0, 4.6))
    for r, colour in zip(rows, PALETTE):
        ax.plot(r["flops"], r["params"], "o", ms=11, color=colour)
        left = r["name"] == "NiN"      # NiN and GoogLeNet sit close together: label one on each side
        ax.annotate(f"{r['name']} ({r['year']})", (r["flops"], r["params"]), xytext=(-8 if left else 8, 6),
                    textcoords="offset points", fontsize=11, ha="right" if left else "left")
    light_log_axis(ax, "x")
    light_log_axis(ax, "y")
    ax.set_xlim(min(r["flops"] for r in rows) / 3, max(r["flops"] for r in rows) * 20)
    ax.set_ylim(min(r["params"] for r in rows) / 3, max(r["params"] for r in rows) * 4)
    ax.set(xlabel="FLOPs per image (PyTorch's counter)", ylabel="parameters")
    most = max(rows, key=lambda r: r["flops"])
    least = min((r for r in rows if r["year"] == most["year"]), key=lambda r: r["params"])
    ax.set_title(f"{least['name']} needs {most['params'] / least['params']:.0f}× fewer parameters than "
                 f"{most['name']} (same year)", fontsize=13)
    return fig


def plot_filters_and_maps(model, image):
    """A trained `small_cnn`'s first-layer filters (top row) and the feature maps they make from one image.

    model: a small_cnn (its first module a Conv2d with one input channel); image: (H, W) pixels.
    """
    if not isinstance(model, nn.Sequential) or not isinstance(model[0], nn.Conv2d) or model[0].in_channels != 1:
        raise TypeError("model must be a small_cnn (an nn.Sequential starting with a one-channel Conv2d)")
    image = validation.tensor("image", image, ndim=2, max_size=64 * 64)
    conv = model[0]
    with torch.no_grad():
        maps = torch.relu(conv(image[None, None].to(conv.weight.device)))[0].cpu().numpy()
        filters = conv.weight[:, 0].detach().cpu().numpy()
    image = image.cpu().numpy()
    n = filters.shape[0]
    fig, axes = new_figure(2, n + 1, figsize=(9.4, 2.9))
    axes[0, 0].imshow(image, cmap="gray_r")
    axes[0, 0].set_title("image", fontsize=11)
    axes[1, 0].axis("off")
    limit = float(np.abs(filters).max())
    for i in range(n):
        axes[0, i + 1].imshow(filters[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[0, i + 1].set_title(f"filter {i + 1}", fontsize=11)
        axes[1, i + 1].imshow(maps[i], cmap="viridis", vmin=0)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    axes[1, 1].set_ylabel("ReLU map", fontsize=11)
    silent = int((maps.reshape(n, -1).max(axis=1) == 0).sum())
    fig.suptitle(f"3×3 filters (red +, blue −) and their maps of one digit: {n - silent} of {n} respond to it",
                 fontsize=13)
    return fig


def plot_fine_tuning(sweeps):
    """Accuracy against labelled images per class, one panel per pairing: a dot per seed, a line through the means.

    sweeps: a list of `fine_tune_sweep` results.  Each panel's title says how the transfer methods compare with
    training from scratch in every seed.
    """
    if not isinstance(sweeps, (list, tuple)) or not sweeps or not all(isinstance(s, dict) for s in sweeps):
        raise TypeError("sweeps must be a list of fine_tune_sweep results")
    names = {"clean": "clean source → clean target", "shifted": "shifted source → shifted target",
             "control": "clean source → shifted target"}
    fig, axes = new_figure(1, len(sweeps), figsize=(9.4, 4.0), sharey=True, squeeze=False)
    for ax, sweep in zip(axes[0], sweeps):
        acc, shots = sweep["accuracy"], np.array(sweep["shots"])
        for i, (method, colour) in enumerate(zip(sweep["methods"], (VERMILION, BLUE, GREEN))):
            offset = (i - 1) * 0.04
            for s in range(acc.shape[2]):
                ax.plot(shots * (1 + offset), acc[i, :, s], "o", color=colour, ms=4, alpha=0.6)
            ax.plot(shots * (1 + offset), acc[i].mean(axis=1), "-", color=colour, label=method)
        ax.set_xscale("log")
        ax.set_xticks(shots, [str(k) for k in shots])
        ax.minorticks_off()
        ax.set_xlabel("labelled images per class")
        better = (acc[1:] > acc[:1]).all(axis=(0, 2))
        if better.all():
            verdict = "transfer wins at every n, every seed"
        elif better.any():
            verdict = "transfer wins every seed at n ≥ " + str(shots[np.argmax(better)])
        elif ((acc[1:] - acc[:1]).mean(axis=2) <= 0).all():
            verdict = "transfer no better on average, any n"
        else:
            verdict = "transfer wins in some seeds only"
        ax.set_title(f"{names[sweep['pairing']]}\n{verdict}", fontsize=11)
    axes[0, 0].set_ylabel("test accuracy, digits 5–9")
    axes[0, 0].legend(fontsize=10, loc="lower right")
    return fig
