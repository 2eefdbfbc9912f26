"""Tests for utils.batch_normalization: every from-scratch layer against torch.nn and numerical gradients."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from utils import batch_normalization as bn
from utils.batch_normalization.experiments import _mlp
from utils.predictions import Prediction, judge

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
# New layers and helpers: folding, LayerNorm per token, sweeps, shares
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(3))
def test_fold_batchnorm_reproduces_linear_then_batchnorm1d_in_eval_mode(seed):
    g = np.random.default_rng(seed)
    lin, norm = nn.Linear(5, 3).double(), nn.BatchNorm1d(3).double().eval()
    with torch.no_grad():
        norm.running_mean.copy_(torch.from_numpy(g.normal(size=3)))
        norm.running_var.copy_(torch.from_numpy(g.uniform(0.2, 3, size=3)))
        norm.weight.copy_(torch.from_numpy(g.normal(size=3)))
        norm.bias.copy_(torch.from_numpy(g.normal(size=3)))
    args = [t.detach().numpy() for t in (lin.weight, lin.bias, norm.running_mean, norm.running_var, norm.weight,
                                         norm.bias)]
    w, b = bn.fold_batchnorm(*args, eps=norm.eps)
    x = g.normal(size=(7, 5))
    expected = norm(lin(torch.from_numpy(x))).detach().numpy()
    np.testing.assert_allclose(x @ w.T + b, expected, rtol=1e-10, atol=1e-12)


def test_fold_check_of_the_trained_net_matches_to_float32_rounding():
    r = bn.fold_check(steps=20)
    assert r["max_diff"] < 1e-4 and r["same_predictions"] == 1.0 and r["layers"] == (7, 5)


def test_layernorm_per_token_normalises_each_token_over_its_channels():
    r = bn.layernorm_per_token()
    assert r["vs_ours"] < 1e-12 and r["token_mean"] < 1e-12 and r["token_std_error"] < 1e-4
    assert r["position_mean"] > 0.1            # the positions of one channel are NOT normalised


def test_sigmoid_shares_match_the_normal_distribution():
    s = bn.sigmoid_shares(1.0, 0.0)
    assert s["linear"] == pytest.approx(0.6827, abs=0.02)      # P(|z| < 1)
    assert s["saturated"] < 0.002
    assert bn.sigmoid_shares(0.0, 4.0)["saturated"] == 1.0      # every input at 4 > 3.64: on the flat part
    assert bn.sigmoid_shares(0.0, 0.0) == {"linear": 1.0, "saturated": 0.0, "slope": 1.0, "below_axis": 0.0,
                                           "above_axis": 0.0}
    # the slope threshold: sigmoid'(3.64) is 10 % of sigmoid'(0) = 1/4
    s364 = 1 / (1 + math.exp(-bn.SATURATION_EDGE))
    assert 4 * s364 * (1 - s364) == pytest.approx(0.1)


def fake_sweep(losses, names=("without BN", "with BN")):
    return {"setting": "learning rate", "x": np.array([0.1, 1.0, 10.0]), "names": names,
            **{n: np.array(v, dtype=float) for n, v in zip(names, losses)}}


def test_sweep_table_labels_diverged_runs_and_says_what_diverged_means():
    sweep = fake_sweep([[[2.3, 0.2, math.inf], [2.3, 0.3, math.inf]], [[0.1, 0.1, 0.2], [0.1, math.inf, 0.3]]])
    text = bn.sweep_table(sweep)
    assert "inf" not in text
    assert "diverged 2/2" in text and "diverged 1/2" in text
    assert "above 10 or NaN" in text
    assert bn.trains_at(sweep, "with BN") == [0.1, 10.0]
    assert bn.trains_at(sweep, "without BN", threshold=2.5) == [0.1, 1.0]


def test_diverged_markers_sit_in_a_labelled_band_above_every_value():
    sweep = fake_sweep([[[2.3, 0.2, math.inf]], [[0.1, 0.1, 0.2]]])
    ax = bn.plot_sweep(sweep).axes[0]
    crosses = [line for line in ax.lines if line.get_marker() == "x"]
    finite_top = max(np.nanmax(np.where(np.isfinite(y := np.asarray(line.get_ydata(), float)), y, np.nan))
                     for line in ax.lines if line.get_marker() == "o")
    band = float(crosses[0].get_ydata()[0])
    assert band > finite_top
    labels = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert labels.get("diverged") == pytest.approx(band)
    assert "Loss < 0.5 in all 1 seeds" in ax.get_title()


def test_experiment_helpers_leave_the_global_random_generator_alone():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    _mlp([4, 8, 2], nn.ReLU, norm="bn", seed=5)
    bn.bias_gradient_through_bn()
    assert torch.equal(before, torch.random.get_rng_state())


def test_mlp_is_the_same_for_the_same_seed():
    a, b = (_mlp([4, 8, 2], nn.ReLU, init="he", seed=3) for _ in range(2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_small_batch_summary_finds_sizes_won_in_every_seed():
    r = {"batch_size": np.array([2, 8, 64]), "BatchNorm": np.array([[0.5, 0.9, 0.97], [0.6, 0.95, 0.98]]),
         "GroupNorm": np.array([[0.8, 0.92, 0.96], [0.7, 0.91, 0.97]])}
    s = bn.small_batch_summary(r)
    assert s["gn_wins"] == [2] and s["bn_wins"] == [64]
    np.testing.assert_allclose(s["max_gap"], [0.3, 0.04, 0.01])


def test_smoothness_at_equal_loss_compares_only_the_shared_loss_range():
    r = {"a": {"probe_loss": np.array([2.0, 1.0, 0.5]), "loss_range": np.array([2.0, 1.0, 0.5]),
               "grad_lipschitz": np.array([10.0, 20.0, 30.0])},
         "b": {"probe_loss": np.array([2.5, 0.9, 0.1]), "loss_range": np.array([0.25, 0.09, 0.01]),
               "grad_lipschitz": np.array([1.0, 2.0, 3.0])}}
    out = bn.smoothness_at_equal_loss(r)
    assert out["band"] == (0.5, 2.0)
    assert out["a"]["probes"] == 3 and out["b"]["probes"] == 1
    assert out["a"]["loss_range"] == pytest.approx(1.0) and out["b"]["loss_range"] == pytest.approx(0.1)


def test_single_example_in_train_mode_is_refused_by_pytorch():
    outcome, message = bn.single_example_in_train_mode(steps=5)
    assert outcome == "an error" and "more than 1 value" in message


def test_momentum_none_is_a_plain_average_in_pytorch():
    layer = nn.BatchNorm1d(1, momentum=None)
    means = []
    for k in range(4):
        batch = torch.randn(8, 1, generator=torch.Generator().manual_seed(k)) + k
        layer(batch)
        means.append(batch.mean().item())
    assert layer.running_mean.item() == pytest.approx(np.mean(means), rel=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# Exercise checkers: right answers in every form are accepted; the wrong answers learners give get named
# ---------------------------------------------------------------------------------------------------------------

def good_forward(x, gamma, beta, eps=1e-5):
    return gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta


def good_backward(dout, x, gamma, eps=1e-5):
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(gamma, requires_grad=True)
    bt = torch.zeros_like(gt, requires_grad=True)
    nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=eps).backward(torch.tensor(dout))
    return xt.grad.numpy(), gt.grad.numpy(), bt.grad.numpy()


def graph_backward(dout, x, gamma, eps=1e-5):
    """The notebook's solution to exercise 2, node by node."""
    n = x.shape[0]
    mu, var = x.mean(axis=0), x.var(axis=0)
    s = 1 / np.sqrt(var + eps)
    xhat = (x - mu) * s
    dgamma, dbeta = (dout * xhat).sum(axis=0), dout.sum(axis=0)
    dxhat = dout * gamma
    dvar = (dxhat * (x - mu)).sum(axis=0) * -0.5 * s ** 3
    dmu = -(dxhat * s).sum(axis=0) + dvar * -2 * (x - mu).mean(axis=0)
    dx = dxhat * s + dvar * 2 * (x - mu) / n + dmu / n
    return dx, dgamma, dbeta


