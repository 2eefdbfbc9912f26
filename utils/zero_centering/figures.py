"""The figures and the interactive view of notebook 02.

Each plotting function takes data or calls one experiment, and returns the figure: the zig-zag view (`plot_zigzag`,
redrawn in place from the slider values listed in `VIEW_SWEEPS`), one-example steps, steps vs offset, the
preprocessed clouds and the activation runs.
"""


import numpy as np
from matplotlib.collections import LineCollection

from utils import validation
from utils.caching import cached
from utils.plotstyle import BLUE, GREEN, ORANGE, PURPLE, VERMILION, new_figure

from ._checks import _as_matrix, _lr_scale, _offset, _offsets, _seed
from .experiments import _final_loss, _toy_problem, _zigzag_runs, conditioning_table
from .maths import ACTIVATION_LABELS, METHODS, W_STAR, W_START, _sgd_path, preprocess

_WINDOW = (-2.2, 2.2, -2.0, 1.6)          # w1 min, w1 max, w2 min, w2 max of the zig-zag view


@cached(maxsize=64)
def _zigzag_contours(offset, seed=0, n_levels=14, n_points=200):
    """Loss contours of the raw and centred toy problems (cached per offset).

    L(w) - L(w*) = (w - w*)^T H (w - w*) / 2 with H = x^T x / n, so the contour at level c is an ellipse
    around w* whose semi-axes lie along H's eigenvectors with lengths sqrt(2c / lam_i): the long axis is
    sqrt(kappa) times the short one.  Levels are geometric from 1e-3 to the largest loss in the view's window.
    Returns {"raw": (n_levels, n_points, 2), "centred": ...}: closed (w1, w2) curves for a LineCollection.
    """
    theta = np.linspace(0, 2 * np.pi, n_points)
    circle = np.stack([np.cos(theta), np.sin(theta)], -1)                       # (n_points, 2)
    corners = np.array([[a, b] for a in _WINDOW[:2] for b in _WINDOW[2:]]) - np.array(W_STAR)
    out = {}
    for name, p in _toy_problem(float(offset), seed).items():
        lam, q = np.linalg.eigh(p["H"])
        top = max(0.5 * float(np.max(np.einsum("ki,ij,kj->k", corners, p["H"], corners))), 2e-3)
        radii = np.sqrt(2 * np.geomspace(1e-3, top, n_levels))                  # (n_levels,)
        unit = (circle / np.sqrt(lam)) @ q.T                                     # the level-1/2 ellipse
        out[name] = np.array(W_STAR) + radii[:, None, None] * unit
    return out


def _steps_text(k):
    return f"{k} steps to w*" if k is not None else "no convergence"


def plot_zigzag(offset=2.0, lr_scale=1.6, steps=60, fig=None):
    """Loss contours and the GD path from the same start, raw (left) vs centred (right) inputs.

    offset: mean of both inputs; lr_scale: learning rate times the largest curvature of each surface
    (< 2 is stable); steps: GD steps drawn.  Titles report the condition number and the steps each needs
    to get within TOL of w*.
    Given its previous figure back (`fig=`), it only moves the paths, swaps the (cached) contour segments
    and retitles.  The figure is kept lean on purpose: every redraw re-lays out every piece of text, and
    text is most of the cost of a PNG, so there is no legend (two direct labels) and no figure title.
    """
    offset, lr_scale = _offset(offset), _lr_scale(lr_scale)
    steps = validation.size("steps", steps, high=10_000, low=0)
    runs = _zigzag_runs(offset, lr_scale, steps)
    contours = _zigzag_contours(float(offset))
    state = getattr(fig, "_zigzag_state", None) if fig is not None else None
    if state is None:
        fig, axes = new_figure(1, 2, figsize=(9.6, 4.5), sharex=True, sharey=True)
        state = {"contours": [], "paths": []}
        for ax, colour in zip(axes, (VERMILION, BLUE)):
            state["contours"].append(ax.add_collection(LineCollection([], colors="0.6", linewidths=0.8, zorder=1)))
            state["paths"].append(ax.plot([], [], "-o", color=colour, ms=3, lw=1.4)[0])
            ax.plot(*W_START, "s", color="k", ms=8)
            ax.plot(*W_STAR, "*", color=GREEN, ms=16, zorder=5)
            ax.set(xlim=_WINDOW[:2], ylim=_WINDOW[2:], aspect="equal")
            ax.set_xticks([-2, -1, 0, 1, 2], labels=["−2", "", "0", "", "2"])
            ax.set_yticks([-2, -1, 0, 1], labels=["−2", "−1", "0", "1"])
        axes[0].text(W_START[0], W_START[1] + 0.15, "start", ha="center", va="bottom", fontsize=12)
        axes[0].text(W_STAR[0] + 0.12, W_STAR[1] - 0.15, "w*", ha="left", va="top", fontsize=13)
        axes[0].set_ylabel("weight w₂")
        fig.supxlabel("weight w₁", fontsize=12)
        # A fixed layout: re-solving the constrained layout on every redraw costs more than the drawing.
        fig.set_layout_engine("none")
        for ax, left in zip(axes, (0.075, 0.545)):
            ax.set_position([left, 0.13, 0.44, 0.76])
        fig._zigzag_state = state
    for ax, lines, path, name in zip(fig.axes, state["contours"], state["paths"], ("raw", "centred")):
        lines.set_segments(contours[name])
        path.set_data(runs[name]["path"][:, 0], runs[name]["path"][:, 1])
        ax.set_title(f"{name} (κ = {runs[name]['cond']:.1f}): {_steps_text(runs[name]['converge'])}",
                     fontsize=13)
    return fig


