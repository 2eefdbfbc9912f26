"""Tests for utils.residual: the MLP blocks and their batched training (checked against ordinary PyTorch training),
ResNet/DenseNet parameter counts against the published figures, the measurements, the views and the checkers."""

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from utils import residual as R
from utils.data import load_dataset
from utils.device import one_cpu_thread
from utils.residual import experiments


@pytest.fixture(autouse=True)
def _one_thread():
    with one_cpu_thread():
        yield


def _tiny_runs():
    return R.degradation_runs(depths=(2,), seeds=(0,), steps=5)


BAD_INPUT_BASE = {
    "MLPBlock": lambda: {"width": 8},
    "make_deep_mlp": lambda: {"depth": 4},
    "DeepMLP": lambda: {"d_in": 64, "width": 8, "n_classes": 10, "n_blocks": 1},
    "train_stack": lambda: {"nets": [R.make_deep_mlp(2, width=8, seed=0)], "data": load_dataset("digits"),
                            "seeds": [0], "steps": 3},
    "degradation_runs": lambda: {"depths": (2,), "seeds": (0,), "steps": 5},
    "degradation_table": lambda: {"runs": _tiny_runs()},
    "mean_train_loss": lambda: {"runs": _tiny_runs(), "depth": 2, "kind": "plain"},
    "identity_fit": lambda: {"depth": 2, "steps": 3, "seeds": (0,)},
    "gradient_ratio": lambda: {"norms": np.array([2.0, 1.0])},
    "block_deletion": lambda: {"runs": _tiny_runs(), "depth": 2, "seeds": (0,)},
    "loss_slice": lambda: {"runs": _tiny_runs(), "depth": 2, "seeds": (0,), "n_points": 3},
    "slice_sharpness": lambda: {"losses": np.array([2.0, 1.0, 2.0]), "alphas": np.array([-1.0, 0.0, 1.0])},
    "BasicBlock": lambda: {"c_in": 4, "c_out": 4},
    "Bottleneck": lambda: {"c_in": 16, "mid": 4},
    "PreActBlock": lambda: {"c_in": 4, "c_out": 4},
    "DenseLayer": lambda: {"c_in": 4, "growth": 2},
    "Transition": lambda: {"c_in": 4},
    "DenseMLPLayer": lambda: {"c_in": 4, "growth": 2},
    "count_parameters": lambda: {"model": nn.Linear(3, 2)},
    "activation_memory": lambda: {"model": nn.Linear(3, 2), "x": torch.ones(4, 3)},
    "compare_small_nets": lambda: {"steps": 3, "seeds": (0,)},
    "small_nets_table": lambda: {"rows": R.compare_small_nets(steps=3, seeds=(0,))},
    "check_dense_channels": lambda: {"answer": 1024},
    "check_bottleneck_params": lambda: {"answer": 70400},
    "check_needs_projection": lambda: {"fn": lambda c_in, c_out, stride: c_in != c_out or stride != 1},
    "plot_degradation": lambda: {"runs": _tiny_runs()},
    "plot_identity_fit": lambda: {"curves": R.identity_fit(depth=2, steps=3, seeds=(0,))},
    "plot_block_deletion": lambda: {"result": R.block_deletion(_tiny_runs(), depth=2, seeds=(0,))},
    "plot_loss_slice": lambda: {"result": R.loss_slice(_tiny_runs(), depth=2, seeds=(0,), n_points=3)},
}


# ----------------------------------------------------------------------------------------------
# The MLP blocks and their batched training
# ----------------------------------------------------------------------------------------------

