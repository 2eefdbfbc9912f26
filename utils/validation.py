"""One set of input checks for every public helper of the course.

Each check takes the argument's name and value, returns the value in a clean form (a Python float or int, a NumPy
array, a torch tensor or device), and otherwise raises `TypeError` (wrong kind of value) or `ValueError` (right kind,
wrong value) with a message that names the argument, the value received and what is accepted.  Public helpers call
them first thing, so a learner's typo is answered at the boundary and not deep inside NumPy, torch or matplotlib.

    lr = finite_number("lr", lr, low=0, low_open=True)
    depth = integer("depth", depth, low=1, high=200)
    seed = seed_value("seed", seed)

Public functions: finite_number, probability, integer, size, seed_value, seeds, sequence, record, one_of, boolean,
device_value, array, tensor, finite_result.
"""

import math
import numbers

import numpy as np

# Sizes (widths, sample counts, steps) above a check's `high` would take far more than a few seconds or approach the
# 1.5 GB a course kernel may use; this sentence ends every message about a size that is too large.
SIZE_NOTE = "larger values would take far longer than a few seconds or exceed the course's memory budget"


def _show(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _range_text(low, high, low_open, high_open):
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return " and ".join(parts)


def _scalar(name, value):
    """A Python number from a number, a 0-d NumPy array or a one-element torch tensor; TypeError otherwise."""
    if _is_real(value):
        return value
    if type(value).__module__.startswith(("numpy", "torch")) and getattr(value, "ndim", None) == 0:
        item = value.item()
        if _is_real(item):
            return item
    raise TypeError(f"{name} must be a number, got {_show(value)} ({type(value).__name__})")


def finite_number(name, value, low=None, high=None, low_open=False, high_open=False):
    """A finite real number within [low, high] (bounds optional; `*_open=True` excludes the bound). Returns a float."""
    value = float(_scalar(name, value))
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {_range_text(low, high, low_open, high_open)}, got {value:g}")
    return value


def probability(name, value, allow_zero=True, allow_one=True):
    """A probability in [0, 1] (exclude an end with allow_zero/allow_one=False). Returns a float."""
    return finite_number(name, value, low=0.0, high=1.0, low_open=not allow_zero, high_open=not allow_one)


def integer(name, value, low=None, high=None):
    """A whole number (int or NumPy integer; not a bool, not 2.5 nor 2.0) within [low, high]. Returns an int.

    A value above `high` is refused with a message that says why sizes are bounded.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if _is_real(value):
            raise TypeError(f"{name} must be a whole number, got {_show(value)}")
        raise TypeError(f"{name} must be a whole number, got {_show(value)} ({type(value).__name__})")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be {_range_text(low, high, False, False)}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be {_range_text(low, high, False, False)}, got {value}: {SIZE_NOTE}")
    return value


def size(name, value, high, low=1):
    """A count of things (layers, units, samples, steps): a whole number in [low, high]. Returns an int."""
    return integer(name, value, low=low, high=high)


def seed_value(name, value):
    """A seed: a whole number in [0, 2**32). None is refused, because it would give different numbers every run."""
    if value is None:
        raise TypeError(f"{name} must be a whole number in [0, 2**32) so that results repeat; got None")
    return integer(name, value, low=0, high=2**32 - 1)


def seeds(name, value, high=10):
    """A few seeds for an experiment repeated over seeds: a tuple of 1 to `high` seeds (each as `seed_value`)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a tuple of seeds, e.g. (0, 1, 2), got {_show(value)}")
    out = tuple(seed_value(name, s) for s in value)
    if not 1 <= len(out) <= high:
        why = ": more would take too long" if out else ""
        raise ValueError(f"{name} must hold 1 to {high} seeds, got {len(out)}{why}")
    return out


def sequence(name, value, item, low=1, high=None):
    """A tuple or list of `low` to `high` values, each checked by `item(name, value)` (e.g. `integer` with bounds).
    Returns a tuple of the checked values.  A string, a dict or a single number is refused, as is an empty one."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a tuple or list, got {_show(value)} ({type(value).__name__})")
    out = tuple(item(name, v) for v in value)
    if len(out) < low or (high is not None and len(out) > high):
        most = f" to {high}" if high is not None else " or more"
        raise ValueError(f"{name} must hold {low}{most} values, got {len(out)}")
    return out


def record(name, value, keys, made_by):
    """A result handed back to a helper (a plot of an experiment's result): a dict holding every one of `keys`.
    made_by names the function that returns such a dict, for the message (e.g. "saddle_runs()").  Returns value."""
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be the dict returned by {made_by}, got {_show(value)} ({type(value).__name__})")
    missing = [k for k in keys if k not in value]
    if missing:
        raise ValueError(f"{name} must be the dict returned by {made_by}, but it has no "
                         f"{', '.join(map(repr, missing))}")
    return value


def one_of(name, value, options):
    """One of a fixed set of names or values; the message lists them. Returns the value."""
    options = tuple(options)
    try:
        ok = value in options
    except TypeError:  # an unhashable value asked about a set
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {_show(value)}")
    return value


def boolean(name, value):
    """True or False (or a NumPy bool). Returns a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_show(value)}")
    return bool(value)


def device_value(name, value):
    """A torch.device from None (the course's choice, `pick_device`), a name ('cpu', 'cuda', 'cuda:0', 'mps') or a
    torch.device.  A device that is not present here is refused with the same message `pick_device` gives."""
    import torch

    from utils.device import KNOWN, pick_device

    if value is None:
        return pick_device(verbose=False)
    if isinstance(value, torch.device):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise TypeError(f"{name} must be a device name (one of {KNOWN}) or a torch.device, got {_show(value)}")
    kind, _, index = text.strip().lower().partition(":")
    if kind not in KNOWN or (index and not index.isdigit()):
        raise ValueError(f"{name} must be one of {KNOWN} (optionally with an index, e.g. 'cuda:0'), got {_show(value)}")
    try:
        device = pick_device(kind, verbose=False)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    if index:
        if device.type == "cuda" and int(index) >= torch.cuda.device_count():
            raise ValueError(f"{name}: there is no {text!r} here ({torch.cuda.device_count()} CUDA device(s))")
        device = torch.device(f"{device.type}:{index}")
    return device


def _check_shape(name, shape, ndim, shape_spec):
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if len(shape) not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {tuple(shape)}")
    if shape_spec is not None:
        if len(shape) != len(shape_spec) or any(s is not None and s != t for s, t in zip(shape_spec, shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape_spec) + ")"
            raise ValueError(f"{name} must have shape {want}, got {tuple(shape)}")


def array(name, value, ndim=None, shape=None, finite=True, min_size=1, max_size=None):
    """A float NumPy array from a list, array or CPU tensor.

    ndim: required number of dimensions (an int or a tuple of allowed ints); shape: a tuple whose None entries match
    any length; finite: refuse NaN and ±inf; min_size / max_size: bounds on the number of elements.
    """
    if value is None or isinstance(value, (str, bytes, dict)):
        raise TypeError(f"{name} must be an array of numbers, got {_show(value)}")
    if type(value).__module__.startswith("torch"):
        value = value.detach().cpu().numpy()
    try:
        out = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {_show(value)}") from None
    _check_shape(name, out.shape, ndim, shape)
    if out.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} element(s), got shape {out.shape}")
    if max_size is not None and out.size > max_size:
        raise ValueError(f"{name} has {out.size} elements, at most {max_size} are accepted: {SIZE_NOTE}")
    if finite and not np.all(np.isfinite(out)):
        raise ValueError(f"{name} contains NaN or infinity")
    return out


def tensor(name, value, ndim=None, shape=None, finite=True, min_size=1, max_size=None, dtype=None):
    """A torch tensor from a tensor, array or list, with the same checks as `array` (floating dtype kept).

    dtype: convert to this torch dtype (default: keep a floating tensor's dtype, make anything else float32).
    """
    import torch

    if value is None or isinstance(value, (str, bytes, dict)):
        raise TypeError(f"{name} must be a tensor of numbers, got {_show(value)}")
    if not isinstance(value, torch.Tensor):
        try:
            value = torch.as_tensor(np.asarray(value, dtype=float), dtype=torch.float32)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a tensor of numbers, got {_show(value)}") from None
    if dtype is not None:
        value = value.to(dtype)
    elif not value.is_floating_point():
        value = value.float()
    _check_shape(name, tuple(value.shape), ndim, shape)
    if value.numel() < min_size:
        raise ValueError(f"{name} must have at least {min_size} element(s), got shape {tuple(value.shape)}")
    if max_size is not None and value.numel() > max_size:
        raise ValueError(f"{name} has {value.numel()} elements, at most {max_size} are accepted: {SIZE_NOTE}")
    if finite and not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} contains NaN or infinity")
    return value


def finite_result(what, value):
    """Raise a clear error when a computation produced NaN or inf (say what was computed and what to try).

    For results that can legitimately blow up (a diverging run, an exploding gradient), callers should report the
    blow-up in the result itself instead (e.g. a `diverged` flag); this check is for results that must be finite.
    """
    arr = value.detach().cpu().numpy() if type(value).__module__.startswith("torch") else np.asarray(value, float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} is not finite (NaN or infinity): the settings overflow float arithmetic; "
                         f"try a smaller scale, depth or learning rate")
    return value


__all__ = ["finite_number", "probability", "integer", "size", "seed_value", "seeds", "sequence", "record", "one_of",
           "boolean",
           "device_value", "array", "tensor", "finite_result", "SIZE_NOTE"]
