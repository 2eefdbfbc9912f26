"""Notebook 03's figures and its interactive view: the explorer (`plot_init_histograms`, swept by `VIEW_SWEEPS`),
the ridgelines of activations and gradients, the std ratios, the symmetry images, the training curves and the
activations over training.  Each takes data (or calls one experiment from `experiments.py`) and returns the Figure.
"""

import math

import numpy as np
from matplotlib.ticker import MaxNLocator

from utils import validation as v
from utils.plotstyle import (
    BLUE,
    GREEN,
    ORANGE,
    PURPLE,
    SKY,
    VERMILION,
    draw_hist,
    light_log_axis,
    new_figure,
    update_hist,
)

from .experiments import _EXPLORER_SAMPLES, _verdict, activation_profile, gradient_profile
from .maths import ACTIVATIONS, SCHEMES, VANISHED

SCHEME_LABELS = {"constant": "constant s", "normal": "N(0, s²)", "xavier_uniform": "Xavier uniform",
                 "xavier_normal": "Xavier normal", "kaiming_uniform": "Kaiming uniform",
                 "kaiming_normal": "Kaiming normal", "lecun_normal": "LeCun normal", "orthogonal": "orthogonal",
                 "torch_default": "PyTorch default"}

_COLOURS = [BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY]


def _ridge_heights(counts):
    """Each row scaled to peak 0.9 (one row = one layer); empty rows stay flat.

    Bins under 2% of their row's peak are drawn flat: at the figure's size they would be less than half a pixel
    high and show only as stray hairlines along the baseline.
    """
    peak = counts.max(axis=1, keepdims=True).astype(float)
    heights = np.divide(counts, peak, out=np.zeros(counts.shape), where=peak > 0)
    return 0.9 * np.where(heights < 0.02, 0.0, heights)


def _draw_ridges(ax, profile, n_slots, colour=BLUE):
    """Draw a ridgeline (the i-th shown layer's histogram at height offset i) with `n_slots` reusable step artists.

    The ridges are filled without an outline: an outline would draw a line along the baseline of every empty bin.
    """
    artists = [draw_hist(ax, np.zeros(len(profile.edges) - 1), profile.edges, fill=True, color=colour,
                         baseline=0.0, alpha=0.7, linewidth=0) for _ in range(n_slots)]
    _update_ridges(ax, artists, profile)
    ax.set_ylabel("layer (deeper ↑)")
    ax.tick_params(axis="y", length=0)
    ax.grid(False, axis="y")  # horizontal lines would cut the ridges at arbitrary heights
    return artists


def _update_ridges(ax, artists, profile):
    heights = _ridge_heights(profile.counts)
    for i, art in enumerate(artists):
        if i < len(profile.layers):
            update_hist(art, heights[i] + i, profile.edges)
            art.set_data(baseline=float(i))
            art.set_visible(True)
        else:
            art.set_visible(False)
    ax.set_yticks(np.arange(len(profile.layers)) + 0.3, [str(layer) for layer in profile.layers])
    ax.set_xlim(profile.edges[0], profile.edges[-1])
    ax.set_ylim(-0.1, max(len(profile.layers), 1) + 0.1)


def _curve(values, ok):
    return np.maximum(np.asarray(values)[ok], VANISHED)


def _std_ylim(values):
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (1e-3, 10.0)
    lo, hi = float(values.min()), float(values.max())
    return (10.0 ** math.floor(math.log10(lo) - 0.3), 10.0 ** math.ceil(math.log10(hi) + 0.3))


