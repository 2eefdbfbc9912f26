"""Bad input gets a clear answer: every public helper of `utils`, fed one bad argument at a time.

A module's public surface is its `__all__`; everything else in it is private (`_name`).  For each public function
(or class) the test makes one valid call, taken from the parameter defaults plus, for required parameters, the
module's entry in `BAD_INPUT_BASE` (a dict in `tests/test_<module>.py`: name -> function returning valid keyword
arguments).  It then makes each parameter bad in turn and expects a `TypeError` or `ValueError` whose message names the
parameter, within a time limit:

- a number: NaN, +inf, -inf, a string, None (unless None is its default); a whole number also 2.5 and 10**9 (too
  large: sizes are bounded); a size or a learning rate (by its name: `SIZE`, `RATE`) also 0 and -1; a probability
  or fraction (`PROBABILITY`) also -0.1 and 1.5;
- a name (string): an unknown name and a number;
- True/False: a string;
- a seed: -1, 2.5 and None; a device: 'tpu' and 3;
- an array or tensor: one with a NaN in it, one with an extra dimension, an empty one, and None;
- a tuple or list: an empty one, None, and, for one of numbers or names, one with a bad last element (NaN, an unknown
  name) and, for numbers, a string;
- a dict: an empty one and None.

An exercise checker (`check_…`) may instead answer a bad value the way it answers any wrong answer: by printing what
is off and returning False (never True, never a crash from deep inside).

A valid call must return finite numbers only (no silent NaN or inf).  `BAD_INPUT_ALLOW` in a module's test file lists
what is exempt, each with the reason: (function, parameter) for a whole parameter, (function, parameter, label) for one
bad value that is in fact valid there (e.g. batch_size=None meaning "the whole set"), (function, "<result>") for a
result that may legitimately be infinite or NaN: a diverged run reported as NaN beside a `diverged` flag is a fine
design, not a silent NaN.
"""

import dataclasses
import importlib
import inspect
import math
import re
import signal
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks.course import utils_modules

ROOT = Path(__file__).resolve().parents[1]
MODULES = utils_modules(ROOT / "utils")
# Parameters that are plumbing rather than values a learner chooses.
PLUMBING = {"fig", "ax", "axes", "kwargs", "args", "self"}
TIME_LIMIT_S = 20
# Free text (labels, titles, messages): any string is valid, so only a non-string is bad.
TEXT = {"description", "what", "message_if_wrong", "message_if_right", "title", "label", "question", "why",
        "readout_format", "xlabel", "ylabel"}


def _test_module(module):
    try:
        return importlib.import_module(f"test_{module}")
    except ModuleNotFoundError:
        return None


def checked_modules():
    """The utils modules whose test file declares BAD_INPUT_BASE (the declaration opts a module into this test)."""
    return [m for m in MODULES if hasattr(_test_module(m), "BAD_INPUT_BASE")]


def public_callables(module):
    mod = importlib.import_module(f"utils.{module}")
    # Data containers (dataclasses such as Split or History) are built by the helpers, not called by learners.
    return [(name, getattr(mod, name)) for name in getattr(mod, "__all__", [])
            if callable(getattr(mod, name)) and not dataclasses.is_dataclass(getattr(mod, name))]


class _Timeout(Exception):
    pass


def _call(fn, kwargs):
    def on_alarm(*_):
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TIME_LIMIT_S)
    try:
        return fn(**kwargs)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# Counts of things (layers, units, samples, steps, sizes) and learning rates: 0 and -1 are bad too.  Probabilities
# (and fractions) must lie in [0, 1].  Names, not types, say which parameter is which.
SIZE = re.compile(r"^(n|n_.*|.*_size|size|.*steps|steps_.*|width|depth|epochs|kernel|stride|dilation|groups|bins"
                  r"|base|budget|.*_every|n_layers|c_in|c_out|h_out|w_out|k)$")
RATE = re.compile(r"^(lr|.*_lr|lr_.*)$")
PROBABILITY = re.compile(r"^(p|dropout|label_noise|.*_prob|keep|fraction|.*_fraction)$")


def _numbers(name, value):
    out = []
    if SIZE.match(name) or RATE.match(name):
        out += [("0", 0), ("-1", -1)]
    if PROBABILITY.match(name):
        out += [("-0.1", -0.1), ("1.5", 1.5)]
    return out


def _sequence_values(name, value):
    """Bad versions of a valid tuple or list: empty, not a sequence, and one bad element of the same kind."""
    out = [("empty", type(value)())]
    first = value[0]
    if isinstance(first, bool) or not isinstance(first, (int, float, str, np.integer, np.floating)):
        return out
    bad_item = "no-such-name" if isinstance(first, str) else math.nan
    out.append(("bad element", type(value)([*value[:-1], bad_item])))
    if not isinstance(first, str):
        out.append(("a string", "abc"))
    return out


