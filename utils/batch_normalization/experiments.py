"""The notebook's experiments on one trained BN network: train vs eval mode (section 4), where BN goes
(6), BN and ReLU (7) and BN after training (9: folding, recalibration, fine-tuning with BN frozen).

PyTorch, seeded, small enough for seconds on a CPU.  Each public function checks its arguments and calls a cached
private one, so that a prediction's answer and the notebook cell after it share one run.  The builders here (`_digits`,
`_mlp`, `_train`) are shared with `training_effects.py` (sections 8 and 10).
"""

import copy

import numpy as np
import torch
from torch import nn

from utils import validation
from utils.caching import cached
from utils.device import one_cpu_thread

from ._checks import _device_key, _seeds, _steps
from .maths import fold_batchnorm


@cached(maxsize=8)
def _digits(device, n=None, seed=0):
    """The digits split (cached in memory: every experiment of the notebook reuses it; nobody modifies it)."""
    from utils.data import load_dataset

    return load_dataset("digits", n=n, seed=seed, device=device or "cpu")


def _mlp(sizes, activation, norm=None, bias=True, groups=8, init=None, seed=0):
    """Linear -> [norm] -> activation per hidden layer.  norm: None, "bn", "bn_after" (after the activation),
    "bn_no_beta" (BN with beta frozen at 0), "gn" (GroupNorm with `groups`).
    init: None (PyTorch's default), "he" or "xavier" (normal, zero biases).
    The initial weights come from `seed`; the global random generator is left as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b, bias=bias))
            if i == len(sizes) - 2:
                break
            if norm in ("bn", "bn_no_beta"):
                layers.append(nn.BatchNorm1d(b))
                if norm == "bn_no_beta":
                    layers[-1].bias.requires_grad_(False)
            elif norm == "gn":
                layers.append(nn.GroupNorm(groups, b))
            layers.append(activation())
            if norm == "bn_after":
                layers.append(nn.BatchNorm1d(b))
        for layer in layers:
            if isinstance(layer, nn.Linear) and init is not None:
                (nn.init.kaiming_normal_ if init == "he" else nn.init.xavier_normal_)(layer.weight)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


def _train(model, data, **kw):
    from utils.training import train

    return train(model, data, **kw)


@one_cpu_thread()
def batch_dependence(model, x, index=0, companions=20, batch_size=16, seed=0):
    """How much example `index`'s output depends on the other examples in its batch.

    Puts x[index] into `companions` random batches of `batch_size` drawn from x and runs `model` in its
    CURRENT mode.  model: a torch module taking (N, D); x: (N, D) tensor; companions: 1..1000;
    batch_size: 2..4096.  Returns the largest spread (max - min over batches) of its output, over output units.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    x = validation.tensor("x", x, ndim=2, max_size=10**7)
    index = validation.integer("index", index, low=0, high=len(x) - 1)
    companions = validation.size("companions", companions, high=1000)
    batch_size = validation.size("batch_size", batch_size, low=2, high=4096)
    g = torch.Generator().manual_seed(validation.seed_value("seed", seed))
    device = next(iter(model.parameters()), x).device
    x = x.to(device)
    outs = []
    with torch.no_grad():
        for _ in range(companions):
            others = torch.randint(len(x), (batch_size - 1,), generator=g).to(device)
            outs.append(model(torch.cat([x[index:index + 1], x[others]]))[0])
    outs = torch.stack(outs)
    return float((outs.max(0).values - outs.min(0).values).max())


@cached(maxsize=8)
@one_cpu_thread()
def _trained_bn_net(steps, seed, device, momentum=0.1):
    data = _digits(device)
    model = _mlp([64, 64, 64, 10], nn.ReLU, norm="bn", seed=seed)
    if momentum != 0.1:
        for m in model:
            if isinstance(m, nn.BatchNorm1d):
                m.momentum = momentum
    hist = _train(model, data, steps=steps, lr=0.1, batch_size=64, eval_every=steps, seed=seed, device=device)
    return model.cpu().eval(), data.to("cpu"), hist


def trained_bn_net(steps=150, seed=0, device=None):
    """A small ReLU MLP (64-64-64-10) with BatchNorm1d trained on digits (SGD, lr 0.1, batches of 64).

    Returns (a fresh copy of the model, on the CPU in eval mode; the data Split on the CPU; the History).
    """
    model, data, hist = _trained_bn_net(_steps(steps), validation.seed_value("seed", seed), _device_key(device))
    return copy.deepcopy(model), data, hist


