"""Input checks shared by the rooms of `utils.batch_normalization` (built on utils.validation).

Private: nothing here is for learners, and nothing here imports from the topic.
"""

import numpy as np

from utils import validation

_MAX_STEPS = 1000                    # training steps per run: more would take far longer than a few seconds
_MAX_ELEMENTS = 1_000_000            # array elements accepted by the from-scratch layers


def _float_array(name, value, ndim=None, min_size=1, layout=""):
    """A finite float array; a float array that is passed in is returned as it is (float32 stays float32).

    ndim: the required number of dimensions, named in the message with `layout` (e.g. "(N, D)")."""
    checked = validation.array(name, value, min_size=min_size, max_size=_MAX_ELEMENTS)
    if ndim is not None and checked.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions {layout}, got shape {checked.shape} "
                         f"({checked.ndim} dimensions)")
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        return value
    return checked


def _affine(gamma, beta, shape, what):
    gamma, beta = _float_array("gamma", gamma, min_size=0), _float_array("beta", beta, min_size=0)
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != tuple(shape):
            raise ValueError(f"{name} must have shape {tuple(shape)} ({what}), got {p.shape}")
    return gamma, beta


def _eps(eps):
    return validation.finite_number("eps", eps, low=0, low_open=True, high=10.0)


def _momentum(momentum, name="momentum"):
    return validation.probability(name, momentum)


def _seeds(seeds, name="seeds"):
    return validation.seeds(name, seeds)


def _values(name, values, low, high, integer=False, most=12):
    """A tuple of 1..most numbers within [low, high] (whole numbers if `integer`)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a tuple of numbers, got {values!r}")
    check = validation.integer if integer else validation.finite_number
    out = tuple(check(name, v, low=low, high=high) for v in values)
    if not 1 <= len(out) <= most:
        raise ValueError(f"{name} must hold 1 to {most} values, got {len(out)}")
    return out


def _steps(steps, name="steps"):
    return validation.size(name, steps, high=_MAX_STEPS)


def _device_key(device):
    """The device as a string (hashable, for the caches below)."""
    return str(validation.device_value("device", device))


def _check_cache(cache, keys):
    if not isinstance(cache, dict) or not set(keys) <= set(cache):
        raise TypeError("cache must be the cache returned by the matching *_forward function")


def _shape2(name, shape, low=(2, 1), high=(64, 16)):
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise TypeError(f"{name} must be a pair (N, D), got {shape!r}")
    return tuple(validation.integer(name, v, low=lo, high=hi) for v, lo, hi in zip(shape, low, high))


def _check_sweep(sweep):
    if not isinstance(sweep, dict) or not {"x", "names", "setting"} <= set(sweep):
        raise TypeError("sweep must be the dict returned by lr_sweep or init_scale_sweep")
    return sweep
