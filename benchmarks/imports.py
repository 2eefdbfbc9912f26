"""Import time of `utils` and of each topic module, each measured in a fresh interpreter."""

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_TEMPLATE = """\
import sys, time
sys.path[:0] = {paths!r}
{preload}
start = time.perf_counter()
import {name}
print(repr(time.perf_counter() - start))
"""


def module_ref(ref):
    """Split a module reference into (import name, folders to put on sys.path).

    ref: a dotted name importable from the repository root ("utils.activations"), or the path of a
    .py file anywhere (imported by its file name, with its folder on sys.path).
    """
    if not isinstance(ref, (str, Path)) or not str(ref):
        raise TypeError(f"a module reference must be a dotted name or a .py path, got {ref!r}")
    text = str(ref)
    if text.endswith(".py"):
        path = Path(text).resolve()
        if not path.is_file():
            raise ValueError(f"module file {text!r} does not exist")
        return path.stem, [str(path.parent), str(ROOT)]
    return text, [str(ROOT)]


def time_import(ref, preload=(), timeout=120):
    """Seconds to import `ref` in a fresh interpreter, after importing the modules in `preload` (untimed).

    The interpreter's own start-up is not counted.  Raises RuntimeError with the child's stderr if the
    import fails.
    """
    name, paths = module_ref(ref)
    lines = "\n".join(f"import {module_ref(p)[0]}" for p in preload)
    code = _TEMPLATE.format(paths=paths, preload=lines, name=name)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"importing {name} failed:\n{proc.stderr.strip()[-2000:]}")
    return float(proc.stdout.strip().splitlines()[-1])


def import_times(ref, runs=3, preload=("utils",)):
    """Median import time of `ref` over `runs` fresh interpreters, cold and on top of `preload`.

    cold_s: `import <ref>` in a bare interpreter (what the set-up cell of a notebook pays);
    own_s:  the same after `preload` is already imported, so torch & co. are not counted again
            (the module's own cost and whatever it adds beyond the shared stack).
    Returns {"cold_s", "own_s", "cold_runs_s", "own_runs_s", "error"}.
    """
    if not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive integer, got {runs!r}")
    out = {"cold_s": None, "own_s": None, "cold_runs_s": [], "own_runs_s": [], "error": None}
    try:
        for _ in range(runs):
            out["cold_runs_s"].append(time_import(ref))
            if preload:
                out["own_runs_s"].append(time_import(ref, preload=preload))
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
        out["error"] = str(exc)
        return out
    out["cold_s"] = statistics.median(out["cold_runs_s"])
    if out["own_runs_s"]:
        out["own_s"] = statistics.median(out["own_runs_s"])
    return out
