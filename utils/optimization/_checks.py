"""Private input checks shared by the rooms of `utils.optimization`: the ranges of κ, learning rates and momentum,
the seeds, and the arguments of one adaptive step; and how a scheduler is stepped on every supported torch. Nothing
here is for learners; it imports nothing from the topic."""

import warnings

from utils import validation as v


def _kappa(kappa):
    return v.finite_number("kappa", kappa, low=1.0, high=1e6)


def _lr(lr, high=1e3, name="lr"):
    return v.finite_number(name, lr, low=0.0, low_open=True, high=high)


def _momentum(momentum):
    return v.finite_number("momentum", momentum, low=0.0, high=1.0, high_open=True)


def _seeds(seeds, name="seeds"):
    return v.seeds(name, seeds)


def _step_args(w, g, state, lr, eps):
    w, g = v.tensor("w", w, max_size=10 ** 7), v.tensor("g", g, max_size=10 ** 7)
    if w.shape != g.shape:
        raise ValueError(f"w and g must have the same shape, got w {tuple(w.shape)} and g {tuple(g.shape)}")
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict (empty at the first step), got {state!r}")
    return w, g, _lr(lr), v.finite_number("eps", eps, low=0, high=1)


def _step_scheduler(sched):
    """sched.step(), silencing torch 2.6 to 2.8's spurious warning from SequentialLR (pytorch/pytorch#149392)."""
    with warnings.catch_warnings():  # SequentialLR (warm-up + cosine) calls step(0): "The epoch parameter in ..."
        warnings.filterwarnings("ignore", r"The epoch parameter in `scheduler\.step\(\)`", UserWarning)
        sched.step()
