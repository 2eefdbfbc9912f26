"""Notebook 02's helpers, moved whole into `experiments.py` of this package; the next commit splits them into rooms."""

from . import experiments as _experiments
from .experiments import *  # noqa: F403
from .experiments import __all__  # noqa: F401


def __getattr__(name):
    return getattr(_experiments, name)
