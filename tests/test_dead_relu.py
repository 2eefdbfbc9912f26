"""Tests for utils.dead_relu: the dead-unit monitor, PReLU, the born-dead simulation, experiments, views, checkers."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from utils import dead_relu as dr
from utils.dead_relu.exercises import _killing_lr
from utils.dead_relu.remedies import _sgd_excluding_prelu_slopes
from utils.device import one_cpu_thread
from utils.training import train

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(autouse=True)
def _tiny_nets_on_one_cpu_thread():
    """As in the notebook: tiny nets run faster on one thread, and the reference loops then sum in the same order."""
    with one_cpu_thread():
        yield


def _layer_with_units(weight, bias):
    layer = nn.Linear(len(weight[0]), len(weight))
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
        layer.bias.copy_(torch.tensor(bias))
    return layer


@pytest.mark.parametrize("device", DEVICES)
def test_unit_with_large_negative_bias_is_dead_and_healthy_unit_is_not(device):
    # unit 0: bias -100 on inputs in [-1, 1] -> never fires; unit 1: w = (1, 0), b = 0 -> fires on x1 > 0 only
    model = nn.Sequential(_layer_with_units([[1.0, 1.0], [1.0, 0.0]], [-100.0, 0.0]), nn.ReLU(), nn.Linear(2, 1))
    model.to(device)
    x = torch.rand(200, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    (stats,) = dr.dead_unit_report(model, x.to(device))
    assert stats.dead.tolist() == [True, False]
    assert stats.n_dead == 1 and stats.dead_fraction == 0.5
    # the healthy unit is sparse, not dead: it fires on the examples with x1 > 0
    assert stats.unit_active_fraction[1] == pytest.approx((x[:, 0] > 0).double().mean().item(), abs=1e-12)
    assert 0 < stats.unit_active_fraction[1] < 1


def test_counts_equal_a_direct_computation_for_a_deep_mlp():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 10), nn.ReLU(), nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 2))
    with torch.no_grad():
        model[0].bias[:4] -= 3.0                     # kill a few units of the first layer
    x = torch.randn(500, 3)
    stats = dr.dead_unit_report(model, x, batch_size=64)   # several batches, accumulated
    z1 = x @ model[0].weight.T + model[0].bias
    z2 = torch.relu(z1) @ model[2].weight.T + model[2].bias
    for s, z in zip(stats, (z1, z2)):
        direct_rate = (z > 0).double().mean(0).numpy()
        np.testing.assert_allclose(s.unit_active_fraction, direct_rate, rtol=0, atol=1e-12)
        assert s.n_dead == int((z <= 0).all(0).sum())
        assert s.active_fraction == pytest.approx((z > 0).double().mean().item(), abs=1e-12)
    assert stats[0].n_dead >= 1
    assert [s.name for s in stats] == ["1", "3"]
    assert [s.layer for s in stats] == [1, 2]                    # numbered as the figures number them
    assert repr(stats[1]).startswith("hidden layer 2 (ReLU, module '3')")


def test_conv_channels_are_units_and_inplace_relu_is_measured_correctly():
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 4, 3)
    with torch.no_grad():
        conv.bias[2] = -50.0
    model = nn.Sequential(conv, nn.ReLU(inplace=True), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    x = torch.randn(30, 1, 8, 8)
    (stats,) = dr.dead_unit_report(model, x)
    z = conv(x)
    np.testing.assert_allclose(stats.unit_active_fraction, (z > 0).double().mean((0, 2, 3)).numpy(), atol=1e-12)
    assert stats.dead.tolist() == [False, False, True, False]


def test_nested_modules_and_other_relu_like_layers_are_found():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.act = nn.Linear(2, 3), nn.LeakyReLU(0.1)

        def forward(self, x):
            return self.act(self.fc(x))

    model = nn.Sequential(Block(), nn.Sequential(nn.Linear(3, 3), nn.ELU()), nn.Linear(3, 1))
    names = [name for name, _ in dr.DeadUnitMonitor(model).layers]
    assert names == ["0.act", "1.1"]


def test_hooks_are_removed_when_the_block_ends_even_on_error():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with dr.DeadUnitMonitor(model):
        assert len(model[1]._forward_hooks) == 1
    assert len(model[1]._forward_hooks) == 0
    with pytest.raises(RuntimeError):
        with dr.DeadUnitMonitor(model):
            raise RuntimeError("boom")
    assert len(model[1]._forward_hooks) == 0


def test_report_restores_training_mode():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    model.train()
    dr.dead_unit_report(model, torch.randn(10, 2))
    assert model.training


def test_model_without_relu_like_layers_gets_a_clear_error():
    with pytest.raises(ValueError, match="no ReLU-like module"):
        dr.DeadUnitMonitor(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        dr.DeadUnitMonitor(lambda x: x)


def test_empty_data_set_raises_value_error():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with pytest.raises(ValueError, match="empty"):
        dr.dead_unit_report(model, torch.empty(0, 2))
    with pytest.raises(ValueError, match="no examples"):
        dr.dead_mask(torch.empty(0, 4))
    with pytest.raises(TypeError):
        dr.dead_unit_report(model, [[0.0, 1.0]])
    with pytest.raises(ValueError, match="no forward pass"):
        dr.DeadUnitMonitor(model).stats()


def test_dead_mask_counts_exact_zero_as_not_firing():
    pre = torch.tensor([[0.0, -1.0, 2.0], [0.0, 1e-6, -3.0]])
    assert dr.dead_mask(pre).tolist() == [True, False, False]


def test_gradient_of_a_dead_unit_is_exactly_zero():
    model = nn.Sequential(_layer_with_units([[1.0, 1.0], [1.0, -1.0]], [-100.0, 0.0]), nn.ReLU(), nn.Linear(2, 2))
    x = torch.randn(64, 2)
    nn.functional.cross_entropy(model(x), torch.randint(2, (64,))).backward()
    assert torch.all(model[0].weight.grad[0] == 0) and model[0].bias.grad[0] == 0
    assert model[0].weight.grad[1].abs().sum() > 0


@pytest.mark.parametrize("shape, shared", [((20, 5), False), ((6, 3, 4, 4), False), ((20, 5), True)])
def test_prelu_forward_and_grad_wrt_alpha_match_torch(shape, shared):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    channels = 1 if shared else shape[1]
    alpha = torch.rand(channels, generator=g, dtype=torch.float64) * 0.5
    ref = nn.PReLU(channels, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(alpha)
    xt = x.clone().requires_grad_()
    out_ref = ref(xt)
    dout = torch.randn(*shape, generator=g, dtype=torch.float64)
    out_ref.backward(dout)
    out, cache = dr.prelu_forward(x, alpha)
    dx, dalpha = dr.prelu_backward(dout, cache)
    torch.testing.assert_close(out, out_ref.detach(), rtol=0, atol=1e-12)
    torch.testing.assert_close(dx, xt.grad, rtol=0, atol=1e-12)
    torch.testing.assert_close(dalpha, ref.weight.grad, rtol=1e-10, atol=1e-12)


def test_prelu_rejects_alpha_of_the_wrong_shape():
    with pytest.raises(ValueError, match="alpha"):
        dr.prelu_forward(torch.randn(4, 3), torch.ones(2))


def test_born_dead_width_one_matches_closed_form():
    # width 1, one input: layer 1 fires on half the inputs; every later layer dies iff its weight is
    # negative (probability 1/2), and a dead layer stays dead, so P(dead by depth L) = 1 - 2**-(L-1).
    depths = [1, 2, 3, 5, 8]
    p = dr.born_dead_probability(depths, [1], n_nets=20000, n_inputs=32, d_in=1, seed=0)[0]
    np.testing.assert_allclose(p, [1 - 2.0 ** -(d - 1) for d in depths], atol=0.02)


def test_born_dead_probability_rises_with_depth_and_falls_with_width():
    p = dr.born_dead_probability([2, 5, 10, 20], [2, 4, 8], n_nets=2000, seed=1)
    assert np.all(np.diff(p, axis=1) >= 0)
    assert p[0, -1] > p[1, -1] > p[2, -1]
    with pytest.raises(ValueError):
        dr.born_dead_probability([0, 3], [2])


def test_batched_sweep_matches_the_course_training_loop():
    lrs, steps = [0.05, 0.8], 20
    sweep = dr.train_lr_sweep(lrs, steps=steps, snapshot_every=steps)
    data = dr.make_task(0)
    for k, lr in enumerate(lrs):
        net = dr.make_net(seed=0)
        train(net, data, steps=steps, lr=lr, batch_size=dr.BATCH_SIZE, eval_every=steps, seed=0)
        np.testing.assert_allclose(sweep["w1"][-1, k], net[0].weight.detach().numpy(), atol=1e-5)
        np.testing.assert_allclose(sweep["b1"][-1, k], net[0].bias.detach().numpy(), atol=1e-5)
        stats = dr.dead_unit_report(net, data.x_train)
        np.testing.assert_allclose(sweep["dead"][-1, k], [s.dead_fraction for s in stats], atol=1e-6)


def test_sweep_kills_more_units_at_the_largest_learning_rate_than_at_the_smallest():
    sweep = dr.lr_sweep()
    dead = sweep["dead"][-1].mean(axis=1)
    assert dead[-1] > dead[0] + 0.3
    assert not sweep["exploded"].any()
    assert np.all(np.isfinite(sweep["final_loss"]))


def test_warmup_raises_the_learning_rate_linearly():
    p = nn.Parameter(torch.zeros(1))
    opt = dr.WarmupSGD([p], lr=1.0, warmup_steps=4)
    seen = []
    for _ in range(6):
        p.grad = torch.ones(1)
        opt.step()
        seen.append(opt.param_groups[0]["lr"])
    assert seen == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert p.item() == pytest.approx(-4.5)


def test_make_net_variants_and_bad_names():
    assert sum(isinstance(m, nn.PReLU) for m in dr.make_net("prelu").modules()) == 2
    net = dr.make_net(init="kaiming", bias_init=0.1)
    assert torch.all(net[0].bias == 0.1)
    with pytest.raises(ValueError, match="activation"):
        dr.make_net("swish")
    with pytest.raises(ValueError, match="init"):
        dr.make_net(init="xavier")


def test_lr_index_snaps_to_grid_and_rejects_out_of_range():
    assert dr.lr_index(0.01) == 0 and dr.lr_index(10.0) == 12 and dr.lr_index(10 ** 0.5 * 1.0000001) == 10
    for bad in (0.0, -1.0, 100.0):
        with pytest.raises(ValueError, match="lr"):
            dr.lr_index(bad)
    with pytest.raises(TypeError, match="lr"):
        dr.lr_index("1")


def _finite_plot_data(fig):
    for ax in fig.axes:
        for line in ax.lines:
            assert np.all(np.isfinite(np.asarray(line.get_xydata(), dtype=float)))
        for coll in ax.collections:
            assert np.all(np.isfinite(np.asarray(coll.get_offsets(), dtype=float)))
            if hasattr(coll, "U"):
                assert np.all(np.isfinite(coll.U)) and np.all(np.isfinite(coll.V))
        for im in ax.images:
            assert np.all(np.isfinite(np.asarray(im.get_array(), dtype=float)))


@pytest.mark.parametrize("name", sorted(dr.VIEW_SWEEPS))
def test_every_view_sweep_setting_draws_finite_data(name):
    fn = getattr(dr, name)
    fig = None
    for kwargs in dr.VIEW_SWEEPS[name]:
        _finite_plot_data(fn(**kwargs))
        fig = fn(**kwargs, fig=fig)        # the in-place redraw path used by the sliders
        _finite_plot_data(fig)


def test_hyperplane_view_counts_dead_units_in_its_title_and_rejects_bad_step():
    sweep = dr.lr_sweep()
    k = dr.lr_index(10.0)
    pre = sweep["x_train"] @ sweep["w1"][-1, k].T + sweep["b1"][-1, k]
    n_dead = int((pre <= 0).all(0).sum())
    fig = dr.plot_hyperplanes(lr=10.0, step=dr.STEPS)
    assert f"{n_dead} of 32 first-layer units dead" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="step"):
        dr.plot_hyperplanes(step=dr.STEPS + 10)


def test_static_plots_draw_finite_data():
    sweep = dr.lr_sweep()
    _finite_plot_data(dr.plot_dead_vs_lr(sweep))
    _finite_plot_data(dr.plot_dead_over_steps(sweep, [0.1, 10.0]))
    _finite_plot_data(dr.plot_born_dead([1, 2, 3], [2, 4], np.array([[0, 0.5, 0.7], [0, 0.1, 0.2]])))
    _finite_plot_data(dr.plot_dead_at_birth([-1, 0], [0.5, 0.1], [0.1, 1], [0.4, 0.1]))
    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
    _finite_plot_data(dr.plot_unit_activity(dr.dead_unit_report(net, torch.randn(50, 2))))


def test_check_dead_count_accepts_the_hand_count_in_every_form(capsys):
    # by hand: unit 1 (-x2 - 2.5) and unit 2 (-x1 - x2 - 1) are <= 0 at all four points;
    # unit 0 (x1) fires at (1, 2) and unit 3 (0.5 x1 + 0.5 x2 - 1.25) fires at (1, 2).
    for right in (2, 2.0, np.int64(2), np.float64(2.0), torch.tensor(2), torch.tensor(2.0), np.array(2)):
        assert dr.check_dead_count(right) is True, right
    assert "❌" not in capsys.readouterr().out


@pytest.mark.parametrize("answer, hint", [
    (4, "sparse, not dead"),               # counted units that are <= 0 at SOME point
    (0, "include the bias"),               # forgot b
    (3, "negative bias alone"),            # counted the units with b < 0
    (1, "all four points"),
    (2.5, "whole number"),
    (True, "whole number"),
    ("2", "whole number"),
    (None, "replace None"),
])
def test_check_dead_count_rejects_learners_mistakes_with_a_hint(capsys, answer, hint):
    assert dr.check_dead_count(answer) is False
    out = capsys.readouterr().out
    assert out.count("❌") == 1 and "✅" not in out and hint in out


def test_check_dead_mask_accepts_correct_function(capsys):
    assert dr.check_dead_mask(lambda pre: (pre <= 0).all(dim=0)) is True
    assert dr.check_dead_mask(lambda pre: ~(pre > 0).any(dim=0)) is True
    assert "❌" not in capsys.readouterr().out


@pytest.mark.parametrize("fn, hint", [
    (lambda pre: (pre < 0).all(dim=0), "exactly 0"),
    (lambda pre: (pre <= 0).any(dim=0), "SOME examples"),
    (lambda pre: (pre <= 0).all(dim=1), "shape (12,)"),
    (lambda pre: None, "shape (12,)"),
    (lambda pre: 1 / 0, "ZeroDivisionError"),
    (lambda pre: torch.zeros(12, dtype=torch.bool), "misclassified"),
    ("my_dead_mask", "without brackets"),
])
def test_check_dead_mask_rejects_learners_mistakes_with_a_hint(capsys, fn, hint):
    assert dr.check_dead_mask(fn) is False
    out = capsys.readouterr().out
    assert out.count("❌") == 1 and "✅" not in out and hint in out


def test_killing_lr_is_where_the_last_point_stops_firing():
    """Independent check: scan the learning rate and apply the step to the unit directly."""
    lrs = np.round(np.arange(0.0, 6.0, 0.001), 3)
    dead = [bool(((dr.EXERCISE_X @ (dr.KILL_W - lr * dr.KILL_GRAD_W) + dr.KILL_B - lr * dr.KILL_GRAD_B) <= 0).all())
            for lr in lrs]
    first = lrs[int(np.argmax(dead))]
    assert _killing_lr() == pytest.approx(first, abs=1e-3) and first == pytest.approx(3.0)


def test_check_killing_lr_accepts_the_right_rate_in_every_form(capsys):
    for right in (3, 3.0, np.float64(3.0), torch.tensor(3.0), 3.0005):
        assert dr.check_killing_lr(right) is True
    assert "❌" not in capsys.readouterr().out


@pytest.mark.parametrize("answer, hint", [
    (2.5 / 3.5, "fired most"),             # killed it only at the point with the largest pre-activation
    (1.0 / 1.5, "FIRST point"),            # the smallest ratio: the first point to switch off
    (5.0, "weights move too"),             # moved only the bias
    (2.0, "too small"),
    (10.0, "larger than needed"),
    ("3", "a number"),
    (None, "replace None"),
])
def test_check_killing_lr_rejects_learners_mistakes_with_a_hint(capsys, answer, hint):
    assert dr.check_killing_lr(answer) is False
    out = capsys.readouterr().out
    assert out.count("❌") == 1 and "✅" not in out and hint in out


def test_rai_init_puts_one_positive_beta_entry_in_each_row():
    w, b = dr.rai_init(8, 2000, seed=3)
    v = torch.cat([w, b[:, None]], dim=1)
    assert w.shape == (2000, 8) and b.shape == (2000,)
    # each row's largest entry is (with overwhelming probability) the Beta(2, 1) one: mean 2/3, in (0, 1)
    top = v.max(dim=1).values
    assert 0 < top.min() and top.max() < 1.5
    rest = torch.sort(v, dim=1).values[:, :-1]
    assert rest.std().item() == pytest.approx(0.6007 / np.sqrt(8), rel=0.1)
    torch.testing.assert_close(dr.rai_init(8, 2000, seed=3)[0], w)


def test_rai_lowers_the_born_dead_probability_of_narrow_nets():
    he = dr.born_dead_probability([5, 10], [2, 3], n_nets=2000, seed=1)
    rai = dr.born_dead_probability([5, 10], [2, 3], n_nets=2000, seed=1, init="rai")
    assert np.all(rai < he)


def test_born_dead_probability_refuses_zero_nets_and_huge_sizes():
    with pytest.raises(ValueError, match="n_nets"):
        dr.born_dead_probability((2, 4), (4, 8), n_nets=0)
    with pytest.raises(ValueError, match="too large"):
        dr.born_dead_probability((2,), (256,), n_nets=20_000, n_inputs=1024)


def test_prelu_slope_trace_matches_the_batched_remedy_run():
    """The single-net trace diverges exactly when the batched `compare_remedies` run of the same seed does."""
    runs = {r["seed"]: r for r in dr.compare_remedies(seeds=(0, 1)) if r["name"] == "PReLU (α not decayed)"}
    for seed in (0, 1):
        trace = dr.prelu_slope_trace(seed=seed)
        assert (trace["diverged_at"] is not None) == runs[seed]["diverged"]
    leaky = dr.prelu_slope_trace(seed=0, activation="leaky_0.25", steps=20)
    assert np.all(leaky["slope_min"] == 0.25) and np.all(leaky["slope_max"] == 0.25)


def test_helpers_leave_the_global_torch_generator_alone():
    torch.manual_seed(11)
    before = torch.get_rng_state()
    dr.make_net("prelu", seed=3)
    dr.make_net(init="rai", seed=4)
    dr.rai_init(3, 4, seed=5)
    assert torch.equal(before, torch.get_rng_state())


def test_revival_plain_relu_cannot_revive_but_reinit_does():
    out = dr.revival_experiment(steps=50)
    assert out["dead_grad_norm"] == 0.0
    assert out["dead_before"] > 0
    assert out["plain ReLU"] >= out["dead_before"]
    assert out["re-initialise dead units"] < out["dead_before"]
    assert math.isfinite(out["dead_before"])


def _reference_run(name, seed, lr, steps, weight_decay):
    """One REMEDIES variant trained by the course's ordinary loop (the thing train_copies must reproduce)."""
    options, lr_factor, warmup = dr.REMEDIES[name]
    net = dr.make_net(seed=seed, **options)
    opt, _ = _sgd_excluding_prelu_slopes(net, lr * lr_factor, weight_decay, warmup)
    train(net, dr.make_task(0), steps=steps, optimizer=opt, batch_size=dr.BATCH_SIZE, eval_every=steps, seed=seed)
    return net


