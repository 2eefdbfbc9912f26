"""Controls that redraw a figure: the one pattern every notebook uses for its interactive views.

A view is a plain plotting function in `utils/` that takes settings as keyword
arguments and returns a matplotlib Figure.  If it also accepts `fig=`, it is
handed the figure it returned last time and may update that figure's artists
instead of building a new one (the fast path).  `interactive_view` wires such a
function to ipywidgets controls:

    view = interactive_view(plot_zigzag, offset=FloatSlider(...), lr=FloatSlider(...))

It shows the controls and, below them, the figure for the default settings as
an ordinary image output: headless runs and static exports show that default
figure; in JupyterLab, VS Code and Colab every change of a control redraws it
in place.  Only features shared by ipywidgets 7.7 and 8 are used, and the
figure is displayed as an inline PNG, so no matplotlib widget backend is needed.
"""

import inspect
import time

from IPython.display import Image, display

from utils import validation as check

# Figures of the course lay themselves out (constrained layout, or hand-placed axes), so everything already lies
# inside the figure; the inline backend's default crop (bbox_inches="tight") would draw each figure twice.
PNG_OPTIONS = {"bbox_inches": None}


class FigureImage(Image):
    """A view's figure as shown: the PNG, and `describe_figure(fig)` as its text/plain (the alt text of exports)."""

    def __init__(self, fig):
        from utils.plotstyle import describe_figure

        super().__init__(data=figure_png(fig), format="png")
        self.description = describe_figure(fig)

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.description)


def figure_png(fig):
    """The PNG bytes of `fig` as an interactive view shows them: exactly one draw, no tight crop.

    The Agg canvas is asked for the PNG directly.  Going through `savefig`/IPython's `print_figure` costs a second,
    non-rendering draw whenever the figure has a layout engine (matplotlib lays the figure out in a pass of its own
    before rendering), which was 15-20 % of a view's redraw.
    """
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()