def verdict(capsys, checker, answer):
    ok = checker(answer)
    out = capsys.readouterr().out
    assert out.count("✅") + out.count("❌") == 1, out       # one verdict per call
    return ok, out


def test_forward_checker_accepts_right_answers_in_numpy_and_torch(capsys):
    assert verdict(capsys, bn.check_batchnorm_forward, good_forward)[0]
    assert verdict(capsys, bn.check_batchnorm_forward, lambda x, g, b, eps: torch.from_numpy(good_forward(x, g, b,
                                                                                                          eps)))[0]


FORWARD_MUTANTS = {
    "returns x": (lambda x, g, b, eps: x, "unchanged"),
    "wrong axis": (lambda x, g, b, eps: g * (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps)
                   + b, "wrong axis"),
    "forgot gamma and beta": (lambda x, g, b, eps: (x - x.mean(0)) / np.sqrt(x.var(0) + eps), "forgot gamma and beta"),
    "forgot gamma": (lambda x, g, b, eps: (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + b, "forgot gamma"),
    "forgot beta": (lambda x, g, b, eps: g * (x - x.mean(0)) / np.sqrt(x.var(0) + eps), "forgot beta"),
    "swapped gamma and beta": (lambda x, g, b, eps: b * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + g, "swapped"),
    "unbiased variance": (lambda x, g, b, eps: g * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps) + b,
                          "UNBIASED"),
    "eps outside the root": (lambda x, g, b, eps: g * (x - x.mean(0)) / (np.sqrt(x.var(0)) + eps) + b,
                             "inside the square root"),
    "divided by the variance": (lambda x, g, b, eps: g * (x - x.mean(0)) / (x.var(0) + eps) + b, "variance"),
    "no mean subtracted": (lambda x, g, b, eps: g * x / np.sqrt(x.var(0) + eps) + b, "subtract the batch mean"),
    "raises": (lambda *a: 1 / 0, "ZeroDivisionError"),
    "returns a tuple": (lambda x, g, b, eps: (good_forward(x, g, b, eps), {}), "not a tuple"),
    "returns None": (lambda x, g, b, eps: None, "return an array"),
    "wrong shape": (lambda x, g, b, eps: x[:2], "shape"),
}


