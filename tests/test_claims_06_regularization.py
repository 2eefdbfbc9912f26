"""Claims of notebook 06 (overfitting and regularisation): each test checks one sentence of the prose, quoted in its
docstring, through the same helper and arguments as the notebook, over the notebook's three seeds (`R.SEEDS`) or,
for the polynomial and regression experiments, over three data sets.

The digits runs are cached (module-scoped fixtures on top of the helpers' own caches), so the whole file trains each
run once: 48 runs of 300 steps, about 22 s of CPU on the shared 2-core machine.
"""

import numpy as np
import pytest

from utils import regularization as R

pytestmark = pytest.mark.claims
SEEDS = R.SEEDS
assert len(SEEDS) >= 3


@pytest.fixture(scope="module")
def table():
    return R.comparison()


@pytest.fixture(scope="module")
def sweep():
    return R.decay_sweep()


@pytest.fixture(scope="module")
def more():
    return R.more_data_runs(multiples=(1, 2, 4, 8), base=100)


def _row(table, name):
    return list(table["names"]).index(name)


def _gains(table):
    none = table["test acc"][_row(table, "none")]
    return {n: table["test acc"][i] - none for i, n in enumerate(table["names"]) if n != "none"}


# ----- section 1: polynomials -----------------------------------------------------------------------------------


def test_s1_prediction_validation_error_falls_then_rises_sharply():
    """Prediction CAPACITY: as the degree grows, the error on new points "falls, then rises sharply"."""
    assert R.CAPACITY.resolved_answer() == "falls, then rises sharply"


@pytest.mark.parametrize("seed", SEEDS)
def test_s1_unpenalised_degree_15_has_large_coefficients_and_the_penalty_tames_them(seed):
    """"its coefficients (right, log scale) are large. ... The penalty keeps every coefficient small and the curve
    smooth" (and the validation error in the title falls)."""
    w0, _, va0 = R.polynomial_fit(15, 0.0, seed)
    w, _, va = R.polynomial_fit(15, 0.1, seed)
    assert np.linalg.norm(w0) > 10 * np.linalg.norm(w) and np.abs(w).max() < 3
    assert va < va0 / 10


@pytest.mark.parametrize("seed", SEEDS)
def test_s1_degree_15_cannot_pass_through_all_points_but_degree_19_does(seed):
    """"With 16 coefficients it cannot pass through all 20 points" / "at degree 19 the polynomial passes through all
    20 points"."""
    _, tr15, _ = R.polynomial_fit(15, 0.0, seed)
    _, tr19, _ = R.polynomial_fit(19, 0.0, seed)
    assert tr15 > 1e-3 and tr19 < 1e-12


@pytest.mark.parametrize("seed", SEEDS)
def test_s1_validation_error_falls_to_a_best_degree_then_grows_by_orders_of_magnitude(seed):
    """"Training error keeps falling as the degree grows ... The validation error falls until the best degree
    printed above, then grows by many orders of magnitude"."""
    d, tr, va = R.capacity_curve(lam=0.0, seed=seed)
    assert np.all(np.diff(tr) <= 1e-12)
    best = int(np.argmin(va))
    assert 0 < best < len(d) - 1 and va[-1] > 1e6 * va[best]


@pytest.mark.parametrize("seed", SEEDS)
def test_s1_with_the_penalty_the_worst_validation_error_is_about_ten_times_the_best(seed):
    """"With the penalty (dashed) the worst validation error is only about ten times the best" (seeds 1 and 2: "the
    same holds there")."""
    _, _, va = R.capacity_curve(lam=0.1, seed=seed)
    assert 5 < va.max() / va.min() < 15


@pytest.mark.parametrize("seed", SEEDS)
def test_s1_things_to_try_degree_3_alike_and_lambda_10_underfits(seed):
    """Things to try: "Degree 3. Both curves look alike" and "Degree 15, λ = 10. The blue curve becomes too flat: a
    too-strong penalty underfits"."""
    _, _, va3 = R.polynomial_fit(3, 0.0, seed)
    _, _, va3p = R.polynomial_fit(3, 0.1, seed)
    assert abs(va3p - va3) < 0.2 * va3
    _, tr10, va10 = R.polynomial_fit(15, 10.0, seed)
    _, tr01, va01 = R.polynomial_fit(15, 0.1, seed)
    assert tr10 > tr01 and va10 > va01


