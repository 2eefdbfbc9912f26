"""A learner's experiments cannot corrupt each other: no helper hands out an object it keeps (issue 32, item 1).

Many helpers cache their results (`functools.lru_cache`) so that a notebook, its predictions and its tests train each
configuration once.  If a helper returned the very object it caches, a learner's in-place edit
(`p = activation_profile(); p.std[0] = 123`) would come back in every later call until the kernel restarts.

For every public callable of every utils module that joins the bad-input test, this test makes the same valid call as
`tests/test_bad_input.py` (its `valid_call` and the modules' `BAD_INPUT_BASE`), keeps a pristine deep copy of the
result, edits the result in place everywhere it can -- every NumPy array and torch tensor is overwritten, every list
gets an extra item, every dict an extra key, every (non-frozen) dataclass record a rebound field, every torch module's
parameters and buffers are overwritten -- then calls again and checks that the second result equals the pristine copy.
A read-only NumPy array that refuses the edit is fine too (it cannot be changed).

What is not edited: numbers, strings and other immutable values; a matplotlib Figure or a widget (a view is drawn
afresh by each call; its artists are not a result a learner edits); any other object that is none of the containers
above.  A result with nothing editable in it is not called twice.  Nothing is exempt; the one thing not compared is
a wall-clock measurement (`WALL_CLOCK`: seconds differ from call to call).  Both calls start from the same state of
torch's global generator, so that a constructor (a new layer, initialised from it) gives equal objects twice.
"""

import copy
import dataclasses
import importlib
import math
import reprlib

import numpy as np
import pytest
import torch
from test_bad_input import _call, checked_modules, public_callables, valid_call

# (module, callable) -> the keys, anywhere in the result, of wall-clock measurements: they differ from call to call,
# so they are not compared (everything else in the result is).
WALL_CLOCK = {("optimization", "batch_size_table"): {"seconds"}}

_EDITED = "edited-by-the-learner"


