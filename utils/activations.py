"""Activation functions and their derivatives written from the formulas, and the experiments of notebook 01.

Public functions (what the notebook and learners call):
- the functions and derivatives: sigmoid, d_sigmoid, sigmoid_centred, tanh, d_tanh, relu, d_relu, leaky_relu,
  d_leaky_relu, prelu, d_prelu, elu, d_elu, selu, d_selu, gelu, d_gelu, silu, d_silu, softplus, d_softplus,
  maxout, d_maxout; by name: get_activation, activation, derivative, saturated_mask, gallery_markdown;
- networks and experiments: MaxoutLinear, build_mlp, linear_stack_collapse, fit_boundaries, activation_table,
  format_table, sigmoid_gradient_bound, relu_zero_fraction, gradient_norms, gradient_verdicts, update_ratios,
  compare_training, steps_to_target, format_training_table;
- views and figures: plot_gallery, plot_linear_collapse, plot_decision_boundaries, plot_gradient_norms,
  plot_relu_sparsity, plot_update_ratios, plot_training_curves;
- exercise checkers: check_elu_derivative, check_most_saturated (and most_saturated, its answer), check_sigmoid_bound,
  check_leaky_relu_variance;
- predictions (asked in the notebook before the experiment that answers them): SMALLEST_FIRST_LAYER_GRADIENT,
  MAXOUT_AT_DEPTH_20, RELU_ZEROS_AT_MINUS_ONE, CENTRED_SIGMOID_UNDER_SGD;
- data: ACTIVATIONS, NAMES, MAXOUT_PIECES, SELU_ALPHA, SELU_SCALE, INITS, INIT_LABELS, MAX_DEPTH, EXPLODING, VANISHING,
  TRAIN_NAMES, GROUPS, VIEW_SWEEPS.
Everything else is private (`_name`).
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.collections import PolyCollection
from matplotlib.ticker import MaxNLocator
from torch import nn

from utils import validation
from utils.device import one_cpu_thread
from utils.exercises import feedback, learner_number
from utils.plotstyle import BLUE, GREEN, ORANGE, PALETTE, VERMILION, YELLOW, light_log_axis, new_figure
from utils.predictions import Prediction

# ---------------------------------------------------------------------------------------------------------------
# Pure computations: every function takes a number or an array of finite numbers x (any shape) and returns a
# float64 NumPy array of the same shape.
# ---------------------------------------------------------------------------------------------------------------

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# A Maxout unit with k = 2 pieces, max(w1 x + b1, w2 x + b2); rows are (slope w, intercept b).  In a network the
# pieces are learned; these two make a convex, V-like shape that neither saturates nor has a flat side.
MAXOUT_PIECES = ((1.0, 0.0), (-0.25, 0.0))


def _x(x):
    return validation.array("x", x, min_size=0)


def sigmoid(x):
    """σ(x) = 1 / (1 + e^(−x)), computed without overflow for large |x|."""
    x = _x(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def d_sigmoid(x):
    """σ'(x) = σ(x)(1 − σ(x)) ≤ 1/4."""
    s = sigmoid(x)
    return s * (1.0 - s)


def sigmoid_centred(x):
    """σ(x) − ½: sigmoid moved down to be zero-centred, with sigmoid's slope (at most 1/4).  The control that tells
    the two differences between sigmoid and tanh apart: tanh(x) = 2σ(2x) − 1 is centred *and* four times steeper."""
    return sigmoid(x) - 0.5


def tanh(x):
    """tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x))."""
    return np.tanh(_x(x))


def d_tanh(x):
    """tanh'(x) = 1 − tanh²(x) ≤ 1."""
    return 1.0 - np.tanh(_x(x)) ** 2


def relu(x):
    """max(0, x)."""
    x = _x(x)
    return np.where(x > 0, x, 0.0)


def d_relu(x):
    """1 for x > 0, else 0 (PyTorch's convention at x = 0)."""
    return np.where(_x(x) > 0, 1.0, 0.0)


def _slope(alpha):
    return validation.finite_number("alpha", alpha, low=-10.0, high=10.0)


def leaky_relu(x, alpha=0.01):
    """x for x > 0, αx otherwise."""
    x, alpha = _x(x), _slope(alpha)
    return np.where(x > 0, x, alpha * x)


def d_leaky_relu(x, alpha=0.01):
    """1 for x > 0, α otherwise (α at x = 0, as PyTorch)."""
    x, alpha = _x(x), _slope(alpha)
    return np.where(x > 0, 1.0, alpha)


def prelu(x, alpha=0.25):
    """Leaky ReLU whose slope α is a learned parameter (PyTorch initialises it to 0.25)."""
    return leaky_relu(x, alpha)


def d_prelu(x, alpha=0.25):
    """dPReLU/dx: 1 for x > 0, α otherwise."""
    return d_leaky_relu(x, alpha)


def elu(x, alpha=1.0):
    """x for x > 0, α(e^x − 1) otherwise (saturates at −α)."""
    x, alpha = _x(x), _slope(alpha)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def d_elu(x, alpha=1.0):
    """1 for x > 0, αe^x otherwise (α at x = 0, as PyTorch)."""
    x, alpha = _x(x), _slope(alpha)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def selu(x):
    """λ·ELU_α(x) with the self-normalising constants λ ≈ 1.0507, α ≈ 1.6733."""
    return SELU_SCALE * elu(x, SELU_ALPHA)


def d_selu(x):
    """λ for x > 0, λαe^x otherwise."""
    return SELU_SCALE * d_elu(x, SELU_ALPHA)


def _std_normal_cdf(x):
    # Φ(x) = (1 + erf(x/√2)) / 2; torch.erf is exact to float64 and avoids a SciPy dependency.
    return 0.5 * (1.0 + torch.erf(torch.from_numpy(np.asarray(x / np.sqrt(2.0)))).numpy())


def gelu(x):
    """x·Φ(x), Φ the standard normal CDF (the exact form, not the tanh approximation)."""
    x = _x(x)
    return x * _std_normal_cdf(x)


def d_gelu(x):
    """Φ(x) + x·φ(x), φ the standard normal density."""
    x = _x(x)
    return _std_normal_cdf(x) + x * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


def silu(x):
    """x·σ(x) (also called Swish)."""
    x = _x(x)
    return x * sigmoid(x)


