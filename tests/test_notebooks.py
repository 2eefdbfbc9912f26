"""Execute every notebook top to bottom in a fresh kernel; fail on any error or stderr output."""

import time
from pathlib import Path

import nbformat
import pytest
from conftest import ALL_NOTEBOOKS, NOTEBOOK_TIMES, notebook_id, notebook_ref
from nbclient import NotebookClient
from test_prediction_order import answer_spoilers

from benchmarks.execute import problems  # the benchmark judges an executed notebook the same way

ROOT = Path(__file__).resolve().parents[1]
# The Chinese twins run too: their code is identical (tests/test_translation.py), but they run from notebooks/zh/,
# and what a learner runs is what the tests run.
NOTEBOOKS = ALL_NOTEBOOKS


def execute_notebook(path, timeout=300):
    """Run a notebook in a fresh python3 kernel with its own folder as the working directory.

    Returns (executed notebook, seconds spent executing cells, kernel start excluded).
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(path).parent)}})
    with client.setup_kernel():
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        elapsed = time.perf_counter() - start
    return nb, elapsed


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[notebook_id(p) for p in NOTEBOOKS])
def test_notebook_runs_clean(path):
    nb, elapsed = execute_notebook(path)
    NOTEBOOK_TIMES[notebook_ref(path)] = elapsed
    print(f"\n{notebook_ref(path)}: executed in {elapsed:.1f} s")
    assert not problems(nb), "\n".join(problems(nb))
    # Predict, then reveal: no answer that ask(...) computed is written or printed above its question.
    assert not answer_spoilers(nb), "\n".join(answer_spoilers(nb))
