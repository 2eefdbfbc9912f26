"""The figures and interactive views of notebook 06; each returns a matplotlib figure.

They take data (or call one cached computation of `experiments.py`) and do not train.  The three views
(`plot_polynomial_fit`, `plot_penalty_geometry`, `plot_early_stopping`) lay their figure out once and, given `fig=`,
update its artists in place; `VIEW_SWEEPS` lists the settings the benchmark redraws them with.
"""

import functools
import math

import numpy as np
from matplotlib.ticker import FixedLocator, MaxNLocator

from utils import validation as V
from utils.caching import cached
from utils.plotstyle import (
    BLACK,
    BLUE,
    GREEN,
    ORANGE,
    PURPLE,
    VERMILION,
    light_log_axis,
    new_figure,
    power_of_ten_label,
)
from utils.training import History

from ._checks import _design, _lam, _more, _table
from .experiments import (
    A_MAT,
    COMBINATION,
    MAX_DEGREE,
    W_STAR,
    _digits_arrays,
    _geometry_solutions,
    _polynomial_data,
    _polynomial_fit,
    capacity_curve,
    early_stopping_curve,
    first_step_at_full_training_accuracy,
    orthonormal_design,
    true_curve,
)
from .maths import _early_stopping, _ridge, penalized_least_squares, proportional_shrink, shift_images, soft_threshold

_GRID = np.linspace(-1, 1, 200)


def _freeze_layout(fig):
    """Lay the figure out once (constrained layout), then keep that layout: a redraw only changes data and text."""
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig


@functools.lru_cache(maxsize=1)
def _largest_coefficient():
    # The top of the coefficient panel: the largest |coefficient| any degree reaches without or with the smallest
    # penalty of the slider.
    return max(float(np.abs(_polynomial_fit(d, lam, 0)[0]).max()) for d in range(MAX_DEGREE + 1) for lam in (0.0, 1e-8))


def plot_polynomial_fit(degree=15, lam=0.1, fig=None):
    """Left: the 20 points, the unpenalised fit and the ridge fit at `lam`; right: |coefficients| of both (log).

    degree: 1 … 19; lam: the penalty λ >= 0.  Redraws `fig` in place when given.
    """
    degree = V.integer("degree", degree, low=0, high=MAX_DEGREE)
    lam = _lam("lam", lam)
    x_tr, y_tr, _, _ = _polynomial_data(20, 200, 0.3, 0)
    w0, _, va0 = _polynomial_fit(degree, 0.0, 0)
    w, _, va = _polynomial_fit(degree, lam, 0)
    phi = np.polynomial.legendre.legvander(_GRID, degree)
    curves = (np.clip(phi @ w0, -10, 10), np.clip(phi @ w, -10, 10))
    k = np.arange(degree + 1)
    title = f"validation MSE {va0:.2g} (λ = 0) → {va:.2g}"
    ctitle = f"‖w‖ {np.linalg.norm(w0):.3g} (λ = 0) → {np.linalg.norm(w):.3g}"
    if fig is None:
        fig, (ax, axc) = new_figure(1, 2, figsize=(9.6, 4.0), width_ratios=[1.25, 1])
        ax.plot(_GRID, true_curve(_GRID), color=BLACK, lw=1, ls=":", label="true curve")
        ax.plot(_GRID, curves[0], color=VERMILION, lw=1.6, label="λ = 0")
        ax.plot(_GRID, curves[1], color=BLUE, label="penalty λ")
        ax.plot(x_tr, y_tr, "o", color=BLACK, ms=5, label="20 points")
        ax.set(xlabel="input x", ylabel="output y", ylim=(-2.5, 2.5), title=title)
        ax.xaxis.set_major_locator(FixedLocator([-1, 0, 1]))
        ax.yaxis.set_major_locator(FixedLocator([-2, 0, 2]))
        ax.legend(loc="lower right", fontsize=10)
        axc.plot(k, np.abs(w0) + 1e-6, "o-", color=VERMILION, ms=4, lw=1.2)
        axc.plot(k, np.abs(w) + 1e-6, "s-", color=BLUE, ms=4, lw=1.2)
        light_log_axis(axc, numticks=5)
        axc.xaxis.set_major_locator(FixedLocator([0, 5, 10, 15, 19]))
        top = 10 ** (math.ceil(math.log10(_largest_coefficient())) + 0.5)
        axc.set(xlabel="coefficient index", ylabel="|coefficient|", ylim=(1e-4, top), xlim=(-0.5, 19.5),
                title=ctitle)
        return _freeze_layout(fig)
    ax, axc = fig.axes
    ax.lines[1].set_ydata(curves[0])
    ax.lines[2].set_ydata(curves[1])
    ax.set_title(title)
    axc.lines[0].set_data(k, np.abs(w0) + 1e-6)
    axc.lines[1].set_data(k, np.abs(w) + 1e-6)
    axc.set_title(ctitle)
    return fig


