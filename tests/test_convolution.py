"""Tests for utils/convolution/: from-scratch layers against PyTorch, the cost formulas against PyTorch's own
counts, the architectures against their published parameter counts, the batched training against one-by-one
training, the view, and the exercise checkers against the wrong answers learners give."""

import io
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from utils import convolution as C
from utils.convolution import experiments, figures
from utils.interactive import content_overflow_px
from utils.plotstyle import use_course_style

TOL = 1e-10   # float64 comparisons with PyTorch


def _x(shape, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _torch_flops(module, shape):
    with FlopCounterMode(display=False) as counter:
        module(torch.empty((1, *shape), device="meta"))
    return counter.get_total_flops()


# ---------------------------------------------------------------------------------------------- arithmetic

@pytest.mark.parametrize("size, kernel, stride, padding, dilation",
                         list(itertools.product((5, 8, 11), (1, 3, 4), (1, 2, 3), (0, 1, 2), (1, 2))))
def test_output_size_matches_what_pytorch_produces(size, kernel, stride, padding, dilation):
    expected = C.conv_output_size(size, kernel, stride, padding, dilation)
    x = torch.zeros(1, 1, size, size)
    w = torch.zeros(1, 1, kernel, kernel)
    if expected <= 0:
        with pytest.raises(RuntimeError):
            F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    else:
        assert F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation).shape[-1] == expected


def test_output_size_of_a_kernel_larger_than_the_input_is_not_positive():
    assert C.conv_output_size(5, 7) <= 0
    assert C.conv_output_size(4, 3, dilation=2) <= 0
    assert C.conv_output_size(4, 3, dilation=2, padding=1) == 2      # padded 6, span 5


def test_receptive_field_of_stacks():
    assert C.receptive_field([3, 3]) == 5
    assert C.receptive_field([3, 3, 3]) == 7
    assert C.receptive_field([3], dilations=[2]) == 5
    # a stride-2 layer doubles what every later kernel covers: 3, then +2*2 per layer
    assert C.receptive_field([3, 3, 3], strides=[2, 1, 1]) == 3 + 4 + 4
    with pytest.raises(ValueError, match="strides"):
        C.receptive_field([3, 3], strides=[1])


@pytest.mark.parametrize("c_in, c_out, kernel, groups, bias, size",
                         [(3, 64, 3, 1, True, 32), (64, 128, 3, 4, True, 14), (8, 8, 5, 8, False, 9),
                          (16, 32, (1, 3), 2, True, 7), (96, 256, 5, 2, True, 27)])
def test_param_and_mac_formulas_match_pytorch_counts(c_in, c_out, kernel, groups, bias, size):
    layer = nn.Conv2d(c_in, c_out, kernel, groups=groups, bias=bias, device="meta")
    assert C.conv_params(c_in, c_out, kernel, groups, bias) == sum(p.numel() for p in layer.parameters())
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    h_out, w_out = size - kh + 1, size - kw + 1
    assert 2 * C.conv_macs(c_in, c_out, kernel, h_out, w_out, groups) == _torch_flops(layer, (c_in, size, size))
    assert C.count_flops(layer, (c_in, size, size)) == _torch_flops(layer, (c_in, size, size))


def test_groups_must_divide_the_channels():
    with pytest.raises(ValueError, match="groups"):
        C.conv_params(6, 8, 3, groups=4)


def test_dense_versus_conv_counts():
    counts = C.dense_vs_conv(224, 224, 3, 64, 3, 1000)
    assert counts["dense_to_units"] == 150_529 * 1000
    assert counts["conv"] == 64 * (27 + 1) == 1792
    assert counts["locally_connected"] == 224 * 224 * 1792
    assert counts["dense"] == 150_529 * 224 * 224 * 64


def test_stacked_kernels_follow_vggs_argument():
    s = C.stacked_kernels(3, 3, channels=10)
    assert s["field"] == 7 and s["stack_params"] == 27 * 100 and s["single_params"] == 49 * 100
    assert C.stacked_kernels(2, 3)["field"] == 5


