import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("COURSE_DEVICE", "auto")

# Filled by tests/test_notebooks.py: notebook file name -> seconds spent executing its cells.
NOTEBOOK_TIMES = {}


def pytest_terminal_summary(terminalreporter):
    if NOTEBOOK_TIMES:
        terminalreporter.section("notebook execution times (kernel start excluded)")
        for name, seconds in sorted(NOTEBOOK_TIMES.items()):
            terminalreporter.write_line(f"{name:<34} {seconds:6.1f} s")
        terminalreporter.write_line(f"{'all notebooks':<34} {sum(NOTEBOOK_TIMES.values()):6.1f} s")