def d_silu(x):
    """σ(x)(1 + x(1 − σ(x)))."""
    x = _x(x)
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def softplus(x):
    """log(1 + e^x), a smooth ReLU (computed as logaddexp(0, x) to avoid overflow)."""
    return np.logaddexp(0.0, _x(x))


def d_softplus(x):
    """σ(x)."""
    return sigmoid(x)


def _maxout_pieces(x, pieces):
    p = validation.array("pieces", pieces, ndim=2)
    if p.shape[1] != 2 or p.shape[0] < 2 or p.shape[0] > 16:
        raise ValueError(f"pieces must be 2 to 16 rows of (slope, intercept), got shape {p.shape}")
    x = _x(x)
    return p[:, 0].reshape((-1,) + (1,) * x.ndim) * x + p[:, 1].reshape((-1,) + (1,) * x.ndim), p


def maxout(x, pieces=MAXOUT_PIECES):
    """max_i (w_i x + b_i) over k linear pieces (rows of `pieces`, k = 2 … 16)."""
    values, _ = _maxout_pieces(x, pieces)
    return values.max(axis=0)


def d_maxout(x, pieces=MAXOUT_PIECES):
    """The slope of the winning piece (the first one on a tie, as torch.max)."""
    values, p = _maxout_pieces(x, pieces)
    return p[values.argmax(axis=0), 0]


@dataclass(frozen=True)
class _Activation:
    """One activation: the function, its derivative, how to write them, and its PyTorch module."""

    name: str
    label: str
    f: object
    df: object
    formula: str
    derivative: str
    output_range: str
    module: object  # zero-argument factory of the torch.nn module


class _CentredSigmoid(nn.Module):
    """σ(x) − ½ as a torch module (no built-in one exists)."""

    def forward(self, x):
        return torch.sigmoid(x) - 0.5


def _maxout_module_missing():
    raise ValueError("maxout has no pointwise torch.nn module: it is a layer (see MaxoutLinear / build_mlp)")


ACTIVATIONS = {a.name: a for a in [
    _Activation("sigmoid", "sigmoid", sigmoid, d_sigmoid, r"\sigma(x)=\frac{1}{1+e^{-x}}",
                r"\sigma(x)\,(1-\sigma(x))", "(0, 1)", nn.Sigmoid),
    _Activation("sigmoid_centred", "σ(x) − ½", sigmoid_centred, d_sigmoid, r"\sigma(x)-\frac{1}{2}",
                r"\sigma(x)\,(1-\sigma(x))", "(-0.5, 0.5)", _CentredSigmoid),
    _Activation("tanh", "tanh", tanh, d_tanh, r"\tanh(x)", r"1-\tanh^2(x)", "(-1, 1)", nn.Tanh),
    _Activation("relu", "ReLU", relu, d_relu, r"\max(0,x)", r"\mathbb{1}[x>0]", "[0, ∞)", nn.ReLU),
    _Activation("leaky_relu", "Leaky ReLU", leaky_relu, d_leaky_relu, r"\max(\alpha x, x),\ \alpha=0.01",
                r"1 \text{ if } x>0 \text{ else } \alpha", "(-∞, ∞)", lambda: nn.LeakyReLU(0.01)),
    _Activation("prelu", "PReLU", prelu, d_prelu, r"\max(\alpha x, x),\ \alpha \text{ learned (init } 0.25)",
                r"1 \text{ if } x>0 \text{ else } \alpha", "(-∞, ∞)", lambda: nn.PReLU(init=0.25)),
    _Activation("elu", "ELU", elu, d_elu, r"x \text{ if } x>0 \text{ else } \alpha(e^x-1),\ \alpha=1",
                r"1 \text{ if } x>0 \text{ else } \alpha e^x", "(-1, ∞)", nn.ELU),
    _Activation("selu", "SELU", selu, d_selu,
                r"\lambda\,\mathrm{ELU}_\alpha(x),\ \lambda\approx1.051,\ \alpha\approx1.673",
                r"\lambda \text{ if } x>0 \text{ else } \lambda\alpha e^x", "(-1.758, ∞)", nn.SELU),
    _Activation("gelu", "GELU", gelu, d_gelu, r"x\,\Phi(x)", r"\Phi(x)+x\,\varphi(x)", "[-0.170, ∞)", nn.GELU),
    _Activation("silu", "SiLU / Swish", silu, d_silu, r"x\,\sigma(x)", r"\sigma(x)\,(1+x(1-\sigma(x)))",
                "[-0.278, ∞)", nn.SiLU),
    _Activation("softplus", "Softplus", softplus, d_softplus, r"\log(1+e^x)", r"\sigma(x)", "(0, ∞)",
                nn.Softplus),
    _Activation("maxout", "Maxout (k=2)", maxout, d_maxout, r"\max(x,\,-0.25x)",
                r"1 \text{ if } x>0 \text{ else } -0.25", "[0, ∞) here; any convex shape when learned",
                _maxout_module_missing),
]}
NAMES = tuple(ACTIVATIONS)


def get_activation(name):
    """The record for `name` (one of NAMES): .name, .label, .f, .df, .formula, .derivative, .output_range, .module."""
    return ACTIVATIONS[validation.one_of("name", name, NAMES)]


def gallery_markdown():
    """A Markdown table of every activation: name, formula, derivative, output range (from the registry)."""
    lines = ["| activation | f(x) | f′(x) | output range |", "|---|---|---|---|"]
    for a in ACTIVATIONS.values():
        lines.append(f"| {a.label} | ${a.formula}$ | ${a.derivative}$ | {a.output_range} |")
    return "\n".join(lines)


def activation(name, x):
    """f(x) for the activation called `name`; x any shape, returns float64 array of the same shape."""
    return get_activation(name).f(x)


def derivative(name, x):
    """f'(x) for the activation called `name`."""
    return get_activation(name).df(x)


def _threshold(threshold):
    return validation.finite_number("threshold", threshold, low=0.0, high=10.0, low_open=True)


# Where the derivative is measured to find the saturated tails (step 0.005; every activation's derivative is
# monotone beyond |x| = 60, so the tails continue the same way outside it).
_TAIL_GRID = np.linspace(-60.0, 60.0, 24_001)


