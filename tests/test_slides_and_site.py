"""The classroom and the reader: slide metadata (tools.slides), static slides for every notebook, the static site."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ALL_NOTEBOOKS, notebook_id
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import site, slides
from utils.course import BOOTSTRAP_CELL

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ALL_NOTEBOOKS  # English and Chinese twins
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def lesson(cells):
    return new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})


def small_lesson():
    """A notebook shaped like a course notebook, with the slide type each cell should get."""
    cells_and_types = [
        (new_markdown_cell("# 09 · A lesson\n[badges]\n\nWhy it matters."), "slide"),
        (new_markdown_cell("## Learning goals\n- do a thing"), "slide"),
        (new_code_cell(BOOTSTRAP_CELL), "skip"),
        (new_code_cell("import numpy as np"), "-"),
        (new_markdown_cell("## 1. First idea\nProse $x^2$."), "slide"),
        (new_code_cell("print(np.arange(3))"), "-"),
        (new_markdown_cell("Notice the three numbers."), "fragment"),
        (new_markdown_cell("### A closer look"), "subslide"),
        (new_code_cell("x = 1"), "-"),
        (new_markdown_cell("Now a second step, with its own demo."), "subslide"),
        (new_code_cell("print(x)"), "-"),
        (new_markdown_cell("Notice the one."), "fragment"),
        (new_code_cell("print(x + 1)"), "subslide"),
        (new_markdown_cell("## Exercises\n**Exercise 1.** Do it."), "slide"),
        (new_code_cell("answer = None"), "-"),
        (new_markdown_cell("<details><summary>Solution</summary>\n\nx\n</details>"), "fragment"),
        (new_markdown_cell("**Exercise 2.** Again."), "subslide"),
        (new_markdown_cell("<details><summary>Solution</summary>\n\ny\n</details>"), "fragment"),
        (new_markdown_cell("## Summary\n- done"), "slide"),
    ]
    return lesson([c for c, _ in cells_and_types]), [t for _, t in cells_and_types]


# --- tools.slides --------------------------------------------------------------------------------------------------

def test_slide_types_follow_headings_and_demos():
    nb, expected = small_lesson()
    assert slides.slide_types(nb) == expected


def test_a_chinese_takeaway_before_the_next_demo_is_a_fragment_like_the_english():
    # "Notice ..." / "注意 ..." right before another demo is the takeaway (fragment); other prose there leads into the
    # next demo (subslide).  Twins must present like their English notebook (test_translation checks every twin).
    for notice, expected in (("Notice the one.", "fragment"), ("注意：只有一个。", "fragment"),
                             ("Now a second step.", "subslide"), ("现在看第二步。", "subslide")):
        nb = lesson([new_code_cell("x = 1"), new_markdown_cell(notice), new_code_cell("print(x)")])
        assert slides.slide_types(nb)[1:] == [expected, "subslide" if expected == "fragment" else "-"], notice


def test_stamp_writes_rise_metadata_keeps_other_metadata_and_is_idempotent():
    nb, expected = small_lesson()
    nb.cells[5].metadata["tags"] = ["keep-me"]
    assert slides.stamp(nb) == len(nb.cells) + 1  # every cell, plus the notebook's RISE settings
    assert [c.metadata["slideshow"]["slide_type"] for c in nb.cells] == expected
    assert nb.cells[5].metadata["tags"] == ["keep-me"]
    assert nb.metadata["rise"]["scroll"] is True
    before = nbformat.writes(nb)
    assert slides.stamp(nb) == 0
    assert nbformat.writes(nb) == before


def test_stamp_rejects_something_that_is_not_a_notebook():
    with pytest.raises(TypeError, match="notebook"):
        slides.stamp(["not", "a", "notebook"])


def test_cli_check_fails_on_stale_metadata_and_write_fixes_it(tmp_path, capsys):
    nb, _ = small_lesson()
    path = tmp_path / "09_lesson.ipynb"
    nbformat.write(nb, path)
    assert slides.main(["--check", str(path)]) == 1
    assert "stale" in capsys.readouterr().out
    assert slides.main(["--write", str(path)]) == 0
    written = path.read_text()
    assert slides.main(["--check", str(path)]) == 0
    assert slides.main(["--write", str(path)]) == 0
    assert path.read_text() == written, "a second --write must not touch an up-to-date notebook"
    nbformat.validate(nbformat.read(path, as_version=4))


def test_cli_rejects_a_file_that_is_not_a_notebook(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(SystemExit) as exc:
        slides.main(["--check", str(other)])
    assert exc.value.code == 2


def test_there_are_notebooks_to_present():
    assert NOTEBOOKS, "no notebooks/[0-9][0-9]_*.ipynb found"


def test_every_notebook_carries_current_slide_metadata():
    """The committed notebooks are stamped (run `python -m tools.slides --write notebooks/*.ipynb` to fix)."""
    assert slides.main(["--check", *map(str, NOTEBOOKS)]) == 0


def test_every_notebook_builds_as_static_slides(tmp_path):
    copies = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        slides.stamp(nb)
        copies.append(tmp_path / f"{notebook_id(path)}.ipynb")
        nbformat.write(nb, copies[-1])
    result = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "slides", "--log-level=WARN",
                             *map(str, copies)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    for copy in copies:
        html = copy.with_suffix(".slides.html")
        assert html.is_file(), f"nbconvert wrote no slides for {copy.name}"
        text = html.read_text(encoding="utf-8")
        n_slides = sum(t == "slide" for t in slides.slide_types(nbformat.read(copy, as_version=4)))
        # reveal.js: one <section> per slide (and a nested one per subslide).
        assert text.count("<section") >= n_slides >= 3, f"{copy.name}: {n_slides} slides expected"
        assert "reveal" in text.lower()


# --- tools.site ----------------------------------------------------------------------------------------------------

def test_site_builds_an_executed_page_and_an_index(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "utils", course / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    nb = lesson([
        new_markdown_cell("# 09 · Tiny lesson\n\nSee also [the next one](10_next.ipynb)."),
        new_code_cell(BOOTSTRAP_CELL),
        new_code_cell("from utils.plotstyle import new_figure, use_course_style\n"
                      "from utils.interactive import interactive_view, dropdown\nuse_course_style()\n"
                      "print('answer', 6 * 7)"),
        new_code_cell("def plot(kind='up'):\n    fig, ax = new_figure()\n    ax.plot([0, 1], [0, 1])\n    return fig\n"
                      "view = interactive_view(plot, kind=dropdown(['up', 'down'], 'up', 'kind'))"),
    ])
    path = course / "notebooks" / "09_tiny.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    out = tmp_path / "site"
    pages = site.build_site([path], out, log=lambda msg: None)
    assert pages == [out / "09_tiny.html", out / "index.html"]
    page = (out / "09_tiny.html").read_text(encoding="utf-8")
    assert "answer 42" in page, "the page should show outputs of an executed notebook"
    assert "data:image/png;base64," in page, "the default figure should be embedded"
    assert "Interactive controls appear here" in page
    assert "Colab detected" not in page and "COURSE_REPO" not in page, "the set-up cell should be left out"
    assert 'href="10_next.html"' in page
    assert nbformat.read(path, as_version=4).cells[2].outputs == [], "building must not write outputs to the source"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "href='09_tiny.html'" in index and "09 · Tiny lesson" in index


def test_site_build_stops_on_a_failing_notebook(tmp_path):
    path = tmp_path / "notebooks" / "09_broken.ipynb"
    path.parent.mkdir()
    nbformat.write(lesson([new_code_cell("1 / 0")]), path)
    with pytest.raises(RuntimeError, match="09_broken.ipynb"):
        site.build_site([path], tmp_path / "site", log=lambda msg: None)


def test_site_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="no notebooks"):
        site.build_site([], tmp_path)
    with pytest.raises(ValueError, match="ipynb"):
        site.build_site([tmp_path / "missing.ipynb"], tmp_path)
    nbformat.write(lesson([]), tmp_path / "09_x.ipynb")
    with pytest.raises(ValueError, match="timeout"):
        site.build_site([tmp_path / "09_x.ipynb"], tmp_path, timeout=0)


def test_site_links_only_rewrite_relative_notebook_links():
    nb = lesson([new_markdown_cell(
        "[next](02_zero_centering.ipynb#goals) [colab](https://colab.research.google.com/github/a/b/blob/main/"
        "notebooks/02_zero_centering.ipynb)")])
    text = site.prepare_for_reading(nb).cells[0].source
    assert "](02_zero_centering.html#goals)" in text
    assert re.search(r"blob/main/notebooks/02_zero_centering\.ipynb\)", text)


def test_site_has_both_languages_with_a_switch_between_a_page_and_its_twin(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "utils", course / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    en = lesson([new_markdown_cell("# 09 · Tiny lesson\n\nNext: [10](10_next.ipynb)."), new_code_cell(BOOTSTRAP_CELL),
                 new_code_cell("print('answer', 6 * 7)")])
    zh = lesson([new_markdown_cell("# 09 · 小课\n\n下一讲：[10](../10_next.ipynb)。"), new_code_cell(BOOTSTRAP_CELL),
                 new_code_cell("print('answer', 6 * 7)")])
    (course / "notebooks" / "zh").mkdir(parents=True)
    nbformat.write(en, course / "notebooks" / "09_tiny.ipynb")
    nbformat.write(zh, course / "notebooks" / "zh" / "09_tiny.ipynb")
    out = tmp_path / "site"
    pages = site.build_site(site.course_notebooks(course), out, log=lambda msg: None)
    assert pages == [out / "09_tiny.html", out / "zh" / "09_tiny.html", out / "index.html", out / "zh" / "index.html"]
    en_page = (out / "09_tiny.html").read_text(encoding="utf-8")
    zh_page = (out / "zh" / "09_tiny.html").read_text(encoding="utf-8")
    assert "<a href='zh/09_tiny.html'>中文</a>" in en_page and "<a href='../09_tiny.html'>English</a>" in zh_page
    assert "answer 42" in zh_page and "小课" in zh_page and '<html lang="zh"' in zh_page
    assert 'href="../10_next.html"' in zh_page, "a twin's link to an English notebook points at its page"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in index and "href='zh/index.html'" in index and "zh/09_tiny" not in index
    zh_index = (out / "zh" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in zh_index and "href='09_tiny.html'" in zh_index and "09 · 小课" in zh_index
    assert "深度网络究竟是怎样训练出来的" in zh_index and "href='../index.html'" in zh_index


def test_site_pages_of_the_twins_link_the_chinese_readme_and_guide_as_pages(tmp_path):
    """A twin's links to ../../README.zh.md and ../../docs/teaching.zh.md become pages of the site (they pointed
    outside it before), and those pages' own links to notebooks point at the notebooks' pages."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "utils", course / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    (course / "notebooks" / "zh").mkdir(parents=True)
    (course / "docs").mkdir()
    (course / "README.zh.md").write_text("# 说明\n\n见[教师指南](docs/teaching.zh.md)。\n", encoding="utf-8")
    (course / "docs" / "teaching.zh.md").write_text("# 教师指南\n\n从 [00](../notebooks/zh/00_tiny.ipynb) 开始。\n",
                                                   encoding="utf-8")
    zh = lesson([new_markdown_cell("# 00 · 从这里开始\n\n[说明](../../README.zh.md) · "
                                   "[指南](../../docs/teaching.zh.md#slides) · [网站](https://zh.d2l.ai/a.md)"),
                 new_code_cell("print('ok')")])
    nbformat.write(zh, course / "notebooks" / "zh" / "00_tiny.ipynb")
    out = tmp_path / "site"
    pages = site.build_site([course / "notebooks" / "zh" / "00_tiny.ipynb"], out, log=lambda msg: None)
    assert out / "README.zh.html" in pages and out / "docs" / "teaching.zh.html" in pages
    page = (out / "zh" / "00_tiny.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert "../README.zh.html" in hrefs and "../docs/teaching.zh.html#slides" in hrefs
    assert "https://zh.d2l.ai/a.md" in hrefs, "an absolute link is left alone"
    for href in ("../README.zh.html", "../docs/teaching.zh.html"):
        assert (out / "zh" / href).resolve().is_file(), href
    guide = (out / "docs" / "teaching.zh.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in guide and 'href="../zh/00_tiny.html"' in guide
    assert 'href="docs/teaching.zh.html"' in (out / "README.zh.html").read_text(encoding="utf-8")
