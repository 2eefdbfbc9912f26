import pytest
import torch

from utils.data import DATASETS, load_dataset, make_circles, make_moons, make_spirals, train_val_split


@pytest.mark.parametrize("name", [n for n in DATASETS if n != "digits"])
def test_2d_sets_have_the_stated_shapes_and_split(name):
    d = load_dataset(name, n=200, val_fraction=0.25)
    assert d.x_train.shape == (150, 2) and d.x_val.shape == (50, 2)
    assert d.y_train.dtype == torch.int64 and d.x_train.dtype == torch.float32
    assert set(d.y_train.tolist()) == set(range(d.n_classes))


def test_digits_come_from_the_package_with_64_pixels_in_unit_range():
    d = load_dataset("digits")
    assert d.x_train.shape[1] == 64 and d.image_shape == (8, 8) and d.n_classes == 10
    assert len(d.x_train) + len(d.x_val) == 1797
    assert 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0


@pytest.mark.parametrize("file_found", [True, False])
def test_digits_equal_scikit_learns_whether_read_from_the_file_or_through_load_digits(file_found, monkeypatch):
    from sklearn.datasets import load_digits

    from utils import data

    assert data._digits_file() is not None  # the fast path is the one a learner gets
    if not file_found:
        monkeypatch.setattr(data, "_digits_file", lambda: None)
    images, labels = data.load_digits_arrays()
    bunch = load_digits()
    assert images.dtype == torch.float32 and labels.dtype == torch.int64
    assert torch.equal(images, torch.tensor(bunch.images / 16.0, dtype=torch.float32))
    assert torch.equal(labels, torch.tensor(bunch.target))


def test_digits_are_read_once_and_each_caller_gets_its_own_copy():
    from utils import data

    data._read_digits_file.cache_clear()
    images, labels = data.load_digits_arrays()
    first = (images.clone(), labels.clone())
    images += 5  # a learner's in-place edit must not reach the next caller
    labels[:] = 99
    again, again_labels = data.load_digits_arrays()
    assert data._read_digits_file.cache_info().misses == 1
    assert torch.equal(again, first[0]) and torch.equal(again_labels, first[1])


def test_train_and_validation_do_not_overlap():
    x = torch.arange(100).float().unsqueeze(1)
    xt, _, xv, _ = train_val_split(x, torch.zeros(100, dtype=torch.int64), 0.2, seed=3)
    assert len(set(xt.squeeze().tolist()) & set(xv.squeeze().tolist())) == 0
    assert len(xt) == 80 and len(xv) == 20


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = load_dataset("moons", seed=1), load_dataset("moons", seed=1), load_dataset("moons", seed=2)
    assert torch.equal(a.x_train, b.x_train)
    assert not torch.equal(a.x_train, c.x_train)


def test_spirals_are_not_linearly_separable():
    # The best linear classifier (least squares on ±1 targets) stays far from perfect.
    x, y = make_spirals(n=400, seed=0)
    X = torch.cat([x, torch.ones(len(x), 1)], 1).double()
    w = torch.linalg.lstsq(X, (2 * y - 1).double().unsqueeze(1)).solution
    acc = ((X @ w).squeeze() > 0).long().eq(y).float().mean().item()
    assert acc < 0.8


def test_unknown_data_set_is_named_in_the_error():
    with pytest.raises(ValueError, match="name must be one of 'spirals'.*got 'mnist'"):
        load_dataset("mnist")


@pytest.mark.parametrize("bad", [-5, 0])
def test_negative_or_zero_size_is_refused(bad):
    with pytest.raises(ValueError, match=str(bad)):
        load_dataset("spirals", n=bad)
    with pytest.raises(ValueError):
        make_spirals(n=bad)


def test_bad_split_fraction_is_refused():
    with pytest.raises(ValueError, match="val_fraction"):
        load_dataset("blobs", val_fraction=1.0)


# The course-wide bad-input test (tests/test_bad_input.py) makes one valid call of each public function from these.
BAD_INPUT_BASE = {
    "train_val_split": lambda: dict(x=torch.ones(10, 2), y=torch.zeros(10, dtype=torch.int64)),
    "load_dataset": lambda: dict(name="moons", n=40),
}


@pytest.mark.parametrize("maker", [make_spirals, make_moons, make_circles])
def test_nan_noise_is_refused_not_turned_into_nan_data(maker):
    with pytest.raises(ValueError, match="noise must be a finite number"):
        maker(noise=float("nan"))
    with pytest.raises(ValueError, match="noise must be a finite number"):
        load_dataset("moons", noise=float("nan"))


def test_seed_none_is_refused_everywhere_because_it_would_not_repeat():
    for call in (lambda: make_moons(seed=None), lambda: load_dataset("moons", seed=None),
                 lambda: train_val_split(torch.ones(8, 2), torch.zeros(8, dtype=torch.int64), seed=-1)):
        with pytest.raises((TypeError, ValueError), match="seed"):
            call()


def test_a_device_that_is_not_here_is_named_not_a_torch_assertion():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device: device 'cuda' was asked for"):
            load_dataset("moons", device="cuda")
    with pytest.raises(ValueError, match="device must be one of"):
        load_dataset("moons", device="tpu")


def test_labels_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="y must be a 1-D tensor"):
        train_val_split(torch.ones(8, 2), torch.zeros(8, 1, 1, dtype=torch.int64))