@functools.lru_cache(maxsize=1024)
def _tail_edges(name, threshold):
    big = np.abs(ACTIVATIONS[name].df(_TAIL_GRID)) >= threshold
    if not big.any():
        return math.inf, -math.inf  # |f'| < threshold everywhere: the whole line is saturated
    first, last = np.flatnonzero(big)[[0, -1]]
    # the last grid point still saturated on each side (-inf / inf: that side has no saturated tail)
    left = float(_TAIL_GRID[first - 1]) if first > 0 else -math.inf
    right = float(_TAIL_GRID[last + 1]) if last < len(_TAIL_GRID) - 1 else math.inf
    return left, right


def saturated_mask(name, x, threshold=0.05):
    """Boolean array (shape of x): True where x lies in a *saturated tail* of f: |f'(t)| < threshold for x and for
    every t beyond it (all t ≤ x on the left, all t ≥ x on the right).

    A point where f' merely crosses zero on its way somewhere else (GELU and SiLU dip below zero near x ≈ −0.75
    and x ≈ −1.28) is not saturated: a little further out the gradient is back.
    """
    x = _x(x)
    left, right = _tail_edges(get_activation(name).name, _threshold(threshold))
    return (x <= left) | (x >= right)


def sigmoid_gradient_bound(n_layers):
    """Upper bound 0.25**n on how much n sigmoid layers can scale a back-propagated gradient (weights ignored)."""
    return 0.25 ** validation.integer("n_layers", n_layers, low=0, high=500)


# ---------------------------------------------------------------------------------------------------------------
# Networks and experiments
# ---------------------------------------------------------------------------------------------------------------

MAX_WIDTH = 1024  # units per layer: a wider net than this would make a notebook call take far more than seconds


class MaxoutLinear(nn.Module):
    """A Maxout layer: k affine maps of the input, keep the largest per output unit.

    Input (N, in_features) → output (N, out_features); it holds k times the parameters of nn.Linear.
    """

    def __init__(self, in_features, out_features, k=2):
        super().__init__()
        in_features = validation.size("in_features", in_features, high=MAX_WIDTH)
        self.out_features = validation.size("out_features", out_features, high=MAX_WIDTH)
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
    sizes = [validation.size(f"sizes[{i}]", s, high=MAX_WIDTH) for i, s in enumerate(sizes)]
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
    width = validation.size("width", width, high=MAX_WIDTH)
    n_in = validation.size("n_in", n_in, high=MAX_WIDTH)
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
    """Measure each activation on n standard-normal inputs (drawn with `seed`).

    Returns a list of dicts (one per name) with: mean (output mean), max_derivative (largest |f'| seen),
    saturated (fraction of inputs in a saturated tail, see `saturated_mask`), zeros (fraction of outputs exactly 0).
    Speed is not measured: timings of one elementwise function are dominated by the machine's noise.
    """
    n = validation.size("n", n, high=10_000_000)
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
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, dict) for r in rows):
        raise TypeError(f"rows must be the list returned by activation_table, got {type(rows).__name__}")
    head = f"{'activation':<14}{'mean out':>10}{'max |f′|':>10}{'saturated':>11}{'zeros':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{get_activation(r['name']).label:<14}{r['mean']:>10.3f}{r['max_derivative']:>10.3f}"
                     f"{r['saturated']:>11.1%}{r['zeros']:>8.1%}")
    return "\n".join(lines)


# The ReLU view's pre-activations: z = shift + N(0, 1) samples, one fixed set per seed.
RELU_N = 20_000


@functools.lru_cache(maxsize=16)
def _relu_samples(seed):
    samples = np.random.default_rng(seed).standard_normal(RELU_N)
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


@functools.lru_cache(maxsize=512)
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
    width = validation.size("width", width, high=MAX_WIDTH)
    n = validation.size("n", n, high=4096)
    init = validation.one_of("init", init, INITS)
    seed = validation.seed_value("seed", seed)
    # cached under the init actually used, so "usual" and "kaiming" share their nets (they differ for SELU only)
    return _gradient_norms(name, depth, width, n, _resolve_init(name, init), seed).copy()


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


def _classify_maxout_at_depth_20(seed=0):
    finding, _ = gradient_verdicts({"maxout": gradient_norms("maxout", 20, seed=seed)})["maxout"]
    return {"explodes": "grow far above 1", "overflows": "grow far above 1", "vanishes": "shrink towards 0",
            "shrinks": "shrink towards 0"}.get(finding, "stay near 1")


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


@functools.lru_cache(maxsize=8)
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
    return dict(_compare_training(names, dataset, depth, width, steps, lr, optimizer, eval_every, seed, device))


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


def _centred_sigmoid_under_sgd(seed=0):
    """"stays stuck like sigmoid" when σ(x) − ½'s final SGD loss is closer (on a log scale) to sigmoid's than to
    tanh's, in the notebook's SGD run (`compare_training()` with its defaults and this seed)."""
    run = compare_training(seed=seed)
    final = {n: run["histories"][n].final("train_loss") for n in ("sigmoid", "sigmoid_centred", "tanh")}
    to_sigmoid = abs(math.log(final["sigmoid_centred"] / final["sigmoid"]))
    to_tanh = abs(math.log(final["sigmoid_centred"] / final["tanh"]))
    return "stays stuck like sigmoid" if to_sigmoid < to_tanh else "trains like tanh"


# ---------------------------------------------------------------------------------------------------------------
# Predictions: asked in the notebook before the experiment that answers them; each answer comes from the helper
# the notebook then calls.
# ---------------------------------------------------------------------------------------------------------------

def _smallest_first_layer(seed=0):
    first = {get_activation(n).label: gradient_norms(n, 20, seed=seed)[0] for n in ("sigmoid", "tanh", "relu")}
    return min(first, key=first.get)


SMALLEST_FIRST_LAYER_GRADIENT = Prediction(
    question="A 20-layer net at initialisation (Kaiming weights): with which activation does the first layer get "
             "the smallest gradient?",
    options=("sigmoid", "tanh", "ReLU"),
    answer=_smallest_first_layer,
    why=lambda a: (f"{a}: back-propagation multiplies the gradient by f′ at every layer, and sigmoid's f′ is at "
                   f"most 1/4, so 20 layers shrink it by up to 0.25²⁰ ≈ 1e-12. tanh's and ReLU's f′ reach 1."),
)

