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
