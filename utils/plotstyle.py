"""One look for every figure of the course, and fast histograms drawn from precomputed counts."""

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

# Okabe & Ito's colour-blind-safe palette (black omitted; it is the text colour).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, YELLOW, BLACK = PALETTE

COURSE_RC = {
    # 100 dpi: sharp enough on a projector and a laptop; figures are at most 9.6 in (960 px) wide so that JupyterLab
    # shows them at 100 % in the notebook column (benchmarks.execute.MAX_FIGURE_PX) and 13 pt text is ~18 px.
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (7.0, 4.0),
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 11,
    "lines.linewidth": 2.2,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "image.cmap": "viridis",
    "figure.constrained_layout.use": True,
}


def use_course_style():
    """Apply the course's matplotlib style (call once, in a notebook's set-up cell).

    In IPython it also registers PNG display for Figure objects, so a figure
    returned by a course function shows as an image without importing pyplot.
    """
    mpl.rcParams.update(COURSE_RC)
    enable_figure_display()


def enable_figure_display():
    """Make IPython render matplotlib Figures as inline PNGs (no-op outside IPython)."""
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    select_figure_formats(shell, {"png"})
    return True


def new_figure(nrows=1, ncols=1, figsize=None, **subplot_kw):
    """A Figure with a grid of axes, made without pyplot.

    Figures made this way are not shown automatically at the end of a cell and
    are not kept alive by pyplot, so interactive redraws do not pile up memory.
    Returns (fig, axes) like `plt.subplots` (axes squeezed the same way).
    """
    for name, v in (("nrows", nrows), ("ncols", ncols)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    with mpl.rc_context(COURSE_RC):
        fig = Figure(figsize=figsize or COURSE_RC["figure.figsize"], layout="constrained")
        axes = fig.subplots(nrows, ncols, **subplot_kw)
    return fig, axes


def hist_counts(values, bins=50, range=None):
    """Histogram counts of `values` (any shape; NaN and ±inf are dropped).

    Returns (counts, edges) exactly as `numpy.histogram` would for the finite values.
    """
    if isinstance(bins, (int, np.integer)) and bins < 1:
        raise ValueError(f"bins must be a positive integer or an array of edges, got {bins!r}")
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values)]
    return np.histogram(values, bins=bins, range=range)


def draw_hist(ax, counts, edges, density=False, fill=True, **style):
    """Draw precomputed histogram counts as one step artist (not one patch per bar).

    Returns the StepPatch; update it later with `update_hist`.
    """
    heights = _heights(counts, edges, density)
    style.setdefault("alpha", 0.8 if fill else 1.0)
    return ax.stairs(heights, edges, fill=fill, **style)


def update_hist(artist, counts, edges, density=False):
    """Give an existing histogram artist new counts (fast path for interactive redraws)."""
    artist.set_data(_heights(counts, edges, density), edges)
    return artist


def _heights(counts, edges, density):
    counts = np.asarray(counts, dtype=float)
    if not density:
        return counts
    widths = np.diff(np.asarray(edges, dtype=float))
    total = counts.sum()
    return counts / (total * widths) if total > 0 else counts


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten_label(value, _pos=None):
    """Tick label for a log axis as plain text: '10⁻⁵' for 1e-5, '1' for 1, '0.3' between powers of ten."""
    if not np.isfinite(value) or value <= 0:
        return ""
    exponent = np.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return f"{value:.2g}"
    e = int(round(exponent))
    return {0: "1", 1: "10"}.get(e, "10" + str(e).translate(_SUPERSCRIPT))


def light_log_axis(ax, axis="y", numticks=6):
    """Make a log-scaled axis cheap to redraw: at most `numticks` labelled powers of ten, no minor ticks, and
    plain-text labels ('10⁻⁵').

    Matplotlib's default log axis parses a mathtext label per tick and lays out eight minor ticks per decade on
    every draw; in an interactive view that was most of the redraw time.  Returns `ax`.
    """
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    target = ax.yaxis if axis == "y" else ax.xaxis
    if target.get_scale() != "log":
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_major_locator(LogLocator(numticks=numticks))
    target.set_minor_locator(NullLocator())
    target.set_major_formatter(FuncFormatter(power_of_ten_label))
    return ax