MAXOUT_AT_DEPTH_20 = Prediction(
    question="Same 20-layer net, Kaiming weights (variance 2/fan-in), Maxout units with two pieces. The gradient "
             "norms of its layers will …",
    options=("shrink towards 0", "stay near 1", "grow far above 1"),
    answer=_classify_maxout_at_depth_20,
    why="Kaiming's factor 2 makes up for ReLU zeroing half of its inputs. Maxout zeroes nothing: the larger of "
        "two zero-mean pieces a, b has E[max(a, b)²] = (E[a²] + E[b²]) / 2 = σ², the full variance. So the "
        "factor 2 doubles the signal's variance at every layer, and the gradients grow with it.",
)

RELU_ZEROS_AT_MINUS_ONE = Prediction(
    question="A ReLU unit's pre-activation z has mean −1 and standard deviation 1. On what percentage of inputs "
             "does it output exactly 0 (and pass no gradient)? Type a number of percent.",
    answer=lambda: round(100 * relu_zero_fraction(-1.0), 1),
    why="ReLU outputs 0 whenever z ≤ 0, that is when the standard-normal part of z is below +1, which happens "
        "with probability Φ(1) ≈ 84 %.",
    tolerance=1.1,
)

CENTRED_SIGMOID_UNDER_SGD = Prediction(
    question="Plain SGD, circles data, 300 steps: sigmoid stays near chance and tanh learns. σ(x) − ½ is "
             "zero-centred like tanh but has sigmoid's slope (at most 1/4). Which does it behave like?",
    options=("stays stuck like sigmoid", "trains like tanh"),
    answer=_centred_sigmoid_under_sgd,
    why=lambda a: ("Centring does not rescue it: σ(x) − ½ has sigmoid's small slope, so its first layers get the "
                   "same tiny gradients and, under SGD, take the same tiny steps." if a.startswith("stays") else
                   "Centring alone was enough here."),
)


# ---------------------------------------------------------------------------------------------------------------
# Exercise checkers: one verdict per call; a wrong answer gets a hint that names the likely mistake.
# ---------------------------------------------------------------------------------------------------------------

_ELU_X = np.concatenate([np.linspace(-6.0, 6.0, 241), [0.0, -1e-9, 1e-9]])


def _close(a, b, tol=1e-6):
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol))


