"""The shared validators: each refuses what it should with a message naming the argument, and returns clean values."""

import math

import numpy as np
import pytest
import torch

from utils import validation as v


@pytest.mark.parametrize("bad, error", [(math.nan, ValueError), (math.inf, ValueError), (-math.inf, ValueError),
                                        ("0.1", TypeError), (None, TypeError), (True, TypeError),
                                        ([1.0], TypeError)])
def test_finite_number_refuses_non_numbers_and_non_finite(bad, error):
    with pytest.raises(error, match="lr"):
        v.finite_number("lr", bad)


def test_finite_number_bounds_and_clean_value():
    assert v.finite_number("lr", np.float32(0.5), low=0, low_open=True) == 0.5
    assert type(v.finite_number("lr", torch.tensor(0.25))) is float
    with pytest.raises(ValueError, match=r"lr must be > 0, got 0"):
        v.finite_number("lr", 0, low=0, low_open=True)
    with pytest.raises(ValueError, match=r"p must be >= 0 and < 1, got 1"):
        v.probability("p", 1.0, allow_one=False)


@pytest.mark.parametrize("bad, error", [(2.5, TypeError), (2.0, TypeError), ("3", TypeError), (True, TypeError),
                                        (None, TypeError), (0, ValueError), (10**9, ValueError)])
def test_integer_refuses_fractions_bools_and_out_of_range(bad, error):
    with pytest.raises(error, match="depth"):
        v.size("depth", bad, high=1000)


def test_too_large_sizes_say_why_they_are_bounded():
    with pytest.raises(ValueError, match="memory budget"):
        v.size("width", 10**7, high=4096)
    assert v.size("width", np.int64(8), high=4096) == 8


@pytest.mark.parametrize("bad, error", [(None, TypeError), (-1, ValueError), (2.5, TypeError), (2**32, ValueError)])
def test_seed_refuses_none_negative_fractional_and_too_large(bad, error):
    with pytest.raises(error, match="seed"):
        v.seed_value("seed", bad)


def test_one_of_lists_the_options():
    assert v.one_of("name", "relu", ("relu", "tanh")) == "relu"
    with pytest.raises(ValueError, match=r"name must be one of 'relu', 'tanh'; got 'rleu'"):
        v.one_of("name", "rleu", ("relu", "tanh"))
    with pytest.raises(ValueError, match="name"):
        v.one_of("name", ["unhashable"], {"relu"})


def test_device_value_goes_through_pick_device():
    assert v.device_value("device", "cpu") == torch.device("cpu")
    assert v.device_value("device", torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(ValueError, match="device must be one of"):
        v.device_value("device", "tpu")
    with pytest.raises(TypeError, match="device"):
        v.device_value("device", 3)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device: device 'cuda' was asked for"):
            v.device_value("device", "cuda")


def test_array_and_tensor_checks():
    x = v.array("x", [[1, 2], [3, 4]], ndim=2, shape=(None, 2))
    assert x.dtype == float and x.shape == (2, 2)
    with pytest.raises(ValueError, match="x contains NaN"):
        v.array("x", [1.0, math.nan])
    with pytest.raises(ValueError, match=r"x must have 2 dimension\(s\)"):
        v.array("x", [1.0, 2.0], ndim=2)
    with pytest.raises(ValueError, match=r"x must have shape \(any, 3\)"):
        v.array("x", np.ones((2, 2)), shape=(None, 3))
    with pytest.raises(TypeError, match="x must be an array"):
        v.array("x", None)
    t = v.tensor("t", np.ones((3, 2)), ndim=2)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32
    assert v.tensor("t", torch.ones(2, dtype=torch.float64)).dtype == torch.float64
    with pytest.raises(ValueError, match="t contains NaN"):
        v.tensor("t", torch.tensor([1.0, float("inf")]))
    with pytest.raises(ValueError, match="at most 10"):
        v.tensor("t", torch.ones(11), max_size=10)


def test_finite_result_names_what_overflowed():
    assert v.finite_result("the loss", 1.0) == 1.0
    with pytest.raises(ValueError, match="the loss is not finite"):
        v.finite_result("the loss", torch.tensor([1.0, float("nan")]))


def test_sequence_checks_each_value_and_the_length():
    def degree(name, x):
        return v.integer(name, x, low=0, high=9)

    assert v.sequence("degrees", [0, np.int64(3)], degree) == (0, 3)
    assert v.sequence("degrees", range(3), degree, high=3) == (0, 1, 2)
    for bad in ("012", 3, {0: 1}, None):
        with pytest.raises(TypeError, match="degrees must be a tuple or list"):
            v.sequence("degrees", bad, degree)
    with pytest.raises(ValueError, match="degrees must hold 1 or more values, got 0"):
        v.sequence("degrees", (), degree)
    with pytest.raises(ValueError, match="degrees must hold 1 to 2 values, got 3"):
        v.sequence("degrees", (1, 2, 3), degree, high=2)
    with pytest.raises(ValueError, match="degrees must be >= 0 and <= 9, got 12"):
        v.sequence("degrees", (1, 12), degree)


def test_record_names_the_argument_the_maker_and_the_missing_keys():
    assert v.record("runs", {"gd": 1, "noisy": 2}, ("gd",), "saddle_runs()") == {"gd": 1, "noisy": 2}
    with pytest.raises(TypeError, match=r"runs must be the dict returned by saddle_runs\(\), got \[1\] \(list\)"):
        v.record("runs", [1], ("gd",), "saddle_runs()")
    with pytest.raises(ValueError, match=r"returned by saddle_runs\(\), but it has no 'gd', 'x'"):
        v.record("runs", {"noisy": 2}, ("gd", "x"), "saddle_runs()")


def test_seeds_takes_a_short_tuple_of_valid_seeds():
    assert v.seeds("seeds", [0, np.int64(1), 2]) == (0, 1, 2)
    with pytest.raises(TypeError, match=r"seeds must be a tuple of seeds"):
        v.seeds("seeds", "012")
    with pytest.raises(TypeError, match="seeds"):
        v.seeds("seeds", 3)
    with pytest.raises(ValueError, match="seeds must be in|seeds must be >= 0"):
        v.seeds("seeds", (0, -1))
    with pytest.raises(ValueError, match=r"seeds must hold 1 to 10 seeds, got 0"):
        v.seeds("seeds", ())
    with pytest.raises(ValueError, match=r"got 11: more would take too long"):
        v.seeds("seeds", range(11))
