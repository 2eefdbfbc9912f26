"""Dead ReLUs (notebook 05); the module now lives in experiments.py and is split into rooms in the next commit."""

from .experiments import *  # noqa: F403
from .experiments import __all__  # noqa: F401