def _about(ratio):
    """A ratio as text: '12' below 1000, otherwise its power of ten ('~10⁹')."""
    return f"{ratio:.0f}" if ratio < 1000 else "~" + power_of_ten_label(10.0 ** round(math.log10(ratio)))


def plot_capacity_curve(lam=0.1):
    """Training and validation MSE against polynomial degree, without and with the penalty `lam`."""
    lam = V.finite_number("lam", lam, low=0, low_open=True)
    fig, ax = new_figure(figsize=(8, 4.2))
    worst = {}
    for lm, style in ((0.0, "-"), (lam, "--")):
        d, tr, va = capacity_curve(lam=lm)
        ax.plot(d, tr, style, color=BLUE, label=f"training, λ = {lm:g}")
        ax.plot(d, va, style, color=ORANGE, label=f"validation, λ = {lm:g}")
        worst[lm] = va.max() / va.min()
    light_log_axis(ax)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="polynomial degree (capacity)", ylabel="mean squared error", ylim=(1e-3, 1e3),
           title=f"Worst / best validation error: {_about(worst[0.0])}× at λ = 0, {_about(worst[lam])}× at "
                 f"λ = {lam:g}")
    ax.legend(fontsize=10, ncol=2, loc="upper left")
    return fig


def plot_shrinkage(lam=1.0, seed=0):
    """Closed forms for an orthonormal design (soft thresholding, proportional shrinkage) vs the numerical solutions."""
    lam = V.finite_number("lam", lam, low=0, high=3)
    X, y = orthonormal_design(seed=seed)
    z = X.T @ y
    zz = np.linspace(-3, 3, 301)
    w1, w2 = penalized_least_squares(X, y, lam, "l1"), penalized_least_squares(X, y, lam, "l2")
    fig, ax = new_figure(figsize=(8, 4.5))
    ax.plot(zz, zz, color=BLACK, lw=1, ls=":", label="no penalty: w = z")
    ax.plot(zz, soft_threshold(zz, lam), color=BLUE, label="L1 closed form: soft threshold")
    ax.plot(zz, proportional_shrink(zz, lam), color=ORANGE, label="L2 closed form: z / (1 + λ)")
    ax.plot(z, w1, "o", color=BLUE, ms=8, mfc="none", label="L1 numerical (ISTA)")
    ax.plot(z, w2, "s", color=ORANGE, ms=8, mfc="none", label="L2 numerical")
    ax.set(xlabel="least-squares coefficient z = Xᵀy", ylabel="penalised coefficient w",
           title=f"λ = {lam:g}: L1 zeroes {int(np.sum(w1 == 0))} of {len(z)} coefficients, L2 none "
                 f"({int(np.sum(w2 == 0))})")
    ax.legend(fontsize=9)
    return fig


def plot_sparse_recovery(X, y, w_true, lam_l1=0.2, lam_l2=0.5):
    """True coefficients vs the L1 (ISTA) and L2 (closed form) estimates, as stems."""
    X, y = _design(X, y)
    w_true = V.array("w_true", w_true, shape=(X.shape[1],))
    lam_l1, lam_l2 = _lam("lam_l1", lam_l1), _lam("lam_l2", lam_l2)
    w1 = penalized_least_squares(X, y, lam_l1, "l1", steps=3000)
    w2 = _ridge(X, y, lam_l2)
    fig, ax = new_figure(figsize=(9.6, 4))
    idx = np.arange(len(w_true))
    ax.plot(idx, w_true, "o", color=BLACK, ms=9, mfc="none", label=f"true ({np.count_nonzero(w_true)} non-zero)")
    ax.vlines(idx - 0.15, 0, w2, color=ORANGE, lw=2.5, label=f"L2, λ={lam_l2:g}: {np.sum(w2 != 0)} non-zero")
    ax.vlines(idx + 0.15, 0, w1, color=BLUE, lw=2.5, label=f"L1, λ={lam_l1:g}: {np.sum(w1 != 0)} non-zero")
    ax.axhline(0, color=BLACK, lw=0.8)
    same = set(np.flatnonzero(w1)) == set(np.flatnonzero(w_true))
    ax.set(xlabel="feature index", ylabel="coefficient",
           title=("L1 keeps exactly the true features" if same else "L1 keeps a different set of features")
           + f"; L2 keeps {np.sum(w2 != 0)} of {len(w2)}")
    ax.legend(fontsize=10, loc="lower left")
    return fig


