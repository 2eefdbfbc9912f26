"""Notebook hygiene: clean, valid, structured the same way, and free of machine-specific paths."""

import re
from pathlib import Path

import nbformat
import pytest
from conftest import ALL_NOTEBOOKS, ENGLISH_NOTEBOOKS, notebook_id, notebook_ref

from utils import course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ALL_NOTEBOOKS  # the English notebooks and their Chinese twins
IDS = [notebook_id(p) for p in NOTEBOOKS]
HEADINGS = {"en": ("## Learning goals", "## Summary", "## Exercises", "## Further reading"),
            "zh": ("## 学习目标", "## 小结", "## 练习", "## 延伸阅读")}
ABSOLUTE_PATH = re.compile(r"(/home/|/Users/|/work/|/root/|/tmp/|[A-Z]:\\\\)")


def load(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb


def markdown(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_there_are_notebooks_and_each_is_listed_in_the_course():
    assert NOTEBOOKS, "no notebooks found"
    for p in ENGLISH_NOTEBOOKS:
        assert p.name in course.NOTEBOOKS, f"{p.name} is missing from utils.course.NOTEBOOKS"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_valid_with_python3_kernel_and_no_outputs(path):
    nb = load(path)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb.metadata, "saved widget state: clear it before committing"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} has stored outputs"
            assert cell.execution_count is None, f"cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_absolute_paths(path):
    for i, cell in enumerate(load(path).cells):
        m = ABSOLUTE_PATH.search(cell.source)
        assert not m, f"cell {i} contains a machine-specific path {m.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_control_characters_in_cells(path):
    # A generator script that writes "\beta" or "\times" in a non-raw string stores a backspace or a tab,
    # and the LaTeX silently renders as "eta" or " imes".
    for i, cell in enumerate(load(path).cells):
        bad = sorted({hex(ord(ch)) for ch in cell.source if ord(ch) < 32 and ch != "\n"})
        assert not bad, f"cell {i} ({cell.cell_type}) contains control characters {bad}: {cell.source[:80]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_title_badges_goals_summary(path):
    nb = load(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and re.match(r"# \d\d · \S", first.source), "title must be '# NN · Title'"
    assert course.colab_url(notebook_ref(path)) in first.source, "the Colab badge must point at this notebook"
    assert course.binder_url(notebook_ref(path)) in first.source, "the Binder badge must open this notebook"
    text = markdown(nb)
    goals, summary, exercises, reading = HEADINGS["zh" if path.parent.name == "zh" else "en"]
    for heading in (goals, summary):
        assert heading in text, f"missing section {heading!r}"
    if path.name != "00_start_here.ipynb":
        for heading in (exercises, reading):
            assert heading in text, f"missing section {heading!r}"
        assert "<details>" in text, "exercise solutions should be hidden in <details>"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_code_cell_is_the_course_bootstrap(path):
    code = [c for c in load(path).cells if c.cell_type == "code"]
    assert code and code[0].source == course.BOOTSTRAP_CELL


def test_bootstrap_names_the_one_repository_address():
    assert f'COURSE_REPO = "{course.COURSE_REPO}"' in course.BOOTSTRAP_CELL
