"""What notebook 01 (activation functions) asserts, checked over several seeds through the helpers it calls.

Each test quotes the sentence of the notebook it checks.  The notebook runs seed 0; these tests run seeds 0, 1 and 2
(more where cheap), and a claim stays in the prose only if it holds in all of them.  The training runs of section 7
are shared between tests (module-scoped fixtures); the whole file takes about 30 s of CPU.
"""

import math

import numpy as np
import pytest

from utils import activations as A
from utils.activations import exercises as AX

pytestmark = pytest.mark.claims
SEEDS = (0, 1, 2)
MANY_SEEDS = tuple(range(8))  # for the cheap experiments


# ---- section 1 ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_s1_deep_linear_net_is_one_matrix_to_round_off(seed):
    """"Every point lies on the diagonal, and the largest difference is float64 round-off: the deep linear net *is*
    one matrix." """
    assert A.linear_stack_collapse(depth=5, width=8, n_in=2, seed=seed)["max_abs_diff"] < 1e-12


@pytest.fixture(scope="module")
def boundaries():
    return {seed: A.fit_boundaries(("linear", "tanh", "relu"), dataset="circles", depth=3, width=32, steps=150,
                                   seed=seed) for seed in SEEDS}


@pytest.mark.parametrize("seed", SEEDS)
def test_s1_linear_net_stays_near_chance_and_one_nonlinearity_separates_the_rings(boundaries, seed):
    """"the linear net can only cut the plane with one straight line, so its validation accuracy stays near chance.
    One nonlinearity between the layers is enough to bend the boundary around the inner ring." """
    acc = boundaries[seed]["val_acc"]
    assert acc["linear"] < 0.6
    assert acc["tanh"] >= 0.95 and acc["relu"] >= 0.95


# ---- section 2: the gallery's "things to try" (no randomness: one check each) -------------------------------------

def _shaded_share(name, threshold=0.05):
    return A.saturated_mask(name, A.GALLERY_X, threshold).mean()


def test_s2_try1_tanh_is_flat_on_more_of_the_range_than_sigmoid():
    """"tanh: its derivative starts at 1 but falls faster, so more of [−6, 6] is shaded" """
    assert _shaded_share("tanh") > _shaded_share("sigmoid") > 0


def test_s2_try2_relu_gelu_silu_saturate_on_the_negative_side_only_and_not_at_the_zero_crossing():
    """"On the negative side only. ReLU is flat for every x ≤ 0. GELU and SiLU dip below zero near x ≈ −1 and their
    derivative crosses zero there, but it grows again further out, so that point is not shaded; only the far
    negative tail is." """
    x = A.GALLERY_X
    relu = A.saturated_mask("relu", x)
    assert relu[x <= 0].all() and not relu[x > 0].any()
    for name, crossing in (("gelu", -0.7518), ("silu", -1.2785)):
        mask = A.saturated_mask(name, x)
        assert not mask[x >= -1.5].any() and mask[x <= -5].all()
        assert abs(A.derivative(name, [crossing])[0]) < 1e-3  # it does cross zero there
        assert not A.saturated_mask(name, [crossing]).any()


def test_s2_try3_maxout_is_never_shaded_up_to_a_quarter():
    """"Pick Maxout. Is any of it shaded, at any threshold up to 0.25? — No ... It never saturates." """
    for threshold in (0.01, 0.05, 0.1, 0.2, 0.25):
        assert not A.saturated_mask("maxout", A.GALLERY_X, threshold).any()


def test_s2_try4_at_threshold_0_3_all_of_sigmoid_is_shaded():
    """"Everything is shaded: sigmoid's derivative never reaches 0.3" """
    assert A.saturated_mask("sigmoid", A.GALLERY_X, 0.3).all()


# ---- section 3: the table -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_s3_table_reads_as_the_prose_says(seed):
    """"Sigmoid's mean sits near 0.5 (not zero-centred) and its largest derivative near 0.25. tanh is centred at zero,
    with derivative up to 1. ReLU outputs exactly zero for about half of the inputs (the sparsity), and that same
    half is its flat side. The ELU and SELU means sit closer to zero than ReLU's ... GELU and SiLU are saturated on
    only a small share of inputs, their far negative tail. Leaky ReLU counts as saturated on its negative side at
    this threshold (its slope there is 0.01), but none of its outputs is exactly zero." """
    rows = {r["name"]: r for r in A.activation_table(seed=seed)}
    assert abs(rows["sigmoid"]["mean"] - 0.5) < 0.01 and 0.24 < rows["sigmoid"]["max_derivative"] <= 0.25
    assert abs(rows["tanh"]["mean"]) < 0.01 and rows["tanh"]["max_derivative"] > 0.99
    assert abs(rows["relu"]["zeros"] - 0.5) < 0.01 and rows["relu"]["saturated"] == rows["relu"]["zeros"]
    for name in ("elu", "selu"):
        assert abs(rows[name]["mean"]) < abs(rows["relu"]["mean"])
    for name in ("gelu", "silu"):
        assert rows[name]["saturated"] < 0.02
    assert rows["leaky_relu"]["saturated"] == rows["relu"]["saturated"] and rows["leaky_relu"]["zeros"] == 0


