import numpy as np
import pytest

from utils import course


def test_environment_report_lists_every_requirement_and_a_device():
    rows, device = course.environment_report()
    names = [r[0] for r in rows]
    assert names == ["python", *course.REQUIRED]
    assert all(r[3] for r in rows), rows  # this test environment meets the course's minimums
    assert device.type in ("cpu", "cuda", "mps")


def test_version_comparison_handles_local_suffixes():
    assert course._version_tuple("2.13.0+cpu") == (2, 13, 0)
    assert course._version_tuple("8.1.9") >= course._version_tuple("7.7")
    assert course._version_tuple("7.6.5") < course._version_tuple("7.7")


def test_badge_urls_point_at_the_notebook():
    assert course.colab_url("01_x.ipynb").endswith("/blob/main/notebooks/01_x.ipynb")
    assert course.binder_url().endswith("urlpath=lab/tree/notebooks/00_start_here.ipynb")


@pytest.mark.parametrize("settings", course.VIEW_SWEEPS["plot_widget_check"])
def test_widget_check_view_draws_finite_data(settings):
    fig = course.plot_widget_check(**settings)
    y = fig.axes[0].lines[0].get_ydata()
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0
    again = course.plot_widget_check(frequency=2.0, fig=fig)
    assert again is fig


def test_widget_check_refuses_bad_settings():
    with pytest.raises(ValueError, match="frequency"):
        course.plot_widget_check(frequency=0)
    with pytest.raises(ValueError, match="damping"):
        course.plot_widget_check(damping=-1)
