"""Claims of notebook 08 (residual and dense connections): each test checks one sentence of the prose, through the
helper and arguments the notebook uses, in every seed the notebook runs (gradient claims: five seeds, they are cheap).

The trained runs are cached by `degradation_runs`, so the file trains each net once (about 10-20 s on the 2-core CPU).
"""

import math

import numpy as np
import pytest

from utils import residual as R
from utils.device import one_cpu_thread

pytestmark = pytest.mark.claims
SEEDS = R.SEEDS
GRADIENT_SEEDS = (0, 1, 2, 3, 4)


@pytest.fixture(scope="module")
def runs():
    with one_cpu_thread():
        return R.degradation_runs()


def _loss(runs, depth, kind, seed):
    return runs[(depth, kind, seed)].train_loss


# ---------------------------------------------------------------------------------------------- §1
def test_s1_prediction_deeper_plain_ends_higher(runs):
    """Prediction: after the same steps the 36-layer plain net's training loss is higher than the 4-layer one's."""
    assert R.DEEPER_PLAIN.resolved_answer() == "higher"


def test_s1_each_deeper_plain_net_ends_higher_in_every_seed(runs):
    """"In every seed, each deeper plain net ends with a higher training loss than the shallower one.\""""
    for s in SEEDS:
        losses = [_loss(runs, d, "plain", s) for d in R.DEPTHS]
        assert losses == sorted(losses) and len(set(losses)) == len(losses), (s, losses)


def test_s1_deep_plain_nets_end_near_chance(runs):
    """"The 36-layer plain nets end near chance (loss 1.902 on average; chance is ln 10 = 2.30).\""""
    losses = [_loss(runs, 36, "plain", s) for s in SEEDS]
    assert all(1.5 < v < R.CHANCE_LOSS for v in losses), losses
    assert f"{np.mean(losses):.3f}" == "1.902"


def test_s1_residual_36_layers_14_times_lower_than_plain(runs):
    """"With residual blocks, the 36-layer nets end 14 times lower than the plain ones of the same depth (0.137
    against 1.902)." Also holds seed by seed (more than 10 times)."""
    for s in SEEDS:
        assert _loss(runs, 36, "plain", s) > 10 * _loss(runs, 36, "residual", s)
    ratio = R.mean_train_loss(runs, 36, "plain") / R.mean_train_loss(runs, 36, "residual")
    assert round(ratio) == 14 and f"{R.mean_train_loss(runs, 36, 'residual'):.3f}" == "0.137"


def test_s1_standard_residual_deeper_still_ends_above_shallow(runs):
    """"With the standard initialisation they still end above the 4-layer residual nets after 150 steps.\""""
    for s in SEEDS:
        assert _loss(runs, 36, "residual", s) > _loss(runs, 4, "residual", s)


def test_s1_zero_gamma_deeper_ends_lower_in_every_seed(runs):
    """"With the last γ of each block at 0 (right panel), the 36-layer nets end lower than the 4-layer ones in every
    seed." (the title of the right panel says "deeper ends lower")"""
    kind = "residual, last γ = 0"
    for s in SEEDS:
        assert _loss(runs, 36, kind, s) < _loss(runs, 4, kind, s)
    fig = R.plot_degradation(runs)
    assert "deeper ends higher" in fig.axes[0].get_title() and "deeper ends lower" in fig.axes[2].get_title()


def test_s1_deeper_plain_validation_accuracy_is_lower_too(runs):
    """"Here the deeper plain net is worse on the training set itself, and its validation accuracy is lower too.\""""
    for s in SEEDS:
        accs = [runs[(d, "plain", s)].val_acc for d in R.DEPTHS]
        assert accs == sorted(accs, reverse=True), accs


