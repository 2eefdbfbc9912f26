"""Feedback for the exercises: every `check_…` function in the course answers through `feedback`."""

import numpy as np


def feedback(ok, message_if_wrong, message_if_right="Correct!"):
    """Print a one-line verdict and return True/False (so tests can use the checkers too)."""
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
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        return feedback(False, f"{what} has shape {a.shape}, expected {e.shape}")
    if not np.all(np.isfinite(a)):
        return feedback(False, f"{what} contains NaN or infinity")
    if np.allclose(a, e, rtol=rtol, atol=atol):
        return feedback(True, "")
    err = float(np.max(np.abs(a - e)))
    return feedback(False, f"{what} is off by up to {err:.3g} (tolerance rtol={rtol:g}, atol={atol:g})")
