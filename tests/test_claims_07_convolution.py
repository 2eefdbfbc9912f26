"""Claims of notebook 07 (convolutional networks): every sentence of its prose that states an experiment's outcome,
checked through the same helpers with the same arguments as the notebook, over the seeds it names (3 or more).

Runs in about 15-25 s on the 2-core CPU (the training runs are cached per test session and shared across claims).
"""

import numpy as np
import pytest

from utils import convolution as C
from utils.convolution import exercises

pytestmark = pytest.mark.claims
SEEDS = (0, 1, 2)
MORE_SEEDS = (0, 1, 2, 3, 4)


@pytest.fixture(scope="module")
def cnn_runs():
    return {seed: C.compare_cnn_mlp(seed=seed) for seed in SEEDS}


@pytest.fixture(scope="module")
def sweeps():
    return {pairing: C.fine_tune_sweep(pairing) for pairing in C.PAIRINGS}


def _gains(sweep):
    """(2 transfer methods, shots, seeds): accuracy minus from-scratch accuracy."""
    acc = sweep["accuracy"]
    return acc[1:] - acc[:1]


# ---------------------------------------------------------------------------------------------- section 4

def test_s4_prediction_vgg_first_dense_layer_holds_about_three_quarters():
    """Prediction VGG_FC_SHARE: the first dense layer holds 'about 75 %' of VGG-16's parameters."""
    assert C.VGG_FC_SHARE.resolved_answer() == "about 75 %"
    assert 0.70 < exercises._fc_share() < 0.80