def _explorer_figure(profile):
    """Build the explorer's figure once; `plot_init_histograms` then only updates its artists.

    The layout is fixed, with room for the widest tick labels: constrained layout re-solved it on every redraw, and
    automatic title and axis-label placement measured every tick label again (together about half the drawing time).
    """
    fig, (ax_h, ax_s) = new_figure(1, 2, figsize=(9.6, 4.8))
    fig.set_layout_engine("none")
    ax_h.set_position([0.075, 0.12, 0.45, 0.66])
    ax_s.set_position([0.655, 0.12, 0.33, 0.58])
    fig._ridges = _draw_ridges(ax_h, profile, 10)
    ax_s.semilogy([1], [1], "o-", color=BLUE, ms=4, label="std, all values")
    ax_s.semilogy([1], [1], "^-", color=GREEN, ms=4, lw=1.5, label="spread across inputs")
    ax_s.semilogy([1], [1], "s--", color=ORANGE, ms=3, lw=1.2, label="|mean|")
    fig._input_line = ax_s.axhline(1.0, color="0.45", lw=1, ls=":", label="input's std")
    light_log_axis(ax_s)
    ax_h.xaxis.set_major_locator(MaxNLocator(nbins=5))  # every tick is drawn twice per redraw: keep a few
    ax_s.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True, min_n_ticks=1))
    # the legend sits above the axes (it names the panel): inside, it would hide curves that end at the bottom
    ax_s.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=9, frameon=False,
                columnspacing=1.0, handlelength=1.8)
    ax_h.set_title("activation histograms, per layer", y=1.02, fontsize=12)
    ax_s.set(xlabel="layer", ylabel="std, spread, |mean| (log)")
    for ax, ylabel_x in ((ax_h, -0.085), (ax_s, -0.2)):
        ax.xaxis.set_label_coords(0.5, -0.11)
        ax.yaxis.set_label_coords(ylabel_x, 0.5)
    fig._exploded = ax_s.text(0.5, 0.5, "", transform=ax_s.transAxes, ha="center", color=VERMILION,
                              fontsize=13, fontweight="bold")
    return fig


def plot_init_histograms(activation="relu", scheme="xavier_normal", scale=1.0, depth=20, width=250, fig=None):
    """The explorer: per-layer activation histograms (a ridgeline, layer 1 at the bottom), and per layer the std
    of all values, the spread across inputs (how much a unit's value depends on the input) and |mean|, against
    the input's std.

    200 N(0, 1) inputs go through `depth` layers of `width` units, weights from `scheme` at scale s (see
    `init_weights`).  Returns the Figure; pass it back as `fig` to update it in place.
    """
    p = activation_profile(activation, scheme, scale, depth, width, _EXPLORER_SAMPLES, 0)
    ok = np.isfinite(p.std)
    layers = np.arange(1, len(p.std) + 1)[ok]
    std, spread = _curve(p.std, ok), _curve(p.input_std, ok)
    abs_mean = np.maximum(np.abs(p.mean[ok]), std.min() * 1e-3) if std.size else std
    if fig is None:
        fig = _explorer_figure(p)
        ax_h, ax_s = fig.axes[:2]
    else:
        ax_h, ax_s = fig.axes[:2]
        _update_ridges(ax_h, fig._ridges, p)
    for line, values in zip(ax_s.lines[:3], (std, spread, abs_mean)):
        line.set_data(layers, values)
    fig._input_line.set_ydata([p.x_std, p.x_std])
    ax_h.set_xlabel("activation value" + ("  (ReLU's exact zeros left out)" if p.zeros_dropped else ""))
    fig._exploded.set_text(f"exploded at layer {p.exploded_at}" if p.exploded_at is not None else "")
    ax_s.set_xlim(0.5, depth + 0.5)
    ax_s.set_ylim(*_std_ylim(np.concatenate([std, spread, abs_mean, [p.x_std]])))
    fig.suptitle(f"{activation} + {SCHEME_LABELS[scheme]} (s = {scale:.3g}), {depth} layers of {width}:\n"
                 f"{_verdict(p, activation)}", fontsize=12, y=0.985)
    return fig


def _case_label(scheme, scale):
    return SCHEME_LABELS[scheme] + (f", s = {scale:g}" if scheme in ("normal", "constant") or scale != 1 else "")


