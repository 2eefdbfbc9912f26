"""Claims of notebook 05 (dead ReLUs): each test checks one sentence of the prose, through the helper the notebook
calls with the notebook's arguments, over several seeds.  Runs in well under a minute on the 2-core CPU."""

import numpy as np
import pytest

from utils import dead_relu as dr
from utils.dead_relu.exercises import _killing_lr

pytestmark = pytest.mark.claims
SEEDS = (0, 1, 2)
BASE = "ReLU (baseline)"


@pytest.fixture(scope="module")
def sweeps():
    return {s: dr.lr_sweep(seed=s) for s in SEEDS}


@pytest.fixture(scope="module")
def remedies():
    runs = dr.compare_remedies(lr=dr.REMEDY_LR, weight_decay=1e-3, seeds=dr.REMEDY_SEEDS)
    low = dr.compare_remedies(lr=0.5, weight_decay=1e-3, seeds=dr.REMEDY_SEEDS)
    return runs, {r["name"]: r for r in dr.summarise_remedies(runs)}, {r["name"]: r for r in dr.summarise_remedies(low)}


def _by(runs, name):
    return {r["seed"]: r for r in runs if r["name"] == name}


def test_s2_first_layer_units_die_in_jumps_first_within_ten_steps(sweeps):
    """"They die in jumps: the first ones within the first ten steps ..., the rest in further jumps later on." """
    for s, sw in sweeps.items():
        n = dr.first_layer_dead_counts(sw, dr.LARGE_LR)
        died = sw["steps"][1:][np.diff(n) > 0]
        assert died[0] <= 20, (s, died)            # the first snapshot after a death: step 10 or 20
        assert len(died) >= 2 and died[-1] > 20


def test_s3_up_to_lr_1_first_layer_unchanged_second_layer_changes_by_a_few_units(sweeps):
    """"Up to η = 1 the first layer ends exactly as it was born, and the second layer changes by a few units only ...
    some second-layer units even come back" """
    for sw in sweeps.values():
        small = sw["lrs"] <= 1.0 + 1e-9
        np.testing.assert_array_equal(sw["dead"][-1, small, 0], sw["dead"][0, small, 0])
        assert np.all(np.abs(sw["dead"][-1, small, 1] - sw["dead"][0, small, 1]) <= 4 / 32 + 1e-9)
    assert any(np.any(sw["dead"][-1, :, 1] < sw["dead"][0, :, 1]) for sw in sweeps.values())


def test_s3_beyond_threshold_dead_climbs_and_at_the_largest_rates_accuracy_collapses(sweeps):
    """"Beyond the threshold the dead fraction climbs steeply. At the largest rates almost all of the second layer is
    gone and the validation accuracy collapses." """
    for sw in sweeps.values():
        big = sw["lrs"] >= 3.0
        assert np.all(sw["dead"][-1, big, 1] >= 0.9) and np.all(sw["dead"][-1, big, 0] >= 0.35)
        assert sw["dead"][-1, -1, 1] >= 0.99 and sw["val_acc"][-1] <= 0.5


def test_prediction_layer2_dead_at_large_lr_over_half(sweeps):
    """Prediction LAYER2_DEAD_AT_LARGE_LR: over 50 % of the second layer ends dead at lr 3.16 (every seed)."""
    assert dr.LAYER2_DEAD_AT_LARGE_LR.resolved_answer() == "over 50 %"
    for sw in sweeps.values():
        k = dr.lr_index(dr.LARGE_LR)
        assert sw["dead"][-1, k, 1] > 0.5
        assert sw["dead"][-1, k, 1] > sw["dead"][-1, k, 0]      # its "why": the second layer loses more


def test_s3_seed0_most_of_layer2_dead_yet_accurate(sweeps):
    """"the row η = 3.16: 91 % of the second layer is dead, yet the validation accuracy is 99 % ... (This happens for
    this seed; with other seeds the accuracy at 3.16 also drops.)" """
    k = dr.lr_index(dr.LARGE_LR)
    assert round(100 * sweeps[0]["dead"][-1, k, 1]) == 91 and round(100 * sweeps[0]["val_acc"][k]) == 99
    assert all(sweeps[s]["val_acc"][k] < 0.9 for s in (1, 2))


def test_s3_deaths_over_time_by_learning_rate(sweeps):
    """"At the largest rate every death happens within the first ten steps. At η ≈ 3 the first units die early and
    more die in jumps through the run. At η ≈ 1.8 the first unit dies only after a hundred or so steps. At η = 1 no
    first-layer unit dies within these 300 steps" """
    for s, sw in sweeps.items():
        def deaths(lr, sw=sw):
            n = dr.first_layer_dead_counts(sw, lr)
            return sw["steps"][1:][np.diff(n) > 0]
        assert list(deaths(10.0)) == [10], s
        d3 = deaths(10 ** 0.5)
        assert d3[0] <= 20 and len(d3) >= 3, (s, d3)
        assert deaths(10 ** 0.25)[0] >= 70, s
        assert len(deaths(1.0)) == 0, s


