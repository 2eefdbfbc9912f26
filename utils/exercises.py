"""Feedback for the exercises: every `check_…` function in the course answers through `feedback`."""

import numpy as np

from utils import validation as check


def feedback(ok, message_if_wrong, message_if_right="Correct!"):
    """Print a one-line verdict and return True/False (so tests can use the checkers too)."""
    if type(ok).__module__.startswith("torch") and getattr(ok, "numel", lambda: 0)() == 1:
        ok = bool(ok)
    ok = check.boolean("ok", ok)
    for name, text in (("message_if_wrong", message_if_wrong), ("message_if_right", message_if_right)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a string, got {text!r}")
    print(("✅ " + message_if_right) if ok else ("❌ " + message_if_wrong))
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


__all__ = ["feedback", "check_close"]