def plot_cases(cases, kind="activation", depth=10, width=500, n_samples=1000):
    """Ridgelines (every layer when depth ≤ 10) for two or three settings, then their per-layer std on one axis.

    cases: list of (activation, scheme, scale) triples.  kind: "activation" or "gradient" (∂L/∂h by autograd).
    """
    if isinstance(cases, (str, bytes)) or not hasattr(cases, "__len__") or not 1 <= len(cases) <= 3:
        raise ValueError(f"cases must be a list of 1 to 3 (activation, scheme, scale) triples, got {cases!r}")
    kind = v.one_of("kind", kind, ("activation", "gradient"))
    compute = activation_profile if kind == "activation" else gradient_profile
    profiles = [compute(a, s, k, depth, width, n_samples, 0) for a, s, k in cases]
    fig, axes = new_figure(2, 2, figsize=(9.6, 7.6))
    axes = axes.ravel()
    what = "activations" if kind == "activation" else "gradients ∂L/∂h"
    for i, ((act, scheme, scale), p) in enumerate(zip(cases, profiles)):
        _draw_ridges(axes[i], p, len(p.layers), colour=_COLOURS[i])
        if kind == "activation":
            word = _verdict(p, act)
        elif p.exploded_at is not None:
            word = f"exploded below layer {p.exploded_at}"
        else:
            word = f"from layer {depth} to 1 the std changes ×{p.std[0] / p.std[-1]:.2g}"
        axes[i].set_title(f"{act} + {_case_label(scheme, scale)}\n{word}", fontsize=11)
        axes[i].set_xlabel("activation value" if kind == "activation" else "gradient ∂L/∂h")
        ok = np.isfinite(p.std)
        axes[3].semilogy(np.arange(1, depth + 1)[ok], _curve(p.std, ok), "o-", color=_COLOURS[i], ms=4,
                         label=f"{act} + {_case_label(scheme, scale)}")
    for ax in axes[len(cases):3]:
        ax.set_visible(False)
    if kind == "activation":
        axes[3].axhline(profiles[0].x_std, color="0.45", lw=1, ls=":", label="input's std")
    axes[3].set(xlabel="layer", ylabel=f"std of {what} (log)", title=f"std of the {what}, per layer")
    axes[3].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[3].legend(fontsize=9)
    return fig


def _geometric_mean(r):
    return float(np.exp(np.mean(np.log(r))))


def plot_std_ratios(ratios):
    """Per-layer std ratio for several (label -> (depth,) ratios) runs, with the 1 and 1/√2 references."""
    if not isinstance(ratios, dict) or not 1 <= len(ratios) <= 4:
        raise TypeError(f"ratios must be a dict of 1 to 4 label -> per-layer ratios, got {type(ratios).__name__}")
    ratios = {str(k): v.array(f"ratios[{k!r}]", r, ndim=1) for k, r in ratios.items()}
    fig, ax = new_figure(figsize=(9.6, 4.4))
    means = {label: _geometric_mean(r) for label, r in ratios.items()}
    for (label, r), colour in zip(ratios.items(), _COLOURS):
        ax.plot(np.arange(1, len(r) + 1), r, "o-", ms=3, color=colour, label=f"{label} (×{means[label]:.2f})")
    for level, text, style in ((1.0, "1", "--"), (1 / math.sqrt(2), "1/√2", ":")):
        ax.axhline(level, color="0.4", lw=1, ls=style)
        ax.text(1.01, level, text, color="0.3", va="center", transform=ax.get_yaxis_transform())
    nearest = min(means, key=lambda k: abs(math.log(means[k])))
    lowest = min(means, key=means.get)
    # layer 1 sees the raw N(0, 1) input, which no ReLU has halved: there Kaiming's ratio is √2 (≈ 1.41)
    ax.set(xlabel="layer l", ylabel=r"$\mathrm{std}(z_l)\ /\ \mathrm{std}(z_{l-1})$", ylim=(0.5, 1.5),
           title=f"{nearest} keeps the ratio nearest 1 (×{means[nearest]:.2f} per layer); "
                 f"{lowest}: ×{means[lowest]:.2f}")
    ax.title.set_fontsize(11)
    ax.legend(loc="upper right", fontsize=9, title="mean ratio per layer", title_fontsize=9)
    return fig


def plot_symmetry(results):
    """The trained hidden weight matrices of the constant- and random-init nets, as images, each with its own colour
    scale centred on its median (a shared scale would paint the constant net's nearly equal weights one colour)."""
    if not isinstance(results, dict) or not {"constant", "random"} <= set(results):
        raise TypeError("results must be the dict that symmetry_experiment returns")
    fig, axes = new_figure(1, 2, figsize=(9.6, 3.8))
    for ax, name in zip(axes, ("constant", "random")):
        r = results[name]
        w = np.asarray(r["weights"], dtype=float)
        centre = float(np.median(w))
        half = float(np.abs(w - centre).max()) or 1e-12
        im = ax.imshow(w, cmap="RdBu_r", vmin=centre - half, vmax=centre + half, aspect="auto",
                       interpolation="nearest")
        ax.grid(False)
        ax.set(xlabel="input pixel", ylabel="hidden unit")
        ax.set_title(f"{name} init: {r['identical_rows']} of {len(w)} rows identical\n"
                     f"validation accuracy {r['accuracy']:.2f}", fontsize=11)
        fig.colorbar(im, ax=ax, label="weight", format="%.3g")
    copies = results["constant"]["identical_rows"]
    fig.suptitle(f"After training, constant init still has {copies} copies of one hidden unit", fontsize=12)
    return fig