# ---- section 4: vanishing gradients --------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_s4_prediction_sigmoid_first_layer_gets_the_smallest_gradient_at_depth_20(seed):
    """Prediction: "At depth 20, which activation's first layer gets the smallest gradient?" — sigmoid."""
    assert AX._smallest_first_layer(seed) == "sigmoid"
    if seed == 0:
        assert A.SMALLEST_FIRST_LAYER_GRADIENT.resolved_answer() == "sigmoid"


@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_s4_sigmoid_shrinks_about_threefold_per_layer_tanh_and_relu_stay_even(seed):
    """"with sigmoid the gradient shrinks at every layer, by a factor of about 3 per layer (the median is printed),
    so the first layers of a deep sigmoid net barely learn. tanh and ReLU deliver gradients of similar size to every
    layer: no layer gets less than a twentieth of another's." """
    g = A.gradient_norms("sigmoid", 20, seed=seed)
    factors = g[:-1] / g[1:]
    assert (factors < 1).all() and 2.5 < 1 / np.median(factors) < 4
    for name in ("tanh", "relu"):
        g = A.gradient_norms(name, 20, seed=seed)
        assert g.max() / g.min() < 20


@pytest.mark.parametrize("seed", SEEDS)
def test_s4_try1_pytorch_default_init_shrinks_every_classic_activation(seed):
    """"Now every activation's gradients shrink towards the input, ReLU's too" (PyTorch default, depth 30)."""
    for name in A.GROUPS["classic"]:
        g = A.gradient_norms(name, 30, init="pytorch", seed=seed)
        assert g[0] / g[-1] < 1e-2
    assert "gets" in A.plot_gradient_norms(30, "classic", "pytorch").axes[0].get_title(loc="left")


@pytest.mark.parametrize("seed", SEEDS)
def test_s4_try2_lecun_makes_relu_gelu_silu_vanish_but_keeps_selu_near_1(seed):
    """"ReLU's, GELU's and SiLU's gradients vanish in every layer ... SELU keeps its gradients near 1" (LeCun for
    all, modern smooth, depth 30)."""
    verdicts = A.gradient_verdicts({n: A.gradient_norms(n, 30, init="lecun", seed=seed)
                                    for n in A.GROUPS["modern smooth"]})
    assert all(verdicts[n][0] == "vanishes" for n in ("relu", "gelu", "silu"))
    selu = A.gradient_norms("selu", 30, init="lecun", seed=seed)
    assert verdicts["selu"][0] is None and 0.5 < selu.min() and selu.max() < 3


@pytest.mark.parametrize("seed", SEEDS)
def test_s4_try3_selu_under_kaiming_grows_to_ten_and_more(seed):
    """"SELU's gradients grow to 10 and more (see the legend): with Kaiming's factor 2 it no longer keeps mean 0 and
    variance 1." (depth 20, the view's default)"""
    assert A.gradient_norms("selu", 20, init="kaiming", seed=seed).min() >= 10
    assert A.gradient_norms("selu", 20, seed=seed).max() < 2  # the usual (LeCun) setting


# ---- section 5: ReLU -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_s5_prediction_and_prose_relu_zeros(seed):
    """Prediction: at mean −1 about 84 % of outputs are 0.  "For a zero-mean input about half of the units output
    exactly 0".  "at a mean of −3 the unit still passes gradient on only about one input in a thousand" """
    assert 0.82 < A.relu_zero_fraction(-1.0, seed) < 0.86
    assert 0.48 < A.relu_zero_fraction(0.0, seed) < 0.52
    assert 0.0005 < 1 - A.relu_zero_fraction(-3.0, seed) < 0.002
    if seed == 0:
        assert A.RELU_ZEROS_AT_MINUS_ONE.resolved_answer() == pytest.approx(84.0, abs=0.1)


# ---- section 6: the variants ---------------------------------------------------------------------------------------

def test_s6_elu_is_flat_only_far_on_the_negative_side():
    """"ELU is flat only far on the negative side, where its output approaches −1, and its derivative is 1 for all
    positive inputs." """
    x = A.GALLERY_X
    mask = A.saturated_mask("elu", x)
    assert mask[x < -3].all() and not mask[x > -2.9].any()
    assert (A.d_elu(x[x > 0]) == 1).all() and A.elu(-6.0) < -0.99


