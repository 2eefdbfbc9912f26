"""One look for every figure of the course, and fast histograms drawn from precomputed counts."""

import numbers

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from utils import validation as check

# Okabe & Ito's colour-blind-safe palette (black omitted; it is the text colour).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, YELLOW, BLACK = PALETTE

MAX_WIDTH_IN = 9.6  # inches: at 100 dpi a figure fits JupyterLab's notebook column at 100 % zoom
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


def describe_figure(fig):
    """A figure in words, for its alt text: its title, then each panel's title and axis labels.

    e.g. 'Figure: Xavier keeps every layer's spread. Panel 1: "tanh" (x: layer; y: std of activations). Panel 2: ...'
    The static site and the slides put it in the image's alt attribute (it is the figure's text/plain).
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    def one_line(text):  # titles often break lines by hand; alt text is read as one line
        return " ".join(text.split())

    suptitle = one_line(fig._suptitle.get_text()) if fig._suptitle is not None else ""
    panels = []  # (title, axis labels) of each visible panel that has either
    for ax in fig.axes:
        title = " ".join(one_line(ax.get_title(loc)) for loc in ("left", "center", "right")
                         if ax.get_title(loc).strip())
        labels = "; ".join(f"{axis}: {one_line(label)}" for axis, label in (("x", ax.get_xlabel()),
                                                                           ("y", ax.get_ylabel())) if label.strip())
        if ax.get_visible() and (title or labels):
            panels.append((title, labels))
    if len(panels) == 1:
        title, labels = panels[0]
        text = f"Figure: {' - '.join(t for t in (suptitle, title) if t) or 'untitled'}."
        return text + (f" Axes: {labels}." if labels else "")
    if not panels:
        return f"Figure: {suptitle or 'untitled'}."
    text = f"Figure: {suptitle}." if suptitle else f"Figure with {len(panels)} panels."
    for i, (title, labels) in enumerate(panels, 1):
        text += f" Panel {i}: " + (f'"{title}"' if title else "untitled") + (f" ({labels})" if labels else "") + "."
    return text


def enable_figure_display():
    """Make IPython render matplotlib Figures as inline PNGs, described in words (no-op outside IPython).

    The figure's text/plain becomes `describe_figure(fig)`: the alt text of the static site and slides.
    """
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    select_figure_formats(shell, {"png"})
    shell.display_formatter.formatters["text/plain"].for_type(
        Figure, lambda fig, printer, cycle: printer.text(describe_figure(fig)))
    return True


def new_figure(nrows=1, ncols=1, figsize=None, **subplot_kw):
    """A Figure with a grid of axes, made without pyplot.

    Figures made this way are not shown automatically at the end of a cell and
    are not kept alive by pyplot, so interactive redraws do not pile up memory.
    Returns (fig, axes) like `plt.subplots` (axes squeezed the same way).
    """
    nrows, ncols = check.size("nrows", nrows, high=12), check.size("ncols", ncols, high=12)
    if figsize is not None:
        if not isinstance(figsize, (tuple, list)) or len(figsize) != 2:
            raise TypeError(f"figsize must be (width, height) in inches, got {figsize!r}")
        figsize = (check.finite_number("figsize[0]", figsize[0], low=0.5, high=MAX_WIDTH_IN),
                   check.finite_number("figsize[1]", figsize[1], low=0.5, high=20))
    with mpl.rc_context(COURSE_RC):
        fig = Figure(figsize=figsize or COURSE_RC["figure.figsize"], layout="constrained")
        axes = fig.subplots(nrows, ncols, **subplot_kw)
    return fig, axes


def hist_counts(values, bins=50, range=None):
    """Histogram counts of `values` (any shape; NaN and ±inf are dropped).

    Returns (counts, edges) exactly as `numpy.histogram` would for the finite values.
    """
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        bins = check.size("bins", bins, high=10_000)
    else:
        bins = check.array("bins", bins, ndim=1, min_size=2)
    if range is not None:
        if not isinstance(range, (tuple, list)) or len(range) != 2:
            raise TypeError(f"range must be (low, high), got {range!r}")
        low = check.finite_number("range[0]", range[0])
        range = (low, check.finite_number("range[1]", range[1], low=low, low_open=True))
    values = check.array("values", values, finite=False, min_size=0).ravel()
    values = values[np.isfinite(values)]
    return np.histogram(values, bins=bins, range=range)


def draw_hist(ax, counts, edges, density=False, fill=True, **style):
    """Draw precomputed histogram counts as one step artist (not one patch per bar).

    Returns the StepPatch; update it later with `update_hist`.
    """
    heights = _heights(counts, edges, density)
    check.boolean("fill", fill)
    style.setdefault("alpha", 0.8 if fill else 1.0)
    return ax.stairs(heights, edges, fill=fill, **style)


def update_hist(artist, counts, edges, density=False):
    """Give an existing histogram artist new counts (fast path for interactive redraws)."""
    heights = _heights(counts, edges, density)
    artist.set_data(heights, np.asarray(edges, dtype=float))
    return artist


def _heights(counts, edges, density):
    counts = check.array("counts", counts, ndim=1, min_size=0)
    edges = check.array("edges", edges, ndim=1, min_size=1)
    if len(edges) != len(counts) + 1:
        raise ValueError(f"edges must have one more entry than counts ({len(counts) + 1}), got {len(edges)}")
    if not check.boolean("density", density):
        return counts
    widths = np.diff(edges)
    total = counts.sum()
    return counts / (total * widths) if total > 0 else counts


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten_label(value, _pos=None):
    """Tick label for a log axis as plain text: '10⁻⁵' for 1e-5, '1' for 1, '0.3' between powers of ten.
    A tick value that is not finite or not positive gets no label ("")."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        raise TypeError(f"value must be a tick value (a number), got {value!r:.60} ({type(value).__name__})")
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
    check.one_of("axis", axis, ("x", "y"))
    numticks = check.size("numticks", numticks, high=20, low=2)
    target = ax.yaxis if axis == "y" else ax.xaxis
    if target.get_scale() != "log":
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_major_locator(LogLocator(numticks=numticks))
    target.set_minor_locator(NullLocator())
    target.set_major_formatter(FuncFormatter(power_of_ten_label))
    return ax


__all__ = ["PALETTE", "BLUE", "ORANGE", "GREEN", "VERMILION", "PURPLE", "SKY", "YELLOW", "BLACK", "COURSE_RC",
           "MAX_WIDTH_IN", "use_course_style", "describe_figure",
           "enable_figure_display", "new_figure", "hist_counts", "draw_hist",
           "update_hist", "power_of_ten_label", "light_log_axis"]
