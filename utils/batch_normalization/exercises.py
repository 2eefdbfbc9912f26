"""The exercises of notebook 04 and its predictions.

`check_batchnorm_forward`, `check_batchnorm_backward`, `check_running_var` (with RUNNING_VAR_EXERCISE) and
`check_fold_batchnorm` compare a learner's answer with PyTorch and, for the wrong answers learners often give (each
written out as a mutant), name the mistake.  The Predictions (utils.predictions) TRAIN_MODE_SPREAD, BATCH_OF_ONE,
FROZEN_BETA_ACTIVE, INIT_SCALE_WORST and SMALL_BATCH_LOSER take their answers from the experiments the notebook runs
next.
"""

import math

import numpy as np
import torch
from torch import nn

from utils.device import one_cpu_thread
from utils.exercises import check_close, feedback, learner_number
from utils.predictions import Prediction

from .experiments import (
    SINGLE_EXAMPLE_OUTCOMES,
    batch_dependence,
    relu_activity_experiment,
    single_example_in_train_mode,
    trained_bn_net,
)
from .maths import running_var_after
from .training_effects import init_scale_sweep, small_batch_experiment

# ----------------------------------------------------------------------------------------------------------------
# Exercise checkers: each compares with PyTorch and, for the wrong answers learners often give, names the mistake.
# ----------------------------------------------------------------------------------------------------------------

def _exercise_batch(seed=3, n=8, d=5):
    g = np.random.default_rng(seed)
    return g.normal(1.5, 2.0, size=(n, d)), g.normal(1.0, 0.5, size=d), g.normal(0.0, 1.0, size=d)


def _call(fn, *args):
    """Call a learner's function; return (result, None) or (None, message) instead of raising."""
    try:
        return fn(*args), None
    except Exception as exc:  # the learner's code may fail in any way; say how instead of crashing the cell
        return None, f"your function raised {type(exc).__name__}: {exc}"


def _as_array(answer):
    """The learner's answer as a float array (NumPy array, list or torch tensor), or None if it is not numbers."""
    if isinstance(answer, torch.Tensor):
        answer = answer.detach().cpu().numpy()
    try:
        return np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return None


def _matches(answer, expected, rtol=1e-6, atol=1e-8):
    """True if answer converts to an array of expected's shape and is close to it (silent, unlike check_close)."""
    a = _as_array(answer)
    return a is not None and a.shape == np.shape(expected) and bool(np.allclose(a, expected, rtol=rtol, atol=atol))


def _first_mistake(answer, mutants):
    """The hint of the first known wrong answer that `answer` equals, or None."""
    for value, hint in mutants:
        if _matches(answer, value, rtol=1e-7, atol=1e-9):
            return hint
    return None


def _forward_mutants(x, gamma, beta, eps):
    mu, var = x.mean(0), x.var(0)
    xhat = (x - mu) / np.sqrt(var + eps)
    rows = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps)
    return [
        (x, "your function returns x unchanged: subtract each column's batch mean, divide by sqrt(var + eps), then "
            "scale by gamma and shift by beta"),
        (xhat, "you returned the normalised x̂ but forgot gamma and beta: the output is gamma * x̂ + beta"),
        (xhat + beta, "you forgot gamma: the output is gamma * x̂ + beta"),
        (gamma * xhat, "you forgot beta: the output is gamma * x̂ + beta"),
        (beta * xhat + gamma, "gamma and beta are swapped: gamma scales x̂, beta shifts it"),
        (gamma * rows + beta, "you normalised along the wrong axis: each ROW (one example over its features). BN "
                              "normalises each COLUMN (one feature over the batch): use axis=0"),
        (rows, "you normalised each row (axis=1) and forgot gamma and beta: BN normalises each column (axis=0), "
               "then computes gamma * x̂ + beta"),
        (gamma * (x - mu) / np.sqrt(x.var(0, ddof=1) + eps) + beta,
         "close: you divided by the UNBIASED std (ddof=1); the forward pass uses the biased batch variance, "
         "np.var(x, axis=0)"),
        (gamma * (x - mu) / (np.sqrt(var) + eps) + beta, "eps belongs inside the square root: sqrt(var + eps)"),
        (gamma * (x - mu) / (var + eps) + beta, "you divided by the variance; divide by the standard deviation "
                                                "sqrt(var + eps)"),
        (gamma * x / np.sqrt(var + eps) + beta, "you forgot to subtract the batch mean of each column"),
    ]


