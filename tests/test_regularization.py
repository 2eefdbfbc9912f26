"""Tests for utils.regularization: penalties, proximal steps, inverted dropout, early stopping, the noisy digits task,
views, checkers (against the wrong answers learners give) and bad input."""

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from utils import regularization as R
from utils.regularization.exercises import _mutant_stops
from utils.regularization.experiments import _digits_arrays
from utils.regularization.figures import _loss2d


def _small_table():
    return R.comparison(names=("none", "L2"), seeds=(0,), n_train=20, steps=3)


def _small_sweep():
    return R.decay_sweep(lams=(0.03,), seeds=(0,), n_train=20, steps=3)


def _small_more():
    return R.more_data_runs(multiples=(1, 2), base=20, steps=3, seeds=(0,))


def _right_dropout(x, p, generator):
    return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)


BAD_INPUT_BASE = {
    "l2_penalty": lambda: {"weights": [torch.ones(3)], "lam": 0.1},
    "l1_penalty": lambda: {"weights": [torch.ones(3)], "lam": 0.1},
    "soft_threshold": lambda: {"z": np.array([1.0, -2.0]), "threshold": 0.5},
    "proportional_shrink": lambda: {"z": np.array([1.0, -2.0]), "lam": 0.5},
    "proximal_step": lambda: {"w": np.ones(3), "grad": np.ones(3), "lr": 0.1, "lam": 0.1},
    "penalized_least_squares": lambda: {"X": np.eye(4)[:, :3], "y": np.ones(4), "lam": 0.1, "steps": 20},
    "ridge": lambda: {"X": np.eye(4)[:, :3], "y": np.ones(4), "lam": 0.1},
    "inverted_dropout": lambda: {"x": torch.rand(10), "p": 0.3, "generator": torch.Generator().manual_seed(0)},
    "early_stopping": lambda: {"val_losses": np.array([3.0, 2.0, 2.5]), "patience": 1},
    "shift_images": lambda: {"images": torch.ones(2, 3, 3), "dx": 1, "dy": 0},
    "random_shift": lambda: {"x": torch.rand(2, 64), "generator": torch.Generator().manual_seed(0)},
    "weight_norm": lambda: {"model": nn.Linear(2, 2)},
    "weights_of": lambda: {"model": nn.Linear(2, 2)},
    "legendre_features": lambda: {"x": np.linspace(-1, 1, 5), "degree": 3},
    "true_curve": lambda: {"x": np.linspace(-1, 1, 5)},
    "polynomial_fit": lambda: {"degree": 3, "lam": 0.1},
    "geometry_solutions": lambda: {"lam": 1.0},
    "dropout_vs_torch": lambda: {"n": 1000},
    "fit": lambda: {"model": R.build_model(hidden=4), "data": R.digits_task(20), "steps": 3},
    "run_regulariser": lambda: {"name": "L2", "n_train": 20, "steps": 3},
    "comparison": lambda: {"names": ("none", "L2"), "seeds": (0,), "n_train": 20, "steps": 3},
    "format_comparison": lambda: {"table": _small_table()},
    "more_data_runs": lambda: {"multiples": (1, 2), "base": 20, "steps": 3, "seeds": (0,)},
    "decay_sweep": lambda: {"lams": (0.03,), "seeds": (0,), "n_train": 20, "steps": 3},
    "l1_weight_stats": lambda: {"n_train": 20, "steps": 3},
    "early_stopping_curve": lambda: {"n_train": 20, "steps": 3},
    "plot_sparse_recovery": lambda: dict(zip(("X", "y", "w_true"), R.sparse_regression(n=20, d=5, k=2))),
    "plot_decay_sweep": lambda: {"sweep": _small_sweep()},
    "plot_dropout_effect": lambda: {"hists": {"none": R.run_regulariser("none", n_train=20, steps=3)[1]}},
    "first_step_at_full_training_accuracy": lambda: {"hist": R.run_regulariser("none", n_train=20, steps=3)[1]},
    "plot_more_data": lambda: {"runs": _small_more()},
    "plot_comparison": lambda: {"table": _small_table()},
    "check_soft_threshold": lambda: {"answer": [2.0, 0.0, 0.2, -1.0]},
    "check_inverted_dropout": lambda: {"fn": _right_dropout},
    "check_early_stopping": lambda: {"fn": R.early_stopping},
    "check_decay_strength": lambda: {"answer": 0.769},
    "check_label_preserving": lambda: {"answer": {"a", "c", "e"}},
}
BAD_INPUT_ALLOW = {
    ("inverted_dropout", "x", "extra dimension"): "dropout takes a tensor of any shape",
    ("soft_threshold", "z", "extra dimension"): "elementwise: any shape is valid input",
    ("proportional_shrink", "z", "extra dimension"): "elementwise: any shape is valid input",
    ("true_curve", "x", "extra dimension"): "elementwise: any shape is valid input",
}


