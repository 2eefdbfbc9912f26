"""Each claims file notices a broken helper: every mutant it keeps (MUTANTS) makes the claims it names fail.

A mutant is a plausible wrong version of a helper — a control removed or replaced, two labels swapped, a measurement
taken at the wrong place, a seed loop that reuses one seed.  It is applied in a fresh pytest process (conftest.py,
`pytest_collection_finish`), which then runs only the claims the mutant names and must report a failure.
"""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CLAIM_MUTANT_ENV

HERE = Path(__file__).resolve().parent
CLAIMS_FILES = sorted(HERE.glob("test_claims_[0-9][0-9]_*.py"))


def _mutants():
    cases = []
    for path in CLAIMS_FILES:
        module = importlib.import_module(path.stem)
        for name, (_, selection) in getattr(module, "MUTANTS", {}).items():
            cases.append((path, name, selection))
    return cases


CASES = _mutants()


def run_with_mutant(path, name, selection):
    env = dict(os.environ, **{CLAIM_MUTANT_ENV: f"{path.stem}:{name}"})
    return subprocess.run([sys.executable, "-m", "pytest", str(path), "-q", "-x", "-p", "no:cacheprovider",
                           "-k", selection, "-o", "addopts="], capture_output=True, text=True, env=env,
                          cwd=HERE.parent, timeout=900)


@pytest.mark.claims
@pytest.mark.parametrize("path, name, selection", CASES, ids=[f"{p.stem[12:]}:{n}" for p, n, _ in CASES])
def test_mutant_makes_its_claims_fail(path, name, selection):
    result = run_with_mutant(path, name, selection)
    tail = (result.stdout + result.stderr)[-3000:]
    # pytest exits 1 when tests ran and some failed; 0 means the claims did not notice, 2-5 that nothing ran properly
    assert result.returncode == 1, f"mutant {name!r} of {path.name}: pytest exit {result.returncode}\n{tail}"
    assert " failed" in result.stdout, tail


def test_every_mutant_names_claims_that_exist():
    for path, name, selection in CASES:
        assert selection.strip(), f"{path.name}: mutant {name!r} names no claims to run"