# ----- section 2: L2, weight decay, Adam and AdamW ----------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_s2_penalty_weight_decay_and_shrink_factor_agree_under_sgd(seed):
    """"The differences are at rounding level" (penalty in the loss, SGD's weight_decay, (1 − ηλ) by hand)."""
    for diff in R.sgd_decay_equivalence(lam=0.01, lr=0.1, steps=50, seed=seed).values():
        assert diff < 1e-12


def test_s2_prediction_adamw_shrinks_by_less_than_ten_percent():
    """Prediction ADAMW_SHRINK: AdamW at λ = 0.03 shrinks the final weight norm "by less than 10 %"."""
    assert R.ADAMW_SHRINK.resolved_answer() == "by less than 10 %"


def _at(sweep, lam):
    return int(np.argmin(np.abs(sweep["lams"] - lam)))


def test_s2_adam_with_l2_at_003_halves_the_weights_and_raises_accuracy(sweep):
    """"With the penalty inside Adam, λ = 0.03 shrinks the weight norm to less than half of the unregularised one and
    raises the test accuracy"."""
    i = _at(sweep, 0.03)
    assert np.all(sweep["Adam + L2"]["weight norm"][i] < 0.5 * sweep["none norm"])
    assert np.all(sweep["Adam + L2"]["test acc"][i] > sweep["none acc"])


def test_s2_adam_with_l2_collapses_to_chance_from_03(sweep):
    """"From λ = 0.3 on, the net collapses to chance (about 10 % test accuracy, weights near 0) in every seed"."""
    big = sweep["lams"] >= 0.3
    assert big.sum() >= 2
    assert np.all(sweep["Adam + L2"]["test acc"][big] < 0.15)
    assert np.all(sweep["Adam + L2"]["weight norm"][big] < 0.1)


def test_s2_adamw_at_003_and_03_barely_changes_weights_and_accuracy(sweep):
    """"AdamW at λ = 0.03 leaves the weights and the accuracy almost unchanged, and at λ = 0.3 it shrinks the weights
    by about a tenth without changing the accuracy by more than a point"."""
    w, a = sweep["AdamW"]["weight norm"], sweep["AdamW"]["test acc"]
    i, j = _at(sweep, 0.03), _at(sweep, 0.3)
    assert np.all(np.abs(w[i] / sweep["none norm"] - 1) < 0.05)
    assert np.all(np.abs(a[i] - sweep["none acc"]) <= 0.01)
    assert np.all((w[j] / sweep["none norm"] > 0.85) & (w[j] / sweep["none norm"] < 0.95))
    assert np.all(np.abs(a[j] - sweep["none acc"]) <= 0.01)


def test_s2_adamw_at_3_halves_the_weights_and_raises_accuracy_in_every_seed(sweep):
    """"at λ = 3 it shrinks the weights by about half and raises the test accuracy in every seed"."""
    i = _at(sweep, 3.0)
    ratio = sweep["AdamW"]["weight norm"][i] / sweep["none norm"]
    assert np.all((ratio > 0.4) & (ratio < 0.65))
    assert np.all(sweep["AdamW"]["test acc"][i] > sweep["none acc"])


def test_exercise_4_solution_numbers():
    """Exercise 4's solution: λ ≈ 0.769; "Section 2's λ = 3 is about four times this, so there the decay alone would
    leave about (1 − 0.009)^300 ≈ 0.07 of a weight"."""
    lam = (1 - 0.5 ** (1 / 300)) / R.LR
    assert round(lam, 3) == 0.769 and round(3.0 / lam) == 4
    assert round((1 - R.LR * 3.0) ** 300, 2) == 0.07


# ----- section 3: L1 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_s3_ista_matches_the_closed_forms_of_an_orthonormal_design(seed):
    """"The markers are the helper's numerical (ISTA) solutions; the lines are the closed forms" (they agree)."""
    X, y = R.orthonormal_design(seed=seed)
    z = X.T @ y
    assert np.abs(R.penalized_least_squares(X, y, 1.0, "l1") - R.soft_threshold(z, 1.0)).max() < 1e-10
    assert np.abs(R.penalized_least_squares(X, y, 1.0, "l2") - z / 2).max() < 1e-10


@pytest.mark.parametrize("seed", SEEDS)
def test_s3_l1_finds_the_relevant_features_ridge_keeps_all(seed):
    """"The two supports printed above agree: L1 found the relevant features, while ridge keeps all 40 coefficients
    non-zero"."""
    X, y, w_true = R.sparse_regression(seed=seed)
    w1 = R.penalized_least_squares(X, y, 0.2, "l1", steps=3000)
    assert set(np.flatnonzero(w1)) == set(np.flatnonzero(w_true))
    assert np.all(R.ridge(X, y, 0.5) != 0)


