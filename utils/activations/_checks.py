"""Private input checks that several rooms of `utils.activations` use; each names the bad argument.

Imports nothing from the topic, so every room may use it.
"""

from utils import validation


def _x(x):
    return validation.array("x", x, min_size=0)


def _slope(alpha):
    return validation.finite_number("alpha", alpha, low=-10.0, high=10.0)


def _threshold(threshold):
    return validation.finite_number("threshold", threshold, low=0.0, high=10.0, low_open=True)
