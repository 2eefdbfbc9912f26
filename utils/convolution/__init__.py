"""Convolutional networks (notebook 07).  A step of the move to a package: the module now lives in
`experiments.py`, re-exported here unchanged; the next commit splits it into maths, architectures, experiments,
figures and exercises."""

from .experiments import *  # noqa: F403
from .experiments import (  # noqa: F401  private names the tests read, until the split
    _UNREAD,
    __all__,
    _arithmetic,
    _fc_share,
    _fit_stacked,
    _StackedCNN,
    _transfer_cell,
)