def test_s3_at_lambda_1_the_l1_solution_is_sparse_and_the_l2_one_is_not():
    """"At the default λ = 1 the L1 solution has w₂ = 0 exactly ..., while the L2 solution keeps both weights"."""
    w1, w2 = R.geometry_solutions(1.0)
    assert w1[1] == 0 and w1[0] != 0 and np.all(w2 != 0)


def test_s3_prediction_no_l1_weight_is_exactly_zero():
    """Prediction L1_ZEROS: the fraction of exactly-zero weights is "none at all"."""
    assert R.L1_ZEROS.resolved_answer() == "none at all"


@pytest.mark.parametrize("seed", SEEDS)
def test_s3_l1_under_adam_gives_many_tiny_weights_but_no_exact_zero(seed):
    """"No weight is exactly zero, although the L1 net has many more tiny weights than the unregularised one"."""
    stats = R.l1_weight_stats(seed=seed)
    assert stats["L1"]["exactly zero"] == 0 and stats["none"]["exactly zero"] == 0
    assert stats["L1"]["below 1e-3"] > 10 * stats["none"]["below 1e-3"]


# ----- section 4: dropout ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_s4_our_dropout_agrees_with_torch(seed):
    """The comparison with torch.nn.Dropout: same mean, same fraction zeroed, identity in evaluation."""
    out = R.dropout_vs_torch(p=0.3, n=1_000_000, seed=seed)
    assert abs(out["ours mean"] - out["input mean"]) < 5e-3 and abs(out["torch mean"] - out["input mean"]) < 5e-3
    assert abs(out["ours zeroed"] - 0.3) < 2e-3 and abs(out["torch zeroed"] - 0.3) < 2e-3
    assert out["kept values are x / (1 - p)"] and out["ours identity in eval"] and out["torch identity in eval"]


@pytest.mark.parametrize("seed", SEEDS)
def test_s4_without_dropout_the_net_memorises_and_test_accuracy_falls_dropout_ends_higher(table, seed):
    """"Without dropout the network fits every training label, wrong ones included, within the 300 steps. Its test
    accuracy peaks early and then falls ... With dropout the training accuracy stays below 100 % and the final test
    accuracy is higher, in all three seeds"."""
    none = R.run_regulariser("none", seed=seed)[1]
    drop = R.run_regulariser("dropout", seed=seed)[1]
    assert R.first_step_at_full_training_accuracy(none) is not None
    peak = int(np.argmax(none.test_acc))
    assert none.step[peak] <= 100 and none.test_acc[peak] - none.test_acc[-1] > 0.05
    assert drop.train_acc[-1] < 1.0 and drop.test_acc[-1] > none.test_acc[-1]


# ----- section 5: augmentation ----------------------------------------------------------------------------------


def test_s5_augmentation_raises_test_accuracy_in_every_seed(table):
    """"Augmentation raises the test accuracy in every seed"."""
    assert np.all(_gains(table)["augmentation"] > 0)


# ----- section 6: early stopping --------------------------------------------------------------------------------


def _kept(seed, patiences=(1, 2, 5, 20)):
    steps, _, val, acc = R.early_stopping_curve(seed=seed)
    return {p: (steps[R.early_stopping(val, p)[0]], acc[R.early_stopping(val, p)[0]],
                steps[R.early_stopping(val, p)[1]]) for p in patiences}


def test_s6_validation_loss_is_u_shaped_with_bumps():
    """"The validation loss falls, reaches its lowest point within the first few dozen steps, and then climbs ... It
    is not smooth: it has small bumps"."""
    for seed in SEEDS:
        steps, _, val, _ = R.early_stopping_curve(seed=seed)
        best = int(np.argmin(val))
        assert steps[best] <= 100 and val[-1] > 1.5 * val[best]
        assert np.any(np.diff(val[best:]) < 0)  # it does not climb smoothly


def test_s6_in_seed_0_patience_1_stops_at_a_bump_and_keeps_worse_weights():
    """"In seed 0 (the figure) a bump comes before the real minimum: with patience 1, training stops there and keeps
    earlier weights with a lower test accuracy. A larger patience waits past the bump"."""
    kept = _kept(0)
    assert kept[1][0] < kept[2][0] and kept[1][1] < kept[2][1]