def test_s3_long_run_details_seed0():
    """"At η = 1 the count stays at the 1 unit that was dead at birth for all 3000 steps; at η = 1.78 it rises from 1
    to 8, the last death near step 760." """
    long = dr.train_lr_sweep([1.0, 1.78], steps=3000)
    n1, n2 = dr.first_layer_dead_counts(long, 1.0), dr.first_layer_dead_counts(long, 1.78)
    assert n1[0] == n1[-1] == 1 and n1.max() == 1
    assert n2[0] == 1 and n2[-1] == 8
    assert long["steps"][1:][np.diff(n2) > 0][-1] == 760


def test_s4_negative_bias_and_tiny_weights_kill_at_birth():
    """"two ways to get there: shift every bias down, or make the weights so small that the bias decides the sign on
    its own. In the second case roughly every unit with a negative bias is dead." """
    for s in SEEDS:
        by_shift, by_gain = dr.dead_at_birth((-1.0, -0.5, -0.25, 0.0, 0.25), (0.01, 0.1, 0.3, 1.0, 3.0),
                                             n_nets=20, seed=s)
        assert np.all(np.diff(by_shift) < 0) and by_shift[0] > 0.5
        assert by_gain[0] == pytest.approx(0.5, abs=0.05) and np.all(np.diff(by_gain) <= 0)


def test_s4_narrow_nets_born_dead_and_rai_lowers_but_does_not_remove_it():
    """"at width 2 most nets are already constant at depth 10 ... Wherever the He-initialised nets are born dead more
    than 1 % of the time, RAI lowers the probability, but it does not remove it: at width 2 and depth 30 most nets
    are still born dead." """
    for s in SEEDS:
        he = dr.born_dead_probability(dr.BORN_DEAD_DEPTHS, dr.BORN_DEAD_WIDTHS, n_nets=4000, n_inputs=64, seed=s)
        rai = dr.born_dead_probability(dr.BORN_DEAD_DEPTHS, dr.BORN_DEAD_WIDTHS, n_nets=4000, n_inputs=64, seed=s,
                                       init="rai")
        assert he[0, 9] > 0.5
        assert np.all(rai[he > 0.01] < he[he > 0.01])
        assert rai[0, 29] > 0.5
        assert np.all(np.diff(he, axis=0) <= 0.02)        # wider is safer
    assert dr.BORN_DEAD_NARROW.resolved_answer() == "over 50 %"


def test_s5_lower_rate_fewer_dead_in_every_seed_and_about_as_many_as_at_birth(remedies):
    """"Lowering the learning rate ... in every seed it ends with fewer dead units than the baseline, and on average
    with about as many as were dead at birth." """
    _, rows, _ = remedies
    r = rows["ReLU, lr ÷ 10"]
    assert r["fewer_dead_than_baseline"] == r["n_runs"] == 5
    assert abs(r["dead_mean"] - r["dead_at_birth"]) < 0.03


def test_s5_warmup_helps_on_average_not_in_every_seed_and_costs_accuracy_in_some(remedies):
    """"Warm-up ... helps on average but not in every seed, and it costs accuracy in some seeds." """
    runs, rows, _ = remedies
    r = rows["ReLU, warm-up 100 steps"]
    assert r["dead_mean"] < rows[BASE]["dead_mean"] and r["fewer_dead_than_baseline"] < r["n_runs"]
    base, warm = _by(runs, BASE), _by(runs, "ReLU, warm-up 100 steps")
    assert any(warm[s]["val_acc"] < base[s]["val_acc"] - 0.02 for s in base)


def test_s5_batchnorm_fewest_dead_fewer_in_every_seed_and_below_birth(remedies):
    """"Batch normalisation before the ReLU has the fewest dead units: fewer than the baseline in every seed and, on
    average, fewer than at birth." """
    _, rows, _ = remedies
    bn = rows["BatchNorm before ReLU"]
    assert bn["fewer_dead_than_baseline"] == 5 and bn["dead_mean"] < bn["dead_at_birth"]
    assert bn["dead_mean"] == min(r["dead_mean"] for r in rows.values() if r["n_diverged"] < r["n_runs"])


def test_s5_leaky_fewer_on_average_not_every_seed(remedies):
    """"Leaky ReLU (α = 0.01) ends with fewer units that never see a positive input than plain ReLU on average, but
    not in every seed" """
    _, rows, _ = remedies
    r = rows["Leaky ReLU (α = 0.01)"]
    assert r["dead_mean"] < rows[BASE]["dead_mean"] and r["fewer_dead_than_baseline"] < 5 and r["n_diverged"] == 0


