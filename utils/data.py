"""Small data sets that need no network: synthetic 2-D sets and scikit-learn's 8x8 digits, as tensors.

Public: load_dataset (what the notebooks call), the four 2-D generators make_spirals, make_moons, make_circles,
make_blobs, load_digits_arrays, train_val_split, and the Split they return.
"""

import functools
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from utils import validation as check

DATASETS = ("spirals", "moons", "blobs", "circles", "digits")


@dataclass
class Split:
    """A data set split into training and validation parts.

    x_train: (n_train, d) float32; y_train: (n_train,) int64 class labels;
    x_val, y_val: the same for the validation part.  For "digits", d = 64
    (8x8 images flattened, pixel values scaled to [0, 1]); `image_shape` says so.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    name: str
    n_classes: int
    image_shape: tuple = None

    @property
    def n_features(self):
        return self.x_train.shape[1]

    def to(self, device):
        """The same split with every tensor on `device`."""
        return Split(self.x_train.to(device), self.y_train.to(device), self.x_val.to(device),
                     self.y_val.to(device), self.name, self.n_classes, self.image_shape)

    def __repr__(self):
        return (f"Split({self.name!r}: train {tuple(self.x_train.shape)}, val {tuple(self.x_val.shape)}, "
                f"{self.n_classes} classes)")


MAX_EXAMPLES = 200_000  # a 2-D set this large takes well under a second to make; larger ones only cost time
MAX_CLASSES = 50


_TWO = object()  # the generators without a `classes` argument make two classes


def _check_common(n, seed, classes=_TWO):
    """Validate the arguments the 2-D generators share; returns (n, seed, classes)."""
    classes = 2 if classes is _TWO else check.size("classes", classes, high=MAX_CLASSES, low=2)
    n_minimum = classes
    return (check.size("n", n, high=MAX_EXAMPLES, low=n_minimum), check.seed_value("seed", seed), classes)


def make_spirals(n=400, classes=2, noise=0.2, turns=1.5, seed=0):
    """Interleaved spiral arms, one per class; not linearly separable.

    Returns x (n, 2) float32 and y (n,) int64.  noise: std of Gaussian jitter.
    """
    n, seed, classes = _check_common(n, seed, classes=classes)
    noise = check.finite_number("noise", noise, low=0)
    turns = check.finite_number("turns", turns, low=0, low_open=True, high=20)
    g = np.random.default_rng(seed)
    y = np.arange(n) % classes
    r = g.uniform(0.15, 1.0, size=n)
    theta = r * turns * 2 * math.pi + y * 2 * math.pi / classes
    x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    x += noise * 0.25 * g.standard_normal(x.shape)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)


def make_moons(n=400, noise=0.15, seed=0):
    """Two interleaving half circles.  Returns x (n, 2) float32, y (n,) int64."""
    n, seed, _ = _check_common(n, seed)
    noise = check.finite_number("noise", noise, low=0)
    g = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = g.uniform(0, math.pi, size=n)
    x = np.where(y[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], 1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    x = x - np.array([0.5, 0.25]) + noise * g.standard_normal((n, 2))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)


def make_circles(n=400, noise=0.08, factor=0.5, seed=0):
    """A small ring inside a larger ring (class 1 is the inner ring, radius `factor`), both blurred by Gaussian noise.

    Returns x (n, 2) float32, y (n,) int64.
    """
    n, seed, _ = _check_common(n, seed)
    noise = check.finite_number("noise", noise, low=0)
    factor = check.finite_number("factor", factor, low=0, high=1, low_open=True, high_open=True)
    g = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = g.uniform(0, 2 * math.pi, size=n)
    radius = np.where(y == 1, factor, 1.0)
    x = np.stack([radius * np.cos(t), radius * np.sin(t)], 1) + noise * g.standard_normal((n, 2))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)


def make_blobs(n=400, classes=3, spread=0.5, seed=0):
    """Gaussian clusters with centres on a circle of radius 2.  Returns x (n, 2), y (n,)."""
    n, seed, classes = _check_common(n, seed, classes=classes)
    spread = check.finite_number("spread", spread, low=0, low_open=True)
    g = np.random.default_rng(seed)
    y = np.arange(n) % classes
    angles = 2 * math.pi * np.arange(classes) / classes
    centres = 2 * np.stack([np.cos(angles), np.sin(angles)], 1)
    x = centres[y] + spread * g.standard_normal((n, 2))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)


def _digits_file():
    """Where scikit-learn keeps the digits (a CSV of 64 pixel values 0..16 and the label per row), or None."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    return path if path.is_file() else None


