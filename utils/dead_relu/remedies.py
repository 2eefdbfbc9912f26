"""The experiments of notebook 05 on remedies (section 5) and revival (section 6); they return data.

`compare_remedies` trains every variant of `REMEDIES` over several seeds; `summarise_remedies` and `format_table`
turn the runs into the notebook's table; `prelu_slope_trace` and `prelu_slopes_under_decay` follow PReLU's
learned slopes; `revival_experiment` asks whether dead units come back.
"""

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from utils import validation
from utils.caching import cached
from utils.device import one_cpu_thread
from utils.training import evaluate, train

from ._checks import _seed
from .experiments import (
    _MAX_STEPS,
    BATCH_SIZE,
    LARGE_LR,
    STEPS,
    WarmupSGD,
    make_net,
    make_task,
    train_copies,
)
from .maths import dead_unit_report, overall_dead_fraction

REMEDY_LR = 2.0

REMEDIES = {
    # name: (net options, learning-rate factor, warm-up steps)
    "ReLU (baseline)": ({}, 1.0, 0),
    "ReLU, lr ÷ 10": ({}, 0.1, 0),
    "ReLU, warm-up 100 steps": ({}, 1.0, 100),
    "Leaky ReLU (α = 0.01)": ({"activation": "leaky"}, 1.0, 0),
    "PReLU (α not decayed)": ({"activation": "prelu"}, 1.0, 0),
    "ELU": ({"activation": "elu"}, 1.0, 0),
    "BatchNorm before ReLU": ({"batchnorm": True}, 1.0, 0),
    "Kaiming init, zero bias": ({"init": "kaiming"}, 1.0, 0),
    "Kaiming init, bias 0.1": ({"init": "kaiming", "bias_init": 0.1}, 1.0, 0),
    "Randomized asym. init": ({"init": "rai"}, 1.0, 0),
    "Leaky ReLU (α = 0.25)": ({"activation": "leaky_0.25"}, 1.0, 0),
}


def _sgd_excluding_prelu_slopes(net, lr, weight_decay, warmup_steps=1, decay_slopes=False):
    """WarmupSGD with weight decay on every parameter except PReLU slopes (unless decay_slopes)."""
    slopes = [p for m in net.modules() if isinstance(m, nn.PReLU) for p in m.parameters()]
    others = [p for p in net.parameters() if all(p is not s for s in slopes)]
    groups = [{"params": others, "weight_decay": weight_decay}]
    if slopes:
        groups.append({"params": slopes, "weight_decay": weight_decay if decay_slopes else 0.0})
    return WarmupSGD(groups, lr=lr, warmup_steps=max(warmup_steps, 1)), slopes


REMEDY_SEEDS = tuple(range(10))


def compare_remedies(lr=REMEDY_LR, weight_decay=1e-3, steps=STEPS, seeds=REMEDY_SEEDS, data_seed=0, device=None):
    """Train every variant of REMEDIES from several seeds on the same task; one record per (variant, seed).

    Seed s fixes the net's initial weights and the order of its mini-batches, and is shared by every
    variant, so the variants can be compared seed by seed.  All use SGD with weight decay on weights,
    biases and batch-norm scales (never on PReLU slopes); the runs are trained side by side
    (`train_copies`), one batched computation per architecture.
    Returns a list of dicts: name, seed, dead_at_birth, dead (fraction of hidden units whose
    pre-activation is never > 0 on the training set; NaN if diverged), train_loss, val_acc, and
    diverged (the loss became inf/NaN, or the final training loss is worse than guessing every
    class with equal probability, ln C).
    """
    lr = validation.finite_number("lr", lr, low=0, high=100, low_open=True)
    weight_decay = validation.finite_number("weight_decay", weight_decay, low=0, high=1)
    steps = validation.size("steps", steps, high=_MAX_STEPS)
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a list of seeds, got {seeds!r}")
    seeds = tuple(_seed(v, "seeds") for v in seeds)
    if not seeds or len(seeds) > 20:
        raise ValueError(f"seeds must hold 1 to 20 seeds, got {len(seeds)}")
    device = validation.device_value("device", device)
    return [dict(r) for r in _compare_remedies(lr, weight_decay, steps, seeds, _seed(data_seed, "data_seed"),
                                               str(device))]


