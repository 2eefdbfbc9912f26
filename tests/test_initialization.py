"""Tests for utils.initialization: the initialisers against torch.nn.init, the per-layer statistics, the views."""

import io
import math
import warnings

import numpy as np
import pytest
import torch
from matplotlib.patches import StepPatch
from torch import nn

from utils import initialization as init
from utils.initialization import experiments, figures, maths

SHAPE = (400, 600)            # 240 000 draws: the sample std is within ~0.3% of the true std
N = SHAPE[0] * SHAPE[1]

# torch.nn.init's version of each scheme at s = 1 (LeCun normal is Kaiming normal with the linear gain).
TORCH_INIT = {
    "xavier_uniform": lambda w, act: nn.init.xavier_uniform_(w),
    "xavier_normal": lambda w, act: nn.init.xavier_normal_(w),
    "kaiming_uniform": lambda w, act: nn.init.kaiming_uniform_(w, a=init.LEAKY_SLOPE, nonlinearity=act),
    "kaiming_normal": lambda w, act: nn.init.kaiming_normal_(w, a=init.LEAKY_SLOPE, nonlinearity=act),
    "lecun_normal": lambda w, act: nn.init.kaiming_normal_(w, nonlinearity="linear"),
    "orthogonal": lambda w, act: nn.init.orthogonal_(w),
    "normal": lambda w, act: nn.init.normal_(w, std=1.0),
    # nn.Linear.reset_parameters: kaiming_uniform_ with a = sqrt(5), i.e. U(±1/sqrt(fan_in))
    "torch_default": lambda w, act: nn.init.kaiming_uniform_(w, a=math.sqrt(5)),
}