def test_inception_branch_cost_matches_pytorch_on_real_modules():
    c = C.inception_branch_cost(192, 32, 16, 28, 5)
    direct = nn.Conv2d(192, 32, 5, padding=2, device="meta")
    reduced = nn.Sequential(nn.Conv2d(192, 16, 1), nn.Conv2d(16, 32, 5, padding=2)).to("meta")
    assert 2 * c["direct"] == _torch_flops(direct, (192, 28, 28))
    assert 2 * c["reduced"] == _torch_flops(reduced, (192, 28, 28))
    assert c["ratio"] > 5


def test_largest_reduction_is_the_largest_within_budget():
    budget = 15_052_800
    r = C.largest_reduction(budget)
    assert C.inception_branch_cost(reduce=r)["reduced"] <= budget < C.inception_branch_cost(reduce=r + 1)["reduced"]
    assert C.largest_reduction(0) == 0


# ---------------------------------------------------------------------------------------------- from scratch

CONV_GRID = [
    # (N, C_in, H, W, C_out, K, stride, padding, dilation, groups)
    (2, 3, 7, 7, 4, 3, 1, 0, 1, 1),
    (1, 4, 9, 8, 6, 3, 2, 1, 2, 2),
    (3, 6, 10, 10, 6, 5, 3, 2, 1, 3),
    (2, 2, 6, 6, 4, 1, 1, 0, 1, 1),
    (1, 4, 8, 11, 8, 2, 2, 0, 1, 4),
    (2, 3, 12, 9, 5, 4, 1, 3, 3, 1),
    (1, 1, 5, 5, 1, 5, 1, 0, 1, 1),
]


@pytest.mark.parametrize("n, c_in, h, w, c_out, k, stride, padding, dilation, groups", CONV_GRID)
def test_conv2d_forward_matches_torch(n, c_in, h, w, c_out, k, stride, padding, dilation, groups):
    x, weight, bias = _x((n, c_in, h, w), 1), _x((c_out, c_in // groups, k, k), 2), _x((c_out,), 3)
    ours, _ = C.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
    ref = F.conv2d(x, weight, bias, stride, padding, dilation, groups)
    assert ours.shape == ref.shape
    assert torch.allclose(ours, ref, atol=TOL, rtol=0)


@pytest.mark.parametrize("n, c_in, h, w, c_out, k, stride, padding, dilation, groups", CONV_GRID)
@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d_backward_matches_autograd(n, c_in, h, w, c_out, k, stride, padding, dilation, groups, with_bias):
    x, weight = _x((n, c_in, h, w), 1), _x((c_out, c_in // groups, k, k), 2)
    bias = _x((c_out,), 3) if with_bias else None
    out, cache = C.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
    dout = _x(out.shape, 4)
    dx, dw, db = C.conv2d_backward(dout, cache)
    leaves = [t.clone().requires_grad_() for t in (x, weight)] + ([bias.clone().requires_grad_()] if with_bias else [])
    F.conv2d(leaves[0], leaves[1], leaves[2] if with_bias else None, stride, padding, dilation, groups).backward(dout)
    assert torch.allclose(dx, leaves[0].grad, atol=TOL, rtol=0)
    assert torch.allclose(dw, leaves[1].grad, atol=TOL, rtol=0)
    if with_bias:
        assert torch.allclose(db, leaves[2].grad, atol=TOL, rtol=0)
    else:
        assert db is None


def test_conv2d_refuses_a_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match="larger than the padded input"):
        C.conv2d_forward(_x((1, 1, 4, 4)), _x((1, 1, 5, 5)))


def test_conv2d_refuses_mismatched_channels_and_groups():
    with pytest.raises(ValueError, match="groups"):
        C.conv2d_forward(_x((1, 4, 6, 6)), _x((3, 2, 3, 3)), groups=2)
    with pytest.raises(ValueError, match="dout"):
        _, cache = C.conv2d_forward(_x((1, 2, 6, 6)), _x((3, 2, 3, 3)))
        C.conv2d_backward(_x((1, 3, 5, 5)), cache)


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 2), (3, 1), (2, 3), (4, 4)])
def test_pooling_forward_and_backward_match_torch(kernel, stride):
    x = _x((2, 3, 9, 8), 5)
    for ours_f, ours_b, ref in ((C.maxpool2d_forward, C.maxpool2d_backward, F.max_pool2d),
                                (C.avgpool2d_forward, C.avgpool2d_backward, F.avg_pool2d)):
        out, cache = ours_f(x, kernel, stride)
        leaf = x.clone().requires_grad_()
        expected = ref(leaf, kernel, stride)
        assert torch.allclose(out, expected, atol=TOL, rtol=0)
        dout = _x(out.shape, 6)
        expected.backward(dout)
        assert torch.allclose(ours_b(dout, cache), leaf.grad, atol=TOL, rtol=0)


