"""The notebook's experiments on what BN does to training (section 8) and where it fails (section 10).

8a `sigmoid_mlp_experiment` (+ `sigmoid_summary`): a deep sigmoid net with and without BN; 8b, 8c `lr_sweep` and
`init_scale_sweep` (+ `trains_at`, `sweep_table`): final losses over learning rates and initial weight scales; 8d
`regularisation_experiment`: the train/validation gap and the noise BN injects; 8e `smoothness_experiment`
(+ `smoothness_at_equal_loss`): how much the loss and gradient change along the gradient; 10 `small_batch_experiment`
(+ `small_batch_summary`): BatchNorm vs GroupNorm as the batch shrinks.

Same conventions as `experiments.py`, whose network builders these reuse: seeded, cached, returning data.
"""

import math

import numpy as np
import torch
from torch import nn

from utils import validation
from utils.caching import cached
from utils.device import one_cpu_thread

from ._checks import _check_sweep, _device_key, _seeds, _steps, _values
from .comparisons import format_table
from .experiments import _digits, _mlp, _train

CHANCE_LOSS = math.log(10)          # cross-entropy of a uniform guess over the 10 digit classes
DIVERGED_ABOVE = 10.0               # a run whose final loss is above this (or NaN) counts as diverged


@cached(maxsize=8)
@one_cpu_thread()
def _sigmoid_mlp(steps, lr, seed, device):
    data = _digits(device)
    results = {}
    for name, norm in (("without BN", None), ("with BN", "bn")):
        model = _mlp([64, 100, 100, 100, 10], nn.Sigmoid, norm=norm, init="xavier", seed=seed)
        last_sigmoid = [m for m in model if isinstance(m, nn.Sigmoid)][-1]
        captured, pct = {}, []
        last_sigmoid.register_forward_hook(lambda mod, i, o, captured=captured: captured.__setitem__("z", i[0][:, 0]))

        def monitor(step, model, captured=captured, pct=pct):
            model.eval()
            with torch.no_grad():
                model(data.x_val.to(next(model.parameters()).device))
            model.train()
            pct.append(np.percentile(captured["z"].cpu().numpy(), [15, 50, 85]))

        hist = _train(model, data, steps=steps, lr=lr, batch_size=60, eval_every=20, seed=seed, device=device,
                      on_eval=monitor)
        results[name] = {"step": np.array(hist.step), "val_acc": np.array(hist.val_acc),
                         "pct": np.array(pct)}
    return results


def sigmoid_mlp_experiment(steps=300, lr=0.5, seed=0, device=None):
    """After Ioffe & Szegedy's Figure 1: a 3-hidden-layer sigmoid MLP (Xavier init) on digits with and without BN.

    Every 20 steps records validation accuracy and the 15th/50th/85th percentiles over the validation examples of
    the input to one sigmoid of the last hidden layer.
    Returns {name: {"step": (T,), "val_acc": (T,), "pct": (T, 3)}} for "without BN" and "with BN".
    """
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=10)
    return _sigmoid_mlp(_steps(steps), lr, validation.seed_value("seed", seed), _device_key(device))


def sigmoid_summary(results):
    """Spread and drift of the monitored sigmoid input, from `sigmoid_mlp_experiment`.

    Returns {name: {"spread_max": largest 15-85th percentile width over the probes, "spread_median": its median,
    "drift": how far the median moved (max - min over the probes)}}.
    """
    if (not isinstance(results, dict) or not results
            or not all(isinstance(r, dict) and "pct" in r for r in results.values())):
        raise TypeError("results must be the dict returned by sigmoid_mlp_experiment")
    out = {}
    for name, r in results.items():
        width = r["pct"][:, 2] - r["pct"][:, 0]
        out[name] = {"spread_max": float(width.max()), "spread_median": float(np.median(width)),
                     "drift": float(r["pct"][:, 1].max() - r["pct"][:, 1].min())}
    return out


