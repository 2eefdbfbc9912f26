import random

import numpy as np
import pytest
import torch

from utils.seeding import rng, seed_everything, torch_generator


def draw():
    return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()


def test_same_seed_gives_identical_numbers_twice():
    seed_everything(123)
    first = draw()
    seed_everything(123)
    assert draw() == first


def test_different_seeds_give_different_numbers():
    seed_everything(1)
    a = draw()
    seed_everything(2)
    assert draw() != a


def test_seeded_model_initialisation_is_repeatable():
    seed_everything(0)
    w1 = torch.nn.Linear(5, 5).weight.detach().clone()
    seed_everything(0)
    assert torch.equal(w1, torch.nn.Linear(5, 5).weight)


def test_explicit_generators_are_repeatable_and_independent_of_global_state():
    a = rng(7).standard_normal(4)
    np.random.seed(99)
    assert np.array_equal(a, rng(7).standard_normal(4))
    t = torch.rand(3, generator=torch_generator(5))
    torch.manual_seed(11)
    assert torch.equal(t, torch.rand(3, generator=torch_generator(5)))


@pytest.mark.parametrize("bad", [-1, 2**32])
def test_out_of_range_seed_is_refused(bad):
    with pytest.raises(ValueError, match=str(bad)):
        seed_everything(bad)


@pytest.mark.parametrize("bad", [1.5, "0", None, True])
def test_non_integer_seed_is_a_type_error(bad):
    with pytest.raises(TypeError):
        seed_everything(bad)


BAD_INPUT_BASE = {"rng": lambda: dict(seed=0), "torch_generator": lambda: dict(seed=0)}