def test_max_pooling_routes_the_whole_gradient_to_the_arg_max():
    x = _x((1, 1, 6, 6), 7)
    out, cache = C.maxpool2d_forward(x, 2)
    dx = C.maxpool2d_backward(torch.ones_like(out), cache)
    assert int((dx != 0).sum()) == out.numel()          # one input per window receives gradient
    windows = x.reshape(3, 2, 3, 2).permute(0, 2, 1, 3).reshape(9, 4)
    grads = dx.reshape(3, 2, 3, 2).permute(0, 2, 1, 3).reshape(9, 4)
    assert torch.equal(grads.argmax(1), windows.argmax(1)) and torch.all(grads.sum(1) == 1)


def test_pooling_refuses_a_window_larger_than_the_input():
    with pytest.raises(ValueError, match="kernel"):
        C.maxpool2d_forward(_x((1, 1, 3, 3)), kernel=4)


def test_1x1_convolution_is_a_per_pixel_matrix_product():
    x, w = _x((2, 5, 4, 3), 8), _x((7, 5), 9)
    assert torch.allclose(C.conv1x1_as_matmul(x, w), F.conv2d(x, w[:, :, None, None]), atol=TOL, rtol=0)
    pixel = x[1, :, 2, 1]
    assert torch.allclose(C.conv1x1_as_matmul(x, w)[1, :, 2, 1], w @ pixel, atol=TOL, rtol=0)


def test_batchnorm2d_is_per_channel_over_batch_and_positions():
    x = _x((6, 4, 5, 5), 10) * 2 + 1
    gamma, beta = _x((4,), 11).abs() + 0.5, _x((4,), 12)
    bn = nn.BatchNorm2d(4, dtype=torch.float64).train()
    with torch.no_grad():
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
    assert torch.allclose(C.batchnorm2d_forward(x, gamma, beta), bn(x), atol=1e-10, rtol=0)
    # normalising each pixel position separately (per (C, H, W) over N) would be a different layer
    per_position = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5)
    assert not torch.allclose(per_position, bn(x), atol=1e-3)


def test_shift_images_moves_pixels_and_fills_with_zeros():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    right = C.shift_images(x, 0, 1)
    assert torch.equal(right[0, 0, :, 1:], x[0, 0, :, :3]) and torch.all(right[0, 0, :, 0] == 0)
    up = C.shift_images(x, -1, 0)
    assert torch.equal(up[0, 0, :3], x[0, 0, 1:]) and torch.all(up[0, 0, 3] == 0)
    assert torch.equal(C.shift_images(x.reshape(1, 16), 0, 1), right.reshape(1, 16))


# ---------------------------------------------------------------------------------------------- architectures

# Published figures, typed from the papers (not from our code), and the tolerance each count is held to.
PUBLISHED = {"LeNet-5": (60_000, 0.05), "AlexNet": (60_000_000, 0.02), "VGG-16": (138_000_000, 0.005),
             "GoogLeNet": (6_800_000, 0.05)}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_counts_match_the_published_figures(name):
    published, tolerance = PUBLISHED[name]
    counted = C.count_parameters(C.build_architecture(name))
    assert abs(counted / published - 1) <= tolerance, (name, counted)


