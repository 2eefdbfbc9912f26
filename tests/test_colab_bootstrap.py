"""Colab and Binder: the set-up cell fetches the course on Colab, and every badge opens the notebook it sits in.

The Colab case is run for real, offline: a fake `google.colab` module makes the cell believe it is on Colab,
and the repository address in the cell's text is swapped for a file:// URL of a local bare clone of this repo.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ALL_NOTEBOOKS, notebook_id

from utils.course import BOOTSTRAP_CELL, COURSE_BRANCH, COURSE_REPO

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ALL_NOTEBOOKS  # English and Chinese twins
IDS = [notebook_id(p) for p in NOTEBOOKS]
REPO_SLUG = COURSE_REPO.removeprefix("https://github.com/")
FAKE_COLAB = ("import sys, types\n"
              "sys.modules['google'] = types.ModuleType('google')\n"
              "sys.modules['google.colab'] = types.ModuleType('google.colab')\n")
SHOW_UTILS = "\nimport utils, utils.course\nprint('UTILS_AT', utils.__file__)\n"


def run_python(code, cwd, **env_extra):
    """Run `code` in a fresh interpreter started in `cwd`, with no PYTHONPATH pointing at this repository."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_DIR")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def utils_location(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    found = re.search(r"UTILS_AT (.+)", result.stdout)
    assert found, result.stdout
    return Path(found.group(1).strip()).resolve()


@pytest.fixture(scope="module")
def bare_clone(tmp_path_factory):
    """A bare clone of this repository's committed history: what `git clone COURSE_REPO` would fetch."""
    dest = tmp_path_factory.mktemp("remote") / "course.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(ROOT), str(dest)], check=True, capture_output=True)
    tree = subprocess.run(["git", "--git-dir", str(dest), "ls-tree", "--name-only", "HEAD", "utils/"],
                          check=True, capture_output=True, text=True).stdout.split()
    assert "utils/__init__.py" in tree, "the committed history has no utils package to fetch"
    return dest


def colab_cell(remote):
    """The bootstrap cell's text with the course address replaced by `remote` (a file:// URL)."""
    assert BOOTSTRAP_CELL.count(f'"{COURSE_REPO}"') == 1, "the bootstrap cell should name COURSE_REPO exactly once"
    return BOOTSTRAP_CELL.replace(f'"{COURSE_REPO}"', f'"{remote}"')


def test_bootstrap_cell_names_the_course_repository():
    assert re.search(r'^COURSE_REPO = "(.+)"$', BOOTSTRAP_CELL, re.M).group(1) == COURSE_REPO


def test_on_colab_the_bootstrap_clones_the_course_and_makes_utils_importable(bare_clone, tmp_path):
    course_dir = tmp_path / "content" / "course"
    empty = tmp_path / "content" / "sample_data"  # Colab's working folder holds no `utils`
    empty.mkdir(parents=True)
    code = FAKE_COLAB + colab_cell(bare_clone.as_uri()) + SHOW_UTILS
    first = run_python(code, cwd=empty, COURSE_DIR=str(course_dir))
    assert utils_location(first) == (course_dir / "utils" / "__init__.py").resolve()
    assert "Colab detected" in first.stdout
    assert (course_dir / "notebooks").is_dir() or (course_dir / "utils" / "course.py").is_file()

    # Running the cell again (a second notebook, or "Run all" twice) reuses the clone instead of cloning again.
    second = run_python(code, cwd=empty, COURSE_DIR=str(course_dir))
    assert utils_location(second) == (course_dir / "utils" / "__init__.py").resolve()
    assert "Colab detected" not in second.stdout


def test_on_colab_a_failed_clone_stops_with_an_error_that_says_what_to_do(tmp_path):
    missing = (tmp_path / "no-such-repo.git").as_uri()
    result = run_python(FAKE_COLAB + colab_cell(missing), cwd=tmp_path, COURSE_DIR=str(tmp_path / "course"))
    assert result.returncode != 0
    assert "RuntimeError: Could not fetch" in result.stderr and "COURSE_REPO" in result.stderr
    assert "unzip the course archive" in result.stderr


def test_on_colab_the_bootstrap_fetches_from_the_mirror_named_by_course_repo(bare_clone, tmp_path):
    """The cell as the notebooks hold it (its GitHub address untouched): COURSE_REPO alone redirects the clone."""
    course_dir = tmp_path / "content" / "course"
    (tmp_path / "content").mkdir()
    result = run_python(FAKE_COLAB + BOOTSTRAP_CELL + SHOW_UTILS, cwd=tmp_path / "content",
                        COURSE_DIR=str(course_dir), COURSE_REPO=bare_clone.as_uri())
    assert utils_location(result) == (course_dir / "utils" / "__init__.py").resolve()
    assert f"fetching the course from {bare_clone.as_uri()}" in result.stdout
    assert "github.com" not in result.stdout


def test_on_colab_an_unpacked_course_archive_needs_no_fetch(tmp_path):
    """A release archive (`git archive`) unpacked into COURSE_DIR is used as it is: no git, no network (the mirror
    named here does not exist)."""
    course_dir = tmp_path / "content" / "course"
    course_dir.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD", "utils"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(course_dir)], input=archive, check=True)
    result = run_python(FAKE_COLAB + BOOTSTRAP_CELL + SHOW_UTILS, cwd=tmp_path / "content",
                        COURSE_DIR=str(course_dir), COURSE_REPO=(tmp_path / "unreachable.git").as_uri())
    assert utils_location(result) == (course_dir / "utils" / "__init__.py").resolve()
    assert "fetching" not in result.stdout


def test_without_colab_the_bootstrap_does_nothing_but_find_utils(tmp_path):
    for cwd in (ROOT / "notebooks", ROOT):
        result = run_python(BOOTSTRAP_CELL + SHOW_UTILS, cwd=cwd, COURSE_DIR=str(tmp_path / "never"))
        assert utils_location(result) == (ROOT / "utils" / "__init__.py").resolve()
        assert "Colab detected" not in result.stdout
    assert not (tmp_path / "never").exists()


def test_there_are_notebooks_to_check():
    assert NOTEBOOKS, "no notebooks/[0-9][0-9]_*.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_code_cell_is_the_bootstrap_cell(path):
    nb = nbformat.read(path, as_version=4)
    first_code = next((c for c in nb.cells if c.cell_type == "code"), None)
    assert first_code is not None, f"{path.name} has no code cell"
    assert first_code.source == BOOTSTRAP_CELL, f"{path.name}: first code cell differs from utils.course.BOOTSTRAP_CELL"


def badge_links(path):
    """(colab url, binder url) from the first cell of a notebook; None where a badge is missing."""
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0].source if nb.cells else ""
    targets = re.findall(r"\[!\[[^\]]*\]\([^)]*\)\]\(([^)\s]+)\)", first)  # [![alt](image)](target)
    colab = [t for t in targets if t.startswith("https://colab.research.google.com/")]
    binder = [t for t in targets if t.startswith("https://mybinder.org/")]
    return colab[0] if colab else None, binder[0] if binder else None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_colab_badge_opens_this_notebook(path):
    colab, _ = badge_links(path)
    assert colab, f"{path.name}: no Open-in-Colab badge link in the first cell"
    m = re.fullmatch(r"https://colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/([^/]+)/(.+)", colab)
    assert m, f"{path.name}: not a Colab GitHub URL: {colab}"
    assert m.group(1) == REPO_SLUG, f"{path.name}: Colab badge points at repository {m.group(1)}"
    assert m.group(2) == COURSE_BRANCH, f"{path.name}: Colab badge points at branch {m.group(2)}"
    assert m.group(3) == path.relative_to(ROOT).as_posix(), f"{path.name}: Colab badge opens {m.group(3)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_binder_badge_opens_jupyterlab_on_this_notebook(path):
    _, binder = badge_links(path)
    assert binder, f"{path.name}: no Binder badge link in the first cell"
    m = re.fullmatch(r"https://mybinder\.org/v2/gh/([^/]+/[^/]+)/([^?]+)\?urlpath=lab/tree/(.+)", binder)
    assert m, f"{path.name}: Binder badge does not open JupyterLab (…?urlpath=lab/tree/…): {binder}"
    assert m.group(1) == REPO_SLUG and m.group(2) == COURSE_BRANCH, f"{path.name}: Binder badge repo/branch: {binder}"
    assert m.group(3) == path.relative_to(ROOT).as_posix(), f"{path.name}: Binder badge opens {m.group(3)}"


