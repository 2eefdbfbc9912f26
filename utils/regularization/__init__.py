"""Overfitting and regularisation (notebook 06).

Step 1 of 2: the module moves here unchanged (so that its history follows); step 2 splits it into its rooms.
"""

from .experiments import *  # noqa: F401,F403
from .experiments import __all__, _digits_arrays, _loss2d, _mutant_stops  # noqa: F401