@pytest.mark.parametrize("mutant", sorted(FORWARD_MUTANTS))
def test_forward_checker_names_each_typical_mistake(capsys, mutant):
    fn, hint = FORWARD_MUTANTS[mutant]
    ok, out = verdict(capsys, bn.check_batchnorm_forward, fn)
    assert not ok and hint in out, out
    assert "off by up to" not in out


def test_backward_checker_accepts_autograd_and_the_graph_solution(capsys):
    assert verdict(capsys, bn.check_batchnorm_backward, good_backward)[0]
    assert verdict(capsys, bn.check_batchnorm_backward, graph_backward)[0]
    assert verdict(capsys, bn.check_batchnorm_backward,
                   lambda *a: tuple(torch.from_numpy(v) for v in graph_backward(*a)))[0]


def _dx_parts(dout, x, gamma, eps):
    n = x.shape[0]
    s = 1 / np.sqrt(x.var(0) + eps)
    xhat = (x - x.mean(0)) * s
    return n, s, xhat, dout * gamma


def _with_dx(dx_fn):
    def fn(dout, x, gamma, eps):
        _, dgamma, dbeta = graph_backward(dout, x, gamma, eps)
        return dx_fn(dout, x, gamma, eps), dgamma, dbeta
    return fn


BACKWARD_MUTANTS = {
    "statistics as constants": (_with_dx(lambda d, x, g, e: d * g / np.sqrt(x.var(0) + e)), "constants"),
    "no variance path": (_with_dx(lambda d, x, g, e: (lambda n, s, xh, dxh: s * (dxh - dxh.mean(0)))(
        *_dx_parts(d, x, g, e))), "not the one through the variance"),
    "no mean path": (_with_dx(lambda d, x, g, e: (lambda n, s, xh, dxh: s * (dxh - xh * (dxh * xh).mean(0)))(
        *_dx_parts(d, x, g, e))), "not the one through the batch mean"),
    "forgot gamma": (_with_dx(lambda d, x, g, e: graph_backward(d, x, np.ones_like(g), e)[0]), "forgot gamma"),
    "unbiased variance": (_with_dx(lambda d, x, g, e: (lambda s, xh, dxh, n: s / n * (
        n * dxh - dxh.sum(0) - xh * (dxh * xh).sum(0)))(1 / np.sqrt(x.var(0, ddof=1) + e),
                                                         (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + e), d * g,
                                                         x.shape[0])), "UNBIASED"),
    "dgamma with x": (lambda d, x, g, e: (graph_backward(d, x, g, e)[0], (d * x).sum(0), d.sum(0)), "must be x̂"),
    "swapped dgamma and dbeta": (lambda d, x, g, e: (lambda dx, dg, db: (dx, db, dg))(*graph_backward(d, x, g, e)),
                                 "swapped"),
    "wrong axis for dgamma": (lambda d, x, g, e: (graph_backward(d, x, g, e)[0], (d * ((x - x.mean(0)) / np.sqrt(
        x.var(0) + e))).sum(1), d.sum(0)), "axis 0"),
    "mean instead of sum": (lambda d, x, g, e: (graph_backward(d, x, g, e)[0], graph_backward(d, x, g, e)[1],
                                                d.mean(0)), "SUM over the batch"),
    "zeros": (lambda d, x, g, e: (np.zeros_like(x), np.zeros_like(g), np.zeros_like(g)), "placeholder"),
    "dx off, no known mistake": (_with_dx(lambda d, x, g, e: graph_backward(d, x, g, e)[0] * 1.5), "walk the graph"),
    "returns None": (lambda d, x, g, e: None, "three arrays"),
}


