"""Optimisation (notebook 09).

Step 1 of 2: the module moves here unchanged (so that its history follows); step 2 splits it into its rooms.
"""

from .experiments import *  # noqa: F401,F403
from .experiments import (  # noqa: F401
    _SCRATCH,
    CONVERGED_TOL,  # noqa: F401
    __all__,
    _batches,
    _digits,
    _make_net,
    _per_example_grads,
    _train,
    _train_summary,
    _two_valley_minima,
    _two_valleys_grad,
)