def plot_training(histories):
    """Training loss and validation accuracy against step, one line per scheme; ln 10 marks chance."""
    if not isinstance(histories, dict) or not 1 <= len(histories) <= 6:
        raise TypeError("histories must be the dict that deep_relu_training returns")
    fig, (ax_l, ax_a) = new_figure(1, 2, figsize=(9.6, 4.0))
    for (scheme, h), colour in zip(histories.items(), [ORANGE, BLUE, GREEN, VERMILION, PURPLE, SKY]):
        label = SCHEME_LABELS.get(scheme, scheme)
        ax_l.plot(h.step, h.train_loss, color=colour, label=f"{label}: ends at {h.final('train_loss'):.2f}")
        ax_a.plot(h.step, h.val_acc, color=colour, label=f"{label}: ends at {h.final('val_acc'):.2f}")
    ax_l.axhline(math.log(10), color="0.45", lw=1, ls=":", label="chance, ln 10")
    best = min(histories, key=lambda s: histories[s].final("train_loss"))
    ax_l.set(xlabel="step", ylabel="training loss (cross-entropy)")
    ax_l.set_title(f"training loss: {SCHEME_LABELS.get(best, best)} ends lowest", fontsize=11)
    ax_a.set(xlabel="step", ylabel="validation accuracy", ylim=(0, 1))
    ax_a.set_title("validation accuracy", fontsize=11)
    ax_l.legend(fontsize=9)
    ax_a.legend(fontsize=9)
    return fig


def plot_activations_over_training(records, layers=None):
    """Heat maps: for each run (rows) and chosen layer (columns), step on x, activation value on y, colour = log count.

    records: {label: dict from `activations_over_training`}.
    """
    if not isinstance(records, dict) or not 1 <= len(records) <= 3:
        raise TypeError("records must be a dict of 1 to 3 label -> activations_over_training results")
    first = next(iter(records.values()))
    depth = first["counts"].shape[0]
    layers = layers or sorted({1, (depth + 1) // 2, depth})
    fig, axes = new_figure(len(records), len(layers), figsize=(9.6, 2.9 * len(records) + 0.4), squeeze=False)
    for row, (label, rec) in enumerate(records.items()):
        edges, steps = rec["edges"], rec["counts"].shape[1]
        for col, layer in enumerate(layers):
            ax = axes[row, col]
            ax.imshow(np.log1p(rec["counts"][layer - 1].T), origin="lower", aspect="auto", cmap="viridis",
                      extent=(0, steps, edges[0], edges[-1]), interpolation="nearest")
            ax.grid(False)
            ax.set_title(f"{label}: layer {layer}\n{100 * rec['saturated'][layer - 1, -1]:.0f}% saturated at the "
                         f"end", fontsize=10)
            ax.set(xlabel="training step" if row == len(records) - 1 else "",
                   ylabel="activation value" if col == 0 else "")
    shares = ", ".join(f"{label} {100 * rec['saturated'][-1, -1]:.0f}%" for label, rec in records.items())
    fig.suptitle(f"Layer {depth} at the last step, share with |a| > 0.95: {shares}", fontsize=12)
    return fig


VIEW_SWEEPS = {
    "plot_init_histograms": (
        [{"activation": a, "scheme": "xavier_normal", "scale": 1.0, "depth": 20, "width": 250}
         for a in ACTIVATIONS]
        + [{"activation": "relu", "scheme": s, "scale": 1.0, "depth": 20, "width": 250} for s in SCHEMES]
        + [{"activation": a, "scheme": "normal", "scale": s, "depth": d, "width": w}
           for a in ("tanh", "relu") for s in (0.001, 100.0) for d, w in ((1, 10), (50, 500))]
        + [{"activation": "relu", "scheme": "constant", "scale": 100.0, "depth": 50, "width": 500},
           {"activation": "sigmoid", "scheme": "constant", "scale": 1.0, "depth": 20, "width": 250},
           {"activation": "sigmoid", "scheme": "orthogonal", "scale": 0.001, "depth": 50, "width": 10},
           {"activation": "leaky_relu", "scheme": "kaiming_uniform", "scale": 100.0, "depth": 50, "width": 500}]
    ),
}
