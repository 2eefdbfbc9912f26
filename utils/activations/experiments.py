"""The experiments of notebook 01: networks built with each activation, trained or measured; each returns data.

In the notebook's order: MaxoutLinear and build_mlp (the networks); linear_stack_collapse and fit_boundaries
(§1, why a nonlinearity); activation_table, format_table (§3); relu_zero_fraction (§5); gradient_norms,
gradient_verdicts (§4 and §6, gradients at initialisation); update_ratios, compare_training, steps_to_target,
format_training_table (§7, training).  The activations themselves are in `maths.py`.
"""

import functools
import math

import numpy as np
import torch
from torch import nn

from utils import validation
from utils.caching import cached
from utils.device import one_cpu_thread

from ._checks import _threshold
from .maths import NAMES, activation, derivative, get_activation, saturated_mask

_MAX_WIDTH = 1024  # units per layer: a wider net than this would make a notebook call take far more than seconds


class MaxoutLinear(nn.Module):
    """A Maxout layer: k affine maps of the input, keep the largest per output unit.

    Input (N, in_features) → output (N, out_features); it holds k times the parameters of nn.Linear.
    """

    def __init__(self, in_features, out_features, k=2):
        super().__init__()
        in_features = validation.size("in_features", in_features, high=_MAX_WIDTH)
        self.out_features = validation.size("out_features", out_features, high=_MAX_WIDTH)
        self.k = validation.integer("k", k, low=2, high=16)
        self.linear = nn.Linear(in_features, self.out_features * self.k)

    def forward(self, x):
        return self.linear(x).view(*x.shape[:-1], self.out_features, self.k).max(dim=-1).values


def _check_names(names, what="names"):
    if isinstance(names, str) or not isinstance(names, (tuple, list)) or not names:
        raise TypeError(f"{what} must be a non-empty tuple of activation names (from {NAMES}), got {names!r}")
    return tuple(validation.one_of(what, n, NAMES) for n in names)


def build_mlp(name, sizes, seed=0):
    """A seeded MLP with activation `name` (one of NAMES, or "linear" for none) after every hidden layer.

    sizes: [in, hidden..., out], whole numbers.  For "maxout" every hidden layer is a MaxoutLinear (k = 2).
    Weights and biases are drawn as nn.Linear draws them (U(±1/√fan_in)) but from a generator seeded with `seed`,
    so the global random state is left alone.  The same seed gives the same initial weights for every activation
    except maxout (which has twice the weights).
    """
    validation.one_of("name", name, NAMES + ("linear",))
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
        raise TypeError(f"sizes must be a list of at least two layer sizes, e.g. [2, 32, 2], got {sizes!r}")
    sizes = [validation.size(f"sizes[{i}]", s, high=_MAX_WIDTH) for i, s in enumerate(sizes)]
    g = torch.Generator().manual_seed(validation.seed_value("seed", seed))
    layers = []
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws its own init from the global generator: undo that
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            if name == "maxout" and not last:
                layers.append(MaxoutLinear(a, b, k=2))
            else:
                layers.append(nn.Linear(a, b))
                if not last and name != "linear":
                    layers.append(get_activation(name).module())
    with torch.no_grad():
        for layer in _weight_layers(nn.Sequential(*layers)):
            bound = 1.0 / math.sqrt(layer.in_features)
            layer.weight.copy_((2 * torch.rand(layer.weight.shape, generator=g) - 1) * bound)
            layer.bias.copy_((2 * torch.rand(layer.bias.shape, generator=g) - 1) * bound)
    return nn.Sequential(*layers)