@pytest.mark.parametrize("mutant", sorted(BACKWARD_MUTANTS))
def test_backward_checker_names_each_typical_mistake(capsys, mutant):
    fn, hint = BACKWARD_MUTANTS[mutant]
    ok, out = verdict(capsys, bn.check_batchnorm_backward, fn)
    assert not ok and hint in out, out


def right_running_var():
    r = 1.0
    for v in (2.0, 0.5, 1.0):
        r = 0.9 * r + 0.1 * v * 4 / 3
    return r


def test_running_var_checker_accepts_the_right_number_in_every_form(capsys):
    r = right_running_var()
    for form in (r, np.float32(r), torch.tensor(r), np.array(r), [r]):
        assert verdict(capsys, bn.check_running_var, form)[0], form


def _ema(vs, start=1.0, w=0.1, factor=4 / 3):
    r = start
    for v in vs:
        r = (1 - w) * r + w * v * factor
    return r


RUNNING_VAR_MUTANTS = {
    "biased": (_ema((2.0, 0.5, 1.0), factor=1.0), "UNBIASED"),
    "swapped weights": (_ema((2.0, 0.5, 1.0), w=0.9), "NEW batch"),
    "started at 0": (_ema((2.0, 0.5, 1.0), start=0.0), "starts with running_var = 1"),
    "plain average": (np.mean((2.0, 0.5, 1.0)) * 4 / 3, "plain average"),
    "last batch only": (_ema((1.0,)), "only the last batch"),
    "text": ("1.03", "not text"),
    "placeholder": (None, "placeholder"),
    "nan": (math.nan, "NaN"),
    "a far number": (0.0, "off by"),
}


@pytest.mark.parametrize("mutant", sorted(RUNNING_VAR_MUTANTS))
def test_running_var_checker_names_each_typical_mistake(capsys, mutant):
    answer, hint = RUNNING_VAR_MUTANTS[mutant]
    ok, out = verdict(capsys, bn.check_running_var, answer)
    assert not ok and hint in out, out


def good_fold(w, b, rm, rv, g, beta, eps=1e-5):
    s = g / np.sqrt(rv + eps)
    return s[:, None] * w, s * (b - rm) + beta


