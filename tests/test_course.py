import sys
import types
from pathlib import Path

import numpy as np
import pytest

from utils import course, glossary


def test_environment_report_lists_every_requirement_and_a_device():
    rows, device = course.environment_report()
    names = [r[0] for r in rows]
    assert names[:len(course.REQUIRED) + 1] == ["python", *[course.PIP_NAMES.get(n, n) for n in course.REQUIRED]]
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


def _row(rows, name):
    return next(r for r in rows if r[0] == name)


def test_report_checks_every_package_the_course_imports_and_what_breaks_real_setups():
    rows, _ = course.environment_report()
    names = [r[0] for r in rows]
    assert names[:1] == ["python"] and "scikit-learn" in names
    assert {"torch ↔ numpy", "mathtext", "widget front-end"} <= set(names)
    assert all(r[3] for r in rows), rows  # this test environment works
    assert all(r[4] for r in rows), "every row needs the command that fixes it"


def test_ipywidgets_7_with_the_version_3_front_end_is_caught_with_a_fix(monkeypatch, capsys):
    # ipywidgets 7.7.1 does not cap jupyterlab_widgets: pip pairs it with 3.x and JupyterLab 4 shows no controls.
    monkeypatch.setattr(course, "_installed_version",
                        lambda m: "7.7.1" if m == "ipywidgets" else course._distribution_version(
                            {"sklearn": "scikit-learn"}.get(m, m)))
    monkeypatch.setattr(course, "_distribution_version", lambda d: "3.0.15" if d == "jupyterlab_widgets" else "9.9")
    rows, _ = course.environment_report()
    assert not _row(rows, "widget front-end")[3]
    assert not _row(rows, "ipywidgets")[3] and _row(rows, "ipywidgets")[2] == ">= 7.7.2"  # as requirements.txt says
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert _row(course.environment_report()[0], "ipywidgets")[3]  # Colab's own 7.7.1 works with Colab's front end
    monkeypatch.delitem(sys.modules, "google.colab")
    monkeypatch.setattr(course, "_distribution_version", lambda d: "1.1.11" if d == "jupyterlab_widgets" else "9.9")
    assert _row(course.environment_report()[0], "ipywidgets")[3]  # 7.7.1 with its matching front end works too
    monkeypatch.setattr(course, "_distribution_version", lambda d: "3.0.15" if d == "jupyterlab_widgets" else "9.9")
    assert not course.print_environment_report()
    out = capsys.readouterr().out
    assert "❌ widget front-end" in out and 'pip install -U "ipywidgets>=8"' in out
    assert course._widget_frontend_ok("7.7.2", "1.1.11")[0] and course._widget_frontend_ok("8.1.5", "3.0.13")[0]
    assert course._widget_frontend_ok("8.1.5", None)[0]  # Colab / VS Code: nothing to match


def test_torch_built_for_numpy_1_under_numpy_2_is_caught_with_a_fix(monkeypatch, capsys):
    import torch

    def broken(_array):
        raise RuntimeError("Numpy is not available")

    monkeypatch.setattr(torch, "from_numpy", broken)
    assert not course.print_environment_report()
    out = capsys.readouterr().out
    assert "❌ torch ↔ numpy" in out and "Numpy is not available" in out and 'pip install "numpy<2"' in out


def test_matplotlib_without_the_mathtext_the_figures_use_is_caught(monkeypatch, capsys):
    from matplotlib import mathtext

    def old_parser(self, s, dpi=72, prop=None, *, antialiased=None):
        raise ValueError(r"Unknown symbol: \text")

    monkeypatch.setattr(mathtext.MathTextParser, "parse", old_parser)
    assert not course.print_environment_report()
    assert "❌ mathtext" in capsys.readouterr().out


def test_an_old_version_is_caught_with_its_fix(monkeypatch, capsys):
    real = course._installed_version
    monkeypatch.setattr(course, "_installed_version", lambda m: "3.7.5" if m == "matplotlib" else real(m))
    assert not course.print_environment_report()
    out = capsys.readouterr().out
    assert "❌ matplotlib" in out and 'pip install -U "matplotlib>=3.8"' in out


BAD_INPUT_BASE = {"colab_url": lambda: dict(notebook="01_activation_functions.ipynb"),
                  "name_error_hint": lambda: dict(name="x")}
BAD_INPUT_ALLOW = {("name_error_hint", "name", "unknown name"): "any name a NameError reports is a valid name to "
                                                               "hint about"}