def check_elu_derivative(fn):
    """Exercise: `fn(x, alpha)` must return ELU's derivative (NumPy array in, array out) within 1e-6, for
    alpha = 1 and alpha = 0.5, with PyTorch's value α at x = 0.  Prints one verdict; returns True/False."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (my_elu_derivative, no brackets), got {fn!r}")
    wrong = []
    for alpha in (1.0, 0.5):
        x = _ELU_X.copy()
        try:
            got = fn(x.copy(), alpha)
        except Exception as exc:  # the learner's code: report, do not raise
            return feedback(False, f"calling your function raised {type(exc).__name__}: {exc}")
        if got is None:
            return feedback(False, "your function returned None: did you forget `return`?")
        try:
            got = np.broadcast_to(np.asarray(got, dtype=float), x.shape)
        except (TypeError, ValueError):
            return feedback(False, f"your function should return an array of the shape of x {x.shape}, "
                                   f"got {np.shape(got)}")
        if not np.all(np.isfinite(got)):
            return feedback(False, "your derivative contains NaN or infinity")
        want = d_elu(x, alpha)
        off = np.abs(got - want) > 1e-6
        if off.any():
            wrong.append((alpha, x, got, want, off))
    if not wrong:
        return feedback(True, "", "Correct: 1 for x > 0 and αeˣ for x ≤ 0 (α at x = 0), for α = 1 and α = 0.5.")
    alpha, x, got, want, off = wrong[0]
    neg, pos = x <= 0, x > 0
    if np.ptp(got) == 0:
        return feedback(False, f"your function returns {got[0]:g} for every x: it ignores x (1 for x > 0, αeˣ for "
                               "x ≤ 0)")
    if np.all(x[off] == 0):
        return feedback(False, f"right everywhere except at x = 0 (α = {alpha:g}): there PyTorch uses the x ≤ 0 "
                               f"branch, αe⁰ = α = {alpha:g}, not {got[off][0]:g}")
    if _close(got[neg], elu(x[neg], alpha)):
        return feedback(False, "for x ≤ 0 you returned ELU itself, α(eˣ − 1); its derivative is αeˣ")
    if _close(got[neg], np.exp(x[neg])) and alpha != 1:
        return feedback(False, f"for x ≤ 0 you returned eˣ: the factor α (= {alpha:g} here) is missing")
    if not np.any(off[pos]):
        return feedback(False, f"for x > 0 you are right; for x ≤ 0 the derivative of α(eˣ − 1) is αeˣ (off by up "
                               f"to {np.abs(got - want)[off].max():.3g} with α = {alpha:g})")
    if not np.any(off[neg]):
        return feedback(False, "for x ≤ 0 you are right; for x > 0 ELU is x, so its slope is 1")
    worst = int(np.argmax(np.abs(got - want)))
    return feedback(False, f"off on both sides, by up to {abs(got[worst] - want[worst]):.3g} (at x = {x[worst]:g}, "
                           f"α = {alpha:g}): 1 for x > 0, αeˣ for x ≤ 0")


def most_saturated(candidates=("sigmoid", "tanh", "softplus"), scale=3.0, threshold=0.05):
    """The candidate with the largest expected saturated share (see `saturated_mask`) for x ~ N(0, scale²).

    Returns (name, {name: share})."""
    candidates = _check_names(candidates, "candidates")
    scale = validation.finite_number("scale", scale, low=0.0, high=100.0, low_open=True)
    threshold = _threshold(threshold)
    x = np.linspace(-12 * scale, 12 * scale, 200_001)
    weights = np.exp(-0.5 * (x / scale) ** 2)
    frac = {c: float((saturated_mask(c, x, threshold) * weights).sum() / weights.sum()) for c in candidates}
    return max(frac, key=frac.get), frac


def check_most_saturated(answer, candidates=("sigmoid", "tanh", "softplus"), scale=3.0, threshold=0.05):
    """Exercise: name the candidate whose derivative is below `threshold` for the most inputs x ~ N(0, scale²)."""
    best, frac = most_saturated(candidates, scale, threshold)
    if not isinstance(answer, str):
        return feedback(False, f"answer with a name in quotes, one of {', '.join(map(repr, candidates))}; "
                               f"got {answer!r}")
    guess = answer.strip().lower()
    if guess not in candidates:
        return feedback(False, f"answer with one of {', '.join(map(repr, candidates))}, got {answer!r}")
    shares = ", ".join(f"{c}: {v:.0%}" for c, v in frac.items())
    if guess == best:
        return feedback(True, "", f"Correct! Saturated shares at scale {scale:g}: {shares}")
    if guess == "sigmoid":
        hint = ("sigmoid's derivative is small everywhere (at most 1/4), but the question is where it drops below "
                f"{threshold:g}: compare how far out each f′ has to go before it does")
    elif guess == "softplus":
        hint = "softplus' derivative is σ(x): it is small on the negative side only; the others are flat on both"
    else:
        hint = f"compare where each f′ drops below {threshold:g}, and on how many sides"
    return feedback(False, f"{answer} is not the one: {hint}")


def check_sigmoid_bound(answer, n_layers=10):
    """Exercise: the largest factor by which n_layers sigmoid derivatives can scale a gradient.

    Accepted within 1 % (so a value rounded to two digits, like 9.5e-7 for ten layers, counts)."""
    n_layers = validation.integer("n_layers", n_layers, low=1, high=100)
    if answer is None or answer is Ellipsis:
        return feedback(False, "`bound` is still None: replace it with a Python expression for the factor")
    value = learner_number(answer)[0]
    if value is None:
        return feedback(False, f"the bound should be a number (a Python expression such as 0.5 ** 3), "
                               f"got {answer!r}")
    want = 0.25 ** n_layers

    def near(x):
        return x != 0 and abs(value - x) <= 0.01 * abs(x)

    if near(want):
        return feedback(True, "", f"Correct: 0.25^{n_layers} = {want:.2g}.")
    hints = [(0.25 * n_layers, "you multiplied 0.25 by the number of layers: the factors multiply, so raise "
                               "0.25 to the power n"),
             (4.0 ** n_layers, "that is the inverse: each layer can *shrink* the gradient to a quarter, so 0.25^n"),
             (0.5 ** n_layers, "σ′ peaks at σ(0)(1 − σ(0)) = 1/2 · 1/2 = 1/4, not 1/2"),
             (0.25 ** (n_layers - 1), "one layer short: each of the n layers contributes a factor"),
             (0.25 ** (n_layers + 1), "one layer too many: each of the n layers contributes one factor")]
    for x, hint in hints:
        if near(x):
            return feedback(False, hint)
    return feedback(False, f"not quite: {value:.3g} is not the bound for {n_layers} layers (each sigmoid layer "
                           "scales the gradient by at most σ′(0))")


def check_leaky_relu_variance(fn):
    """Exercise: `fn(a)` returns the Kaiming-style variance factor g (Var W = g / fan_in) for Leaky ReLU with slope
    a, tested at a = 0, 0.01, 0.2, 0.5, 1.  One verdict per call."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (leaky_variance, no brackets), got {fn!r}")
    slopes = (0.0, 0.01, 0.2, 0.5, 1.0)
    got = []
    for a in slopes:
        try:
            value = fn(a)
        except Exception as exc:  # the learner's code: report, do not raise
            return feedback(False, f"calling your function with a = {a} raised {type(exc).__name__}: {exc}")
        if value is None:
            return feedback(False, "your function returned None: did you forget `return`?")
        try:
            got.append(validation.finite_number("value", value))
        except (TypeError, ValueError):
            return feedback(False, f"your function should return a number, got {value!r} for a = {a}")
    got = np.array(got)
    s = np.array(slopes)
    want = 2.0 / (1.0 + s * s)

    def like(candidate):
        return bool(np.allclose(got, candidate, rtol=1e-3, atol=1e-9))

    if like(want):
        return feedback(True, "", "Correct: Var W = 2 / ((1 + a²) · fan_in). a = 0 gives Kaiming's 2; a = 1 is "
                                  "the identity, which needs 1 (LeCun).")
    hints = [(np.full_like(s, 2.0), "your answer ignores a: at a = 1 Leaky ReLU is the identity, which keeps the "
                                    "variance with a factor 1, not 2"),
             (2.0 / (1.0 + s), "the negative half contributes a²·E[z²]/2: the slope enters squared"),
             (1.0 / (1.0 + s * s), "half the right value: E[f(z)²] = (1 + a²)/2 · E[z²], so the factor is "
                                   "2 / (1 + a²)"),
             (np.sqrt(2.0 / (1.0 + s * s)), "that is the gain for the standard deviation; the question asks for the "
                                            "variance factor (square it)"),
             ((1.0 + s * s) / 2.0, "upside down: the weights must make up for the shrinking factor (1 + a²)/2, so "
                                   "divide by it"),
             (2.0 * (1.0 + s * s), "the factor (1 + a²) belongs in the denominator")]
    for candidate, hint in hints:
        if like(candidate):
            return feedback(False, hint)
    i = int(np.argmax(np.abs(got - want)))
    return feedback(False, f"at a = {slopes[i]:g} you return {got[i]:.4g}; the variance is kept by "
                           f"{want[i]:.4g}. Work out E[f(z)²] for z ~ N(0, σ²) first")


# ---------------------------------------------------------------------------------------------------------------
# Plotting functions (each returns a Figure; those wired to controls accept fig= and update it in place)
# ---------------------------------------------------------------------------------------------------------------

GALLERY_X = np.linspace(-6.0, 6.0, 1201)


