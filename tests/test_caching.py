"""utils.caching.cached: lru_cache that hands every caller a copy of its own (issue 32)."""

import time

import numpy as np
import torch

from utils.caching import cached


def test_an_edited_result_does_not_come_back_in_the_next_call():
    calls = []

    @cached(maxsize=4)
    def run(seed):
        calls.append(seed)
        return {"x": np.zeros(3), "t": torch.zeros(2), "rows": [1, 2]}

    first = run(0)
    first["x"][0] = 123
    first["t"].add_(1)
    first["rows"].append(3)
    first["extra"] = True
    second = run(0)
    assert calls == [0], "computed once, then served from the cache"
    assert set(second) == {"x", "t", "rows"} and second["rows"] == [1, 2]
    assert not second["x"].any() and not second["t"].any()
    assert run.cache_info().hits == 1
    run.cache_clear()
    run(0)
    assert calls == [0, 0]


def test_the_copy_is_cheap_next_to_the_largest_cached_results():
    """The largest cached results are the digits arrays (1,797 x 64 float64, 0.9 MB) and a dict of trained models;
    copying such a result must cost milliseconds, not the seconds the cache saves."""
    @cached(maxsize=1)
    def big():
        return {"x": np.random.default_rng(0).standard_normal((1797, 64)),
                "models": {k: torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.Linear(256, 10)) for k in "abcd"}}

    big()
    start = time.perf_counter()
    for _ in range(20):
        big()
    per_call = (time.perf_counter() - start) / 20
    assert per_call < 0.05, f"copying a cached result took {per_call * 1e3:.1f} ms"


BAD_INPUT_BASE = {}
BAD_INPUT_ALLOW = {("cached", "maxsize", "None"): "None means no limit, as for functools.lru_cache"}
