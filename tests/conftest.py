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

# The course's notebooks: the English ones, then their Chinese twins (notebooks/zh/, same file names).
ENGLISH_NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHINESE_NOTEBOOKS = sorted((ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))
ALL_NOTEBOOKS = ENGLISH_NOTEBOOKS + CHINESE_NOTEBOOKS


def notebook_id(path):
    """'03_initialization' for an English notebook, 'zh-03_initialization' for its Chinese twin."""
    return f"zh-{path.stem}" if path.parent.name == "zh" else path.stem


def notebook_ref(path):
    """The notebook's path below notebooks/ ('03_x.ipynb' or 'zh/03_x.ipynb'): what its badges open."""
    return path.relative_to(ROOT / "notebooks").as_posix()


# Claim mutants (issue 26): a claims file keeps plausible wrong versions of the helpers it tests in
# MUTANTS = {"name": (patch, "pytest -k expression of the claims it must break")}; `patch()` monkeypatches the helper
# for the whole process.  tests/test_claim_mutants.py runs the named claims in a subprocess with
# COURSE_CLAIM_MUTANT="<claims file stem>:<name>" and expects them to fail.
CLAIM_MUTANT_ENV = "COURSE_CLAIM_MUTANT"


def pytest_collection_finish(session):
    spec = os.environ.get(CLAIM_MUTANT_ENV)
    if not spec:
        return
    stem, _, name = spec.partition(":")
    module = sys.modules.get(stem)
    if module is None or name not in getattr(module, "MUTANTS", {}):
        raise RuntimeError(f"{CLAIM_MUTANT_ENV}={spec!r}: no mutant {name!r} in tests/{stem}.py (collect that file)")
    module.MUTANTS[name][0]()
