"""Binder and Colab environments: one source of truth for dependencies, and it covers what the code imports.

repo2docker (Binder) reads environment.yml and then ignores requirements.txt, so environment.yml must install
requirements.txt through its pip section.  Colab brings its own torch, numpy, matplotlib and ipywidgets 7.x:
the declared ranges must accept them and no notebook may reinstall them (that forces a runtime restart).
"""

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from utils import course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LOCAL_MODULES = {"utils", "tools", "tests", "benchmarks", "conftest"}
COLAB_PREINSTALLED = ["torch", "torchvision", "torchaudio", "numpy", "matplotlib", "ipywidgets"]


def read_requirements(path, _seen=None):
    """{canonical name: Requirement} from a pip requirements file, following `-r other.txt` includes."""
    path = Path(path)
    _seen = set() if _seen is None else _seen
    if path in _seen:
        return {}
    _seen.add(path)
    found = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            found.update(read_requirements(path.parent / line.split(None, 1)[1], _seen))
        elif line.startswith("-"):
            continue  # pip options such as --extra-index-url
        else:
            req = Requirement(line)
            found[canonicalize_name(req.name)] = req
    return found


def environment_yml():
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def conda_and_pip_entries(env):
    """(conda dependency strings, pip entry strings) of a parsed environment.yml."""
    conda, pip = [], []
    for dep in env.get("dependencies", []):
        if isinstance(dep, dict):
            pip += list(dep.get("pip", []))
        else:
            conda.append(str(dep))
    return conda, pip


def imported_modules(source):
    """Top-level names of the modules that Python `source` imports (absolute imports only)."""
    # Notebook cells may hold IPython magics and shell escapes; they are not Python.
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(lines))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def third_party_imports(paths):
    """{module: [files importing it]} for every third-party module imported by .py files and notebook code cells."""
    found = {}
    for path in paths:
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            sources = [c.source for c in nb.cells if c.cell_type == "code"]
        else:
            sources = [path.read_text(encoding="utf-8")]
        for source in sources:
            for name in imported_modules(source):
                if name not in sys.stdlib_module_names and name not in LOCAL_MODULES and name != "__future__":
                    found.setdefault(name, []).append(path.relative_to(ROOT).as_posix())
    return found


def installed_closure(names):
    """Canonical names of the distributions `names` bring in when installed (their unconditional requirements)."""
    todo, seen = [canonicalize_name(n) for n in names], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(req.name))
    return seen


def packages_distributions():
    """{top-level module: [distribution names]} of what is installed, on every supported Python.

    Python 3.10's metadata.packages_distributions() reads only a distribution's top_level.txt, which wheels built
    without setuptools (contourpy's, by meson-python) lack, so it maps no distribution to `contourpy`; 3.11+ also infer
    the names from the files a distribution installed.  Do both here.
    """
    found = {}
    for dist in metadata.distributions():
        names = (dist.read_text("top_level.txt") or "").split()
        if not names:
            names = {f.parts[0] if len(f.parts) > 1 else f.name.split(".")[0]
                     for f in dist.files or [] if f.suffix in (".py", ".so", ".pyd")}
        for name in names:
            found.setdefault(name, []).append(dist.metadata["Name"])
    return found


def undeclared(imports, declared, allow_unknown=False):
    """Modules in `imports` provided by no distribution that installing `declared` would install.

    allow_unknown: ignore modules that no installed distribution provides (tests import modules they create).
    """
    provided_by = packages_distributions()
    available = installed_closure(declared)
    missing = {}
    for module, files in sorted(imports.items()):
        dists = {canonicalize_name(d) for d in provided_by.get(module, [])}
        if allow_unknown and not dists:
            continue
        if not dists & available:
            missing[module] = (sorted(dists) or ["<not installed here>"], sorted(set(files)))
    return missing


RUNTIME = read_requirements(ROOT / "requirements.txt")
README = (ROOT / "README.md").read_text(encoding="utf-8")
TEST = read_requirements(ROOT / "requirements-test.txt")


