#!/usr/bin/env bash
# The test suite in the two other environments CI checks (README, "Which versions"): Colab's package set and the
# floors of requirements.txt.  Each is a fresh virtual environment made the README's way, then pinned.
# The claims tests and the full browser suite run in the main environment only (.ci/run); here the unit and notebook
# tests run (the Chinese twins' code is identical to the English, tests/test_translation.py, so only the main
# environment executes them again), and in the Colab-like set 00 and its twin also run in JupyterLab with ipywidgets 7.
set -euo pipefail
cd "$(dirname "$0")/.."

make_env() {  # name, pins file
    local venv=".ci-venv-$1"
    rm -rf "$venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC1091
    . "$venv/bin/activate"
    python -m pip install --quiet --upgrade pip
    python -m pip install --quiet torch==2.13.0 --extra-index-url https://download.pytorch.org/whl/cpu
    python -m pip install --quiet -r requirements-test.txt -r "$2"
}

show_versions() {
    python -m pip list 2>/dev/null | grep -iE '^(torch|numpy|matplotlib|ipywidgets|jupyterlab|jupyterlab_widgets|ipython|ipykernel|scikit-learn) ' || true
}

start=$SECONDS
echo "ci: Colab-like environment (.ci/colab-env.txt)"
make_env colab .ci/colab-env.txt
python -m pip install --quiet --no-deps ipywidgets==7.7.1
show_versions
python -m pytest -q -p no:cacheprovider -m "not browser and not claims" -k "not zh-"
python -m pytest -q -p no:cacheprovider tests/test_browser.py -k "00_start_here"
deactivate
echo "ci: Colab-like environment: $((SECONDS - start)) s"

start=$SECONDS
echo "ci: floors environment (.ci/floors-env.txt)"
make_env floors .ci/floors-env.txt
show_versions
python -m pytest -q -p no:cacheprovider -m "not browser and not claims" -k "not zh-"
deactivate
echo "ci: floors environment: $((SECONDS - start)) s"
