"""Tests for utils.activations: formulas vs PyTorch, bad input, experiments, views and exercise checkers."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from utils import activations as A
from utils.activations import experiments as AE
from utils.activations import figures as AF

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
    "sigmoid_centred": lambda t: torch.sigmoid(t) - 0.5,
    "maxout": lambda t: torch.stack([w * t + b for w, b in A.MAXOUT_PIECES]).max(dim=0).values,
}
TORCH_MODULES = {
    "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.01),
    "prelu": nn.PReLU(init=0.25), "elu": nn.ELU(), "selu": nn.SELU(), "gelu": nn.GELU(), "silu": nn.SiLU(),
    "softplus": nn.Softplus(),
}


def test_every_activation_has_a_torch_reference():
    assert set(TORCH_FUNCTIONS) == set(A.NAMES)
    # maxout is a layer, not an nn module; σ(x) − ½ (a control) has no built-in module
    assert set(TORCH_MODULES) == set(A.NAMES) - {"maxout", "sigmoid_centred"}


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
    with pytest.raises(ValueError, match="name must be one of"):
        A.build_mlp("sigmod", [2, 4, 2])


def test_bad_numeric_input_raises():
    with pytest.raises(TypeError, match="x must be an array of numbers"):
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
    with pytest.raises(ValueError, match="pieces"):
        A.maxout([1.0], pieces=((1.0, 0.0, 2.0), (0.5, 0.0, 1.0)))
    with pytest.raises(ValueError, match="n_layers"):
        A.sigmoid_gradient_bound(-1)


def test_deep_linear_stack_is_one_affine_map():
    stack = A.linear_stack_collapse(depth=6, width=5, n_in=3)
    assert stack["W"].shape == (5, 3)
    assert stack["max_abs_diff"] < 1e-12


def test_relu_family_table_measures_sparsity_and_centring():
    rows = {r["name"]: r for r in A.activation_table(n=20_000)}
    assert rows["relu"]["zeros"] == pytest.approx(0.5, abs=0.02)
    assert rows["relu"]["saturated"] == rows["relu"]["zeros"]  # flat exactly where it outputs 0 (x <= 0)
    assert rows["leaky_relu"]["zeros"] == 0.0
    assert abs(rows["tanh"]["mean"]) < 0.02 and rows["sigmoid"]["mean"] == pytest.approx(0.5, abs=0.01)
    assert abs(rows["sigmoid_centred"]["mean"]) < 0.01
    assert rows["sigmoid"]["max_derivative"] <= 0.25
    assert "Maxout" in A.format_table(list(rows.values()))
    assert "cost" not in A.format_table(list(rows.values()))  # timings were noise: the column is gone


def test_saturated_means_a_flat_tail_not_a_zero_crossing():
    # GELU' and SiLU' cross zero near x = -0.75 and x = -1.28 and grow again further out: not saturated there
    assert not A.saturated_mask("gelu", [-0.7518, -1.0]).any()
    assert not A.saturated_mask("silu", [-1.278]).any()
    assert A.saturated_mask("gelu", [-4.0, -10.0, -100.0]).all()  # the far negative tail is
    # sigmoid: |sigma'| < 0.05 exactly where |x| > 2.887 (sigma = (1 + sqrt(0.8)) / 2 there)
    edge = math.log((1 + math.sqrt(0.8)) / (1 - math.sqrt(0.8)))
    assert A.saturated_mask("sigmoid", [edge + 0.01, -edge - 0.01]).all()
    assert not A.saturated_mask("sigmoid", [edge - 0.01, 0.0, 1 - edge]).any()
    # ReLU: every x <= 0, no x > 0; Maxout (slopes 1 and -0.25) never at 0.05, on its left side at 0.3
    assert A.saturated_mask("relu", [-1e-9, 0.0, -50.0, -1e6]).all()
    assert not A.saturated_mask("relu", [1e-9, 1e-3, 5.0]).any()
    assert not A.saturated_mask("maxout", np.linspace(-100, 100, 101)).any()
    assert A.saturated_mask("maxout", [-3.0], threshold=0.3).all()
    assert A.saturated_mask("sigmoid", [0.0], threshold=0.3).all()  # sigma' never reaches 0.3


def test_sigmoid_gradients_vanish_with_depth_but_relu_ones_do_not_under_kaiming_init():
    sig, rel = A.gradient_norms("sigmoid", 10, init="kaiming"), A.gradient_norms("relu", 10, init="kaiming")
    assert sig.shape == rel.shape == (11,)
    assert sig[0] / sig[-1] < 1e-3
    assert rel[0] / rel[-1] > 0.1


@pytest.mark.parametrize("name,init", [("sigmoid", "kaiming"), ("relu", "pytorch"), ("prelu", "lecun"),
                                       ("maxout", "kaiming"), ("maxout", "pytorch")])
def test_gradient_norms_match_autograd_through_the_nn_module_network(name, init):
    # gradient_norms writes the forward pass out with plain tensors; the reference loads the same weights into
    # the nn.Sequential of build_mlp (MaxoutLinear, nn.PReLU, ...) and back-propagates through the modules.
    depth = 6
    weights, biases, x, y = AE._deep_mlp_weights(name, depth=depth, init=init)
    model = A.build_mlp(name, [64] * (depth + 1) + [10])
    with torch.no_grad():
        for layer, w, b in zip(AE._weight_layers(model), weights, biases):
            layer.weight.copy_(w)
            layer.bias.copy_(b)
    F.cross_entropy(model(x), y).backward()
    expected = [layer.weight.grad.norm().item() for layer in AE._weight_layers(model)]
    np.testing.assert_allclose(A.gradient_norms(name, depth, init=init), expected, rtol=1e-5)


def test_deep_mlp_weights_follow_the_init_scale():
    w_k = AE._deep_mlp_weights("relu", depth=4, init="kaiming")[0]
    w_l = AE._deep_mlp_weights("relu", depth=4, init="lecun")[0]
    w_p, b_p, _, _ = AE._deep_mlp_weights("relu", depth=4, init="pytorch")
    assert float(torch.cat([w.ravel() for w in w_k]).var()) == pytest.approx(2 / 64, rel=0.05)
    assert float(torch.cat([w.ravel() for w in w_l]).var()) == pytest.approx(1 / 64, rel=0.05)
    assert float(torch.cat([w.abs().ravel() for w in w_p]).max()) <= 1 / 8 and b_p[0].abs().max() > 0
    assert AE._deep_mlp_weights("maxout", depth=2)[0][0].shape == (128, 64)  # k = 2 pieces per unit


def test_usual_init_is_lecun_for_selu_and_kaiming_for_the_rest():
    for depth in (3, 12):
        np.testing.assert_array_equal(A.gradient_norms("selu", depth), A.gradient_norms("selu", depth, init="lecun"))
        np.testing.assert_array_equal(A.gradient_norms("relu", depth), A.gradient_norms("relu", depth, init="kaiming"))
        np.testing.assert_array_equal(A.gradient_norms("maxout", depth),
                                      A.gradient_norms("maxout", depth, init="kaiming"))


def test_gradient_norms_are_not_shared_between_calls():
    g = A.gradient_norms("tanh", 4)
    g[:] = -1.0  # a learner changing the returned array must not change the cached result
    assert (A.gradient_norms("tanh", 4) > 0).all()


def test_gradient_verdicts_name_explosion_vanishing_shrinking_and_overflow():
    v = A.gradient_verdicts({"a": [1e3, 1e4], "b": [1e-5, 1e-4], "c": [1e-4, 0.5], "d": [0.3, 1.0],
                             "e": [np.inf, 1.0], "f": [0.0, 0.2]})
    assert v["a"] == ("explodes", 1e4)
    assert v["b"] == ("vanishes", 1e-4)
    assert v["c"][0] == "shrinks" and v["c"][1] == pytest.approx(2e-4)
    assert v["d"][0] is None
    assert v["e"][0] == "overflows"
    assert v["f"][0] == "shrinks"  # an underflowed first layer


def test_gradient_view_flags_maxout_exploding_and_lecun_relu_family_vanishing():
    title = A.plot_gradient_norms(depth=20, group="ReLU variants").axes[0].get_title(loc="left")
    assert "Maxout (k=2) explodes" in title and "first layer" not in title
    title = A.plot_gradient_norms(depth=30, group="modern smooth", init="lecun").axes[0].get_title(loc="left")
    assert "vanishes" in title and "more" in title  # ReLU, GELU, SiLU (and Softplus) all flagged
    title = A.plot_gradient_norms(depth=2, group="ReLU variants").axes[0].get_title(loc="left")
    assert "every layer's gradient within" in title


def test_gradient_view_refuses_depths_that_overflow_and_fractional_depths():
    with pytest.raises(ValueError, match="depth must be between 1 and 100.*overflow"):
        A.plot_gradient_norms(depth=200, group="ReLU variants")
    with pytest.raises(TypeError, match="depth must be a whole number"):
        A.plot_gradient_norms(depth=2.5)
    fig = A.plot_gradient_norms(depth=100, group="ReLU variants")  # the deepest allowed still draws finite bars
    assert np.isfinite(A.gradient_norms("maxout", 100)).all()
    fig.canvas.draw()


def test_gradient_view_draws_an_overflowed_gradient_as_a_full_bar(monkeypatch):
    real = A.gradient_norms

    def fake(name, depth=10, **kw):
        g = real(name, depth, **kw)
        return np.full_like(g, np.inf) if name == "maxout" else g

    monkeypatch.setattr(AF, "gradient_norms", fake)  # patched where plot_gradient_norms looks it up
    fig = A.plot_gradient_norms(depth=5, group="ReLU variants")
    ax = fig.axes[0]
    assert "Maxout (k=2) overflows" in ax.get_title(loc="left")
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == "Maxout (k=2): inf (overflow)"
    maxout_bars = [c for c in ax.collections if c.get_visible()][-1]
    tops = [p.vertices[:, 1].max() for p in maxout_bars.get_paths()]
    assert np.isfinite(tops).all() and tops == pytest.approx([ax.get_ylim()[1]] * 6)
    fig.canvas.draw()


def test_gradient_view_updates_one_figure_across_depth_and_group():
    fig = A.plot_gradient_norms(depth=30, group="ReLU variants")
    for depth, group in ((2, "classic"), (30, "modern smooth"), (7, "classic")):
        assert A.plot_gradient_norms(depth=depth, group=group, fig=fig) is fig
        ax = fig.axes[0]
        names = A.GROUPS[group]
        shown = [c for c in ax.collections if c.get_visible()]
        assert [len(c.get_paths()) for c in shown] == [depth + 1] * len(names)
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        assert [t.split(":")[0] for t in texts] == [A.get_activation(n).label for n in names]
        assert ax.get_xlim()[1] == pytest.approx(depth + 1.6)
        # bar k of the first activation reaches that layer's gradient norm
        top = shown[0].get_paths()[0].vertices[:, 1].max()
        assert top == pytest.approx(A.gradient_norms(names[0], depth)[0], rel=1e-9)
        g = A.gradient_norms(names[0], depth)
        assert texts[0].endswith(f"{g.min():.0e} – {g.max():.0e}")  # the legend reports scale and spread


def test_maxout_network_has_k_times_the_hidden_weights():
    plain = A.build_mlp("relu", [2, 8, 8, 2])
    maxout = A.build_mlp("maxout", [2, 8, 8, 2])
    assert maxout(torch.zeros(3, 2)).shape == (3, 2)
    hidden = [m.weight.numel() for m in AE._weight_layers(plain)[:-1]]
    assert [m.weight.numel() for m in AE._weight_layers(maxout)[:-1]] == [2 * h for h in hidden]


def test_build_mlp_is_seeded_without_touching_the_global_generator():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a, b = A.build_mlp("tanh", [2, 16, 2], seed=5), A.build_mlp("relu", [2, 16, 2], seed=5)
    assert torch.equal(torch.get_rng_state(), state)
    for la, lb in zip(AE._weight_layers(a), AE._weight_layers(b)):  # same seed, same weights, any activation
        assert torch.equal(la.weight, lb.weight) and torch.equal(la.bias, lb.bias)
    w = AE._weight_layers(A.build_mlp("relu", [64, 64, 2], seed=0))[0].weight
    assert w.abs().max() <= 1 / 8 and float(w.detach().var()) == pytest.approx(1 / 192, rel=0.1)  # U(±1/√64)
    assert not torch.equal(w, AE._weight_layers(A.build_mlp("relu", [64, 64, 2], seed=1))[0].weight)


def test_build_mlp_refuses_fractional_and_missing_sizes():
    with pytest.raises(TypeError, match=r"sizes\[1\] must be a whole number"):
        A.build_mlp("relu", [2, 8.5, 2])
    with pytest.raises(TypeError, match="sizes must be a list"):
        A.build_mlp("relu", 8)
    with pytest.raises(ValueError, match=r"sizes\[0\]"):
        A.build_mlp("relu", [0, 8, 2])


def test_elementwise_functions_refuse_none_and_nan():
    for fn in (A.relu, A.sigmoid, A.tanh, A.gelu):
        with pytest.raises(TypeError, match="x must be an array"):
            fn(None)
        with pytest.raises(ValueError, match="x contains NaN"):
            fn([0.0, np.nan])
    assert A.relu(-2) == 0.0 and A.sigmoid(0) == 0.5 and A.relu([]).shape == (0,)
    with pytest.raises(ValueError, match="alpha"):
        A.leaky_relu(1.0, alpha=np.inf)


def test_gallery_refuses_thresholds_that_are_not_positive_numbers():
    for bad in (np.nan, -1, 0, np.inf):
        with pytest.raises(ValueError, match="threshold"):
            A.plot_gallery("sigmoid", threshold=bad)


def test_training_comparison_is_seeded_and_reports_every_activation():
    kw = dict(names=("sigmoid", "relu"), steps=20, eval_every=10)
    first = A.compare_training(**kw)
    AE._compare_training.cache_clear()  # train again, not from the cache
    second = A.compare_training(**kw)
    for name in ("sigmoid", "relu"):
        assert first["histories"][name].train_loss == second["histories"][name].train_loss
    reached = A.steps_to_target(first, target=10.0)
    assert reached == {"sigmoid": 10, "relu": 10}
    assert "never" in A.format_training_table(first, target=1e-9)
    assert first["optimizer"] == "sgd, lr 0.5" and first["dataset"] == "circles"


def test_training_title_is_read_from_the_histories():
    from utils.training import History

    def run(steps_losses):
        hist = {n: History(step=[10, 20, 30], train_loss=list(v)) for n, v in steps_losses.items()}
        return {"names": tuple(steps_losses), "histories": hist}

    r = run({"sigmoid": (0.7, 0.69, 0.69), "tanh": (0.5, 0.09, 0.01), "relu": (0.08, 0.01, 0.001)})
    assert AF._training_title(r, 0.1) == "never below 0.1: sigmoid\nfirst: ReLU (step 10)"
    r = run({"sigmoid": (0.7, 0.3, 0.05), "tanh": (0.5, 0.09, 0.01)})
    assert AF._training_title(r, 0.1) == "all below 0.1; last: sigmoid (step 30)\nfirst: tanh (step 20)"
    assert AF._training_title(r, None) == "sigmoid ends highest"  # final losses 0.05 vs 0.01
    fig = A.plot_training_curves(r, target=0.1)  # fewer than 10 steps of history: still draws
    fig.canvas.draw()


def test_update_ratios_match_the_optimiser_step_by_hand():
    from utils.data import load_dataset

    ratios = A.update_ratios(names=("tanh",), optimizer="sgd", lr=0.5, seed=1)["tanh"]
    data = load_dataset("circles", seed=1)
    model = A.build_mlp("tanh", [2, 32, 32, 32, 2], seed=1)
    F.cross_entropy(model(data.x_train), data.y_train).backward()
    expected = [float(0.5 * m.weight.grad.norm() / m.weight.detach().norm()) for m in AE._weight_layers(model)]
    np.testing.assert_allclose(ratios, expected, rtol=1e-5)
    adam = A.update_ratios(names=("tanh", "sigmoid"), optimizer="adam", lr=0.01)
    # Adam's first step moves every weight by lr (sign of its gradient): ||dW|| = lr * sqrt(#weights with g != 0)
    w1 = AE._weight_layers(A.build_mlp("tanh", [2, 32, 32, 32, 2]))[0].weight
    assert adam["tanh"][0] == pytest.approx(0.01 * math.sqrt(w1.numel()) / float(w1.detach().norm()), rel=1e-3)


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
    def shaded(fig):
        return [(p.vertices[:, 0].min(), p.vertices[:, 0].max()) for p in fig.axes[0].collections[0].get_paths()]

    fig = A.plot_gallery("relu", threshold=0.05)
    assert shaded(fig) == [(-6.0, 0.0)]  # the flat negative side, up to x = 0
    fig = A.plot_gallery("maxout", threshold=0.05, fig=fig)
    assert shaded(fig) == []
    fig = A.plot_gallery("gelu", threshold=0.05, fig=fig)  # only the far tail, not the zero crossing near -0.75
    assert len(shaded(fig)) == 1 and shaded(fig)[0][1] == pytest.approx(-2.35, abs=0.02)
    title = A.plot_gallery("sigmoid", 0.05, fig=fig).axes[0].get_title()
    share = np.mean(np.abs(A.GALLERY_X) > 2.8875)  # |x| beyond sigma' = 0.05
    assert f"saturated on {share:.0%}" in title


def test_decision_boundaries_plot_one_panel_per_model():
    result = A.fit_boundaries(names=("linear", "relu"), steps=20)
    fig = A.plot_decision_boundaries(result, resolution=30)
    assert len([ax for ax in fig.axes if ax.get_title()]) == 2
    fig = A.plot_training_curves(A.compare_training(names=("relu",), steps=20), target=0.5)
    assert fig.axes[0].get_yscale() == "log"
    two = [A.compare_training(names=("relu", "sigmoid"), steps=20, optimizer=o, lr=lr)
           for o, lr in (("sgd", 0.5), ("adam", 0.01))]
    fig = A.plot_training_curves(two, target=1e-6)
    assert len(fig.axes) == 2 and "none gets below" in fig.axes[0].get_title()
    assert fig.get_size_inches()[0] * fig.dpi <= 960
    assert A.plot_linear_collapse(A.linear_stack_collapse()).axes


def _verdict(capsys, call):
    """Run a checker; return (its result, the one line it printed)."""
    result = call()
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1, f"one verdict per call, got {lines}"
    return result, lines[0]


def _elu_right(x, alpha):
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))


ELU_MUTANTS = {  # the learner's mistake -> words the hint must contain
    "x = 0 with the x > 0 branch": (lambda x, a: np.where(x >= 0, 1.0, a * np.exp(np.minimum(x, 0))), "x = 0"),
    "returned ELU itself": (lambda x, a: np.where(x > 0, 1.0, a * np.expm1(np.minimum(x, 0))), "ELU itself"),
    "forgot alpha": (lambda x, a: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))), "factor α"),
    "slope x on the right": (lambda x, a: np.where(x > 0, x, a * np.exp(np.minimum(x, 0))), "slope is 1"),
    "the placeholder (zeros)": (lambda x, a: np.zeros_like(x), "ignores x"),
    "forgot return": (lambda x, a: None, "forget `return`"),
    "a scalar": (lambda x, a: 1.0, "ignores x"),
    "NaN": (lambda x, a: np.full_like(x, np.nan), "NaN"),
}


@pytest.mark.parametrize("mistake", sorted(ELU_MUTANTS))
def test_elu_derivative_checker_names_each_typical_mistake(capsys, mistake):
    fn, words = ELU_MUTANTS[mistake]
    ok, line = _verdict(capsys, lambda: A.check_elu_derivative(fn))
    assert ok is False and line.startswith("❌") and words in line, line


def test_elu_derivative_checker_accepts_the_right_answer_in_several_forms(capsys):
    for fn in (_elu_right, lambda x, a: np.where(x > 0, 1, a * np.exp(np.clip(x, None, 0))).tolist(),
               lambda x, a: torch.where(torch.from_numpy(x) > 0, 1.0, a * torch.exp(torch.from_numpy(x).clamp(max=0)))):
        ok, line = _verdict(capsys, lambda fn=fn: A.check_elu_derivative(fn))
        assert ok is True and line.startswith("✅"), line


def test_elu_derivative_checker_reports_the_learners_exception(capsys):
    def raises(x, alpha):
        raise RuntimeError("not done")

    ok, line = _verdict(capsys, lambda: A.check_elu_derivative(raises))
    assert not ok and "RuntimeError" in line
    ok, line = _verdict(capsys, lambda: A.check_elu_derivative(_elu_right(np.zeros(3), 1.0)))
    assert not ok and "no brackets" in line  # called the function instead of passing it


@pytest.mark.parametrize("answer, words", [("sigmoid", "small everywhere"), ("softplus", "negative side only"),
                                           ("relu", "one of"), (3, "in quotes"), (None, "in quotes"),
                                           ("?", "one of")])
def test_most_saturated_checker_names_each_typical_mistake(capsys, answer, words):
    ok, line = _verdict(capsys, lambda: A.check_most_saturated(answer, scale=3.0))
    assert ok is False and words in line, line


def test_most_saturated_checker_accepts_tanh_in_any_case():
    # tanh' = 1 - tanh^2 falls below 0.05 once |x| > 2.18; sigmoid' only once |x| > 2.89; softplus on one side.
    for answer in ("tanh", "Tanh", " TANH "):
        assert A.check_most_saturated(answer, scale=3.0)
    assert A.most_saturated(scale=3.0)[0] == "tanh"


@pytest.mark.parametrize("answer, words", [(0.25 * 10, "multiplied"), (4.0 ** 10, "inverse"), (0.5 ** 10, "not 1/2"),
                                           (0.25 ** 9, "one layer short"), (0.25 ** 11, "one layer too many"),
                                           ("?", "should be a number"), (None, "still None"), (1e-3, "not quite"),
                                           (np.nan, "should be a number")])
def test_sigmoid_bound_checker_names_each_typical_mistake(capsys, answer, words):
    ok, line = _verdict(capsys, lambda: A.check_sigmoid_bound(answer, n_layers=10))
    assert ok is False and words in line, line


@pytest.mark.parametrize("answer", [0.25 ** 10, 9.5e-7, 9.54e-7, np.float32(0.25 ** 10), torch.tensor(0.25 ** 10),
                                    1 / 4 ** 10])
def test_sigmoid_bound_checker_accepts_the_bound_in_every_form_including_its_own_rounding(answer):
    # the solution quotes 9.5e-7: the checker must accept what the solution says
    assert A.check_sigmoid_bound(answer, n_layers=10)


LEAKY_MUTANTS = {
    "ignores a": (lambda a: 2.0, "ignores a"),
    "slope not squared": (lambda a: 2 / (1 + a), "squared"),
    "forgot the 2": (lambda a: 1 / (1 + a * a), "half the right value"),
    "std instead of variance": (lambda a: math.sqrt(2 / (1 + a * a)), "standard deviation"),
    "upside down": (lambda a: (1 + a * a) / 2, "upside down"),
    "in the numerator": (lambda a: 2 * (1 + a * a), "denominator"),
    "something else": (lambda a: 2 - a, "at a = "),
    "forgot return": (lambda a: None, "forget `return`"),
    "returns text": (lambda a: "2/(1+a^2)", "a number"),
}


@pytest.mark.parametrize("mistake", sorted(LEAKY_MUTANTS))
def test_leaky_relu_variance_checker_names_each_typical_mistake(capsys, mistake):
    fn, words = LEAKY_MUTANTS[mistake]
    ok, line = _verdict(capsys, lambda: A.check_leaky_relu_variance(fn))
    assert ok is False and words in line, line


def test_leaky_relu_variance_checker_accepts_the_right_formula_in_several_forms(capsys):
    for fn in (lambda a: 2.0 / (1.0 + a ** 2), lambda a: np.float32(2 / (1 + a * a)),
               lambda a: torch.tensor(2.0) / (1 + a ** 2)):
        ok, line = _verdict(capsys, lambda fn=fn: A.check_leaky_relu_variance(fn))
        assert ok is True and line.startswith("✅"), line
    # and the formula does what the exercise says: a deep Leaky ReLU net keeps E[h^2] with it
    def second_moment_after_20_layers(gain, a=0.3, width=256):
        g = torch.Generator().manual_seed(0)
        h = torch.randn(512, width, generator=g)
        for _ in range(20):
            h = F.leaky_relu(h @ (torch.randn(width, width, generator=g) * math.sqrt(gain / width)).T, a)
        return float((h ** 2).mean())

    assert 0.5 < second_moment_after_20_layers(2 / (1 + 0.3 ** 2)) < 2  # (finite width: a random walk around 1)
    assert second_moment_after_20_layers(2.0) > 3  # ignoring a lets it grow by 1.09 per layer


def test_predictions_have_answers_among_their_options_and_explanations():
    from utils.predictions import judge

    for p in (A.SMALLEST_FIRST_LAYER_GRADIENT, A.MAXOUT_AT_DEPTH_20, A.CENTRED_SIGMOID_UNDER_SGD):
        answer = p.resolved_answer()
        assert answer in p.options
        wrong = next(o for o in p.options if o != answer)
        assert judge(p, answer)[0] and not judge(p, wrong)[0]
    assert judge(A.RELU_ZEROS_AT_MINUS_ONE, 84)[0] and not judge(A.RELU_ZEROS_AT_MINUS_ONE, 50)[0]


def _valid_fit():
    return {"names": ("linear", "relu"), "steps": 5}


def _fit_result():
    return {"result": A.fit_boundaries(names=("relu",), steps=5), "resolution": 20}


# tests/test_bad_input.py: a valid call for every public function with required parameters (or slow defaults).
BAD_INPUT_BASE = {
    # the elementwise functions (sigmoid, d_sigmoid, ..., maxout, d_maxout): one number
    **{name: (lambda: {"x": 0.5}) for name in A.__all__ if name.startswith("d_") or ("d_" + name) in A.__all__
       or name == "sigmoid_centred"},
    "activation": lambda: {"name": "tanh", "x": 0.5},
    "derivative": lambda: {"name": "tanh", "x": 0.5},
    "saturated_mask": lambda: {"name": "tanh", "x": 0.5},
    "get_activation": lambda: {"name": "relu"},
    "MaxoutLinear": lambda: {"in_features": 3, "out_features": 4},
    "build_mlp": lambda: {"name": "relu", "sizes": [2, 4, 2]},
    "fit_boundaries": _valid_fit,
    "format_table": lambda: {"rows": A.activation_table(n=100)},
    "activation_table": lambda: {"n": 1000},
    "sigmoid_gradient_bound": lambda: {"n_layers": 3},
    "gradient_norms": lambda: {"name": "relu", "depth": 3},
    "gradient_verdicts": lambda: {"norms": {"relu": A.gradient_norms("relu", 3)}},
    "update_ratios": lambda: {"names": ("relu",)},
    "compare_training": lambda: {"names": ("relu",), "steps": 5},
    "steps_to_target": lambda: {"result": A.compare_training(names=("relu",), steps=5), "target": 0.5},
    "format_training_table": lambda: {"result": A.compare_training(names=("relu",), steps=5), "target": 0.5},
    "check_elu_derivative": lambda: {"fn": _elu_right},
    "check_most_saturated": lambda: {"answer": "tanh"},
    "check_sigmoid_bound": lambda: {"answer": 0.25 ** 10},
    "check_leaky_relu_variance": lambda: {"fn": lambda a: 2 / (1 + a * a)},
    "plot_linear_collapse": lambda: {"stack": A.linear_stack_collapse()},
    "plot_decision_boundaries": _fit_result,
    "plot_update_ratios": lambda: {"sgd": A.update_ratios(names=("relu",)),
                                   "adam": A.update_ratios(names=("relu",), optimizer="adam", lr=0.01)},
    "plot_training_curves": lambda: {"result": A.compare_training(names=("relu",), steps=5)},
    "plot_gradient_norms": lambda: {"depth": 3},
}


def test_module_docstring_names_the_whole_public_surface():
    import re

    missing = [n for n in A.__all__ if not re.search(rf"\b{re.escape(n)}\b", A.__doc__)]
    assert not missing, f"listed in __all__ but not in the module docstring: {missing}"


def test_figures_fit_the_notebook_column_at_100_dpi():
    from utils.plotstyle import use_course_style

    use_course_style()
    figs = [A.plot_decision_boundaries(A.fit_boundaries(names=("linear", "tanh", "relu"), steps=5), resolution=20),
            A.plot_gradient_norms(depth=4), A.plot_gallery("gelu"), A.plot_relu_sparsity(-1.0),
            A.plot_update_ratios(A.update_ratios(names=("relu",)), A.update_ratios(names=("relu",), optimizer="adam",
                                                                                   lr=0.01))]
    for fig in figs:
        assert fig.get_size_inches()[0] * 100 <= 960, fig.get_size_inches()


def test_activation_table_keeps_the_promise_of_its_size_bound():
    """Issue 32: n = 10**7 was inside the bound but took 12 s of CPU and ~1 GB. At the bound now: a few seconds of
    CPU (measured 0.6 s on the course's 2-core machine) and well under the 1.5 GB a kernel may use."""
    import time
    import tracemalloc

    tracemalloc.start()
    start = time.process_time()
    A.activation_table(n=1_000_000)
    cpu = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert cpu < 5 and peak < 300e6, (cpu, peak)
    with pytest.raises(ValueError, match="n must be >= 1 and <= 1e\\+06, got 10000000: larger values"):
        A.activation_table(n=10**7)

BAD_INPUT_ALLOW = {("sigmoid_gradient_bound", "n_layers", "0"): "0 layers: the bound is 0.25**0 = 1"}
