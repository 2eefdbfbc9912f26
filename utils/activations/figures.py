"""Notebook 01's figures: each function returns a matplotlib Figure; the three wired to controls (plot_gallery,
plot_gradient_norms, plot_relu_sparsity) accept fig= and update it in place.  VIEW_SWEEPS lists the settings the
benchmark and the view tests redraw them with.

The plotting functions take data (an experiment's result) or call one computation from `maths.py` or
`experiments.py`; they do not train.
"""

import numpy as np
import torch
from matplotlib.collections import PolyCollection
from matplotlib.ticker import MaxNLocator

from utils import validation
from utils.plotstyle import BLUE, GREEN, ORANGE, PALETTE, VERMILION, YELLOW, light_log_axis, new_figure

from ._checks import _threshold
from .experiments import (
    _RELU_N,
    EXPLODING,
    INIT_LABELS,
    INITS,
    VANISHING,
    _check_result,
    _relu_samples,
    gradient_norms,
    gradient_verdicts,
    relu_zero_fraction,
    steps_to_target,
)
from .maths import NAMES, get_activation, saturated_mask

GALLERY_X = np.linspace(-6.0, 6.0, 1201)


def _spans(mask, x):
    """Contiguous runs of True in mask as (x_start, x_end) pairs."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(x[a], x[b - 1]) for a, b in zip(edges[::2], edges[1::2])]


def _fixed_figure(label, nrows=1, ncols=1, figsize=None, **subplot_kw):
    """Like plotstyle.new_figure, but with a fixed, hand-placed layout and no layout engine at all.

    Constrained layout would measure every text again on every redraw; and a figure whose engine was switched off
    afterwards (`set_layout_engine("none")`) keeps a placeholder engine, which makes `print_figure` draw the whole
    figure twice per PNG.  Built with layout="none", the figure has no engine and is drawn once.
    """
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from utils.plotstyle import COURSE_RC

    with mpl.rc_context(COURSE_RC):
        fig = Figure(figsize=figsize, layout="none")
        axes = fig.subplots(nrows, ncols, **subplot_kw)
    fig.set_label(label)
    return fig, axes


def plot_gallery(name="sigmoid", threshold=0.05, fig=None):
    """f (top) and f' (bottom) on [−6, 6] with the saturated tails (see `saturated_mask`) shaded."""
    act = get_activation(name)
    threshold = _threshold(threshold)
    x = GALLERY_X
    y, d = act.f(x), act.df(x)
    sat = saturated_mask(act.name, x, threshold)
    if fig is None or fig.get_label() != "gallery":
        fig, (ax_f, ax_d) = _fixed_figure("gallery", 2, 1, figsize=(8.0, 5.6), sharex=True)
        ax_f.set_position([0.12, 0.55, 0.85, 0.37])
        ax_d.set_position([0.12, 0.1, 0.85, 0.37])
        ax_f.plot(x, y, color=BLUE)
        ax_d.plot(x, d, color=ORANGE)
        for ax in (ax_f, ax_d):
            ax.axhline(0, color="grey", lw=0.8)
            ax.axvline(0, color="grey", lw=0.8)
            ax.add_collection(PolyCollection([], facecolors=VERMILION, alpha=0.15, edgecolors="none"),
                              autolim=False)
        ax_f.set_ylabel("f(x)")
        ax_d.set(xlabel="pre-activation x", ylabel="f′(x)", xlim=(x[0], x[-1]))
        fig.legends_cache = {}
    ax_f, ax_d = fig.axes
    ax_f.lines[0].set_ydata(y)
    ax_d.lines[0].set_ydata(d)
    for ax in (ax_f, ax_d):
        lo, hi = -1e3, 1e3  # taller than any y limit: the shading covers the whole height
        ax.collections[0].set_verts([[(a, lo), (a, hi), (b, hi), (b, lo)] for a, b in _spans(sat, x)])
    ax_f.set_ylim(*_padded(y))
    ax_d.set_ylim(*_padded(np.concatenate([d, [0.0, 1.0]])))
    if act.name not in fig.legends_cache:  # mathtext legends are costly to lay out: build each one once
        fig.legends_cache[act.name] = (
            ax_f.legend([ax_f.lines[0]], [f"f(x) = ${act.formula}$"], loc="upper left", fontsize=10),
            ax_d.legend([ax_d.lines[0]], [f"f′(x) = ${act.derivative}$"], loc="upper left", fontsize=10))
    ax_f.legend_, ax_d.legend_ = fig.legends_cache[act.name]
    ax_f.set_title(f"{act.label}: saturated on {sat.mean():.0%} of [−6, 6]; max f′ = {d.max():.2f}", fontsize=12)
    return fig


def _padded(values, pad=0.08):
    lo, hi = float(np.min(values)), float(np.max(values))
    span = max(hi - lo, 1e-3)
    return lo - pad * span, hi + pad * span