def test_no_helper_reads_or_reseeds_the_global_generators():
    torch_state, np_state = torch.random.get_rng_state(), np.random.get_state()[1].copy()
    R.build_model(hidden=8, dropout=0.5, seed=3)
    R.fit(R.build_model(hidden=8, dropout=0.5, batchnorm=True), R.digits_task(20), steps=5, augment=True)
    R.dropout_vs_torch(n=1000)
    R.sgd_decay_equivalence(steps=2)
    R.polynomial_data(seed=5)
    R.sparse_regression(seed=4)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state)


def test_runs_repeat_exactly_and_depend_on_the_seed():
    a = R.fit(R.build_model(hidden=16, seed=1), R.digits_task(40, seed=1), steps=20, augment=True, seed=1)
    b = R.fit(R.build_model(hidden=16, seed=1), R.digits_task(40, seed=1), steps=20, augment=True, seed=1)
    c = R.fit(R.build_model(hidden=16, seed=2), R.digits_task(40, seed=2), steps=20, augment=True, seed=2)
    assert a.test_loss == b.test_loss and a.test_loss != c.test_loss


def test_ridge_refuses_infinite_input_instead_of_hanging():
    X, y, _ = R.sparse_regression(30, 10, 3)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        R.ridge(X, y, 0.1)


# ----- penalties ---------------------------------------------------------------------------------


def test_penalties_match_hand_computed_values():
    w = [torch.tensor([1.0, -2.0]), torch.tensor([[3.0]])]
    assert R.l2_penalty(w, 0.5).item() == pytest.approx(0.5 * 0.5 * (1 + 4 + 9))
    assert R.l1_penalty(w, 0.5).item() == pytest.approx(0.5 * (1 + 2 + 3))