def content_overflow_px(fig):
    """How many pixels the figure's content reaches beyond its edges (0.0 when everything lies inside).

    A view is shown without the tight crop (see PNG_OPTIONS), so anything beyond the edge would be cut off.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    inches = fig.get_tightbbox(canvas.get_renderer())
    box, dpi = fig.bbox, fig.dpi
    return max(0.0, box.x0 - inches.x0 * dpi, box.y0 - inches.y0 * dpi,
               inches.x1 * dpi - box.x1, inches.y1 * dpi - box.y1)


class InteractiveView:
    """The controls, the current figure and a redraw method (used by notebooks and tests)."""

    def __init__(self, plot_fn, controls, fixed=None):
        if not callable(plot_fn):
            raise TypeError(f"plot_fn must be callable, got {plot_fn!r}")
        if not isinstance(controls, dict):
            raise TypeError(f"controls must be a dict of name -> widget, got {type(controls).__name__}")
        if fixed is not None and not isinstance(fixed, dict):
            raise TypeError(f"fixed must be a dict of keyword arguments or None, got {type(fixed).__name__}")
        params = inspect.signature(plot_fn).parameters
        unknown = [name for name in list(controls) + list(fixed or {}) if name not in params
                   and not any(p.kind is p.VAR_KEYWORD for p in params.values())]
        if unknown:
            raise ValueError(f"{plot_fn.__name__}() has no parameter(s) {unknown}; "
                             f"it takes {list(params)}")
        self.plot_fn = plot_fn
        self.controls = dict(controls)
        self.fixed = dict(fixed or {})
        self._reuses_figure = "fig" in params
        self.figure = None
        self.handle = None
        self.last_redraw_s = None
        self.error = None

    def settings(self):
        """The current value of every control, plus the fixed arguments."""
        values = {name: w.value for name, w in self.controls.items()}
        values.update(self.fixed)
        return values

    def redraw(self, *_):
        """Redraw the figure for the current settings and update the displayed image."""
        start = time.perf_counter()
        kwargs = self.settings()
        if self._reuses_figure and self.figure is not None:
            kwargs["fig"] = self.figure
        try:
            self.figure = self.plot_fn(**kwargs)
            self.error = None
        except Exception as exc:  # shown under the controls: callback errors are otherwise invisible
            self.error = f"{type(exc).__name__}: {exc}"
            if self._status is not None:
                self._status.value = f"<pre style='color:#D55E00'>{self.error}</pre>"
            raise
        if self._status is not None:
            self._status.value = ""
        if self.handle is not None:
            self.handle.update(FigureImage(self.figure))
        self.last_redraw_s = time.perf_counter() - start
        return self.figure

    _status = None

    def show(self):
        """Display the controls, then the figure; wire every control to `redraw`."""
        import ipywidgets as widgets

        from utils.plotstyle import enable_figure_display

        enable_figure_display()
        self._status = widgets.HTML(value="")
        box = widgets.VBox([widgets.HBox(list(self.controls.values()),
                                         layout=widgets.Layout(flex_flow="row wrap")), self._status])
        display(box)
        self.redraw()
        self.handle = display(FigureImage(self.figure), display_id=True)
        for w in self.controls.values():
            w.observe(self.redraw, names="value")
        return self


def interactive_view(plot_fn, fixed=None, **controls):
    """Show `controls` (name → ipywidgets widget) above the figure `plot_fn(**settings)`.

    fixed: keyword arguments passed unchanged on every redraw.
    Returns the InteractiveView (its `.figure` is the current figure).
    """
    return InteractiveView(plot_fn, controls, fixed).show()


def slider(value, min, max, step, description, continuous_update=False, kind="float", readout_format=None):
    """A labelled slider with a readable width; `continuous_update=False` redraws on release."""
    import ipywidgets as widgets

    check.one_of("kind", kind, ("float", "int"))
    number = check.finite_number if kind == "float" else check.integer
    low, high = number("min", min), number("max", max)
    if high <= low:
        raise ValueError(f"max must be > min, got min={low}, max={high}")
    value = number("value", value)
    if not low <= value <= high:
        raise ValueError(f"value must lie in [min, max] = [{low}, {high}], got {value}")
    step = number("step", step)
    if not 0 < step <= high - low:
        raise ValueError(f"step must be > 0 and at most max - min = {high - low}, got {step}")
    check.boolean("continuous_update", continuous_update)
    if not isinstance(description, str):
        raise TypeError(f"description must be a string, got {description!r}")
    cls = widgets.FloatSlider if kind == "float" else widgets.IntSlider
    kw = dict(value=value, min=min, max=max, step=step, description=description,
              continuous_update=continuous_update, style={"description_width": "initial"},
              layout=widgets.Layout(width="340px"))
    if readout_format:
        kw["readout_format"] = readout_format
    return cls(**kw)


def int_slider(value, min, max, step=1, description="", continuous_update=False):
    """An integer slider (see `slider`)."""
    return slider(value, min, max, step, description, continuous_update, kind="int")


def log_slider(value, min_exp, max_exp, description, step=0.1, continuous_update=False):
    """A slider over 10**min_exp … 10**max_exp (its value is the number itself, not the exponent)."""
    import ipywidgets as widgets

    min_exp = check.finite_number("min_exp", min_exp, low=-30, high=30)
    max_exp = check.finite_number("max_exp", max_exp, low=-30, high=30)
    if max_exp <= min_exp:
        raise ValueError(f"max_exp must be > min_exp, got min_exp={min_exp}, max_exp={max_exp}")
    value = check.finite_number("value", value, low=10**min_exp, high=10**max_exp)
    step = check.finite_number("step", step, low=0, low_open=True)
    check.boolean("continuous_update", continuous_update)
    if not isinstance(description, str):
        raise TypeError(f"description must be a string, got {description!r}")
    return widgets.FloatLogSlider(value=value, base=10, min=min_exp, max=max_exp, step=step,
                                  description=description, continuous_update=continuous_update,
                                  style={"description_width": "initial"},
                                  layout=widgets.Layout(width="340px"))


def dropdown(options, value, description):
    """A labelled dropdown over `options` (a list of values or of (label, value) pairs)."""
    import ipywidgets as widgets

    if isinstance(options, (str, bytes)) or not hasattr(options, "__len__") or not options:
        raise TypeError(f"options must be a non-empty list of values or (label, value) pairs, got {options!r}")
    values = [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in options]
    check.one_of("value", value, values)
    if not isinstance(description, str):
        raise TypeError(f"description must be a string, got {description!r}")
    return widgets.Dropdown(options=options, value=value, description=description,
                            style={"description_width": "initial"})


__all__ = ["PNG_OPTIONS", "FigureImage", "figure_png",
           "content_overflow_px", "InteractiveView", "interactive_view", "slider",
           "int_slider", "log_slider", "dropdown"]
