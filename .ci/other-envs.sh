#!/usr/bin/env bash
# The test suite in the two other environments CI checks (README, "Which versions"), each a fresh virtual environment
# on its own Python, with requirements-test.txt installed under the pins of its file:
#   .ci/colab-env.txt   Colab's set: Python 3.13, torch 2.11, NumPy 2.1, matplotlib 3.10, ipywidgets 7.7.1, ...
#   .ci/floors-env.txt  the floors: Python 3.10, torch 2.6 and the lowest version requirements.txt allows of the rest.
# The claims tests and the full browser suite run in the main environment only (.ci/run); here the unit and notebook
# tests run (the Chinese twins' code is identical to the English, tests/test_translation.py, so only the main
# environment executes them again), and in the Colab-like set 00 and its twin also run in JupyterLab with ipywidgets 7.
#
# These torch versions come from PyPI, whose Linux wheels are the CUDA builds (about 2.5 GB each with their nvidia-*
# libraries; they run on the CPU), because CI's machines cannot reach PyTorch's CPU index.  PyPI's answers reach this
# machine without cache headers, so pip's own cache keeps nothing: the wheels are kept in $CI_WHEELS instead (outside
# the checkout), and a run downloads only what is not there yet (a new machine: about 5 GB, a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
wheels="${CI_WHEELS:-$HOME/.cache/course-ci-wheels}"

python_of() {  # "3.10" -> a Python 3.10: pyenv's (CI's machine image has 3.10 to 3.13), else python3.10 on PATH
    local p
    for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1".*/bin/python; do
        if [ -x "$p" ]; then echo "$p"; return; fi
    done
    command -v "python$1" || { echo "ci: no Python $1 on this machine" >&2; return 1; }
}

make_env() {  # name, pins file (its "# python: X.Y" line names the Python)
    local venv=".ci-venv-$1" python
    python=$(sed -n 's/^# python: *//p' "$2")
    rm -rf "$venv"
    "$(python_of "$python")" -m venv "$venv"
    # shellcheck disable=SC1091
    . "$venv/bin/activate"
    python -m pip install --quiet --upgrade pip
    # Fetch into $wheels what it lacks (pip reuses a file already there), then install from $wheels alone.
    python -m pip download --quiet --dest "$wheels" -r requirements-test.txt -r "$2"
    python -m pip install --quiet --no-index --find-links "$wheels" -r requirements-test.txt -r "$2"
}

show_versions() {
    python --version
    python -m pip list 2>/dev/null | grep -iE '^(torch|numpy|matplotlib|ipywidgets|jupyterlab|jupyterlab_widgets|ipython|ipykernel|scikit-learn) ' || true
}

start=$SECONDS
echo "ci: Colab-like environment (.ci/colab-env.txt)"
make_env colab .ci/colab-env.txt
python -m pip install --quiet --no-deps ipywidgets==7.7.1
show_versions
echo "ci: Colab-like environment: installed in $((SECONDS - start)) s"
python -m pytest -q -p no:cacheprovider -m "not browser and not claims" -k "not zh-"
python -m pytest -q -p no:cacheprovider tests/test_browser.py -k "00_start_here"
deactivate
echo "ci: Colab-like environment: $((SECONDS - start)) s"

start=$SECONDS
echo "ci: floors environment (.ci/floors-env.txt)"
make_env floors .ci/floors-env.txt
show_versions
echo "ci: floors environment: installed in $((SECONDS - start)) s"
python -m pytest -q -p no:cacheprovider -m "not browser and not claims" -k "not zh-"
deactivate
echo "ci: floors environment: $((SECONDS - start)) s"
