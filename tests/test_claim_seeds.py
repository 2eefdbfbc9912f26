"""The one place claims take their seeds from (tests/claim_seeds.py) and its override from outside."""

import pytest
from claim_seeds import ENV, batches, claim_seeds, parse


def test_default_is_ten_seeds_seven_of_which_no_notebook_shows(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    seeds = claim_seeds()
    assert len(seeds) >= 10 and len(set(seeds) - {0, 1, 2}) >= 7


def test_environment_variable_overrides_the_seeds(monkeypatch):
    monkeypatch.setenv(ENV, "20-29")
    assert claim_seeds() == tuple(range(20, 30))
    monkeypatch.setenv(ENV, "3,7,11,19,23,31,43,59,71,97")
    assert claim_seeds() == (3, 7, 11, 19, 23, 31, 43, 59, 71, 97)
    monkeypatch.setenv(ENV, "0-4, 20-24, 100")
    assert claim_seeds(n=10) == (0, 1, 2, 3, 4, 20, 21, 22, 23, 24)


@pytest.mark.parametrize("text", ["20-25", "a-b", "9-0", "1,1,2,3,4,5,6,7,8,9", "-5-4", "0-9,x"])
def test_bad_overrides_are_refused_with_a_message_naming_the_variable(text):
    with pytest.raises(ValueError, match=ENV):
        parse(text)


def test_fewer_than_ten_seeds_cannot_be_asked_for(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(ValueError, match="at least 10"):
        claim_seeds(n=3)


def test_batches_keep_every_seed_in_order():
    assert batches(tuple(range(23))) == [tuple(range(10)), tuple(range(10, 20)), (20, 21, 22)]