def test_blocks_compute_their_formulas():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(16, 8, generator=g)                       # x >= 0, as after a ReLU
    for kind in R.BLOCK_KINDS:
        block = R.MLPBlock(8, kind).train()
        z = torch.relu(block.bn1(block.lin1(x))) if kind != "pre-activation" else None
        if kind == "plain":
            expected = torch.relu(block.bn2(block.lin2(z)))
        elif kind == "residual":
            expected = torch.relu(x + block.bn2(block.lin2(z)))
        else:
            expected = x + block.lin2(torch.relu(block.bn2(block.lin1(torch.relu(block.bn1(x))))))
        torch.testing.assert_close(block(x), expected)


def test_a_residual_block_with_its_last_gamma_at_zero_is_the_identity_and_a_plain_one_is_not():
    x = torch.rand(32, 8, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(R.MLPBlock(8, "residual", zero_last_gamma=True).train()(x), x)
    torch.testing.assert_close(R.MLPBlock(8, "pre-activation", zero_last_gamma=True).train()(x), x)
    assert torch.all(R.MLPBlock(8, "plain", zero_last_gamma=True).train()(x) == 0)


def test_make_deep_mlp_is_seeded_and_he_initialised():
    a, b, c = R.make_deep_mlp(4, seed=3), R.make_deep_mlp(4, seed=3), R.make_deep_mlp(4, seed=4)
    assert torch.equal(a.blocks[1].lin2.weight, b.blocks[1].lin2.weight)
    assert not torch.equal(a.blocks[1].lin2.weight, c.blocks[1].lin2.weight)
    big = R.make_deep_mlp(2, width=400, seed=0)
    assert big.blocks[0].lin1.weight.std().item() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    assert len(a.blocks) == 2 and sum(isinstance(m, nn.Linear) for m in a.modules()) == 4 + 2


def _reference_training(net, data, seed, steps, lr, momentum, batch_size):
    """The ordinary PyTorch loop that train_stack claims to reproduce, for one net."""
    idx = torch.randint(len(data.x_train), (steps, batch_size), generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    net.train()
    losses = []
    for t in range(steps):
        loss = F.cross_entropy(net(data.x_train[idx[t]]), data.y_train[idx[t]])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return net.eval(), np.array(losses)


def test_stacked_training_equals_separate_pytorch_training():
    data = load_dataset("digits", n=400, seed=0)
    specs = [("plain", False, 0), ("residual", False, 1), ("residual", True, 2)]
    nets = [R.make_deep_mlp(6, kind, width=12, zero_last_gamma=z, seed=s) for kind, z, s in specs]
    refs = [R.make_deep_mlp(6, kind, width=12, zero_last_gamma=z, seed=s) for kind, z, s in specs]
    nets, curves = R.train_stack(nets, data, [0, 1, 2], steps=8, lr=0.05, momentum=0.9, batch_size=16)
    for c, (net, ref, (_, _, s)) in enumerate(zip(nets, refs, specs)):
        ref, ref_losses = _reference_training(ref, data, s, 8, 0.05, 0.9, 16)
        np.testing.assert_allclose(curves[:, c], ref_losses, rtol=1e-4, atol=1e-5)
        for (name, p), q in zip(net.state_dict().items(), ref.state_dict().values()):
            torch.testing.assert_close(p.float(), q.float(), rtol=1e-4, atol=1e-5, msg=name)
        torch.testing.assert_close(net(data.x_val), ref(data.x_val), rtol=1e-4, atol=1e-4)


def test_train_stack_refuses_nets_it_cannot_stack():
    data = load_dataset("digits", n=100)
    with pytest.raises(ValueError, match="share depth"):
        R.train_stack([R.make_deep_mlp(2, width=8), R.make_deep_mlp(4, width=8)], data, [0, 1], steps=1)
    with pytest.raises(ValueError, match="share depth"):
        R.train_stack([R.make_deep_mlp(2, "pre-activation", width=8)], data, [0], steps=1)
    with pytest.raises(ValueError, match="seeds"):
        R.train_stack([R.make_deep_mlp(2, width=8)], data, [0, 1], steps=1)


def test_degradation_runs_are_cached_and_repeatable():
    a = R.degradation_runs(depths=(2,), seeds=(0,), steps=5)
    hits = experiments._degradation_runs.cache_info().hits
    again = R.degradation_runs(depths=(2,), seeds=(0,), steps=5)
    assert experiments._degradation_runs.cache_info().hits == hits + 1, "the second call is served from the cache"
    assert again is not a and again[(2, "plain", 0)].net is not a[(2, "plain", 0)].net, "each caller gets a copy"
    experiments._degradation_runs.cache_clear()
    b = R.degradation_runs(depths=(2,), seeds=(0,), steps=5)
    assert set(a) == {(2, kind, 0) for kind in R.KINDS}
    for key in a:
        assert a[key].train_loss == b[key].train_loss and np.array_equal(a[key].curve, b[key].curve)
    text = R.degradation_table(a)
    assert "residual, last γ = 0" in text and f"{a[(2, 'plain', 0)].train_loss:.3f}" in text


def test_identity_fit_starts_at_zero_error_with_last_gamma_zero():
    curves = R.identity_fit(depth=4, steps=5, seeds=(0, 1))
    assert set(curves) == set(R.IDENTITY_KINDS)
    assert all(c.shape == (2, 6) for c in curves.values())
    assert np.all(curves["residual, last γ = 0"] < 1e-10)
    assert np.all(curves["plain"][:, 0] > 0.1)


# ----------------------------------------------------------------------------------------------
# Gradients, block deletion, loss slices
# ----------------------------------------------------------------------------------------------

def test_gradient_norms_equal_autograd_on_the_same_net():
    norms = R.gradient_norms(8, "residual", True, False, seed=5)
    data = load_dataset("digits", seed=0)
    idx = torch.randperm(len(data.x_train), generator=torch.Generator().manual_seed(5))[:R.GRADIENT_BATCH]
    net = R.make_deep_mlp(8, "residual", seed=5).train()
    h = torch.relu(net.stem_bn(net.stem(data.x_train[idx])))
    states = [h]
    for block in net.blocks:
        h = block(h)
        states.append(h)
    grads = torch.autograd.grad(F.cross_entropy(net.head(h), data.y_train[idx]), states)
    np.testing.assert_allclose(norms, [g.norm().item() for g in grads], rtol=1e-5)
    assert len(norms) == 8 // 2 + 1


def test_zero_last_gamma_makes_residual_gradients_equal_across_blocks():
    norms = R.gradient_norms(20, "residual", True, True)
    np.testing.assert_allclose(norms[:-1], norms[0], rtol=1e-5)   # every block is the identity: the same gradient
    assert R.gradient_ratio(norms) == pytest.approx(norms[0] / norms[-1])


def test_without_batchnorm_the_gamma_switch_changes_nothing():
    np.testing.assert_array_equal(R.gradient_norms(10, "residual", False, True),
                                  R.gradient_norms(10, "residual", False))


@pytest.mark.parametrize("section", ["block_deletion", "loss_slice"])
def test_sections_reading_the_runs_refuse_an_empty_seed_list_by_name(section):
    # an empty tuple used to pass the per-seed check and fail later with an IndexError on seeds[0]
    with pytest.raises(ValueError, match="seeds must hold 1 to 10 seeds, got 0$"):
        getattr(R, section)(_tiny_runs(), depth=2, seeds=())


@pytest.mark.parametrize("section", ["block_deletion", "loss_slice"])
@pytest.mark.parametrize("kinds, error", [((), ValueError), ("plain", TypeError), (("plain", "dense"), ValueError)])
def test_sections_reading_the_runs_refuse_bad_kinds_by_name(section, kinds, error):
    # issue 32: kinds=() failed with an IndexError on kinds[0]
    with pytest.raises(error, match="kinds"):
        getattr(R, section)(_tiny_runs(), depth=2, seeds=(0,), kinds=kinds)


def test_block_deletion_of_nothing_is_the_full_net_and_of_a_zero_block_changes_nothing():
    runs = _tiny_runs()
    out = R.block_deletion(runs, depth=2, seeds=(0,))
    net = runs[(2, "residual", 0)].net
    data = load_dataset("digits")
    with torch.no_grad():
        assert out["residual"]["full"][0] == pytest.approx((net(data.x_val).argmax(1) == data.y_val).float().mean())
        zeroed = R.make_deep_mlp(4, "residual", zero_last_gamma=True).eval()
        torch.testing.assert_close(zeroed(data.x_val, skip={1}), zeroed(data.x_val))


def test_filter_normalised_direction_matches_each_neuron_norm_and_slice_restores_weights():
    net = R.make_deep_mlp(4, "residual")
    direction = experiments._filter_normalised_direction(net, torch.Generator().manual_seed(0))
    for p, d in zip(net.parameters(), direction):
        if p.ndim == 2:
            torch.testing.assert_close(d.norm(dim=1), p.detach().norm(dim=1))
        else:
            assert torch.all(d == 0)
    runs = _tiny_runs()
    before = [p.clone() for p in runs[(2, "plain", 0)].net.parameters()]
    out = R.loss_slice(runs, depth=2, seeds=(0,), n_points=5)
    for p, q in zip(runs[(2, "plain", 0)].net.parameters(), before):
        assert torch.equal(p, q)
    assert out["alpha"][2] == 0 and out["plain"][0, 2] == pytest.approx(runs[(2, "plain", 0)].train_loss, rel=1e-5)
    assert R.slice_sharpness(np.array([3.0, 1.0, 2.0]), np.array([-1.0, 0.0, 1.0]), width=1) == pytest.approx(1.0)


# ----------------------------------------------------------------------------------------------
# ResNet and DenseNet
# ----------------------------------------------------------------------------------------------

# The exact counts torchvision's documentation lists for resnet18, resnet50 and densenet121 (ImageNet, 1000 classes).
TORCHVISION_COUNTS = {"ResNet-18": 11_689_512, "ResNet-50": 25_557_032, "DenseNet-121": 7_978_856}


def test_resnets_and_densenet_match_the_published_parameter_counts():
    for name, counted, published, rel in R.published_comparison():
        assert counted == TORCHVISION_COUNTS[name], name
        assert abs(rel) <= R.PUBLISHED_TOLERANCE, (name, counted, published)
        assert rel == pytest.approx(counted / published - 1)
    assert R.PUBLISHED == {"ResNet-18": 11.7e6, "ResNet-50": 25.6e6, "DenseNet-121": 8.0e6}


def test_nets_are_built_on_the_meta_device_and_run_on_the_cpu():
    assert next(R.resnet50().parameters()).device.type == "meta"
    net = R.resnet18(n_classes=7, device="cpu").eval()
    with torch.no_grad():
        assert net(torch.randn(1, 3, 64, 64)).shape == (1, 7)
    dense = R.densenet121(n_classes=5, device="cpu").eval()
    with torch.no_grad():
        assert dense(torch.randn(1, 3, 64, 64)).shape == (1, 5)


def test_block_shapes_and_shortcuts():
    x = torch.randn(2, 16, 8, 8)
    assert R.BasicBlock(16, 16)(x).shape == (2, 16, 8, 8)
    assert isinstance(R.BasicBlock(16, 16).shortcut, nn.Identity)
    assert R.BasicBlock(16, 32, 2)(x).shape == (2, 32, 4, 4)
    assert not isinstance(R.BasicBlock(16, 32, 2).shortcut, nn.Identity)
    assert R.Bottleneck(16, 4)(x).shape == (2, 16, 8, 8) and isinstance(R.Bottleneck(16, 4).shortcut, nn.Identity)
    assert R.Bottleneck(16, 8, 2)(x).shape == (2, 32, 4, 4)
    assert R.PreActBlock(16, 16, 2)(x).shape == (2, 16, 4, 4)
    assert R.DenseLayer(16, 6)(x).shape == (2, 22, 8, 8)
    assert R.DenseLayer(16, 6, bottleneck=0)(x).shape == (2, 22, 8, 8)
    assert R.Transition(22)(torch.randn(2, 22, 8, 8)).shape == (2, 11, 4, 4)


def test_block_parameter_counts_equal_hand_counts():
    table = {name: n for name, _, n in R.block_parameter_table()}
    assert table["basic block"] == 2 * 64 * 64 * 9 + 2 * 2 * 64
    assert table["basic block + projection"] == 64 * 128 * 9 + 128 * 128 * 9 + 64 * 128 + 3 * 2 * 128
    assert table["bottleneck block"] == 256 * 64 + 64 * 64 * 9 + 64 * 256 + 2 * (64 + 64 + 256)
    assert table["pre-activation block"] == 2 * 64 * 64 * 9 + 2 * (64 + 64)
    assert table["dense layer (k = 32, bottleneck)"] == 256 * 128 + 128 * 32 * 9 + 2 * (256 + 128)
    assert table["transition (compression 0.5)"] == 256 * 128 + 2 * 256


def test_dense_channels_and_small_nets():
    np.testing.assert_array_equal(R.dense_channels(64, 32, 3), [64, 96, 128, 160])
    dense = R.small_densenet()
    assert dense[-1].in_features == 32 + 8 * 12
    assert dense(torch.rand(5, 64)).shape == (5, 10)
    assert R.small_resnet()(torch.rand(5, 64)).shape == (5, 10)


def test_activation_memory_counts_saved_tensors_once():
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    x = torch.ones(4, 3)
    # the first Linear keeps its input x (4x3) for its weight gradient; ReLU keeps its output (4x5), which the second
    # Linear keeps too (one storage); weights are parameters, not activations
    expected = 4 * (4 * 3 + 4 * 5)
    assert R.activation_memory(model, x) == expected
    # a batch that is a view onto a larger tensor (x_train[:4]) costs only its own rows, not the whole tensor's
    assert R.activation_memory(model, torch.ones(1000, 3)[:4]) == expected
    assert R.activation_memory(R.small_densenet(), torch.rand(8, 64)) > R.activation_memory(R.small_resnet(),
                                                                                              torch.rand(8, 64))


# ----------------------------------------------------------------------------------------------
# Views, predictions, checkers
# ----------------------------------------------------------------------------------------------

def test_gradient_view_redraws_in_place_with_titles_from_the_data():
    fig = R.plot_gradient_norms(depth=50, kind="plain", batchnorm=True)
    ratio = R.gradient_ratio(R.gradient_norms(50, "plain", True))
    assert f"{ratio:.2g}" in fig.axes[0].get_title() and "explodes" in fig.axes[0].get_title()
    again = R.plot_gradient_norms(depth=50, kind="residual", batchnorm=True, zero_last_gamma=True, fig=fig)
    assert again is fig and "within a factor of 10" in fig.axes[0].get_title()
    fig = R.plot_gradient_norms(depth=50, kind="plain", batchnorm=True, zero_last_gamma=True, fig=fig)
    assert "no gradient" in fig.axes[0].get_title()
    for line in fig.axes[0].lines:
        assert np.all(np.isfinite(line.get_ydata()))


def test_static_plots_draw():
    runs = _tiny_runs()
    assert len(R.plot_degradation(runs).axes) == len(R.KINDS)
    assert R.plot_dense_channels().axes[0].get_title().endswith(str(64 + 24 * 48))


def _verdicts(check, answers, capsys):
    out = []
    for a in answers:
        ok = check(a)
        out.append((ok, capsys.readouterr().out))
    return out


def test_check_dense_channels_accepts_every_form_and_rejects_mutants_with_hints(capsys):
    for ok, text in _verdicts(R.check_dense_channels, [1024, 1024.0, torch.tensor(1024), np.int64(1024)], capsys):
        assert ok and text.count("✅") == 1 and "❌" not in text
    mutants = {64 + 32 * (6 + 12 + 24): "transition", 32 * 24: "only what the third block adds",
               64 + 32 * 24: "second transition", 512: "after the third transition", 1000: "block by block",
               None: "number", "1024": "number"}
    for answer, hint in mutants.items():
        ok = R.check_dense_channels(answer)
        text = capsys.readouterr().out
        assert ok is False and hint in text and text.count("❌") == 1 and "✅" not in text, (answer, text)


def test_check_bottleneck_params_names_each_mistake(capsys):
    assert R.check_bottleneck_params(70400) and R.check_bottleneck_params(torch.tensor(70400.0))
    capsys.readouterr()
    convs = 256 * 64 + 64 * 64 * 9 + 64 * 256
    bn = 64 + 64 + 256
    mutants = {convs: "only", convs + 4 * bn: "buffers", convs + 3 * bn: "no bias",
               256 * 64 + 64 * 64 + 64 * 256 + 2 * bn: "3×3", 2 * 256 * 256 * 9 + 4 * 256: "basic block",
               70400 + 256 * 256 + 512: "identity", 12345: "add up"}
    for answer, hint in mutants.items():
        ok = R.check_bottleneck_params(answer)
        text = capsys.readouterr().out
        assert ok is False and hint in text and text.count("❌") == 1, (answer, text)


def test_check_needs_projection_catches_half_right_functions(capsys):
    assert R.check_needs_projection(lambda c_in, c_out, stride: c_in != c_out or stride != 1)
    assert R.check_needs_projection(lambda i, o, s: bool(i != o or s > 1))
    capsys.readouterr()
    mutants = {"stride": lambda i, o, s: i != o, "channel": lambda i, o, s: s != 1,
               "identity is enough": lambda i, o, s: True, "both": lambda i, o, s: False}
    for hint, fn in mutants.items():
        ok = R.check_needs_projection(fn)
        text = capsys.readouterr().out
        assert ok is False and hint in text, (hint, text)
    assert R.check_needs_projection(lambda i, o, s: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert R.check_needs_projection(lambda i, o, s: 1) is False
    assert R.check_needs_projection(42) is False


def test_prediction_answers_come_from_the_helpers():
    assert R.GRADIENT_TOWARD_INPUT.resolved_answer() in R.GRADIENT_TOWARD_INPUT.options
    assert R.GRADIENT_TOWARD_INPUT.resolved_answer() == "much larger"


@pytest.mark.parametrize("growths, error", [((), ValueError), (12, TypeError), (tuple(range(1, 20)), ValueError)])
def test_dense_channels_refuses_an_empty_or_overlong_list_of_growth_rates(growths, error):
    # issue 32: growths=() failed with an IndexError; more rates than colours were dropped silently
    with pytest.raises(error, match="growths"):
        R.plot_dense_channels(growths=growths)


@pytest.mark.parametrize("bad, error", [(None, TypeError), (3, TypeError), ((), ValueError), ((0, 1), ValueError)])
def test_train_stack_refuses_bad_seeds_by_name(bad, error):
    # issue 32: seeds=None failed with "object of type 'NoneType' has no len()"
    with pytest.raises(error, match="seeds"):
        R.train_stack([R.make_deep_mlp(2, width=8, seed=0)], load_dataset("digits"), seeds=bad, steps=3)

BAD_INPUT_ALLOW = {("DeepMLP", "n_blocks", "0"): "no block: the stem and the head alone, the shallowest net",
                   ("dense_channels", "n_layers", "0"): "0 layers: the block's input channels k0 alone",
                   ("plot_dense_channels", "n_layers", "0"): "0 layers: the block's input channels k0 alone"}