def plot_linear_collapse(stack):
    """Outputs of the deep linear net against those of the single collapsed map W x + c (all on the diagonal)."""
    if not isinstance(stack, dict) or not {"deep", "single", "depth", "max_abs_diff"} <= set(stack):
        raise TypeError(f"stack must be the dict returned by linear_stack_collapse, got {type(stack).__name__}")
    deep, single = stack["deep"].ravel(), stack["single"].ravel()
    fig, ax = new_figure(figsize=(5.5, 4.2))
    lim = _padded(np.concatenate([deep, single]), pad=0.05)
    ax.plot(lim, lim, color="grey", lw=1, label="y = x")
    ax.plot(deep, single, "o", color=BLUE, ms=3, alpha=0.5, label="one output of one input")
    ax.set(xlim=lim, ylim=lim, aspect="equal", xlabel=f"output of the {stack['depth']}-layer linear net",
           ylabel="output of the single map W x + c")
    ax.set_title(f"{stack['depth']} linear layers = one matrix (max diff {stack['max_abs_diff']:.0e})", fontsize=12)
    ax.legend(loc="upper left", fontsize=10)
    return fig


_SKY_LIGHT, _ORANGE_LIGHT = "#cfe6f5", "#f7dcc0"


def plot_decision_boundaries(result, resolution=200):
    """One panel per trained model (at most 3 side by side): its predicted class over the plane, with the
    validation points on top."""
    if not isinstance(result, dict) or not {"data", "models", "val_acc"} <= set(result):
        raise TypeError(f"result must be the dict returned by fit_boundaries, got {type(result).__name__}")
    resolution = validation.size("resolution", resolution, low=10, high=1000)
    data, models = result["data"], result["models"]
    x = torch.cat([data.x_train, data.x_val]).cpu()
    lo, hi = x.min(0).values.numpy() - 0.3, x.max(0).values.numpy() + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
    n = len(models)
    fig, axes = new_figure(1, n, figsize=(min(3.2 * n, 9.6), 3.5), sharey=True)
    axes = np.atleast_1d(axes)
    xv, yv = data.x_val.cpu().numpy(), data.y_val.cpu().numpy()
    for ax, (name, model) in zip(axes, models.items()):
        with torch.no_grad():
            pred = model(grid).argmax(1).numpy().reshape(gx.shape)
        ax.contourf(gx, gy, pred, levels=np.arange(data.n_classes + 1) - 0.5, colors=[_SKY_LIGHT, _ORANGE_LIGHT],
                    alpha=0.6)
        ax.scatter(xv[:, 0], xv[:, 1], c=[PALETTE[0] if v == 0 else PALETTE[3] for v in yv], s=10)
        label = "no activation" if name == "linear" else get_activation(name).label
        ax.set_title(f"{label}: val acc {result['val_acc'][name]:.0%}", fontsize=12)
        ax.set(xlabel="x₁", aspect="equal")
        ax.grid(False)
    axes[0].set_ylabel("x₂")
    return fig


GROUPS = {
    "classic": ("sigmoid", "tanh", "relu"),
    "ReLU variants": ("relu", "leaky_relu", "prelu", "elu", "maxout"),
    "modern smooth": ("relu", "selu", "gelu", "silu", "softplus"),
}


def _bar_verts(n_layers, slot, n_series, heights, bottom):
    """Rectangles (n_layers, 4, 2) for one series of a grouped bar chart: layer k's bar of `slot` of `n_series`."""
    width = 0.85 / n_series
    left = np.arange(1, n_layers + 1) + (slot - (n_series - 1) / 2) * width - width / 2
    top = np.maximum(heights, bottom)  # a gradient that underflowed to 0 gets an empty bar, not log(0)
    xs = np.stack([left, left, left + width, left + width], axis=1)
    ys = np.stack([np.full_like(top, bottom), top, top, np.full_like(top, bottom)], axis=1)
    return np.stack([xs, ys], axis=2)


def _gradient_title(depth, init, norms):
    verdicts = gradient_verdicts(norms)
    texts = {"overflows": lambda v: "overflows (inf)", "explodes": lambda v: f"explodes (up to {v:.0e})",
             "vanishes": lambda v: f"vanishes (all ≤ {v:.0e})",
             "shrinks": lambda v: f"layer 1 gets {v:.0e}× the last" if v > 0 else "layer 1 gets 0 (underflow)"}
    order = ("overflows", "explodes", "vanishes", "shrinks")
    found = sorted([(order.index(f), name, f, v) for name, (f, v) in verdicts.items() if f is not None])
    head = f"depth {depth}, {INIT_LABELS[init]} init"
    if not found:
        return (f"{head}:\nevery layer's gradient within {VANISHING:.0e} … {EXPLODING:.0e} for every "
                f"activation")
    parts = [f"{get_activation(name).label} {texts[f](v)}" for _, name, f, v in found[:2]]
    more = f" (+{len(found) - 2} more)" if len(found) > 2 else ""
    return f"{head}:\n" + "; ".join(parts) + more