@pytest.mark.parametrize("name", sorted(dr.REMEDIES))
def test_train_copies_matches_the_course_training_loop_for_every_remedy(name):
    # two seeds side by side (different weights and mini-batches per copy); a moderate rate so nothing diverges
    # in 15 steps.  Tolerance: float32 sums in a different order, 15 steps -> 1e-4 absolute (batch-norm running
    # variances are O(1-10), hence also a relative 1e-4).
    options, lr_factor, warmup = dr.REMEDIES[name]
    lr, steps, seeds = 0.5, 15, [0, 3]
    nets = [dr.make_net(seed=s, **options) for s in seeds]
    nets, frozen = dr.train_copies(nets, dr.make_task(0), [lr * lr_factor] * 2, seeds, steps=steps,
                                   weight_decay=1e-3, warmup_steps=warmup)
    assert not frozen.any()
    for seed, net in zip(seeds, nets):
        ref = _reference_run(name, seed, lr, steps, 1e-3)
        got, want = net.state_dict(), ref.state_dict()
        for key in want:
            if key.endswith("num_batches_tracked"):
                continue
            torch.testing.assert_close(got[key], want[key], rtol=1e-4, atol=1e-4, msg=f"{name}, seed {seed}: {key}")
        # and the trained copy actually moved away from its initial weights
        assert not torch.equal(got["0.weight"], dr.make_net(seed=seed, **options).state_dict()["0.weight"])


