"""Tests for utils.regularization: penalties, proximal steps, inverted dropout, early stopping, views, checkers."""


import numpy as np
import pytest
import torch
from torch import nn

from utils import regularization as R

# ----- penalties ---------------------------------------------------------------------------------


def test_penalties_match_hand_computed_values():
    w = [torch.tensor([1.0, -2.0]), torch.tensor([[3.0]])]
    assert R.l2_penalty(w, 0.5).item() == pytest.approx(0.5 * 0.5 * (1 + 4 + 9))
    assert R.l1_penalty(w, 0.5).item() == pytest.approx(0.5 * (1 + 2 + 3))


def test_l2_penalty_gradient_is_lambda_times_w():
    w = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    R.l2_penalty(w, 0.3).backward()
    torch.testing.assert_close(w.grad, 0.3 * w.detach(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("fn", [R.l1_penalty, R.l2_penalty, R.proportional_shrink])
def test_negative_lambda_raises(fn):
    arg = torch.ones(3) if fn is not R.proportional_shrink else np.ones(3)
    with pytest.raises(ValueError, match="-0.1"):
        fn(arg, -0.1)


def test_negative_threshold_and_bad_penalty_name_raise():
    with pytest.raises(ValueError, match="threshold"):
        R.soft_threshold(np.ones(2), -1.0)
    with pytest.raises(ValueError, match="l3"):
        R.proximal_step(np.ones(2), np.ones(2), 0.1, 0.1, penalty="l3")
    with pytest.raises(ValueError, match="l1"):
        R.fit(R.build_model(hidden=4), R.digits_task(20), steps=1, l1=-1.0)


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
    obj = lambda w: R._loss2d(w) + 1.0 * np.abs(w).sum()  # noqa: E731
    for d in ([1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3]):
        assert obj(w1 + np.array(d)) >= obj(w1) - 1e-12


# ----- weight decay ---------------------------------------------------------------------------


def test_weight_decay_equals_l2_penalty_under_sgd():
    diffs = R.sgd_decay_equivalence(lam=0.05, lr=0.2, steps=30)
    for name, d in diffs.items():
        assert d < 1e-12, name


def test_adam_weight_decay_differs_from_adamw():
    torch.manual_seed(0)
    x, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
    results = {}
    for cls in (torch.optim.Adam, torch.optim.AdamW):
        torch.manual_seed(1)
        model = nn.Linear(5, 3)
        opt = cls(model.parameters(), lr=0.01, weight_decay=0.1)
        for _ in range(50):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        results[cls.__name__] = model.weight.detach().clone()
    assert (results["Adam"] - results["AdamW"]).abs().max() > 1e-3


def test_fit_adam_with_l2_penalty_equals_torch_adam_weight_decay():
    data = R.digits_task(40)
    m1, m2 = R.build_model(hidden=8, seed=3), R.build_model(hidden=8, seed=3)
    R.fit(m1, data, steps=20, l2=0.1, eval_every=20)
    # torch's Adam(weight_decay) adds lam * w to every parameter's gradient; do it only on weights by hand
    opt = torch.optim.Adam([{"params": R.weights_of(m2), "weight_decay": 0.1},
                            {"params": [p for n, p in m2.named_parameters() if n.endswith("bias")]}], lr=3e-3)
    for _ in range(20):
        opt.zero_grad()
        nn.functional.cross_entropy(m2(data.x_train), data.y_train).backward()
        opt.step()
    for a, b in zip(m1.parameters(), m2.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


# ----- dropout --------------------------------------------------------------------------------


def test_inverted_dropout_preserves_mean_like_torch_dropout():
    x = torch.rand(1_000_000) + 0.5
    p = 0.3
    ours, keep = R.inverted_dropout(x, p, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    theirs = nn.Dropout(p).train()(x)
    # std of the mean of 1e6 dropout outputs is about 1e-3 here; 5e-3 is a five-sigma tolerance
    assert ours.mean().item() == pytest.approx(x.mean().item(), abs=5e-3)
    assert ours.mean().item() == pytest.approx(theirs.mean().item(), abs=5e-3)
    assert (ours == 0).float().mean().item() == pytest.approx(p, abs=2e-3)
    assert (theirs == 0).float().mean().item() == pytest.approx(p, abs=2e-3)
    torch.testing.assert_close(ours[keep], x[keep] / (1 - p))
    assert ours.std().item() == pytest.approx(theirs.std().item(), rel=1e-2)


def test_inverted_dropout_is_exact_identity_in_eval_like_torch():
    x = torch.randn(1000)
    layer = R.InvertedDropout(0.5).eval()
    assert torch.equal(layer(x), x)
    assert torch.equal(nn.Dropout(0.5).eval()(x), x)
    out, mask = R.inverted_dropout(x, 0.9, training=False)
    assert torch.equal(out, x) and mask is None


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_probability_outside_unit_interval_raises(p):
    with pytest.raises(ValueError, match=str(p)):
        R.inverted_dropout(torch.ones(3), p)
    with pytest.raises(ValueError, match="p must be in"):
        R.InvertedDropout(p)


# ----- early stopping -------------------------------------------------------------------------


def test_early_stopping_finds_best_and_stop_index():
    losses = [5, 4, 3, 3.5, 2.9, 3.0, 3.1, 3.2, 1.0]
    assert R.early_stopping(losses, patience=3) == (4, 7)
    assert R.early_stopping(losses, patience=1) == (2, 3)
    assert R.early_stopping(losses, patience=10) == (8, 8)


@pytest.mark.parametrize("patience", [0, -2])
def test_patience_below_one_raises(patience):
    with pytest.raises(ValueError, match="patience"):
        R.early_stopping([1.0, 2.0], patience)
    with pytest.raises(ValueError, match="patience"):
        R.fit(R.build_model(hidden=4), R.digits_task(20), steps=2, patience=patience)


def test_fit_with_patience_restores_best_weights():
    data = R.digits_task(40)
    model = R.build_model(hidden=16, seed=0)
    hist = R.fit(model, data, steps=200, lr=1e-2, patience=2, eval_every=5)
    best_i, stop_i = R.early_stopping(hist.val_loss, 2)
    assert stop_i == len(hist.val_loss) - 1 < 200 // 5 - 1  # it stopped early
    restored = nn.functional.cross_entropy(model.eval()(data.x_val), data.y_val).item()
    assert restored == pytest.approx(hist.val_loss[best_i], rel=1e-5)


# ----- the lesson's noisy digits task and its runs ----------------------------------------------


def test_digits_task_mislabels_about_the_requested_fraction_and_keeps_validation_clean():
    clean, noisy = R.digits_task(800, label_noise=0.0), R.digits_task(800, label_noise=0.2)
    torch.testing.assert_close(noisy.x_train, clean.x_train)
    assert torch.equal(noisy.y_val, clean.y_val)
    wrong = noisy.y_train != clean.y_train
    assert 0.15 < wrong.float().mean().item() < 0.25  # 800 draws: std of the fraction is 0.014
    assert R.wrong_labels(800, label_noise=0.2) == int(wrong.sum())
    # clean labels are the true digit labels of those images
    x_all, y_all = R._digits_arrays()
    first = int(torch.nonzero((x_all == clean.x_train[0]).all(1))[0])
    assert int(y_all[first]) == int(clean.y_train[0])


def test_digits_task_larger_sets_contain_the_smaller_ones_wrong_labels_included():
    small, large = R.digits_task(100), R.digits_task(400)
    assert torch.equal(large.x_train[:100], small.x_train)
    assert torch.equal(large.y_train[:100], small.y_train)
    assert torch.equal(large.x_val, small.x_val)


@pytest.mark.parametrize("kwargs", [{"label_noise": 1.0}, {"label_noise": -0.1}, {"n_train": 0},
                                    {"n_train": 2.5}, {"n_train": 5000}])
def test_digits_task_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError, match="label_noise" if "label_noise" in kwargs else "n_train"):
        R.digits_task(**{"n_train": 50, **kwargs})


def test_trained_runs_are_cached_per_setting():
    a, b = R.trained({}, n_train=20, steps=3), R.trained({}, n_train=20, steps=3)
    assert a[0] is b[0]
    c = R.trained({"l2": 0.1}, n_train=20, steps=3)
    assert c[0] is not a[0]


def test_lesson_run_overfits_and_early_stopping_catches_it():
    # the story of sections 6 and 8: the unregularised net memorises the wrong labels, its validation
    # loss is U-shaped, and early stopping (+ dropout + augmentation) beats it on validation accuracy
    steps, _, val = R.early_stopping_curve()
    best, _ = R.early_stopping(val, 5)
    assert 0 < best < len(val) // 3 and val[-1] > 2 * val[best]
    rows = R.comparison_table(names=("none", "early stopping"))[0]
    assert rows[0]["train acc"] == 1.0  # all 100 labels fitted, wrong ones included
    assert rows[1]["val acc"] > rows[0]["val acc"] + 0.05
    assert rows[1]["gap"] < rows[0]["gap"] / 2


# ----- augmentation ---------------------------------------------------------------------------


def test_shift_images_moves_pixels_and_fills_zero():
    img = torch.arange(1, 10, dtype=torch.float32).reshape(1, 3, 3)
    right = R.shift_images(img, 1, 0)[0]
    torch.testing.assert_close(right, torch.tensor([[0.0, 1, 2], [0, 4, 5], [0, 7, 8]]))
    down = R.shift_images(img, 0, 1)[0]
    torch.testing.assert_close(down, torch.tensor([[0.0, 0, 0], [1, 2, 3], [4, 5, 6]]))
    with pytest.raises(ValueError):
        R.shift_images(img, 2, 0)


# ----- views and checkers ---------------------------------------------------------------------


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


def test_polynomial_overfit_has_large_coefficients_and_penalty_tames_them():
    w0, tr0, va0 = R.polynomial_fit(15, 0.0)
    w, tr, va = R.polynomial_fit(15, 1e-3)
    assert np.linalg.norm(w0) > 10 * np.linalg.norm(w)
    assert tr0 < tr and va0 > va


def test_soft_threshold_checker_accepts_right_and_rejects_wrong(capsys):
    assert R.check_soft_threshold([2.0, 0.0, 0.2, -1.0])
    assert not R.check_soft_threshold([1.5, -0.25, 0.6, -1.0])  # proportional shrinkage
    assert not R.check_soft_threshold([2.0, -0.5, 0.2, -1.0])
    assert not R.check_soft_threshold(None)
    assert "❌" in capsys.readouterr().out


def test_dropout_checker_accepts_right_and_rejects_wrong():
    def right(x, p, generator):
        return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)

    def unscaled(x, p, generator):
        return x * (torch.rand(x.shape, generator=generator) >= p)

    def broken(x, p, generator):
        raise RuntimeError("oops")

    assert R.check_inverted_dropout(right)
    assert not R.check_inverted_dropout(unscaled)
    assert not R.check_inverted_dropout(lambda x, p, generator: x)
    assert not R.check_inverted_dropout(broken)
