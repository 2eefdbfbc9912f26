"""The experiments of notebook 07 on the 8x8 digits, each returning data: equivariance measured, a small CNN against
an MLP of the same size, and fine-tuning a pretrained CNN on few labelled images.

Training runs are cached (`utils.caching.cached`) so that the notebook, its predictions and the claims tests share
them; every call returns a copy of its own.
"""

import copy
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from utils import validation
from utils.caching import cached
from utils.data import load_digits_arrays
from utils.device import one_cpu_thread

from ._checks import _pair, _sequence, _side
from .architectures import count_parameters
from .maths import shift_images

N_TEST = 600            # a fixed test set (seeded permutation 0) shared by every experiment
SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0))   # the four one-pixel shifts (dy, dx) of the shifted test sets
SOURCE_CLASSES, TARGET_CLASSES = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
PAIRINGS = ("clean", "shifted", "control")
METHODS = ("from scratch", "fine-tune all", "new head only")
SHOTS = (1, 3, 10)
SEEDS = (0, 1, 2)
SOURCE_STEPS = 300


@cached(maxsize=1)
def _digits():
    """Images (N, 1, 8, 8) in [0, 1], labels (N,), and the fixed test / training-pool index split."""
    images, labels = load_digits_arrays()
    perm = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    return images[:, None], labels, perm[:N_TEST], perm[N_TEST:]


def digits_summary():
    """Sizes of the experiments' data: n_images (all digits), n_test (the fixed test set), n_train (the training
    pool), n_source (training-pool images of the source classes 0-4)."""
    _, labels, test, pool = _digits()
    return {"n_images": len(labels), "n_test": len(test), "n_train": len(pool),
            "n_source": int((labels[pool] < len(SOURCE_CLASSES)).sum())}


def example_digit(index=0):
    """One training-pool digit: its (8, 8) image in [0, 1] and its label."""
    images, labels, _, pool = _digits()
    index = validation.integer("index", index, low=0, high=len(pool) - 1)
    return images[pool[index], 0], int(labels[pool[index]])


def small_cnn(n_classes=10, channels=(8, 16), seed=0):
    """A LeNet-style CNN for 8x8 images: two (3x3 conv, ReLU, 2x2 max pool) stages and one dense layer.

    Input (N, 1, 8, 8); output (N, n_classes) logits.  With channels (8, 16) it has 1,898 parameters for 10 classes.
    """
    n_classes = _side("n_classes", n_classes, high=1000)
    c1, c2 = (_side(f"channels[{i}]", c, high=256) for i, c in enumerate(_pair("channels", channels)))
    seed = validation.seed_value("seed", seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(c2 * 4, n_classes))


def small_mlp(hidden=26, n_classes=10, seed=0):
    """An MLP on the 64 pixels with one hidden ReLU layer; hidden=26 gives 1,960 parameters, the CNN's budget."""
    hidden = _side("hidden", hidden, high=4096)
    n_classes = _side("n_classes", n_classes, high=1000)
    seed = validation.seed_value("seed", seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))


def _random_shifts(x, generator, max_shift=1):
    """Each image shifted by its own random (dy, dx) in [-max_shift, max_shift]^2 (zero fill)."""
    m = max_shift
    padded = F.pad(x, (m, m, m, m))
    d = torch.randint(0, 2 * m + 1, (len(x), 2), generator=generator)
    rows = (d[:, 0, None] + torch.arange(8))[:, :, None].expand(-1, -1, 8)
    cols = (d[:, 1, None] + torch.arange(8))[:, None, :].expand(-1, 8, -1)
    index = torch.arange(len(x))[:, None, None]
    return padded[index, 0, rows, cols][:, None]