FOLD_MUTANTS = {
    "unchanged": (lambda w, b, rm, rv, g, beta, eps: (w, b), "must change too"),
    "columns": (lambda w, b, rm, rv, g, beta, eps: ((g / np.sqrt(rv + eps)) * w, b), "ROW"),
    "forgot gamma": (lambda w, b, rm, rv, g, beta, eps: (w / np.sqrt(rv + eps)[:, None],
                                                         good_fold(w, b, rm, rv, g, beta, eps)[1]), "forgot gamma"),
    "variance": (lambda w, b, rm, rv, g, beta, eps: ((g / (rv + eps))[:, None] * w,
                                                     good_fold(w, b, rm, rv, g, beta, eps)[1]), "not the variance"),
    "no eps": (lambda w, b, rm, rv, g, beta, eps: ((g / np.sqrt(rv))[:, None] * w,
                                                   good_fold(w, b, rm, rv, g, beta, eps)[1]), "eps"),
    "bias without mean": (lambda w, b, rm, rv, g, beta, eps: (good_fold(w, b, rm, rv, g, beta, eps)[0],
                                                              g / np.sqrt(rv + eps) * b + beta), "running mean"),
    "bias unscaled": (lambda w, b, rm, rv, g, beta, eps: (good_fold(w, b, rm, rv, g, beta, eps)[0], b - rm + beta),
                      "forgot the scale"),
    "bias without beta": (lambda w, b, rm, rv, g, beta, eps: (good_fold(w, b, rm, rv, g, beta, eps)[0],
                                                              g / np.sqrt(rv + eps) * (b - rm)), "forgot beta"),
    "one array": (lambda w, b, rm, rv, g, beta, eps: w, "two arrays"),
}


def test_fold_checker_accepts_the_solution(capsys):
    assert verdict(capsys, bn.check_fold_batchnorm, good_fold)[0]
    assert verdict(capsys, bn.check_fold_batchnorm, lambda *a: tuple(torch.from_numpy(v) for v in good_fold(*a)))[0]


@pytest.mark.parametrize("mutant", sorted(FOLD_MUTANTS))
def test_fold_checker_names_each_typical_mistake(capsys, mutant):
    fn, hint = FOLD_MUTANTS[mutant]
    ok, out = verdict(capsys, bn.check_fold_batchnorm, fn)
    assert not ok and hint in out, out


# ---------------------------------------------------------------------------------------------------------------
# Predictions
# ---------------------------------------------------------------------------------------------------------------

def test_predictions_are_well_formed_and_judge_their_own_answer_right():
    preds = [getattr(bn, n) for n in ("TRAIN_MODE_SPREAD", "BATCH_OF_ONE", "FROZEN_BETA_ACTIVE", "INIT_SCALE_WORST",
                                      "SMALL_BATCH_LOSER")]
    assert all(isinstance(p, Prediction) for p in preds)
    cheap = [bn.BATCH_OF_ONE]                   # the others are computed (and checked) in the claims tests
    for p in cheap:
        answer = p.resolved_answer()
        assert judge(p, answer, answer)[0]
        wrong = next(o for o in p.options if o != answer)
        assert not judge(p, wrong, answer)[0]


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


def plotted_data(fig):
    """Every line's (x, y), every step patch's heights and every text, rounded, as nested tuples."""
    data = []
    for ax in fig.axes:
        for line in ax.lines:
            data.append(tuple(np.round(np.asarray(line.get_xdata(), float), 9)))
            data.append(tuple(np.round(np.asarray(line.get_ydata(), float), 9)))
        for patch in ax.patches:
            if hasattr(patch, "get_data"):
                data.append(tuple(np.round(np.asarray(patch.get_data().values, float), 9)))
        data.append(tuple(t.get_text() for t in ax.texts))
    return data


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


def test_view_sweeps_cover_the_notebook_controls_extremes():
    assert {"plot_gamma_beta", "plot_momentum_tracking", "plot_eps_effect"} <= set(bn.VIEW_SWEEPS)
    gammas = [k["gamma"] for k in bn.VIEW_SWEEPS["plot_gamma_beta"]]
    betas = [k["beta"] for k in bn.VIEW_SWEEPS["plot_gamma_beta"]]
    assert (min(gammas), max(gammas), min(betas), max(betas)) == (0.0, 5.0, -4.0, 4.0)
    moms = [k["momentum"] for k in bn.VIEW_SWEEPS["plot_momentum_tracking"]]
    assert (min(moms), max(moms)) == (1e-3, 1.0)
    epss = [k["eps"] for k in bn.VIEW_SWEEPS["plot_eps_effect"]]
    assert (min(epss), max(epss)) == (1e-8, 1.0)


