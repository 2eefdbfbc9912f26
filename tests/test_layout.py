"""The shape of utils/: each topic is a small package with the same rooms, and no file is too long to read.

A topic package `utils/<topic>/` holds
- `maths.py`: the from-scratch computations the notebook teaches, the file a learner is sent to read;
- `experiments.py`: the notebook's experiments, returning data;
- `figures.py`: the plots and interactive views (and `VIEW_SWEEPS`);
- `exercises.py`: the `check_…` functions, their mutants, and the predictions;
and its `__init__.py` re-exports the public names, with a docstring that is the map.  A room may be split in two
files when it is long (e.g. `figures.py` + `views.py`).  Imports go one way: maths <- experiments <- figures, and
exercises may use maths and experiments but not figures.
"""

import ast
import importlib
from pathlib import Path

import pytest

from benchmarks.course import SHARED_MODULES, utils_modules

ROOT = Path(__file__).resolve().parents[1]
UTILS = ROOT / "utils"
TOPICS = [m for m in utils_modules(UTILS) if m not in SHARED_MODULES]
ROOMS = ("maths", "experiments", "figures", "exercises")
MAX_LINES = 600
# What each room must not reach, directly or through another file of its package.
FORBIDDEN = {"maths": {"experiments", "figures", "exercises"}, "experiments": {"figures", "exercises"},
             "exercises": {"figures"}, "_checks": {"maths", "experiments", "figures", "exercises"}}


def _package_imports(path, package):
    """The files of `package` that the file at `path` imports (relative or absolute imports)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                names |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
            elif node.module and node.module.startswith(f"utils.{package}."):
                names.add(node.module.split(".")[2])
            elif node.module == f"utils.{package}":
                names |= {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[2] for a in node.names if a.name.startswith(f"utils.{package}.")}
    return {n for n in names if (UTILS / package / f"{n}.py").is_file()}


def _reach(package, room):
    graph = {p.stem: _package_imports(p, package) for p in (UTILS / package).glob("*.py")}
    seen, todo = set(), [room]
    while todo:
        for name in graph.get(todo.pop(), ()):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def test_there_are_topic_packages():
    assert len(TOPICS) >= 9, TOPICS


@pytest.mark.parametrize("topic", TOPICS)
def test_topic_is_a_package_with_the_four_rooms(topic):
    folder = UTILS / topic
    assert (folder / "__init__.py").is_file(), f"utils/{topic} should be a package (utils/{topic}/__init__.py)"
    missing = [room for room in ROOMS if not (folder / f"{room}.py").is_file()]
    assert not missing, f"utils/{topic}/ lacks {missing}"


@pytest.mark.parametrize("path", sorted(UTILS.rglob("*.py")), ids=lambda p: str(p.relative_to(UTILS)))
def test_no_file_is_too_long_to_read(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by what it holds"


@pytest.mark.parametrize("topic", TOPICS)
def test_imports_go_one_way_between_rooms(topic):
    for room, forbidden in FORBIDDEN.items():
        if (UTILS / topic / f"{room}.py").is_file():
            bad = _reach(topic, room) & forbidden
            assert not bad, f"utils/{topic}/{room}.py reaches {sorted(bad)}"


@pytest.mark.parametrize("topic", TOPICS)
def test_init_docstring_is_the_map_of_the_public_surface(topic):
    mod = importlib.import_module(f"utils.{topic}")
    assert mod.__doc__ and "maths.py" in mod.__doc__, f"utils/{topic}/__init__.py should say where the maths is"
    missing = [n for n in mod.__all__ if n not in mod.__doc__]
    assert not missing, f"utils.{topic}.__all__ names missing from its docstring (the map): {missing}"


@pytest.mark.parametrize("topic", TOPICS)
def test_maths_file_reads_on_its_own(topic):
    """The file a learner is sent to: it explains itself and every public function in it says what it takes."""
    maths = importlib.import_module(f"utils.{topic}.maths")
    assert maths.__doc__ and len(maths.__doc__.split()) >= 15, f"utils/{topic}/maths.py needs a docstring for readers"
    public = importlib.import_module(f"utils.{topic}").__all__
    undocumented = [n for n in public if getattr(getattr(maths, n, None), "__module__", None) == maths.__name__
                    and not getattr(maths, n).__doc__]
    assert not undocumented, f"utils/{topic}/maths.py: public functions without a docstring: {undocumented}"