def test_environment_yml_installs_requirements_txt_and_nothing_else():
    conda, pip = conda_and_pip_entries(environment_yml())
    assert "-r requirements.txt" in [p.strip() for p in pip], \
        f"environment.yml's pip section must install `-r requirements.txt` (Binder ignores requirements.txt); got {pip}"
    extra_conda = [d for d in conda if re.split(r"[=<>! ]", d)[0] not in ("python", "pip")]
    assert not extra_conda, f"environment.yml declares packages of its own {extra_conda}; put them in requirements.txt"
    extra_pip = [p for p in pip if not p.strip().startswith("-")]
    assert not extra_pip, f"environment.yml pip section lists packages {extra_pip}; put them in requirements.txt"


def test_environment_yml_python_satisfies_the_project_and_gets_cpu_torch():
    conda, pip = conda_and_pip_entries(environment_yml())
    python = [d for d in conda if d.startswith("python")]
    assert python, "environment.yml should pin a python version for reproducible Binder builds"
    version = re.sub(r"^python\s*=*\s*", "", python[0]).rstrip(".*") or "0"
    requires = re.search(r'requires-python\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert SpecifierSet(requires).contains(version + ".0" if version.count(".") == 1 else version), \
        f"environment.yml python {version} is outside pyproject's requires-python {requires}"
    # Binder has no GPU: the CPU wheel of torch keeps the image about 2 GB smaller.
    assert any("download.pytorch.org/whl/cpu" in p for p in pip), \
        "environment.yml should add the CPU torch index (--extra-index-url https://download.pytorch.org/whl/cpu)"


def test_requirements_test_includes_the_runtime_requirements():
    lacking = set(RUNTIME) - set(TEST)
    assert not lacking, f"requirements-test.txt lacks {lacking} (start it with -r requirements.txt)"


def test_ipywidgets_range_admits_only_versions_whose_front_end_matches():
    # 7.7.0 and 7.7.1 do not cap jupyterlab_widgets, so pip pairs them with 3.x and JupyterLab 4 shows no controls;
    # 7.7.2 caps it below 3.  Colab's own 7.7.1 is not installed from this file (Colab brings its own front end) and
    # is tested kernel-side in CI's Colab-like environment (.ci/colab-env.txt).
    req = RUNTIME.get("ipywidgets")
    assert req is not None, "requirements.txt must declare ipywidgets"
    for version in ("7.7.2", "8.1.5"):
        assert req.specifier.contains(version), f"{req} rejects ipywidgets {version}"
    for version in ("7.6.5", "7.7.0", "7.7.1"):
        assert not req.specifier.contains(version), f"{req} admits ipywidgets {version}, whose front end mismatches"


def test_floors_agree_with_the_environment_check_and_the_readme():
    for module, minimum in course.REQUIRED.items():
        name = course.PIP_NAMES.get(module, module)
        req = RUNTIME[canonicalize_name(name)]
        floor = next(s.version for s in req.specifier if s.operator == ">=")
        assert floor == minimum, f"requirements.txt says {req}, utils.course.REQUIRED says >= {minimum}"
        assert f"{name} {floor}" in README.lower(), f"README does not state {name}'s floor ({name} {floor})"
    requires = re.search(r'requires-python\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert requires == f">={course.PYTHON_MINIMUM}", \
        f"pyproject says {requires}, utils.course says {course.PYTHON_MINIMUM}"


def ci_environment(name):
    """(Python version, {canonical name: pinned version}) of one of CI's pinned environments, .ci/<name>-env.txt."""
    path = ROOT / ".ci" / f"{name}-env.txt"
    python = re.search(r"^# python: *(\S+)", path.read_text(encoding="utf-8"), re.M)
    assert python, f"{path.name} must name its Python on a line `# python: X.Y` (.ci/other-envs.sh reads it)"
    pins = {}
    for key, req in read_requirements(path).items():
        pinned = [s.version for s in req.specifier if s.operator == "=="]
        if pinned:
            pins[key] = pinned[0]
    return python.group(1), pins


def test_ci_floors_environment_pins_every_declared_floor():
    python, pins = ci_environment("floors")
    requires = re.search(r'requires-python\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert requires == f">={python}", f"pyproject says {requires}, .ci/floors-env.txt runs Python {python}"
    for name, req in RUNTIME.items():
        floor = next(s.version for s in req.specifier if s.operator == ">=")
        assert name in pins and Version(pins[name]) == Version(floor), \
            f"requirements.txt says {req}, .ci/floors-env.txt pins {name} {pins.get(name, 'not at all')}"


@pytest.mark.parametrize("name, label", [("floors", "| floors"), ("colab", "| Colab-like")])
def test_readme_lists_what_ci_runs(name, label):
    python, pins = ci_environment(name)
    row = next((line for line in README.splitlines() if line.startswith(label)), None)
    assert row, f"README's 'Which versions' table has no row starting {label!r}"
    cells = [c.strip() for c in row.split("|")]
    assert python in cells, f"README's {label!r} row does not say Python {python}"
    for key in ("torch", "numpy", "matplotlib", "scikit-learn", "jupyterlab", "ipython", "ipykernel"):
        if key in pins:
            assert pins[key] in row, f"README's {label!r} row does not say {key} {pins[key]} (.ci/{name}-env.txt)"


COLAB_PYTHON, COLAB_PINS = ci_environment("colab")


@pytest.mark.parametrize("name, colab_version", [(n, COLAB_PINS[n]) for n in ("torch", "numpy", "matplotlib")])
def test_declared_ranges_accept_what_colab_ships(name, colab_version):
    req = RUNTIME.get(name)
    assert req is not None, f"requirements.txt must declare {name}"
    assert req.specifier.contains(colab_version), f"{req} rejects Colab's {name} {colab_version}"


def test_every_module_the_course_imports_is_declared():
    files = [*sorted((ROOT / "utils").rglob("*.py")), *NOTEBOOKS]
    imports = third_party_imports(files)
    assert {"torch", "numpy", "matplotlib", "ipywidgets"} <= set(imports), \
        f"the scan found too little (found {sorted(imports)}); the import scanner is broken"
    missing = undeclared(imports, RUNTIME)
    assert not missing, "imported but not declared in requirements.txt (module: (distribution, files)): " \
                        f"{missing}"


def test_every_module_the_tests_and_tools_import_is_declared_for_testing():
    files = [p for folder in ("tests", "tools", "benchmarks") for p in sorted((ROOT / folder).rglob("*.py"))]
    imports = third_party_imports(files)
    assert {"pytest", "nbformat"} <= set(imports), f"the scan found too little ({sorted(imports)})"
    missing = undeclared(imports, TEST, allow_unknown=True)
    assert not missing, "imported but not declared in requirements-test.txt (module: (distribution, files)): " \
                        f"{missing}"


def test_modules_of_wheels_without_top_level_txt_are_found():
    """contourpy (matplotlib's) ships no top_level.txt; Python 3.10's own packages_distributions() misses it."""
    assert metadata.distribution("contourpy").read_text("top_level.txt") is None, \
        "contourpy now ships a top_level.txt: this test needs another wheel without one"
    provided_by = packages_distributions()
    assert provided_by.get("contourpy") == ["contourpy"]
    assert provided_by.get("torch") == ["torch"] and provided_by.get("yaml") == ["PyYAML"]


def test_undeclared_import_is_caught():
    """The check above must be able to fail: a module from an undeclared distribution is reported."""
    missing = undeclared({"yaml": ["x.py"], "numpy": ["x.py"]}, {"numpy"})
    assert list(missing) == ["yaml"]


REINSTALL = re.compile(r"\b(pip|pip3|conda|mamba|uv)\b.*\binstall\b(?P<args>.*)")


def reinstalled_packages(source):
    """Colab-preinstalled packages that a cell's source installs (magic, shell escape or subprocess call)."""
    found = []
    for line in source.splitlines():
        m = REINSTALL.search(line)
        if m:
            words = re.findall(r"[A-Za-z0-9_.\-]+", m.group("args"))
            found += [w for w in words if canonicalize_name(re.split(r"[<>=!~]", w)[0]) in COLAB_PREINSTALLED]
    return found


def test_reinstall_detector_finds_magics_and_subprocess_calls():
    assert reinstalled_packages("%pip install -q torch==2.3 tqdm") == ["torch"]
    assert reinstalled_packages('subprocess.run([sys.executable, "-m", "pip", "install", "ipywidgets>=8"])') \
        == ["ipywidgets"]
    assert reinstalled_packages("!pip install scikit-learn") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_does_not_reinstall_what_colab_ships(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not reinstalled_packages(cell.source), \
                f"{path.name} cell {i} reinstalls {reinstalled_packages(cell.source)} (forces a Colab restart)"
