"""The course benchmark: run time, memory, redraw latency and import time of every notebook.

Run it from the repository root:

    python -m benchmarks                      # every notebook, median of 3 runs
    python -m benchmarks --notebooks 01 03    # a selection
    python -m benchmarks --readme-table       # the README's run-time column, from results.json

It writes `benchmarks/results.json` and the Markdown table `benchmarks/RESULTS.md`
generated from it.  The pieces, one file each:

- `execute.py`  runs a notebook top to bottom in a fresh kernel and watches the kernel's memory;
- `redraw.py`   times every interactive view of a topic module from its `VIEW_SWEEPS`;
- `imports.py`  times `import utils` and each topic module in a fresh interpreter;
- `course.py`   finds the notebooks, maps each to its topic modules, runs everything, judges the targets;
- `report.py`   renders results.json as Markdown (RESULTS.md and the README table).
"""

from benchmarks.course import TARGETS, run_benchmark
from benchmarks.report import render_readme_table, render_results_md

__all__ = ["TARGETS", "run_benchmark", "render_readme_table", "render_results_md"]