def test_gamma_beta_title_reports_the_shares_from_the_data():
    assert "68% near-linear, 0% saturated" in bn.plot_gamma_beta(1.0, 0.0).axes[0].get_title()
    assert "100% near-linear, 0% saturated" in bn.plot_gamma_beta(0.0, 0.0).axes[0].get_title()
    assert "0% near-linear, 100% saturated" in bn.plot_gamma_beta(0.0, 4.0).axes[0].get_title()


@pytest.mark.parametrize("gamma", [0.05, 0.1, 0.3])
def test_gamma_beta_histogram_is_never_cut_off(gamma):
    ax = bn.plot_gamma_beta(gamma, 0.0).axes[0]
    heights = np.asarray(ax.patches[-1].get_data().values)
    assert heights.max() == pytest.approx(1.0) and heights.max() < ax.get_ylim()[1]


def test_gamma_beta_values_beyond_the_axis_are_counted_not_piled_into_the_edge_bars():
    ax = bn.plot_gamma_beta(5.0, 0.0).axes[0]
    heights = np.asarray(ax.patches[-1].get_data().values)
    assert heights[0] < 0.5 * heights.max() and heights[-1] < 0.5 * heights.max()
    shares = bn.sigmoid_shares(5.0, 0.0)
    assert [t.get_text() for t in ax.texts] == [f"← {100 * shares['below_axis']:.0f}%",
                                                f"{100 * shares['above_axis']:.0f}% →"]


@pytest.mark.parametrize("eps", [0.1, 1.0])
def test_eps_legend_does_not_cover_the_curve(eps):
    fig = bn.plot_eps_effect(eps)
    assert fig.axes[0].get_legend() is None and fig.legends    # the legend lives outside the axes


def test_figures_fit_the_notebook_column():
    small = {"batch_size": np.array([2, 8]), "BatchNorm": np.array([[0.5, 0.9]]), "GroupNorm": np.array([[0.8, 0.9]])}
    figs = [bn.plot_stat_sharing(), bn.plot_stat_sharing(kinds=("batch",)), bn.plot_gamma_beta(),
            bn.plot_eps_effect(), bn.plot_momentum_tracking(), bn.plot_small_batch(small),
            bn.plot_sweep(fake_sweep([[[2.3, 0.2, math.inf]], [[0.1, 0.1, 0.2]]]))]
    for fig in figs:
        width, height = fig.get_size_inches() * fig.dpi
        assert width <= 960
    single = bn.plot_stat_sharing(kinds=("batch",))
    assert min(single.get_size_inches() * single.dpi) >= 400


def test_cube_labels_lie_outside_the_cube():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for kinds in (("batch",), ("batch", "layer", "instance", "group")):
        fig = bn.plot_stat_sharing(kinds=kinds)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        for ax in fig.axes:
            outline = ax.patches[-3:]                 # front, top and side face of the whole cube, drawn last
            for text in ax.texts:
                box = text.get_window_extent(renderer)
                centre, half_height = ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2), min(box.width, box.height) / 2
                for face in outline:
                    path = face.get_path().transformed(face.get_transform())
                    # the label's centre lies outside every face, by at least half a line of text
                    assert not path.contains_point(centre, radius=half_height), (kinds, text.get_text())