def _spans(mask, x):
    """Contiguous runs of True in mask as (x_start, x_end) pairs."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(x[a], x[b - 1]) for a, b in zip(edges[::2], edges[1::2])]


def _fixed_figure(label, nrows=1, ncols=1, figsize=None, **subplot_kw):
    """Like plotstyle.new_figure, but with a fixed, hand-placed layout and no layout engine at all.

    Constrained layout would measure every text again on every redraw; and a figure whose engine was switched off
    afterwards (`set_layout_engine("none")`) keeps a placeholder engine, which makes `print_figure` draw the whole
    figure twice per PNG.  Built with layout="none", the figure has no engine and is drawn once.
    """
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from utils.plotstyle import COURSE_RC

    with mpl.rc_context(COURSE_RC):
        fig = Figure(figsize=figsize, layout="none")
        axes = fig.subplots(nrows, ncols, **subplot_kw)
    fig.set_label(label)
    return fig, axes


def plot_gallery(name="sigmoid", threshold=0.05, fig=None):
    """f (top) and f' (bottom) on [−6, 6] with the saturated tails (see `saturated_mask`) shaded."""
    act = get_activation(name)
    threshold = _threshold(threshold)
    x = GALLERY_X
    y, d = act.f(x), act.df(x)
    sat = saturated_mask(act.name, x, threshold)
    if fig is None or fig.get_label() != "gallery":
        fig, (ax_f, ax_d) = _fixed_figure("gallery", 2, 1, figsize=(8.0, 5.6), sharex=True)
        ax_f.set_position([0.12, 0.55, 0.85, 0.37])
        ax_d.set_position([0.12, 0.1, 0.85, 0.37])
        ax_f.plot(x, y, color=BLUE)
        ax_d.plot(x, d, color=ORANGE)
        for ax in (ax_f, ax_d):
            ax.axhline(0, color="grey", lw=0.8)
            ax.axvline(0, color="grey", lw=0.8)
            ax.add_collection(PolyCollection([], facecolors=VERMILION, alpha=0.15, edgecolors="none"),
                              autolim=False)
        ax_f.set_ylabel("f(x)")
        ax_d.set(xlabel="pre-activation x", ylabel="f′(x)", xlim=(x[0], x[-1]))
        fig.legends_cache = {}
    ax_f, ax_d = fig.axes
    ax_f.lines[0].set_ydata(y)
    ax_d.lines[0].set_ydata(d)
    for ax in (ax_f, ax_d):
        lo, hi = -1e3, 1e3  # taller than any y limit: the shading covers the whole height
        ax.collections[0].set_verts([[(a, lo), (a, hi), (b, hi), (b, lo)] for a, b in _spans(sat, x)])
    ax_f.set_ylim(*_padded(y))
    ax_d.set_ylim(*_padded(np.concatenate([d, [0.0, 1.0]])))
    if act.name not in fig.legends_cache:  # mathtext legends are costly to lay out: build each one once
        fig.legends_cache[act.name] = (
            ax_f.legend([ax_f.lines[0]], [f"f(x) = ${act.formula}$"], loc="upper left", fontsize=10),
            ax_d.legend([ax_d.lines[0]], [f"f′(x) = ${act.derivative}$"], loc="upper left", fontsize=10))
    ax_f.legend_, ax_d.legend_ = fig.legends_cache[act.name]
    ax_f.set_title(f"{act.label}: saturated on {sat.mean():.0%} of [−6, 6]; max f′ = {d.max():.2f}", fontsize=12)
    return fig


def _padded(values, pad=0.08):
    lo, hi = float(np.min(values)), float(np.max(values))
    span = max(hi - lo, 1e-3)
    return lo - pad * span, hi + pad * span


def plot_linear_collapse(stack):
    """Outputs of the deep linear net against those of the single collapsed map W x + c (all on the diagonal)."""
    if not isinstance(stack, dict) or not {"deep", "single", "depth", "max_abs_diff"} <= set(stack):
        raise TypeError(f"stack must be the dict returned by linear_stack_collapse, got {type(stack).__name__}")
    deep, single = stack["deep"].ravel(), stack["single"].ravel()
    fig, ax = new_figure(figsize=(5.5, 4.2))
    lim = _padded(np.concatenate([deep, single]), pad=0.05)
    ax.plot(lim, lim, color="grey", lw=1, label="y = x")
    ax.plot(deep, single, "o", color=BLUE, ms=3, alpha=0.5, label="one output of one input")
    ax.set(xlim=lim, ylim=lim, aspect="equal", xlabel=f"output of the {stack['depth']}-layer linear net",
           ylabel="output of the single map W x + c")
    ax.set_title(f"{stack['depth']} linear layers = one matrix (max diff {stack['max_abs_diff']:.0e})", fontsize=12)
    ax.legend(loc="upper left", fontsize=10)
    return fig


SKY_LIGHT, ORANGE_LIGHT = "#cfe6f5", "#f7dcc0"


def plot_decision_boundaries(result, resolution=200):
    """One panel per trained model (at most 3 side by side): its predicted class over the plane, with the
    validation points on top."""
    if not isinstance(result, dict) or not {"data", "models", "val_acc"} <= set(result):
        raise TypeError(f"result must be the dict returned by fit_boundaries, got {type(result).__name__}")
    resolution = validation.size("resolution", resolution, low=10, high=1000)
    data, models = result["data"], result["models"]
    x = torch.cat([data.x_train, data.x_val]).cpu()
    lo, hi = x.min(0).values.numpy() - 0.3, x.max(0).values.numpy() + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
    n = len(models)
    fig, axes = new_figure(1, n, figsize=(min(3.2 * n, 9.6), 3.5), sharey=True)
    axes = np.atleast_1d(axes)
    xv, yv = data.x_val.cpu().numpy(), data.y_val.cpu().numpy()
    for ax, (name, model) in zip(axes, models.items()):
        with torch.no_grad():
            pred = model(grid).argmax(1).numpy().reshape(gx.shape)
        ax.contourf(gx, gy, pred, levels=np.arange(data.n_classes + 1) - 0.5, colors=[SKY_LIGHT, ORANGE_LIGHT],
                    alpha=0.6)
        ax.scatter(xv[:, 0], xv[:, 1], c=[PALETTE[0] if v == 0 else PALETTE[3] for v in yv], s=10)
        label = "no activation" if name == "linear" else get_activation(name).label
        ax.set_title(f"{label}: val acc {result['val_acc'][name]:.0%}", fontsize=12)
        ax.set(xlabel="x₁", aspect="equal")
        ax.grid(False)
    axes[0].set_ylabel("x₂")
    return fig


GROUPS = {
    "classic": ("sigmoid", "tanh", "relu"),
    "ReLU variants": ("relu", "leaky_relu", "prelu", "elu", "maxout"),
    "modern smooth": ("relu", "selu", "gelu", "silu", "softplus"),
}