def _dataclass_instance(value):
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def edit_in_place(value, seen=None):
    """Overwrite every array and tensor inside `value`, extend every list and dict, rebind each dataclass field.
    Returns how many things were edited (0: nothing in the result can be edited)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return sum(edit_in_place(v, seen) for v in value.flat)
        if not value.flags.writeable:
            with pytest.raises(ValueError, match="read-only"):
                value.flat[0] = 0
            return 0
        if value.dtype == bool:
            np.logical_not(value, out=value)
        elif value.size:
            value[...] = 123
        return 1
    if isinstance(value, torch.Tensor):
        if value.is_meta:  # no values to edit
            return 0
        with torch.no_grad():
            if value.dtype == torch.bool:
                value.logical_not_()
            elif value.numel():
                value.fill_(123)
        return 1
    if isinstance(value, torch.nn.Module):
        return sum(edit_in_place(t, seen) for t in value.state_dict(keep_vars=True).values())
    if isinstance(value, dict):
        edited = sum(edit_in_place(v, seen) for v in list(value.values()))
        value[_EDITED] = _EDITED
        return edited + 1
    if isinstance(value, list):
        edited = sum(edit_in_place(v, seen) for v in value)
        value.append(_EDITED)
        return edited + 1
    if isinstance(value, tuple):
        return sum(edit_in_place(v, seen) for v in value)
    if _dataclass_instance(value):
        fields = dataclasses.fields(value)
        edited = sum(edit_in_place(getattr(value, f.name), seen) for f in fields)
        if fields and not type(value).__dataclass_params__.frozen:
            setattr(value, fields[0].name, _EDITED)
            edited += 1
        return edited
    return 0


def snapshot(value, memo=None):
    """A deep copy of everything `edit_in_place` edits (the rest, e.g. figures and widgets, is kept as it is)."""
    memo = {} if memo is None else memo
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, np.ndarray):
        out = np.array([snapshot(v, memo) for v in value.flat], dtype=object).reshape(value.shape) \
            if value.dtype == object else value.copy()
    elif isinstance(value, torch.Tensor):
        out = value.detach().clone()
    elif isinstance(value, torch.nn.Module):
        out = {k: v.detach().clone() for k, v in value.state_dict().items()}
    elif isinstance(value, dict):
        out = {k: snapshot(v, memo) for k, v in value.items()}
    elif isinstance(value, list):
        out = [snapshot(v, memo) for v in value]
    elif isinstance(value, tuple):
        items = [snapshot(v, memo) for v in value]
        out = type(value)(*items) if hasattr(value, "_fields") else type(value)(items)  # torch.Size too
    elif _dataclass_instance(value):
        out = copy.copy(value)
        for f in dataclasses.fields(value):
            object.__setattr__(out, f.name, snapshot(getattr(value, f.name), memo))
    else:
        out = value
    memo[id(value)] = out
    return out


def same(a, b, where="result", ignore=frozenset()):
    """None if `b` equals `a` (the pristine copy), else where and how they differ; dict keys in `ignore` are skipped."""
    if isinstance(a, np.ndarray):
        if not isinstance(b, np.ndarray) or a.shape != b.shape:
            return f"{where}: {type(b).__name__} {getattr(b, 'shape', '')} instead of an array of shape {a.shape}"
        equal = np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        return None if equal else f"{where}: the array's values changed"
    if isinstance(a, torch.Tensor):
        if not isinstance(b, torch.Tensor) or a.shape != b.shape:
            return f"{where}: {type(b).__name__} instead of a tensor of shape {tuple(a.shape)}"
        if a.is_meta or b.is_meta:  # a shape without values (a model built to count its parameters)
            return None if a.is_meta == b.is_meta and a.dtype == b.dtype else f"{where}: a different tensor"
        equal = torch.equal(a, b) or (a.is_floating_point() and bool(((a == b) | (a.isnan() & b.isnan())).all()))
        return None if equal else f"{where}: the tensor's values changed"
    if isinstance(b, torch.nn.Module):  # the snapshot of a module is its state_dict
        return same(a, b.state_dict(), f"{where}.state_dict()", ignore)
    if isinstance(a, dict):
        if not isinstance(b, dict) or set(a) != set(b):
            return f"{where}: keys {sorted(map(str, b))} instead of {sorted(map(str, a))}"
        return next((d for k in a if k not in ignore and (d := same(a[k], b[k], f"{where}[{k!r}]", ignore))), None)
    if isinstance(a, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            return f"{where}: {type(b).__name__} of {len(b)} items instead of {len(a)}"
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := same(x, y, f"{where}[{i}]", ignore))), None)
    if _dataclass_instance(a):
        return next((d for f in dataclasses.fields(a)
                     if (d := same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}", ignore))), None)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return None
    if isinstance(a, (bool, int, float, str, bytes, type(None), np.number, np.bool_)):
        return None if a == b else f"{where}: {b!r} instead of {a!r}"
    return None  # a figure, widget or other object: not edited above, so not compared


def _seeded_call(fn, kwargs):
    # torch initialises a new layer from its global generator: both calls start from the same state of it, so that a
    # constructor (a fresh object by nature) gives equal objects twice.
    torch.manual_seed(0)
    return _call(fn, kwargs)


def _shown(kwargs):
    return ", ".join(f"{k}={reprlib.repr(v)}" for k, v in kwargs.items())


def cases():
    return [pytest.param(module, name, id=f"{module}.{name}")
            for module in checked_modules() for name, _fn in public_callables(module)]


@pytest.mark.parametrize("module, name", cases())
def test_editing_a_result_in_place_does_not_change_the_next_call(module, name):
    fn = getattr(importlib.import_module(f"utils.{module}"), name)
    kwargs, missing = valid_call(module, name, fn)
    assert not missing, f"utils.{module}.{name} needs {missing}: see tests/test_bad_input.py"
    first = _seeded_call(fn, kwargs)
    pristine = snapshot(first)
    if not edit_in_place(first):
        return
    try:
        second = _seeded_call(fn, valid_call(module, name, fn)[0])  # fresh arguments: a helper may train its model
    except Exception as exc:  # noqa: BLE001 - the edit reached the helper's cache and broke it
        pytest.fail(f"utils.{module}.{name}({_shown(kwargs)}) hands out an object it keeps: after an in-place edit "
                    f"of one result, the next call fails: {type(exc).__name__}: {exc}"[:600])
    difference = same(pristine, second, ignore=WALL_CLOCK.get((module, name), frozenset()))
    assert difference is None, (f"utils.{module}.{name}({_shown(kwargs)}) hands out an object it keeps: after an "
                                f"in-place edit of one result, the next call's {difference}")
