"""Tests for utils/zero_centering/: GD paths vs autograd, the orthant property, preprocessing, views, checkers."""

import numpy as np
import pytest
import torch

from utils import zero_centering as zc
from utils.zero_centering import experiments, figures, maths


def autograd_gd_path(x, y, w0, lr, steps):
    """An independent float64 gradient descent on mean((x w - y)^2)/2 with torch autograd."""
    xt, yt = torch.tensor(x), torch.tensor(y)
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    path = [w.detach().clone()]
    for _ in range(steps):
        loss = 0.5 * ((xt @ w - yt) ** 2).mean()
        (g,) = torch.autograd.grad(loss, w)
        with torch.no_grad():
            w = (w - lr * g).requires_grad_(True)
        path.append(w.detach().clone())
    return torch.stack(path).numpy()


@pytest.mark.parametrize("offset", [0.0, 2.0, 4.0])
def test_gd_path_matches_torch_autograd_to_1e8(offset):
    x, y = zc.toy_inputs(offset, seed=3)
    lr = 1.6 / zc.curvatures(x)[-1]
    ours = zc.gd_path(x, y, zc.W_START, lr, 80)
    ref = autograd_gd_path(x, y, zc.W_START, lr, 80)
    assert ours.shape == (81, 2)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-8)


def test_closed_form_steps_to_converge_agree_with_iterating_the_path():
    for offset in (0.0, 1.0, 3.0):
        x, y = zc.toy_inputs(offset)
        lr = 1.6 / zc.curvatures(x)[-1]
        k = zc.steps_to_converge(x, y, zc.W_START, lr, tol=1e-2)
        dist = np.linalg.norm(autograd_gd_path(x, y, zc.W_START, lr, k + 1) - np.array(zc.W_STAR), axis=1)
        assert dist[k] <= 1e-2 < dist[k - 1]


def test_gd_reaches_w_star_and_steps_none_when_budget_too_small():
    x, y = zc.toy_inputs(2.0)
    lr = 1.0 / zc.curvatures(x)[-1]
    assert zc.steps_to_converge(x, y, zc.W_START, lr, max_steps=3) is None
    path = zc.gd_path(x, y, zc.W_START, lr, 2000)
    np.testing.assert_allclose(path[-1], zc.W_STAR, atol=1e-8)


def test_per_example_updates_lie_in_one_orthant_for_positive_inputs():
    x, y = zc.toy_inputs(2.5, seed=1)
    assert np.all(x > 0)
    for w in ([-1.5, 0.0], [3.0, 2.0], [0.3, -0.7]):
        u = maths._per_example_updates(x, y, w, lr=0.1)
        same = np.all(u > 0, axis=1) | np.all(u < 0, axis=1)
        assert same.all()
    steps = np.diff(maths._sgd_path(x, y, zc.W_START, 0.02, 300, seed=2), axis=0)
    assert (np.all(steps > 0, axis=1) | np.all(steps < 0, axis=1)).all()


def test_per_example_updates_mix_signs_when_inputs_are_centred():
    x, y = zc.centred(*zc.toy_inputs(2.5, seed=1))
    u = maths._per_example_updates(x, y, zc.W_START, lr=0.1)
    mixed = ~(np.all(u >= 0, axis=1) | np.all(u <= 0, axis=1))
    assert mixed.mean() > 0.2


def test_per_example_update_equals_autograd_gradient():
    x, y = zc.toy_inputs(1.5, n=5, seed=4)
    w = np.array([0.2, -0.4])
    u = maths._per_example_updates(x, y, w, lr=0.5)
    for i in range(5):
        wt = torch.tensor(w, requires_grad=True)
        (0.5 * (torch.tensor(x[i]) @ wt - y[i]) ** 2).backward()
        np.testing.assert_allclose(u[i], -0.5 * wt.grad.numpy(), atol=1e-12)