def _single_example_runs(offset, steps, seed):
    """One-example-per-step GD from W_START on the raw and the centred toy problem, each at its own safe rate
    lr = 0.5 / max_i ||x_i||^2.  Returns {name: {"path", "lr", "one_signed" (fraction of ↗/↙ steps), "distance"}}."""
    p = _toy_problem(float(offset), seed)
    out = {}
    for name in ("raw", "centred"):
        x, y = p[name]["x"], p[name]["y"]
        lr = 0.5 / float(np.max(np.sum(x ** 2, axis=1)))
        path = _sgd_path(x, y, W_START, lr, steps, seed=seed)
        moves = np.diff(path, axis=0)
        out[name] = {"path": path, "lr": lr,
                     "one_signed": float(np.mean(np.all(moves > 0, axis=1) | np.all(moves < 0, axis=1))),
                     "distance": float(np.linalg.norm(path[-1] - np.array(W_STAR)))}
    return out


def plot_single_example_steps(offset=2.0, steps=150, seed=0):
    """Gradient descent one example at a time from W_START over the loss contours: raw (left) vs centred (right).

    Each uses its own safe rate lr = 0.5 / max_i ||x_i||^2 (raw inputs are larger, so their rate is smaller).
    With all-positive inputs every step points up-right or down-left, so the raw path climbs down a staircase.
    """
    offset, seed = _offset(offset), _seed(seed)
    steps = validation.size("steps", steps, high=10_000)
    runs = _single_example_runs(offset, steps, seed)
    contours = _zigzag_contours(float(offset), seed)
    fig, axes = new_figure(1, 2, figsize=(9.6, 4.6), sharex=True, sharey=True)
    for ax, name, colour in zip(axes, ("raw", "centred"), (VERMILION, BLUE)):
        r = runs[name]
        ax.add_collection(LineCollection(contours[name], colors="0.7", linewidths=0.8, zorder=1))
        ax.plot(r["path"][:, 0], r["path"][:, 1], "-", color=colour, lw=1.3)
        ax.plot(*W_START, "s", color="k", ms=8)
        ax.plot(*W_STAR, "*", color=GREEN, ms=16, zorder=5)
        ax.set(xlim=_WINDOW[:2], ylim=_WINDOW[2:], aspect="equal", xlabel="weight w₁")
        ax.set_title(f"{name} inputs: {r['one_signed']:.0%} of steps ↗ or ↙\n"
                     f"lr {r['lr']:.3f}, ends {r['distance']:.2f} from w*", fontsize=12)
    axes[0].set_ylabel("weight w₂")
    fig.suptitle(f"One example per step, {steps} steps from the square to w* (star)", fontsize=13)
    return fig


def plot_steps_vs_offset(lr_scale=1.6, offsets=None):
    """Steps to converge (log scale) and condition number vs the inputs' mean offset, raw vs centred."""
    lr_scale = _lr_scale(lr_scale)
    offsets = np.linspace(0, 4, 17) if offsets is None else np.array(_offsets(offsets))
    rows = conditioning_table(tuple(offsets), lr_scale)
    fig, (a1, a2) = new_figure(1, 2, figsize=(9.6, 4))
    for name, colour in (("raw", VERMILION), ("centred", BLUE)):
        steps = [r[f"steps_{name}"] if r[f"steps_{name}"] is not None else np.nan for r in rows]
        a1.plot(offsets, steps, "-o", color=colour, ms=4, label=f"{name} inputs")
        a2.plot(offsets, [r[f"cond_{name}"] for r in rows], "-o", color=colour, ms=4, label=f"{name} inputs")
    last = rows[-1]
    ratio = (last["steps_raw"] or np.nan) / max(last["steps_centred"] or 1, 1)
    a1.set(yscale="log", xlabel="mean offset of the inputs", ylabel="GD steps to reach w* (log)",
           title=f"At offset {last['offset']:g}: raw needs {ratio:.0f}× the steps")
    a2.set(yscale="log", ylim=(1, None), xlabel="mean offset of the inputs", ylabel="κ = λ_max / λ_min (log)",
           title=f"κ grows to {last['cond_raw']:.0f} unless centred")
    a1.legend()
    return fig