def test_l2_penalty_gradient_is_lambda_times_w():
    w = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0), requires_grad=True)
    R.l2_penalty(w, 0.3).backward()
    torch.testing.assert_close(w.grad, 0.3 * w.detach(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("fn", [R.l1_penalty, R.l2_penalty, R.proportional_shrink])
def test_negative_lambda_raises(fn):
    arg = torch.ones(3) if fn is not R.proportional_shrink else np.ones(3)
    with pytest.raises(ValueError, match="lam must be >= 0, got -0.1"):
        fn(arg, -0.1)


def test_negative_threshold_and_bad_penalty_name_raise():
    with pytest.raises(ValueError, match="threshold"):
        R.soft_threshold(np.ones(2), -1.0)
    with pytest.raises(ValueError, match="l3"):
        R.proximal_step(np.ones(2), np.ones(2), 0.1, 0.1, penalty="l3")
    with pytest.raises(ValueError, match="l1"):
        R.fit(R.build_model(hidden=4), R.digits_task(20), steps=1, l1=-1.0)
    with pytest.raises(ValueError, match="w and grad"):
        R.proximal_step(np.ones(2), np.ones(3), 0.1, 0.1)


# ----- soft thresholding and proportional shrinkage ------------------------------------------


def test_soft_threshold_hand_values_numpy_and_torch():
    z = [3.0, -0.5, 1.2, -2.0, 1.0]
    expected = [2.0, 0.0, 0.2, -1.0, 0.0]
    np.testing.assert_allclose(R.soft_threshold(np.array(z), 1.0), expected, atol=1e-12)
    torch.testing.assert_close(R.soft_threshold(torch.tensor(z), 1.0), torch.tensor(expected))


def test_soft_threshold_is_the_l1_prox_by_brute_force():
    # prox(z) = argmin_w 0.5 (w - z)^2 + t |w|, found on a fine grid
    grid = np.linspace(-5, 5, 200_001)
    for z in (-3.1, -0.4, 0.0, 0.7, 2.5):
        w_grid = grid[np.argmin(0.5 * (grid - z) ** 2 + 0.8 * np.abs(grid))]
        assert R.soft_threshold(np.array(z), 0.8) == pytest.approx(w_grid, abs=1e-4)


@pytest.mark.parametrize("lam", [0.1, 0.7, 1.5])
def test_numerical_solution_matches_closed_forms_for_orthonormal_design(lam):
    X, y = R.orthonormal_design(seed=1)
    np.testing.assert_allclose(X.T @ X, np.eye(X.shape[1]), atol=1e-12)
    z = X.T @ y
    # closed forms written out independently of the helpers
    l1_closed = np.sign(z) * np.maximum(np.abs(z) - lam, 0)
    l2_closed = z / (1 + lam)
    np.testing.assert_allclose(R.penalized_least_squares(X, y, lam, "l1"), l1_closed, atol=1e-8)
    np.testing.assert_allclose(R.penalized_least_squares(X, y, lam, "l2"), l2_closed, atol=1e-8)
    np.testing.assert_allclose(R.ridge(X, y, lam), l2_closed, atol=1e-10)


def test_lasso_recovers_the_support_of_a_sparse_problem():
    X, y, w_true = R.sparse_regression(seed=0)
    w = R.penalized_least_squares(X, y, 0.2, "l1", steps=3000)
    assert set(np.flatnonzero(w)) == set(np.flatnonzero(w_true))


def test_ridge_matches_normal_equations():
    g = np.random.default_rng(0)
    X, y = g.standard_normal((30, 6)), g.standard_normal(30)
    expected = np.linalg.solve(X.T @ X + 0.4 * np.eye(6), X.T @ y)
    np.testing.assert_allclose(R.ridge(X, y, 0.4), expected, rtol=1e-9)


def test_geometry_l1_solution_is_sparse_and_optimal():
    w1, w2 = R.geometry_solutions(1.0)
    assert w1[1] == 0.0 and w1[0] > 0 and np.all(w2 != 0)
    # L1 optimum: no small move lowers loss + lam ||w||_1
    obj = lambda w: _loss2d(w) + 1.0 * np.abs(w).sum()  # noqa: E731
    for d in ([1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3]):
        assert obj(w1 + np.array(d)) >= obj(w1) - 1e-12


# ----- weight decay ---------------------------------------------------------------------------


def test_weight_decay_equals_l2_penalty_under_sgd():
    diffs = R.sgd_decay_equivalence(lam=0.05, lr=0.2, steps=30)
    for name, d in diffs.items():
        assert d < 1e-12, name


def test_fit_adam_with_l2_penalty_equals_torch_adam_weight_decay_on_weights_only():
    data = R.digits_task(40)
    m1, m2 = R.build_model(hidden=8, seed=3), R.build_model(hidden=8, seed=3)
    R.fit(m1, data, steps=20, batch_size=40, l2=0.1, eval_every=20)
    # torch's Adam(weight_decay) adds lam * w to the gradient; give it to the weight matrices only, by hand
    opt = torch.optim.Adam([{"params": R.weights_of(m2), "weight_decay": 0.1},
                            {"params": [p for n, p in m2.named_parameters() if n.endswith("bias")]}], lr=R.LR)
    for _ in range(20):
        opt.zero_grad()
        nn.functional.cross_entropy(m2(data.x_train), data.y_train).backward()
        opt.step()
    for a, b in zip(m1.parameters(), m2.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_adamw_decays_weight_matrices_but_not_biases_or_batchnorm_parameters():
    torch.manual_seed(0)  # only this test's own state; fit itself uses explicit generators
    data = R.digits_task(20)
    model = R.build_model(hidden=8, batchnorm=True)
    one_d = {n: p.detach().clone() for n, p in model.named_parameters() if p.ndim == 1}
    # lr tiny so the data gradient hardly moves anything; with lam = 1000 the decay alone would shrink weights by
    # a factor (1 - 1e-6 * 1000) per step
    R.fit(model, data, steps=5, lr=1e-6, l2=1000.0, optimizer="adamw", batch_size=20, eval_every=5)
    for n, p in model.named_parameters():
        if p.ndim == 1:
            torch.testing.assert_close(p.detach(), one_d[n], atol=1e-4, rtol=0)
    ref = R.build_model(hidden=8, batchnorm=True)
    ratio = R.weight_norm(model) / R.weight_norm(ref)
    assert ratio == pytest.approx((1 - 1e-3) ** 5, rel=1e-3)


# ----- dropout --------------------------------------------------------------------------------


def test_inverted_dropout_matches_torch_dropout_statistics():
    out = R.dropout_vs_torch(p=0.3, n=1_000_000, seed=0)
    # the std of the mean of 1e6 dropout outputs is about 1e-3 here; 5e-3 is a five-sigma tolerance
    assert out["ours mean"] == pytest.approx(out["input mean"], abs=5e-3)
    assert out["ours mean"] == pytest.approx(out["torch mean"], abs=5e-3)
    assert out["ours zeroed"] == pytest.approx(0.3, abs=2e-3)
    assert out["torch zeroed"] == pytest.approx(0.3, abs=2e-3)
    assert out["kept values are x / (1 - p)"] and out["ours identity in eval"] and out["torch identity in eval"]
    assert R.dropout_vs_torch(seed=1, n=1000) == R.dropout_vs_torch(seed=1, n=1000)


def test_inverted_dropout_kept_values_and_mask_come_from_the_generator():
    x = torch.rand(5000, generator=torch.Generator().manual_seed(9)) + 0.5
    out, keep = R.inverted_dropout(x, 0.4, torch.Generator().manual_seed(3))
    u = torch.rand(5000, generator=torch.Generator().manual_seed(3))
    assert torch.equal(keep, u >= 0.4)
    torch.testing.assert_close(out[keep], x[keep] / 0.6)
    assert torch.all(out[~keep] == 0)


def test_inverted_dropout_is_exact_identity_in_eval_like_torch():
    x = torch.randn(1000, generator=torch.Generator().manual_seed(0))
    layer = R.InvertedDropout(0.5).eval()
    assert torch.equal(layer(x), x)
    assert torch.equal(nn.Dropout(0.5).eval()(x), x)
    out, mask = R.inverted_dropout(x, 0.9, torch.Generator(), training=False)
    assert torch.equal(out, x) and mask is None


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_probability_outside_unit_interval_raises(p):
    with pytest.raises(ValueError, match="p must be"):
        R.inverted_dropout(torch.ones(3), p, torch.Generator())
    with pytest.raises(ValueError, match="p must be"):
        R.InvertedDropout(p)


def test_dropout_without_a_generator_is_refused():
    with pytest.raises(TypeError, match="generator"):
        R.inverted_dropout(torch.ones(3), 0.5, None)


# ----- early stopping -------------------------------------------------------------------------


def test_early_stopping_finds_best_and_stop_index():
    losses = [5, 4, 3, 3.5, 2.9, 3.0, 3.1, 3.2, 1.0]
    assert R.early_stopping(losses, patience=3) == (4, 7)
    assert R.early_stopping(losses, patience=1) == (2, 3)
    assert R.early_stopping(losses, patience=10) == (8, 8)
    assert R.early_stopping([1.0, 1.0, 1.0], patience=2) == (0, 2)  # an equal loss is no new best


@pytest.mark.parametrize("patience", [0, -2])
def test_patience_below_one_raises(patience):
    with pytest.raises(ValueError, match="patience"):
        R.early_stopping([1.0, 2.0], patience)
    with pytest.raises(ValueError, match="patience"):
        R.fit(R.build_model(hidden=4), R.digits_task(20), steps=2, patience=patience)


def test_fit_stops_on_the_validation_part_and_restores_its_best_weights():
    data = R.digits_task(40)
    model = R.build_model(hidden=16, seed=0)
    hist = R.fit(model, data, steps=400, lr=1e-2, patience=2, eval_every=5)
    best_i, stop_i = R.early_stopping(hist.val_loss, 2)
    assert stop_i == len(hist.val_loss) - 1 < 400 // 5 - 1  # it stopped early, judged on the validation loss
    assert hist.stopped == hist.step[best_i]
    restored = nn.functional.cross_entropy(model.eval()(data.x_val), data.y_val).item()
    assert restored == pytest.approx(hist.val_loss[best_i], rel=1e-5)
    # the test part played no role: its loss at the kept step is what the restored model gives
    test = nn.functional.cross_entropy(model(data.x_test), data.y_test).item()
    assert test == pytest.approx(hist.test_loss[best_i], rel=1e-5)


# ----- the lesson's noisy digits task and its runs ----------------------------------------------


def test_digits_task_parts_are_disjoint_and_only_test_labels_are_clean():
    clean, noisy = R.digits_task(800, label_noise=0.0), R.digits_task(800, label_noise=0.2)
    torch.testing.assert_close(noisy.x_train, clean.x_train)
    assert torch.equal(noisy.y_test, clean.y_test)
    wrong = noisy.y_train != clean.y_train
    assert 0.15 < wrong.float().mean().item() < 0.25  # 800 draws: std of the fraction is 0.014
    assert (noisy.y_val != clean.y_val).any()  # the validation part has wrong labels like the training part
    assert R.wrong_labels(800, label_noise=0.2) == int(wrong.sum())
    rows = {tuple(r.tolist()) for r in torch.cat([noisy.x_train, noisy.x_val, noisy.x_test])}
    x_all, y_all = _digits_arrays()
    distinct = len({tuple(r.tolist()) for r in x_all})
    assert len(rows) == min(800 + 200 + 600, distinct)  # no image in two parts (the data set has a few duplicates)
    first = int(torch.nonzero((x_all == clean.x_test[0]).all(1))[0])
    assert int(y_all[first]) == int(clean.y_test[0])


def test_digits_task_larger_sets_contain_the_smaller_ones_wrong_labels_included():
    small, large = R.digits_task(100), R.digits_task(400)
    assert torch.equal(large.x_train[:100], small.x_train)
    assert torch.equal(large.y_train[:100], small.y_train)
    assert torch.equal(large.x_test, small.x_test) and torch.equal(large.x_val, small.x_val)


@pytest.mark.parametrize("kwargs", [{"label_noise": 1.0}, {"label_noise": -0.1}, {"n_train": 0},
                                    {"n_train": 5000}])
def test_digits_task_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError, match="label_noise" if "label_noise" in kwargs else "n_train"):
        R.digits_task(**{"n_train": 50, **kwargs})


def test_fit_uses_mini_batches_so_batch_norm_sees_different_batches():
    data = R.digits_task(100)
    model = R.build_model(hidden=8, batchnorm=True)
    seen = []
    bn = next(m for m in model if isinstance(m, nn.BatchNorm1d))
    bn.register_forward_hook(lambda m, inp, out: seen.append(inp[0].shape[0]) if m.training else None)
    R.fit(model, data, steps=6, batch_size=20, eval_every=6)
    assert seen == [20] * 6


def test_trained_runs_are_cached_per_setting():
    from utils.regularization import experiments

    a = R.run_regulariser("none", n_train=20, steps=3)
    hits = experiments._trained.cache_info().hits
    b = R.run_regulariser("none", n_train=20, steps=3)
    assert experiments._trained.cache_info().hits == hits + 1, "the same setting is trained once"
    assert b[0] is not a[0] and all(torch.equal(p, q) for p, q in zip(a[0].parameters(), b[0].parameters())), \
        "each call gets its own copy of the trained model (issue 32)"
    l2 = R.run_regulariser("L2", n_train=20, steps=3)[0]
    assert not all(torch.equal(p, q) for p, q in zip(l2.parameters(), a[0].parameters()))


# ----- augmentation ---------------------------------------------------------------------------


def test_shift_images_moves_pixels_and_fills_zero():
    img = torch.arange(1, 10, dtype=torch.float32).reshape(1, 3, 3)
    right = R.shift_images(img, 1, 0)[0]
    torch.testing.assert_close(right, torch.tensor([[0.0, 1, 2], [0, 4, 5], [0, 7, 8]]))
    down = R.shift_images(img, 0, 1)[0]
    torch.testing.assert_close(down, torch.tensor([[0.0, 0, 0], [1, 2, 3], [4, 5, 6]]))
    with pytest.raises(ValueError, match="dx"):
        R.shift_images(img, 2, 0)


def test_random_shift_repeats_with_the_same_generator():
    x = torch.rand(50, 64, generator=torch.Generator().manual_seed(0))
    a = R.random_shift(x, torch.Generator().manual_seed(1))
    b = R.random_shift(x, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.equal(a, x)


# ----- views ----------------------------------------------------------------------------------


def _plotted_data_is_finite(fig):
    for ax in fig.axes:
        for line in ax.lines:
            for arr in (line.get_xdata(), line.get_ydata()):
                assert np.all(np.isfinite(np.asarray(arr, dtype=float))), ax.get_title()


@pytest.mark.parametrize("name,kwargs", [(n, kw) for n, sweeps in R.VIEW_SWEEPS.items() for kw in sweeps])
def test_every_view_sweep_draws_finite_data(name, kwargs):
    import warnings

    fn = getattr(R, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = fn(**kwargs)
        _plotted_data_is_finite(fig)
        fig = fn(**kwargs, fig=fig)  # the in-place redraw path too
        _plotted_data_is_finite(fig)
        fig.canvas.draw()


def test_polynomial_view_keeps_every_coefficient_inside_its_panel():
    fig = R.plot_polynomial_fit(degree=19, lam=1e-8)
    axc = fig.axes[1]
    low, high = axc.get_ylim()
    for line in axc.lines:
        assert np.all((line.get_ydata() >= low) & (line.get_ydata() <= high))
    assert all(float(t).is_integer() for t in axc.get_xticks())


def test_geometry_view_shows_the_whole_diamond_at_every_slider_setting():
    fig = None
    for lam in R.GEOMETRY_LAMS:
        fig = R.plot_penalty_geometry(lam=lam, fig=fig)
        for ax in fig.axes:
            ball = ax.lines[8].get_xydata()
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
            assert ball[:, 0].min() >= x0 and ball[:, 0].max() <= x1
            assert ball[:, 1].min() >= y0 and ball[:, 1].max() <= y1


def test_early_stopping_view_is_linear_and_its_title_follows_the_patience():
    fig = R.plot_early_stopping(patience=1)
    assert fig.axes[0].get_yscale() == "linear"
    steps, _, val, acc = R.early_stopping_curve()
    best, stop = R.early_stopping(val, 1)
    assert f"stop at step {steps[stop]}" in fig.axes[0].get_title()
    assert f"{100 * acc[best]:.1f} % test" in fig.axes[0].get_title()


def test_image_panels_have_a_frame_on_all_four_sides():
    fig = R.plot_augmentations()
    for ax in fig.axes:
        assert all(s.get_visible() for s in ax.spines.values())


@pytest.mark.parametrize("build", [lambda: R.plot_polynomial_fit(), lambda: R.plot_penalty_geometry(),
                                   lambda: R.plot_capacity_curve(), lambda: R.plot_augmentations(),
                                   lambda: R.plot_comparison(_small_table(), _small_more()),
                                   lambda: R.plot_decay_sweep(_small_sweep()),
                                   lambda: R.plot_sparse_recovery(*R.sparse_regression())])
def test_figures_fit_the_notebook_column(build):
    from utils.interactive import content_overflow_px

    fig = build()
    assert fig.get_figwidth() * fig.dpi <= 960 and content_overflow_px(fig) <= 1.0


# ----- checkers: the right answer in every form, and the wrong answers learners give -----------------


def _verdict(capsys, ok):
    out = capsys.readouterr().out
    assert out.count("✅") + out.count("❌") == 1, out  # one verdict per call
    return out


@pytest.mark.parametrize("answer", [[2.0, 0.0, 0.2, -1.0], (2, 0, 0.2, -1), np.array([2.0, 0, 0.2, -1]),
                                    torch.tensor([2.0, 0.0, 0.2, -1.0])])
def test_soft_threshold_checker_accepts_every_form_of_the_right_answer(answer, capsys):
    assert R.check_soft_threshold(answer)
    _verdict(capsys, True)


@pytest.mark.parametrize("answer, hint", [([1.5, -0.25, 0.6, -1.0], "proportional shrinkage"),
                                          ([2.0, 0.5, 0.2, -1.0], "stop at 0"),
                                          ([2.0, 0.0, 0.2, 0.0], "keep the sign"),
                                          ([2.0, -0.5, 0.2, -1.0], "off by"),
                                          ([2.0, 0.0, 0.2], "shape"),
                                          (None, "four numbers")])
def test_soft_threshold_checker_names_the_mistake(answer, hint, capsys):
    assert not R.check_soft_threshold(answer)
    assert hint in _verdict(capsys, False)


def _scaled_by_one_minus_p(x, p, generator):
    return x * (torch.rand(x.shape, generator=generator) >= p) * (1 - p)


DROPOUT_MUTANTS = {
    "returns x": (lambda x, p, generator: x, "unchanged"),
    "ignores x (returns the scaled mask)": (
        lambda x, p, generator: (torch.rand(x.shape, generator=generator) >= p).float() / (1 - p), "depend on x"),
    "F.dropout (global generator)": (lambda x, p, generator: F.dropout(x, p), "generator"),
    "deterministic mask": (lambda x, p, generator: x * (torch.arange(len(x)) % 10 >= 10 * p) / (1 - p), "random"),
    "torch.rand without generator": (lambda x, p, generator: x * (torch.rand(x.shape) >= p) / (1 - p), "generator"),
    "not scaled": (lambda x, p, generator: x * (torch.rand(x.shape, generator=generator) >= p), "not scaled"),
    "scaled by 1 - p": (_scaled_by_one_minus_p, "multiplied"),
    "keep probability p": (lambda x, p, generator: x * (torch.rand(x.shape, generator=generator) < p) / p,
                           "probability of dropping"),
    "a fresh draw per element order": (
        lambda x, p, generator: x * (torch.rand(x.shape, generator=generator).flip(0) >= p) / (1 - p), "mask"),
    "raises": (lambda x, p, generator: 1 / 0, "ZeroDivisionError"),
    "returns the mask too": (lambda x, p, generator: (x, x > 0), "one tensor"),
}


@pytest.mark.parametrize("name", DROPOUT_MUTANTS)
def test_dropout_checker_rejects_the_wrong_implementations_learners_write(name, capsys):
    fn, hint = DROPOUT_MUTANTS[name]
    assert not R.check_inverted_dropout(fn)
    assert hint in _verdict(capsys, False)


def test_dropout_checker_accepts_both_ways_of_drawing_the_mask(capsys):
    assert R.check_inverted_dropout(_right_dropout)
    assert R.check_inverted_dropout(lambda x, p, g: torch.where(torch.rand(x.shape, generator=g) < 1 - p,
                                                                x / (1 - p), torch.zeros_like(x)))
    assert R.check_inverted_dropout(lambda x, p, g: R.inverted_dropout(x, p, g)[0])
    assert "❌" not in capsys.readouterr().out


def _es_keep_last(losses, patience):
    best, stop = R.early_stopping(losses, patience)
    return stop, stop


def _es_late(losses, patience):
    return _mutant_stops(losses, patience, "late")


def _es_no_reset(losses, patience):
    return _mutant_stops(losses, patience, "no reset")


def _es_ties(losses, patience):
    return _mutant_stops(losses, patience, "ties")


def _es_never(losses, patience):
    return int(np.argmin(losses)), len(losses) - 1


def _es_early(losses, patience):
    return R.early_stopping(losses, patience + 1) if patience > 1 else (0, 0)


@pytest.mark.parametrize("fn, hint", [(_es_keep_last, "where training stopped"), (_es_late, "too late"),
                                      (_es_no_reset, "reset"), (_es_ties, "equal to the best"),
                                      (_es_never, "never stops"), (_es_early, "expected"),
                                      (lambda losses, patience: 3, "return two whole numbers")])
def test_early_stopping_checker_names_the_mistake(fn, hint, capsys):
    assert not R.check_early_stopping(fn)
    assert hint in _verdict(capsys, False)


def test_early_stopping_checker_accepts_a_right_answer(capsys):
    assert R.check_early_stopping(R.early_stopping)
    assert R.check_early_stopping(lambda losses, patience: tuple(np.int64(v) for v in R.early_stopping(losses,
                                                                                                      patience)))
    assert "❌" not in capsys.readouterr().out


def test_the_exercise_solution_matches_its_quoted_numbers():
    assert R.early_stopping(R.EXERCISE_LOSSES, 2) == (4, 6)


@pytest.mark.parametrize("answer", [0.769, 0.77, math.log(2) / (R.LR * R.DECAY_STEPS), np.float32(0.771),
                                    torch.tensor(0.771)])
def test_decay_checker_accepts_the_right_lambda_in_every_form(answer, capsys):
    assert R.check_decay_strength(answer)
    _verdict(capsys, True)


@pytest.mark.parametrize("answer, hint", [(0.5 / (R.LR * R.DECAY_STEPS), "compounds"),
                                          (1 - 0.5 ** (1 / R.DECAY_STEPS), "divide by the learning rate"),
                                          (0.5 / R.LR, "single step"), (0.5, "not the fraction"),
                                          (3.0, "ends at"), ("0.77", "one number"), (None, "placeholder"),
                                          (float("nan"), "one number")])
def test_decay_checker_names_the_mistake(answer, hint, capsys):
    assert not R.check_decay_strength(answer)
    assert hint in _verdict(capsys, False)


def test_decay_checker_answer_halves_the_weight():
    lam = (1 - 0.5 ** (1 / R.DECAY_STEPS)) / R.LR
    assert (1 - R.LR * lam) ** R.DECAY_STEPS == pytest.approx(0.5)


@pytest.mark.parametrize("answer", [{"a", "c", "e"}, ["A", "c", "e"], "a, c, e", ("e", "c", "a")])
def test_label_checker_accepts_the_right_set_in_every_form(answer, capsys):
    assert R.check_label_preserving(answer)
    _verdict(capsys, True)


@pytest.mark.parametrize("answer, hint", [({"a", "b", "c", "e"}, "mirrored"), ({"a", "c", "d", "e"}, "6 becomes"),
                                          ({"a", "c"}, "faint"), ({"c", "e"}, "shift"), ({"a", "z"}, "letters"),
                                          (None, "letters"), (3, "set of letters")])
def test_label_checker_names_the_mistake(answer, hint, capsys):
    assert not R.check_label_preserving(answer)
    assert hint in _verdict(capsys, False)


@pytest.mark.parametrize("call, name", [(lambda: R.decay_sweep(lams=()), "lams"),
                                        (lambda: R.capacity_curve(degrees=()), "degrees")])
def test_an_empty_sweep_is_refused_by_name(call, name):
    # issue 32: both failed with an IndexError deep inside NumPy
    with pytest.raises(ValueError, match=f"{name} must hold 1 or more values, got 0"):
        call()