def _final_loss(hist):
    """Mean training loss of the last evaluation window; divergence (NaN, or above DIVERGED_ABOVE) becomes inf."""
    loss = hist.final("train_loss")
    return loss if np.isfinite(loss) and loss <= DIVERGED_ABOVE else math.inf


@cached(maxsize=8)
@one_cpu_thread()
def _lr_sweep(lrs, steps, seeds, device):
    data = _digits(device)
    variants = {"without BN, default init": (None, None), "without BN, He init": (None, "he"), "with BN": ("bn", None)}
    out = {"setting": "learning rate", "x": np.array(lrs, dtype=float), "names": tuple(variants)}
    for name, (norm, init) in variants.items():
        losses = np.empty((len(seeds), len(lrs)))
        for i, seed in enumerate(seeds):
            for j, lr in enumerate(lrs):
                model = _mlp([64, 64, 64, 64, 10], nn.ReLU, norm=norm, init=init, seed=seed)
                losses[i, j] = _final_loss(_train(model, data, steps=steps, lr=lr, batch_size=64, eval_every=25,
                                                  seed=seed, device=device))
        out[name] = losses
    return out


def lr_sweep(lrs=(0.01, 0.1, 0.3, 1.0, 3.0, 10.0), steps=80, seeds=(0, 1, 2), device=None):
    """Final training loss of a 3-hidden-layer ReLU MLP on digits (SGD, batches of 64) for each learning rate and
    seed: without BN (PyTorch's default initialisation, and He initialisation) and with BN (default init).

    lrs: 1 to 12 rates in (0, 100].  Returns {"setting": "learning rate", "x": (L,), "names": the three variants,
    name: (S, L) losses, one row per seed}; a diverged run (final loss above 10, or NaN) is inf.
    """
    lrs = _values("lrs", lrs, 1e-6, 100.0)
    return _lr_sweep(lrs, _steps(steps), _seeds(seeds), _device_key(device))


@cached(maxsize=8)
@one_cpu_thread()
def _init_scale_sweep(scales, depth, steps, lr, seeds, device):
    data = _digits(device)
    out = {"setting": "initial weight scale s (× He)", "x": np.array(scales, dtype=float),
           "names": ("without BN", "with BN")}
    for name, norm in zip(out["names"], (None, "bn")):
        losses = np.empty((len(seeds), len(scales)))
        for i, seed in enumerate(seeds):
            for j, s in enumerate(scales):
                model = _mlp([64] + [64] * depth + [10], nn.ReLU, norm=norm, seed=seed)
                with torch.no_grad():
                    for m in model:
                        if isinstance(m, nn.Linear):
                            m.weight.normal_(0.0, s * math.sqrt(2.0 / m.in_features),
                                             generator=torch.Generator().manual_seed(seed + m.in_features))
                            m.bias.zero_()
                losses[i, j] = _final_loss(_train(model, data, steps=steps, lr=lr, batch_size=64, eval_every=25,
                                                  seed=seed, device=device))
        out[name] = losses
    return out


def init_scale_sweep(scales=(0.1, 0.3, 1.0, 3.0, 10.0), depth=5, steps=80, lr=0.05, seeds=(0, 1, 2), device=None):
    """Final training loss of a deep ReLU MLP (depth hidden layers of 64, SGD) whose weights are He-initialised
    times `scale`, with and without BN, for each seed.

    scales: 1 to 12 values in (0, 100]; depth: 1..20.  Returns {"setting", "x": (K,), "names", name: (S, K)};
    a diverged run (final loss above 10, or NaN) is inf.
    """
    scales = _values("scales", scales, 1e-6, 100.0)
    depth = validation.size("depth", depth, high=20)
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=100)
    return _init_scale_sweep(scales, depth, _steps(steps), lr, _seeds(seeds), _device_key(device))