def test_batch_orthant_fraction_is_one_for_single_positive_examples():
    x, y = zc.toy_inputs(2.0)
    assert zc.batch_orthant_fraction(x, y, zc.W_START, 1) == 1.0
    xc, yc = zc.centred(x, y)
    assert zc.batch_orthant_fraction(xc, yc, zc.W_START, 1) < 0.8


def test_centring_lowers_the_condition_number_of_offset_inputs():
    x, y = zc.toy_inputs(3.0)
    xc, _ = zc.centred(x, y)
    np.testing.assert_allclose(zc.curvatures(x), np.linalg.eigvalsh(x.T @ x / len(x)), rtol=1e-12)
    assert zc.condition_number(x) > 10 * zc.condition_number(xc)


def test_same_sign_rows_and_alignment_on_hand_made_gradients():
    g = np.array([[1.0, 2.0, 0.5], [-1.0, -0.1, -3.0], [1.0, -1.0, 2.0]])
    assert maths._same_sign_rows(g).tolist() == [True, True, False]
    np.testing.assert_allclose(maths._ones_alignment(np.array([[2.0, 2.0], [1.0, -1.0]])), [1.0, 0.0], atol=1e-12)


def test_sigmoid_fed_layer_has_one_signed_rows_for_single_examples_and_tanh_does_not():
    sig = experiments._layer_sign_stats("sigmoid", batch_size=1, n_trials=5)
    tanh = experiments._layer_sign_stats("tanh", batch_size=1, n_trials=5)
    assert sig["same_sign"] == 1.0
    assert tanh["same_sign"] < 0.1
    assert sig["alignment"] > 2 * tanh["alignment"]


# ----- preprocessing -------------------------------------------------------------------------

@pytest.fixture
def cloud():
    g = np.random.default_rng(7)
    a = g.standard_normal((3, 3))
    return g.standard_normal((400, 3)) @ a + np.array([5.0, -3.0, 10.0])


def test_centre_and_standardise_match_numpy(cloud):
    c = zc.preprocess(cloud, method="center")
    np.testing.assert_allclose(c, cloud - cloud.mean(0), atol=1e-12)
    z = zc.preprocess(cloud, method="standardize")
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-10)
    np.testing.assert_allclose(z.var(0), 1, atol=1e-10)
    ref = ((torch.tensor(cloud) - torch.tensor(cloud).mean(0)) / torch.tensor(cloud).std(0, unbiased=False)).numpy()
    np.testing.assert_allclose(z, ref, atol=1e-10)


def test_decorrelate_gives_diagonal_covariance_and_whiten_gives_identity(cloud):
    d = zc.preprocess(cloud, method="decorrelate")
    cov = np.cov(d, rowvar=False, bias=True)
    np.testing.assert_allclose(cov - np.diag(np.diag(cov)), 0, atol=1e-6)
    assert np.all(np.diff(np.diag(cov)) <= 0)   # largest variance first
    np.testing.assert_allclose(np.diag(cov), np.linalg.eigvalsh(np.cov(cloud, rowvar=False, bias=True))[::-1],
                               rtol=1e-8)
    w = zc.preprocess(cloud, method="whiten")
    np.testing.assert_allclose(w.mean(0), 0, atol=1e-10)
    np.testing.assert_allclose(np.cov(w, rowvar=False, bias=True), np.eye(3), atol=1e-6)


def test_transform_uses_training_statistics(cloud):
    pre = zc.fit_preprocessor(cloud[:300], "standardize")
    out = zc.transform(pre, cloud[300:])
    np.testing.assert_allclose(out, (cloud[300:] - cloud[:300].mean(0)) / cloud[:300].std(0), atol=1e-12)


