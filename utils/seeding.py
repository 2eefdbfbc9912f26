"""One call that makes every experiment repeatable: seed Python, NumPy and PyTorch."""

import random

import numpy as np
import torch


def seed_everything(seed=0):
    """Seed Python's `random`, NumPy's global generator and PyTorch (CPU and CUDA).

    seed: a non-negative integer.  Returns the seed, so a notebook can print it.
    Experiments in the course also take explicit seeds; this call covers any
    code that draws from the global generators.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    if seed < 0 or seed >= 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def rng(seed):
    """A NumPy Generator for an explicit seed (the course's preferred source of randomness)."""
    return np.random.default_rng(seed)


def torch_generator(seed, device="cpu"):
    """A torch.Generator seeded with `seed`, for sampling without touching global state."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g