@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_s6_relu_family_stays_between_0_1_and_10_while_maxout_explodes(seed):
    """Prediction (Maxout's gradients "grow far above 1") and "ReLU, Leaky ReLU, PReLU and ELU keep every layer's
    gradient between 0.1 and 30, and layer 1 gets at least a twentieth of the last layer's. Maxout's lie in the
    hundreds and thousands, above every one of theirs." """
    assert AX._classify_maxout_at_depth_20(seed) == "grow far above 1"
    family = {n: A.gradient_norms(n, 20, seed=seed) for n in ("relu", "leaky_relu", "prelu", "elu")}
    for g in family.values():
        assert 0.1 <= g.min() and g.max() <= 30 and 0.05 <= g[0] / g[-1] <= 1
    maxout = A.gradient_norms("maxout", 20, seed=seed)
    assert 100 <= maxout.min() and maxout.max() < 1e5 and maxout.min() > max(g.max() for g in family.values())


@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_s6_maxout_with_lecun_stays_within_ten_of_1(seed):
    """"With LeCun's variance 1/fan-in (`LeCun for all` in the view of section 4) Maxout's gradients stay within a
    factor of ten of 1." """
    g = A.gradient_norms("maxout", 20, init="lecun", seed=seed)
    assert 0.1 < g.min() and g.max() < 10


def test_s6_max_of_two_pieces_keeps_the_full_variance():
    """"E[max(a, b)²] = σ²": the second moment of the larger of two iid zero-mean pieces (Monte Carlo, 3 seeds)."""
    for seed in SEEDS:
        ab = np.random.default_rng(seed).normal(0.0, 2.0, size=(2, 1_000_000))
        assert np.mean(np.max(ab, axis=0) ** 2) == pytest.approx(4.0, rel=0.01)
        assert np.mean(np.maximum(ab[0], 0) ** 2) == pytest.approx(2.0, rel=0.01)  # ReLU keeps half


# ---- section 7: training -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs():
    return {seed: {"sgd": A.compare_training(optimizer="sgd", lr=0.5, steps=300, seed=seed),
                   "adam": A.compare_training(optimizer="adam", lr=0.01, steps=300, seed=seed),
                   "ratios_sgd": A.update_ratios(optimizer="sgd", lr=0.5, seed=seed),
                   "ratios_adam": A.update_ratios(optimizer="adam", lr=0.01, seed=seed)} for seed in SEEDS}


@pytest.mark.parametrize("seed", SEEDS)
def test_s7_sgd_moves_the_first_layer_of_sigmoid_nets_far_less(runs, seed):
    """"Under SGD, the first layer of the sigmoid net and of the σ(x) − ½ net moves far less than that of tanh or
    ReLU" (printed: tanh's layer 1 moves about 90× as far as sigmoid's; here at least 30× in every seed)."""
    r = {n: v[0] for n, v in runs[seed]["ratios_sgd"].items()}
    for slow in ("sigmoid", "sigmoid_centred"):
        for fast in ("tanh", "relu"):
            assert r[fast] > 30 * r[slow]


@pytest.mark.parametrize("seed", SEEDS)
def test_s7_adam_moves_every_first_layer_by_the_same_share(runs, seed):
    """"Under Adam, every activation's first layer moves by about the same share of its size" """
    first = [v[0] for v in runs[seed]["ratios_adam"].values()]
    assert max(first) / min(first) < 1.2


@pytest.mark.parametrize("seed", SEEDS)
def test_s7_sgd_sigmoid_and_centred_sigmoid_stay_at_chance_the_rest_reach_the_target(runs, seed):
    """Prediction (σ(x) − ½ "stays stuck like sigmoid") and "Under SGD, sigmoid and σ(x) − ½ never reach the target:
    their loss stays at chance (ln 2 ≈ 0.693) ... tanh, ReLU, GELU and Maxout all get below the target." """
    assert AX._centred_sigmoid_under_sgd(seed) == "stays stuck like sigmoid"
    sgd = runs[seed]["sgd"]
    reached = A.steps_to_target(sgd, 0.1)
    for name in ("sigmoid", "sigmoid_centred"):
        assert reached[name] is None
        assert abs(sgd["histories"][name].final("train_loss") - math.log(2)) < 0.01
    for name in ("tanh", "relu", "gelu", "maxout"):
        assert reached[name] is not None


@pytest.mark.parametrize("seed", SEEDS)
def test_s7_adam_everyone_reaches_the_target_sigmoid_slowest_centred_second(runs, seed):
    """"Under Adam every activation reaches the target ... Sigmoid is still the slowest and σ(x) − ½ comes
    second-slowest." """
    reached = A.steps_to_target(runs[seed]["adam"], 0.1)
    assert all(s is not None for s in reached.values())
    order = sorted(reached, key=reached.get, reverse=True)
    assert order[0] == "sigmoid" and order[1] == "sigmoid_centred"
    assert reached["sigmoid_centred"] > max(reached[n] for n in ("tanh", "relu", "gelu", "maxout"))