def _weight_layers(model):
    """The nn.Linear layers of a model built by `build_mlp`, input side first."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def linear_stack_collapse(depth=5, width=8, n_in=2, n=200, seed=0):
    """Show that a stack of linear layers without activations is one affine map.

    Builds a deep linear net (depth layers, float64), multiplies its matrices into one W (width, n_in) and folds
    the biases into one c.  Returns a dict with W, c, depth, deep (n, width): the net's outputs on n random inputs,
    single (n, width): W x + c on the same inputs, and max_abs_diff: the largest |deep − single|.
    """
    depth = validation.size("depth", depth, high=100)
    width = validation.size("width", width, high=_MAX_WIDTH)
    n_in = validation.size("n_in", n_in, high=_MAX_WIDTH)
    n = validation.size("n", n, high=100_000)
    seed = validation.seed_value("seed", seed)
    model = build_mlp("linear", [n_in] + [width] * depth, seed=seed).double()
    W, c = torch.eye(n_in, dtype=torch.float64), torch.zeros(n_in, dtype=torch.float64)
    for layer in _weight_layers(model):
        W, c = layer.weight @ W, layer.weight @ c + layer.bias
    x = torch.randn(n, n_in, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        deep, single = model(x), x @ W.T + c
        diff = (deep - single).abs().max().item()
        W, c = W.detach().numpy(), c.detach().numpy()
    return {"W": W, "c": c, "depth": depth, "deep": deep.numpy(), "single": single.numpy(), "max_abs_diff": diff}


def _training_args(dataset, depth, width, steps, lr, seed):
    from utils.data import DATASETS

    return (validation.one_of("dataset", dataset, DATASETS), validation.size("depth", depth, high=20),
            validation.size("width", width, high=256), validation.size("steps", steps, high=5000),
            validation.finite_number("lr", lr, low=0.0, high=10.0, low_open=True), validation.seed_value("seed", seed))


def fit_boundaries(names=("linear", "tanh", "relu"), dataset="circles", depth=3, width=32, steps=150,
                   lr=0.02, seed=0, device=None):
    """Train the same MLP (Adam, full batch) with each activation in `names` ("linear" = none) on a 2-D data set.

    Returns {"data": Split (CPU), "models": {name: model on CPU}, "val_acc": {name: accuracy}}.
    """
    from utils.data import load_dataset
    from utils.training import train

    if isinstance(names, str) or not isinstance(names, (tuple, list)) or not names:
        raise TypeError(f"names must be a non-empty tuple of activation names, got {names!r}")
    names = tuple(validation.one_of("names", n, NAMES + ("linear",)) for n in names)
    dataset, depth, width, steps, lr, seed = _training_args(dataset, depth, width, steps, lr, seed)
    device = validation.device_value("device", device)
    data = load_dataset(dataset, seed=seed)
    if data.n_features != 2:
        raise ValueError(f"dataset must be a 2-D data set to draw its boundaries, got {dataset!r}")
    models, val_acc = {}, {}
    with one_cpu_thread():
        for name in names:
            model = build_mlp(name, [data.n_features] + [width] * depth + [data.n_classes], seed=seed)
            hist = train(model, data, steps=steps, lr=lr, optimizer="adam", batch_size=None, eval_every=steps,
                         seed=seed, device=device)
            models[name], val_acc[name] = model.cpu().eval(), hist.final("val_acc")
    return {"data": data.to("cpu"), "models": models, "val_acc": val_acc}


def activation_table(n=100_000, threshold=0.05, seed=0, names=NAMES):
    """Measure each activation on n standard-normal inputs (drawn with `seed`; n ≤ 1 000 000).

    Returns a list of dicts (one per name) with: mean (output mean), max_derivative (largest |f'| seen),
    saturated (fraction of inputs in a saturated tail, see `saturated_mask`), zeros (fraction of outputs exactly 0).
    Speed is not measured: timings of one elementwise function are dominated by the machine's noise.
    """
    n = validation.size("n", n, high=1_000_000)    # 1e6: ~0.6 s of CPU and ~75 MB; 1e7 took 12 s and ~1 GB
    threshold = _threshold(threshold)
    names = _check_names(names)
    x = np.random.default_rng(validation.seed_value("seed", seed)).standard_normal(n)
    rows = []
    for name in names:
        y, d = activation(name, x), derivative(name, x)
        rows.append({"name": name, "mean": float(y.mean()), "max_derivative": float(np.abs(d).max()),
                     "saturated": float(saturated_mask(name, x, threshold).mean()), "zeros": float((y == 0).mean())})
    return rows


def format_table(rows):
    """The rows of `activation_table` as aligned text."""
    if not isinstance(rows, (list, tuple)) or not rows or not all(isinstance(r, dict) for r in rows):
        raise TypeError(f"rows must be the list returned by activation_table, got {rows!r:.60}")
    head = f"{'activation':<14}{'mean out':>10}{'max |f′|':>10}{'saturated':>11}{'zeros':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{get_activation(r['name']).label:<14}{r['mean']:>10.3f}{r['max_derivative']:>10.3f}"
                     f"{r['saturated']:>11.1%}{r['zeros']:>8.1%}")
    return "\n".join(lines)


# The ReLU view's pre-activations: z = shift + N(0, 1) samples, one fixed set per seed.
_RELU_N = 20_000


@functools.lru_cache(maxsize=16)
def _relu_samples(seed):
    samples = np.random.default_rng(seed).standard_normal(_RELU_N)
    samples.setflags(write=False)
    return samples


def relu_zero_fraction(shift=0.0, seed=0):
    """The share of 20,000 pre-activations z ~ N(shift, 1) (drawn with `seed`) on which ReLU outputs 0 and passes
    no gradient (z ≤ 0).  The ReLU view shows the same samples (seed 0)."""
    shift = validation.finite_number("shift", shift, low=-10.0, high=10.0)
    return float((_relu_samples(validation.seed_value("seed", seed)) + shift <= 0).mean())


# Weight initialisations of the gradient experiment.  "usual" gives each activation the scale it is normally used
# with: Kaiming (Var W = 2/fan_in) for all, except SELU, whose self-normalisation holds only with LeCun (1/fan_in).
INITS = ("usual", "kaiming", "lecun", "pytorch")
INIT_LABELS = {"usual": "Kaiming (SELU: LeCun)", "kaiming": "Kaiming for all", "lecun": "LeCun for all",
               "pytorch": "PyTorch default"}
MAX_DEPTH = 100  # deeper, Maxout's gradients overflow float32 (inf near depth 150) and a redraw takes long


def _resolve_init(name, init):
    return ("lecun" if name == "selu" else "kaiming") if init == "usual" else init


def _deep_mlp_weights(name, depth=10, width=64, n=256, init="kaiming", seed=0):
    """The weights and the batch of the deep MLP behind `gradient_norms`, drawn from one seeded generator.

    init: "kaiming" (W ~ N(0, 2/fan_in), b = 0), "lecun" (W ~ N(0, 1/fan_in), b = 0) or "pytorch" (nn.Linear's
    default: W and b ~ U(−1/√fan_in, 1/√fan_in)).  For "maxout" every hidden W has k = 2 times the rows.
    Returns (weights, biases, x, y): depth + 1 matrices W (out, in) and vectors b (out,), input side first;
    x (n, width) standard-normal inputs; y (n,) random labels of 10 classes.
    """
    init = _resolve_init(name, init)
    k = 2 if name == "maxout" else 1
    g = torch.Generator().manual_seed(seed)
    weights, biases = [], []
    for i in range(depth + 1):
        rows = 10 if i == depth else k * width
        if init == "pytorch":
            bound = 1.0 / np.sqrt(width)
            weights.append((2 * torch.rand(rows, width, generator=g) - 1) * bound)
            biases.append((2 * torch.rand(rows, generator=g) - 1) * bound)
        else:
            scale = 2.0 if init == "kaiming" else 1.0
            weights.append(torch.randn(rows, width, generator=g) * np.sqrt(scale / width))
            biases.append(torch.zeros(rows))
    x = torch.randn(n, width, generator=g)
    y = torch.randint(10, (n,), generator=g)
    return weights, biases, x, y


@cached(maxsize=512)
def _gradient_norms(name, depth, width, n, init, seed):
    weights, biases, x, y = _deep_mlp_weights(name, depth, width, n, init, seed)
    act = None if name == "maxout" else get_activation(name).module()
    with one_cpu_thread():
        for w in weights:
            w.requires_grad_(True)
        h = x
        for w, b in zip(weights[:-1], biases[:-1]):
            z = h @ w.T + b
            h = z.view(n, width, 2).max(dim=-1).values if act is None else act(z)  # as MaxoutLinear
        loss = nn.functional.cross_entropy(h @ weights[-1].T + biases[-1], y)
        grads = torch.autograd.grad(loss, weights)
        out = torch.stack([gw.norm() for gw in grads]).double().numpy()
    out.setflags(write=False)
    return out


def gradient_norms(name, depth=10, width=64, n=256, init="usual", seed=0):
    """Norm of ∂loss/∂W for every weight matrix of a deep MLP at initialisation (real autograd).

    depth: hidden layers (1 … 100), each followed by `name`; the net has depth + 1 weight matrices.
    init: one of INITS ("usual": Kaiming, but LeCun for SELU; "kaiming"; "lecun"; "pytorch": nn.Linear's default).
    Inputs: n standard-normal vectors of size width; loss: cross-entropy against random labels of 10 classes;
    weights, inputs and labels drawn from one generator seeded with `seed`.  The forward pass is written out with
    plain tensors (half the time of nn modules); a test checks it against the same weights loaded into `build_mlp`.
    Returns a float64 array (depth + 1,), input-side layer first.  A gradient too small for float32 is exactly 0.
    """
    name = get_activation(name).name
    depth = validation.integer("depth", depth, low=1)
    if depth > MAX_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_DEPTH}, got {depth}: deeper nets overflow float32 "
                         f"(Maxout's gradients reach inf near depth 150) and take too long to draw")
    width = validation.size("width", width, high=_MAX_WIDTH)
    n = validation.size("n", n, high=4096)
    init = validation.one_of("init", init, INITS)
    seed = validation.seed_value("seed", seed)
    # cached under the init actually used, so "usual" and "kaiming" share their nets (they differ for SELU only)
    return _gradient_norms(name, depth, width, n, _resolve_init(name, init), seed)


# A weight-gradient norm above EXPLODING or below VANISHING is called exploding / vanishing: at initialisation the
# last layer of a well-scaled net of this kind gets a gradient norm of about 0.1 to 1.
EXPLODING, VANISHING = 1e2, 1e-3


def gradient_verdicts(norms):
    """What the gradient view's title says: for each activation, one finding or None.

    norms: {name: array of per-layer gradient norms, input side first}.  A finding is "overflows" (inf or NaN),
    "explodes" (some layer > EXPLODING), "vanishes" (every layer < VANISHING) or "shrinks" (layer 1 gets less than
    1/100 of the last layer's gradient).  Returns {name: (finding or None, number)}: the number is the largest
    norm, the largest norm, the layer-1/last ratio, respectively.
    """
    if not isinstance(norms, dict):
        raise TypeError(f"norms must be a dict {{name: array}}, got {type(norms).__name__}")
    if not norms:
        raise ValueError("norms must hold at least one activation's gradient norms, got an empty dict")
    out = {}
    for name, v in norms.items():
        v = np.asarray(v, dtype=float)
        if not np.all(np.isfinite(v)):
            out[name] = ("overflows", math.inf)
            continue
        ratio = v[0] / v[-1] if v[-1] > 0 else 0.0
        if v.max() > EXPLODING:
            out[name] = ("explodes", float(v.max()))
        elif v.max() < VANISHING:
            out[name] = ("vanishes", float(v.max()))
        elif ratio < 1e-2:
            out[name] = ("shrinks", float(ratio))
        else:
            out[name] = (None, float(ratio))
    return out


def update_ratios(names=("sigmoid", "sigmoid_centred", "tanh", "relu"), optimizer="sgd", lr=0.5,
                  dataset="circles", depth=3, width=32, seed=0):
    """How far the first training step moves each layer: ‖ΔW‖ / ‖W‖ per weight matrix.

    The same MLP (`build_mlp`, same seed) for each activation, one full-batch step of `optimizer` ("sgd" or "adam")
    on cross-entropy.  Returns {name: float64 array (depth + 1,)}, input-side layer first.
    """
    from utils.data import load_dataset
    from utils.training import make_optimizer

    names = _check_names(names)
    optimizer = validation.one_of("optimizer", optimizer, ("sgd", "adam"))
    dataset, depth, width, _, lr, seed = _training_args(dataset, depth, width, 1, lr, seed)
    data = load_dataset(dataset, seed=seed)
    out = {}
    with one_cpu_thread():
        for name in names:
            model = build_mlp(name, [data.n_features] + [width] * depth + [data.n_classes], seed=seed)
            layers = _weight_layers(model)
            before = [layer.weight.detach().clone() for layer in layers]
            opt = make_optimizer(model, optimizer, lr)
            loss = nn.functional.cross_entropy(model(data.x_train), data.y_train)
            opt.zero_grad()
            loss.backward()
            opt.step()
            out[name] = np.array([float((layer.weight.detach() - w).norm() / w.norm())
                                  for layer, w in zip(layers, before)])
    return out


TRAIN_NAMES = ("sigmoid", "sigmoid_centred", "tanh", "relu", "gelu", "maxout")


@cached(maxsize=8)
def _compare_training(names, dataset, depth, width, steps, lr, optimizer, eval_every, seed, device):
    from utils.data import load_dataset
    from utils.training import train

    data = load_dataset(dataset, seed=seed)
    histories = {}
    with one_cpu_thread():
        for name in names:
            model = build_mlp(name, [data.n_features] + [width] * depth + [data.n_classes], seed=seed)
            histories[name] = train(model, data, steps=steps, lr=lr, optimizer=optimizer, batch_size=None,
                                    eval_every=eval_every, seed=seed, device=device)
    return {"names": names, "histories": histories, "device": str(device),
            "optimizer": f"{optimizer}, lr {lr:g}", "dataset": dataset}


def compare_training(names=TRAIN_NAMES, dataset="circles", depth=3, width=32, steps=300, lr=0.5,
                     optimizer="sgd", eval_every=10, seed=0, device="cpu"):
    """Train the same MLP with each activation: same seed (same initial weights), data, optimiser and steps (full
    batch).  optimizer: "sgd" or "adam".

    Returns {"names", "histories": {name: History}, "device": str, "optimizer": str, "dataset": str}.  The result
    of a call is remembered, so asking a prediction about a run and then showing the run trains it once.
    """
    names = _check_names(names)
    dataset, depth, width, steps, lr, seed = _training_args(dataset, depth, width, steps, lr, seed)
    optimizer = validation.one_of("optimizer", optimizer, ("sgd", "adam"))
    eval_every = validation.size("eval_every", eval_every, high=5000)
    device = validation.device_value("device", device)
    return _compare_training(names, dataset, depth, width, steps, lr, optimizer, eval_every, seed, device)


def _check_result(result):
    if not isinstance(result, dict) or "histories" not in result or "names" not in result:
        raise TypeError(f"result must be the dict returned by compare_training, got {type(result).__name__}")
    return result


def steps_to_target(result, target):
    """{name: first recorded step with training loss <= target, or None} for a `compare_training` result."""
    _check_result(result)
    target = validation.finite_number("target", target, low=0.0, low_open=True)
    return {name: result["histories"][name].steps_to_reach(target, "train_loss") for name in result["names"]}


def format_training_table(result, target):
    """Steps to reach `target` training loss, final loss and validation accuracy, as aligned text."""
    reached = steps_to_target(result, target)
    head = f"{'activation':<14}{'steps to loss ≤ ' + format(target, 'g'):>20}{'final loss':>12}{'val acc':>9}"
    lines = [head, "-" * len(head)]
    for name in result["names"]:
        h = result["histories"][name]
        steps = "never" if reached[name] is None else str(reached[name])
        lines.append(f"{get_activation(name).label:<14}{steps:>20}{h.final('train_loss'):>12.3f}"
                     f"{h.final('val_acc'):>9.1%}")
    return "\n".join(lines)