def test_exact_counts_computed_by_hand():
    assert C.count_parameters(C.build_architecture("VGG-16")) == 138_357_544
    alexnet = (11 * 11 * 3 * 96 + 96) + (5 * 5 * 48 * 256 + 256) + (3 * 3 * 256 * 384 + 384) \
        + (3 * 3 * 192 * 384 + 384) + (3 * 3 * 192 * 256 + 256) + (9216 * 4096 + 4096) + (4096 * 4096 + 4096) \
        + (4096 * 1000 + 1000)
    assert C.count_parameters(C.build_architecture("AlexNet")) == alexnet
    lenet = 156 + (6 * 25 + 1) * 16 + (16 * 25 + 1) * 120 + 121 * 84 + 85 * 10
    assert C.count_parameters(C.build_architecture("LeNet-5")) == lenet


@pytest.mark.parametrize("name", list(C.ARCHITECTURES))
def test_architectures_build_on_meta_and_pytorch_flops_are_twice_our_macs(name):
    model = C.build_architecture(name)
    assert all(p.device.type == "meta" for p in model.parameters())
    shape = C.ARCHITECTURES[name]["input"]
    out = model.eval()(torch.empty((1, *shape), device="meta"))
    assert tuple(out.shape) == (1, 10 if name == "LeNet-5" else 1000)
    rows = C.layer_costs(name)
    assert sum(r["params"] for r in rows) == C.count_parameters(model)
    assert C.count_flops(model, shape) == 2 * sum(r["macs"] for r in rows)


def test_depths_are_the_papers():
    depths = {r["name"]: r["depth"] for r in C.lineage_table()}
    assert depths == {"LeNet-5": 5, "AlexNet": 8, "VGG-16": 16, "NiN": 12, "GoogLeNet": 22}


def test_known_macs():
    rows = {r["name"]: r["flops"] / 2 for r in C.lineage_table()}
    assert abs(rows["VGG-16"] / 15.47e9 - 1) < 0.01          # the "15.5 GFLOPs" of many tables are MACs
    assert abs(rows["GoogLeNet"] / 1.5e9 - 1) < 0.1           # "1.5 billion multiply-adds" (paper)


def test_vgg_layer_costs():
    rows = C.layer_costs("VGG-16")
    assert [r["kind"] for r in rows] == ["conv"] * 13 + ["fc"] * 3
    assert rows[13]["params"] == 25088 * 4096 + 4096
    assert rows[0]["activations"] == 64 * 224 * 224


def test_unknown_architecture_names_are_refused():
    with pytest.raises(ValueError, match="ResNet"):
        C.build_architecture("ResNet-50")
    with pytest.raises(ValueError, match="name"):
        C.layer_costs("vgg16")


# ---------------------------------------------------------------------------------------------- experiments

def test_small_nets_have_the_same_budget():
    cnn, mlp = C.count_parameters(C.small_cnn()), C.count_parameters(C.small_mlp())
    assert cnn == 1898 and abs(mlp / cnn - 1) < 0.05


