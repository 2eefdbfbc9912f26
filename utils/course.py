"""Facts about the course itself, kept in one place (the repository address, the notebooks)."""

COURSE_REPO = "https://github.com/how-nets-train/course"
COURSE_BRANCH = "main"

NOTEBOOKS = {
    "00_start_here.ipynb": "Start here: environment check, how to use the course, glossary",
    "01_activation_functions.ipynb": "Why nonlinearity, and what each activation does to gradients",
    "02_zero_centering.ipynb": "Why all-positive inputs make gradient descent zig-zag",
    "03_initialization.ipynb": "How the weight scale decides what every layer sees",
    "04_batch_normalization.ipynb": "What batch normalisation computes, and what it changes in training",
    "05_dead_relu.ipynb": "How ReLU units die, and what prevents or revives them",
    "06_regularization.ipynb": "How to recognise overfitting and which regulariser to reach for",
    "07_convolutional_networks.ipynb": "What a conv layer computes and costs, and why the classic CNNs changed",
    "08_residual_networks.ipynb": "Does a deeper plain network train better? Residual and dense connections, trained",
    "09_optimization.ipynb": "Gradient descent, mini-batches, momentum and schedules, seen on surfaces you can move",
}


def _notebook_name(notebook):
    if not isinstance(notebook, str):
        raise TypeError(f"notebook must be a notebook's file name such as '01_activation_functions.ipynb', "
                        f"got {notebook!r:.60} ({type(notebook).__name__})")
    if not notebook.endswith(".ipynb") or notebook.startswith("/") or ".." in notebook or notebook != notebook.strip():
        raise ValueError(f"notebook must be a file name below notebooks/ ending in .ipynb, such as "
                         f"'01_activation_functions.ipynb' or 'zh/01_activation_functions.ipynb', got {notebook!r:.60}")
    return notebook


def colab_url(notebook):
    """The "Open in Colab" address of a notebook file name (e.g. '01_activation_functions.ipynb')."""
    notebook = _notebook_name(notebook)
    slug = COURSE_REPO.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{slug}/blob/{COURSE_BRANCH}/notebooks/{notebook}"


def binder_url(notebook="00_start_here.ipynb"):
    """The Binder address that opens JupyterLab on a notebook."""
    notebook = _notebook_name(notebook)
    slug = COURSE_REPO.removeprefix("https://github.com/")
    return f"https://mybinder.org/v2/gh/{slug}/{COURSE_BRANCH}?urlpath=lab/tree/notebooks/{notebook}"


# The first code cell of every notebook, verbatim (a hygiene test compares them).  It cannot
# import `utils` before `utils` is reachable, so the repository address appears in it as text;
# tests/test_hygiene.py checks that text equals COURSE_REPO above.  On Colab the environment variable
# COURSE_REPO (a mirror the teacher controls) replaces it, and a course already unpacked in COURSE_DIR
# (default /content/course) is used as it is, with no fetch at all.
BOOTSTRAP_CELL = '''\
# Set-up: on Colab, fetch the course first; everywhere, make the `utils` package importable.
import os, subprocess, sys
COURSE_REPO = "https://github.com/how-nets-train/course"
if "google.colab" in sys.modules:
    COURSE_REPO = os.environ.get("COURSE_REPO", COURSE_REPO)  # a mirror you control, where GitHub is unreachable
    root = os.environ.get("COURSE_DIR", "/content/course")
    if not os.path.isdir(os.path.join(root, "utils")):
        print(f"Colab detected: fetching the course from {COURSE_REPO} into {root} ...")
        if subprocess.run(["git", "clone", "--quiet", "--depth", "1", COURSE_REPO, root]).returncode != 0:
            raise RuntimeError(f"Could not fetch {COURSE_REPO}. Set COURSE_REPO to a mirror (%env COURSE_REPO=...) "
                               f"or unzip the course archive into {root} (README: when GitHub is unreachable).")
else:  # the course folder: here, or one or two levels up (notebooks/, notebooks/zh/), or $COURSE_DIR
    here = os.getcwd()
    places = [os.environ.get("COURSE_DIR", ""), here, os.path.dirname(here), os.path.dirname(os.path.dirname(here))]
    root = next((p for p in places if p and os.path.isdir(os.path.join(p, "utils"))), None)
    if root is None:
        raise RuntimeError(f"The course's `utils` folder is not next to {here}. Open the notebook from the course "
                           "folder (start `jupyter lab` in the repository), or set COURSE_DIR to that folder.")
if root not in sys.path:
    sys.path.insert(0, root)'''


