"""Activation functions and their derivatives written from the formulas, and the experiments of notebook 01."""

import functools
import time
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.collections import PolyCollection
from matplotlib.ticker import MaxNLocator
from torch import nn

from utils.device import one_cpu_thread
from utils.exercises import check_close, feedback
from utils.plotstyle import BLUE, GREEN, ORANGE, PALETTE, VERMILION, YELLOW, light_log_axis, new_figure

# ---------------------------------------------------------------------------------------------------------------
# Pure computations: every function takes an array-like x (any shape) and returns a float64 NumPy array.
# ---------------------------------------------------------------------------------------------------------------

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# A Maxout unit with k = 2 pieces, max(w1 x + b1, w2 x + b2); rows are (slope w, intercept b).  In a network the
# pieces are learned; these two make a convex, V-like shape that neither saturates nor has a flat side.
MAXOUT_PIECES = ((1.0, 0.0), (-0.25, 0.0))


def _as_float_array(x):
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"x must be a number or an array of numbers, got {type(x).__name__}") from None
    return arr


def sigmoid(x):
    """σ(x) = 1 / (1 + e^(−x)), computed without overflow for large |x|."""
    x = _as_float_array(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def d_sigmoid(x):
    """σ'(x) = σ(x)(1 − σ(x)) ≤ 1/4."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    """tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x))."""
    return np.tanh(_as_float_array(x))


def d_tanh(x):
    """tanh'(x) = 1 − tanh²(x) ≤ 1."""
    return 1.0 - np.tanh(_as_float_array(x)) ** 2


def relu(x):
    """max(0, x)."""
    x = _as_float_array(x)
    return np.where(x > 0, x, 0.0)


def d_relu(x):
    """1 for x > 0, else 0 (PyTorch's convention at x = 0)."""
    return np.where(_as_float_array(x) > 0, 1.0, 0.0)


def leaky_relu(x, alpha=0.01):
    """x for x > 0, αx otherwise."""
    x = _as_float_array(x)
    return np.where(x > 0, x, alpha * x)


def d_leaky_relu(x, alpha=0.01):
    """1 for x > 0, α otherwise (α at x = 0, as PyTorch)."""
    return np.where(_as_float_array(x) > 0, 1.0, alpha)


def prelu(x, alpha=0.25):
    """Leaky ReLU whose slope α is a learned parameter (PyTorch initialises it to 0.25)."""
    return leaky_relu(x, alpha)


def d_prelu(x, alpha=0.25):
    """dPReLU/dx: 1 for x > 0, α otherwise."""
    return d_leaky_relu(x, alpha)


