"""Tests for utils.batch_normalization: every from-scratch layer against torch.nn and numerical gradients."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from utils import batch_normalization as bn

# Tolerances: float64 results must agree with PyTorch to rounding; float32 to single-precision rounding.
TOL = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-4)}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def random_affine(g, shape, dtype):
    return g.normal(1.0, 0.5, size=shape).astype(dtype), g.normal(0.0, 1.0, size=shape).astype(dtype)


def torch_run(module, x, dout):
    """Forward and backward through a torch module; returns output, dx, dweight, dbias as NumPy arrays."""
    xt = torch.tensor(x, requires_grad=True)
    yt = module(xt)
    yt.backward(torch.tensor(dout))
    return (yt.detach().numpy(), xt.grad.numpy(), module.weight.grad.numpy(), module.bias.grad.numpy())


def set_affine(module, gamma, beta):
    with torch.no_grad():
        module.weight.copy_(torch.tensor(gamma))
        module.bias.copy_(torch.tensor(beta))


def assert_all_close(mine, reference, dtype):
    for name, a, b in zip(("out", "dx", "dgamma", "dbeta"), mine, reference):
        np.testing.assert_allclose(a, b, err_msg=name, **TOL[dtype])


# ---------------------------------------------------------------------------------------------------------------
# Fully connected batch norm vs torch.nn.BatchNorm1d
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(4))
def test_batchnorm_matches_torch_in_train_then_eval_mode(dtype, seed):
    g = np.random.default_rng(seed)
    n, d = int(g.integers(2, 40)), int(g.integers(1, 12))
    momentum = float(g.uniform(0.01, 0.9))
    layer = nn.BatchNorm1d(d, momentum=momentum).to(TORCH_DTYPE[dtype])
    gamma, beta = random_affine(g, d, dtype)
    set_affine(layer, gamma, beta)
    rm, rv = np.zeros(d, dtype), np.ones(d, dtype)
    for mode in ("train", "train", "eval", "train", "eval"):
        x = g.normal(g.uniform(-3, 3), g.uniform(0.5, 4), size=(n, d)).astype(dtype)
        dout = g.normal(size=(n, d)).astype(dtype)
        layer.train(mode == "train")
        layer.zero_grad()
        reference = torch_run(layer, x, dout)
        out, cache = bn.batchnorm_forward(x, gamma, beta, mode, rm, rv, momentum)
        assert_all_close((out, *bn.batchnorm_backward(dout, cache)), reference, dtype)
        np.testing.assert_allclose(rm, layer.running_mean.numpy(), **TOL[dtype])
        np.testing.assert_allclose(rv, layer.running_var.numpy(), **TOL[dtype])


def test_running_var_stores_the_unbiased_variance_with_momentum_weighting_the_new_batch():
    x = np.array([[1.0], [3.0], [5.0], [7.0]])          # biased variance 5, unbiased 20/3
    rm, rv = np.zeros(1), np.ones(1)
    bn.batchnorm_forward(x, np.ones(1), np.zeros(1), "train", rm, rv, momentum=0.1)
    assert rm[0] == pytest.approx(0.9 * 0 + 0.1 * 4.0)
    assert rv[0] == pytest.approx(0.9 * 1 + 0.1 * 20 / 3)


def test_eval_without_running_stats_uses_batch_statistics_like_track_running_stats_false():
    g = np.random.default_rng(0)
    x = g.normal(2, 3, size=(10, 4))
    layer = nn.BatchNorm1d(4, track_running_stats=False).double().eval()
    out, _ = bn.batchnorm_forward(x, np.ones(4), np.zeros(4), mode="eval")
    np.testing.assert_allclose(out, layer(torch.tensor(x)).detach().numpy(), rtol=1e-9, atol=1e-10)


def test_gamma_sqrt_var_and_beta_mean_give_back_the_input():
    x = np.random.default_rng(1).normal(5, 3, size=(32, 4))
    out, _ = bn.batchnorm_forward(x, np.sqrt(x.var(0) + 1e-5), x.mean(0))
    np.testing.assert_allclose(out, x, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Numerical gradient checks (float64, relative error < 1e-7)
# ---------------------------------------------------------------------------------------------------------------

# (With N = 2 the outputs are +-1 whatever x is, so dx is ~0 and a relative error is meaningless; start at N = 3.)
@pytest.mark.parametrize("shape", [(3, 3), (5, 4), (9, 1)])
def test_batchnorm_backward_passes_numerical_gradient_check(shape):
    errors = bn.gradient_check(shape=shape, seed=shape[0])
    assert max(errors.values()) < 1e-7, errors


def test_batchnorm_backward_in_eval_mode_passes_numerical_gradient_check():
    g = np.random.default_rng(3)
    x, dout = g.normal(size=(6, 3)), g.normal(size=(6, 3))
    gamma, beta = g.normal(size=3), g.normal(size=3)
    rm, rv = g.normal(size=3), g.uniform(0.5, 2, size=3)

    def f(v):
        return bn.batchnorm_forward(v, gamma, beta, "eval", rm.copy(), rv.copy())[0]

    dx, _, _ = bn.batchnorm_backward(dout, bn.batchnorm_forward(x, gamma, beta, "eval", rm, rv)[1])
    assert bn.rel_error(dx, bn.numerical_gradient(f, x, dout)) < 1e-7


@pytest.mark.parametrize("name", ["spatial", "layer", "instance", "group"])
def test_relatives_backward_pass_numerical_gradient_check(name):
    g = np.random.default_rng(7)
    x, dout = g.normal(1, 2, size=(3, 4, 2, 3)), g.normal(size=(3, 4, 2, 3))
    pshape = x.shape[1:] if name == "layer" else (4,)
    gamma, beta = g.normal(size=pshape), g.normal(size=pshape)
    fwd, bwd = {"spatial": (bn.spatial_batchnorm_forward, bn.spatial_batchnorm_backward),
                "layer": (bn.layernorm_forward, bn.layernorm_backward),
                "instance": (bn.instancenorm_forward, bn.instancenorm_backward),
                "group": (lambda *a: bn.groupnorm_forward(*a, groups=2), bn.groupnorm_backward)}[name]
    dx, dgamma, dbeta = bwd(dout, fwd(x, gamma, beta)[1])
    assert bn.rel_error(dx, bn.numerical_gradient(lambda v: fwd(v, gamma, beta)[0], x, dout)) < 1e-7
    assert bn.rel_error(dgamma, bn.numerical_gradient(lambda v: fwd(x, v, beta)[0], gamma, dout)) < 1e-7
    assert bn.rel_error(dbeta, bn.numerical_gradient(lambda v: fwd(x, gamma, v)[0], beta, dout)) < 1e-7


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(bn.numerical_gradient(lambda v: v ** 2, x, np.ones(3)), 2 * x, rtol=1e-8)


# ---------------------------------------------------------------------------------------------------------------
# Spatial batch norm and the relatives vs torch.nn
# ---------------------------------------------------------------------------------------------------------------

def random_image_batch(g, dtype):
    n, c, h, w = (int(v) for v in g.integers(2, 6, size=4))
    return g.normal(g.uniform(-2, 2), g.uniform(0.5, 3), size=(n, c, h, w)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(3))
def test_spatial_batchnorm_matches_batchnorm2d_in_train_then_eval_mode(dtype, seed):
    g = np.random.default_rng(100 + seed)
    x = random_image_batch(g, dtype)
    c = x.shape[1]
    layer = nn.BatchNorm2d(c).to(TORCH_DTYPE[dtype])
    gamma, beta = random_affine(g, c, dtype)
    set_affine(layer, gamma, beta)
    rm, rv = np.zeros(c, dtype), np.ones(c, dtype)
    for mode in ("train", "train", "eval"):
        x = (x + g.normal(size=x.shape)).astype(dtype)
        dout = g.normal(size=x.shape).astype(dtype)
        layer.train(mode == "train")
        layer.zero_grad()
        reference = torch_run(layer, x, dout)
        out, cache = bn.spatial_batchnorm_forward(x, gamma, beta, mode, rm, rv)
        assert_all_close((out, *bn.spatial_batchnorm_backward(dout, cache)), reference, dtype)
        np.testing.assert_allclose(rv, layer.running_var.numpy(), **TOL[dtype])
        np.testing.assert_allclose(rm, layer.running_mean.numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_layernorm_matches_torch_layernorm_in_both_modes(dtype, seed, mode):
    g = np.random.default_rng(200 + seed)
    x = random_image_batch(g, dtype) if seed else g.normal(size=(7, 5)).astype(dtype)
    layer = nn.LayerNorm(x.shape[1:]).to(TORCH_DTYPE[dtype]).train(mode == "train")
    gamma, beta = random_affine(g, x.shape[1:], dtype)
    set_affine(layer, gamma, beta)
    dout = g.normal(size=x.shape).astype(dtype)
    out, cache = bn.layernorm_forward(x, gamma, beta)
    assert_all_close((out, *bn.layernorm_backward(dout, cache)), torch_run(layer, x, dout), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_instancenorm_matches_instancenorm2d_in_both_modes(dtype, seed, mode):
    g = np.random.default_rng(300 + seed)
    x = random_image_batch(g, dtype)
    layer = nn.InstanceNorm2d(x.shape[1], affine=True).to(TORCH_DTYPE[dtype]).train(mode == "train")
    gamma, beta = random_affine(g, x.shape[1], dtype)
    set_affine(layer, gamma, beta)
    dout = g.normal(size=x.shape).astype(dtype)
    out, cache = bn.instancenorm_forward(x, gamma, beta)
    assert_all_close((out, *bn.instancenorm_backward(dout, cache)), torch_run(layer, x, dout), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,groups", [((4, 6, 3, 5), 3), ((2, 8, 4, 4), 1), ((3, 4, 2, 2), 4), ((5, 6), 2)])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_groupnorm_matches_torch_groupnorm_in_both_modes(dtype, shape, groups, mode):
    g = np.random.default_rng(sum(shape) + groups)
    x = g.normal(1, 2, size=shape).astype(dtype)
    layer = nn.GroupNorm(groups, shape[1]).to(TORCH_DTYPE[dtype]).train(mode == "train")
    gamma, beta = random_affine(g, shape[1], dtype)
    set_affine(layer, gamma, beta)
    dout = g.normal(size=shape).astype(dtype)
    out, cache = bn.groupnorm_forward(x, gamma, beta, groups)
    assert_all_close((out, *bn.groupnorm_backward(dout, cache)), torch_run(layer, x, dout), dtype)


def test_comparison_reports_used_by_the_notebook_are_tiny():
    diffs = bn.compare_with_torch()
    assert set(diffs) == {"train", "eval"}
    assert max(v for mode in diffs.values() for v in mode.values()) < 1e-10
    table = bn.compare_relatives_with_torch()
    assert set(table) == {"BatchNorm2d", "LayerNorm", "InstanceNorm2d", "GroupNorm"}
    assert max(v for row in table.values() for v in row.values()) < 1e-10


# ---------------------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------------------

def test_wrong_number_of_dimensions_is_rejected():
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        bn.batchnorm_forward(np.ones((2, 3, 4)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        bn.spatial_batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        bn.instancenorm_forward(np.ones((2, 3, 4)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        bn.layernorm_forward(np.ones(5), np.ones(()), np.zeros(()))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        bn.groupnorm_forward(np.ones(5), np.ones(5), np.zeros(5), 1)


def test_gamma_or_beta_of_the_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        bn.batchnorm_forward(np.ones((4, 3)), np.ones(4), np.zeros(3))
    with pytest.raises(ValueError, match=r"beta must have shape \(3,\)"):
        bn.spatial_batchnorm_forward(np.ones((2, 3, 2, 2)), np.ones(3), np.zeros(2))
    with pytest.raises(ValueError, match=r"gamma must have shape \(3, 2\)"):
        bn.layernorm_forward(np.ones((4, 3, 2)), np.ones(3), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"gamma must have shape \(6,\)"):
        bn.groupnorm_forward(np.ones((2, 6, 2, 2)), np.ones(3), np.zeros(6), 3)


def test_group_count_that_does_not_divide_channels_is_rejected():
    with pytest.raises(ValueError, match="groups=4 does not divide the 6 channels"):
        bn.groupnorm_forward(np.ones((2, 6, 2, 2)), np.ones(6), np.zeros(6), groups=4)
    with pytest.raises(ValueError, match="positive integer"):
        bn.groupnorm_forward(np.ones((2, 6)), np.ones(6), np.zeros(6), groups=0)


def test_batch_of_one_in_train_mode_is_rejected_with_advice():
    with pytest.raises(ValueError, match="batch of one.*mode='eval'"):
        bn.batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3), mode="train")
    with pytest.raises(ValueError, match="one value per channel"):
        bn.spatial_batchnorm_forward(np.ones((1, 3, 1, 1)), np.ones(3), np.zeros(3))
    out, _ = bn.batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3), "eval", np.zeros(3), np.ones(3))
    assert out.shape == (1, 3)
    # one image with several positions is a legal batch for spatial BN, as in PyTorch
    bn.spatial_batchnorm_forward(np.random.default_rng(0).normal(size=(1, 2, 2, 2)), np.ones(2), np.zeros(2))


def test_other_bad_arguments_are_rejected():
    x = np.ones((4, 2))
    with pytest.raises(ValueError, match="mode"):
        bn.batchnorm_forward(x, np.ones(2), np.zeros(2), mode="test")
    with pytest.raises(ValueError, match="eps"):
        bn.batchnorm_forward(x, np.ones(2), np.zeros(2), eps=0)
    with pytest.raises(ValueError, match="momentum"):
        bn.batchnorm_forward(x, np.ones(2), np.zeros(2), momentum=1.5)
    with pytest.raises(ValueError, match="both running_mean and running_var"):
        bn.batchnorm_forward(x, np.ones(2), np.zeros(2), running_mean=np.zeros(2))
    with pytest.raises(TypeError, match="running_mean must be a float NumPy array"):
        bn.batchnorm_forward(x, np.ones(2), np.zeros(2), running_mean=[0.0, 0.0], running_var=np.ones(2))
    with pytest.raises(TypeError, match="array of numbers"):
        bn.batchnorm_forward(np.array([["a", "b"], ["c", "d"]]), np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match="dout must have"):
        bn.batchnorm_backward(np.ones((3, 2)), bn.batchnorm_forward(x, np.ones(2), np.zeros(2))[1])
    with pytest.raises(ValueError, match="momentum"):
        bn.torch_to_keras_momentum(-0.1)
    with pytest.raises(ValueError, match="kinds"):
        bn.plot_stat_sharing(kinds=("batchy",))


# ---------------------------------------------------------------------------------------------------------------
# Small pure helpers
# ---------------------------------------------------------------------------------------------------------------

def test_bias_before_bn_gets_zero_gradient():
    bias_grad, weight_grad = bn.bias_gradient_through_bn()
    assert np.abs(bias_grad).max() < 1e-6 < np.abs(weight_grad).max()


def test_momentum_helpers():
    assert bn.torch_to_keras_momentum(0.1) == pytest.approx(0.9)
    assert bn.steps_to_track(0.1) == 22          # 0.9**22 < 0.1 <= 0.9**21
    assert bn.steps_to_track(1.0) == 1
    true, batch, running = bn.momentum_tracking(momentum=1.0)
    np.testing.assert_array_equal(running, batch)
    _, _, frozen = bn.momentum_tracking(momentum=0.0)
    assert np.all(frozen == 0)


def test_running_var_after_matches_torch():
    layer = nn.BatchNorm1d(1, momentum=0.2).double()
    for a in (1.0, 2.0, 0.5):
        layer(torch.tensor([[a], [-a], [a], [-a], [a], [-a]], dtype=torch.float64))
    assert bn.running_var_after([1.0, 4.0, 0.25], m=6, momentum=0.2) == pytest.approx(layer.running_var.item())


def test_batch_mean_spread_shrinks_like_one_over_sqrt_m():
    s = bn.batch_mean_spread(batch_sizes=(4, 64), draws=4000)
    width = s["mean_q"][:, 2] - s["mean_q"][:, 0]
    assert width[0] / width[1] == pytest.approx(4.0, rel=0.15)


def test_a_batch_of_two_normalises_to_plus_and_minus_one():
    x = np.array([[0.3, -1.2, 5.0], [2.5, 0.7, -4.0]])
    out, _ = bn.batchnorm_forward(x, np.ones(3), np.zeros(3), eps=1e-5)
    half_gap = np.abs(x[0] - x[1]) / 2
    np.testing.assert_allclose(out[0], np.sign(x[0] - x[1]) * half_gap / np.sqrt(half_gap ** 2 + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(np.abs(out), 1.0, atol=1e-5)


def test_smoothness_probe_reports_gradient_change_per_unit_step():
    res = bn.smoothness_experiment(steps=2, lr=0.1, probe_every=1)
    for r in res.values():
        assert len(r["step"]) == 3 and np.all(np.isfinite(r["grad_lipschitz"])) and np.all(r["grad_norm"] > 0)
        # max over eta in [0.25, 2] x lr of change(eta) / (eta |g|) lies between max change / (2 lr |g|) and
        # max change / (0.25 lr |g|)
        ratio = r["grad_change"] / (0.1 * r["grad_norm"])
        assert np.all(r["grad_lipschitz"] >= ratio / 2 * (1 - 1e-9))
        assert np.all(r["grad_lipschitz"] <= ratio / 0.25 * (1 + 1e-9))


def test_batch_dependence_is_zero_in_eval_and_positive_in_train():
    torch.manual_seed(0)
    layer = nn.BatchNorm1d(3)
    x = torch.randn(50, 3)
    layer.train()
    assert bn.batch_dependence(layer, x) > 0.01
    layer.eval()
    assert bn.batch_dependence(layer, x) == 0.0


# ---------------------------------------------------------------------------------------------------------------
# Exercise checkers
# ---------------------------------------------------------------------------------------------------------------

def good_forward(x, gamma, beta, eps=1e-5):
    return gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta


def good_backward(dout, x, gamma, eps=1e-5):
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(gamma, requires_grad=True)
    bt = torch.zeros_like(gt, requires_grad=True)
    nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=eps).backward(torch.tensor(dout))
    return xt.grad.numpy(), gt.grad.numpy(), bt.grad.numpy()


def test_forward_checker_accepts_right_and_rejects_wrong(capsys):
    assert bn.check_batchnorm_forward(good_forward)
    assert not bn.check_batchnorm_forward(lambda x, g, b, eps: x)
    assert not bn.check_batchnorm_forward(lambda x, g, b, eps: g * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps)
                                          + b)
    assert "UNBIASED" in capsys.readouterr().out
    assert not bn.check_batchnorm_forward(lambda *a: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert not bn.check_batchnorm_forward("not a function")
    assert not bn.check_batchnorm_forward(lambda x, g, b, eps: None)
    assert not bn.check_batchnorm_forward(lambda x, g, b, eps: x[:2])


def test_backward_checker_accepts_right_and_rejects_wrong():
    assert bn.check_batchnorm_backward(good_backward)
    assert not bn.check_batchnorm_backward(lambda d, x, g, eps: (np.zeros_like(x), np.zeros_like(g), np.zeros_like(g)))
    # forgetting the mean and variance terms (treating the statistics as constants) is a classic mistake
    assert not bn.check_batchnorm_backward(lambda d, x, g, eps: (d * g / np.sqrt(x.var(0) + eps), *good_backward(
        d, x, g, eps)[1:]))
    assert not bn.check_batchnorm_backward(lambda d, x, g, eps: None)


def test_running_var_checker_accepts_right_and_rejects_wrong(capsys):
    r = 1.0
    for v in (2.0, 0.5, 1.0):
        r = 0.9 * r + 0.1 * v * 4 / 3
    assert bn.check_running_var(r)
    biased = 1.0
    for v in (2.0, 0.5, 1.0):
        biased = 0.9 * biased + 0.1 * v
    capsys.readouterr()
    assert not bn.check_running_var(biased)
    assert "UNBIASED" in capsys.readouterr().out
    assert not bn.check_running_var(0.0)
    assert not bn.check_running_var("about one")


# ---------------------------------------------------------------------------------------------------------------
# Interactive views and static plots
# ---------------------------------------------------------------------------------------------------------------

def plotted_data_is_finite(fig):
    for ax in fig.axes:
        for line in ax.lines:
            ys = np.asarray(line.get_ydata(), dtype=float)
            xs = np.asarray(line.get_xdata(), dtype=float)
            if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
                return False
        for patch in ax.patches:
            if hasattr(patch, "get_data"):
                values = patch.get_data().values
                if not np.all(np.isfinite(np.asarray(values, dtype=float))):
                    return False
    return True


@pytest.mark.parametrize("name", sorted(bn.VIEW_SWEEPS))
def test_every_view_sweep_entry_draws_finite_data_fresh_and_reused(name):
    fn = getattr(bn, name)
    fig = None
    for kwargs in bn.VIEW_SWEEPS[name]:
        fresh = fn(**kwargs)
        assert plotted_data_is_finite(fresh), kwargs
        fig = fn(fig=fig, **kwargs) if fig is not None else fn(**kwargs)
        assert plotted_data_is_finite(fig), kwargs
        assert fig.axes[0].get_title() == fresh.axes[0].get_title()
        assert plotted_data(fig) == plotted_data(fresh), f"in-place redraw differs from a fresh figure at {kwargs}"


def plotted_data(fig):
    """Every line's (x, y) and every step patch's heights, rounded, as nested tuples (for equality checks)."""
    data = []
    for ax in fig.axes:
        for line in ax.lines:
            data.append(tuple(np.round(np.asarray(line.get_xdata(), float), 9)))
            data.append(tuple(np.round(np.asarray(line.get_ydata(), float), 9)))
        for patch in ax.patches:
            if hasattr(patch, "get_data"):
                data.append(tuple(np.round(np.asarray(patch.get_data().values, float), 9)))
    return data


def test_view_sweeps_cover_the_notebook_controls_extremes():
    assert {"plot_gamma_beta", "plot_momentum_tracking", "plot_eps_effect"} <= set(bn.VIEW_SWEEPS)
    gammas = [k["gamma"] for k in bn.VIEW_SWEEPS["plot_gamma_beta"]]
    betas = [k["beta"] for k in bn.VIEW_SWEEPS["plot_gamma_beta"]]
    assert (min(gammas), max(gammas), min(betas), max(betas)) == (0.0, 5.0, -4.0, 4.0)
    moms = [k["momentum"] for k in bn.VIEW_SWEEPS["plot_momentum_tracking"]]
    assert (min(moms), max(moms)) == (1e-3, 1.0)
    epss = [k["eps"] for k in bn.VIEW_SWEEPS["plot_eps_effect"]]
    assert (min(epss), max(epss)) == (1e-8, 1.0)


def test_gamma_beta_title_reports_the_linear_share():
    assert "68% in the near-linear middle" in bn.plot_gamma_beta(1.0, 0.0).axes[0].get_title()
    assert "100% in the near-linear middle" in bn.plot_gamma_beta(0.0, 0.0).axes[0].get_title()


def test_static_plots_draw_from_small_fake_results():
    steps = np.arange(0, 100, 20)
    sig = {k: {"step": steps, "val_acc": np.linspace(0.1, 0.9, 5), "pct": np.ones((5, 3)) * [[-1, 0, 1]]}
           for k in ("without BN", "with BN")}
    assert len(bn.plot_sigmoid_mlp(sig).axes) == 2
    sweep = {"x": np.array([0.1, 1.0, 10.0]), "without BN": np.array([2.3, 0.2, math.inf]),
             "with BN": np.array([0.1, 0.1, 0.2])}
    assert plotted_data_is_finite(bn.plot_sweep(sweep, "lr", "t"))
    sm = {k: {"step": steps, "loss_range": np.ones(5), "grad_lipschitz": np.ones(5)} for k in ("without BN", "with BN")}
    assert len(bn.plot_smoothness(sm).axes) == 2
    assert plotted_data_is_finite(bn.plot_batch_spread(bn.batch_mean_spread(draws=50)))
    small = {"batch_size": np.array([2, 8]), "BatchNorm": np.array([0.5, 0.9]), "GroupNorm": np.array([0.8, 0.9])}
    assert plotted_data_is_finite(bn.plot_small_batch(small))
    assert len(bn.plot_stat_sharing().axes) == 4