def _draw_both(scheme, activation, shape=SHAPE, seed=0):
    ours = init.init_weights(shape, scheme, activation, generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(seed + 1)
    theirs = TORCH_INIT[scheme](torch.empty(shape), activation)
    return ours, theirs


@pytest.mark.parametrize("scheme", list(TORCH_INIT))
@pytest.mark.parametrize("activation", ["relu", "tanh", "leaky_relu", "linear"])
def test_initialiser_has_the_same_mean_and_std_as_torch(scheme, activation):
    ours, theirs = _draw_both(scheme, activation)
    std_torch = theirs.double().std().item()
    # mean: within 5 standard errors of 0; std: within 1.5% of torch's sample std (both have ~0.3% sampling noise)
    assert abs(ours.double().mean().item()) < 5 * std_torch / math.sqrt(N)
    assert ours.double().std().item() == pytest.approx(std_torch, rel=0.015)
    assert init.init_std(scheme, SHAPE, activation) == pytest.approx(std_torch, rel=0.015)


@pytest.mark.parametrize("scheme", ["xavier_uniform", "kaiming_uniform", "torch_default"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_uniform_initialisers_share_torchs_bounds(scheme, activation):
    ours, theirs = _draw_both(scheme, activation)
    bound_torch = theirs.abs().max().item()
    bound_ours = ours.abs().max().item()
    # with 240k uniform draws the largest |w| is within 0.01% of the bound; allow 0.1%
    assert bound_ours == pytest.approx(bound_torch, rel=1e-3)
    assert bound_ours <= math.sqrt(3) * init.init_std(scheme, SHAPE, activation) * (1 + 1e-6)


def test_orthogonal_rows_are_orthonormal_like_torchs():
    for shape in [(64, 64), (32, 80), (80, 32)]:
        ours, theirs = _draw_both("orthogonal", "linear", shape)
        small = min(shape)
        gram_ours = ours @ ours.T if shape[0] <= shape[1] else ours.T @ ours
        gram_torch = theirs @ theirs.T if shape[0] <= shape[1] else theirs.T @ theirs
        torch.testing.assert_close(gram_ours, torch.eye(small), atol=1e-5, rtol=0)
        torch.testing.assert_close(gram_torch, torch.eye(small), atol=1e-5, rtol=0)


def test_constant_and_scale_follow_the_formula():
    torch.testing.assert_close(init.init_weights((3, 4), "constant", scale=0.25),
                               nn.init.constant_(torch.empty(3, 4), 0.25))
    g = torch.Generator().manual_seed(0)
    w = init.init_weights(SHAPE, "kaiming_normal", "relu", scale=3.0, generator=g)
    assert w.std().item() == pytest.approx(3.0 * math.sqrt(2 / SHAPE[1]), rel=0.015)


@pytest.mark.parametrize("activation", ["linear", "tanh", "sigmoid", "relu", "leaky_relu"])
def test_gain_matches_torch_calculate_gain(activation):
    param = init.LEAKY_SLOPE if activation == "leaky_relu" else None
    assert init.gain(activation) == pytest.approx(nn.init.calculate_gain(activation, param), rel=1e-12)


def test_conv_fan_in_is_channels_times_kernel_area():
    assert init.fans((32, 16, 3, 5)) == (16 * 3 * 5, 32 * 3 * 5)
    assert init.fans((10, 7)) == (7, 10)
    shape = (64, 32, 3, 3)
    torch.manual_seed(0)
    theirs = nn.init.kaiming_normal_(torch.empty(shape), nonlinearity="relu")
    assert init.init_std("kaiming_normal", shape, "relu") == pytest.approx(math.sqrt(2 / (32 * 9)))
    assert theirs.std().item() == pytest.approx(math.sqrt(2 / (32 * 9)), rel=0.02)


def test_conv_fan_table_agrees_with_torch():
    for scheme, fan_in, fan_out, formula, ours, theirs in init.conv_fan_table((64, 32, 3, 3)):
        assert (fan_in, fan_out) == (288, 576), scheme
        assert ours == pytest.approx(formula, rel=0.03), scheme
        assert theirs == pytest.approx(formula, rel=0.03), scheme


def test_orthogonal_linear_net_keeps_the_root_mean_square_exactly():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(300, 64, generator=g, dtype=torch.float64) * 2.5 + 0.7
    weights = [init.init_weights((64, 64), "orthogonal", generator=g, dtype=torch.float64) for _ in range(20)]
    stats = maths._propagate(x, weights, "linear")
    rms = np.sqrt(stats.std ** 2 + stats.mean ** 2)
    np.testing.assert_allclose(rms, x.pow(2).mean().sqrt().item(), rtol=1e-10)
    assert stats.exploded_at is None


def test_scaled_identity_net_multiplies_mean_and_std_by_c_per_layer():
    x = torch.randn(500, 16, generator=torch.Generator().manual_seed(2), dtype=torch.float64) + 1.0
    c = -1.5
    stats = maths._propagate(x, [c * torch.eye(16, dtype=torch.float64)] * 6, "linear", keep=(6,))
    powers = c ** np.arange(1, 7)
    np.testing.assert_allclose(stats.mean, powers * x.mean().item(), rtol=1e-12)
    np.testing.assert_allclose(stats.std, np.abs(powers) * x.std(correction=0).item(), rtol=1e-12)
    torch.testing.assert_close(stats.kept[6], x * c ** 6)


def test_variance_argument_matched_scheme_keeps_ratio_one_and_xavier_relu_loses_root_two():
    def geometric_mean(r):
        return float(np.exp(np.log(r).mean()))
    # 50 layers of width 256: finite-width noise moves the per-layer ratio by a few percent; tolerance 0.04
    assert geometric_mean(init.std_ratios("relu", "kaiming_normal")) == pytest.approx(1.0, abs=0.04)
    assert geometric_mean(init.std_ratios("relu", "xavier_normal")) == pytest.approx(1 / math.sqrt(2), abs=0.04)
    assert geometric_mean(init.std_ratios("linear", "lecun_normal")) == pytest.approx(1.0, abs=0.04)


@pytest.mark.parametrize("scheme", ["normal", "xavier_uniform", "kaiming_normal", "orthogonal", "constant"])
def test_cached_net_weights_are_the_formula_draws_layer_by_layer(scheme):
    # _net_weights multiplies cached unit draws by the scheme's std: layer l must equal init_weights seeded seed·1000+l
    seed, width, scale = 3, 24, 0.7
    for _ in range(2):  # the second call comes from the cache
        weights = experiments._net_weights(scheme, "tanh", scale, 4, width, seed)
        for layer, w in enumerate(weights):
            g = torch.Generator().manual_seed(seed * 1000 + layer)
            expected = init.init_weights((width, width), scheme, "tanh", scale, generator=g)
            torch.testing.assert_close(w, expected, rtol=1e-6, atol=1e-7)


def test_propagate_with_a_factor_equals_propagating_scaled_weights():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(100, 32, generator=g, dtype=torch.float64)
    weights = [torch.randn(32, 32, generator=g, dtype=torch.float64) for _ in range(5)]
    c = 0.37
    a = maths._propagate(x, weights, "tanh", keep=(5,), factor=c)
    b = maths._propagate(x, [c * w for w in weights], "tanh", keep=(5,))
    # float64; c·(h @ Wᵀ) and h @ (c·W)ᵀ round differently: ~1e-15 per layer, allow 1e-10
    np.testing.assert_allclose(a.std, b.std, rtol=1e-10)
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(a.kept[5], b.kept[5], rtol=1e-10, atol=1e-12)


def test_explorer_fixed_layout_leaves_room_for_the_widest_labels():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = None
    # std down to the 1e-30 floor gives the widest log tick labels; depth 50 the most layer labels
    for settings in ({}, {"activation": "tanh", "scheme": "normal", "scale": 0.001, "depth": 50, "width": 500}):
        fig = init.plot_init_histograms(**settings, fig=fig)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        r = canvas.get_renderer()
        ax_h, ax_s = fig.axes[:2]
        for ax in (ax_h, ax_s):
            ylabel, xlabel = ax.yaxis.label.get_window_extent(r), ax.xaxis.label.get_window_extent(r)
            for t in ax.get_yticklabels():
                if t.get_visible() and t.get_text():
                    assert not ylabel.overlaps(t.get_window_extent(r)), (settings, t.get_text())
            for t in ax.get_xticklabels():
                if t.get_visible() and t.get_text():
                    assert not xlabel.overlaps(t.get_window_extent(r)), (settings, t.get_text())
        right_of_histograms = ax_h.get_window_extent(r).x1
        assert ax_s.yaxis.label.get_window_extent(r).x0 > right_of_histograms, settings
        assert min(t.get_window_extent(r).x0 for t in ax_s.get_yticklabels() if t.get_text()) > right_of_histograms


def test_explorer_labels_layers_with_whole_numbers_at_depth_one():
    fig = init.plot_init_histograms(depth=1)
    ax_s = fig.axes[1]
    lo, hi = ax_s.get_xlim()
    shown = [v for v in ax_s.xaxis.get_major_locator()() if lo <= v <= hi]
    assert shown == [1]


def test_gradient_profile_matches_hand_backprop_through_a_linear_net():
    depth, width, n = 4, 32, 50
    p = init.gradient_profile("linear", "xavier_normal", 1.0, depth, width, n, 0)
    weights = experiments._net_weights("xavier_normal", "linear", 1.0, depth, width, 0)
    u = torch.randn(n, width, generator=torch.Generator().manual_seed(20_000))
    grad, expected = u.double(), []
    for w in reversed(weights):      # dL/dh_l = dL/dh_{l+1} @ W_{l+1}, starting from dL/dh_depth = u
        expected.append(grad.std(correction=0).item())
        grad = grad @ w.double()
    np.testing.assert_allclose(p.std, expected[::-1], rtol=1e-4)


def test_unknown_scheme_or_activation_lists_the_known_names():
    with pytest.raises(ValueError, match="kaiming_normal"):
        init.init_weights((4, 4), "he_normal")
    with pytest.raises(ValueError, match="leaky_relu"):
        init.gain("swish")
    with pytest.raises(ValueError, match="tanh"):
        init.plot_init_histograms(activation="softplus")


@pytest.mark.parametrize("bad", [{"depth": 0}, {"width": 0}, {"depth": -3}, {"width": 10_000}, {"depth": 51}])
def test_depth_and_width_outside_the_range_are_refused(bad):
    with pytest.raises(ValueError, match="depth|width"):
        init.plot_init_histograms(**bad)


def test_bad_scale_and_shape_are_refused():
    with pytest.raises(ValueError, match="scale"):
        init.init_weights((4, 4), "normal", scale=-1.0)
    with pytest.raises(ValueError, match="shape"):
        init.fans((5,))
    with pytest.raises(TypeError, match="depth"):
        init.activation_profile("relu", "normal", 1.0, 2.5, 10)


def test_overflow_is_reported_as_exploded_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = init.activation_profile("relu", "normal", 100.0, 50, 500, 200, 0)
        fig = init.plot_init_histograms("relu", "normal", 100.0, 50, 500)
    assert p.exploded_at is not None and p.exploded_at < 50
    assert "exploded" in fig._suptitle.get_text()


def _plotted_data_is_finite(fig):
    for ax in fig.axes:
        for line in ax.lines:
            if not np.all(np.isfinite(np.asarray(line.get_xydata(), dtype=float))):
                return False
        for patch in ax.patches:
            if isinstance(patch, StepPatch) and patch.get_visible():
                values, edges, _ = patch.get_data()
                if not (np.all(np.isfinite(values)) and np.all(np.isfinite(edges))):
                    return False
    return True


@pytest.mark.parametrize("name", list(init.VIEW_SWEEPS))
def test_every_view_sweep_setting_draws_finite_data_without_warnings(name):
    plot_fn = getattr(init, name)
    fig = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for settings in init.VIEW_SWEEPS[name]:
            fig = plot_fn(**settings, fig=fig)
            assert _plotted_data_is_finite(fig), settings
            if settings["depth"] == init.MAX_DEPTH:  # render the extreme settings too: warnings can come from drawing
                fig.savefig(io.BytesIO(), format="png")


def test_view_sweep_spans_both_extremes_of_every_control():
    sweep = init.VIEW_SWEEPS["plot_init_histograms"]
    assert {s["activation"] for s in sweep} == set(init.ACTIVATIONS)
    assert {s["scheme"] for s in sweep} == set(init.SCHEMES)
    assert {0.001, 100.0} <= {s["scale"] for s in sweep}
    assert {1, init.MAX_DEPTH} <= {s["depth"] for s in sweep}
    assert {10, init.MAX_WIDTH} <= {s["width"] for s in sweep}


def test_classic_tanh_experiment_collapses_saturates_or_keeps_spread():
    small = init.activation_profile("tanh", "normal", 0.01, 10, 500, 1000, 0)
    big = init.activation_profile("tanh", "normal", 1.0, 10, 500, 1000, 0)
    xavier = init.activation_profile("tanh", "xavier_normal", 1.0, 10, 500, 1000, 0)
    assert small.std[-1] < 1e-4 * small.std[0]
    assert big.saturated[-1] > 0.5
    assert 0.1 < xavier.std[-1] / xavier.std[0] < 1


def test_constant_init_keeps_hidden_units_identical_but_logistic_regression_learns():
    r = init.symmetry_experiment(steps=30)
    assert r["constant"]["rank"] == 1 and r["constant"]["spread"] < 1e-6
    assert r["random"]["rank"] > 1
    assert r["logistic"]["accuracy"] > 0.5


def test_activations_over_training_counts_every_hidden_value():
    rec = init.activations_over_training(steps=3, depth=3, width=8)
    assert rec["counts"].shape == (2, 3, 40)
    # tanh values all lie in [-1, 1], the histogram range: each step counts batch (64) × width (8) values
    np.testing.assert_array_equal(rec["counts"].sum(axis=2), 64 * 8)
    assert np.all(np.isfinite(rec["loss"]))


def test_torch_default_is_what_nn_linear_draws():
    torch.manual_seed(0)
    layer = nn.Linear(600, 400)
    bound = 1 / math.sqrt(600)
    # nn.Linear's weight and bias are both U(±1/sqrt(fan_in)): variance 1/(3·fan_in)
    assert layer.weight.abs().max().item() == pytest.approx(bound, rel=1e-3)
    assert layer.weight.double().std().item() == pytest.approx(init.init_std("torch_default", (400, 600)), rel=0.015)
    assert init.init_std("torch_default", (400, 600)) == pytest.approx(math.sqrt(1 / (3 * 600)))
    assert layer.bias.abs().max().item() <= bound


def test_kaiming_fan_out_mode_matches_torch():
    shape = (128, 64, 3, 3)
    w = nn.init.kaiming_normal_(torch.empty(shape), mode="fan_out", nonlinearity="relu",
                                generator=torch.Generator().manual_seed(0))
    ours = init.init_weights(shape, "kaiming_normal", "relu", mode="fan_out",
                             generator=torch.Generator().manual_seed(1))
    assert init.init_std("kaiming_normal", shape, "relu", mode="fan_out") == pytest.approx(math.sqrt(2 / (128 * 9)))
    assert w.std().item() == pytest.approx(math.sqrt(2 / (128 * 9)), rel=0.02)
    assert ours.std().item() == pytest.approx(math.sqrt(2 / (128 * 9)), rel=0.02)
    rows = init.conv_fan_table(shape)
    assert rows[-1][0] == "kaiming_normal, fan_out"
    assert rows[-1][4] == pytest.approx(rows[-1][3], rel=0.03) and rows[-1][5] == pytest.approx(rows[-1][3], rel=0.03)


def test_layer_statistics_separate_unit_offsets_from_input_dependence():
    n, d = 50, 8
    g = torch.Generator().manual_seed(5)
    same_input = torch.randn(1, d, generator=g, dtype=torch.float64).repeat(n, 1)
    w = torch.randn(d, d, generator=g, dtype=torch.float64)
    # every input identical: the units differ from each other, but nothing depends on the input
    s = maths._propagate(same_input, [w], "linear")
    assert s.input_std[0] == pytest.approx(0.0, abs=1e-12) and s.unit_std[0] > 0.1
    # every unit identical (constant weights): the spread is all across inputs
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    s = maths._propagate(x, [torch.ones(d, d, dtype=torch.float64)], "linear")
    assert s.unit_std[0] == pytest.approx(0.0, abs=1e-12)
    assert s.input_std[0] == pytest.approx(s.std[0], rel=1e-12)
    # in general the pooled variance is the sum of the two parts plus the spread of the unit means' offsets
    s = maths._propagate(x, [w], "tanh")
    h = torch.tanh(x @ w.T)
    assert s.input_std[0] == pytest.approx(h.var(0, correction=0).mean().sqrt().item(), rel=1e-12)
    assert s.unit_std[0] == pytest.approx(h.var(1, correction=0).mean().sqrt().item(), rel=1e-12)


def test_verdict_checks_saturation_before_calling_a_layer_vanished():
    p = init.activation_profile("sigmoid", "constant", 1.0, 20, 250, 200, 0)
    assert p.std[-1] == 0.0                      # every activation is exactly 1 ...
    verdict = experiments._verdict(p, "sigmoid")
    assert verdict.startswith("saturated") and "identical" in verdict   # ... which is saturation, not vanishing
    assert "vanished" not in verdict


def test_verdict_at_depth_one_is_judged_against_the_input():
    assert init.explorer_verdict("relu", "normal", 100.0, 1, 250).startswith("grows")
    assert init.explorer_verdict("relu", "normal", 0.001, 1, 250).startswith("collapses")
    assert init.explorer_verdict("linear", "orthogonal", 1.0, 1, 250).startswith("keeps its spread")


def test_ridgeline_of_a_ten_layer_net_shows_every_layer():
    fig = init.plot_cases([("tanh", "xavier_normal", 1.0)], depth=10, width=32, n_samples=50)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [str(n) for n in range(1, 11)]


def test_ridges_have_no_outline_and_drop_sub_pixel_bins():
    counts = np.array([[1000, 10, 0, 500], [0, 0, 0, 0]])
    heights = figures._ridge_heights(counts)
    np.testing.assert_allclose(heights[0], [0.9, 0.0, 0.0, 0.45])   # 10/1000 = 1% of the peak: not drawn
    np.testing.assert_array_equal(heights[1], 0.0)
    fig = init.plot_init_histograms(depth=3, width=20)
    assert all(p.get_linewidth() == 0 for p in fig.axes[0].patches)


def test_every_static_figure_fits_the_notebook_column():
    from utils.training import History

    h = History(step=[0, 10], train_loss=[2.3, 2.0], val_loss=[2.3, 2.1], train_acc=[0.1, 0.2], val_acc=[0.1, 0.2])
    figs = [init.plot_init_histograms(depth=3, width=20),
            init.plot_cases([("tanh", "normal", 1.0)] * 3, depth=3, width=16, n_samples=20),
            init.plot_std_ratios({"a": np.array([1.0, 0.9]), "b": np.array([0.7, 0.7])}),
            init.plot_symmetry(_fake_symmetry()),
            init.plot_training({"xavier_normal": h, "kaiming_normal": h}),
            init.plot_activations_over_training({"x": init.activations_over_training(steps=3, depth=3, width=8)})]
    for fig in figs:
        assert fig.get_size_inches()[0] <= 9.6 and fig.dpi <= 100


def _fake_symmetry():
    w_const = np.full((4, 6), 0.1) + np.linspace(0, 1e-3, 6)  # four identical rows, columns differ a little
    w_rand = np.random.default_rng(0).normal(size=(4, 6))
    return {"constant": {"weights": w_const, "identical_rows": 4, "accuracy": 0.1},
            "random": {"weights": w_rand, "identical_rows": 1, "accuracy": 0.9}}


def test_constant_init_image_uses_a_colour_scale_that_shows_its_columns():
    fig = init.plot_symmetry(_fake_symmetry())
    image = fig.axes[0].images[0]
    lo, hi = image.get_clim()
    # a ±max|w| scale would span 0.2 and paint every cell the same; the panel's own scale spans the data (~1e-3)
    assert hi - lo < 0.01
    assert "4 of 4 rows identical" in fig.axes[0].get_title()


def test_helpers_do_not_touch_the_global_random_generator():
    before = torch.get_rng_state()
    init.symmetry_experiment(steps=2)
    init.deep_relu_training(depth=3, width=8, steps=2)
    init.init_weights((3, 3), "normal")
    assert torch.equal(before, torch.get_rng_state())


def test_std_ratios_refuse_too_few_samples_instead_of_returning_nan():
    for n in (0, 1):
        with pytest.raises(ValueError, match="n_samples"):
            init.std_ratios("relu", "kaiming_normal", n_samples=n)


def test_initial_loss_is_ln10_with_a_zero_last_layer():
    assert init.initial_loss(last_scale=0.0) == pytest.approx(math.log(10), abs=1e-9)


def test_torch_default_stats_without_biases_shrink_by_one_over_root_six_per_relu_layer():
    s = init.torch_default_stats(depth=12, width=256, n_samples=512, bias=False)
    # Var[z_l] = fan_in · 1/(3 fan_in) · E[relu(z)²] = Var[z_{l-1}] / 6 from layer 2 on; finite width: 5%
    ratio = float(np.exp(np.mean(np.log(s["std"][2:] / s["std"][1:-1]))))
    assert ratio == pytest.approx(1 / math.sqrt(6), rel=0.05)
    assert s["std"][0] == pytest.approx(1 / math.sqrt(3), rel=0.05)


def test_maxout_with_gain_one_keeps_its_variance():
    stds = init.maxout_preactivation_stds(1.0, depth=10, width=256)
    assert 0.7 < stds[-1] < 1.4
    assert init.maxout_preactivation_stds(math.sqrt(2), depth=10)[-1] > 10


# ---------------------------------------------------------------------------------------------------------------
# Checkers: the right answer in every form, and the wrong answers learners give, each with a hint naming it
# ---------------------------------------------------------------------------------------------------------------

def _verdict_of(check, answer, capsys, **kw):
    ok = check(answer, **kw)
    out = capsys.readouterr().out
    assert out.count("✅") + out.count("❌") == 1, out       # one verdict per call
    return ok, out


@pytest.mark.parametrize("answer", [math.sqrt(2 / 1152), np.float32(math.sqrt(2 / 1152)),
                                    torch.tensor(math.sqrt(2 / 1152)), (2 / (128 * 3 * 3)) ** 0.5])
def test_check_kaiming_std_accepts_the_right_answer_in_every_form(answer, capsys):
    ok, _ = _verdict_of(init.check_kaiming_std, answer, capsys)
    assert ok


@pytest.mark.parametrize("answer, hint", [
    (2 / 1152, "variance"),                       # the variance, not the std
    (math.sqrt(2 / 576), "fan_in"),               # divided by fan_in although mode="fan_out"
    (math.sqrt(2 / 128), "kernel"),               # forgot kh·kw
    (math.sqrt(1 / 1152), "gain"),                # forgot ReLU's gain
    (math.sqrt(2 / (576 + 1152)), "Xavier"),      # Xavier's formula
    (-math.sqrt(2 / 1152), "positive"),
    (None, "placeholder"), ("0.04", "number"), (float("nan"), "finite"), (np.array([0.04, 0.04]), "single"),
    (True, "number"),
])
def test_check_kaiming_std_names_each_mistake(answer, hint, capsys):
    ok, out = _verdict_of(init.check_kaiming_std, answer, capsys)
    assert not ok and hint in out, out


@pytest.mark.parametrize("answer", [1.593, 1.6, torch.tensor(1.59), np.float64(1.57)])
def test_check_tanh_gain_accepts_gains_that_keep_the_std_at_one(answer, capsys):
    ok, _ = _verdict_of(init.check_tanh_gain, answer, capsys)
    assert ok


@pytest.mark.parametrize("answer, hint", [(5 / 3, "rounds"), (1, "go higher"), (math.sqrt(2), "ReLU"),
                                          (25 / 9, "variance"), (3.0, "lower"), (1.2, "raise"), (0, "between"),
                                          (None, "placeholder"), ("5/3", "number")])
def test_check_tanh_gain_names_each_mistake(answer, hint, capsys):
    ok, out = _verdict_of(init.check_tanh_gain, answer, capsys)
    assert not ok and hint in out, out


@pytest.mark.parametrize("answer", [1, 1.0, torch.tensor(1.0), np.int64(1)])
def test_check_maxout_gain_accepts_one_in_every_form(answer, capsys):
    ok, _ = _verdict_of(init.check_maxout_gain, answer, capsys)
    assert ok


@pytest.mark.parametrize("answer, hint", [(math.sqrt(2), "ReLU"), (2, "variance"), (1 / math.sqrt(2), "halve"),
                                          (5 / 3, "tanh"), (1.3, "E[max(a, b)²]"), (None, "placeholder")])
def test_check_maxout_gain_names_each_mistake(answer, hint, capsys):
    ok, out = _verdict_of(init.check_maxout_gain, answer, capsys)
    assert not ok and hint in out, out


# ---------------------------------------------------------------------------------------------------------------
# The course-wide bad-input test (tests/test_bad_input.py -k initialization): valid calls for required arguments,
# small where the defaults would be slow
# ---------------------------------------------------------------------------------------------------------------

def _history():
    from utils.training import History

    return History(step=[0, 10], train_loss=[2.3, 2.0], val_loss=[2.3, 2.1], train_acc=[0.1, 0.2],
                   val_acc=[0.1, 0.2])


_SMALL = {"depth": 3, "width": 16, "n_samples": 20}
BAD_INPUT_BASE = {
    "gain": lambda: {"activation": "relu"},
    "fans": lambda: {"shape": (4, 3)},
    "init_std": lambda: {"scheme": "kaiming_normal", "shape": (4, 3)},
    "init_weights": lambda: {"shape": (4, 3), "scheme": "kaiming_normal"},
    "activation_profile": lambda: dict(_SMALL),
    "gradient_profile": lambda: dict(_SMALL),
    "explorer_verdict": lambda: {"depth": 3, "width": 20},
    "preactivation_stds": lambda: {"activation": "relu", "scheme": "kaiming_normal", **_SMALL},
    "std_ratios": lambda: {"activation": "relu", "scheme": "kaiming_normal", **_SMALL},
    "maxout_preactivation_stds": lambda: dict(_SMALL),
    "torch_default_stats": lambda: dict(_SMALL),
    "initial_loss": lambda: {"depth": 2, "width": 8},
    "layer_table": lambda: {"columns": {"a": np.array([1.0, 2.0])}},
    "symmetry_experiment": lambda: {"steps": 3, "hidden": 4},
    "deep_relu_training": lambda: {"depth": 3, "width": 8, "steps": 3},
    "activations_over_training": lambda: {"depth": 3, "width": 8, "steps": 3},
    "conv_fan_table": lambda: {"shape": (4, 3, 3, 3)},
    "conv_forward_std": lambda: {"depth": 2, "channels": 4, "size": 4},
    "check_kaiming_std": lambda: {"answer": 0.04},
    "check_tanh_gain": lambda: {"answer": 1.6},
    "check_maxout_gain": lambda: {"answer": 1.0},
    "plot_init_histograms": lambda: {"depth": 3, "width": 20},
    "plot_cases": lambda: {"cases": [("tanh", "xavier_normal", 1.0)], **_SMALL},
    "plot_std_ratios": lambda: {"ratios": {"a": np.array([1.0, 0.9])}},
    "plot_symmetry": lambda: {"results": _fake_symmetry()},
    "plot_training": lambda: {"histories": {"xavier_normal": _history()}},
    "plot_activations_over_training": lambda: {"records": {"x": init.activations_over_training(steps=2, depth=3,
                                                                                             width=8)}},
}