@cached(maxsize=8)
def _compare_remedies(lr, weight_decay, steps, seeds, data_seed, device):
    device = torch.device(device)
    data = make_task(data_seed)
    chance_loss = math.log(data.n_classes)
    by_arch = {}
    for name, (options, lr_factor, warmup) in REMEDIES.items():
        arch = (options.get("activation", "relu"), options.get("batchnorm", False))
        by_arch.setdefault(arch, []).extend((name, options, lr * lr_factor, warmup, s) for s in seeds)
    runs = []
    with one_cpu_thread(device):
        for jobs in by_arch.values():
            nets = [make_net(seed=s, **options) for _, options, _, _, s in jobs]
            born = [overall_dead_fraction(dead_unit_report(net, data.x_train)) for net in nets]
            nets, frozen = train_copies(nets, data, [j[2] for j in jobs], [j[4] for j in jobs], steps=steps,
                                        weight_decay=weight_decay, warmup_steps=[j[3] for j in jobs], device=device)
            for (name, _, _, _, s), net, dead0, froze in zip(jobs, nets, born, frozen):
                loss, _ = evaluate(net, data.x_train, data.y_train)
                _, acc = evaluate(net, data.x_val, data.y_val)
                diverged = bool(froze) or not loss <= chance_loss
                dead = math.nan if diverged else overall_dead_fraction(dead_unit_report(net, data.x_train))
                runs.append({"name": name, "seed": s, "dead_at_birth": dead0, "dead": dead, "train_loss": loss,
                             "val_acc": acc, "diverged": diverged})
    order = list(REMEDIES)
    return sorted(runs, key=lambda r: (order.index(r["name"]), seeds.index(r["seed"])))


def summarise_remedies(runs, baseline="ReLU (baseline)"):
    """One row per variant from `compare_remedies` records, in REMEDIES order.

    Each row: name, n_runs, n_diverged, dead_at_birth (mean over seeds), dead_mean, dead_sd (over the
    runs that did not diverge; NaN if none), fewer_dead_than_baseline (in how many seeds the variant
    ended with fewer dead units than the baseline from the same seed), n_compared (in how many seeds both the
    variant and the baseline trained, so that they could be compared), train_loss (mean), val_acc_mean,
    val_acc_sd (runs that did not diverge).
    """
    if not isinstance(runs, list) or not runs or not all(isinstance(r, dict) and "dead" in r for r in runs):
        raise TypeError("runs must be the list returned by compare_remedies")
    names = list(dict.fromkeys(r["name"] for r in runs))
    if baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not among the variants {names}")
    base = {r["seed"]: r["dead"] for r in runs if r["name"] == baseline}
    base_trained = {r["seed"]: not r["diverged"] for r in runs if r["name"] == baseline}
    rows = []
    for name in names:
        mine = [r for r in runs if r["name"] == name]
        ok = [r for r in mine if not r["diverged"]]

        def stat(key, fn, rs=ok):
            return float(fn([r[key] for r in rs])) if rs else math.nan
        rows.append({"name": name, "n_runs": len(mine), "n_diverged": len(mine) - len(ok),
                     "dead_at_birth": stat("dead_at_birth", np.mean, mine),
                     "dead_mean": stat("dead", np.mean), "dead_sd": stat("dead", np.std),
                     "fewer_dead_than_baseline": sum(r["dead"] < base[r["seed"]] for r in ok),
                     "n_compared": sum(base_trained[r["seed"]] for r in ok),
                     "train_loss": stat("train_loss", np.mean),
                     "val_acc_mean": stat("val_acc", np.mean), "val_acc_sd": stat("val_acc", np.std)})
    return rows