def test_static_plots_draw_from_small_fake_results():
    steps = np.arange(20, 120, 20)
    sig = {k: {"step": steps, "val_acc": np.linspace(0.1, 0.9, 5), "pct": np.ones((5, 3)) * [[-1, 0, 1]]}
           for k in ("without BN", "with BN")}
    assert len(bn.plot_sigmoid_mlp(sig).axes) == 2
    sm = {k: {"step": steps, "probe_loss": np.linspace(2, 0.2, 5), "loss_range": np.ones(5),
              "grad_lipschitz": np.ones(5)} for k in ("without BN", "with BN")}
    assert len(bn.plot_smoothness(sm).axes) == 2
    assert plotted_data_is_finite(bn.plot_batch_spread(bn.batch_mean_spread(draws=50)))
    small = {"batch_size": np.array([2, 8]), "BatchNorm": np.array([[0.5, 0.9], [0.6, 0.9]]),
             "GroupNorm": np.array([[0.8, 0.9], [0.7, 0.85]])}
    fig = bn.plot_small_batch(small)
    assert plotted_data_is_finite(fig) and "GroupNorm wins at batch size 2" in fig.axes[0].get_title()
    assert len(bn.plot_stat_sharing().axes) == 4


# ---------------------------------------------------------------------------------------------------------------
# Bad input: the course-wide test (tests/test_bad_input.py) calls every public function with these valid arguments
# and then makes each argument bad in turn.  Experiments get tiny budgets here.
# ---------------------------------------------------------------------------------------------------------------

def _x(n=6, d=3, seed=0):
    return np.random.default_rng(seed).normal(1.0, 2.0, size=(n, d))


def _img():
    return np.random.default_rng(1).normal(size=(2, 4, 2, 3))


def _small_sweep():
    return bn.lr_sweep(lrs=(0.1, 1.0), steps=3, seeds=(0,))


BAD_INPUT_BASE = {
    "batchnorm_forward": lambda: {"x": _x(), "gamma": np.ones(3), "beta": np.zeros(3)},
    "batchnorm_backward": lambda: {"dout": _x(seed=2), "cache": bn.batchnorm_forward(_x(), np.ones(3), np.zeros(3))[1]},
    "spatial_batchnorm_forward": lambda: {"x": _img(), "gamma": np.ones(4), "beta": np.zeros(4)},
    "spatial_batchnorm_backward": lambda: {"dout": _img(), "cache": bn.spatial_batchnorm_forward(
        _img(), np.ones(4), np.zeros(4))[1]},
    "layernorm_forward": lambda: {"x": _x(), "gamma": np.ones(3), "beta": np.zeros(3)},
    "layernorm_backward": lambda: {"dout": _x(seed=2), "cache": bn.layernorm_forward(_x(), np.ones(3), np.zeros(3))[1]},
    "groupnorm_forward": lambda: {"x": _img(), "gamma": np.ones(4), "beta": np.zeros(4), "groups": 2},
    "groupnorm_backward": lambda: {"dout": _img(), "cache": bn.groupnorm_forward(_img(), np.ones(4), np.zeros(4),
                                                                                 2)[1]},
    "instancenorm_forward": lambda: {"x": _img(), "gamma": np.ones(4), "beta": np.zeros(4)},
    "instancenorm_backward": lambda: {"dout": _img(), "cache": bn.instancenorm_forward(_img(), np.ones(4),
                                                                                       np.zeros(4))[1]},
    "fold_batchnorm": lambda: {"weight": _x(3, 5), "bias": np.zeros(3), "running_mean": np.zeros(3),
                               "running_var": np.ones(3), "gamma": np.ones(3), "beta": np.zeros(3)},
    "rel_error": lambda: {"a": _x(), "b": _x(seed=1)},
    "numerical_gradient": lambda: {"f": lambda v: v ** 2, "x": _x(2, 2), "dout": np.ones((2, 2))},
    "format_table": lambda: {"rows": {"r": {"c": 1.0}}, "columns": ["c"]},
    "sweep_table": lambda: {"sweep": _small_sweep()},
    "torch_to_keras_momentum": lambda: {"momentum": 0.1},
    "steps_to_track": lambda: {"momentum": 0.1},
    "running_var_after": lambda: {"batch_vars": np.array([2.0, 0.5]), "m": 4},
    "trained_bn_net": lambda: {"steps": 3},
    "batch_dependence": lambda: {"model": nn.BatchNorm1d(3), "x": torch.randn(
        20, 3, generator=torch.Generator().manual_seed(0))},
    "single_example_in_train_mode": lambda: {"steps": 3},
    "placement_experiment": lambda: {"steps": 3},
    "relu_activity_experiment": lambda: {"steps": 3},
    "sigmoid_mlp_experiment": lambda: {"steps": 3},
    "sigmoid_summary": lambda: {"results": bn.sigmoid_mlp_experiment(steps=3)},
    "lr_sweep": lambda: {"lrs": (0.1, 1.0), "steps": 3, "seeds": (0,)},
    "init_scale_sweep": lambda: {"scales": (1.0,), "steps": 3, "seeds": (0,)},
    "trains_at": lambda: {"sweep": _small_sweep(), "name": "with BN"},
    "regularisation_experiment": lambda: {"steps": 3},
    "smoothness_experiment": lambda: {"steps": 3, "probe_every": 1},
    "smoothness_at_equal_loss": lambda: {"results": bn.smoothness_experiment(steps=3, probe_every=1)},
    "small_batch_experiment": lambda: {"batch_sizes": (2, 8), "steps": 3, "seeds": (0,)},
    "small_batch_summary": lambda: {"results": bn.small_batch_experiment(batch_sizes=(2, 8), steps=3, seeds=(0,))},
    "recalibration_experiment": lambda: {"steps": 3},
    "frozen_bn_finetune": lambda: {"steps": 3, "seeds": (0,)},
    "fold_check": lambda: {"steps": 3},
    "check_batchnorm_forward": lambda: {"fn": good_forward},
    "check_batchnorm_backward": lambda: {"fn": good_backward},
    "check_running_var": lambda: {"answer": right_running_var()},
    "check_fold_batchnorm": lambda: {"fn": good_fold},
    "plot_sigmoid_mlp": lambda: {"results": bn.sigmoid_mlp_experiment(steps=3)},
    "plot_sweep": lambda: {"sweep": _small_sweep()},
    "plot_smoothness": lambda: {"results": bn.smoothness_experiment(steps=3, probe_every=1)},
    "plot_batch_spread": lambda: {"spread": bn.batch_mean_spread(draws=50)},
    "plot_small_batch": lambda: {"results": bn.small_batch_experiment(batch_sizes=(2, 8), steps=3, seeds=(0,))},
}

