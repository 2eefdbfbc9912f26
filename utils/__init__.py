"""Helpers for the course "How deep networks are actually trained".

Shared plumbing lives in a few small modules (device, seeding, plotstyle,
interactive, data, training, exercises, validation, caching, ...); each notebook
topic is a package of its own (activations, zero_centering, initialization,
batch_normalization, dead_relu, regularization, convolution, residual,
optimization) whose maths.py holds the from-scratch computations to read and
whose __init__.py maps the rest.  Notebooks import what they need, e.g.

    from utils import pick_device, seed_everything
    from utils import activations

Imported in IPython, it also makes a NameError (a cell run before the cell that defines the name) end with a hint to
run the cells above (utils.course.install_wrong_step_hints).
"""

from utils.course import install_wrong_step_hints
from utils.device import pick_device
from utils.seeding import seed_everything

install_wrong_step_hints()

__all__ = ["pick_device", "seed_everything"]