def format_table(rows, rows_low=None, low_lr=None):
    """The summarised remedies table (`summarise_remedies`) as aligned text; spreads are standard deviations.

    rows_low, low_lr: the same table at a smaller learning rate; adds two columns (runs diverged, mean dead after).
    """
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) and "n_runs" in r for r in rows):
        raise TypeError("rows must be the list returned by summarise_remedies")
    low = {}
    if rows_low is not None:
        if not isinstance(rows_low, list) or not all(isinstance(r, dict) and "n_runs" in r for r in rows_low):
            raise TypeError("rows_low must be the list returned by summarise_remedies")
        low_lr = validation.finite_number("low_lr", low_lr, low=0, low_open=True)
        low = {r["name"]: r for r in rows_low}
    extra = (f"{'at lr ' + format(low_lr, 'g') + ':':>22}", f"{'diverged':>10}{'dead after':>12}") if low else ("", "")
    lines = [f"{'variant':<25}{'diverged':>9}{'dead at birth':>15}{'dead after':>14}{'fewer dead':>12}"
             f"{'train loss':>12}{'val acc':>13}{extra[0]}",
             f"{'':<25}{'':>9}{'(mean)':>15}{'(mean ± sd)':>14}{'than base':>12}{'(mean)':>12}{'(mean ± sd)':>13}"
             f"{extra[1]}"]
    for r in rows:
        runs = f"{r['n_diverged']}/{r['n_runs']}"
        tail = ""
        if r["name"] in low:
            q = low[r["name"]]
            dead_low = "—" if q["n_diverged"] == q["n_runs"] else f"{q['dead_mean']:.0%}"
            tail = f"{q['n_diverged']}/{q['n_runs']:<2}{dead_low:>10}".rjust(22)
        if r["n_diverged"] == r["n_runs"]:
            lines.append(f"{r['name']:<25}{runs:>9}{r['dead_at_birth']:>15.0%}{'—':>14}{'—':>12}{'—':>12}{'—':>13}"
                         f"{tail}")
            continue
        dead = f"{r['dead_mean']:.0%} ± {100 * r['dead_sd']:.0f}"
        acc = f"{r['val_acc_mean']:.0%} ± {100 * r['val_acc_sd']:.0f}"
        fewer = f"{r['fewer_dead_than_baseline']}/{r['n_compared']}"
        lines.append(f"{r['name']:<25}{runs:>9}{r['dead_at_birth']:>15.0%}{dead:>14}{fewer:>12}"
                     f"{r['train_loss']:>12.3f}{acc:>13}{tail}")
    return "\n".join(lines)


def prelu_slope_trace(lr=REMEDY_LR, weight_decay=1e-3, steps=STEPS, seed=0, activation="prelu"):
    """Train one net as `compare_remedies` does (same initial weights, same mini-batches, decay not on the slopes)
    and record, at every step, the mini-batch loss and the smallest and largest negative-side slope.

    activation: "prelu" (learned slopes) or "leaky_0.25" (the same starting slope, fixed).
    Returns dict(loss (T,), slope_min (T,), slope_max (T,), diverged_at: the first step whose loss is not finite,
    or None).  T = steps, or fewer when the run diverged (the trace stops there).
    """
    lr = validation.finite_number("lr", lr, low=0, high=100, low_open=True)
    weight_decay = validation.finite_number("weight_decay", weight_decay, low=0, high=1)
    steps = validation.size("steps", steps, high=_MAX_STEPS)
    activation = validation.one_of("activation", activation, ("prelu", "leaky_0.25"))
    return _prelu_slope_trace(lr, weight_decay, steps, _seed(seed), activation)


@cached(maxsize=16)
@one_cpu_thread()
def _prelu_slope_trace(lr, weight_decay, steps, seed, activation):
    data = make_task(0)
    net = make_net(activation, seed=seed)
    opt, slopes = _sgd_excluding_prelu_slopes(net, lr, weight_decay)
    fixed = [m.negative_slope for m in net if isinstance(m, nn.LeakyReLU)]
    g = torch.Generator().manual_seed(seed)
    n = len(data.x_train)
    loss_log, lo, hi, diverged = [], [], [], None
    for step in range(1, steps + 1):
        idx = torch.randint(n, (min(BATCH_SIZE, n),), generator=g)
        loss = F.cross_entropy(net(data.x_train[idx]), data.y_train[idx])
        if not math.isfinite(loss.item()):
            diverged = step
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        a = torch.cat([p.detach().flatten() for p in slopes]) if slopes else torch.tensor(fixed)
        loss_log.append(loss.item())
        lo.append(float(a.min()))
        hi.append(float(a.max()))
    return {"loss": np.array(loss_log), "slope_min": np.array(lo), "slope_max": np.array(hi), "diverged_at": diverged}