@one_cpu_thread()
def check_batchnorm_forward(fn):
    """fn(x, gamma, beta, eps) -> out for x (N, D), train mode.  Compared with torch's batch_norm (float64)."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (e.g. my_batchnorm_forward), got {fn!r}")
    x, gamma, beta = _exercise_batch()
    out, err = _call(fn, x.copy(), gamma.copy(), beta.copy(), 1e-5)
    if err:
        return feedback(False, err)
    t = torch.from_numpy
    expected = nn.functional.batch_norm(t(x), None, None, t(gamma), t(beta), training=True, eps=1e-5).numpy()
    if out is None:
        return feedback(False, f"your function returned None: return an array of shape {expected.shape}")
    if isinstance(out, tuple):
        return feedback(False, f"return only the output array (shape {expected.shape}), not a tuple")
    a = _as_array(out)
    if a is None:
        return feedback(False, f"return an array of shape {expected.shape}, got {type(out).__name__}")
    if a.shape == expected.shape and not np.allclose(a, expected, rtol=1e-6, atol=1e-8):
        hint = _first_mistake(a, _forward_mutants(x, gamma, beta, 1e-5))
        if hint:
            return feedback(False, hint)
    return check_close(a, expected, rtol=1e-6, atol=1e-8, what="your batch-norm output")


def _backward_mutants(dout, x, gamma, eps):
    """Known wrong (dx, dgamma, dbeta) parts, each with its hint."""
    n = x.shape[0]
    inv_std = 1 / np.sqrt(x.var(0) + eps)
    xhat = (x - x.mean(0)) * inv_std
    dxhat = dout * gamma
    dx_mean_only = inv_std * (dxhat - dxhat.mean(0))
    dx_var_only = inv_std * (dxhat - xhat * (dxhat * xhat).mean(0))
    inv_unb = 1 / np.sqrt(x.var(0, ddof=1) + eps)
    xhat_unb = (x - x.mean(0)) * inv_unb
    dx = {"dx": [
        (dxhat * inv_std, "dx treats the batch mean and variance as constants (that is the eval-mode gradient). "
                          "In training, mu and var depend on every x_i: add the paths x -> mu -> x̂ and "
                          "x -> var -> x̂ of the graph"),
        (dx_mean_only, "dx has the path through the batch mean but not the one through the variance "
                       "(x -> var -> x̂)"),
        (dx_var_only, "dx has the path through the variance but not the one through the batch mean "
                      "(x -> mu -> x̂, and mu -> var)"),
        (inv_std / n * (n * dout - dout.sum(0) - xhat * (dout * xhat).sum(0)),
         "dx forgot gamma: the gradient arriving at x̂ is dx̂ = gamma * dout"),
        (inv_unb / n * (n * dxhat - dxhat.sum(0) - xhat_unb * (dxhat * xhat_unb).sum(0)),
         "dx uses the UNBIASED variance; the forward pass, and so the graph, uses np.var(x, axis=0)")],
        "dgamma": [((dout * x).sum(0), "dgamma multiplies dout by x; it must be x̂ (y = gamma * x̂ + beta)"),
                   (dout.sum(0), "dgamma and dbeta look swapped: dgamma = sum(dout * x̂), dbeta = sum(dout)"),
                   ((dout * xhat).mean(0), "dgamma: SUM over the batch, not the mean")],
        "dbeta": [((dout * xhat).sum(0), "dgamma and dbeta look swapped: dgamma = sum(dout * x̂), dbeta = sum(dout)"),
                  (dout.mean(0), "dbeta: SUM over the batch, not the mean")]}
    return dx


@one_cpu_thread()
def check_batchnorm_backward(fn):
    """fn(dout, x, gamma, eps) -> (dx, dgamma, dbeta) for x (N, D), train mode.  Compared with torch autograd."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (e.g. my_batchnorm_backward), got {fn!r}")
    x, gamma, beta = _exercise_batch(seed=4)
    dout = np.random.default_rng(5).normal(size=x.shape)
    res, err = _call(fn, dout.copy(), x.copy(), gamma.copy(), 1e-5)
    if err:
        return feedback(False, err)
    if not isinstance(res, (tuple, list)) or len(res) != 3:
        return feedback(False, f"return three arrays (dx, dgamma, dbeta), got {type(res).__name__}")
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-5).backward(torch.from_numpy(dout))
    mutants = _backward_mutants(dout, x, gamma, 1e-5)
    arrays = [_as_array(r) for r in res]
    if all(a is not None and a.size and not np.any(a) for a in arrays):
        return feedback(False, "all three gradients are zero: replace the placeholder with your backward pass")
    walk = {"dx": "walk the graph x -> mu -> var -> x̂ -> y backwards and add up every path that reaches x",
            "dgamma": "which values does gamma multiply in y = gamma * x̂ + beta?",
            "dbeta": "beta is added to every example's output"}
    problems = []
    for what, mine, ref in (("dx", res[0], xt.grad.numpy()), ("dgamma", res[1], gt.grad.numpy()),
                            ("dbeta", res[2], bt.grad.numpy())):
        a = _as_array(mine)
        if a is None:
            problems.append(f"{what} should be an array of numbers, got {type(mine).__name__}")
        elif a.shape != ref.shape:
            axis = " (sum over the batch, axis 0)" if what != "dx" and a.shape == (x.shape[0],) else ""
            problems.append(f"{what} has shape {a.shape}, expected {ref.shape}{axis}")
        elif not np.all(np.isfinite(a)):
            problems.append(f"{what} contains NaN or infinity")
        elif not np.allclose(a, ref, rtol=1e-6, atol=1e-8):
            hint = _first_mistake(a, mutants[what])
            err_size = float(np.max(np.abs(a - ref)))
            problems.append(hint or f"{what} is off by up to {err_size:.3g}: {walk[what]}")
    if problems:
        return feedback(False, "; ".join(dict.fromkeys(problems)))
    return feedback(True, "", "Correct! All three gradients match PyTorch's autograd.")