_PREPROCESSING_CHAINS = (("none", "center", "standardize"), ("center", "decorrelate", "whiten"))
_PREPROCESSING_NAMES = {"none": "original", "center": "centred", "standardize": "standardised",
                        "decorrelate": "PCA-rotated", "whiten": "whitened"}


def plot_preprocessing(x):
    """The same 2-D cloud x (n, 2) after each transform, as two chains that each remove one thing per step:
    top: original -> centred -> standardised (per-feature mean, then per-feature scale);
    bottom: centred -> PCA-rotated -> whitened (the rotation and whitening act on the centred cloud).
    Each panel is titled with its features' standard deviations and correlation."""
    x = _as_matrix(x, min_rows=3)
    if x.shape[1] != 2:
        raise ValueError(f"x must have 2 features (plot_preprocessing draws 2-D clouds), got {x.shape[1]}")
    colours = {"none": VERMILION, "center": ORANGE, "standardize": GREEN, "decorrelate": PURPLE, "whiten": BLUE}
    clouds = {m: preprocess(x, method=m) for m in METHODS}
    lim = float(np.max(np.abs(np.concatenate(list(clouds.values()))))) * 1.05
    fig, axes = new_figure(2, 3, figsize=(9.6, 6.6), sharex=True, sharey=True)
    for row, chain in zip(axes, _PREPROCESSING_CHAINS):
        for ax, method in zip(row, chain):
            z = clouds[method]
            ax.scatter(z[:, 0], z[:, 1], s=5, color=colours[method], alpha=0.6)
            ax.axhline(0, color="k", lw=0.8)
            ax.axvline(0, color="k", lw=0.8)
            cov = np.cov(z, rowvar=False, bias=True)
            corr = round(float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])), 2) + 0.0    # + 0.0: no "-0.00"
            ax.set_title(f"{_PREPROCESSING_NAMES[method]}\nstd {np.sqrt(cov[0, 0]):.1f} / "
                         f"{np.sqrt(cov[1, 1]):.1f}, corr {corr:+.2f}", fontsize=11)
            ax.set(aspect="equal", xlim=(-lim, lim), ylim=(-lim, lim))
    for ax in axes[1]:
        ax.set_xlabel("feature 1")
    for ax in axes[:, 0]:
        ax.set_ylabel("feature 2")
    fig.suptitle("Top: shift, then rescale each feature.  Bottom: rotate, then rescale the centred cloud",
                 fontsize=12)
    return fig


def plot_activation_runs(runs):
    """runs: {activation name: activation_training_run(...)} (2 or 3 of them).  Loss curves and update alignment,
    titled with what the data show."""
    if not isinstance(runs, dict) or not runs or len(runs) > 6:
        raise TypeError(f"runs must be a dict of 1 to 6 activation runs, got {type(runs).__name__}")
    for name, run in runs.items():
        if not isinstance(run, dict) or "history" not in run or "alignment" not in run:
            raise TypeError(f"runs[{name!r}] must be a result of activation_training_run")
    fig, (a1, a2) = new_figure(1, 2, figsize=(9.6, 4))
    finals, aligns = {}, {}
    colours = (VERMILION, ORANGE, BLUE, GREEN, PURPLE, "k")
    for (name, run), colour in zip(runs.items(), colours):
        label = ACTIVATION_LABELS.get(name, name)
        h = run["history"]
        a1.plot(h.step, h.train_loss, color=colour, label=label)
        align = np.asarray(run["alignment"], dtype=float)
        k = max(1, min(10, len(align)))
        smooth = np.convolve(align, np.ones(k) / k, mode="valid")
        a2.plot(np.arange(k, len(align) + 1), smooth, color=colour, label=label)
        finals[label], aligns[label] = _final_loss(run), float(align.mean())
    best = min(finals, key=finals.get)
    most = max(aligns, key=aligns.get)
    a1.set(yscale="log", xlabel="SGD step", ylabel="training loss (log)", title=f"{best} ends lowest")
    a2.set(xlabel="SGD step", ylabel="mean |cos(row, all-ones)|", ylim=(0, 1),
           title=f"{most}: rows lean towards ±(1, …, 1)")
    a1.legend(fontsize=10)
    return fig


VIEW_SWEEPS = {"plot_zigzag": [{"offset": o, "lr_scale": s, "steps": n}
                               for o in (0.0, 2.0, 4.0) for s in (0.1, 1.6, 1.99) for n in (1, 60, 400)]}
