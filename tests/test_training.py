import math

import pytest
import torch
from torch import nn

from utils.data import load_dataset
from utils.training import History, accuracy, evaluate, make_mlp, make_optimizer, train


def test_training_reduces_loss_on_an_easy_task():
    data = load_dataset("blobs", n=300, seed=0)
    torch.manual_seed(0)
    model = make_mlp([2, 16, 3])
    hist = train(model, data, steps=200, lr=0.2, eval_every=20)
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    assert hist.val_acc[-1] > 0.9
    assert accuracy(model, data.x_val, data.y_val) == pytest.approx(hist.val_acc[-1])


def test_same_seed_gives_the_same_history():
    data = load_dataset("moons", n=200)
    runs = []
    for _ in range(2):
        torch.manual_seed(1)
        runs.append(train(make_mlp([2, 8, 2]), data, steps=50, lr=0.1, batch_size=16, seed=4).train_loss)
    assert runs[0] == runs[1]


def test_history_records_every_eval_and_the_last_step():
    data = load_dataset("moons", n=100)
    hist = train(make_mlp([2, 4, 2]), data, steps=55, eval_every=25)
    assert hist.step == [25, 50, 55]
    assert len(hist.val_loss) == len(hist.train_acc) == 3


def test_steps_to_reach():
    h = History(step=[10, 20, 30], train_loss=[1.0, 0.4, 0.1])
    assert h.steps_to_reach(0.5) == 20 and h.steps_to_reach(0.01) is None


def test_make_mlp_layers():
    m = make_mlp([3, 5, 5, 2], activation=nn.Tanh, batchnorm=True, dropout=0.1)
    kinds = [type(layer).__name__ for layer in m]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=0), "steps"), (dict(steps=-3), "steps"), (dict(batch_size=0), "batch_size"),
    (dict(optimizer="rmsprop"), "rmsprop"), (dict(lr=-1.0), "lr"),
])
def test_bad_training_arguments_are_refused(kwargs, match):
    data = load_dataset("moons", n=50)
    with pytest.raises(ValueError, match=match):
        train(make_mlp([2, 3, 2]), data, **kwargs)


def test_bad_mlp_sizes_are_refused():
    with pytest.raises(ValueError, match="sizes"):
        make_mlp([2, -1, 2])
    with pytest.raises(ValueError, match="weight_decay"):
        make_optimizer(make_mlp([2, 2]), "sgd", 0.1, weight_decay=-1)


def test_losses_are_finite():
    data = load_dataset("spirals", n=100)
    hist = train(make_mlp([2, 8, 2]), data, steps=30, eval_every=10)
    assert all(math.isfinite(v) for v in hist.train_loss + hist.val_loss)


def test_training_runs_on_one_cpu_thread_and_restores_the_count():
    data = load_dataset("blobs", n=200, seed=0)
    seen = []
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        train(make_mlp([2, 16, data.n_classes]), data, steps=20, lr=0.1, eval_every=10,
              on_eval=lambda step, model: seen.append(torch.get_num_threads()))
        assert seen == [1, 1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def _tiny():
    return make_mlp([2, 8, 2])


BAD_INPUT_BASE = {
    "make_mlp": lambda: dict(sizes=[2, 8, 2]),
    "train": lambda: dict(model=_tiny(), data=load_dataset("moons", n=40), steps=5),
    "make_optimizer": lambda: dict(model=_tiny()),
    "evaluate": lambda: dict(model=_tiny(), x=torch.ones(4, 2), y=torch.zeros(4, dtype=torch.int64)),
    "accuracy": lambda: dict(model=_tiny(), x=torch.ones(4, 2), y=torch.zeros(4, dtype=torch.int64)),
}
BAD_INPUT_ALLOW = {("train", "batch_size", "None"): "None means the whole training set in every step"}


@pytest.mark.parametrize("lr", [float("nan"), float("inf"), 0.0, -0.1])
def test_a_nan_or_non_positive_learning_rate_is_refused_before_training(lr):
    with pytest.raises(ValueError, match="lr must be"):
        train(_tiny(), load_dataset("moons"), steps=50, lr=lr)


def test_fractional_widths_are_refused_by_name():
    with pytest.raises(TypeError, match=r"sizes\[1\] must be a whole number, got 8.5"):
        make_mlp([2, 8.5, 2])


def test_a_device_that_is_not_here_is_named():
    with pytest.raises(ValueError, match="device must be one of"):
        train(_tiny(), load_dataset("moons"), steps=5, device="tpu")


def test_steps_to_reach_an_accuracy_waits_for_it_to_rise():
    h = History(step=[10, 20, 30], train_loss=[1.0, 0.5, 0.2], val_loss=[1.0, 0.6, 0.4],
                train_acc=[0.3, 0.8, 0.95], val_acc=[0.3, 0.7, 0.9])
    assert h.steps_to_reach(0.9, "train_acc") == 30 and h.steps_to_reach(0.99, "val_acc") is None
    assert h.steps_to_reach(0.5, "val_loss") == 30
    with pytest.raises(ValueError, match="key must be one of"):
        h.steps_to_reach(0.5, "loss")


def test_a_model_too_narrow_for_the_data_is_refused_naming_layer_and_width():
    # issue 32: torch's "mat1 and mat2 shapes cannot be multiplied (64x2 and 3x8)" named neither
    model, data = make_mlp([3, 8, 2]), load_dataset("moons")
    with pytest.raises(ValueError, match=r"model's first layer \(0: Linear\(3, 8\)\) takes 3 features per example, "
                                         r"but data \(moons\) has 2"):
        train(model, data, steps=2)
    for fn in (accuracy, evaluate):
        with pytest.raises(ValueError, match=r"takes 3 features per example, but x has 2"):
            fn(model, data.x_val, data.y_val)