def test_s4_early_layers_hold_the_activations_dense_layers_the_parameters():
    """'the early layers, at full resolution, hold most of the activations ..., while the dense layers at the end hold
    almost all parameters.'"""
    rows = C.layer_costs("VGG-16")
    acts = np.array([r["activations"] for r in rows], float)
    params = np.array([r["params"] for r in rows], float)
    fc = np.array([r["kind"] == "fc" for r in rows])
    assert acts[: len(rows) // 3].sum() / acts.sum() > 0.5
    assert params[fc].sum() / params.sum() > 0.85


def test_s4_activations_outgrow_parameters_from_a_modest_batch():
    """'Per image the activations are the smaller part, but they grow with the batch: from the batch size printed
    above, they are the larger one.'  (The printed batch size is 11: small next to usual training batches.)"""
    rows = C.layer_costs("VGG-16")
    n_acts, n_params = sum(r["activations"] for r in rows), sum(r["params"] for r in rows)
    batch = -(-n_params // n_acts)
    assert n_acts < n_params and batch == 11
    assert batch * n_acts > n_params >= (batch - 1) * n_acts


# ---------------------------------------------------------------------------------------------- section 5

@pytest.mark.parametrize("seed", MORE_SEEDS)
def test_s5_equivariance_exact_inside_and_pooling_adds_invariance(seed):
    """'Away from the borders the error is exactly zero ... after 2x2 max pooling the change is smaller, and after
    averaging over all positions it is a few percent. ... like the unpooled map, [the dense layer's] features change
    by more than half.'"""
    eq = C.equivariance_report(seed)
    assert eq["interior_error"] == 0.0
    assert eq["border_error"] > 0
    assert eq["maxpool_change"] < eq["conv_change"]
    assert eq["global_pool_change"] < 0.1
    assert eq["conv_change"] > 0.5 and eq["mlp_change"] > 0.5


# ---------------------------------------------------------------------------------------------- section 8

def test_s8_prediction_three_3x3_layers_need_27_49_of_the_weights():
    """Prediction STACK_RATIO: three 3x3 layers need 27/49 = 0.55 of one 7x7 layer's weights."""
    assert C.STACK_RATIO.resolved_answer() == pytest.approx(27 / 49)


# ---------------------------------------------------------------------------------------------- section 9

def test_s9_counts_within_the_stated_differences_and_googlenet_cuts_parameters():
    """'LeNet-5 (+2.8 %) ... AlexNet (+1.6 % over "60 million") ... GoogLeNet (+2.9 % ...)'; 'GoogLeNet has 8.7x fewer
    than AlexNet and 20x fewer than VGG-16, while the compute stayed at a few GFLOPs'; 'VGG-16 ... 30.9 G'."""
    rows = {r["name"]: r for r in C.lineage_table()}
    assert round(100 * rows["LeNet-5"]["difference"], 1) == 2.8
    assert round(100 * rows["AlexNet"]["difference"], 1) == 1.6
    assert round(100 * rows["GoogLeNet"]["difference"], 1) == 2.9
    assert round(rows["AlexNet"]["params"] / rows["GoogLeNet"]["params"], 1) == 8.7
    assert round(rows["VGG-16"]["params"] / rows["GoogLeNet"]["params"]) == 20
    assert all(1e9 < rows[n]["flops"] < 5e9 for n in ("NiN", "GoogLeNet"))
    assert round(rows["VGG-16"]["flops"] / 1e9, 1) == 30.9


# ---------------------------------------------------------------------------------------------- section 10

def test_s10_cnn_and_mlp_equally_accurate_and_shift_hurts_the_mlp_more(cnn_runs):
    """'Both nets classify the unshifted digits about equally well (within 2 points). A one-pixel shift hurts both,
    but the MLP more.'  (Seeds 0, 1 and 2.)"""
    for seed, runs in cnn_runs.items():
        cnn, mlp = runs["CNN"], runs["MLP"]
        assert abs(cnn["accuracy"] - mlp["accuracy"]) < 0.02, seed
        assert cnn["accuracy"] > 0.95 and mlp["accuracy"] > 0.95, seed
        drop_cnn = cnn["accuracy"] - cnn["shifted_accuracy"]
        drop_mlp = mlp["accuracy"] - mlp["shifted_accuracy"]
        assert drop_cnn > 0.1 and drop_mlp > drop_cnn, seed


def test_s10_prediction_the_mlp_loses_more(cnn_runs):
    """Prediction SHIFT_LOSER: 'the MLP' loses more accuracy under a one-pixel shift."""
    assert C.SHIFT_LOSER.resolved_answer() == "the MLP"


def test_s10_most_first_layer_filters_have_a_positive_and_a_negative_side(cnn_runs):
    """'most filters have a positive and a negative side' (more than half of the 8, in every seed; seed 2 has one
    all-positive filter, so 'every filter' would be false)."""
    for seed, runs in cnn_runs.items():
        w = runs["CNN"]["model"][0].weight.detach()[:, 0]
        two_sided = (w.amax(dim=(1, 2)) > 0) & (w.amin(dim=(1, 2)) < 0)
        assert int(two_sided.sum()) > len(w) // 2, seed


# ---------------------------------------------------------------------------------------------- section 11

def test_s11_clean_digits_no_gain_on_average(sweeps):
    """'Clean digits: no gain. From scratch already reaches more than 85 % with 3 images per class; the pretrained
    features add nothing on average, at any number of examples.'"""
    sweep = sweeps["clean"]
    k3 = sweep["shots"].index(3)
    assert sweep["accuracy"][0, k3].mean() > 0.85
    assert (_gains(sweep).mean(axis=2) <= 0).all()


def test_s11_shifted_digits_transfer_wins_every_seed_from_3_examples(sweeps):
    """'With 3 and 10 images per class, both fine-tuning and a new head beat training from scratch in every seed.
    With a single image per class the result depends on the seed.'"""
    sweep = sweeps["shifted"]
    gains = _gains(sweep)
    for k in (3, 10):
        assert (gains[:, sweep["shots"].index(k)] > 0).all(), k
    one = gains[:, sweep["shots"].index(1)]
    assert (one <= 0).any() and (one > 0).any()


def test_s11_prediction_fine_tuning_wins_in_every_seed_at_3(sweeps):
    """Prediction TRANSFER_HELPS: 'yes, in every seed'."""
    assert C.TRANSFER_HELPS.resolved_answer() == "yes, in every seed"


def test_s11_control_clean_source_no_better_than_scratch_on_shifted_digits(sweeps):
    """'The control: a clean source does not help on shifted digits. It is no better than scratch on average at any
    number of examples.'  The control isolates the cause: the same target, the same methods, only the source's
    training data unshifted."""
    sweep = sweeps["control"]
    assert np.array_equal(sweep["accuracy"][0], sweeps["shifted"]["accuracy"][0])   # same from-scratch runs
    assert (_gains(sweep).mean(axis=2) <= 0).all()