def elu(x, alpha=1.0):
    """x for x > 0, α(e^x − 1) otherwise (saturates at −α)."""
    x = _as_float_array(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def d_elu(x, alpha=1.0):
    """1 for x > 0, αe^x otherwise (α at x = 0, as PyTorch)."""
    x = _as_float_array(x)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def selu(x):
    """λ·ELU_α(x) with the self-normalising constants λ ≈ 1.0507, α ≈ 1.6733."""
    return SELU_SCALE * elu(x, SELU_ALPHA)


def d_selu(x):
    """λ for x > 0, λαe^x otherwise."""
    return SELU_SCALE * d_elu(x, SELU_ALPHA)


def _std_normal_cdf(x):
    # Φ(x) = (1 + erf(x/√2)) / 2; torch.erf is exact to float64 and avoids a SciPy dependency.
    return 0.5 * (1.0 + torch.erf(torch.from_numpy(x / np.sqrt(2.0))).numpy())


def gelu(x):
    """x·Φ(x), Φ the standard normal CDF (the exact form, not the tanh approximation)."""
    x = _as_float_array(x)
    return x * _std_normal_cdf(x)


def d_gelu(x):
    """Φ(x) + x·φ(x), φ the standard normal density."""
    x = _as_float_array(x)
    return _std_normal_cdf(x) + x * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


def silu(x):
    """x·σ(x) (also called Swish)."""
    x = _as_float_array(x)
    return x * sigmoid(x)


def d_silu(x):
    """σ(x)(1 + x(1 − σ(x)))."""
    x = _as_float_array(x)
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def softplus(x):
    """log(1 + e^x), a smooth ReLU (computed as logaddexp(0, x) to avoid overflow)."""
    return np.logaddexp(0.0, _as_float_array(x))


def d_softplus(x):
    """σ(x)."""
    return sigmoid(x)


def _maxout_pieces(x, pieces):
    p = np.asarray(pieces, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 2:
        raise ValueError(f"pieces must be k >= 2 rows of (slope, intercept), got shape {p.shape}")
    x = _as_float_array(x)
    return p[:, 0].reshape((-1,) + (1,) * x.ndim) * x + p[:, 1].reshape((-1,) + (1,) * x.ndim), p


def maxout(x, pieces=MAXOUT_PIECES):
    """max_i (w_i x + b_i) over k linear pieces (rows of `pieces`)."""
    values, _ = _maxout_pieces(x, pieces)
    return values.max(axis=0)


def d_maxout(x, pieces=MAXOUT_PIECES):
    """The slope of the winning piece (the first one on a tie, as torch.max)."""
    values, p = _maxout_pieces(x, pieces)
    return p[values.argmax(axis=0), 0]


@dataclass(frozen=True)
class Activation:
    """One activation: the function, its derivative, how to write them, and its PyTorch module."""

    name: str
    label: str
    f: object
    df: object
    formula: str
    derivative: str
    output_range: str
    module: object  # zero-argument factory of the torch.nn module (None: no single-module counterpart)


def _maxout_module_missing():
    raise ValueError("maxout has no pointwise torch.nn module: it is a layer (see MaxoutLinear / build_mlp)")


ACTIVATIONS = {a.name: a for a in [
    Activation("sigmoid", "sigmoid", sigmoid, d_sigmoid, r"\sigma(x)=\frac{1}{1+e^{-x}}",
               r"\sigma(x)\,(1-\sigma(x))", "(0, 1)", nn.Sigmoid),
    Activation("tanh", "tanh", tanh, d_tanh, r"\tanh(x)", r"1-\tanh^2(x)", "(-1, 1)", nn.Tanh),
    Activation("relu", "ReLU", relu, d_relu, r"\max(0,x)", r"\mathbb{1}[x>0]", "[0, ∞)", nn.ReLU),
    Activation("leaky_relu", "Leaky ReLU", leaky_relu, d_leaky_relu, r"\max(\alpha x, x),\ \alpha=0.01",
               r"1 \text{ if } x>0 \text{ else } \alpha", "(-∞, ∞)", lambda: nn.LeakyReLU(0.01)),
    Activation("prelu", "PReLU", prelu, d_prelu, r"\max(\alpha x, x),\ \alpha \text{ learned (init } 0.25)",
               r"1 \text{ if } x>0 \text{ else } \alpha", "(-∞, ∞)", lambda: nn.PReLU(init=0.25)),
    Activation("elu", "ELU", elu, d_elu, r"x \text{ if } x>0 \text{ else } \alpha(e^x-1),\ \alpha=1",
               r"1 \text{ if } x>0 \text{ else } \alpha e^x", "(-1, ∞)", nn.ELU),
    Activation("selu", "SELU", selu, d_selu,
               r"\lambda\,\mathrm{ELU}_\alpha(x),\ \lambda\approx1.051,\ \alpha\approx1.673",
               r"\lambda \text{ if } x>0 \text{ else } \lambda\alpha e^x", "(-1.758, ∞)", nn.SELU),
    Activation("gelu", "GELU", gelu, d_gelu, r"x\,\Phi(x)", r"\Phi(x)+x\,\varphi(x)", "[-0.170, ∞)", nn.GELU),
    Activation("silu", "SiLU / Swish", silu, d_silu, r"x\,\sigma(x)", r"\sigma(x)\,(1+x(1-\sigma(x)))",
               "[-0.278, ∞)", nn.SiLU),
    Activation("softplus", "Softplus", softplus, d_softplus, r"\log(1+e^x)", r"\sigma(x)", "(0, ∞)", nn.Softplus),
    Activation("maxout", "Maxout (k=2)", maxout, d_maxout, r"\max(x,\,-0.25x)",
               r"1 \text{ if } x>0 \text{ else } -0.25", "[0, ∞) here; any convex shape when learned",
               _maxout_module_missing),
]}
NAMES = tuple(ACTIVATIONS)


def get_activation(name):
    """The `Activation` record for `name` (one of NAMES); an unknown name raises ValueError listing them."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known activations: {', '.join(NAMES)}")
    return ACTIVATIONS[name]


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


def saturated_mask(name, x, threshold=0.05):
    """Boolean array: True where |f'(x)| < threshold (the gradient through the unit is tiny)."""
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold!r}")
    return np.abs(derivative(name, x)) < threshold


def sigmoid_gradient_bound(n_layers):
    """Upper bound 0.25**n on how much n sigmoid layers can scale a back-propagated gradient (weights ignored)."""
    if isinstance(n_layers, bool) or not isinstance(n_layers, (int, np.integer)) or n_layers < 0:
        raise ValueError(f"n_layers must be a non-negative integer, got {n_layers!r}")
    return 0.25 ** n_layers


# ---------------------------------------------------------------------------------------------------------------
# Networks and experiments
# ---------------------------------------------------------------------------------------------------------------

class MaxoutLinear(nn.Module):
    """A Maxout layer: k affine maps of the input, keep the largest per output unit.

    Input (N, in_features) → output (N, out_features); it holds k times the parameters of nn.Linear.
    """

    def __init__(self, in_features, out_features, k=2):
        super().__init__()
        if k < 2:
            raise ValueError(f"Maxout needs k >= 2 pieces, got {k}")
        self.out_features, self.k = out_features, k
        self.linear = nn.Linear(in_features, out_features * k)

    def forward(self, x):
        return self.linear(x).view(*x.shape[:-1], self.out_features, self.k).max(dim=-1).values


def build_mlp(name, sizes, seed=0):
    """A seeded MLP with activation `name` (one of NAMES, or "linear" for none) after every hidden layer.

    sizes: [in, hidden..., out].  For "maxout" every hidden layer is a MaxoutLinear (k = 2).
    The same seed gives the same initial weights for every activation except maxout (twice the weights).
    """
    if name != "linear":
        get_activation(name)
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must be at least two positive integers, got {sizes}")
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        if name == "maxout" and not last:
            layers.append(MaxoutLinear(a, b, k=2))
            continue
        layers.append(nn.Linear(a, b))
        if not last and name != "linear":
            layers.append(get_activation(name).module())
    return nn.Sequential(*layers)


def weight_layers(model):
    """The nn.Linear layers of a model built by `build_mlp`, input side first."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def linear_stack_collapse(depth=5, width=8, n_in=2, n=200, seed=0):
    """Show that a stack of linear layers without activations is one affine map.

    Builds a deep linear net (depth layers, float64), multiplies its matrices into one W (width, n_in) and folds
    the biases into one c.  Returns a dict with W, c, depth, deep (n, width): the net's outputs on n random inputs,
    single (n, width): W x + c on the same inputs, and max_abs_diff: the largest |deep − single|.
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    model = build_mlp("linear", [n_in] + [width] * depth, seed=seed).double()
    W, c = torch.eye(n_in, dtype=torch.float64), torch.zeros(n_in, dtype=torch.float64)
    for layer in weight_layers(model):
        W, c = layer.weight @ W, layer.weight @ c + layer.bias
    x = torch.randn(n, n_in, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        deep, single = model(x), x @ W.T + c
        diff = (deep - single).abs().max().item()
        W, c = W.detach().numpy(), c.detach().numpy()
    return {"W": W, "c": c, "depth": depth, "deep": deep.numpy(), "single": single.numpy(), "max_abs_diff": diff}


def fit_boundaries(names=("linear", "tanh", "relu"), dataset="circles", depth=3, width=32, steps=150,
                   lr=0.02, seed=0, device=None):
    """Train the same MLP (Adam, full batch) with each activation in `names` on a 2-D data set.

    Returns {"data": Split (CPU), "models": {name: model on CPU}, "val_acc": {name: accuracy}}.
    """
    from utils.data import load_dataset
    from utils.training import train

    data = load_dataset(dataset, seed=seed)
    models, val_acc = {}, {}
    with one_cpu_thread():
        for name in names:
            model = build_mlp(name, [data.n_features] + [width] * depth + [data.n_classes], seed=seed)
            hist = train(model, data, steps=steps, lr=lr, optimizer="adam", batch_size=None, eval_every=steps,
                         seed=seed, device=device)
            models[name], val_acc[name] = model.cpu().eval(), hist.final("val_acc")
    return {"data": data, "models": models, "val_acc": val_acc}


def activation_table(n=100_000, threshold=0.05, seed=0, repeats=7, names=NAMES):
    """Measure each activation on n standard-normal inputs.

    Returns a list of dicts (one per name) with: mean (output mean), max_derivative (largest |f'| seen),
    saturated (fraction with |f'| < threshold), zeros (fraction of outputs exactly 0),
    cost (time of the torch forward pass on n float32 inputs relative to ReLU; the only column that
    changes from run to run, since it is a timing).
    """
    for name in names:
        get_activation(name)
    x = np.random.default_rng(seed).standard_normal(n)
    times = forward_seconds(("relu",) + tuple(n_ for n_ in names if n_ != "relu"), n=n, repeats=repeats, seed=seed)
    rows = []
    for name in names:
        y, d = activation(name, x), derivative(name, x)
        rows.append({"name": name, "mean": float(y.mean()), "max_derivative": float(np.abs(d).max()),
                     "saturated": float((np.abs(d) < threshold).mean()), "zeros": float((y == 0).mean()),
                     "cost": times[name] / times["relu"]})
    return rows


def _torch_fn(name):
    if name != "maxout":
        return get_activation(name).module()
    w = torch.tensor([p[0] for p in MAXOUT_PIECES]).view(-1, 1)
    b = torch.tensor([p[1] for p in MAXOUT_PIECES]).view(-1, 1)
    return lambda t: (w * t + b).amax(dim=0)


def forward_seconds(names, n=100_000, repeats=7, number=5, seed=0):
    """{name: seconds per torch forward pass on n float32 inputs}, best of `repeats` rounds of `number` calls.

    Runs on one CPU thread and interleaves the activations round by round, so that a busy machine
    slows them all alike; absolute numbers still vary between runs and machines.
    """
    xt = torch.randn(n, generator=torch.Generator().manual_seed(seed))
    fns = {name: _torch_fn(name) for name in names}
    best = dict.fromkeys(names, float("inf"))
    with one_cpu_thread(), torch.no_grad():
        for fn in fns.values():
            fn(xt)  # warm-up
        for _ in range(repeats):
            for name, fn in fns.items():
                start = time.perf_counter()
                for _ in range(number):
                    fn(xt)
                best[name] = min(best[name], (time.perf_counter() - start) / number)
    return best


def format_table(rows):
    """The rows of `activation_table` as aligned text."""
    head = f"{'activation':<14}{'mean out':>10}{'max |f′|':>10}{'saturated':>11}{'zeros':>8}{'cost vs ReLU':>14}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{get_activation(r['name']).label:<14}{r['mean']:>10.3f}{r['max_derivative']:>10.3f}"
                     f"{r['saturated']:>10.1%}{r['zeros']:>8.1%}{r['cost']:>13.1f}×")
    return "\n".join(lines)


INITS = ("kaiming", "lecun", "pytorch")


def deep_mlp_weights(name, depth=10, width=64, n=256, init="kaiming", seed=0):
    """The weights and the batch of the deep MLP behind `gradient_norms`, drawn from one seeded generator.

    init: "kaiming" (W ~ N(0, 2/fan_in), b = 0), "lecun" (W ~ N(0, 1/fan_in), b = 0) or "pytorch" (nn.Linear's
    default: W and b ~ U(−1/√fan_in, 1/√fan_in)).  For "maxout" every hidden W has k = 2 times the rows.
    Returns (weights, biases, x, y): depth + 1 matrices W (out, in) and vectors b (out,), input side first;
    x (n, width) standard-normal inputs; y (n,) random labels of 10 classes.
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; expected one of {INITS}")
    get_activation(name)
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


@functools.lru_cache(maxsize=256)
def gradient_norms(name, depth=10, width=64, n=256, init="kaiming", seed=0):
    """Norm of ∂loss/∂W for every weight matrix of a deep MLP at initialisation (real autograd).

    depth: hidden layers (each followed by `name`); the net has depth + 1 weight matrices, drawn by
    `deep_mlp_weights` (see there for `init`).  Inputs: n standard-normal vectors of size width; loss:
    cross-entropy against random labels of 10 classes.  The forward pass is written out with plain tensors
    rather than built from nn.Linear modules (half the time per net, and a slider move waits for up to five nets);
    a test checks it against the same weights loaded into `build_mlp`.
    Returns a float64 array (depth + 1,), input-side layer first.
    """
    weights, biases, x, y = deep_mlp_weights(name, depth, width, n, init, seed)
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
        return torch.stack([gw.norm() for gw in grads]).double().numpy()


TRAIN_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "maxout")


def compare_training(names=TRAIN_NAMES, dataset="spirals", depth=3, width=32, steps=200, lr=0.01,
                     optimizer="adam", eval_every=10, seed=0, device=None):
    """Train the same MLP with each activation: same seed, data, optimiser and steps (full batch).

    Returns {"names", "histories": {name: History}, "seconds": {name: wall time}, "models": {name: trained model
    on the CPU}, "device": str, "optimizer": str}.
    """
    from utils.data import load_dataset
    from utils.training import train

    for name in names:
        get_activation(name)
    data = load_dataset(dataset, seed=seed)
    histories, seconds, models = {}, {}, {}
    with one_cpu_thread():
        for name in names:
            model = build_mlp(name, [data.n_features] + [width] * depth + [data.n_classes], seed=seed)
            start = time.perf_counter()
            histories[name] = train(model, data, steps=steps, lr=lr, optimizer=optimizer, batch_size=None,
                                    eval_every=eval_every, seed=seed, device=device)
            seconds[name] = time.perf_counter() - start
            models[name] = model.cpu()
    used = str(device) if device is not None else "cpu"
    return {"names": tuple(names), "histories": histories, "seconds": seconds, "models": models, "device": used,
            "optimizer": f"{optimizer}, lr {lr:g}"}


def steps_to_target(result, target):
    """{name: first recorded step with training loss <= target, or None} for a `compare_training` result."""
    return {name: result["histories"][name].steps_to_reach(target, "train_loss") for name in result["names"]}


def format_training_table(result, target):
    """Steps to reach `target` training loss, final losses/accuracy and seconds, as aligned text."""
    reached = steps_to_target(result, target)
    head = (f"{'activation':<14}{'steps to loss ≤ ' + format(target, 'g'):>20}{'final loss':>12}"
            f"{'val acc':>9}{'seconds':>9}")
    lines = [head, "-" * len(head)]
    for name in result["names"]:
        h = result["histories"][name]
        steps = "never" if reached[name] is None else str(reached[name])
        lines.append(f"{get_activation(name).label:<14}{steps:>20}{h.final('train_loss'):>12.3f}"
                     f"{h.final('val_acc'):>9.1%}{result['seconds'][name]:>9.2f}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Exercise checkers
# ---------------------------------------------------------------------------------------------------------------

def check_elu_derivative(fn):
    """Exercise: `fn(x, alpha)` must return ELU's derivative (NumPy array in, array out) within 1e-6."""
    x = np.concatenate([np.linspace(-6.0, 6.0, 241), [0.0, -1e-9, 1e-9]])
    for alpha in (1.0, 0.5):
        try:
            got = fn(x.copy(), alpha)
        except Exception as exc:  # the learner's code: report, do not raise
            return feedback(False, f"calling your function raised {type(exc).__name__}: {exc}")
        if got is None:
            return feedback(False, "your function returned None: did you forget `return`?")
        if not check_close(got, d_elu(x, alpha), rtol=0, atol=1e-6, what=f"your derivative (alpha={alpha})"):
            return False
    return True


def most_saturated(candidates=("sigmoid", "tanh", "softplus"), scale=3.0, threshold=0.05):
    """The candidate with the largest expected fraction of saturated inputs for x ~ N(0, scale²)."""
    x = np.linspace(-12 * scale, 12 * scale, 200_001)
    weights = np.exp(-0.5 * (x / scale) ** 2)
    frac = {c: float((saturated_mask(c, x, threshold) * weights).sum() / weights.sum()) for c in candidates}
    return max(frac, key=frac.get), frac


def check_most_saturated(answer, candidates=("sigmoid", "tanh", "softplus"), scale=3.0, threshold=0.05):
    """Exercise: name the candidate whose derivative is below `threshold` for the most inputs x ~ N(0, scale²)."""
    if answer not in candidates:
        return feedback(False, f"answer with one of {candidates}, got {answer!r}")
    best, frac = most_saturated(candidates, scale, threshold)
    shares = ", ".join(f"{c}: {v:.0%}" for c, v in frac.items())
    return feedback(answer == best, f"{answer} is not the one: compare where each f' drops below {threshold} "
                    "(and whether that happens on one side or both)",
                    f"Correct! Saturated shares at scale {scale:g}: {shares}")


def check_sigmoid_bound(answer, n_layers=10):
    """Exercise: the largest factor by which n_layers sigmoid derivatives can scale a gradient."""
    if answer is None:
        return feedback(False, "`bound` is still None: replace it with a Python expression for the factor")
    return check_close(answer, sigmoid_gradient_bound(n_layers), rtol=1e-6, atol=0,
                       what=f"your bound for {n_layers} layers")


# ---------------------------------------------------------------------------------------------------------------
# Plotting functions (each returns a Figure; those wired to controls accept fig= and update it in place)
# ---------------------------------------------------------------------------------------------------------------

GALLERY_X = np.linspace(-6.0, 6.0, 1201)


def _spans(mask, x):
    """Contiguous runs of True in mask as (x_start, x_end) pairs."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(x[a], x[b - 1]) for a, b in zip(edges[::2], edges[1::2])]


def plot_gallery(name="sigmoid", threshold=0.05, fig=None):
    """f (top) and f' (bottom) on [−6, 6] with the saturated region |f'| < threshold shaded."""
    act = get_activation(name)
    x = GALLERY_X
    y, d = act.f(x), act.df(x)
    sat = np.abs(d) < threshold
    if fig is None:
        fig, (ax_f, ax_d) = new_figure(2, 1, figsize=(7.5, 6), sharex=True)
        ax_f.plot(x, y, color=BLUE, label="f(x)")
        ax_d.plot(x, d, color=ORANGE, label="f′(x)")
        for ax in (ax_f, ax_d):
            ax.axhline(0, color="grey", lw=0.8)
            ax.axvline(0, color="grey", lw=0.8)
        ax_f.set_ylabel("f(x)")
        ax_d.set(xlabel="pre-activation x", ylabel="f′(x)", xlim=(x[0], x[-1]))
    else:
        ax_f, ax_d = fig.axes
        ax_f.lines[0].set_ydata(y)
        ax_d.lines[0].set_ydata(d)
        for artist in [a for ax in (ax_f, ax_d) for a in ax.patches if a.get_gid() == "saturated"]:
            artist.remove()
    for ax in (ax_f, ax_d):
        for a, b in _spans(sat, x):
            ax.axvspan(a, b, color=VERMILION, alpha=0.15, lw=0, gid="saturated")
    ax_f.set_ylim(*_padded(y))
    ax_d.set_ylim(*_padded(np.concatenate([d, [0.0, 1.0]])))
    ax_f.legend([ax_f.lines[0]], [f"f(x) = ${act.formula}$"], loc="upper left", fontsize=10)
    ax_d.legend([ax_d.lines[0]], [f"f′(x) = ${act.derivative}$"], loc="upper left", fontsize=10)
    ax_f.set_title(f"{act.label}: |f′| < {threshold:g} on {sat.mean():.0%} of [−6, 6] (shaded); "
                   f"max f′ = {d.max():.2f}", fontsize=12)
    return fig


def _padded(values, pad=0.08):
    lo, hi = float(np.min(values)), float(np.max(values))
    span = max(hi - lo, 1e-3)
    return lo - pad * span, hi + pad * span


def plot_linear_collapse(stack):
    """Outputs of the deep linear net against those of the single collapsed map W x + c (all on the diagonal)."""
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


def plot_decision_boundaries(result, resolution=200):
    """One panel per trained model: its predicted class over the plane, with the validation points on top."""
    data, models = result["data"], result["models"]
    x = torch.cat([data.x_train, data.x_val]).cpu()
    lo, hi = x.min(0).values.numpy() - 0.3, x.max(0).values.numpy() + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
    fig, axes = new_figure(1, len(models), figsize=(4.2 * len(models), 4.2), sharey=True)
    axes = np.atleast_1d(axes)
    xv, yv = data.x_val.cpu().numpy(), data.y_val.cpu().numpy()
    for ax, (name, model) in zip(axes, models.items()):
        with torch.no_grad():
            pred = model(grid).argmax(1).numpy().reshape(gx.shape)
        ax.contourf(gx, gy, pred, levels=np.arange(data.n_classes + 1) - 0.5, colors=[SKY_LIGHT, ORANGE_LIGHT],
                    alpha=0.6)
        ax.scatter(xv[:, 0], xv[:, 1], c=[PALETTE[0] if v == 0 else PALETTE[3] for v in yv], s=12)
        label = "no activation (linear)" if name == "linear" else get_activation(name).label
        ax.set(title=f"{label}: val acc {result['val_acc'][name]:.0%}", xlabel="x₁", aspect="equal")
        ax.grid(False)
    axes[0].set_ylabel("x₂")
    return fig


SKY_LIGHT, ORANGE_LIGHT = "#cfe6f5", "#f7dcc0"
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


def plot_gradient_norms(depth=10, group="classic", init="kaiming", fig=None):
    """Bar chart, per layer, of the weight-gradient norm at initialisation for each activation in GROUPS[group].

    The y axis is logarithmic; the title reports how much smaller the first layer's gradient is than the last's.
    Given `fig` from an earlier call (any depth, group, init), it only moves the bars, limits, legend and title:
    each activation's bars are one PolyCollection, and the layout is fixed, so a redraw builds nothing new.
    """
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}; expected one of {tuple(GROUPS)}")
    depth = int(depth)
    names = GROUPS[group]
    norms = {name: gradient_norms(name, depth, init=init) for name in names}
    values = np.concatenate(list(norms.values()))
    positive = values[values > 0]  # a float32 gradient can underflow to exactly 0 at great depth
    lo, hi = (positive.min(), positive.max()) if positive.size else (1e-12, 1.0)
    # at least one power of ten inside the limits, so the log axis always has a labelled tick
    bottom, top = min(lo / 3, 10.0 ** np.floor(np.log10(lo))), hi * 3
    n_slots = max(len(g) for g in GROUPS.values())
    if fig is None or fig.get_label() != "gradient_norms":
        fig, ax = new_figure(figsize=(8.5, 4.2))
        fig.set_label("gradient_norms")
        # a fixed layout: constrained layout would re-measure every tick label on every redraw
        fig.set_layout_engine("none")
        ax.set_position([0.11, 0.13, 0.68, 0.78])  # left, bottom, width, height (figure fractions)
        for i in range(n_slots):
            ax.add_collection(PolyCollection([], facecolors=PALETTE[i % 6], edgecolors="none"), autolim=False)
        light_log_axis(ax, numticks=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("layer (1 = next to the input)")
        ax.set_ylabel("‖∂loss/∂W‖ (log scale)")
    ax = fig.axes[0]
    bars = ax.collections
    for i, coll in enumerate(bars):
        if i < len(names):
            coll.set_verts(_bar_verts(depth + 1, i, len(names), norms[names[i]], bottom))
            coll.set_label(get_activation(names[i]).label)
        coll.set_visible(i < len(names))
    labels = [get_activation(name).label for name in names]
    legend = ax.get_legend()
    if legend is None or [t.get_text() for t in legend.get_texts()] != labels:
        ax.legend(bars[:len(names)], labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=10)
    ax.set_xlim(0.4, depth + 1.6)
    ax.set_ylim(bottom, top)
    ratios = {name: v[0] / v[-1] if v[-1] > 0 else 0.0 for name, v in norms.items()}
    worst = min(ratios, key=ratios.get)
    verdict = "a gradient of exactly 0 (underflow)" if ratios[worst] == 0 else \
        f"{ratios[worst]:.1e}× the last layer's gradient"
    ax.set_title(f"depth {depth}, {init} init: {get_activation(worst).label}'s first layer gets {verdict}",
                 fontsize=12)
    return fig


RELU_SAMPLES = np.random.default_rng(0).standard_normal(20_000)
RELU_EDGES = np.linspace(-8, 8, 161)


def plot_relu_sparsity(shift=0.0, fig=None):
    """Histogram of pre-activations z ~ N(shift, 1) and of ReLU(z): the share of exact zeros (no gradient)."""
    from utils.plotstyle import draw_hist, hist_counts, update_hist

    z = RELU_SAMPLES + shift
    zeros = float((z <= 0).mean())
    counts_z, _ = hist_counts(z, bins=RELU_EDGES)
    counts_pos, _ = hist_counts(z[z > 0], bins=RELU_EDGES)
    if fig is None:
        fig, ax = new_figure(figsize=(7.5, 3.8))
        draw_hist(ax, counts_z, RELU_EDGES, color=VERMILION, alpha=0.35, label="z ≤ 0: ReLU outputs 0, gradient 0")
        draw_hist(ax, counts_pos, RELU_EDGES, color=GREEN, alpha=0.8, label="z > 0: passes through, gradient 1")
        ax.axvline(0, color="grey", lw=1)
        ax.set(xlabel="pre-activation z", ylabel="count (of 20,000 inputs)", xlim=(-6, 6))
        ax.legend(loc="upper left", fontsize=10)
    else:
        ax = fig.axes[0]
        update_hist(ax.patches[0], counts_z, RELU_EDGES)
        update_hist(ax.patches[1], counts_pos, RELU_EDGES)
    ax.set_ylim(0, max(counts_z.max(), 1) * 1.25)
    ax.set_title(f"mean pre-activation {shift:+.1f}: {zeros:.0%} of ReLU outputs are exactly 0", fontsize=12)
    return fig


def plot_training_curves(result, target=None):
    """Training loss against step for each activation of a `compare_training` result (log y)."""
    colours = [c for c in PALETTE if c != YELLOW]  # yellow is unreadable as a thin line on white
    fig, ax = new_figure(figsize=(8, 4.2))
    for i, name in enumerate(result["names"]):
        h = result["histories"][name]
        ax.plot(h.step, h.train_loss, color=colours[i % len(colours)], label=get_activation(name).label)
    if target is not None:
        ax.axhline(target, color="grey", ls="--", lw=1.2, label=f"target {target:g}")
    ax.set_yscale("log")
    ax.set(xlabel=f"step (full batch, {result.get('optimizer', 'same optimiser')})",
           ylabel="training loss (cross-entropy)")
    last = {n: result["histories"][n].final("train_loss") for n in result["names"]}
    worst = max(last, key=last.get)
    if target is None:
        title = f"Only the activation differs: {get_activation(worst).label} ends highest"
    else:
        reached = steps_to_target(result, target)
        fastest = min((n for n in reached if reached[n] is not None), key=reached.get, default=None)
        title = f"Only the activation differs: {get_activation(worst).label} is slowest"
        if fastest is not None:
            title += f", {get_activation(fastest).label} reaches {target:g} first"
    ax.set_title(title, fontsize=12)
    ax.legend(ncols=2, fontsize=10)
    return fig


VIEW_SWEEPS = {
    "plot_gallery": [{"name": n, "threshold": t} for n in NAMES for t in (0.01, 0.05, 0.3)],
    "plot_gradient_norms": [{"depth": d, "group": g, "init": i} for d in (2, 30) for g in GROUPS for i in INITS]
    + [{"depth": 10, "group": "classic", "init": "kaiming"}],
    "plot_relu_sparsity": [{"shift": s} for s in (-3.0, -1.0, 0.0, 1.0, 3.0)],
}