def plot_gradient_norms(depth=10, group="classic", init="usual", fig=None):
    """Bar chart, per layer, of the weight-gradient norm at initialisation for each activation in GROUPS[group].

    The y axis is logarithmic.  The title names what is wrong, computed from the data (see `gradient_verdicts`):
    gradients that overflow, explode or vanish in every layer, or a first layer that gets < 1/100 of the last's;
    the legend gives each activation's range of norms (its overall scale and its spread across layers).
    Given `fig` from an earlier call (any depth, group, init), it only moves the bars, limits, texts and title:
    each activation's bars are one PolyCollection, and the layout is fixed, so a redraw builds nothing new.
    """
    validation.one_of("group", group, tuple(GROUPS))
    init = validation.one_of("init", init, INITS)
    names = GROUPS[group]
    depth = validation.integer("depth", depth, low=1)
    norms = {name: gradient_norms(name, depth, init=init) for name in names}  # validates depth's upper bound
    values = np.concatenate(list(norms.values()))
    positive = values[(values > 0) & np.isfinite(values)]  # float32 underflows to exactly 0 at great depth
    lo, hi = (positive.min(), positive.max()) if positive.size else (1e-12, 1.0)
    # at least one power of ten inside the limits, so the log axis always has a labelled tick
    bottom, top = min(lo / 3, 10.0 ** np.floor(np.log10(lo))), hi * 3
    n_slots = max(len(g) for g in GROUPS.values())
    if fig is None or fig.get_label() != "gradient_norms":
        fig, ax = _fixed_figure("gradient_norms", figsize=(9.6, 4.4))
        ax.set_position([0.09, 0.12, 0.6, 0.72])  # left, bottom, width, height (figure fractions)
        for i in range(n_slots):
            ax.add_collection(PolyCollection([], facecolors=PALETTE[i % 6], edgecolors="none"), autolim=False)
        light_log_axis(ax, numticks=6)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        ax.set_xlabel("layer (1 = next to the input)")
        ax.set_ylabel("‖∂loss/∂W‖ (log scale)")
    ax = fig.axes[0]
    bars = ax.collections
    if getattr(fig, "shown_names", None) != names:  # a new legend only when the group changes
        ax.legend(bars[:len(names)], [""] * len(names), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10,
                  title="layer norms: min – max", title_fontsize=10)
        fig.shown_names = names
    legend = ax.get_legend()
    for i, coll in enumerate(bars):
        if i < len(names):
            v = norms[names[i]]
            coll.set_verts(_bar_verts(depth + 1, i, len(names), np.where(np.isfinite(v), v, top), bottom))
            span = "inf (overflow)" if not np.all(np.isfinite(v)) else f"{v.min():.0e} – {v.max():.0e}"
            legend.texts[i].set_text(f"{get_activation(names[i]).label}: {span}")
        coll.set_visible(i < len(names))
    ax.set_xlim(0.4, depth + 1.6)
    ax.set_ylim(bottom, top)
    ax.set_title(_gradient_title(depth, init, norms), fontsize=12, loc="left")
    return fig


def plot_relu_sparsity(shift=0.0, fig=None):
    """Histogram of pre-activations z ~ N(shift, 1) and of ReLU(z): the share of exact zeros (no gradient).

    The samples and the share are those of `relu_zero_fraction(shift)`."""
    from utils.plotstyle import draw_hist, hist_counts, update_hist

    zeros = relu_zero_fraction(shift)
    z = _relu_samples(0) + float(shift)
    counts_z, _ = hist_counts(z, bins=_RELU_EDGES)
    counts_pos, _ = hist_counts(z[z > 0], bins=_RELU_EDGES)
    if fig is None or fig.get_label() != "relu_sparsity":
        fig, ax = _fixed_figure("relu_sparsity", figsize=(7.5, 3.8))
        ax.set_position([0.11, 0.15, 0.86, 0.75])
        draw_hist(ax, counts_z, _RELU_EDGES, color=VERMILION, alpha=0.35,
                  label="z ≤ 0: ReLU outputs 0, gradient 0")
        draw_hist(ax, counts_pos, _RELU_EDGES, color=GREEN, alpha=0.8, label="z > 0: passes through, gradient 1")
        ax.axvline(0, color="grey", lw=1)
        ax.set(xlabel="pre-activation z", ylabel=f"count (of {_RELU_N:,} inputs)", xlim=(-6, 6))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.legend(loc="upper left", fontsize=10)
    else:
        ax = fig.axes[0]
        update_hist(ax.patches[0], counts_z, _RELU_EDGES)
        update_hist(ax.patches[1], counts_pos, _RELU_EDGES)
    ax.set_ylim(0, max(counts_z.max(), 1) * 1.3)
    ax.set_title(f"mean pre-activation {shift:+.1f}: {zeros:.1%} of ReLU outputs are exactly 0", fontsize=12)
    return fig


