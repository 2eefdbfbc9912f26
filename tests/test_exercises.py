import numpy as np
import pytest
import torch

from utils.exercises import check_close, feedback, learner_number


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
                  "check_close": lambda: dict(answer=1.0, expected=1.0),
                  "learner_number": lambda: dict(answer=2.0)}
BAD_INPUT_ALLOW = {("learner_number", "answer"): "any value is a learner's answer: a bad one comes back as "
                                                 "(None, what is wrong), which the checker prints as its ❌"}


@pytest.mark.parametrize("answer", [2, 2.0, np.int64(2), np.float32(2.0), np.array(2.0), np.array([2]), [2], (2.0,),
                                    torch.tensor(2), torch.tensor([2.0]), torch.tensor([[2]])])
def test_learner_number_reads_every_form_a_count_of_two_arrives_in(answer):
    assert learner_number(answer, whole=True) == (2, None)
    value, problem = learner_number(answer)
    assert value == 2 and problem is None


@pytest.mark.parametrize("answer, words", [
    (None, "still None"), (..., "still Ellipsis"), (True, "should be a number"), (np.bool_(False), "a number"),
    ("2", "should be a number"), ([2, 3], "should be a number"), (["2"], "should be a number"),
    (np.array([1, 2]), "single number"),
    (torch.ones(3), "single number"), (float("nan"), "finite"), (torch.tensor(float("inf")), "finite"),
    (1 + 2j, "should be a number"),
])
def test_learner_number_says_what_is_wrong_with_a_bad_answer(answer, words):
    value, problem = learner_number(answer, what="your count")
    assert value is None and words in problem and problem.startswith("your count")


def test_learner_number_refuses_a_fraction_only_when_a_whole_number_is_asked():
    assert learner_number(2.5) == (2.5, None)
    value, problem = learner_number(torch.tensor(2.5), whole=True)
    assert value is None and "whole number" in problem and "2.5" in problem
