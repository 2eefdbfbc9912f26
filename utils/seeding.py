"""One call that makes every experiment repeatable: seed Python, NumPy and PyTorch."""

import random

import numpy as np
import torch

from utils import validation as check


def seed_everything(seed=0):
    """Seed Python's `random`, NumPy's global generator and PyTorch (CPU and CUDA).

    seed: a non-negative integer.  Returns the seed, so a notebook can print it.
    Experiments in the course also take explicit seeds; this call covers any
    code that draws from the global generators.
    """
    seed = check.seed_value("seed", seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def rng(seed):
    """A NumPy Generator for an explicit seed (the course's preferred source of randomness)."""
    return np.random.default_rng(check.seed_value("seed", seed))


def torch_generator(seed, device="cpu"):
    """A torch.Generator seeded with `seed`, for sampling without touching global state."""
    seed = check.seed_value("seed", seed)
    g = torch.Generator(device=check.device_value("device", device))
    g.manual_seed(seed)
    return g


__all__ = ["seed_everything", "rng", "torch_generator"]