@pytest.mark.parametrize("fn", [course.colab_url, course.binder_url])
@pytest.mark.parametrize("bad, error", [(None, TypeError), (1, TypeError), ("01_x", ValueError),
                                        ("/etc/x.ipynb", ValueError), ("../x.ipynb", ValueError)])
def test_badge_addresses_refuse_what_is_not_a_notebook_name(fn, bad, error):
    # issue 32: colab_url(None) built '.../notebooks/None'
    with pytest.raises(error, match="notebook must be"):
        fn(bad)
    assert fn("zh/01_x.ipynb").endswith("notebooks/zh/01_x.ipynb")


def _start_here_markdown():
    import nbformat

    nb = nbformat.read(Path(__file__).resolve().parents[1] / "notebooks" / "00_start_here.ipynb", as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_start_here_shows_the_one_glossary_and_links_every_notebook():
    text = _start_here_markdown()
    assert glossary.markdown_table() in text, \
        "00's glossary differs from utils.glossary: paste `print(glossary.markdown_table())` into its cell"
    for name in course.NOTEBOOKS:
        if not name.startswith("00"):
            assert f"]({name})" in text, f"00's table of notebooks does not link {name}"


def test_glossary_uses_the_corrected_and_the_d2l_terms():
    assert glossary.chinese_for("running mean / running variance") == "滑动均值 / 滑动方差"
    forms = {alt for _, _, alt, _ in glossary.TERMS}
    assert {"批量规范化", "暂退法"} <= forms
    english = " ".join(en for en, _, _, _ in glossary.TERMS)
    for term in ("pre-activation", "fan-in", "gain", "orthant", "Hessian", "ill-conditioned", "curvature",
                 "cross-entropy"):
        assert term in english, f"the glossary lacks {term!r}"
    with pytest.raises(ValueError, match="english must be one of"):
        glossary.chinese_for("no such term")


def test_the_seed_prediction_is_answered_by_running_it():
    assert course.SEED_REPEATS.resolved_answer() == "exactly the same"


# --- wrong steps get a message that says what to do (issue 34) ------------------------------------------------------

def _run_in_a_kernel(tmp_path, folder, cells):
    """Run `cells` (sources) in a fresh kernel started in a copy of the course's notebooks/`folder`; errors allowed."""
    import shutil

    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "utils", tmp_path / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(root / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("*.ipynb", ".ipynb*"))
    nb = new_notebook(cells=[new_code_cell(c) for c in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path / "notebooks" / folder)}}).execute()
    return ["\n".join(o.get("traceback", [])) + o.get("evalue", "") for c in nb.cells for o in c.outputs
            if o.output_type == "error"]


@pytest.mark.parametrize("folder, words", [
    ("", ("run the notebook's set-up cell first", "Run the cells above")),
    ("zh", ("请先运行这个 notebook 的设置单元格", "请先运行这个单元格上面的所有单元格"))])
def test_imports_before_the_set_up_cell_and_a_name_used_too_early_say_what_to_do(tmp_path, folder, words):
    errors = _run_in_a_kernel(tmp_path, folder, [
        "from utils.plotstyle import new_figure",    # the imports cell, run before the set-up cell
        course.BOOTSTRAP_CELL,
        "from utils.plotstyle import new_figure",    # now it works
        "print(results_from_a_cell_above)",          # a cell run before the cell that defines the name
        "print(1 / 0)",                              # other errors are left alone
    ])
    assert len(errors) == 3, errors
    assert "ModuleNotFoundError" in errors[0] and words[0] in errors[0], errors[0]
    assert "NameError" in errors[1] and "results_from_a_cell_above" in errors[1] and words[1] in errors[1], errors[1]
    assert "ZeroDivisionError" in errors[2] and "Hint" not in errors[2] and "提示" not in errors[2]


def test_the_signposts_do_not_fool_the_set_up_cell():
    # The set-up cell looks for a *folder* named utils next to the notebook; the signposts are files (utils.py).
    root = Path(__file__).resolve().parents[1]
    for folder in (root / "notebooks", root / "notebooks" / "zh"):
        assert (folder / "utils.py").is_file() and not (folder / "utils").exists()
    assert 'os.path.isdir(os.path.join(p, "utils"))' in course.BOOTSTRAP_CELL


def test_name_error_hint_rejects_bad_input():
    assert "`x`" in course.name_error_hint("x") and "`x`" in course.name_error_hint("x", "zh")
    with pytest.raises(ValueError, match="language"):
        course.name_error_hint("x", "fr")
    with pytest.raises(TypeError, match="name"):
        course.name_error_hint(3)
    assert course.install_wrong_step_hints() is False  # outside IPython: nothing to install