RUNNING_VAR_EXERCISE = {"batch_vars": (2.0, 0.5, 1.0), "m": 4, "momentum": 0.1, "start": 1.0}


@one_cpu_thread()
def check_running_var(answer):
    """Is `answer` the running_var of nn.BatchNorm1d(1) (momentum 0.1, starting at 1) after the batches of
    RUNNING_VAR_EXERCISE?  The expected value comes from PyTorch itself."""
    ex = RUNNING_VAR_EXERCISE
    m = ex["m"]
    layer = nn.BatchNorm1d(1, momentum=ex["momentum"]).double()
    for v in ex["batch_vars"]:
        a = math.sqrt(v)
        layer(torch.tensor([[a], [-a]] * (m // 2), dtype=torch.float64))  # mean 0, biased variance a**2 = v
    expected = layer.running_var.item()
    if answer is None or answer is Ellipsis:
        return feedback(False, "replace the placeholder with your number, then run the cell again")
    if isinstance(answer, (str, bytes)):
        return feedback(False, f"give a number, not text: got {answer!r}")
    a, problem = learner_number(answer, "your running_var")
    if problem:
        return feedback(False, problem)
    biased = 1.0
    for v in ex["batch_vars"]:
        biased = (1 - ex["momentum"]) * biased + ex["momentum"] * v
    mutants = [
        (biased,
         "close: PyTorch stores the UNBIASED variance, m/(m-1) times the batch's biased variance"),
        (running_var_after(ex["batch_vars"], m, momentum=1 - ex["momentum"]),
         "you swapped the weights: PyTorch's momentum=0.1 is the weight of the NEW batch"),
        (running_var_after(ex["batch_vars"], m, ex["momentum"], start=0.0),
         "a fresh BatchNorm1d starts with running_var = 1, not 0"),
        (float(np.mean(ex["batch_vars"])) * m / (m - 1),
         "that is the plain average of the batches; the running value is an exponential moving average that "
         "starts at 1"),
        (running_var_after(ex["batch_vars"][-1:], m, ex["momentum"]),
         "you applied only the last batch's update; apply one update per batch, in order")]
    if not math.isclose(a, expected, rel_tol=1e-6, abs_tol=1e-9):
        hint = _first_mistake(a, [(np.float64(v), h) for v, h in mutants])
        if hint:
            return feedback(False, hint)
    return check_close(a, expected, rtol=1e-6, atol=1e-9, what="your running_var")


def _fold_exercise():
    g = np.random.default_rng(11)
    return (g.normal(size=(4, 6)), g.normal(size=4), g.normal(0.5, 1.0, size=4), g.uniform(0.5, 3.0, size=4),
            g.normal(1.0, 0.5, size=4), g.normal(size=4), 1e-5)


@one_cpu_thread()
def check_fold_batchnorm(fn):
    """fn(weight, bias, running_mean, running_var, gamma, beta, eps) -> (new_weight, new_bias).

    The answer is checked by running nn.Linear followed by nn.BatchNorm1d in eval mode on random inputs, and the
    folded nn.Linear on the same inputs."""
    if not callable(fn):
        return feedback(False, f"pass your function itself (e.g. my_fold), got {fn!r}")
    w, b, rm, rv, gamma, beta, eps = _fold_exercise()
    res, err = _call(fn, *(v.copy() for v in (w, b, rm, rv, gamma, beta)), eps)
    if err:
        hint = " (the scale has one entry per OUTPUT unit, i.e. per ROW of the weight: scale[:, None] * W)" \
            if "broadcast" in err or "size" in err else ""
        return feedback(False, err + hint)
    if not isinstance(res, (tuple, list)) or len(res) != 2:
        return feedback(False, f"return two arrays (new_weight, new_bias), got {type(res).__name__}")
    lin, norm = nn.Linear(6, 4).double(), nn.BatchNorm1d(4, eps=eps).double().eval()
    with torch.no_grad():
        for p, v in ((lin.weight, w), (lin.bias, b), (norm.running_mean, rm), (norm.running_var, rv),
                     (norm.weight, gamma), (norm.bias, beta)):
            p.copy_(torch.from_numpy(v))
        x = torch.from_numpy(np.random.default_rng(12).normal(size=(16, 6)))
        expected_out = norm(lin(x)).numpy()
    scale = gamma / np.sqrt(rv + eps)
    expected = {"new_weight": scale[:, None] * w, "new_bias": scale * (b - rm) + beta}
    mutants = {"new_weight": [(w, "the weight must change too: multiply each row by gamma / sqrt(var + eps)"),
                              (w / np.sqrt(rv + eps)[:, None], "the weight scale forgot gamma"),
                              (gamma[:, None] * w / (rv + eps)[:, None], "divide by the std sqrt(var + eps), not the "
                                                                         "variance"),
                              (gamma[:, None] * w / np.sqrt(rv)[:, None], "eps belongs inside the square root: "
                                                                          "sqrt(running_var + eps)")],
               "new_bias": [(scale * b + beta, "the bias forgot the running mean: b' = scale * (b - mean) + beta"),
                            (b - rm + beta, "the bias forgot the scale: b' = scale * (b - mean) + beta"),
                            (scale * (b - rm), "the bias forgot beta: b' = scale * (b - mean) + beta"),
                            (b, "the bias must change too: b' = scale * (b - mean) + beta"),
                            (scale * (b + rm) + beta, "subtract the running mean: b' = scale * (b - mean) + beta"),
                            (-scale * rm + beta, "keep the Linear layer's own bias b: b' = scale * (b - mean) + "
                                                 "beta")]}
    problems = []
    for what, mine in zip(("new_weight", "new_bias"), res):
        a = _as_array(mine)
        ref = expected[what]
        if a is None:
            problems.append(f"{what} should be an array of numbers, got {type(mine).__name__}")
        elif a.shape != ref.shape:
            problems.append(f"{what} has shape {a.shape}, expected {ref.shape}")
        elif not np.allclose(a, ref, rtol=1e-7, atol=1e-9):
            problems.append(_first_mistake(a, mutants[what]) or
                            f"{what} is off by up to {float(np.max(np.abs(a - ref))):.3g}")
    if problems:
        return feedback(False, "; ".join(dict.fromkeys(problems)))
    folded = x.numpy() @ _as_array(res[0]).T + _as_array(res[1])
    return feedback(bool(np.allclose(folded, expected_out, atol=1e-9)), "the folded layer does not reproduce "
                    "Linear + BatchNorm1d in eval mode", "Correct! The folded layer gives the same outputs as Linear "
                    "followed by BatchNorm1d in eval mode.")


# ----------------------------------------------------------------------------------------------------------------
# Predictions (utils.predictions): each answer comes from the helper the notebook calls next, with its arguments
# ----------------------------------------------------------------------------------------------------------------

def _train_mode_spread():
    """The notebook's section-4 measurement in train mode (the answer of TRAIN_MODE_SPREAD)."""
    model, digits, _ = trained_bn_net(steps=150)
    model.train()
    return batch_dependence(model, digits.x_val, index=0, companions=20, batch_size=16)


TRAIN_MODE_SPREAD = Prediction(
    question="The trained network is left in train mode. One validation image is put into 20 random batches of 16. "
             "By how much does one of its logits change, at most, from batch to batch? (In eval mode: 0.)",
    answer=_train_mode_spread,
    why=lambda a: f"In train mode BN normalises with the mean and variance of the current batch, so the other 15 "
                  f"images change this image's logits: here by up to {a:.2f}. In eval mode BN uses the running "
                  f"averages, and the logits do not change at all.",
    tolerance=3.0)


BATCH_OF_ONE = Prediction(
    question="The trained network is left in train mode and gets a batch of ONE image. What happens?",
    options=SINGLE_EXAMPLE_OUTCOMES,
    answer=lambda: single_example_in_train_mode()[0],
    why="A batch of one has variance 0, so every normalised value would be 0 and every output would be beta, "
        "whatever the image. PyTorch's BatchNorm1d refuses: it raises a ValueError ('Expected more than 1 value per "
        "channel when training').")


FROZEN_BETA_ACTIVE = Prediction(
    question="A BN network is trained with beta frozen at 0, so each ReLU gets gamma * x̂. On the validation set, "
             "what fraction of the first hidden layer's ReLUs is active (output > 0)?",
    answer=lambda: relu_activity_experiment()["beta frozen at 0"]["active"][0],
    why=lambda a: f"{a:.2f}: x̂ has mean 0 over the batch, so about half of the values are positive; a little less "
                  f"here, because these inputs are skewed and their median lies below their mean.",
    tolerance=1.25)


def _worst_init_scale():
    sweep = init_scale_sweep()
    return float(sweep["x"][int(np.argmax(np.mean(sweep["with BN"], axis=0)))])


INIT_SCALE_WORST = Prediction(
    question="With BN, the weights start at s times the He scale. After 80 steps, which s has the highest training "
             "loss (mean over 3 seeds)?",
    options=(0.1, 0.3, 1.0, 3.0, 10.0),
    answer=_worst_init_scale,
    why=lambda a: f"s = {a:g}. BN removes the scale from each layer's output, but not from its gradient: the "
                  f"gradient of a scale-invariant layer shrinks like 1/|W|, so large weights take smaller effective "
                  f"steps and train slowest.")


def _small_batch_loser():
    r = small_batch_experiment()
    loss = {k: float(np.mean(r[k][:, -1] - r[k][:, 0])) for k in ("BatchNorm", "GroupNorm")}
    if abs(loss["BatchNorm"] - loss["GroupNorm"]) < 0.02:
        return "about the same"
    return max(loss, key=loss.get)


SMALL_BATCH_LOSER = Prediction(
    question="The same network is trained with BatchNorm and with GroupNorm at batch size 64 and at batch size 2 "
             "(same steps). Which loses more validation accuracy going from 64 down to 2?",
    options=("BatchNorm", "GroupNorm", "about the same"),
    answer=_small_batch_loser,
    why="With two examples, BN's normalised values are exactly +1 and -1 in training, whatever the inputs; and the "
        "running statistics it uses in eval mode come from such noisy pairs. GroupNorm never looks across the batch.")
