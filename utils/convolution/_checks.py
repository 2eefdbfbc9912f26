"""Private input checks shared by the rooms of `utils.convolution`: whole numbers within limits, lists of them,
(h, w) pairs, 4-D tensors and the caches the `*_forward` functions return.

The limits keep a mistyped call from asking for more memory or time than a laptop has; nothing here is maths.
"""

from utils import validation

_MAX_SIDE = 4096        # image sides, channel counts and kernel sizes above this are refused (memory and time)
_MAX_CHANNELS = 8192
_MAX_ELEMENTS = 20_000_000   # a from-scratch input or weight above this many numbers is refused (kernel memory)


def _side(name, value, low=1, high=_MAX_SIDE):
    return validation.integer(name, value, low=low, high=high)


def _sequence(name, value):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a list of whole numbers, got {value!r}")
    if not 1 <= len(value) <= 1000:
        raise ValueError(f"{name} must have between 1 and 1000 entries, got {len(value)}")
    return list(value)


def _pair(name, value):
    """A kernel/stride/... given as an int or an (h, w) pair."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got {value!r}")
        return tuple(value)
    return (value, value)


def _groups(groups, c_in, c_out):
    groups = _side("groups", groups, high=_MAX_CHANNELS)
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups must divide both c_in ({c_in}) and c_out ({c_out}), got {groups}")
    return groups


def _x4(name, x):
    return validation.tensor(name, x, ndim=4, max_size=_MAX_ELEMENTS)


def _same_dtype(x, **others):
    """Refuse tensors whose dtype differs from x's (torch would say only "expected scalar type Float but found
    Double"); None entries are skipped."""
    for name, t in others.items():
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"{name} is {t.dtype} but x is {x.dtype}: give both the same dtype "
                            f"(e.g. {name}.to(x.dtype))")


def _cache(name, cache, length):
    if not isinstance(cache, tuple) or len(cache) != length:
        raise TypeError(f"{name} must be the cache returned by the matching *_forward function, got "
                        f"{type(cache).__name__}")
    return cache