def test_s6_in_seeds_1_and_2_every_patience_keeps_the_same_weights():
    """"In seeds 1 and 2 the first rise is already the real one, and every patience keeps the same weights"."""
    for seed in SEEDS[1:]:
        assert len({step for step, _, _ in _kept(seed).values()}) == 1


def test_s6_larger_patience_never_keeps_worse_weights_and_costs_steps():
    """"In all three seeds a larger patience never kept worse weights; beyond a few evaluations it only costs
    steps"."""
    for seed in SEEDS:
        kept = _kept(seed)
        accs = [kept[p][1] for p in sorted(kept)]
        stops = [kept[p][2] for p in sorted(kept)]
        assert all(b >= a for a, b in zip(accs, accs[1:])) and all(b > a for a, b in zip(stops, stops[1:]))
        assert kept[5][0] == kept[20][0]


# ----- section 7: more data -------------------------------------------------------------------------------------


def test_s7_each_doubling_lifts_final_test_accuracy_and_only_100_images_are_memorised(more):
    """"Each doubling of the data lifts the final test accuracy, in every seed ... Only the 100 images are memorised
    completely (100 % training accuracy)"."""
    finals = np.array([[h.test_acc[-1] for h in hs] for hs in more.values()])  # (sizes, seeds)
    assert np.all(np.diff(finals, axis=0) > 0)
    train = {n: [h.train_acc[-1] for h in hs] for n, hs in more.items()}
    assert all(a == 1.0 for a in train[100]) and all(a < 1.0 for n in (200, 400, 800) for a in train[n])


# ----- section 8: the comparison --------------------------------------------------------------------------------


def test_s8_prediction_800_plain_images_beat_the_regularised_100():
    """Prediction COMBINATION_VS_DATA: "the plain net with 800 images" scores higher."""
    assert R.COMBINATION_VS_DATA.resolved_answer() == "the plain net with 800 images"


def test_s8_without_a_regulariser_every_training_label_is_memorised(table):
    """"Without a regulariser the net memorises all 100 training labels, wrong ones included (100 % training
    accuracy)"."""
    assert np.all(table["train acc"][_row(table, "none")] == 1.0)


def test_s8_every_regulariser_but_batch_norm_helps_in_every_seed_with_large_spread(table):
    """"Every regulariser except batch norm raises the test accuracy over no regulariser in every seed. The gains
    vary a lot from seed to seed"."""
    for name, gain in _gains(table).items():
        if name != "batch norm":
            assert np.all(gain > 0), name
            assert gain.max() - gain.min() > 0.03, name


def test_s8_batch_norm_gains_nothing_and_memorises(table):
    """"Batch norm gains nothing here, although its batch statistics are noisy (mini-batches of 20): it also reaches
    100 % training accuracy"."""
    assert R.BATCH_SIZE == 20
    assert np.all(_gains(table)["batch norm"] < 0.01) and _gains(table)["batch norm"].mean() <= 0
    assert np.all(table["train acc"][_row(table, "batch norm")] == 1.0)


def test_s8_early_stopping_has_the_lowest_training_accuracy(table):
    """"Early stopping has the lowest training accuracy in every seed"."""
    assert np.all(np.argmin(table["train acc"], axis=0) == _row(table, "early stopping"))


def test_s8_l2_has_the_smallest_weight_norm_and_l1_the_smallest_helping_gain(table):
    """"The L2 penalty gives the smallest ‖W‖ in every seed. L1 has the smallest mean gain of the regularisers that
    help"."""
    assert np.all(np.argmin(table["weight norm"], axis=0) == _row(table, "L2"))
    helping = {n: g.mean() for n, g in _gains(table).items() if np.all(g > 0)}
    assert min(helping, key=helping.get) == "L1"


def test_s8_combination_has_the_largest_mean_gain_but_not_in_every_seed(table):
    """"The combination of dropout, augmentation and early stopping has the largest mean gain of all regularisers,
    but it does not beat every single one in every seed"."""
    gains = _gains(table)
    assert max(gains, key=lambda n: gains[n].mean()) == R.COMBINATION
    singles = np.array([g for n, g in gains.items() if n != R.COMBINATION])
    assert np.any(singles >= gains[R.COMBINATION])


def test_s8_eight_times_the_data_beats_every_regulariser_in_every_seed(table, more):
    """"The unregularised net with 8× the data beats every regulariser in every seed, by a wide margin"."""
    data8 = np.array([h.test_acc[-1] for h in more[800]])
    best_regulariser = table["test acc"].max(axis=0)
    assert np.all(data8 > best_regulariser + 0.05)