@cached(maxsize=1)
def _contours():
    vals, vecs = np.linalg.eigh(A_MAT)
    t = np.linspace(0, 2 * np.pi, 120)
    u = np.stack([np.cos(t), np.sin(t)])
    return vecs @ (u / np.sqrt(vals)[:, None])  # the level set of loss 0.5, centred at 0: scale by sqrt(2 level)


def _level_ellipse(level):
    return (W_STAR[:, None] + np.sqrt(2 * max(level, 0.0)) * _contours()).T


def _ball(kind, r):
    if kind == "l2":
        t = np.linspace(0, 2 * np.pi, 120)
        return r * np.stack([np.cos(t), np.sin(t)], 1)
    return r * np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]], dtype=float)


def _loss2d(w):
    d = w - W_STAR
    return 0.5 * d @ A_MAT @ d


GEOMETRY_LAMS = (0.01, 10 ** 0.5)  # the slider's range


def plot_penalty_geometry(lam=1.0, fig=None):
    """Loss contours meeting the L1 diamond (left) and the L2 circle (right) at the penalised minimiser.

    lam: 0.01 … 3.16 (the slider's range; the panels are sized so the diamond always fits).
    """
    lam = V.finite_number("lam", lam, low=GEOMETRY_LAMS[0], high=GEOMETRY_LAMS[1])
    w1, w2 = _geometry_solutions(lam)
    panels = [("l1", w1, np.abs(w1).sum()), ("l2", w2, np.linalg.norm(w2))]
    titles = [f"L1: w = ({w1[0]:.2f}, {w1[1]:.2f})" + (", sparse" if np.any(w1 == 0) else ""),
              f"L2: w = ({w2[0]:.2f}, {w2[1]:.2f}), shrunk"]
    if fig is None:
        fig, axes = new_figure(1, 2, figsize=(9.6, 5.2))
        for ax, (kind, w, r), title in zip(axes, panels, titles):
            for level in (0.05, 0.3, 0.8, 1.6, 2.8, 4.5):
                e = _level_ellipse(level)
                ax.plot(e[:, 0], e[:, 1], color=BLACK, lw=0.6, alpha=0.35)
            ax.axhline(0, color=BLACK, lw=0.8)
            ax.axvline(0, color=BLACK, lw=0.8)
            ball = _ball(kind, r)
            ax.plot(ball[:, 0], ball[:, 1], color=BLUE if kind == "l1" else ORANGE, lw=2.5,
                    label="‖w‖₁ = const" if kind == "l1" else "‖w‖₂ = const")
            e = _level_ellipse(_loss2d(w))
            ax.plot(e[:, 0], e[:, 1], color=VERMILION, lw=1.8, label="loss contour")
            ax.plot(*W_STAR, "*", color=BLACK, ms=14, label="no penalty")
            ax.plot(*w, "o", color=GREEN, ms=10, label="with penalty")
            ax.set(xlim=(-2.9, 3.3), ylim=(-2.9, 2.9), aspect="equal", xlabel="weight w₁", ylabel="weight w₂",
                   title=title)
            ax.grid(False)
            ax.xaxis.set_major_locator(FixedLocator([-2, 0, 2]))
            ax.yaxis.set_major_locator(FixedLocator([-2, 0, 2]))
            ax.legend(fontsize=9, loc="lower right")
        fig.suptitle(f"λ = {lam:.3g}")
        return _freeze_layout(fig)
    for ax, (kind, w, r), title in zip(fig.axes, panels, titles):
        ball = _ball(kind, r)
        ax.lines[8].set_data(ball[:, 0], ball[:, 1])
        e = _level_ellipse(_loss2d(w))
        ax.lines[9].set_data(e[:, 0], e[:, 1])
        ax.lines[11].set_data([w[0]], [w[1]])
        ax.set_title(title)
    fig._suptitle.set_text(f"λ = {lam:.3g}")
    return fig