def test_s1_fresh_plain_nets_start_near_chance_at_every_depth_and_residual_higher_with_depth():
    """"Every fresh plain net starts close to chance, between 2.57 and 2.84, and within a seed the three depths start
    less than 0.3 apart ... The residual nets start higher, and more so the deeper they are.\""""
    every_plain = []
    for s in SEEDS:
        start = R.initial_losses(seed=s)
        plain = [start[(d, "plain")] for d in R.DEPTHS]
        res = [start[(d, "residual")] for d in R.DEPTHS]
        every_plain += plain
        assert max(plain) - min(plain) < 0.3, plain
        assert res == sorted(res) and res[0] > max(plain), (res, plain)
    assert f"{min(every_plain):.2f}" == "2.57" and f"{max(every_plain):.2f}" == "2.84"
    assert all(0 < v - R.CHANCE_LOSS < 0.6 for v in every_plain)


# ---------------------------------------------------------------------------------------------- §2
def test_s2_identity_fit():
    """"With γ = 0 the residual stack is the identity before any training (error 0), and it stays there. With the
    standard initialisation, the residual stack starts further away ... It still ends closer to the identity than the
    plain stack, in every seed.\""""
    fit = R.identity_fit()
    zero = fit["residual, last γ = 0"]
    assert np.all(zero < 1e-10)
    assert np.all(fit["residual"][:, 0] > fit["plain"][:, 0])
    assert np.all(fit["residual"][:, -5:].mean(1) < fit["plain"][:, -5:].mean(1))


# ---------------------------------------------------------------------------------------------- §3
def _ratios(seed):
    return {(kind, bn, z): R.gradient_ratio(R.gradient_norms(50, kind, bn, z, seed))
            for kind in R.BLOCK_KINDS for bn, z in ((True, False), (True, True), (False, False))}


def test_s3_prediction_plain_with_bn_gradient_grows_toward_the_input():
    """Prediction: in a fresh 50-layer plain stack with BN the first block's gradient is much larger."""
    assert R.GRADIENT_TOWARD_INPUT.resolved_answer() == "much larger"


@pytest.mark.parametrize("seed", GRADIENT_SEEDS)
def test_s3_gradient_ratios(seed):
    """"Plain with BN explodes toward the input ... Plain without BN, with He initialisation, shrinks only mildly.
    Residual blocks with BN are far more even, and pre-activation blocks more even still. Zeroing the last γ makes
    every block the identity at the start [ratio near 1]. Without BN, the shortcut alone explodes.\""""
    r = _ratios(seed)
    assert r[("plain", True, False)] > 1e3
    assert 0.1 < r[("plain", False, False)] < 1
    assert 10 < r[("residual", True, False)] < 100
    assert 1 < r[("pre-activation", True, False)] < 10
    for kind in ("residual", "pre-activation"):
        assert 0.5 < r[(kind, True, True)] < 2
        assert r[(kind, False, False)] > 1e3
    assert r[("plain", True, True)] == 0          # plain blocks with γ = 0 output zeros: nothing passes back


def test_s3_printed_ratios_seed_0():
    """The numbers quoted in §3's bullets (seed 0, depth 50)."""
    r = _ratios(0)
    quoted = {("plain", True, False): "2.76e+04", ("plain", False, False): "0.327", ("residual", True, False): "34.5",
              ("pre-activation", True, False): "4.35", ("residual", True, True): "0.728",
              ("pre-activation", True, True): "0.989", ("residual", False, False): "2.15e+04",
              ("pre-activation", False, False): "6.44e+03"}
    for key, text in quoted.items():
        assert f"{r[key]:.3g}" == text, key


def test_s3_things_to_try():
    """Answers to "things to try": the plain curve grows exponentially with depth; residual without BN grows by about
    a factor 2 per block; with BN and last γ = 0 residual blocks give a flat line."""
    ratios = [R.gradient_ratio(R.gradient_norms(d, "plain", True)) for d in (10, 30, 50)]
    growth = np.diff(np.log(ratios))
    assert np.all(growth > 0) and growth[1] == pytest.approx(growth[0], rel=0.5)
    n = R.gradient_norms(50, "residual", False)
    per_block = np.exp(np.mean(np.diff(np.log(n[:-1]))))
    assert 1 / 2.6 < per_block < 1 / 1.3           # toward the input each block multiplies by about 2 (1.3-2.6)
    flat = R.gradient_norms(50, "pre-activation", True, True)[:-1]
    assert flat.max() / flat.min() < 1 + 1e-4


