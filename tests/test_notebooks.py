"""Execute every notebook top to bottom in a fresh kernel; fail on any error or stderr output."""

import time
from pathlib import Path

import nbformat
import pytest
from conftest import NOTEBOOK_TIMES
from nbclient import NotebookClient

from benchmarks.execute import problems  # the benchmark judges an executed notebook the same way

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


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
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_clean(path):
    nb, elapsed = execute_notebook(path)
    NOTEBOOK_TIMES[path.name] = elapsed
    print(f"\n{path.name}: executed in {elapsed:.1f} s")
    assert not problems(nb), "\n".join(problems(nb))