@functools.lru_cache(maxsize=1)
def _read_digits_file(path):
    """The digits file parsed once per process (18 ms a read; several helpers load the digits once per call):
    read-only arrays, copied into fresh tensors by `load_digits_arrays`."""
    table = np.loadtxt(path, delimiter=",")
    pixels, labels = table[:, :-1].reshape(-1, 8, 8), table[:, -1]
    pixels.flags.writeable = False
    labels.flags.writeable = False
    return pixels, labels


def load_digits_arrays():
    """scikit-learn's 8x8 handwritten digits (1797 images, shipped with the package).

    Returns images (1797, 8, 8) float32 scaled to [0, 1] and labels (1797,) int64.
    The file that `sklearn.datasets.load_digits` reads is read directly: importing scikit-learn costs a
    notebook about 1.5 s, reading the file 0.03 s.  Where the file is not found, `load_digits` is used.
    """
    path = _digits_file()
    if path is not None:
        pixels, labels = _read_digits_file(path)
    else:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        pixels, labels = bunch.images, bunch.target
    images = torch.tensor(pixels / 16.0, dtype=torch.float32)
    return images, torch.tensor(labels, dtype=torch.int64)


def train_val_split(x, y, val_fraction=0.25, seed=0):
    """Shuffle (seeded) and split tensors into train and validation parts.

    x: (n, d) float tensor; y: (n,) integer labels.  Returns x_train, y_train, x_val, y_val.
    """
    val_fraction = check.finite_number("val_fraction", val_fraction, low=0, high=1, low_open=True, high_open=True)
    seed = check.seed_value("seed", seed)
    if not isinstance(x, torch.Tensor) or x.ndim < 2:
        raise TypeError(f"x must be a tensor of shape (n, features...), got {type(x).__name__} "
                        f"{tuple(getattr(x, 'shape', ()))}")
    if not isinstance(y, torch.Tensor) or y.ndim != 1:
        raise ValueError(f"y must be a 1-D tensor of labels, got shape {tuple(getattr(y, 'shape', ()))}")
    check.tensor("x", x)
    if len(x) != len(y):
        raise ValueError(f"x and y have different lengths: {len(x)} vs {len(y)}")
    n = len(x)
    n_val = max(1, int(round(n * val_fraction)))
    if n_val >= n:
        raise ValueError(f"{n} examples are too few to split with val_fraction={val_fraction}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val, train = perm[:n_val], perm[n_val:]
    return x[train], y[train], x[val], y[val]


def load_dataset(name, n=None, val_fraction=0.25, noise=None, seed=0, device="cpu"):
    """One of the course's data sets, split into training and validation parts.

    name: one of DATASETS ("spirals", "moons", "blobs", "circles", "digits").
    n: number of examples before the split (default 400 for the 2-D sets,
       all 1797 for digits; for digits a smaller n takes a seeded subset).
    noise: the 2-D sets' noise level (their default if None).
    Returns a `Split` with tensors on `device`.
    """
    check.one_of("name", name, DATASETS)
    if n is not None:
        n = check.size("n", n, high=MAX_EXAMPLES, low=4)
    seed = check.seed_value("seed", seed)
    device = check.device_value("device", device)
    extra = {} if noise is None else {"noise": check.finite_number("noise", noise, low=0)}
    image_shape = None
    if name == "digits":
        images, y = load_digits_arrays()
        x = images.reshape(len(images), -1)
        if n is not None:
            if n > len(x):
                raise ValueError(f"digits has {len(x)} examples; n={n} is too many")
            keep = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:n]
            x, y = x[keep], y[keep]
        classes, image_shape = 10, (8, 8)
    else:
        maker = {"spirals": make_spirals, "moons": make_moons, "blobs": make_blobs, "circles": make_circles}[name]
        x, y = maker(n=n or 400, seed=seed, **extra)
        classes = int(y.max()) + 1
    split = Split(*train_val_split(x, y, val_fraction, seed), name=name, n_classes=classes,
                  image_shape=image_shape)
    return split.to(device)


__all__ = ["DATASETS", "Split", "load_dataset", "make_spirals", "make_moons", "make_circles", "make_blobs",
           "load_digits_arrays", "train_val_split"]
