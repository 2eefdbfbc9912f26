"""Tests for utils.activations: formulas vs PyTorch, bad input, experiments, views and exercise checkers."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from utils import activations as A

# A grid that includes every point where a function is not smooth (0 for the ReLU family and ELU/SELU, and the
# kink of the default Maxout, also at 0), values just either side of them, and far tails where things saturate.
GRID = np.unique(np.concatenate([np.linspace(-10, 10, 2001), [0.0, -1e-12, 1e-12, -1e-300, 1e-300, -40.0, 40.0]]))

# The PyTorch reference for each function (float64 tensors in, out).
TORCH_FUNCTIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": lambda t: F.leaky_relu(t, 0.01),
    "prelu": lambda t: F.prelu(t, torch.tensor([0.25], dtype=t.dtype)),
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "silu": F.silu,
    "softplus": F.softplus,
    "maxout": lambda t: torch.stack([w * t + b for w, b in A.MAXOUT_PIECES]).max(dim=0).values,
}
TORCH_MODULES = {
    "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.01),
    "prelu": nn.PReLU(init=0.25), "elu": nn.ELU(), "selu": nn.SELU(), "gelu": nn.GELU(), "silu": nn.SiLU(),
    "softplus": nn.Softplus(),
}


def test_every_activation_has_a_torch_reference():
    assert set(TORCH_FUNCTIONS) == set(A.NAMES)
    assert set(TORCH_MODULES) == set(A.NAMES) - {"maxout"}  # maxout is a layer, not an nn module


@pytest.mark.parametrize("name", A.NAMES)
def test_derivative_matches_torch_autograd_within_1e_6(name):
    x = torch.tensor(GRID, dtype=torch.float64, requires_grad=True)
    TORCH_FUNCTIONS[name](x).sum().backward()
    np.testing.assert_allclose(A.derivative(name, GRID), x.grad.numpy(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", A.NAMES)
def test_derivative_at_the_kink_follows_pytorch_convention(name):
    x = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    TORCH_FUNCTIONS[name](x).sum().backward()
    assert A.derivative(name, [0.0])[0] == pytest.approx(x.grad.item(), abs=1e-12)


@pytest.mark.parametrize("name", sorted(TORCH_MODULES))
def test_function_matches_torch_nn_module(name):
    module = TORCH_MODULES[name].double()
    with torch.no_grad():
        expected = module(torch.tensor(GRID, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(A.activation(name, GRID), expected, rtol=1e-7, atol=1e-7)


def test_registry_modules_are_the_torch_counterparts():
    x = torch.tensor(GRID, dtype=torch.float64)
    for name in TORCH_MODULES:
        with torch.no_grad():
            got = A.get_activation(name).module().double()(x).numpy()
        np.testing.assert_allclose(got, A.activation(name, GRID), atol=1e-7, err_msg=name)


def test_maxout_matches_torch_max_of_its_pieces():
    with torch.no_grad():
        expected = TORCH_FUNCTIONS["maxout"](torch.tensor(GRID)).numpy()
    np.testing.assert_allclose(A.maxout(GRID), expected, atol=1e-12)
    three = ((1.0, 0.0), (0.0, 0.5), (-1.0, 0.0))  # |x| floored at 0.5
    np.testing.assert_allclose(A.maxout([-2.0, 0.1, 3.0], three), [2.0, 0.5, 3.0])
    np.testing.assert_allclose(A.d_maxout([-2.0, 0.1, 3.0], three), [-1.0, 0.0, 1.0])


def test_sigmoid_derivative_never_exceeds_a_quarter_and_is_a_quarter_at_zero():
    assert A.d_sigmoid(GRID).max() == pytest.approx(0.25, abs=1e-12)
    assert A.sigmoid_gradient_bound(3) == pytest.approx(0.25 ** 3)


def test_functions_are_finite_and_silent_at_extreme_inputs():
    x = np.array([-1e4, -800.0, 800.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is silent by default
        for name in A.NAMES:
            assert np.all(np.isfinite(A.activation(name, x))), name
            assert np.all(np.isfinite(A.derivative(name, x))), name


def test_unknown_name_raises_value_error_listing_known_names():
    with pytest.raises(ValueError) as err:
        A.get_activation("swishy")
    for name in A.NAMES:
        assert name in str(err.value)
    assert "swishy" in str(err.value)
    with pytest.raises(ValueError, match="relu"):
        A.derivative("ReLu", [0.0])
    with pytest.raises(ValueError, match="known activations"):
        A.build_mlp("sigmod", [2, 4, 2])


def test_bad_numeric_input_raises():
    with pytest.raises(TypeError, match="array of numbers"):
        A.relu("abc")
    with pytest.raises(ValueError, match="threshold"):
        A.saturated_mask("tanh", [0.0], threshold=0)
    with pytest.raises(ValueError, match="depth"):
        A.gradient_norms("relu", 0)
    with pytest.raises(ValueError, match="init"):
        A.gradient_norms("relu", 3, init="zeros")
    with pytest.raises(ValueError, match="group"):
        A.plot_gradient_norms(group="all")
    with pytest.raises(ValueError, match="pieces"):
        A.maxout([1.0], pieces=((1.0, 0.0),))
    with pytest.raises(ValueError, match="n_layers"):
        A.sigmoid_gradient_bound(-1)


def test_deep_linear_stack_is_one_affine_map():
    stack = A.linear_stack_collapse(depth=6, width=5, n_in=3)
    assert stack["W"].shape == (5, 3)
    assert stack["max_abs_diff"] < 1e-12


def test_relu_family_table_measures_sparsity_and_centring():
    rows = {r["name"]: r for r in A.activation_table(n=20_000, repeats=1)}
    assert rows["relu"]["zeros"] == pytest.approx(0.5, abs=0.02)
    assert rows["leaky_relu"]["zeros"] == 0.0
    assert abs(rows["tanh"]["mean"]) < 0.02 and rows["sigmoid"]["mean"] == pytest.approx(0.5, abs=0.01)
    assert rows["sigmoid"]["max_derivative"] <= 0.25
    assert rows["relu"]["cost"] == 1.0
    assert all(r["cost"] > 0 for r in rows.values())
    assert "Maxout" in A.format_table(list(rows.values()))


def test_sigmoid_gradients_vanish_with_depth_but_relu_ones_do_not_under_kaiming_init():
    sig, rel = A.gradient_norms("sigmoid", 10), A.gradient_norms("relu", 10)
    assert sig.shape == rel.shape == (11,)
    assert sig[0] / sig[-1] < 1e-3
    assert rel[0] / rel[-1] > 0.1


@pytest.mark.parametrize("name,init", [("sigmoid", "kaiming"), ("relu", "pytorch"), ("prelu", "lecun"),
                                       ("maxout", "kaiming"), ("maxout", "pytorch")])
def test_gradient_norms_match_autograd_through_the_nn_module_network(name, init):
    # gradient_norms writes the forward pass out with plain tensors; the reference loads the same weights into
    # the nn.Sequential of build_mlp (MaxoutLinear, nn.PReLU, ...) and back-propagates through the modules.
    depth = 6
    weights, biases, x, y = A.deep_mlp_weights(name, depth=depth, init=init)
    model = A.build_mlp(name, [64] * (depth + 1) + [10])
    with torch.no_grad():
        for layer, w, b in zip(A.weight_layers(model), weights, biases):
            layer.weight.copy_(w)
            layer.bias.copy_(b)
    F.cross_entropy(model(x), y).backward()
    expected = [layer.weight.grad.norm().item() for layer in A.weight_layers(model)]
    np.testing.assert_allclose(A.gradient_norms(name, depth, init=init), expected, rtol=1e-5)


def test_deep_mlp_weights_follow_the_init_scale():
    w_k = A.deep_mlp_weights("relu", depth=4, init="kaiming")[0]
    w_l = A.deep_mlp_weights("relu", depth=4, init="lecun")[0]
    w_p, b_p, _, _ = A.deep_mlp_weights("relu", depth=4, init="pytorch")
    assert float(torch.cat([w.ravel() for w in w_k]).var()) == pytest.approx(2 / 64, rel=0.05)
    assert float(torch.cat([w.ravel() for w in w_l]).var()) == pytest.approx(1 / 64, rel=0.05)
    assert float(torch.cat([w.abs().ravel() for w in w_p]).max()) <= 1 / 8 and b_p[0].abs().max() > 0
    assert A.deep_mlp_weights("maxout", depth=2)[0][0].shape == (128, 64)  # k = 2 pieces per unit
    with pytest.raises(ValueError, match="known activations"):
        A.deep_mlp_weights("sigmod", depth=2)


def test_gradient_view_updates_one_figure_across_depth_and_group():
    fig = A.plot_gradient_norms(depth=30, group="ReLU variants")
    for depth, group in ((2, "classic"), (30, "modern smooth"), (7, "classic")):
        assert A.plot_gradient_norms(depth=depth, group=group, fig=fig) is fig
        ax = fig.axes[0]
        names = A.GROUPS[group]
        shown = [c for c in ax.collections if c.get_visible()]
        assert [len(c.get_paths()) for c in shown] == [depth + 1] * len(names)
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [A.get_activation(n).label for n in names]
        assert ax.get_xlim()[1] == pytest.approx(depth + 1.6)
        # bar k of the first activation reaches that layer's gradient norm
        top = shown[0].get_paths()[0].vertices[:, 1].max()
        assert top == pytest.approx(A.gradient_norms(names[0], depth)[0], rel=1e-9)


def test_maxout_network_has_k_times_the_hidden_weights():
    plain = A.build_mlp("relu", [2, 8, 8, 2])
    maxout = A.build_mlp("maxout", [2, 8, 8, 2])
    assert maxout(torch.zeros(3, 2)).shape == (3, 2)
    hidden = [m.weight.numel() for m in A.weight_layers(plain)[:-1]]
    assert [m.weight.numel() for m in A.weight_layers(maxout)[:-1]] == [2 * h for h in hidden]


def test_training_comparison_is_seeded_and_reports_every_activation():
    kw = dict(names=("sigmoid", "relu"), steps=20, eval_every=10)
    first, second = A.compare_training(**kw), A.compare_training(**kw)
    for name in ("sigmoid", "relu"):
        assert first["histories"][name].train_loss == second["histories"][name].train_loss
    reached = A.steps_to_target(first, target=10.0)
    assert reached == {"sigmoid": 10, "relu": 10}
    assert "never" in A.format_training_table(first, target=1e-9)
    assert first["optimizer"] == "adam, lr 0.01" and set(first["models"]) == {"sigmoid", "relu"}


@pytest.mark.parametrize("fn_name", sorted(A.VIEW_SWEEPS))
def test_every_view_sweep_setting_draws_finite_data_without_warnings(fn_name):
    fn = getattr(A, fn_name)
    fig = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the notebook test fails on any warning, so must this
        for settings in A.VIEW_SWEEPS[fn_name]:
            fig = fn(**settings, fig=fig)  # first call builds the figure, later ones update it like a redraw
            for ax in fig.axes:
                for line in ax.lines:
                    assert np.all(np.isfinite(np.asarray(line.get_ydata(), dtype=float))), (fn_name, settings)
                for patch in ax.patches:
                    if hasattr(patch, "get_height"):
                        assert np.isfinite(patch.get_height()), (fn_name, settings)
                    if hasattr(patch, "get_data"):
                        assert np.all(np.isfinite(patch.get_data().values)), (fn_name, settings)
                for coll in ax.collections:  # the gradient view's bars: one PolyCollection per activation
                    for path in coll.get_paths():
                        assert np.all(np.isfinite(path.vertices)), (fn_name, settings)
                assert np.all(np.isfinite(ax.get_ylim())), (fn_name, settings)
            fig.canvas.draw()  # layout and text (mathtext) errors only show when drawn


def test_view_sweeps_cover_each_control_extreme():
    gallery = A.VIEW_SWEEPS["plot_gallery"]
    assert {s["name"] for s in gallery} == set(A.NAMES)
    assert {0.01, 0.3} <= {s["threshold"] for s in gallery}
    depths = {s["depth"] for s in A.VIEW_SWEEPS["plot_gradient_norms"]}
    assert {2, 30} <= depths
    shifts = {s["shift"] for s in A.VIEW_SWEEPS["plot_relu_sparsity"]}
    assert {-3.0, 3.0} <= shifts


def test_gallery_shades_the_saturated_region_only():
    fig = A.plot_gallery("relu", threshold=0.05)
    spans = [p for p in fig.axes[0].patches if p.get_gid() == "saturated"]
    assert len(spans) == 1  # the flat negative side
    fig = A.plot_gallery("maxout", threshold=0.05, fig=fig)
    assert not [p for p in fig.axes[0].patches if p.get_gid() == "saturated"]


def test_decision_boundaries_plot_one_panel_per_model():
    result = A.fit_boundaries(names=("linear", "relu"), steps=20)
    fig = A.plot_decision_boundaries(result, resolution=30)
    assert len([ax for ax in fig.axes if ax.get_title()]) == 2
    fig = A.plot_training_curves(A.compare_training(names=("relu",), steps=20), target=0.5)
    assert fig.axes[0].get_yscale() == "log"
    assert A.plot_linear_collapse(A.linear_stack_collapse()).axes


def test_elu_derivative_checker_accepts_right_and_rejects_wrong(capsys):
    def right(x, alpha):
        return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))

    def wrong_at_zero(x, alpha):
        return np.where(x >= 0, 1.0, alpha * np.exp(np.minimum(x, 0)))

    def raises(x, alpha):
        raise RuntimeError("not done")

    assert A.check_elu_derivative(right)
    assert not A.check_elu_derivative(wrong_at_zero)  # only differs at x = 0 when alpha = 0.5
    assert not A.check_elu_derivative(lambda x, alpha: np.zeros_like(x))
    assert not A.check_elu_derivative(lambda x, alpha: None)
    assert not A.check_elu_derivative(raises)
    assert "RuntimeError" in capsys.readouterr().out


def test_most_saturated_checker_accepts_tanh_and_rejects_others():
    # tanh' = 1 - tanh^2 falls below 0.05 once |x| > 2.18; sigmoid' only once |x| > 2.94; softplus on one side.
    assert A.check_most_saturated("tanh", scale=3.0)
    assert not A.check_most_saturated("sigmoid", scale=3.0)
    assert not A.check_most_saturated("softplus", scale=3.0)
    assert not A.check_most_saturated("relu", scale=3.0)


def test_sigmoid_bound_checker():
    assert A.check_sigmoid_bound(0.25 ** 10, n_layers=10)
    assert not A.check_sigmoid_bound(0.25 * 10, n_layers=10)
    assert not A.check_sigmoid_bound("?", n_layers=10)


def test_sigmoid_bound_checker_answers_the_placeholder_politely(capsys):
    assert not A.check_sigmoid_bound(None, n_layers=10)
    assert "still None" in capsys.readouterr().out
