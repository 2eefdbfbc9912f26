"""Facts about the course itself, kept in one place (the repository address, the notebooks)."""

COURSE_REPO = "https://github.com/how-nets-train/course"
COURSE_BRANCH = "main"

NOTEBOOKS = {
    "00_start_here.ipynb": "Start here: environment check, how to use the course, glossary",
    "01_activation_functions.ipynb": "Why nonlinearity, and what each activation does to gradients",
    "02_zero_centering.ipynb": "Why all-positive inputs make gradient descent zig-zag",
    "03_initialization.ipynb": "How the weight scale decides what every layer sees",
    "04_batch_normalization.ipynb": "What batch normalisation computes, and what it buys",
    "05_dead_relu.ipynb": "How ReLU units die, and what prevents or revives them",
    "06_regularization.ipynb": "How to recognise overfitting and which regulariser to reach for",
    "08_residual_networks.ipynb": "Why very deep networks need shortcuts: residual and dense connections, trained",
}


def colab_url(notebook):
    """The "Open in Colab" address of a notebook file name (e.g. '01_activation_functions.ipynb')."""
    slug = COURSE_REPO.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{slug}/blob/{COURSE_BRANCH}/notebooks/{notebook}"


def binder_url(notebook="00_start_here.ipynb"):
    """The Binder address that opens JupyterLab on a notebook."""
    slug = COURSE_REPO.removeprefix("https://github.com/")
    return f"https://mybinder.org/v2/gh/{slug}/{COURSE_BRANCH}?urlpath=lab/tree/notebooks/{notebook}"


# The first code cell of every notebook, verbatim (a hygiene test compares them).  It cannot
# import `utils` before `utils` is reachable, so the repository address appears in it as text;
# tests/test_hygiene.py checks that text equals COURSE_REPO above.
BOOTSTRAP_CELL = '''\
# Set-up: on Colab, fetch the course first; everywhere, make the `utils` package importable.
import os, subprocess, sys
COURSE_REPO = "https://github.com/how-nets-train/course"
if "google.colab" in sys.modules:
    root = os.environ.get("COURSE_DIR", "/content/course")
    if not os.path.isdir(os.path.join(root, "utils")):
        print(f"Colab detected: fetching the course from {COURSE_REPO} into {root} ...")
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", COURSE_REPO, root], check=True)
else:
    root = next(p for p in (os.getcwd(), os.path.dirname(os.getcwd()))
                if os.path.isdir(os.path.join(p, "utils")))
if root not in sys.path:
    sys.path.insert(0, root)'''


REQUIRED = {"torch": "2.2", "numpy": "1.24", "matplotlib": "3.7", "ipywidgets": "7.7"}


def _version_tuple(text):
    parts = []
    for piece in text.split("+")[0].split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def environment_report():
    """The versions the course depends on, whether each is new enough, and the device experiments will use.

    Returns a list of (name, version, minimum, ok) rows, and the device.
    """
    import importlib
    import platform

    from utils.device import pick_device

    rows = [("python", platform.python_version(), "3.9", _version_tuple(platform.python_version()) >= (3, 9))]
    for name, minimum in REQUIRED.items():
        try:
            version = importlib.import_module(name).__version__
        except ImportError:
            rows.append((name, "missing", minimum, False))
            continue
        rows.append((name, version, minimum, _version_tuple(version) >= _version_tuple(minimum)))
    return rows, pick_device(verbose=False)


def print_environment_report():
    """Print `environment_report()` as a table; returns True when every requirement is met."""
    from utils.device import describe_device

    rows, device = environment_report()
    width = max(len(r[0]) for r in rows)
    for name, version, minimum, ok in rows:
        print(f"{'✅' if ok else '❌'} {name:<{width}}  {version:<14} (needs >= {minimum})")
    print(f"Experiments will run on: {describe_device(device)}")
    return all(r[3] for r in rows)


def plot_widget_check(frequency=1.0, damping=0.2, fig=None):
    """A damped wave whose frequency (Hz) and damping (1/s) come from two sliders.

    Used by the start-here notebook to show that controls redraw figures in this client.
    """
    import numpy as np

    from utils.plotstyle import new_figure

    if frequency <= 0:
        raise ValueError(f"frequency must be > 0 Hz, got {frequency}")
    if damping < 0:
        raise ValueError(f"damping must be >= 0 per second, got {damping}")
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