def trains_at(sweep, name, threshold=0.5):
    """The swept values at which every seed of `name` ended with a training loss below `threshold`.

    sweep: from `lr_sweep` or `init_scale_sweep`; name: one of sweep["names"]; threshold: > 0.
    Returns a list of x values (floats).
    """
    _check_sweep(sweep)
    validation.one_of("name", name, sweep["names"])
    threshold = validation.finite_number("threshold", threshold, low=0, low_open=True)
    ok = np.all(sweep[name] < threshold, axis=0)
    return [float(x) for x, good in zip(sweep["x"], ok) if good]


def sweep_table(sweep):
    """A plain-text table of a sweep: the mean final loss over seeds, "diverged k/S" where k of the S seeds diverged
    (final loss above 10, or NaN), and a line that says so."""
    _check_sweep(sweep)
    rows = {}
    for name in sweep["names"]:
        losses = sweep[name]
        cells = {}
        for j, x in enumerate(sweep["x"]):
            k = int(np.sum(~np.isfinite(losses[:, j])))
            cells[f"{x:g}"] = f"diverged {k}/{len(losses)}" if k else float(np.mean(losses[:, j]))
        rows[name] = cells
    head = sweep["setting"].split(" (")[0]
    text = format_table(rows, [f"{x:g}" for x in sweep["x"]], head, fmt="{:.3f}")
    return (text + f"\n(mean final training loss over {len(sweep[sweep['names'][0]])} seeds; chance is "
            f"ln 10 = {CHANCE_LOSS:.3f}; 'diverged k/S': k of S seeds ended with a loss above "
            f"{DIVERGED_ABOVE:g} or NaN)")


@cached(maxsize=8)
@one_cpu_thread()
def _regularisation(n_train, steps, seed, device):
    data = _digits(device, n=int(n_train / 0.75), seed=seed)
    res, models = {}, {}
    for name, norm in (("without BN", None), ("with BN", "bn")):
        model = _mlp([64, 128, 128, 10], nn.ReLU, norm=norm, seed=seed)
        h = _train(model, data, steps=steps, lr=0.1, batch_size=32, eval_every=steps, seed=seed, device=device)
        res[name] = {"train_acc": h.final("train_acc"), "val_acc": h.final("val_acc"),
                     "gap": h.final("train_acc") - h.final("val_acc")}
        models[name] = model
    return res, _bn_noise(models["with BN"], data.x_train, seed)


def _bn_noise(model, x, seed, batches=200, batch_size=32):
    """Std, across random batches, of example 0's normalised value at the FIRST BN layer of `model` (the values BN
    really normalises: the first Linear layer's outputs); the median over that layer's units."""
    with torch.no_grad():
        h = model[0](x).cpu().numpy().astype(np.float64)          # (N, units): the input of the first BN layer
    g = np.random.default_rng(seed)
    values = []
    for _ in range(batches):
        others = g.choice(np.arange(1, len(h)), batch_size - 1, replace=False)
        batch = np.concatenate([h[:1], h[others]])
        values.append((batch[0] - batch.mean(0)) / np.sqrt(batch.var(0) + 1e-5))
    return float(np.median(np.std(values, axis=0)))


def regularisation_experiment(n_train=300, steps=200, seed=0, device=None):
    """Train on a small digits subset (n_train examples, 32..1300) with and without BN (SGD, lr 0.1, batches of 32,
    default init); compare the train/validation accuracy gap.

    Also measures the noise BN injects: for the trained BN net's first BN layer (whose inputs are the first Linear
    layer's outputs), the std of one example's normalised value across 200 random batches of 32, median over units.
    Returns ({name: {"train_acc", "val_acc", "gap"}}, noise std).
    """
    n_train = validation.size("n_train", n_train, low=32, high=1300)
    return _regularisation(n_train, _steps(steps), validation.seed_value("seed", seed), _device_key(device))


