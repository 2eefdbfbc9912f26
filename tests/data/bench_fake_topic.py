"""A tiny stand-in topic module for tests/test_benchmarks.py: two views, one drawn in place, one rebuilt."""

import numpy as np

from utils.plotstyle import new_figure

X = np.linspace(-1.0, 1.0, 50)


def plot_line(slope=1.0, fig=None):
    """One panel: the line y = slope * x; with fig= it updates the line instead of building a figure."""
    if fig is None:
        fig, ax = new_figure()
        ax.plot(X, slope * X)
        ax.set(xlabel="x", ylabel="y", ylim=(-3, 3), title="A line")
        return fig
    fig.axes[0].lines[0].set_ydata(slope * X)
    return fig


def plot_pair(offset=0.0, bins=10):
    """Two panels, rebuilt on every call: a shifted parabola and a histogram of it."""
    fig, (left, right) = new_figure(1, 2, figsize=(8, 3))
    y = X**2 + offset
    left.plot(X, y)
    counts, edges = np.histogram(y, bins=bins)
    right.stairs(counts, edges)
    return fig


VIEW_SWEEPS = {
    "plot_line": [{"slope": -2.0}, {"slope": 0.0}, {"slope": 1.0}, {"slope": 2.0}],
    "plot_pair": [{"offset": -1.0, "bins": 5}, {"offset": 0.0}, {"offset": 1.0, "bins": 40}],
}