def test_train_copies_freezes_a_diverging_copy_and_rejects_mismatched_arguments():
    nets = [dr.make_net("elu", seed=0), dr.make_net("elu", seed=0)]
    nets, frozen = dr.train_copies(nets, dr.make_task(0), [1e4, 0.1], [0, 0], steps=30)
    assert frozen.tolist() == [True, False]
    assert all(torch.isfinite(p).all() for net in nets for p in net.parameters())
    with pytest.raises(ValueError, match="one learning rate and one seed per net"):
        dr.train_copies([dr.make_net()], dr.make_task(0), [0.1, 0.2], [0])


def _run(name, seed, dead, acc, diverged=False, birth=0.1, loss=0.05):
    return {"name": name, "seed": seed, "dead_at_birth": birth, "dead": math.nan if diverged else dead,
            "train_loss": loss, "val_acc": acc, "diverged": diverged}


def test_summarise_remedies_counts_paired_wins_and_skips_diverged_runs():
    runs = [_run("ReLU (baseline)", 0, 0.5, 0.9), _run("ReLU (baseline)", 1, 0.2, 1.0),
            _run("A", 0, 0.4, 0.8), _run("A", 1, 0.3, 0.6),            # fewer than the baseline in seed 0 only
            _run("B", 0, 0.0, 0.5, diverged=True), _run("B", 1, 0.1, 0.7, birth=0.3)]
    base, a, b = dr.summarise_remedies(runs)
    assert [r["name"] for r in (base, a, b)] == ["ReLU (baseline)", "A", "B"]
    assert a["fewer_dead_than_baseline"] == 1 and base["fewer_dead_than_baseline"] == 0
    assert a["dead_mean"] == pytest.approx(0.35) and a["dead_sd"] == pytest.approx(0.05)
    assert a["val_acc_mean"] == pytest.approx(0.7) and a["val_acc_sd"] == pytest.approx(0.1)
    # the diverged run counts as diverged, not as a win, and is left out of the means
    assert b["n_diverged"] == 1 and b["n_runs"] == 2 and b["fewer_dead_than_baseline"] == 1
    assert b["dead_mean"] == pytest.approx(0.1) and b["val_acc_mean"] == pytest.approx(0.7)
    assert b["dead_at_birth"] == pytest.approx(0.2)          # birth is measured before training, for every run
    table = dr.format_table([base, a, b])
    assert "1/2" in table and "35% ± 5" in table
    with pytest.raises(ValueError, match="baseline"):
        dr.summarise_remedies(runs[2:])