@cached(maxsize=8)
@one_cpu_thread()
def _smoothness(steps, lr, probe_every, seed, device):
    data = _digits(device)
    dev = data.x_train.device
    gen = torch.Generator().manual_seed(seed)
    probe = torch.randperm(len(data.x_train), generator=gen)[:256].to(dev)
    xp, yp = data.x_train[probe], data.y_train[probe]
    loss_fn = nn.CrossEntropyLoss()
    etas = lr * np.array([0.25, 0.5, 1.0, 1.5, 2.0])
    out = {}
    keys = ("step", "probe_loss", "loss_range", "grad_change", "grad_lipschitz", "grad_norm")
    for name, norm in (("without BN", None), ("with BN", "bn")):
        model = _mlp([64, 64, 64, 64, 64, 10], nn.ReLU, norm=norm, init="he", seed=seed).to(dev)
        params = list(model.parameters())
        opt = torch.optim.SGD(params, lr=lr)
        g = torch.Generator().manual_seed(seed)
        rec = {k: [] for k in keys + ("train_loss",)}
        for step in range(steps + 1):
            if step % probe_every == 0:
                model.zero_grad()
                loss0 = loss_fn(model(xp), yp)
                loss0.backward()
                grads = [p.grad.detach().clone() for p in params]
                saved = [p.detach().clone() for p in params]
                grad_norm = math.sqrt(sum((gr ** 2).sum().item() for gr in grads))
                losses, changes = [], []
                for eta in etas:
                    with torch.no_grad():
                        for p, s, gr in zip(params, saved, grads):
                            p.copy_(s - eta * gr)
                    model.zero_grad()
                    loss = loss_fn(model(xp), yp)
                    loss.backward()
                    losses.append(loss.item())
                    changes.append(math.sqrt(sum(((p.grad - gr) ** 2).sum().item() for p, gr in zip(params, grads))))
                with torch.no_grad():
                    for p, s in zip(params, saved):
                        p.copy_(s)
                rec["step"].append(step)
                rec["probe_loss"].append(loss0.item())
                rec["loss_range"].append(max(losses) - min(losses))
                rec["grad_change"].append(max(changes))
                rec["grad_lipschitz"].append(max(c / (eta * grad_norm) for c, eta in zip(changes, etas)))
                rec["grad_norm"].append(grad_norm)
            if step == steps:
                break
            idx = torch.randint(len(data.x_train), (64,), generator=g).to(dev)
            loss = loss_fn(model(data.x_train[idx]), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            rec["train_loss"].append(loss.item())
        out[name] = {k: np.array(v) for k, v in rec.items()}
    return out


def smoothness_experiment(steps=150, lr=0.1, probe_every=10, seed=0, device=None):
    """Santurkar et al.'s cheap evidence: along training, how much the loss and the gradient change when you step
    along the gradient, with and without BN (4-hidden-layer ReLU MLP on digits, He init, same lr and seed).

    At every `probe_every` steps, on a fixed batch of 256: the loss there (probe_loss), the loss range max - min of
    L(w - eta * g) for eta in [0.25, 2] x lr (loss variation), max ||grad(w - eta * g) - g|| over the same etas
    (gradient change), and that change per unit distance moved, max ||grad(w - eta * g) - g|| / (eta * ||g||)
    (Santurkar et al.'s "effective beta-smoothness": it does not reward a network merely for having smaller
    gradients).  lr: in (0, 10]; probe_every: 1..steps.
    Returns {name: {"step", "probe_loss", "loss_range", "grad_change", "grad_lipschitz", "grad_norm",
    "train_loss"}} (arrays).
    """
    steps = _steps(steps)
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=10)
    probe_every = validation.size("probe_every", probe_every, high=steps)
    return _smoothness(steps, lr, probe_every, validation.seed_value("seed", seed), _device_key(device))


