import numpy as np
import pytest

from utils.exercises import check_close, feedback


def test_feedback_prints_a_verdict_and_returns_it(capsys):
    assert feedback(True, "no") is True
    assert feedback(False, "off by one") is False
    out = capsys.readouterr().out
    assert "Correct" in out and "off by one" in out


def test_check_close_accepts_right_and_explains_wrong(capsys):
    assert check_close([1.0, 2.0], np.array([1.0, 2.0]))
    assert not check_close([1.0, 2.5], [1.0, 2.0])
    assert "off by up to 0.5" in capsys.readouterr().out
    assert not check_close([1.0], [1.0, 2.0])
    assert not check_close("abc", 1.0)
    assert not check_close(np.nan, 1.0)


@pytest.mark.parametrize("placeholder", [None, ...])
def test_check_close_names_an_unfilled_placeholder(placeholder, capsys):
    assert check_close(placeholder, 0.25, what="bound") is False
    out = capsys.readouterr().out
    assert "bound is still" in out and "placeholder" in out and "NaN" not in out


BAD_INPUT_BASE = {"feedback": lambda: dict(ok=True, message_if_wrong="off"),
                  "check_close": lambda: dict(answer=1.0, expected=1.0)}