def _sweep(sweep):
    if not isinstance(sweep, dict) or not {"lams", "Adam + L2", "AdamW", "none acc"} <= set(sweep):
        raise TypeError("sweep must be the dict returned by decay_sweep(...)")
    return sweep


def plot_decay_sweep(sweep):
    """Test accuracy (left) and weight norm (right) against λ for Adam + L2 and AdamW; one dot per seed."""
    sweep = _sweep(sweep)
    lams = sweep["lams"]
    fig, axes = new_figure(1, 2, figsize=(9.6, 4.2))
    for ax, key, none_key, unit in zip(axes, ("test acc", "weight norm"), ("none acc", "none norm"),
                                       (100, 1)):
        ax.axhline(unit * np.mean(sweep[none_key]), color=BLACK, lw=1, ls=":", label="no decay")
        for (name, colour), dx in zip((("Adam + L2", VERMILION), ("AdamW", BLUE)), (0.93, 1.07)):
            values = unit * sweep[name][key]
            ax.plot(lams, values.mean(1), "-", color=colour, lw=1.8, label=name)
            for s in range(values.shape[1]):
                ax.plot(lams * dx, values[:, s], "o", color=colour, ms=4, alpha=0.6)
        light_log_axis(ax, "x")
        ax.set(xlabel="decay strength λ")
    axes[0].set(ylabel="test accuracy (%)", ylim=(0, 100))
    axes[1].set(ylabel="‖W‖ after training")
    axes[0].legend(fontsize=10, loc="lower left")
    adam, adamw = sweep["Adam + L2"]["test acc"], sweep["AdamW"]["test acc"]
    collapse = lams[np.argmax(np.all(adam < 0.2, axis=1))] if np.any(np.all(adam < 0.2, axis=1)) else None
    text = f"Adam + L2 collapses from λ = {collapse:g}" if collapse is not None else "Adam + L2 never collapses"
    fig.suptitle(f"{text}; AdamW's worst mean: {100 * adamw.mean(1).min():.0f} %")
    return fig


def _histories(hists):
    if not isinstance(hists, dict) or not hists or not all(isinstance(h, History) for h in hists.values()):
        raise TypeError("hists must be a dict label -> History (from run_regulariser or fit)")
    return hists


def plot_dropout_effect(hists):
    """Training and test accuracy against step for {label: History} (e.g. no dropout vs dropout)."""
    hists = _histories(hists)
    fig, ax = new_figure(figsize=(8, 4.2))
    for (label, h), colour in zip(hists.items(), (VERMILION, BLUE, GREEN, PURPLE)):
        ax.plot(h.step, 100 * np.array(h.train_acc), "--", color=colour, lw=1.6, label=f"{label}: training")
        ax.plot(h.step, 100 * np.array(h.test_acc), "-", color=colour, label=f"{label}: test")
    reach = {label: first_step_at_full_training_accuracy(h) for label, h in hists.items()}
    ax.set(xlabel="training step", ylabel="accuracy (%)", ylim=(0, 101),
           title="100 % training accuracy at step " + ", ".join(f"{s if s else 'never'} ({label})"
                                                               for label, s in reach.items()))
    ax.legend(fontsize=10, loc="lower right")
    return fig