def _bar_verts(n_layers, slot, n_series, heights, bottom):
    """Rectangles (n_layers, 4, 2) for one series of a grouped bar chart: layer k's bar of `slot` of `n_series`."""
    width = 0.85 / n_series
    left = np.arange(1, n_layers + 1) + (slot - (n_series - 1) / 2) * width - width / 2
    top = np.maximum(heights, bottom)  # a gradient that underflowed to 0 gets an empty bar, not log(0)
    xs = np.stack([left, left, left + width, left + width], axis=1)
    ys = np.stack([np.full_like(top, bottom), top, top, np.full_like(top, bottom)], axis=1)
    return np.stack([xs, ys], axis=2)


def _gradient_title(depth, init, norms):
    verdicts = gradient_verdicts(norms)
    texts = {"overflows": lambda v: "overflows (inf)", "explodes": lambda v: f"explodes (up to {v:.0e})",
             "vanishes": lambda v: f"vanishes (all ≤ {v:.0e})",
             "shrinks": lambda v: f"layer 1 gets {v:.0e}× the last" if v > 0 else "layer 1 gets 0 (underflow)"}
    order = ("overflows", "explodes", "vanishes", "shrinks")
    found = sorted([(order.index(f), name, f, v) for name, (f, v) in verdicts.items() if f is not None])
    head = f"depth {depth}, {INIT_LABELS[init]} init"
    if not found:
        return (f"{head}:\nevery layer's gradient within {VANISHING:.0e} … {EXPLODING:.0e} for every "
                f"activation")
    parts = [f"{get_activation(name).label} {texts[f](v)}" for _, name, f, v in found[:2]]
    more = f" (+{len(found) - 2} more)" if len(found) > 2 else ""
    return f"{head}:\n" + "; ".join(parts) + more


def plot_gradient_norms(depth=10, group="classic", init="usual", fig=None):
    """Bar chart, per layer, of the weight-gradient norm at initialisation for each activation in GROUPS[group].

    The y axis is logarithmic.  The title names what is wrong, computed from the data (see `gradient_verdicts`):
    gradients that overflow, explode or vanish in every layer, or a first layer that gets < 1/100 of the last's;
    the legend gives each activation's range of norms (its overall scale and its spread across layers).
    Given `fig` from an earlier call (any depth, group, init), it only moves the bars, limits, texts and title:
    each activation's bars are one PolyCollection, and the layout is fixed, so a redraw builds nothing new.
    """
    validation.one_of("group", group, tuple(GROUPS))
    init = validation.one_of("init", init, INITS)
    names = GROUPS[group]
    depth = validation.integer("depth", depth, low=1)
    norms = {name: gradient_norms(name, depth, init=init) for name in names}  # validates depth's upper bound
    values = np.concatenate(list(norms.values()))
    positive = values[(values > 0) & np.isfinite(values)]  # float32 underflows to exactly 0 at great depth
    lo, hi = (positive.min(), positive.max()) if positive.size else (1e-12, 1.0)
    # at least one power of ten inside the limits, so the log axis always has a labelled tick
    bottom, top = min(lo / 3, 10.0 ** np.floor(np.log10(lo))), hi * 3
    n_slots = max(len(g) for g in GROUPS.values())
    if fig is None or fig.get_label() != "gradient_norms":
        fig, ax = _fixed_figure("gradient_norms", figsize=(9.6, 4.4))
        ax.set_position([0.09, 0.12, 0.6, 0.72])  # left, bottom, width, height (figure fractions)
        for i in range(n_slots):
            ax.add_collection(PolyCollection([], facecolors=PALETTE[i % 6], edgecolors="none"), autolim=False)
        light_log_axis(ax, numticks=6)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        ax.set_xlabel("layer (1 = next to the input)")
        ax.set_ylabel("‖∂loss/∂W‖ (log scale)")
    ax = fig.axes[0]
    bars = ax.collections
    if getattr(fig, "shown_names", None) != names:  # a new legend only when the group changes
        ax.legend(bars[:len(names)], [""] * len(names), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10,
                  title="layer norms: min – max", title_fontsize=10)
        fig.shown_names = names
    legend = ax.get_legend()
    for i, coll in enumerate(bars):
        if i < len(names):
            v = norms[names[i]]
            coll.set_verts(_bar_verts(depth + 1, i, len(names), np.where(np.isfinite(v), v, top), bottom))
            span = "inf (overflow)" if not np.all(np.isfinite(v)) else f"{v.min():.0e} – {v.max():.0e}"
            legend.texts[i].set_text(f"{get_activation(names[i]).label}: {span}")
        coll.set_visible(i < len(names))
    ax.set_xlim(0.4, depth + 1.6)
    ax.set_ylim(bottom, top)
    ax.set_title(_gradient_title(depth, init, norms), fontsize=12, loc="left")
    return fig


def plot_relu_sparsity(shift=0.0, fig=None):
    """Histogram of pre-activations z ~ N(shift, 1) and of ReLU(z): the share of exact zeros (no gradient).

    The samples and the share are those of `relu_zero_fraction(shift)`."""
    from utils.plotstyle import draw_hist, hist_counts, update_hist

    zeros = relu_zero_fraction(shift)
    z = _relu_samples(0) + float(shift)
    counts_z, _ = hist_counts(z, bins=_RELU_EDGES)
    counts_pos, _ = hist_counts(z[z > 0], bins=_RELU_EDGES)
    if fig is None or fig.get_label() != "relu_sparsity":
        fig, ax = _fixed_figure("relu_sparsity", figsize=(7.5, 3.8))
        ax.set_position([0.11, 0.15, 0.86, 0.75])
        draw_hist(ax, counts_z, _RELU_EDGES, color=VERMILION, alpha=0.35,
                  label="z ≤ 0: ReLU outputs 0, gradient 0")
        draw_hist(ax, counts_pos, _RELU_EDGES, color=GREEN, alpha=0.8, label="z > 0: passes through, gradient 1")
        ax.axvline(0, color="grey", lw=1)
        ax.set(xlabel="pre-activation z", ylabel=f"count (of {RELU_N:,} inputs)", xlim=(-6, 6))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.legend(loc="upper left", fontsize=10)
    else:
        ax = fig.axes[0]
        update_hist(ax.patches[0], counts_z, _RELU_EDGES)
        update_hist(ax.patches[1], counts_pos, _RELU_EDGES)
    ax.set_ylim(0, max(counts_z.max(), 1) * 1.3)
    ax.set_title(f"mean pre-activation {shift:+.1f}: {zeros:.1%} of ReLU outputs are exactly 0", fontsize=12)
    return fig


