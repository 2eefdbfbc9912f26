"""Time the interactive views of a topic module: new setting -> finished PNG, as a learner sees it.

Each topic module lists, in `VIEW_SWEEPS = {"plot_fn_name": [{kwargs}, ...]}`, settings spanning
every control's range.  For each function we go through `utils.interactive.InteractiveView.redraw`
itself (first call builds the figure; later calls pass `fig=` when the function accepts it) and
render the figure to PNG with `utils.interactive.figure_png`, which is what the view sends to the
notebook.
"""

import inspect
import statistics
import time
import types
import warnings

import numpy as np

from utils.interactive import InteractiveView, figure_png


def render_png(fig):
    """The PNG bytes an interactive view sends for `fig` (`utils.interactive.figure_png`)."""
    return figure_png(fig)


def count_panels(fig):
    """Number of panels in `fig`: visible axes that show something, colour bars not counted.

    A heatmap with its colour bar is one panel; an unused grid slot switched off is none.
    """
    def shows_something(ax):
        return ax.axison or ax.lines or ax.images or ax.collections or ax.patches

    return sum(1 for ax in fig.axes
               if ax.get_visible() and getattr(ax, "_colorbar", None) is None and shows_something(ax))


def sweep_settings(plot_fn, sweep):
    """Complete every entry of a sweep: a control an entry leaves out takes the function's default.

    Returns (control names, list of dicts with a value for every control).
    """
    if not isinstance(sweep, (list, tuple)) or not sweep or not all(isinstance(s, dict) for s in sweep):
        raise ValueError(f"a VIEW_SWEEPS entry must be a non-empty list of keyword dicts, got {sweep!r}")
    names = list(dict.fromkeys(name for settings in sweep for name in settings))
    params = inspect.signature(plot_fn).parameters
    complete = []
    for i, settings in enumerate(sweep):
        full = {}
        for name in names:
            if name in settings:
                full[name] = settings[name]
            elif name in params and params[name].default is not inspect.Parameter.empty:
                full[name] = params[name].default
            else:
                raise ValueError(f"VIEW_SWEEPS[{plot_fn.__name__!r}][{i}] leaves out {name!r} "
                                 f"and {plot_fn.__name__}() has no default for it")
        complete.append(full)
    return names, complete


def p95(values):
    """95th percentile (linear interpolation, like numpy.percentile)."""
    return float(np.percentile(values, 95))


def time_view(plot_fn, sweep, render=render_png):
    """Time one interactive view over its sweep.

    The first setting builds the figure (reported as build_ms); every later setting is a redraw.
    Returns a dict: function, n_settings, build_ms, samples_ms (one per redraw), median_ms, p95_ms,
    max_ms, cpu_samples_ms and cpu_median_ms (CPU time of this process, all threads: a check on wall
    times taken on a busy machine), panels (most panels seen), in_place (the function took fig= and
    returned the same figure), png_kb (PNG size of the last figure), warnings (distinct warning
    messages), error (None or text).
    """
    name = getattr(plot_fn, "__name__", repr(plot_fn))
    result = {"function": name, "n_settings": len(sweep) if isinstance(sweep, (list, tuple)) else 0,
              "build_ms": None, "samples_ms": [], "median_ms": None, "p95_ms": None, "max_ms": None,
              "cpu_samples_ms": [], "cpu_median_ms": None,
              "panels": None, "in_place": None, "png_kb": None, "warnings": [], "error": None}
    try:
        names, settings_list = sweep_settings(plot_fn, sweep)
        controls = {n: types.SimpleNamespace(value=settings_list[0][n]) for n in names}
        view = InteractiveView(plot_fn, controls)
    except (TypeError, ValueError) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        return result
    panels, figures, seen = 0, [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i, settings in enumerate(settings_list):
            for n, value in settings.items():
                controls[n].value = value
            try:
                start, cpu_start = time.perf_counter(), time.process_time()
                fig = view.redraw()
                png = render(fig)
                ms = 1000 * (time.perf_counter() - start)
                cpu_ms = 1000 * (time.process_time() - cpu_start)
            except Exception as exc:  # a failing setting is reported, not fatal
                result["error"] = f"setting {i} {settings}: {type(exc).__name__}: {exc}"
                break
            if i == 0:
                result["build_ms"] = ms
            else:
                result["samples_ms"].append(ms)
                result["cpu_samples_ms"].append(cpu_ms)
            panels = max(panels, count_panels(fig))
            figures.append(id(fig))
            result["png_kb"] = len(png) / 1024
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in seen:
            seen.append(text)
    result["warnings"] = seen
    result["panels"] = panels or None
    if len(figures) > 1:
        result["in_place"] = view._reuses_figure and len(set(figures)) == 1
    samples = result["samples_ms"]
    if samples:
        result.update(median_ms=statistics.median(samples), p95_ms=p95(samples), max_ms=max(samples),
                      cpu_median_ms=statistics.median(result["cpu_samples_ms"]))
    return result


def time_module_views(module, only=None):
    """Time every view listed in `module.VIEW_SWEEPS` (or just the names in `only`).

    Returns a list of `time_view` dicts, each with "module" added.  A module without VIEW_SWEEPS
    has no views: the list is empty.  A listed name the module lacks is reported as an error entry.
    """
    sweeps = getattr(module, "VIEW_SWEEPS", None)
    if sweeps is None:
        return []
    if not isinstance(sweeps, dict):
        raise TypeError(f"{module.__name__}.VIEW_SWEEPS must be a dict name -> list of settings, "
                        f"got {type(sweeps).__name__}")
    results = []
    for fn_name, sweep in sweeps.items():
        if only is not None and fn_name not in only:
            continue
        plot_fn = getattr(module, fn_name, None)
        if not callable(plot_fn):
            entry = {"function": fn_name, "error": f"{module.__name__} has no function {fn_name!r}"}
        else:
            entry = time_view(plot_fn, sweep)
        results.append({"module": module.__name__, **entry})
    return results
