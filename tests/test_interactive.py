import ipywidgets as widgets
import numpy as np
import pytest

from utils.interactive import (
    InteractiveView,
    content_overflow_px,
    dropdown,
    figure_png,
    int_slider,
    interactive_view,
    log_slider,
    slider,
)
from utils.plotstyle import new_figure

calls = []


def plot_line(slope=1.0, colour="C0", fig=None):
    """A toy view: rebuilds nothing when handed its figure back."""
    calls.append(fig is None)
    if fig is None:
        fig, ax = new_figure()
        ax.plot([0, 1], [0, slope], color=colour)
    else:
        fig.axes[0].lines[0].set_data([0, 1], [0, slope])
    return fig


def plot_plain(n=3):
    fig, ax = new_figure()
    ax.plot(np.arange(n))
    return fig


def test_changing_a_control_redraws_and_reuses_the_figure():
    calls.clear()
    s = slider(1.0, -2.0, 2.0, 0.1, "slope")
    view = interactive_view(plot_line, slope=s)
    first = view.figure
    s.value = -2.0
    assert calls == [True, False]
    assert view.figure is first
    assert view.figure.axes[0].lines[0].get_ydata()[1] == -2.0
    assert view.last_redraw_s is not None


def test_plain_function_without_fig_is_rebuilt():
    w = int_slider(3, 1, 10, description="n")
    view = interactive_view(plot_plain, n=w)
    w.value = 7
    assert len(view.figure.axes[0].lines[0].get_xdata()) == 7


def test_fixed_arguments_are_passed():
    view = interactive_view(plot_line, fixed={"colour": "red"}, slope=slider(0.5, 0, 1, 0.1, "s"))
    assert view.settings() == {"slope": 0.5, "colour": "red"}


def test_unknown_control_name_is_refused():
    with pytest.raises(ValueError, match="'steepness'"):
        InteractiveView(plot_line, {"steepness": slider(1, 0, 2, 0.1, "x")})


def test_error_in_a_redraw_is_shown_under_the_controls():
    def broken(x=1):
        raise RuntimeError("boom")

    view = InteractiveView(broken, {"x": int_slider(1, 0, 3)})
    with pytest.raises(RuntimeError):
        view.show()
    assert "boom" in view._status.value


def test_widget_builders_use_shared_ipywidgets_api():
    assert isinstance(log_slider(0.1, -3, 0, "lr"), widgets.FloatLogSlider)
    d = dropdown(["a", "b"], "b", "pick")
    assert d.value == "b"
    assert slider(1, 0, 2, 0.5, "x").continuous_update is False


class FakeHandle:
    def __init__(self):
        self.shown = []

    def update(self, obj):
        self.shown.append(obj)


def test_a_redraw_sends_the_new_figure_as_one_png():
    s = slider(1.0, -2.0, 2.0, 0.1, "slope")
    view = interactive_view(plot_line, slope=s)
    view.handle = FakeHandle()
    s.value = 0.5
    (image,) = view.handle.shown
    assert image.format == "png" and image.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.data == figure_png(view.figure)
    s.value = -1.5
    assert view.handle.shown[1].data != image.data  # the picture changed with the setting
    assert repr(image).startswith("Figure:") or image.description.startswith("Figure:")  # its alt text


def test_content_overflow_is_zero_inside_and_measured_outside():
    fig = plot_plain()
    assert content_overflow_px(fig) == 0.0
    fig.text(0.98, 0.5, "a label that runs past the right edge")
    assert content_overflow_px(fig) > 50


def _line(a=1.0):
    fig, ax = new_figure()
    ax.plot([0, 1], [0, a])
    return fig


BAD_INPUT_BASE = {
    "figure_png": lambda: dict(fig=_line()),
    "FigureImage": lambda: dict(fig=_line()),
    "content_overflow_px": lambda: dict(fig=_line()),
    "InteractiveView": lambda: dict(plot_fn=_line, controls={"a": widgets.FloatSlider(value=1.0)}),
    "interactive_view": lambda: dict(plot_fn=_line),
    "slider": lambda: dict(value=0.5, min=0.0, max=1.0, step=0.1, description="a"),
    "int_slider": lambda: dict(value=2, min=1, max=5, description="n"),
    "log_slider": lambda: dict(value=0.1, min_exp=-3, max_exp=0, description="lr"),
    "dropdown": lambda: dict(options=["a", "b"], value="a", description="pick"),
}
BAD_INPUT_ALLOW = {("slider", "readout_format"): "a format string, checked by ipywidgets itself"}


def test_slider_settings_out_of_range_are_refused_by_name():
    with pytest.raises(ValueError, match="value must lie in"):
        slider(2.0, 0.0, 1.0, 0.1, "a")
    with pytest.raises(ValueError, match="max must be > min"):
        slider(0.5, 1.0, 0.0, 0.1, "a")
    with pytest.raises(ValueError, match="value must be one of"):
        dropdown(["a", "b"], "c", "pick")
BAD_INPUT_ALLOW.update({("int_slider", "max", "10**9"): "a large but valid integer range",
                        ("log_slider", "max_exp", "2.5"): "fractional exponents are valid",
                        ("log_slider", "min_exp", "2.5"): "fractional exponents are valid",
                        ("dropdown", "options", "bad element"): "any value may be an option",
                        ("InteractiveView", "controls", "empty"): "no controls is valid: the view draws its "
                                                                  "figure once, as interactive_view(plot_fn) does"})