def test_compare_remedies_records_every_variant_and_seed_and_plots():
    runs = dr.compare_remedies(steps=5, seeds=(0, 1))
    assert [(r["name"], r["seed"]) for r in runs] == [(n, s) for n in dr.REMEDIES for s in (0, 1)]
    data = dr.make_task(0)
    for r in runs:
        options = dr.REMEDIES[r["name"]][0]
        born = dr.overall_dead_fraction(dr.dead_unit_report(dr.make_net(seed=r["seed"], **options), data.x_train))
        assert r["dead_at_birth"] == pytest.approx(born)
        assert r["diverged"] or 0 <= r["dead"] <= 1
    fig = dr.plot_remedies(runs)
    _finite_plot_data(fig)
    assert "seeds" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="seed"):
        dr.compare_remedies(seeds=())


def test_first_layer_deaths_never_undo_and_the_count_rejects_an_untrained_rate():
    sweep = dr.lr_sweep()
    for lr in sweep["lrs"]:
        counts = dr.first_layer_dead_counts(sweep, float(lr))
        assert np.all(np.diff(counts) >= 0)        # dead on fixed inputs = dead for good
    k = dr.lr_index(10.0)
    direct = ((sweep["x_train"] @ sweep["w1"][-1, k].T + sweep["b1"][-1, k]) <= 0).all(0).sum()
    assert dr.first_layer_dead_counts(sweep, 10.0)[-1] == direct
    with pytest.raises(ValueError, match="not trained"):
        dr.first_layer_dead_counts(sweep, 0.02)
    with pytest.raises(ValueError, match="lr"):
        dr.first_layer_dead_counts(sweep, -1.0)