def bad_values(name, value):
    """(label, bad value) pairs for a parameter whose valid value is `value`."""
    if name == "seed" or name.endswith("_seed"):
        return [("-1", -1), ("2.5", 2.5), ("None", None)]
    if name == "device":
        return [("'tpu'", "tpu"), ("3", 3)]
    if isinstance(value, bool):
        return [("'yes'", "yes")]
    if isinstance(value, (int, np.integer)):
        return [("2.5", 2.5), ("10**9", 10**9), ("nan", math.nan), ("'abc'", "abc"), ("None", None),
                *_numbers(name, value)]
    if isinstance(value, (float, np.floating)):
        return [("nan", math.nan), ("inf", math.inf), ("-inf", -math.inf), ("'abc'", "abc"), ("None", None),
                *_numbers(name, value)]
    if isinstance(value, str):
        return [("3", 3)] if name in TEXT else [("unknown name", "no-such-name"), ("3", 3)]
    if isinstance(value, np.ndarray) and value.size and np.issubdtype(value.dtype, np.floating):
        with_nan = value.copy()
        with_nan.flat[0] = np.nan
        return [("NaN inside", with_nan), ("extra dimension", value[None, ...]), ("None", None),
                ("empty", value[:0])]
    if isinstance(value, torch.Tensor) and value.numel() and value.is_floating_point():
        with_nan = value.clone()
        with_nan.view(-1)[0] = float("nan")
        return [("NaN inside", with_nan), ("extra dimension", value[None, ...]), ("None", None),
                ("empty", value[:0])]
    if isinstance(value, (tuple, list)) and value and not hasattr(value, "_fields"):
        return [*_sequence_values(name, value), ("None", None)]
    if isinstance(value, dict) and value:
        return [("empty", {}), ("None", None)]
    return []


def valid_call(module, name, fn):
    """Keyword arguments for one valid call: the defaults, overridden by BAD_INPUT_BASE's entry."""
    base = getattr(_test_module(module), "BAD_INPUT_BASE", {})
    params = inspect.signature(fn).parameters
    kwargs = {p.name: p.default for p in params.values()
              if p.default is not inspect.Parameter.empty and p.name not in PLUMBING}
    if name in base:
        kwargs.update(base[name]())
    missing = [p.name for p in params.values() if p.default is inspect.Parameter.empty and p.name not in kwargs
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in PLUMBING]
    return kwargs, missing


def cases():
    out = []
    for module in checked_modules():
        for name, _fn in public_callables(module):
            out.append(pytest.param(module, name, id=f"{module}.{name}"))
    return out


def _finite(value, seen=0):
    if seen > 3:
        return True
    if isinstance(value, (bool, str, type(None))):
        return True
    if isinstance(value, (int, float, np.number)):
        return bool(np.isfinite(value))
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.number):
        return bool(np.all(np.isfinite(value)))
    if isinstance(value, torch.Tensor) and value.dtype.is_floating_point:
        return bool(torch.isfinite(value).all())
    if isinstance(value, dict):
        return all(_finite(v, seen + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_finite(v, seen + 1) for v in value[:1000])
    return True


# The validators themselves take (argument name, value) pairs: their behaviour on bad values is what
# tests/test_validation.py checks, one validator at a time.
NOT_FUZZED = {"validation": "its functions are the checks themselves (tests/test_validation.py)"}


def test_every_utils_module_joins_this_test():
    missing = [m for m in MODULES if m not in checked_modules() and m not in NOT_FUZZED]
    assert not missing, f"define BAD_INPUT_BASE in tests/test_<module>.py for {missing}"


def test_every_module_names_its_public_surface():
    for module in MODULES:
        mod = importlib.import_module(f"utils.{module}")
        assert hasattr(mod, "__all__"), f"utils/{module}.py has no __all__: list what notebooks and learners call"
        for name in mod.__all__:
            assert hasattr(mod, name), f"utils.{module}.__all__ lists {name!r}, which does not exist"
        unlisted = sorted(set(_own_public_names(mod)) - set(mod.__all__))
        assert not unlisted, f"utils.{module} defines public {unlisted} but __all__ omits them: list or make private"


def _own_public_names(mod):
    """Functions and classes without a leading underscore that a module defines; for a topic package, those its
    rooms (submodules) define: the package's __all__ is the public surface of every room."""
    rooms = [mod]
    if hasattr(mod, "__path__"):
        files = sorted(Path(mod.__path__[0]).glob("*.py"))
        rooms += [importlib.import_module(f"{mod.__name__}.{p.stem}") for p in files if p.stem != "__init__"]
    return [f"{room.__name__.rsplit('.', 1)[-1]}.{n}" if room is not mod else n
            for room in rooms for n, v in vars(room).items()
            if not n.startswith("_") and (inspect.isfunction(v) or inspect.isclass(v))
            and getattr(v, "__module__", None) == room.__name__ and (room is mod or n not in mod.__all__)]


@pytest.mark.parametrize("module, name", cases())
def test_bad_arguments_are_refused_with_a_message_that_names_them(module, name):
    fn = getattr(importlib.import_module(f"utils.{module}"), name)
    allow = getattr(_test_module(module), "BAD_INPUT_ALLOW", {})
    kwargs, missing = valid_call(module, name, fn)
    assert not missing, (f"utils.{module}.{name} needs {missing}: add a valid call to BAD_INPUT_BASE in "
                         f"tests/test_{module}.py")
    result = _call(fn, dict(kwargs))
    if (name, "<result>") not in allow:
        assert _finite(result), f"{name}({kwargs}) returned NaN or infinity for valid input"
    failures = []
    for param, good in kwargs.items():
        if param in PLUMBING or (name, param) in allow:
            continue
        default = inspect.signature(fn).parameters[param].default
        for label, bad in bad_values(param, good):
            if (bad is None and default is None) or (name, param, label) in allow:
                continue
            try:
                returned = _call(fn, {**kwargs, param: bad})
            except _Timeout:
                failures.append(f"{param}={label}: no answer within {TIME_LIMIT_S} s")
            except (TypeError, ValueError) as exc:
                if param not in str(exc):
                    failures.append(f"{param}={label}: the message does not name {param!r}: {exc}")
            except Exception as exc:  # noqa: BLE001 - any other failure is the finding
                failures.append(f"{param}={label}: {type(exc).__name__} from deep inside: {exc}"[:300])
            else:
                if not (name.startswith("check_") and returned is False):
                    failures.append(f"{param}={label}: accepted silently")
    assert not failures, f"utils.{module}.{name}:\n  " + "\n  ".join(failures)