BAD_INPUT_ALLOW = {
    ("format_table", "row_label", "unknown name"): "free text: any string is a valid heading",
    ("format_table", "fmt", "unknown name"): "a format string: text without braces is printed as it is",
}


def test_named_bad_inputs_of_issue_20():
    with pytest.raises(TypeError, match="gamma must be a number"):
        bn.plot_gamma_beta(gamma="0.1")
    for eps in (math.inf, math.nan, 0.0, -1e-5):
        with pytest.raises(ValueError, match="eps"):
            bn.batchnorm_forward(_x(), np.ones(3), np.zeros(3), eps=eps)
    with pytest.raises(ValueError, match="x contains NaN"):
        bn.batchnorm_forward(np.full((4, 2), np.nan), np.ones(2), np.zeros(2))
    with pytest.raises(TypeError, match="seeds"):
        bn.lr_sweep(seeds=0)
    with pytest.raises(ValueError, match="steps"):
        bn.lr_sweep(steps=10**6)


def test_smoothness_at_equal_loss_refuses_an_empty_band_instead_of_nan():
    # issue 32: low above high returned NaN medians from zero probes
    results = bn.smoothness_experiment(steps=3, probe_every=1)
    high = bn.smoothness_at_equal_loss(results)["band"][1]
    with pytest.raises(ValueError, match="low must be below high"):
        bn.smoothness_at_equal_loss(results, low=high + 1)
    with pytest.raises(ValueError, match="no probe of"):
        bn.smoothness_at_equal_loss(results, low=100.0, high=200.0)


@pytest.mark.parametrize("name", ["plot_sigmoid_mlp", "sigmoid_summary", "smoothness_at_equal_loss"])
def test_an_empty_results_dict_is_refused_by_name(name):
    # issue 32: bn.plot_sigmoid_mlp({}) ended in a bare StopIteration
    with pytest.raises(TypeError, match="results must be the dict returned by"):
        getattr(bn, name)({})