@pytest.mark.parametrize("method", ["standardize", "whiten", "decorrelate"])
def test_constant_feature_gives_zeros_not_division_by_zero(cloud, method):
    x = np.hstack([cloud, np.full((len(cloud), 1), 4.2)])
    with np.errstate(all="raise"):
        pre = zc.fit_preprocessor(x, method)
        out = zc.transform(pre, x)
    assert pre.n_constant == 1
    assert np.all(np.isfinite(out))
    if method == "standardize":
        np.testing.assert_allclose(out[:, 3], 0, atol=1e-12)
        np.testing.assert_allclose(out[:, :3].var(0), 1, atol=1e-10)
    else:
        cov = np.cov(out, rowvar=False, bias=True)
        assert abs(cov[3, 3]) < 1e-12          # the zero-variance component stays at zero
        if method == "whiten":
            np.testing.assert_allclose(cov[:3, :3], np.eye(3), atol=1e-6)


def test_mismatched_feature_counts_raise(cloud):
    pre = zc.fit_preprocessor(cloud, "whiten")
    with pytest.raises(ValueError, match="2 features but the preprocessor was fitted on 3"):
        zc.transform(pre, cloud[:, :2])


def test_bad_inputs_raise_clearly(cloud):
    with pytest.raises(ValueError, match="method must be one of"):
        zc.fit_preprocessor(cloud, "normalize")
    with pytest.raises(ValueError, match="2 dimension"):
        zc.fit_preprocessor(cloud[:, 0])
    with pytest.raises(ValueError, match="NaN"):
        zc.fit_preprocessor(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(TypeError, match="Preprocessor"):
        zc.transform("standardize", cloud)
    with pytest.raises(ValueError, match="lr must be > 0"):
        zc.gd_path(*zc.toy_inputs(1.0), zc.W_START, -0.1, 5)
    with pytest.raises(TypeError, match="steps must be a whole number"):
        zc.gd_path(*zc.toy_inputs(1.0), zc.W_START, 0.1, 2.5)
    with pytest.raises(ValueError, match="w0 must have 2 entries"):
        zc.gd_path(*zc.toy_inputs(1.0), [1.0, 2.0, 3.0], 0.1, 5)
    with pytest.raises(ValueError, match="lr_scale must be > 0 and < 2"):
        zc.zigzag_runs(2.0, lr_scale=2.5)
    with pytest.raises(ValueError, match="activation must be one of"):
        zc.activation_training_run("relu")
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        zc.batch_orthant_fraction(*zc.toy_inputs(1.0), zc.W_START, 0)


def test_whitening_makes_regression_gd_converge_fastest():
    x, y = zc.make_cloud()
    rows = {r["method"]: r for r in zc.preprocessing_table(x, y)}
    assert rows["none"]["steps"] > rows["center"]["steps"] > rows["whiten"]["steps"]
    assert rows["whiten"]["cond"] == pytest.approx(1.0, abs=1e-6)


# ----- views and checkers --------------------------------------------------------------------

def _plotted_data(fig):
    for ax in fig.axes:
        for line in ax.lines:
            yield np.asarray(line.get_xydata(), dtype=float)
        for coll in ax.collections:
            off = np.asarray(coll.get_offsets(), dtype=float)
            if off.size:
                yield off


@pytest.mark.parametrize("name", sorted(zc.VIEW_SWEEPS))
def test_every_view_sweep_entry_draws_finite_data(name):
    fn = getattr(zc, name)
    fig = None
    for kwargs in zc.VIEW_SWEEPS[name]:
        fig = fn(**kwargs, fig=fig)
        arrays = list(_plotted_data(fig))
        assert arrays, f"{name}({kwargs}) drew nothing"
        for a in arrays:
            assert np.all(np.isfinite(a)), f"{name}({kwargs}) plotted NaN or infinity"
    fresh = fn(**zc.VIEW_SWEEPS[name][-1])
    assert len(fresh.axes) == len(fig.axes)


@pytest.mark.parametrize("offset", [0.0, 2.0, 4.0])
def test_zigzag_contours_lie_on_their_loss_levels(offset):
    """Each drawn ellipse is a level set of the toy loss: evaluate mse_loss on its points directly."""
    contours = figures._zigzag_contours(offset)
    x, y = zc.toy_inputs(offset)
    problems = {"raw": (x, y), "centred": zc.centred(x, y)}
    for name, curves in contours.items():
        assert curves.shape[0] == 14 and curves.shape[2] == 2
        xs, ys = problems[name]
        levels = np.array([[maths._mse_loss(xs, ys, w) for w in curve] for curve in curves])   # L(w*) = 0 here
        np.testing.assert_allclose(levels, levels[:, :1] * np.ones_like(levels), rtol=1e-9)
        assert levels[0, 0] == pytest.approx(1e-3, rel=1e-9)
        assert np.all(np.diff(levels[:, 0]) > 0)


def test_zigzag_redrawn_in_place_matches_a_fresh_figure():
    fig = None
    for kwargs in zc.VIEW_SWEEPS["plot_zigzag"][::4]:
        fig = zc.plot_zigzag(**kwargs, fig=fig)
    last = zc.VIEW_SWEEPS["plot_zigzag"][::4][-1]
    fresh = zc.plot_zigzag(**last)
    assert fig is not fresh
    for ax_old, ax_new in zip(fig.axes, fresh.axes):
        assert ax_old.get_title() == ax_new.get_title()
        for a, b in zip(ax_old.lines, ax_new.lines):
            np.testing.assert_array_equal(a.get_xydata(), b.get_xydata())
        for a, b in zip(ax_old.collections, ax_new.collections):
            for sa, sb in zip(a.get_segments(), b.get_segments(), strict=True):
                np.testing.assert_array_equal(sa, sb)
    runs = zc.zigzag_runs(**last)
    assert fresh.axes[0].get_title().endswith(f"{runs['raw']['converge']} steps to w*")
    np.testing.assert_array_equal(fresh.axes[1].lines[0].get_xydata(), runs["centred"]["path"])


def test_view_sweeps_reach_both_extremes_of_every_control():
    entries = zc.VIEW_SWEEPS["plot_zigzag"]
    for key, lo, hi in (("offset", 0.0, 4.0), ("lr_scale", 0.1, 1.99), ("steps", 1, 400)):
        values = [e[key] for e in entries]
        assert min(values) == lo and max(values) == hi


def test_static_plots_build():
    x, _ = zc.make_cloud()
    fig = zc.plot_preprocessing(x)
    assert len(fig.axes) == 6 and fig.get_size_inches()[0] * fig.dpi <= 960
    # the bottom chain starts from the centred cloud: its first panel equals the top row's second
    np.testing.assert_array_equal(fig.axes[1].collections[0].get_offsets(), fig.axes[3].collections[0].get_offsets())
    assert len(zc.plot_steps_vs_offset(offsets=[0.0, 2.0, 4.0]).axes) == 2
    fig = zc.plot_single_example_steps(offset=2.0, steps=30)
    raw_path = fig.axes[0].lines[0].get_xydata()
    moves = np.diff(raw_path, axis=0)
    assert len(raw_path) == 31 and (np.all(moves > 0, axis=1) | np.all(moves < 0, axis=1)).all()


def test_check_possible_updates_accepts_the_orthant_answer_in_every_form(capsys):
    for answer in (["A", "B"], ("B", "A"), {"a", "b"}, "AB", "a, b"):
        assert zc.check_possible_updates(answer, inputs="sigmoid") is True
    for answer in (["A", "B", "C", "D"], "abcd"):
        assert zc.check_possible_updates(answer, inputs="tanh") is True
    assert "❌" not in capsys.readouterr().out


@pytest.mark.parametrize("inputs, answer, hint", [
    ("sigmoid", ["A"], "dL/dz can be negative"),                 # forgot that the whole step can flip sign
    ("sigmoid", ["B"], "dL/dz can be negative"),
    ("sigmoid", ["A", "B", "C", "D"], "mix signs"),              # ignored the inputs' sign
    ("sigmoid", ["A", "C"], "mix signs"),
    ("sigmoid", ["C", "D"], "mix signs"),                        # the answer for the opposite question
    ("tanh", ["A", "B"], "tanh outputs can be negative"),        # carried the sigmoid answer over
    ("tanh", ["C", "D"], "tanh outputs can be negative"),
    ("sigmoid", None, "replace None"),
    ("sigmoid", [1, 2], "list of strings"),
    ("sigmoid", ["A", "E"], "not candidates"),
    ("sigmoid", "", "list of strings"),
])
def test_check_possible_updates_rejects_learners_mistakes_with_a_hint(capsys, inputs, answer, hint):
    assert zc.check_possible_updates(answer, inputs=inputs) is False
    out = capsys.readouterr().out
    assert out.count("❌") == 1 and "✅" not in out and hint in out


def test_check_possible_updates_right_answer_comes_from_the_candidates():
    """The expected set is computed from the signs of the candidates, not typed in."""
    one_signed = sorted(k for k, v in zc.UPDATE_CANDIDATES.items() if len({np.sign(c) for c in v}) == 1)
    assert one_signed == ["A", "B"]


def _standardize_right(a, b):
    m, s = a.mean(0), a.std(0)
    return (a - m) / s, (b - m) / s


@pytest.mark.parametrize("fn, hint", [
    (lambda a, b: ((a - a.mean(0)) / a.std(0), (b - b.mean(0)) / b.std(0)), "OWN mean"),
    (lambda a, b: (lambda m, s: ((a - m) / s, (b - m) / s))(np.concatenate([a, b]).mean(0),
                                                           np.concatenate([a, b]).std(0)), "together"),
    (lambda a, b: (lambda m, s: ((a - m) / s, (b - m) / s))(a.mean(0), a.std(0, ddof=1)), "ddof=1"),
    (lambda a, b: (a - a.mean(0), b - a.mean(0)), "did not divide"),
    (lambda a, b: ((a - a.mean(0)) / a.var(0), (b - a.mean(0)) / a.var(0)), "variance"),
    (lambda a, b: ((a - a.mean()) / a.std(), (b - a.mean()) / a.std()), "per feature"),
    (lambda a, b: (a, b), "unchanged"),
    (lambda a, b: ((a - a.mean(1, keepdims=True)) / a.std(1, keepdims=True), b), "off by"),
    (lambda a, b: (a.mean(0), b.mean(0)), "axis=0"),
    (lambda a, b: 1 / 0, "ZeroDivisionError"),
    ("my_standardize", "without brackets"),
])
def test_check_standardize_rejects_learners_mistakes_with_a_hint(capsys, fn, hint):
    assert zc.check_standardize(fn) is False
    out = capsys.readouterr().out
    assert out.count("❌") == 1 and "✅" not in out and hint in out


def test_check_standardize_accepts_arrays_and_tensors(capsys):
    assert zc.check_standardize(_standardize_right) is True
    assert zc.check_standardize(lambda a, b: tuple(torch.tensor(z) for z in _standardize_right(a, b))) is True
    assert "❌" not in capsys.readouterr().out


def test_weight_gradient_is_dl_dz_times_x_and_includes_the_slope():
    """dL/dw from autograd through a tanh neuron equals weight_gradient(x, dL/da * tanh'(z))."""
    x = torch.tensor([0.4, -0.9, 0.1], dtype=torch.float64)
    w = torch.tensor([0.3, 0.2, -0.5], dtype=torch.float64, requires_grad=True)
    z = w @ x
    a = torch.tanh(z)
    (2.0 * a).backward()                         # dL/da = 2
    upstream = 2.0 * (1 - torch.tanh(z) ** 2).item()
    np.testing.assert_allclose(zc.weight_gradient(x.numpy(), upstream), w.grad.numpy(), rtol=1e-12)


def test_random_direction_alignment_is_sqrt_2_over_pi_d():
    for d in (8, 32, 128):
        assert maths._random_direction_alignment(d) == pytest.approx(np.sqrt(2 / (np.pi * d)), rel=0.03)


def test_helpers_leave_the_global_torch_generator_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    zc.activation_training_run("tanh", steps=3, lr=0.5, seed=4)
    zc.sign_stats_table((1,), seed=5)
    zc.normalisation_leak_experiment(steps=2, batch=20, seed=6)
    assert torch.equal(before, torch.get_rng_state())


def test_centred_sigmoid_is_zero_centred_with_sigmoids_slope():
    x = torch.linspace(-6, 6, 101, dtype=torch.float64, requires_grad=True)
    y = zc.ACTIVATIONS["sigmoid_centred"]()(x)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), -y.detach().numpy()[::-1], atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), (torch.sigmoid(x) * (1 - torch.sigmoid(x))).detach().numpy(),
                               rtol=1e-12)


