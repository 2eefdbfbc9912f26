"""Feedback for the exercises: every `check_…` function in the course answers through `feedback`."""

import math

import numpy as np

from utils import validation as check
from utils.zh import translate


def feedback(ok, message_if_wrong, message_if_right="Correct!"):
    """Print a one-line verdict and return True/False (so tests can use the checkers too)."""
    if type(ok).__module__.startswith("torch") and getattr(ok, "numel", lambda: 0)() == 1:
        ok = bool(ok)
    ok = check.boolean("ok", ok)
    for name, text in (("message_if_wrong", message_if_wrong), ("message_if_right", message_if_right)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a string, got {text!r}")
    # In a Chinese twin (notebooks/zh/) the verdict is printed in Chinese (utils/zh.py); the checkers stay English.
    print(("✅ " + translate(message_if_right)) if ok else ("❌ " + translate(message_if_wrong)))
    return bool(ok)


def check_close(answer, expected, rtol=1e-6, atol=1e-8, what="your answer"):
    """Compare a number or array with the expected value, saying how far off it is."""
    if answer is None or answer is Ellipsis:  # the exercise's placeholder has not been replaced yet
        return feedback(False, f"{what} is still {answer!r}: replace the placeholder with your answer, then run "
                               f"this cell again")
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return feedback(False, f"{what} should be a number or an array of numbers, got {answer!r}")
    e = check.array("expected", expected, min_size=0)
    rtol = check.finite_number("rtol", rtol, low=0)
    atol = check.finite_number("atol", atol, low=0)
    if not isinstance(what, str):
        raise TypeError(f"what must be a string naming the answer, got {what!r}")
    if a.shape != e.shape:
        return feedback(False, f"{what} has shape {a.shape}, expected {e.shape}")
    if not np.all(np.isfinite(a)):
        return feedback(False, f"{what} contains NaN or infinity")
    if np.allclose(a, e, rtol=rtol, atol=atol):
        return feedback(True, "")
    err = float(np.max(np.abs(a - e)))
    return feedback(False, f"{what} is off by up to {err:.3g} (tolerance rtol={rtol:g}, atol={atol:g})")


def learner_number(answer, what="your answer", whole=False):
    """Read one number a learner typed or computed: (value, None), or (None, what is wrong with it).

    Accepted: an int or float (not a bool), a NumPy scalar, and a tensor, array, list or tuple holding exactly one
    number (what `t.sum()`, `t.sum(dim=0)` on one column, `np.mean(...)` or `[x]` give).  NaN and ±inf are refused;
    with `whole=True` the value must have no fractional part (2.0 and torch.tensor(2.) read as 2) and an int is
    returned.  Every `check_…` function that expects a number reads it here, so they accept and refuse the same
    forms.
    """
    if not isinstance(what, str):
        raise TypeError(f"what must be a string naming the answer, got {what!r}")
    whole = check.boolean("whole", whole)
    if answer is None or answer is Ellipsis:
        return None, f"{what} is still {answer!r}: replace the placeholder with your answer, then run the cell again"
    value = answer
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if type(value).__module__.startswith(("numpy", "torch")) and hasattr(value, "shape"):
        size = int(np.prod(tuple(value.shape)))
        if size != 1:
            return None, f"{what} should be a single number, got an array of shape {tuple(value.shape)}"
        value = value.item() if value.ndim == 0 else value.reshape(-1)[0].item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        shown = repr(answer) if len(repr(answer)) <= 60 else repr(answer)[:57] + "..."
        return None, f"{what} should be a number, got {shown} ({type(answer).__name__})"
    if isinstance(value, (int, np.integer)):
        return int(value), None
    value = float(value)
    if not math.isfinite(value):
        return None, f"{what} must be a finite number (not NaN or ±inf), got {value}"
    if whole:
        if not value.is_integer():
            return None, f"{what} should be a whole number, got {value:g}"
        return int(value), None
    return value, None


__all__ = ["feedback", "check_close", "learner_number"]