SINGLE_EXAMPLE_OUTCOMES = ("the same logits as in eval mode", "the same logits for every image", "an error")


def single_example_in_train_mode(steps=150, seed=0, device=None):
    """What the trained BN net of `trained_bn_net` does with a batch of ONE image while left in train mode.

    Returns (one of SINGLE_EXAMPLE_OUTCOMES, the message or the logits' description).
    """
    model, digits, _ = trained_bn_net(steps, seed, device)
    model.train()
    try:
        with torch.no_grad():
            one = model(digits.x_val[:1])
            other = model(digits.x_val[1:2])
    except ValueError as err:
        return "an error", str(err)
    model.eval()
    with torch.no_grad():
        if torch.allclose(one, model(digits.x_val[:1])):
            return SINGLE_EXAMPLE_OUTCOMES[0], "train mode gave the eval-mode logits"
    if torch.allclose(one, other):
        return SINGLE_EXAMPLE_OUTCOMES[1], "every image got the same logits"
    return SINGLE_EXAMPLE_OUTCOMES[0], "the logits depend on the image"


@cached(maxsize=8)
@one_cpu_thread()
def _placement(steps, seed, device):
    data = _digits(device)
    out = {}
    for name, norm in (("no BN", None), ("BN before ReLU", "bn"), ("BN after ReLU", "bn_after")):
        model = _mlp([64, 64, 64, 64, 10], nn.ReLU, norm=norm, seed=seed)
        out[name] = _train(model, data, steps=steps, lr=0.05, batch_size=32, eval_every=50, seed=seed, device=device)
    return out


def placement_experiment(steps=150, seed=0, device=None):
    """BN before vs after the ReLU (and no BN) on digits, same seed and budget (SGD, lr 0.05, batches of 32;
    PyTorch's default initialisation for all three).

    Returns {name: History} for "no BN", "BN before ReLU", "BN after ReLU".
    """
    return _placement(_steps(steps), validation.seed_value("seed", seed), _device_key(device))


@cached(maxsize=8)
@one_cpu_thread()
def _relu_activity(steps, lr, seed, device):
    data = _digits(device)
    results = {}
    for name, norm in (("beta frozen at 0", "bn_no_beta"), ("beta learned", "bn")):
        model = _mlp([64, 64, 64, 64, 10], nn.ReLU, norm=norm, seed=seed)
        hist = _train(model, data, steps=steps, lr=lr, optimizer="adam", batch_size=32, eval_every=steps, seed=seed,
                      device=device)
        acts = []
        hooks = [m.register_forward_hook(lambda mod, i, o, acts=acts: acts.append((o > 0).float().mean().item()))
                 for m in model if isinstance(m, nn.ReLU)]
        model.eval()
        with torch.no_grad():
            model(data.x_val)
        for h in hooks:
            h.remove()
        betas = [m.bias.detach().mean().item() for m in model if isinstance(m, nn.BatchNorm1d)]
        results[name] = {"active": acts, "val_acc": hist.final("val_acc"), "beta_mean": betas}
    return results


def relu_activity_experiment(steps=150, lr=0.01, seed=0, device=None):
    """Fraction of active (positive) ReLU units in a BN net (Adam) with beta frozen at 0 vs learned.

    Returns {name: {"active": fraction of (example, unit) pairs > 0 on the validation set, per hidden layer (list),
    "val_acc": validation accuracy, "beta_mean": mean learned beta per layer}}.
    """
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=10)
    return _relu_activity(_steps(steps), lr, validation.seed_value("seed", seed), _device_key(device))


@cached(maxsize=8)
@one_cpu_thread()
def _recalibration(momentum, steps, seed, device):
    from utils.training import accuracy

    model, data, hist = _trained_bn_net(steps, seed, device, momentum=momentum)
    model = copy.deepcopy(model)
    stale = accuracy(model.eval(), data.x_val, data.y_val)
    for m in model:
        if isinstance(m, nn.BatchNorm1d):
            m.reset_running_stats()
            m.momentum = None              # None: a plain average over every batch seen since the reset
    model.train()
    with torch.no_grad():
        for start in range(0, len(data.x_train), 64):
            model(data.x_train[start:start + 64])
    batches = int(model[1].num_batches_tracked)
    recalibrated = accuracy(model.eval(), data.x_val, data.y_val)
    return {"stale": stale, "recalibrated": recalibrated, "batches": batches}