def test_s5_prelu_and_elu_diverge_at_lr_2_and_every_variant_trains_at_0_5(remedies):
    """"PReLU and ELU diverged in every seed at η = 2, while at η = 0.5 every variant trains." """
    _, rows, low = remedies
    assert rows["PReLU (α not decayed)"]["n_diverged"] == 5 and rows["ELU"]["n_diverged"] == 5
    assert all(r["n_diverged"] == 0 for r in low.values())
    assert dr.PRELU_DIVERGES.resolved_answer() == "all 5"


def test_s5_initialisations_fewest_at_birth_but_not_fewer_than_baseline_in_every_seed(remedies):
    """"The initialisations (Kaiming with zero or 0.1 bias, RAI) start with the fewest dead units, yet none of them
    ends with fewer dead units than the baseline in every seed." """
    _, rows, _ = remedies
    inits = ("Kaiming init, zero bias", "Kaiming init, bias 0.1", "Randomized asym. init")
    others = [r["dead_at_birth"] for n, r in rows.items() if n not in inits]
    for name in inits:
        assert rows[name]["dead_at_birth"] < min(others)
        assert rows[name]["fewer_dead_than_baseline"] < 5


def test_s5_accuracy_does_not_warn(remedies):
    """"the baseline loses a large share of its units and is still as accurate as any row" """
    _, rows, _ = remedies
    base = rows[BASE]
    assert base["dead_mean"] > 0.3
    assert base["val_acc_mean"] >= max(r["val_acc_mean"] for r in rows.values() if r["n_diverged"] < 5) - 0.005


def test_s5_prelu_slopes_turn_negative_then_leave_minus1_1_before_divergence():
    """"In every seed some PReLU slopes turn negative within the first few dozen steps, and a few steps before the
    loss becomes infinite a slope leaves [−1, 1]. ... The fixed slope of 0.25 diverges in only some seeds, and
    later" """
    fixed_diverged = []
    for seed in dr.REMEDY_SEEDS:
        t = dr.prelu_slope_trace(lr=dr.REMEDY_LR, seed=seed)
        assert t["diverged_at"] is not None
        neg = np.flatnonzero(t["slope_min"] < 0)[0] + 1
        big = np.flatnonzero(np.maximum(-t["slope_min"], t["slope_max"]) > 1)[0] + 1
        assert neg <= 40 and 0 < t["diverged_at"] - big <= 12, (seed, neg, big, t["diverged_at"])
        fixed = dr.prelu_slope_trace(lr=dr.REMEDY_LR, seed=seed, activation="leaky_0.25")["diverged_at"]
        if fixed is not None:
            assert fixed > t["diverged_at"]
        fixed_diverged.append(fixed is not None)
    assert 0 < sum(fixed_diverged) < len(fixed_diverged)


def test_s5_prelu_slope_decay():
    """"With decay the slopes end near what decay alone predicts (or below it), far below where they end without
    decay" """
    for s in SEEDS:
        out = dr.prelu_slopes_under_decay(lr=0.5, weight_decay=1e-2, seed=s)
        assert out["α decayed"] < out["decay alone would leave"] + 0.01
        assert out["α excluded from decay"] > 3 * out["α decayed"]


def test_s6_plain_training_revives_nothing_leaky_some_reinit_almost_all():
    """"The gradient on the dead units is exactly zero, and 200 steps of plain training bring back at most a few of
    them. (... for seed 0 none does.) A leaky slope gives them a gradient again, but it points towards the data only
    for some of them. Re-initialisation brings back almost all of them at once." """
    for s in SEEDS:
        r = dr.revival_experiment(lr=dr.LARGE_LR, steps=200, finetune_lr=0.1, seed=s)
        assert r["dead_grad_norm"] == 0.0
        assert r["plain ReLU"] >= 0.9 * r["dead_before"]
        if s == 0:
            assert r["plain ReLU"] >= r["dead_before"]
        assert r["swap to Leaky ReLU (α = 0.1)"] < r["dead_before"]
        assert r["re-initialise dead units"] <= 0.1 * r["dead_before"] < r["swap to Leaky ReLU (α = 0.1)"]
    assert dr.PLAIN_REVIVAL.resolved_answer() == "none or almost none"


def test_exercise_solutions_hold():
    """Exercise 1 counts 2 dead units; exercise 3's smallest killing rate is 3.0 (0.714 switches off only (1, 2))."""
    assert int(dr.first_layer_dead_mask(dr.EXERCISE_W, dr.EXERCISE_B, dr.EXERCISE_X).sum()) == 2
    assert _killing_lr() == pytest.approx(3.0)