_RELU_EDGES = np.linspace(-8, 8, 161)


def plot_update_ratios(sgd, adam):
    """Two panels (SGD | Adam): per layer, ‖ΔW‖/‖W‖ of the first step for each activation (`update_ratios`)."""
    for what, r in (("sgd", sgd), ("adam", adam)):
        if not isinstance(r, dict) or not r:
            raise TypeError(f"{what} must be the dict returned by update_ratios, got {type(r).__name__}")
    colours = [c for c in PALETTE if c != YELLOW]
    fig, axes = new_figure(1, 2, figsize=(9.6, 3.9), sharey=True)
    for ax, (title, ratios) in zip(axes, (("SGD", sgd), ("Adam", adam))):
        names = list(ratios)
        width = 0.8 / len(names)
        for i, name in enumerate(names):
            r = ratios[name]
            ax.bar(np.arange(1, len(r) + 1) + (i - (len(names) - 1) / 2) * width, r, width=width,
                   color=colours[i % len(colours)], label=get_activation(name).label)
        ax.set_yscale("log")
        light_log_axis(ax)
        first = {n: ratios[n][0] for n in names}
        lo, hi = min(first, key=first.get), max(first, key=first.get)
        ax.set_title(f"{title}: layer 1 moves {first[lo]:.1e} ({get_activation(lo).label})\n"
                     f"to {first[hi]:.1e} ({get_activation(hi).label}) of its size", fontsize=11)
        ax.set_xlabel("layer (1 = next to the input)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylabel("first step: ‖ΔW‖ / ‖W‖")
    axes[0].legend(fontsize=9, loc="upper left")
    return fig


def _training_title(result, target):
    """What a training panel shows, from its data: who never reaches the target, who is last and first."""
    label = {n: get_activation(n).label for n in result["names"]}
    if target is None:
        last = {n: result["histories"][n].final("train_loss") for n in result["names"]}
        return f"{label[max(last, key=last.get)]} ends highest"
    reached = steps_to_target(result, target)
    done = {n: s for n, s in reached.items() if s is not None}
    if not done:
        return f"none gets below {target:g}"
    first = min(done, key=done.get)
    never = [label[n] for n in reached if reached[n] is None]
    if never:
        head = f"never below {target:g}: {', '.join(never[:3])}" + (" …" if len(never) > 3 else "")
    else:
        slowest = max(done, key=done.get)
        head = f"all below {target:g}; last: {label[slowest]} (step {done[slowest]})"
    return f"{head}\nfirst: {label[first]} (step {done[first]})"


def plot_training_curves(result, target=None):
    """Training loss against step for each activation of a `compare_training` result (log y); a list of results
    gives one panel each, side by side (at most 3)."""
    results = result if isinstance(result, (list, tuple)) else [result]
    if not 1 <= len(results) <= 3:
        raise ValueError(f"result must be one compare_training result or a list of 1 to 3, got {len(results)}")
    for r in results:
        _check_result(r)
    if target is not None:
        target = validation.finite_number("target", target, low=0.0, low_open=True)
    colours = [c for c in PALETTE if c != YELLOW]  # yellow is unreadable as a thin line on white
    fig, axes = new_figure(1, len(results), figsize=(min(4.8 * len(results), 9.6), 4.2), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, r in zip(axes, results):
        for i, name in enumerate(r["names"]):
            h = r["histories"][name]
            ax.plot(h.step, h.train_loss, color=colours[i % len(colours)], label=get_activation(name).label)
        if target is not None:
            ax.axhline(target, color="grey", ls="--", lw=1.2, label=f"target {target:g}")
        ax.set_yscale("log")
        light_log_axis(ax)
        ax.set_xlabel(f"step ({r.get('optimizer', 'same optimiser')})")
        ax.set_title(_training_title(r, target), fontsize=11)
    axes[0].set_ylabel("training loss (cross-entropy)")
    axes[0].legend(ncols=2, fontsize=9, loc="lower left")
    return fig


VIEW_SWEEPS = {
    "plot_gallery": [{"name": n, "threshold": t} for n in NAMES for t in (0.01, 0.05, 0.3)],
    "plot_gradient_norms": [{"depth": d, "group": g, "init": i} for d in (2, 30) for g in GROUPS for i in INITS]
    + [{"depth": 10, "group": "classic", "init": "usual"}],
    "plot_relu_sparsity": [{"shift": s} for s in (-3.0, -1.0, 0.0, 1.0, 3.0)],
}