def smoothness_at_equal_loss(results, low=None, high=None):
    """Compare the two networks of `smoothness_experiment` at the same loss, not the same step.

    Keeps the probes whose probe_loss lies in [low, high] for both networks (default: the range the two
    trajectories share), and returns {name: {"loss_range": median relative loss variation (max - min) / loss,
    "grad_lipschitz": median gradient change per unit step, "probes": how many probes}} plus "band": (low, high).
    """
    if (not isinstance(results, dict) or not results
            or not all(isinstance(r, dict) and "probe_loss" in r for r in results.values())):
        raise TypeError("results must be the dict returned by smoothness_experiment")
    lows = [r["probe_loss"].min() for r in results.values()]
    highs = [r["probe_loss"].max() for r in results.values()]
    low = max(lows) if low is None else validation.finite_number("low", low, low=0)
    high = min(highs) if high is None else validation.finite_number("high", high, low=0)
    if not low < high:
        raise ValueError(f"low must be below high for a band of losses, got low = {low:g}, high = {high:g}")
    empty = [name for name, r in results.items() if not ((r["probe_loss"] >= low) & (r["probe_loss"] <= high)).any()]
    if empty:
        raise ValueError(f"low = {low:g}, high = {high:g}: no probe of {', '.join(empty)} has a loss in that band "
                         "(nothing to compare); widen it or train longer")
    out = {"band": (float(low), float(high))}
    for name, r in results.items():
        keep = (r["probe_loss"] >= low) & (r["probe_loss"] <= high)
        rel = r["loss_range"][keep] / r["probe_loss"][keep]
        out[name] = {"loss_range": float(np.median(rel)) if keep.any() else math.nan,
                     "grad_lipschitz": float(np.median(r["grad_lipschitz"][keep])) if keep.any() else math.nan,
                     "probes": int(keep.sum())}
    return out


@cached(maxsize=8)
@one_cpu_thread()
def _small_batch(batch_sizes, steps, lr, groups, seeds, device):
    data = _digits(device)
    out = {"batch_size": np.array(batch_sizes)}
    for name, norm in (("BatchNorm", "bn"), ("GroupNorm", "gn")):
        accs = np.empty((len(seeds), len(batch_sizes)))
        for i, seed in enumerate(seeds):
            for j, bs in enumerate(batch_sizes):
                model = _mlp([64, 64, 64, 10], nn.ReLU, norm=norm, groups=groups, seed=seed)
                h = _train(model, data, steps=steps, lr=lr, optimizer="adam", batch_size=bs, eval_every=steps,
                           seed=seed, device=device)
                accs[i, j] = h.final("val_acc")
        out[name] = accs
    return out


def small_batch_experiment(batch_sizes=(2, 4, 8, 16, 32, 64), steps=150, lr=0.003, groups=8, seeds=(0, 1, 2),
                           device=None):
    """Validation accuracy of a ReLU MLP (64-64-64-10) on digits with BatchNorm vs GroupNorm, for each training batch
    size and seed.  Adam, the same number of steps and learning rate for every batch size.

    batch_sizes: 1 to 12 sizes in 2..512; groups: divides 64.  Returns {"batch_size": (B,), "BatchNorm": (S, B),
    "GroupNorm": (S, B)} (validation accuracy in eval mode, one row per seed).
    """
    batch_sizes = _values("batch_sizes", batch_sizes, 2, 512, integer=True)
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=1)
    groups = validation.one_of("groups", groups, (1, 2, 4, 8, 16, 32, 64))
    return _small_batch(batch_sizes, _steps(steps), lr, groups, _seeds(seeds), _device_key(device))


def small_batch_summary(results):
    """From `small_batch_experiment`: the batch sizes at which GroupNorm beats BatchNorm in every seed, those at
    which BatchNorm beats GroupNorm in every seed, and the largest |BN - GN| difference (over seeds) per size.

    Returns {"gn_wins": [sizes], "bn_wins": [sizes], "max_gap": (B,) array}.
    """
    if not isinstance(results, dict) or not {"batch_size", "BatchNorm", "GroupNorm"} <= set(results):
        raise TypeError("results must be the dict returned by small_batch_experiment")
    diff = results["BatchNorm"] - results["GroupNorm"]
    sizes = [int(b) for b in results["batch_size"]]
    return {"gn_wins": [b for b, d in zip(sizes, diff.T) if np.all(d < 0)],
            "bn_wins": [b for b, d in zip(sizes, diff.T) if np.all(d > 0)],
            "max_gap": np.abs(diff).max(axis=0)}