def test_readme_binder_badge_opens_jupyterlab_on_start_here():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"https://mybinder\.org/v2/gh/[^)\s\"']+", readme)
    assert links, "README.md has no Binder link"
    wanted = f"https://mybinder.org/v2/gh/{REPO_SLUG}/{COURSE_BRANCH}?urlpath=lab/tree/notebooks/00_start_here.ipynb"
    assert wanted in links, f"README.md Binder link(s) {links} do not open JupyterLab on 00_start_here.ipynb"


def test_without_colab_the_bootstrap_finds_utils_two_levels_up(tmp_path):
    # notebooks/zh/ (the Chinese edition) sits two levels below the course folder.
    course_dir = tmp_path / "course"
    (course_dir / "notebooks" / "zh").mkdir(parents=True)
    (course_dir / "utils").symlink_to(ROOT / "utils", target_is_directory=True)
    result = run_python(BOOTSTRAP_CELL + SHOW_UTILS, cwd=course_dir / "notebooks" / "zh")
    assert utils_location(result) == (ROOT / "utils" / "__init__.py").resolve()


def test_opened_from_elsewhere_the_bootstrap_says_what_to_do(tmp_path):
    elsewhere = tmp_path / "a" / "b" / "c"
    elsewhere.mkdir(parents=True)
    result = run_python(BOOTSTRAP_CELL, cwd=elsewhere)
    assert result.returncode != 0
    assert "StopIteration" not in result.stderr
    assert "RuntimeError: The course's `utils` folder is not next to" in result.stderr
    assert "COURSE_DIR" in result.stderr
    with_dir = run_python(BOOTSTRAP_CELL + SHOW_UTILS, cwd=elsewhere, COURSE_DIR=str(ROOT))
    assert utils_location(with_dir) == (ROOT / "utils" / "__init__.py").resolve()
