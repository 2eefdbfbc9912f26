"""Private input checks of `utils.regularization`, shared by its rooms.

Each refuses a bad argument with a message that names it; the public functions call them at the boundary, and the
computations behind them trust their inputs.
"""

import torch
from torch import nn

from utils import validation as V


def _lam(name, value):
    return V.finite_number(name, value, low=0)


def _weights(weights):
    if isinstance(weights, torch.Tensor):
        weights = [weights]
    elif weights is None or isinstance(weights, (str, bytes, dict)) or not hasattr(weights, "__iter__"):
        raise TypeError(f"weights must be a tensor or an iterable of tensors, got {weights!r}"[:200])
    weights = list(weights)
    if not weights or not all(isinstance(w, torch.Tensor) for w in weights):
        raise TypeError("weights must be a tensor or a non-empty iterable of tensors")
    if not all(bool(torch.isfinite(w.detach()).all()) for w in weights):
        raise ValueError("weights contain NaN or infinity")
    return weights


def _values(name, z):
    """An array or a tensor of finite numbers, kept in its kind (tensors stay tensors)."""
    if isinstance(z, torch.Tensor):
        return V.tensor(name, z)
    return V.array(name, z, max_size=10**7)


def _design(X, y):
    X = V.array("X", X, ndim=2, max_size=10**6)
    y = V.array("y", y, shape=(X.shape[0],))
    return X, y


def _dropout_p(p, name="p"):
    return V.probability(name, p, allow_one=False)


def _generator(generator):
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator (e.g. torch.Generator().manual_seed(0)) so that the "
                        f"random draws repeat, got {generator!r}"[:200])
    return generator


def _shift(name, value, n):
    if isinstance(value, torch.Tensor):
        if value.dtype.is_floating_point or value.ndim > 1 or value.numel() not in (1, n):
            raise ValueError(f"{name} must be an integer tensor of shape ({n},) or a whole number, got {value!r}"[:200])
        value = value.expand(n) if value.numel() == 1 else value
    else:
        value = torch.full((n,), V.integer(name, value, low=-1, high=1))
    if (value.abs() > 1).any():
        raise ValueError(f"{name} must be -1, 0 or 1: shift_images shifts by at most one pixel")
    return value


def _model(model):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def _more(runs):
    if not isinstance(runs, dict) or not runs or not all(isinstance(v, list) and v for v in runs.values()):
        raise TypeError("runs must be the dict returned by more_data_runs(...)")
    return runs


def _table(table):
    if not isinstance(table, dict) or not {"names", "test acc"} <= set(table) or "none" not in table["names"]:
        raise TypeError("table must be the dict returned by comparison(...), including 'none'")
    return table
