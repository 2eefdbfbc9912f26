"""Every interactive view of the course, at every setting of its sweep, keeps its content inside the figure.

Views are sent to the notebook without the inline backend's tight crop (`utils.interactive.PNG_OPTIONS`: that crop
draws each figure twice), so a title, label or legend beyond the figure's edge would be cut off on screen.
"""

import importlib
import inspect
from pathlib import Path

import pytest

from benchmarks.course import SHARED_MODULES, utils_modules
from utils.interactive import content_overflow_px
from utils.plotstyle import use_course_style

ROOT = Path(__file__).resolve().parents[1]
MODULES = utils_modules(ROOT / "utils")
VIEWS = [(m, name) for m in MODULES for name in sorted(getattr(importlib.import_module(f"utils.{m}"),
                                                               "VIEW_SWEEPS", {}))]


def test_every_topic_module_has_views_to_check():
    topics = [m for m in MODULES if m not in SHARED_MODULES]
    assert len(topics) >= 6 and {m for m, _ in VIEWS} >= set(topics), (topics, VIEWS)


@pytest.mark.parametrize("module, name", VIEWS, ids=[f"{m}.{n}" for m, n in VIEWS])
def test_view_content_stays_inside_the_figure(module, name):
    use_course_style()
    mod = importlib.import_module(f"utils.{module}")
    plot_fn = getattr(mod, name)
    in_place = "fig" in inspect.signature(plot_fn).parameters
    fig = None
    for settings in mod.VIEW_SWEEPS[name]:  # in order, redrawn in place, as a learner moving the controls would
        fig = plot_fn(**settings, fig=fig) if in_place and fig is not None else plot_fn(**settings)
        assert content_overflow_px(fig) <= 1.0, f"{name}({settings}) draws beyond the figure's edge"