def test_small_cnn_does_not_touch_the_global_generator():
    state = torch.random.get_rng_state()
    C.small_cnn(seed=3)
    assert torch.equal(state, torch.random.get_rng_state())
    a, b = C.small_cnn(seed=3), C.small_cnn(seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_stacked_training_equals_training_each_copy_alone():
    torch.manual_seed(0)
    nets = [C.small_cnn(5, (4, 6), seed=s) for s in range(3)]
    xs = torch.rand(12, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    ys = torch.randint(0, 5, (12, 3), generator=torch.Generator().manual_seed(2))
    body, head = [1e-2, 1e-3, 0.0], [1e-2, 1e-2, 3e-2]
    stacked = experiments._StackedCNN(nets)
    experiments._fit_stacked(stacked, xs, ys, stacked.rates(body, head), steps=5, seed=0)
    for i, net in enumerate(nets):
        groups = [{"params": [p for layer in list(net)[:-1] for p in layer.parameters()], "lr": body[i]},
                  {"params": net[-1].parameters(), "lr": head[i]}]
        opt = torch.optim.Adam(groups)
        for _ in range(5):
            loss = F.cross_entropy(net(xs[:, i:i + 1]), ys[:, i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert torch.allclose(stacked.conv1.weight[i * 4:(i + 1) * 4], net[0].weight, atol=1e-5)
        assert torch.allclose(stacked.conv2.weight[i * 6:(i + 1) * 6], net[3].weight, atol=1e-5)
        assert torch.allclose(stacked.head_w[i], net[-1].weight, atol=1e-5)
    assert torch.equal(stacked.conv1.weight[8:], nets[2][0].weight)   # rate 0 froze copy 2's body


def test_transfer_runs_repeat_exactly():
    first = experiments._transfer_cell("control", 1, (0, 1, 2), 20)
    experiments._transfer_cell.cache_clear()
    assert np.array_equal(first, experiments._transfer_cell("control", 1, (0, 1, 2), 20))


def test_fine_tune_sweep_shape_and_scratch_shared_between_shifted_pairings():
    a = C.fine_tune_sweep("shifted", shots=(1, 3), seeds=(0, 1, 2))
    b = C.fine_tune_sweep("control", shots=(1, 3), seeds=(0, 1, 2))
    assert a["accuracy"].shape == (3, 2, 3)
    assert np.array_equal(a["accuracy"][0], b["accuracy"][0])   # "from scratch" does not see the source


def test_equivariance_report_fields():
    eq = C.equivariance_report(0)
    assert set(eq) == {"interior_error", "border_error", "conv_change", "maxpool_change", "global_pool_change",
                       "mlp_change"}
    assert eq["border_error"] > 0


# ---------------------------------------------------------------------------------------------- the view

@pytest.mark.parametrize("settings", C.VIEW_SWEEPS["plot_conv_arithmetic"])
def test_view_title_states_the_formulas_value(settings):
    use_course_style()
    fig = C.plot_conv_arithmetic(**settings)
    out = C.conv_output_size(**settings)
    title = fig._suptitle.get_text()
    if out > 0:
        assert f"= {out};" in title and f"{fig.axes[1].images[0].get_array().shape[0]}" == str(out)
    else:
        assert title.startswith("invalid") and not fig.axes[1].images[0].get_visible()
    assert content_overflow_px(fig) <= 1.0


def test_view_redrawn_in_place_equals_a_fresh_draw():
    use_course_style()
    fig = C.plot_conv_arithmetic(size=5, kernel=7, stride=1, padding=0, dilation=1)
    fig = C.plot_conv_arithmetic(size=9, kernel=3, stride=2, padding=1, dilation=2, fig=fig)
    fresh = C.plot_conv_arithmetic(size=9, kernel=3, stride=2, padding=1, dilation=2)
    assert fig._suptitle.get_text() == fresh._suptitle.get_text()
    assert np.array_equal(fig.axes[0].images[0].get_array(), fresh.axes[0].images[0].get_array())
    assert fig.axes[1].images[0].get_visible()


def _pixels(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="rgba")
    return buffer.getvalue()


def test_every_redraw_after_an_invalid_setting_looks_like_a_fresh_figure():
    """Issue 32: after one invalid setting the titles stayed vermilion for every valid setting that followed."""
    use_course_style()
    sweep = C.VIEW_SWEEPS["plot_conv_arithmetic"]
    order = sweep + sweep[::-1]          # each setting reached from an invalid and from a valid one
    fig = None
    for settings in order:
        fig = C.plot_conv_arithmetic(**settings, fig=fig)
        fresh = C.plot_conv_arithmetic(**settings)
        for mine, theirs in ((fig._suptitle, fresh._suptitle), (fig.axes[1].title, fresh.axes[1].title)):
            assert (mine.get_text(), mine.get_color()) == (theirs.get_text(), theirs.get_color()), settings
        assert _pixels(fig) == _pixels(fresh), f"in-place redraw differs from a fresh one at {settings}"


def test_view_counts_pixels_no_window_reads():
    grid, centres, out, span = figures._arithmetic(12, 3, 4, 0, 3)
    assert out == 2 and span == 7 and len(centres) == 2
    assert int((grid == figures._UNREAD).sum()) == 144 - 36       # 6 rows x 6 columns are read


def test_sweep_includes_invalid_and_extreme_settings():
    sweep = C.VIEW_SWEEPS["plot_conv_arithmetic"]
    assert any(C.conv_output_size(**s) <= 0 for s in sweep)
    assert {s["dilation"] for s in sweep} >= {1, 3} and {s["stride"] for s in sweep} >= {1, 4}


# ---------------------------------------------------------------------------------------------- checkers

def test_check_output_size_accepts_the_answer_in_every_form(capsys):
    for right in (12, 12.0, np.int64(12), torch.tensor(12)):
        assert C.check_output_size(right) is True
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [(14, "dilation"), (10, "padding"), (11, "one short"), (13, "rounds down"),
                                         (24, "stride"), (7, "⌊"), ("12", "whole number"), (None, "whole number"),
                                         (12.5, "whole number")])
def test_check_output_size_rejects_mutants_with_a_hint(wrong, hint, capsys):
    assert C.check_output_size(wrong) is False
    out = capsys.readouterr().out
    assert hint in out and "Correct" not in out


def test_check_layer_cost_accepts_the_answer(capsys):
    assert C.check_layer_cost(18_560, 115_605_504) is True
    assert C.check_layer_cost(torch.tensor(18_560), 115_605_504.0) is True


@pytest.mark.parametrize("params, flops, hint", [
    (18_432, 115_605_504, "bias"),
    (73_856, 115_605_504, "ignore the groups"),
    (4_640, 115_605_504, "all C_out filters"),
    (1_280, 115_605_504, "input channels"),
    (18_560, 57_802_752, "2 FLOPs per MAC"),
    (18_560, 462_422_016, "ignore the groups"),
    (18_560, 231_211_008, "groups divide"),
    (18_560, 115_605_504 // 3136 * 2916, "54×54"),
    (18_560, 115_605_504 // 3136, "one output pixel"),
    (73_856, 462_422_016, "channels; the FLOPs ignore the groups"),
    (18_560, None, "two whole numbers"),
])
def test_check_layer_cost_rejects_mutants_with_a_hint(params, flops, hint, capsys):
    assert C.check_layer_cost(params, flops) is False
    out = capsys.readouterr().out
    assert hint in out and "Correct" not in out


def test_check_reduction_accepts_the_answer(capsys):
    assert C.check_reduction(19) is True and C.check_reduction(19.0) is True
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [(24, "1x1 conv itself"), (100, "counts only the 1x1"), (20, "one too many"),
                                         (9, "halves the budget"), (16, "H·W·r"), (0, "at least one"),
                                         ("19", "whole number")])
def test_check_reduction_rejects_mutants_with_a_hint(wrong, hint, capsys):
    assert C.check_reduction(wrong) is False
    out = capsys.readouterr().out
    assert hint in out and "Correct" not in out


def test_exercise_answers_follow_from_the_module():
    assert C.conv_output_size(**C.EXERCISE_CONV) == 12
    assert C.largest_reduction(C.inception_branch_cost(192, 32, 16, 28, 5)["direct"] / 8) == 19
    budget = 25 * 192 * 32 * 784 / 8
    assert math.floor(budget / (784 * (192 + 25 * 32))) == 19


# ---------------------------------------------------------------------------------------------- bad input

def _conv_cache():
    return C.conv2d_forward(_x((1, 2, 5, 5)), _x((3, 2, 3, 3)))


def _pool_cache(fn):
    return fn(_x((1, 2, 4, 4)), 2)


BAD_INPUT_BASE = {
    "conv_output_size": lambda: {"size": 7, "kernel": 3},
    "receptive_field": lambda: {"kernels": [3, 3]},
    "conv_params": lambda: {"c_in": 3, "c_out": 8, "kernel": 3},
    "conv_macs": lambda: {"c_in": 3, "c_out": 8, "kernel": 3, "h_out": 5, "w_out": 5},
    "conv2d_forward": lambda: {"x": _x((1, 2, 5, 5)), "weight": _x((3, 2, 3, 3))},
    "conv2d_backward": lambda: {"dout": _x((1, 3, 3, 3)), "cache": _conv_cache()[1]},
    "maxpool2d_forward": lambda: {"x": _x((1, 2, 4, 4))},
    "maxpool2d_backward": lambda: {"dout": _x((1, 2, 2, 2)), "cache": _pool_cache(C.maxpool2d_forward)[1]},
    "avgpool2d_forward": lambda: {"x": _x((1, 2, 4, 4))},
    "avgpool2d_backward": lambda: {"dout": _x((1, 2, 2, 2)), "cache": _pool_cache(C.avgpool2d_forward)[1]},
    "conv1x1_as_matmul": lambda: {"x": _x((1, 2, 3, 3)), "weight": _x((4, 2))},
    "batchnorm2d_forward": lambda: {"x": _x((2, 3, 4, 4)), "gamma": torch.ones(3, dtype=torch.float64),
                                    "beta": torch.zeros(3, dtype=torch.float64)},
    "shift_images": lambda: {"x": _x((2, 1, 8, 8))},
    "build_architecture": lambda: {"name": "LeNet-5"},
    "count_parameters": lambda: {"model": C.small_cnn()},
    "count_flops": lambda: {"model": C.small_cnn(), "input_shape": (1, 8, 8)},
    "weight_depth": lambda: {"model": C.small_cnn()},
    "layer_costs": lambda: {"name": "LeNet-5"},
    "largest_reduction": lambda: {"budget": 1e7},
    "stacked_kernels": lambda: {"n_layers": 3},
    "fine_tune_sweep": lambda: {"shots": (1,), "seeds": (0,), "steps": 5},
    "plot_lineage": lambda: {"rows": C.lineage_table()},
    "plot_filters_and_maps": lambda: {"model": C.small_cnn(), "image": torch.rand(8, 8)},
    "plot_fine_tuning": lambda: {"sweeps": [C.fine_tune_sweep("control", shots=(1,), seeds=(0,), steps=5)]},
    "check_output_size": lambda: {"answer": 12},
    "check_layer_cost": lambda: {"params": 18_560, "flops": 115_605_504},
    "check_reduction": lambda: {"channels": 19},
}


# ---------------------------------------------------------------------------------------------- predictions

PREDICTIONS = [C.VGG_FC_SHARE, C.STACK_RATIO, C.SHIFT_LOSER, C.TRANSFER_HELPS]


@pytest.mark.parametrize("prediction", PREDICTIONS, ids=["vgg_fc_share", "stack_ratio", "shift_loser", "transfer"])
def test_predictions_reveal_right_and_wrong_answers(prediction):
    from utils.predictions import judge

    answer = prediction.resolved_answer()
    assert judge(prediction, answer, answer)[0] is True
    wrong = next(o for o in prediction.options if o != answer) if prediction.options else answer * 3
    right, message = judge(prediction, wrong, answer)
    assert right is False and "Not quite" in message


def test_the_notebook_asks_each_prediction_after_a_predict_cell():
    import nbformat

    root = Path(__file__).resolve().parents[1]
    nb = nbformat.read(root / "notebooks" / "07_convolutional_networks.ipynb", as_version=4)
    asked = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip().startswith("ask(conv.")]
    assert len(asked) >= 3
    for i in asked:
        assert nb.cells[i - 1].cell_type == "markdown" and "**Predict.**" in nb.cells[i - 1].source
    names = {nb.cells[i].source.strip()[len("ask(conv."):-1] for i in asked}
    assert names == {"VGG_FC_SHARE", "STACK_RATIO", "SHIFT_LOSER", "TRANSFER_HELPS"}


@pytest.mark.parametrize("call, name", [
    (lambda: C.conv2d_forward(torch.rand(1, 2, 5, 5), torch.rand(3, 2, 3, 3, dtype=torch.float64)), "weight"),
    (lambda: C.conv2d_forward(_x((1, 2, 5, 5)), _x((3, 2, 3, 3)), bias=torch.zeros(3)), "bias"),
    (lambda: C.conv1x1_as_matmul(_x((1, 2, 3, 3)), torch.rand(4, 2)), "weight"),
    (lambda: C.batchnorm2d_forward(torch.rand(2, 3, 4, 4), torch.ones(3, dtype=torch.float64), torch.zeros(3)),
     "gamma")])
def test_mixed_dtypes_are_refused_by_name(call, name):
    # issue 32: a float64 weight with a float32 x failed with "expected scalar type Float but found Double"
    with pytest.raises(TypeError, match=f"{name} is torch.float(64|32) but x is torch.float(32|64): give both"):
        call()

BAD_INPUT_ALLOW = {("largest_reduction", "budget", "0"): "documented: a budget that affords no channel gives 0"}