# ---------------------------------------------------------------------------------------------- §4
def test_s4_block_deletion(runs):
    """"Deleting any block of the plain net drops its accuracy to 25 % or less in every seed (chance is 10 %). In the
    residual net, deleting one of blocks 3–6 costs less than 5 points in every seed. Block 1 matters most: deleting it
    costs more than 20 points.\""""
    out = R.block_deletion(runs, depth=12)
    assert np.all(out["plain"]["deleted"] < 0.25)
    assert np.all(out["plain"]["full"] > 0.85)
    drops = out["residual"]["full"][:, None] - out["residual"]["deleted"]
    assert np.all(drops[:, 2:] < 0.05), drops
    assert np.all(np.argmax(drops, axis=1) == 0) and np.all(drops[:, 0] > 0.2)
    assert R.DELETE_BLOCK.resolved_answer() == "less than 5 points"


# ---------------------------------------------------------------------------------------------- §5
def test_s5_loss_slice(runs):
    """"The plain nets sit on a high plateau: within |α| <= 0.3 their loss stays within a factor 2 of its value at the
    trained weights, in every seed. The residual nets sit in a basin ... with one minimum close to the trained
    weights and walls on both sides.\""""
    out = R.loss_slice(runs, depth=36)
    alpha = out["alpha"]
    centre = int(np.argmin(np.abs(alpha)))
    near = np.abs(alpha) <= 0.3 + 1e-9
    for row in out["plain"]:
        assert np.all(row[near] < 2 * row[centre]) and row[centre] > 1.5
    for row in out["residual"]:
        low = int(np.argmin(row))
        assert abs(alpha[low]) <= 0.1 + 1e-9
        assert np.all(np.diff(row[: low + 1]) < 0) and np.all(np.diff(row[low:]) > 0)   # one basin
        assert row[near].max() > 2 * row[centre] and row.max() > 10 * row[centre]      # walls on both sides
        assert row[centre] < out["plain"].min()
    assert R.count_parameters(runs[(36, "plain", 0)].net) == 41_610     # "a space of 41,610 weights"


# ---------------------------------------------------------------------------------------------- §6
def test_s6_bottleneck_17_times_fewer_than_basic_at_256_channels():
    """"At 256 channels the bottleneck block has 70,400 parameters. A basic block at 256 channels would have
    1,180,672, about 17 times more." and "The counts match the papers' rounded figures to within 0.3 %.\""""
    import torch

    with torch.device("meta"):
        basic = R.count_parameters(R.BasicBlock(256, 256))
        bottleneck = R.count_parameters(R.Bottleneck(256, 64))
    assert (bottleneck, basic) == (70_400, 1_180_672) and round(basic / bottleneck) == 17
    assert all(abs(rel) < 0.003 for _, _, _, rel in R.published_comparison())


# ---------------------------------------------------------------------------------------------- §7
def test_s7_dense_keeps_more_memory_at_similar_params_and_accuracy_is_a_tie():
    """"At a similar parameter count (12,010 against 11,146), the dense net keeps 2.35 times as many activation bytes
    per example. The mean accuracies are within 1 point of each other (95.8 % and 96.1 %), and which net is ahead
    changes from seed to seed.\""""
    rows = R.compare_small_nets()
    res = [r for r in rows if r["name"] == "residual MLP"]
    dense = [r for r in rows if r["name"] == "dense MLP"]
    assert (dense[0]["params"], res[0]["params"]) == (12_010, 11_146)
    assert f"{dense[0]['memory'] / res[0]['memory']:.2f}" == "2.35"
    a, b = np.array([r["val_acc"] for r in res]), np.array([r["val_acc"] for r in dense])
    assert abs(a.mean() - b.mean()) < 0.01
    assert f"{100 * a.mean():.1f}" == "95.8" and f"{100 * b.mean():.1f}" == "96.1"
    assert np.any(a > b) and np.any(b > a)
    assert math.isclose(dense[0]["params"] / res[0]["params"], 1.08, abs_tol=0.01)