def recalibration_experiment(momentum=0.001, steps=150, seed=0, device=None):
    """Re-estimating BN's running statistics after training.

    Trains the net of `trained_bn_net` with BN's `momentum` set to this value (0.001: the running averages move
    only ~14 % of the way in 150 steps), measures validation accuracy in eval mode ("stale"), then resets the running
    statistics, sets momentum=None (a cumulative average) and runs the whole training set once in train mode
    without gradients, and measures again ("recalibrated").  Returns {"stale", "recalibrated", "batches"}.
    """
    momentum = validation.finite_number("momentum", momentum, low=0, low_open=True, high=1)
    return _recalibration(momentum, _steps(steps), validation.seed_value("seed", seed), _device_key(device))


@cached(maxsize=8)
@one_cpu_thread()
def _frozen_finetune(steps, lr, batch_size, seeds, device):
    from utils.training import accuracy

    out = {"before": [], "BN in train mode": [], "BN frozen": []}
    for seed in seeds:
        base, data, hist = _trained_bn_net(150, seed, device)
        out["before"].append(accuracy(base.eval(), data.x_val, data.y_val))
        for name in ("BN in train mode", "BN frozen"):
            model = copy.deepcopy(base)
            opt = torch.optim.SGD(model.parameters(), lr=lr)
            g = torch.Generator().manual_seed(seed + 100)
            model.train()
            if name == "BN frozen":      # eval mode for BN only: running statistics used, and not updated
                for m in model:
                    if isinstance(m, nn.BatchNorm1d):
                        m.eval()
            for _ in range(steps):
                idx = torch.randint(len(data.x_train), (batch_size,), generator=g)
                loss = nn.functional.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            out[name].append(accuracy(model.eval(), data.x_val, data.y_val))
    return {k: np.array(v) for k, v in out.items()}


def frozen_bn_finetune(steps=100, lr=0.005, batch_size=2, seeds=(0, 1, 2), device=None):
    """Fine-tuning a trained BN net (the one of `trained_bn_net`) with tiny batches: BN left in train mode vs BN
    frozen (its layers in eval mode: running statistics used and not updated; gamma and beta still learn).

    steps: fine-tuning steps (SGD, `lr`, batches of `batch_size`, 2..64).
    Returns {"before": (S,), "BN in train mode": (S,), "BN frozen": (S,)}: validation accuracy per seed.
    """
    lr = validation.finite_number("lr", lr, low=0, low_open=True, high=1)
    batch_size = validation.size("batch_size", batch_size, low=2, high=64)
    return _frozen_finetune(_steps(steps), lr, batch_size, _seeds(seeds), _device_key(device))


@one_cpu_thread()
def fold_check(steps=150, seed=0, device=None):
    """Fold every BatchNorm1d of the `trained_bn_net` model into the Linear layer before it (with `fold_batchnorm`)
    and compare the folded net with the unfolded one in eval mode on the validation set.

    Returns {"max_diff": largest |logit difference|, "same_predictions": fraction of equal argmax,
    "layers": (modules before, after)}.
    """
    model, data, _ = trained_bn_net(steps, seed, device)
    model.eval()
    folded, layers = [], list(model)
    i = 0
    while i < len(layers):
        layer = layers[i]
        if isinstance(layer, nn.Linear) and i + 1 < len(layers) and isinstance(layers[i + 1], nn.BatchNorm1d):
            b = layers[i + 1]
            bias = layer.bias if layer.bias is not None else torch.zeros(layer.out_features)
            w, c = fold_batchnorm(*(t.detach().double().numpy() for t in (layer.weight, bias, b.running_mean,
                                                                           b.running_var, b.weight, b.bias)), b.eps)
            new = nn.Linear(layer.in_features, layer.out_features)
            with torch.no_grad():
                new.weight.copy_(torch.from_numpy(w))
                new.bias.copy_(torch.from_numpy(c))
            folded.append(new)
            i += 2
        else:
            folded.append(layer)
            i += 1
    folded = nn.Sequential(*folded).eval()
    with torch.no_grad():
        a, b = model(data.x_val), folded(data.x_val)
    return {"max_diff": float((a - b).abs().max()), "same_predictions": float((a.argmax(1) == b.argmax(1)).float()
                                                                               .mean()),
            "layers": (len(model), len(folded))}