# The oldest versions the course is known to work with (README, "Which versions"); requirements.txt says the same.
REQUIRED = {"torch": "2.6", "numpy": "1.24", "matplotlib": "3.8", "ipywidgets": "7.7.2", "sklearn": "1.2"}
# ipywidgets 7.7.1 works with a front end that matches it (Colab's own, or jupyterlab_widgets 1.x); requirements.txt
# asks for 7.7.2 only because pip pairs 7.7.1 with jupyterlab_widgets 3, which shows no controls.  So 7.7.1 passes the
# report where its front end is known to match, and the report says ">= 7.7.2" like requirements.txt.
MATCHED_FRONT_END_MINIMUM = {"ipywidgets": "7.7.1"}
PYTHON_MINIMUM = "3.10"
CPU_TORCH = "pip install torch --extra-index-url https://download.pytorch.org/whl/cpu"
# The command that fixes each row of the report when it fails.
FIXES = {
    "python": f"install Python {PYTHON_MINIMUM} or newer (python.org, or your package manager), then make a new "
              "virtual environment and follow the README's install line",
    "torch": CPU_TORCH + "   (or the command for your CUDA version from pytorch.org)",
    "numpy": 'pip install -U "numpy>=1.24"',
    "matplotlib": 'pip install -U "matplotlib>=3.8"',
    "ipywidgets": 'pip install -U "ipywidgets>=8"   (then restart Jupyter)',
    "sklearn": "pip install -U scikit-learn",
    "torch ↔ numpy": 'pip install "numpy<2"   (this torch was built for NumPy 1; or upgrade torch: ' + CPU_TORCH + ")",
    "widget front-end": 'pip install -U "ipywidgets>=8" "jupyterlab_widgets>=3"   (then restart JupyterLab)',
    "mathtext": 'pip install -U "matplotlib>=3.8"',
}
# Names as pip knows them (scikit-learn is imported as sklearn).
PIP_NAMES = {"sklearn": "scikit-learn"}


def _version_tuple(text):
    parts = []
    for piece in text.split("+")[0].split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _installed_version(module):
    """The version of an importable module, or None when it is missing or fails to import."""
    import importlib

    try:
        return importlib.import_module(module).__version__
    except Exception:  # noqa: BLE001 - a broken install counts as missing
        return None