def _fit(model, x, y, steps, lr, seed, batch_size=64):
    """Adam on cross-entropy with mini-batches drawn by a generator seeded with `seed`."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        idx = torch.randint(len(x), (batch_size,), generator=g)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()
    return model


def _accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


@cached(maxsize=None)
def _equivariance(seed):
    images, _, test, _ = _digits()
    x = images[test[:100]].double()
    g = torch.Generator().manual_seed(seed)
    weight, bias = torch.randn(8, 1, 3, 3, generator=g, dtype=torch.float64), torch.zeros(8, dtype=torch.float64)
    mlp_w = torch.randn(64, 64 * 8 // 8, generator=g, dtype=torch.float64) / 8     # 64 -> 64 hidden units

    def conv(inp):
        return torch.relu(F.conv2d(inp, weight, bias, padding=1))

    shifted = shift_images(x, 0, 1)
    a, b = conv(x), conv(shifted)
    moved = shift_images(a, 0, 1)
    interior = (b - moved)[:, :, 1:-1, 2:-1].abs().max().item()   # away from the borders the shift commutes
    border = (b - moved).abs().max().item()

    def change(f0, f1):
        return ((f1 - f0).norm() / f0.norm()).item()

    flat, flat_s = x.reshape(len(x), -1), shifted.reshape(len(x), -1)
    return {"interior_error": interior, "border_error": border,
            "conv_change": change(a, b),
            "maxpool_change": change(F.max_pool2d(a, 2), F.max_pool2d(b, 2)),
            "global_pool_change": change(a.mean(dim=(2, 3)), b.mean(dim=(2, 3))),
            "mlp_change": change(torch.relu(flat @ mlp_w), torch.relu(flat_s @ mlp_w))}


def equivariance_report(seed=0):
    """Shift 100 test digits one pixel right and measure, for a random 3x3 conv layer (8 filters, ReLU, float64):

    interior_error: max |conv(shift x) - shift(conv x)| away from the borders (equivariance: 0 up to rounding);
    border_error: the same including the border columns (where zero padding breaks it);
    conv_change, maxpool_change, global_pool_change: relative change ||f(shift x) - f(x)|| / ||f(x)|| of the feature
    map, after 2x2 max pooling, and after global average pooling (invariance grows with pooling);
    mlp_change: the same for a random 64-unit ReLU layer on the flattened pixels.
    """
    return _equivariance(validation.seed_value("seed", seed))


@cached(maxsize=None)
def _cnn_vs_mlp(seed, steps):
    images, labels, test, pool = _digits()
    x, y = images[pool], labels[pool]
    xt, yt = images[test], labels[test]
    result = {}
    with one_cpu_thread():
        for name, model in (("CNN", small_cnn(seed=seed)), ("MLP", small_mlp(seed=seed))):
            _fit(model, x, y, steps, 1e-2, seed)
            shifted = [_accuracy(model, shift_images(xt, dy, dx), yt) for dy, dx in SHIFTS]
            result[name] = {"params": count_parameters(model), "accuracy": _accuracy(model, xt, yt),
                            "shifted_accuracy": float(np.mean(shifted)), "model": model}
    return result


def compare_cnn_mlp(seed=0, steps=300):
    """Train the small CNN and an MLP with about the same number of parameters on the digits (Adam, lr 0.01,
    batches of 64, the same seed), and test both on the fixed test set and on it shifted by one pixel.

    The nets are far too small for a GPU to help (each step would wait on kernel launches), so they run on one CPU
    thread everywhere: on one machine every run gives the same numbers (another CPU may change the last digits).
    Returns {"CNN": {...}, "MLP": {...}}, each with params, accuracy, shifted_accuracy (mean over the four one-pixel
    shifts) and the trained model (a copy).
    """
    seed = validation.seed_value("seed", seed)
    steps = validation.size("steps", steps, high=5000)
    return _cnn_vs_mlp(seed, steps)


def _target_sample(shots, seed):
    """shots labelled examples per target class from the training pool, chosen with `seed`."""
    _, labels, _, pool = _digits()
    g = torch.Generator().manual_seed(1000 + seed)
    picks = []
    for c in TARGET_CLASSES:
        members = pool[labels[pool] == c]
        picks.append(members[torch.randperm(len(members), generator=g)[:shots]])
    return torch.cat(picks)


class _StackedCNN(nn.Module):
    """M copies of `small_cnn` side by side in one module: grouped convolutions keep the copies apart, so one
    forward pass on x (B, M, 8, 8) (model m sees channel m) gives each copy's logits (B, M, n_out).

    Training M small nets this way costs little more than training one (the nets are too small to keep a CPU
    busy); tests check it against training the copies one by one.
    """

    def __init__(self, models):
        super().__init__()
        m, c1, c2 = len(models), models[0][0].out_channels, models[0][3].out_channels
        self.m, self.c2 = m, c2
        self.conv1 = nn.Conv2d(m, m * c1, 3, padding=1, groups=m)
        self.conv2 = nn.Conv2d(m * c1, m * c2, 3, padding=1, groups=m)
        with torch.no_grad():
            self.conv1.weight.copy_(torch.cat([net[0].weight for net in models]))
            self.conv1.bias.copy_(torch.cat([net[0].bias for net in models]))
            self.conv2.weight.copy_(torch.cat([net[3].weight for net in models]))
            self.conv2.bias.copy_(torch.cat([net[3].bias for net in models]))
            self.head_w = nn.Parameter(torch.stack([net[-1].weight.detach() for net in models]).clone())
            self.head_b = nn.Parameter(torch.stack([net[-1].bias.detach() for net in models]).clone())

    def forward(self, x):
        h = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        h = F.max_pool2d(torch.relu(self.conv2(h)), 2)
        h = h.reshape(len(x), self.m, self.c2 * 4)
        return torch.einsum("bmf,mof->bmo", h, self.head_w) + self.head_b

    def rates(self, body_lr, head_lr):
        """One learning rate per parameter entry: body_lr, head_lr are length-M lists (0 freezes)."""
        body, head = torch.tensor(body_lr, dtype=torch.float32), torch.tensor(head_lr, dtype=torch.float32)
        return {self.conv1.weight: body.repeat_interleave(self.conv1.out_channels // self.m).view(-1, 1, 1, 1),
                self.conv1.bias: body.repeat_interleave(self.conv1.out_channels // self.m),
                self.conv2.weight: body.repeat_interleave(self.c2).view(-1, 1, 1, 1),
                self.conv2.bias: body.repeat_interleave(self.c2),
                self.head_w: head.view(-1, 1, 1), self.head_b: head.view(-1, 1)}


def _fit_stacked(net, xs, ys, rates, steps, seed, batch_size=64, augment=None, betas=(0.9, 0.999), eps=1e-8):
    """Adam (PyTorch's update, with one rate per parameter entry) on the sum of the copies' mean cross-entropies.

    xs: (N, M, 8, 8) inputs, ys: (N, M) labels; augment: None or a length-M list of bools (random one-pixel
    shifts of that copy's images in each batch).  The copies share the batch indices.
    """
    g = torch.Generator().manual_seed(seed)
    params = [p for p in net.parameters()]
    state = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    n, bs = len(xs), min(batch_size, len(xs))
    for t in range(1, steps + 1):
        idx = torch.randint(n, (bs,), generator=g) if bs < n else torch.arange(n)
        xb = xs[idx]
        if augment is not None and any(augment):
            moved = _random_shifts(xb.reshape(-1, 1, 8, 8), g).reshape(xb.shape)
            keep = torch.tensor(augment).view(1, -1, 1, 1)
            xb = torch.where(keep, moved, xb)
        out = net(xb)
        loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), ys[idx].reshape(-1), reduction="sum") / bs
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p, (m, v) in zip(params, state):
                m.mul_(betas[0]).add_(p.grad, alpha=1 - betas[0])
                v.mul_(betas[1]).addcmul_(p.grad, p.grad, value=1 - betas[1])
                denom = (v.sqrt() / math.sqrt(1 - betas[1] ** t)).add_(eps)
                p.sub_(rates[p] / (1 - betas[0] ** t) * m / denom)
    return net


def _stacked_accuracy(net, x, y):
    """Accuracy of each copy on the same test images x (N, 1, 8, 8), labels y (N,). Returns a list of M floats."""
    with torch.no_grad():
        out = net(x.expand(-1, net.m, -1, -1))
    return (out.argmax(-1) == y[:, None]).float().mean(0).tolist()


@cached(maxsize=None)
def _sources(seed):
    images, labels, _, pool = _digits()
    keep = pool[labels[pool] < len(SOURCE_CLASSES)]
    nets = [small_cnn(len(SOURCE_CLASSES), channels=(16, 32), seed=seed) for _ in range(2)]
    stacked = _StackedCNN(nets)
    x = images[keep].expand(-1, 2, -1, -1)
    y = labels[keep][:, None].expand(-1, 2)
    with one_cpu_thread():
        _fit_stacked(stacked, x, y, stacked.rates([1e-2] * 2, [1e-2] * 2), SOURCE_STEPS, seed,
                     augment=[False, True])
    for i, net in enumerate(nets):    # copy the trained weights back into ordinary modules
        with torch.no_grad():
            c1, c2 = net[0].out_channels, net[3].out_channels
            net[0].weight.copy_(stacked.conv1.weight[i * c1:(i + 1) * c1])
            net[0].bias.copy_(stacked.conv1.bias[i * c1:(i + 1) * c1])
            net[3].weight.copy_(stacked.conv2.weight[i * c2:(i + 1) * c2])
            net[3].bias.copy_(stacked.conv2.bias[i * c2:(i + 1) * c2])
            net[-1].weight.copy_(stacked.head_w[i])
            net[-1].bias.copy_(stacked.head_b[i])
        net.eval()
    return {False: nets[0], True: nets[1]}


def pretrain_source(shifted=True, seed=0):
    """The source network: a small CNN (16 and 32 channels) trained on every training-pool image of digits 0-4
    (SOURCE_STEPS Adam steps at lr 0.01, batches of 64), with each image of a batch randomly shifted by up to one
    pixel in each direction when `shifted`.  Returns a copy of the trained model (on the CPU)."""
    shifted = validation.boolean("shifted", shifted)
    seed = validation.seed_value("seed", seed)
    return _sources(seed)[shifted]


@cached(maxsize=None)
def _transfer_cell(pairing, shots, seeds, steps):
    """Accuracy (methods, seeds) of one pairing at one number of shots, all runs trained side by side."""
    images, labels, test, _ = _digits()
    target_shifted = pairing in ("shifted", "control")
    source = _sources(0)[pairing == "shifted"]
    k = len(SOURCE_CLASSES)
    xs, ys = [], []
    for seed in seeds:
        idx = _target_sample(shots, seed)
        x = images[idx]
        if target_shifted:  # the target task: digits 5-9, each seen shifted by a random (dy, dx) in [-1, 1]^2
            x = _random_shifts(x, torch.Generator().manual_seed(2000 + seed))
        xs.append(x)
        ys.append(labels[idx] - k)
    nets, body_lr, head_lr = [], [], []
    for method in METHODS:
        for seed in seeds:
            if method == "from scratch":
                net = small_cnn(len(TARGET_CLASSES), channels=(16, 32), seed=100 + seed)
            else:
                net = copy.deepcopy(source)
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(100 + seed)
                    net[-1] = nn.Linear(net[-1].in_features, len(TARGET_CLASSES))
            nets.append(net)
            # fine-tuning: a ten times smaller rate for the pretrained layers; new head only: pretrained frozen
            body_lr.append({"from scratch": 1e-2, "fine-tune all": 1e-3, "new head only": 0.0}[method])
            head_lr.append(1e-2)
    stacked = _StackedCNN(nets)
    x = torch.cat(xs * len(METHODS), dim=1)
    y = torch.stack(ys * len(METHODS), dim=1)
    with one_cpu_thread():
        _fit_stacked(stacked, x, y, stacked.rates(body_lr, head_lr), steps, seeds[0])
    keep = test[labels[test] >= k]
    xt, yt = images[keep], labels[keep] - k
    if target_shifted:
        xt = _random_shifts(xt, torch.Generator().manual_seed(99))
    return np.array(_stacked_accuracy(stacked, xt, yt)).reshape(len(METHODS), len(seeds))


def fine_tune_sweep(pairing="shifted", shots=SHOTS, seeds=SEEDS, steps=60):
    """Learn digits 5-9 from `shots` labelled images per class, three ways, and test on the fixed test set's 5-9s.

    pairing: "clean" (source trained on clean 0-4, target on clean 5-9), "shifted" (source trained on 0-4 randomly
    shifted by up to one pixel, target images shifted the same way) or "control" (clean source, shifted target).
    Methods: from scratch (a fresh CNN of the same shape), fine-tune all (pretrained layers at lr 1e-3, new head at
    1e-2) and new head only (pretrained layers frozen).  Each run: `steps` full-batch Adam steps.
    The source net is trained once (seed 0); a seed chooses the labelled examples, the new head and the fresh net.
    Returns a dict with pairing, shots, seeds, methods and accuracy: an array (methods, shots, seeds).
    """
    validation.one_of("pairing", pairing, PAIRINGS)
    shots = tuple(_side(f"shots[{i}]", s, high=100) for i, s in enumerate(_sequence("shots", shots)))
    seeds = tuple(validation.seed_value(f"seeds[{i}]", s) for i, s in enumerate(_sequence("seeds", seeds)))
    if len(seeds) > 20:
        raise ValueError(f"seeds has {len(seeds)} entries, at most 20 are accepted: {validation.SIZE_NOTE}")
    steps = validation.size("steps", steps, high=2000)
    acc = np.stack([_transfer_cell(pairing, k, seeds, steps) for k in shots], axis=1)
    return {"pairing": pairing, "shots": list(shots), "seeds": list(seeds), "methods": METHODS, "accuracy": acc}
