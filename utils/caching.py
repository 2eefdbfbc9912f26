"""A result cache that hands every caller a copy of its own.

The course caches its slow experiments so that a notebook, its predictions and its tests train each configuration
once.  `functools.lru_cache` alone returns the very object it keeps: a learner who edits a result in place
(`runs["relu"].losses[0] = 0`, `x.mul_(0)`) would see that edit in every later call until the kernel restarts.
`cached` is `lru_cache` whose every call returns a deep copy of the kept result, so one experiment cannot corrupt
another:

    @cached(maxsize=8)
    def _lr_sweep(seed):
        ...

The copy costs far less than the computation it saves: a few ms for most cached results, but about 0.9 s for
`residual.degradation_runs`, which copies 27 trained nets (against about 23 s to train them); `cache_clear` and
`cache_info` work as with `lru_cache`.

Public function: cached.
"""

import copy
import functools

from utils.validation import size

__all__ = ["cached"]


def cached(maxsize=128):
    """Decorator: `functools.lru_cache(maxsize)` that returns a deep copy of the cached result on every call.

    maxsize: how many results to keep (1 to 4096), or None for no limit.  Arguments of the decorated function must
    be hashable, as for `lru_cache`.  The wrapped function keeps `cache_clear()` and `cache_info()`.
    """
    if maxsize is not None:
        maxsize = size("maxsize", maxsize, high=4096)

    def decorate(fn):
        kept = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def copy_of_kept(*args, **kwargs):
            return copy.deepcopy(kept(*args, **kwargs))

        copy_of_kept.cache_clear = kept.cache_clear
        copy_of_kept.cache_info = kept.cache_info
        return copy_of_kept

    return decorate