_RELU_EDGES = np.linspace(-8, 8, 161)


def plot_update_ratios(sgd, adam):
    """Two panels (SGD | Adam): per layer, ‖ΔW‖/‖W‖ of the first step for each activation (`update_ratios`)."""
    for what, r in (("sgd", sgd), ("adam", adam)):
        if not isinstance(r, dict) or not r:
            raise TypeError(f"{what} must be the dict returned by update_ratios, got {type(r).__name__}")
    colours = [c for c in PALETTE if c != YELLOW]
    fig, axes = new_figure(1, 2, figsize=(9.6, 3.9), sharey=True)
    for ax, (title, ratios) in zip(axes, (("SGD", sgd), ("Adam", adam))):
        names = list(ratios)
        width = 0.8 / len(names)
        for i, name in enumerate(names):
            r = ratios[name]
            ax.bar(np.arange(1, len(r) + 1) + (i - (len(names) - 1) / 2) * width, r, width=width,
                   color=colours[i % len(colours)], label=get_activation(name).label)
        ax.set_yscale("log")
        light_log_axis(ax)
        first = {n: ratios[n][0] for n in names}
        lo, hi = min(first, key=first.get), max(first, key=first.get)
        ax.set_title(f"{title}: layer 1 moves {first[lo]:.1e} ({get_activation(lo).label})\n"
                     f"to {first[hi]:.1e} ({get_activation(hi).label}) of its size", fontsize=11)
        ax.set_xlabel("layer (1 = next to the input)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylabel("first step: ‖ΔW‖ / ‖W‖")
    axes[0].legend(fontsize=9, loc="upper left")
    return fig


def _training_title(result, target):
    """What a training panel shows, from its data: who never reaches the target, who is last and first."""
    label = {n: get_activation(n).label for n in result["names"]}
    if target is None:
        last = {n: result["histories"][n].final("train_loss") for n in result["names"]}
        return f"{label[max(last, key=last.get)]} ends highest"
    reached = steps_to_target(result, target)
    done = {n: s for n, s in reached.items() if s is not None}
    if not done:
        return f"none gets below {target:g}"
    first = min(done, key=done.get)
    never = [label[n] for n in reached if reached[n] is None]
    if never:
        head = f"never below {target:g}: {', '.join(never[:3])}" + (" …" if len(never) > 3 else "")
    else:
        slowest = max(done, key=done.get)
        head = f"all below {target:g}; last: {label[slowest]} (step {done[slowest]})"
    return f"{head}\nfirst: {label[first]} (step {done[first]})"


def plot_training_curves(result, target=None):
    """Training loss against step for each activation of a `compare_training` result (log y); a list of results
    gives one panel each, side by side (at most 3)."""
    results = result if isinstance(result, (list, tuple)) else [result]
    if not 1 <= len(results) <= 3:
        raise ValueError(f"result must be one compare_training result or a list of 1 to 3, got {len(results)}")
    for r in results:
        _check_result(r)
    if target is not None:
        target = validation.finite_number("target", target, low=0.0, low_open=True)
    colours = [c for c in PALETTE if c != YELLOW]  # yellow is unreadable as a thin line on white
    fig, axes = new_figure(1, len(results), figsize=(min(4.8 * len(results), 9.6), 4.2), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, r in zip(axes, results):
        for i, name in enumerate(r["names"]):
            h = r["histories"][name]
            ax.plot(h.step, h.train_loss, color=colours[i % len(colours)], label=get_activation(name).label)
        if target is not None:
            ax.axhline(target, color="grey", ls="--", lw=1.2, label=f"target {target:g}")
        ax.set_yscale("log")
        light_log_axis(ax)
        ax.set_xlabel(f"step ({r.get('optimizer', 'same optimiser')})")
        ax.set_title(_training_title(r, target), fontsize=11)
    axes[0].set_ylabel("training loss (cross-entropy)")
    axes[0].legend(ncols=2, fontsize=9, loc="lower left")
    return fig


VIEW_SWEEPS = {
    "plot_gallery": [{"name": n, "threshold": t} for n in NAMES for t in (0.01, 0.05, 0.3)],
    "plot_gradient_norms": [{"depth": d, "group": g, "init": i} for d in (2, 30) for g in GROUPS for i in INITS]
    + [{"depth": 10, "group": "classic", "init": "usual"}],
    "plot_relu_sparsity": [{"shift": s} for s in (-3.0, -1.0, 0.0, 1.0, 3.0)],
}

__all__ = [
    "sigmoid", "d_sigmoid", "sigmoid_centred", "tanh", "d_tanh", "relu", "d_relu", "leaky_relu", "d_leaky_relu",
    "prelu", "d_prelu", "elu", "d_elu", "selu", "d_selu", "gelu", "d_gelu", "silu", "d_silu", "softplus",
    "d_softplus", "maxout", "d_maxout", "ACTIVATIONS", "NAMES", "MAXOUT_PIECES", "SELU_ALPHA", "SELU_SCALE",
    "get_activation", "activation", "derivative", "saturated_mask", "gallery_markdown",
    "MaxoutLinear", "build_mlp", "linear_stack_collapse", "fit_boundaries", "activation_table", "format_table",
    "sigmoid_gradient_bound", "relu_zero_fraction", "INITS", "INIT_LABELS", "MAX_DEPTH", "EXPLODING", "VANISHING",
    "gradient_norms", "gradient_verdicts", "update_ratios", "TRAIN_NAMES", "compare_training", "steps_to_target",
    "format_training_table", "most_saturated", "check_elu_derivative", "check_most_saturated", "check_sigmoid_bound",
    "check_leaky_relu_variance", "SMALLEST_FIRST_LAYER_GRADIENT", "MAXOUT_AT_DEPTH_20", "RELU_ZEROS_AT_MINUS_ONE",
    "CENTRED_SIGMOID_UNDER_SGD", "GROUPS", "plot_gallery", "plot_linear_collapse", "plot_decision_boundaries",
    "plot_gradient_norms", "plot_relu_sparsity", "plot_update_ratios", "plot_training_curves", "VIEW_SWEEPS",
]