def plot_augmentations(index=2):
    """One digit, its eight one-pixel shifts, and its mirror image (which is not a valid digit)."""
    x, y = _digits_arrays()
    index = V.integer("index", index, low=0, high=len(x) - 1)
    img = x[index].reshape(1, 8, 8)
    fig, axes = new_figure(2, 5, figsize=(8, 3.9))
    shifts = [(0, 0), (-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)]
    for ax, (dx, dy) in zip(axes.flat, shifts):
        ax.imshow(shift_images(img, dx, dy)[0].numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title("original" if (dx, dy) == (0, 0) else f"shift ({dx:+d},{dy:+d})", fontsize=11)
    ax = axes.flat[-1]
    ax.imshow(img[0].flip(1).numpy(), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("mirrored ✗", fontsize=11, color=VERMILION)
    for ax in axes.flat:  # a light frame on all four sides (the course style would leave an L of two spines)
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color("0.75")
    fig.suptitle(f"Label {int(y[index])}: shifts keep it; the mirror image is no digit")
    return fig


def plot_early_stopping(patience=5, fig=None):
    """The validation loss of the unregularised run (seed 0) with the kept step and the stopping step for
    `patience` (1 … 20 evaluations of every 5 steps) marked; the title gives the kept weights' test accuracy."""
    patience = V.size("patience", patience, high=20)
    steps, tr, va, acc = early_stopping_curve()
    best, stop = _early_stopping(va, patience)
    title = f"patience {patience}: stop at step {steps[stop]}, keep step {steps[best]} ({100 * acc[best]:.1f} % test)"
    if fig is None:
        fig, ax = new_figure(figsize=(8, 4.2))
        ax.plot(steps, tr, color=BLUE, lw=1.6, label="training loss")
        ax.plot(steps, va, color=ORANGE, label="validation loss")
        ax.plot([steps[best]], [va[best]], "o", color=GREEN, ms=10, label="weights kept")
        ax.axvline(steps[stop], color=VERMILION, ls="--", label="training stops")
        ax.set(xlabel="training step", ylabel="cross-entropy loss", ylim=(0, 1.1 * va.max()), title=title)
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))  # few tick labels: text is most of a redraw
        ax.yaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 5, 10]))
        ax.legend(fontsize=10, loc="center right")
        return _freeze_layout(fig)
    ax = fig.axes[0]
    ax.lines[2].set_data([steps[best]], [va[best]])
    ax.lines[3].set_xdata([steps[stop], steps[stop]])
    ax.set_title(title)
    return fig


def plot_more_data(runs):
    """Test accuracy against step for each training-set size in {n_train: [History per seed]} (mean over seeds)."""
    runs = _more(runs)
    fig, ax = new_figure(figsize=(8, 4.2))
    finals = []
    for (n, hs), colour in zip(runs.items(), (VERMILION, ORANGE, GREEN, BLUE, PURPLE)):
        mean = 100 * np.mean([h.test_acc for h in hs], axis=0)
        ax.plot(hs[0].step, mean, color=colour, label=f"{n} training images")
        finals.append(mean[-1])
    rises = all(b > a for a, b in zip(finals, finals[1:]))
    ax.set(xlabel="training step", ylabel="test accuracy (%)", ylim=(40, 100),
           title=("Each doubling of the data lifts" if rises else "More data does not always lift")
           + f" the final mean test accuracy ({len(next(iter(runs.values())))} seeds)")
    ax.legend(fontsize=10, loc="lower right")
    return fig


def plot_comparison(table, more=None):
    """Gain in test accuracy over no regulariser, one dot per seed and the mean as a bar, for each regulariser of
    `table` (from `comparison`) and, from `more` (from `more_data_runs`), for the unregularised net with more data."""
    table = _table(table)
    none = table["test acc"][list(table["names"]).index("none")]
    gains = {n: 100 * (acc - none) for n, acc in zip(table["names"], table["test acc"]) if n != "none"}
    if more is not None:
        for n, hs in _more(more).items():
            if n != 100:
                gains[f"no regulariser, {n} images"] = 100 * (np.array([h.test_acc[-1] for h in hs]) - none)
    order = sorted(gains, key=lambda k: np.mean(gains[k]))
    short = {COMBINATION: "dropout + augment + early stop"}
    fig, ax = new_figure(figsize=(9.6, 0.45 * len(order) + 1.6))
    for i, name in enumerate(order):
        colour = GREEN if "images" in name else BLUE
        ax.barh(i, np.mean(gains[name]), color=colour, alpha=0.35, height=0.7)
        ax.plot(gains[name], np.full(len(gains[name]), i), "o", color=colour, ms=6)
    ax.axvline(0, color=BLACK, lw=1)
    ax.set_yticks(range(len(order)), [short.get(n, n) for n in order], fontsize=11)
    ax.grid(False, axis="y")
    always = [n for n in gains if "images" not in n and np.all(gains[n] > 0)]
    ax.set(xlabel=f"test accuracy gain over no regulariser (points; one dot per seed, {len(none)} seeds)",
           title=f"{len(always)} of {sum('images' not in n for n in gains)} regularisers gain in every seed; "
                 f"largest mean gain:\n{short.get(order[-1], order[-1])}")
    return fig


VIEW_SWEEPS = {
    "plot_polynomial_fit": [{"degree": d, "lam": lam} for d in (1, 8, 19) for lam in (1e-8, 1e-3, 10.0)],
    "plot_penalty_geometry": [{"lam": lam} for lam in (0.01, 0.3, 1.0, 3.16)],
    "plot_early_stopping": [{"patience": p} for p in (1, 2, 5, 20)],
}