@one_cpu_thread()
def prelu_slopes_under_decay(lr=0.5, weight_decay=1e-2, steps=STEPS, seed=0):
    """Mean PReLU slope after training with the slopes excluded from, or included in, weight decay.

    Also returns what decay alone would leave of the initial 0.25: 0.25 * (1 - lr * weight_decay) ** steps.
    """
    lr = validation.finite_number("lr", lr, low=0, high=100, low_open=True)
    weight_decay = validation.finite_number("weight_decay", weight_decay, low=0, high=1)
    steps = validation.size("steps", steps, high=_MAX_STEPS)
    data = make_task(_seed(seed))
    out = {"decay alone would leave": 0.25 * (1 - lr * weight_decay) ** steps}
    for name, decay in (("α excluded from decay", False), ("α decayed", True)):
        net = make_net("prelu", seed=seed)
        opt, slopes = _sgd_excluding_prelu_slopes(net, lr, weight_decay, decay_slopes=decay)
        train(net, data, steps=steps, optimizer=opt, batch_size=BATCH_SIZE, eval_every=steps, seed=seed)
        out[name] = float(torch.cat([p.detach().flatten() for p in slopes]).mean())
    return out


def _reinit_dead_units(net, x, seed=0):
    """Give every dead unit new He-normal incoming weights, zero bias and zero outgoing weights."""
    g = torch.Generator().manual_seed(seed)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    stats = dead_unit_report(net, x)
    with torch.no_grad():
        for s, layer, nxt in zip(stats, linears, linears[1:]):
            idx = torch.as_tensor(np.flatnonzero(s.dead))
            if len(idx):
                fresh = torch.randn(len(idx), layer.in_features, generator=g) * math.sqrt(2 / layer.in_features)
                layer.weight[idx] = fresh
                layer.bias[idx] = 0.0
                nxt.weight[:, idx] = 0.0
    return net


def revival_experiment(lr=LARGE_LR, steps=200, finetune_lr=0.1, seed=0):
    """Can dead units come back?  Kill units with a large learning rate, then keep training three ways.

    Returns a dict: dead_before (units dead after the large-lr phase), dead_grad_norm (largest gradient
    on any dead unit's incoming weights and bias, over the whole training set), and for each of
    "plain ReLU", "swap to Leaky ReLU (α = 0.1)", "re-initialise dead units": the number of hidden units
    still dead (as judged by a plain ReLU) after `steps` more steps at `finetune_lr`.  Results are cached.
    """
    lr = validation.finite_number("lr", lr, low=0, high=100, low_open=True)
    steps = validation.size("steps", steps, high=_MAX_STEPS)
    finetune_lr = validation.finite_number("finetune_lr", finetune_lr, low=0, high=100, low_open=True)
    return _revival_experiment(lr, steps, finetune_lr, _seed(seed))


@cached(maxsize=8)
@one_cpu_thread()
def _revival_experiment(lr, steps, finetune_lr, seed):
    data = make_task(seed)
    net = make_net(seed=seed)
    train(net, data, steps=STEPS, lr=lr, batch_size=BATCH_SIZE, eval_every=STEPS, seed=seed)
    stats = dead_unit_report(net, data.x_train)
    out = {"dead_before": sum(s.n_dead for s in stats), "n_units": sum(s.n_units for s in stats)}
    net.zero_grad()
    F.cross_entropy(net(data.x_train), data.y_train).backward()
    linears = [m for m in net if isinstance(m, nn.Linear)]
    dead_grads = [torch.cat([layer.weight.grad[s.dead].flatten(), layer.bias.grad[s.dead]])
                  for s, layer in zip(stats, linears) if s.n_dead]
    out["dead_grad_norm"] = max((g.abs().max().item() for g in dead_grads), default=0.0)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    for how in ("plain ReLU", "swap to Leaky ReLU (α = 0.1)", "re-initialise dead units"):
        variant = make_net(seed=seed)
        variant.load_state_dict(state)
        if how.startswith("swap"):
            variant = nn.Sequential(*[nn.LeakyReLU(0.1) if isinstance(m, nn.ReLU) else m for m in variant])
        if how.startswith("re-init"):
            _reinit_dead_units(variant, data.x_train, seed)
        train(variant, data, steps=steps, lr=finetune_lr, batch_size=BATCH_SIZE, eval_every=steps, seed=seed + 1)
        as_relu = nn.Sequential(*[nn.ReLU() if isinstance(m, nn.LeakyReLU) else m for m in variant])
        out[how] = sum(s.n_dead for s in dead_unit_report(as_relu, data.x_train))
    return out
