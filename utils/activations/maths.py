"""Activation functions and their derivatives, written from the formulas (notebook 01, the maths a learner reads).

Each activation f and derivative d_f takes a number or an array of finite numbers x (any shape) and returns a
float64 NumPy array of the same shape; a test checks each pair against PyTorch (`torch.nn`, `torch.autograd`).

Read it in this order:
1. the functions and their derivatives, one pair at a time: sigmoid, d_sigmoid (and sigmoid_centred, σ(x) − ½, the
   control that is zero-centred with sigmoid's slope); tanh, d_tanh; relu, d_relu; leaky_relu, d_leaky_relu;
   prelu, d_prelu; elu, d_elu; selu, d_selu (SELU_ALPHA, SELU_SCALE); gelu, d_gelu; silu, d_silu;
   softplus, d_softplus; maxout, d_maxout (MAXOUT_PIECES);
2. the registry that names them: ACTIVATIONS (name -> function, derivative, formula, output range, torch module),
   NAMES, get_activation, activation, derivative, gallery_markdown;
3. where a function saturates: saturated_mask (the tails where |f′| stays below a threshold);
4. how far n sigmoid layers can shrink a gradient: sigmoid_gradient_bound.
The input checks (`_x`, `_slope`, `_threshold`) are in `_checks.py`.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from utils import validation

from ._checks import _slope, _threshold, _x

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# A Maxout unit with k = 2 pieces, max(w1 x + b1, w2 x + b2); rows are (slope w, intercept b).  In a network the
# pieces are learned; these two make a convex, V-like shape that neither saturates nor has a flat side.
MAXOUT_PIECES = ((1.0, 0.0), (-0.25, 0.0))


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

