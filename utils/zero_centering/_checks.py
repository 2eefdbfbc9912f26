"""Private input checks shared by the rooms of `utils.zero_centering` (nothing here is for learners).

Each turns a learner's argument into the value the helpers trust, or raises a TypeError/ValueError naming it.
"""

from utils import validation

_MAX_ROWS = 100_000       # the largest data sets the helpers accept (memory and time stay small)


def _as_matrix(x, name="x", min_rows=1):
    """x as a finite float64 NumPy array of shape (n, d); clear errors otherwise."""
    x = validation.array(name, x, ndim=2, max_size=_MAX_ROWS * 100)
    if x.shape[0] < min_rows or x.shape[1] < 1:
        raise ValueError(f"{name} needs at least {min_rows} row(s) and 1 feature, got shape {x.shape}")
    if x.shape[0] > _MAX_ROWS:
        raise ValueError(f"{name} has {x.shape[0]} rows, at most {_MAX_ROWS} are accepted: {validation.SIZE_NOTE}")
    return x


def _as_vector(v, length, name):
    v = validation.array(name, v, ndim=1)
    if v.shape != (length,):
        raise ValueError(f"{name} must have {length} entries, got shape {v.shape}")
    return v


def _lr(lr, name="lr"):
    return validation.finite_number(name, lr, low=0, low_open=True)


def _seed(seed):
    return validation.seed_value("seed", seed)


def _lr_scale(lr_scale):
    return validation.finite_number("lr_scale", lr_scale, low=0, high=2, low_open=True, high_open=True)


def _offset(offset, name="offset"):
    return validation.finite_number(name, offset, low=-100, high=100)


def _offsets(offsets):
    if isinstance(offsets, (str, bytes)) or not hasattr(offsets, "__iter__"):
        raise TypeError(f"offsets must be a list of numbers, got {offsets!r}")
    out = tuple(_offset(m, "offsets") for m in offsets)
    if not out or len(out) > 200:
        raise ValueError(f"offsets must hold 1 to 200 numbers, got {len(out)}")
    return out