# ----- bad input (tests/test_bad_input.py) ------------------------------------------------------------------------

def _toy():
    x, y = zc.toy_inputs(2.0, n=16)
    return {"x": x, "y": y}


def _fake_runs():
    return {a: zc.activation_training_run(a, steps=3, lr=0.5) for a in ("sigmoid", "tanh")}


BAD_INPUT_BASE = {
    "weight_gradient": lambda: {"x": np.array([0.3, -1.2]), "upstream": 0.7},
    "toy_inputs": lambda: {"offset": 2.0},
    "centred": _toy,
    "curvatures": lambda: {"x": _toy()["x"]},
    "condition_number": lambda: {"x": _toy()["x"]},
    "gd_path": lambda: {**_toy(), "w0": np.array([-1.5, 0.0]), "lr": 0.05, "steps": 5},
    "steps_to_converge": lambda: {**_toy(), "w0": np.array([-1.5, 0.0]), "lr": 0.05},
    "batch_orthant_fraction": lambda: {**_toy(), "w": np.array([-1.5, 0.0]), "batch_size": 4, "n_batches": 5},
    "Preprocessor": lambda: {"method": "center", "mean": np.zeros(2), "matrix": np.eye(2)},
    "fit_preprocessor": lambda: {"x_train": _toy()["x"]},
    "transform": lambda: {"pre": zc.fit_preprocessor(_toy()["x"]), "x": _toy()["x"]},
    "preprocess": lambda: {"x_train": _toy()["x"]},
    "preprocessing_table": lambda: {"x": _toy()["x"], "y": _toy()["y"] + 0.1 * np.arange(16)},
    "normalisation_leak_experiment": lambda: {"steps": 2},
    "activation_training_run": lambda: {"steps": 3},
    "activation_comparison": lambda: {"steps": 3, "seeds": (0,)},
    "tuned_activation_rates": lambda: {"steps": 3, "lrs": (0.5,)},
    "plot_zigzag": lambda: {"steps": 5},
    "plot_single_example_steps": lambda: {"steps": 5},
    "plot_preprocessing": lambda: {"x": zc.make_cloud(n=50)[0]},
    "plot_activation_runs": lambda: {"runs": _fake_runs()},
    "check_possible_updates": lambda: {"answer": ["A", "B"]},
    "check_standardize": lambda: {"fn": _standardize_right},
}


def test_check_standardize_accepts_training_stats_and_rejects_own_stats():
    def right(a, b):
        m, s = a.mean(0), a.std(0)
        return (a - m) / s, (b - m) / s

    def own_stats(a, b):
        return (a - a.mean(0)) / a.std(0), (b - b.mean(0)) / b.std(0)

    def broken(a, b):
        raise RuntimeError("oops")

    assert zc.check_standardize(right)
    assert not zc.check_standardize(own_stats)
    assert not zc.check_standardize(lambda a, b: (a, b))
    assert not zc.check_standardize(broken)

BAD_INPUT_ALLOW = {(name, param, "0"): "0 steps: the path is the starting point alone (a valid, if short, run)"
                   for name, param in (("gd_path", "steps"), ("zigzag_runs", "steps"), ("plot_zigzag", "steps"),
                                       ("steps_to_converge", "max_steps"))}