def _distribution_version(dist):
    """The installed version of a pip distribution (no import), or None."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _torch_numpy_ok():
    """(ok, detail): tensors and arrays convert both ways (fails when torch was built for another NumPy major)."""
    try:
        import numpy as np
        import torch

        back = torch.from_numpy(np.arange(3.0)).mul(2).numpy()
        ok = back.tolist() == [0.0, 2.0, 4.0]
        return ok, "round trip works" if ok else f"round trip gave {back!r}"
    except Exception as exc:  # noqa: BLE001 - any failure here is the finding
        return False, f"{type(exc).__name__}: {exc}"[:60]


def _mathtext_ok():
    """(ok, detail): matplotlib's mathtext parses what the course's figures write (\\text{…} needs 3.8)."""
    try:
        from matplotlib.mathtext import MathTextParser

        MathTextParser("path").parse(r"$\text{ReLU}(x) = \max(0, x),\ \sigma'(x) \leq \frac{1}{4}$", dpi=72)
        return True, "parses the course's formulas"
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}"[:60]


def _widget_frontend_ok(ipywidgets_version, frontend_version):
    """(ok, detail): the kernel's ipywidgets and JupyterLab's widget extension speak the same protocol.

    ipywidgets 7 talks to jupyterlab_widgets 1.x, ipywidgets 8 to 3.x.  ipywidgets 7.7.0/7.7.1 do not cap the front
    end, so pip pairs them with 3.x and JupyterLab shows "Failed to load model class 'VBoxModel'" instead of controls.
    Where jupyterlab_widgets is not installed (Colab, VS Code bring their own front end) there is nothing to match.
    """
    if frontend_version is None or ipywidgets_version is None:
        return True, "no JupyterLab widget extension here (Colab/VS Code bring their own)"
    kernel_major, frontend_major = _version_tuple(ipywidgets_version)[0], _version_tuple(frontend_version)[0]
    ok = (kernel_major >= 8) == (frontend_major >= 3)
    return ok, f"jupyterlab_widgets {frontend_version} with ipywidgets {ipywidgets_version}"


def environment_report():
    """What the course needs, whether each is here and works, and the device experiments will use.

    Returns a list of rows (name, what was found, what is needed or "", ok, the command that fixes it) and the device.
    Beyond versions it checks what has broken real set-ups: torch ↔ NumPy conversion, the JupyterLab widget
    front end matching the kernel's ipywidgets, and the mathtext the figures use.
    """
    import platform
    import sys

    from utils.device import pick_device

    py = platform.python_version()
    rows = [("python", py, f">= {PYTHON_MINIMUM}", _version_tuple(py) >= _version_tuple(PYTHON_MINIMUM),
             FIXES["python"])]
    versions = {}
    frontend = _distribution_version("jupyterlab_widgets")
    for name, minimum in REQUIRED.items():
        version = versions[name] = _installed_version(name)
        ok = version is not None and _version_tuple(version) >= _version_tuple(minimum)
        if name in MATCHED_FRONT_END_MINIMUM and version is not None and not ok:
            matched = "google.colab" in sys.modules or (frontend is not None
                                                        and _widget_frontend_ok(version, frontend)[0])
            ok = matched and _version_tuple(version) >= _version_tuple(MATCHED_FRONT_END_MINIMUM[name])
        rows.append((PIP_NAMES.get(name, name), version or "missing", f">= {minimum}", ok, FIXES[name]))
    checks = [("torch ↔ numpy", _torch_numpy_ok()), ("mathtext", _mathtext_ok()),
              ("widget front-end", _widget_frontend_ok(versions["ipywidgets"], frontend))]
    for name, (ok, detail) in checks:
        rows.append((name, detail, "", ok, FIXES[name]))
    return rows, pick_device(verbose=False)


def print_environment_report():
    """Print `environment_report()` as a table, with the fixing command under each ❌ row; returns True when all is
    well.  (The device line is printed by `pick_device()` in the set-up cell, so it is not repeated here.)"""
    rows, _ = environment_report()
    width = max(len(r[0]) for r in rows)
    for name, found, needed, ok, fix in rows:
        print(f"{'✅' if ok else '❌'} {name:<{width}}  {found:<16}" + (f" (needs {needed})" if needed else ""))
        if not ok:
            print(f"   {'':<{width}}  fix: {fix}")
    return all(r[3] for r in rows)


def plot_widget_check(frequency=1.0, damping=0.2, fig=None):
    """A damped wave whose frequency (Hz) and damping (1/s) come from two sliders.

    Used by the start-here notebook to show that controls redraw figures in this client.
    """
    import numpy as np

    from utils import validation as check
    from utils.plotstyle import new_figure

    frequency = check.finite_number("frequency", frequency, low=0, low_open=True, high=50)
    damping = check.finite_number("damping", damping, low=0, high=50)
    t = np.linspace(0, 5, 500)
    y = np.exp(-damping * t) * np.sin(2 * np.pi * frequency * t)
    title = f"{frequency:.1f} Hz, damping {damping:.2f}/s: move a slider and this redraws"
    if fig is None:
        fig, ax = new_figure(figsize=(7, 3))
        ax.plot(t, y)
        ax.set(xlabel="time (s)", ylabel="amplitude", ylim=(-1.05, 1.05), title=title)
    else:
        ax = fig.axes[0]
        ax.lines[0].set_ydata(y)
        ax.set_title(title)
    return fig


VIEW_SWEEPS = {"plot_widget_check": [{"frequency": f, "damping": d}
                                     for f in (0.2, 1.0, 3.0) for d in (0.0, 0.5, 1.0)]}


# What a learner reads under a NameError: usually a cell run before the cell above that defines the name.
NAME_ERROR_HINT = {
    "en": ("Hint: if `{name}` is defined in a cell above, that cell has not run in this kernel (or ran before a "
           "restart). Run the cells above this one first (JupyterLab: Run > Run All Above Selected Cell; Colab: "
           "Runtime > Run before), then this cell again."),
    "zh": ("提示：如果 `{name}` 是在上面的某个单元格里定义的，说明那个单元格还没有在当前内核中运行过"
           "（或者是在重启内核之前运行的）。请先运行这个单元格上面的所有单元格"
           "（JupyterLab：Run > Run All Above Selected Cell；Colab：代码执行程序 > 运行前面的单元格），"
           "再运行这个单元格。"),
}


def name_error_hint(name, language="en"):
    """The hint shown under a NameError for `name`, in "en" or "zh"."""
    from utils import validation as check

    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    language = check.one_of("language", language, sorted(NAME_ERROR_HINT))
    return NAME_ERROR_HINT[language].format(name=name)


def install_wrong_step_hints(shell=None):
    """In IPython, add to every NameError's traceback a hint to run the cells above (in Chinese in notebooks/zh/).

    Called when `utils` is imported, so every notebook gets it from its imports cell; returns False outside IPython.
    """
    import os
    import re

    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False

    def with_hint(shell, etype, value, tb, tb_offset=None):
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        found = re.search(r"name '([^']+)' is not defined", str(value))
        if found:
            language = "zh" if os.path.basename(os.getcwd()) == "zh" else "en"
            stb = [*stb, name_error_hint(found.group(1), language)]
        shell._showtraceback(etype, value, stb)  # IPython leaves the showing to a custom handler
        return stb

    shell.set_custom_exc((NameError,), with_hint)
    return True


__all__ = ["COURSE_REPO", "COURSE_BRANCH", "NOTEBOOKS", "BOOTSTRAP_CELL", "REQUIRED", "PYTHON_MINIMUM", "FIXES",
           "MATCHED_FRONT_END_MINIMUM", "NAME_ERROR_HINT", "colab_url", "binder_url", "environment_report",
           "print_environment_report", "plot_widget_check", "name_error_hint", "install_wrong_step_hints"]


def _same_seed_verdict():
    """How two draws after the same seed compare ('exactly the same' is what seed_everything guarantees)."""
    import torch

    from utils.seeding import seed_everything

    seed_everything(0)
    first = torch.randn(4)
    seed_everything(0)
    return "exactly the same" if torch.equal(first, torch.randn(4)) else "different"


def _seed_prediction():
    from utils.predictions import Prediction

    return Prediction(
        question="You seed with 0 and draw four random numbers, then seed with 0 again and draw four more. "
                 "How do the two draws compare?",
        options=("exactly the same", "the same to a few decimals", "different"),
        answer=_same_seed_verdict,
        why="A seed fixes the generator's state, and the state decides every number it produces, to the last bit "
            "(on the same machine and software). Different hardware may change the last digits.")


SEED_REPEATS = _seed_prediction()
__all__ += ["SEED_REPEATS"]