# ----- bad input (tests/test_bad_input.py) ------------------------------------------------------------------------

def _tiny_sweep():
    return {"sweep": dr.train_lr_sweep([0.1, 1.0], steps=3, snapshot_every=1)}


def _runs():
    return dr.compare_remedies(steps=3, seeds=(0,))


BAD_INPUT_BASE = {
    "dead_mask": lambda: {"pre": torch.randn(6, 3)},
    "first_layer_dead_mask": lambda: {"weight": dr.EXERCISE_W, "bias": dr.EXERCISE_B, "x": dr.EXERCISE_X},
    "prelu_forward": lambda: {"x": torch.randn(5, 3), "alpha": torch.full((3,), 0.25)},
    "prelu_backward": lambda: {"dout": torch.ones(5, 3),
                               "cache": dr.prelu_forward(torch.randn(5, 3), torch.full((3,), 0.25))[1]},
    "born_dead_probability": lambda: {"depths": [2, 4], "widths": [4, 8], "n_nets": 50, "n_inputs": 8},
    "rai_init": lambda: {"fan_in": 3, "fan_out": 4},
    "LayerStats": lambda: {"name": "1", "kind": "ReLU", "unit_active_fraction": np.array([0.0, 0.5])},
    "DeadUnitMonitor": lambda: {"model": dr.make_net()},
    "dead_unit_report": lambda: {"model": dr.make_net(), "x": dr.make_task().x_train},
    "overall_dead_fraction": lambda: {"stats": dr.dead_unit_report(dr.make_net(), dr.make_task().x_train)},
    "WarmupSGD": lambda: {"params": [torch.zeros(2, requires_grad=True)], "lr": 0.1},
    "train_copies": lambda: {"nets": [dr.make_net()], "data": dr.make_task(), "lrs": [0.5], "seeds": [0],
                             "steps": 2},
    "train_lr_sweep": lambda: {"lrs": [0.1, 1.0], "steps": 3, "snapshot_every": 1},
    "lr_index": lambda: {"lr": 1.0},
    "first_layer_dead_counts": lambda: {**_tiny_sweep(), "lr": 1.0},
    "dead_at_birth": lambda: {"n_nets": 2},
    "compare_remedies": lambda: {"steps": 3, "seeds": (0,)},
    "summarise_remedies": lambda: {"runs": _runs()},
    "format_table": lambda: {"rows": dr.summarise_remedies(_runs())},
    "prelu_slope_trace": lambda: {"steps": 3},
    "prelu_slopes_under_decay": lambda: {"steps": 3},
    "revival_experiment": lambda: {"steps": 3},
    "check_dead_count": lambda: {"answer": 2},
    "check_dead_mask": lambda: {"fn": lambda pre: (pre <= 0).all(dim=0)},
    "check_killing_lr": lambda: {"answer": 3.0},
    "plot_unit_activity": lambda: {"stats": dr.dead_unit_report(dr.make_net(), dr.make_task().x_train)},
    "plot_dead_vs_lr": _tiny_sweep,
    "plot_dead_over_steps": lambda: {**_tiny_sweep(), "lrs": [0.1, 1.0]},
    "plot_dead_at_birth": lambda: {"bias_shifts": np.array([-1.0, 0.0]), "by_shift": np.array([0.5, 0.1]),
                                   "weight_gains": np.array([0.1, 1.0]), "by_gain": np.array([0.4, 0.1])},
    "plot_born_dead": lambda: {"depths": np.array([1.0, 2.0]), "widths": np.array([2.0]),
                               "probs": np.array([[0.1, 0.2]])},
    "plot_remedies": lambda: {"runs": _runs()},
}
BAD_INPUT_ALLOW = {
    ("compare_remedies", "<result>"): "a run that diverges is reported with dead = NaN and diverged = True",
    ("summarise_remedies", "<result>"): "the mean dead fraction of a variant whose every run diverged is NaN",
    ("prelu_slope_trace", "<result>"): "the slopes are recorded up to the step where the loss stops being finite",
    ("plot_unit_activity", "title", "unknown name"): "any text is a valid title",
    ("dead_mask", "pre", "extra dimension"): "(N, C, ...) pre-activations of channels",
    ("dead_unit_report", "x", "extra dimension"): "x has whatever shape the model takes",
    ("LayerStats", "name", "unknown name"): "any module name is valid",
    ("LayerStats", "kind", "unknown name"): "any module type name is valid",
}


@pytest.mark.parametrize("bad", [None, (), "ReLU", (nn.ReLU, int), [nn.ReLU]])
def test_monitor_refuses_layer_types_that_are_not_module_classes_by_name(bad):
    # issue 32: layer_types=None failed inside isinstance() with a message that named nothing
    with pytest.raises(TypeError, match="layer_types"):
        dr.DeadUnitMonitor(dr.make_net(), layer_types=bad)


def test_monitor_takes_one_module_class_as_well_as_a_tuple():
    assert len(dr.DeadUnitMonitor(dr.make_net(), layer_types=nn.ReLU).layers) >= 1


@pytest.mark.parametrize("bad, error", [(None, TypeError), (3, TypeError), ((), ValueError)])
def test_train_copies_refuses_bad_seeds_by_name(bad, error):
    # issue 32: seeds=None failed with "'NoneType' object is not iterable"
    with pytest.raises(error, match="seeds"):
        dr.train_copies([dr.make_net()], dr.make_task(), [0.5], seeds=bad, steps=3)

BAD_INPUT_ALLOW[("train_copies", "warmup_steps", "0")] = "no warm-up: the plain SGD the warm-up remedy is compared with"
