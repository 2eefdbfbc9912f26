"""A small, readable training loop and MLP builder shared by the experiments of every notebook.

Public: make_mlp, train (returns a History), make_optimizer, evaluate, accuracy.
"""

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from utils import validation as check
from utils.device import one_cpu_thread

OPTIMIZERS = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "adam": torch.optim.Adam,
              "adamw": torch.optim.AdamW}
# Bounds that keep one call within seconds on a laptop CPU and far inside the 1.5 GB kernel budget.
MAX_WIDTH = 4096
MAX_LAYERS = 500
MAX_STEPS = 20_000
MAX_BATCH = 100_000


def _module(name, value):
    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module (e.g. from make_mlp), got {type(value).__name__}")
    return value


def _check_fits(model, x, what="x"):
    """Refuse, by name, data whose width the model's first Linear layer cannot take (torch would say only 'mat1 and
    mat2 shapes cannot be multiplied', deep inside the forward pass)."""
    # Only where the first layer applied is known: a Sequential (make_mlp's nets) runs its children in order.
    name, layer = "", model
    while isinstance(layer, nn.Sequential) and len(layer):
        name, layer = (f"{name}.0" if name else "0"), layer[0]
    if not isinstance(layer, nn.Linear) or x.ndim != 2:
        return
    if layer.in_features != x.shape[1]:
        raise ValueError(f"model's first layer ({name or 'model'}: Linear({layer.in_features}, {layer.out_features})) "
                         f"takes {layer.in_features} features per example, but {what} has {x.shape[1]}: build the "
                         f"model for {x.shape[1]} inputs, e.g. make_mlp([{x.shape[1]}, ...])")


def _labelled(x, y):
    x = check.tensor("x", x)
    if not isinstance(y, torch.Tensor) or y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must be a 1-D tensor with one label per row of x ({len(x)}), "
                         f"got {tuple(getattr(y, 'shape', ()))}")
    return x, y


def make_mlp(sizes, activation=nn.ReLU, batchnorm=False, dropout=0.0, bias=True):
    """A fully connected net: Linear → [BatchNorm1d] → activation → [Dropout] between layers.

    sizes: [in, hidden..., out], e.g. [2, 64, 64, 2].  activation: a module class
    or a zero-argument factory (e.g. `lambda: nn.LeakyReLU(0.01)`); none after the last layer.
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list of layer widths like [2, 64, 2], got {sizes!r}")
    if not 2 <= len(sizes) <= MAX_LAYERS + 1:
        raise ValueError(f"sizes must list between 2 and {MAX_LAYERS + 1} widths, got {len(sizes)}")
    sizes = [check.size(f"sizes[{i}]", s, high=MAX_WIDTH) for i, s in enumerate(sizes)]
    if not callable(activation):
        raise TypeError(f"activation must be a module class or a factory like `lambda: nn.ReLU()`, got {activation!r}")
    batchnorm, bias = check.boolean("batchnorm", batchnorm), check.boolean("bias", bias)
    dropout = check.probability("dropout", dropout, allow_one=False)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        layers.append(nn.Linear(a, b, bias=bias))
        if not last:
            if batchnorm:
                layers.append(nn.BatchNorm1d(b))
            layers.append(activation())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


@dataclass
class History:
    """What happened during training: one entry per evaluation.

    step: optimisation steps done; train_loss: mean loss of the mini-batches since the last
    evaluation; val_loss / val_acc and train_acc: on the full splits (NaN when not measured).
    """

    step: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)

    def steps_to_reach(self, target, key="train_loss"):
        """First recorded step at which `key` reaches `target` (None if never): a loss falls to <= target, an
        accuracy (train_acc, val_acc) rises to >= target."""
        check.one_of("key", key, ("train_loss", "val_loss", "train_acc", "val_acc"))
        target = check.finite_number("target", target)
        rising = key.endswith("acc")
        for s, v in zip(self.step, getattr(self, key)):
            if (v >= target) if rising else (v <= target):
                return s
        return None

    def final(self, key="train_loss"):
        return getattr(self, key)[-1]


def accuracy(model, x, y, batch_size=4096):
    """Fraction of examples whose arg-max prediction equals the label (model put in eval mode)."""
    model = _module("model", model)
    x, y = _labelled(x, y)
    _check_fits(model, x)
    batch_size = check.size("batch_size", batch_size, high=MAX_BATCH)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        correct = sum((model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum().item()
                      for i in range(0, len(x), batch_size))
    model.train(was_training)
    return correct / max(len(x), 1)


def evaluate(model, x, y, loss_fn=None):
    """(loss, accuracy) on a whole split, in eval mode, without gradients."""
    model = _module("model", model)
    x = check.tensor("x", x)
    if not isinstance(y, torch.Tensor) or len(y) != len(x):
        raise ValueError(f"y must be a tensor with one target per row of x ({len(x)})")
    _check_fits(model, x)
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable (e.g. nn.CrossEntropyLoss()), got {loss_fn!r}")
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model(x)
        loss = loss_fn(out, y).item()
        acc = (out.argmax(1) == y).float().mean().item() if out.ndim == 2 and y.dtype == torch.int64 else float("nan")
    model.train(was_training)
    return loss, acc


def make_optimizer(model, name="sgd", lr=0.1, weight_decay=0.0, momentum=0.9):
    """An optimiser by name: "sgd", "momentum" (SGD with momentum), "adam" or "adamw"."""
    model = _module("model", model)
    check.one_of("name", name, OPTIMIZERS)
    lr = check.finite_number("lr", lr, low=0, low_open=True)
    weight_decay = check.finite_number("weight_decay", weight_decay, low=0)
    momentum = check.finite_number("momentum", momentum, low=0, high=1, high_open=True)
    kw = {"lr": lr, "weight_decay": weight_decay}
    if name == "momentum":
        kw["momentum"] = momentum
    return OPTIMIZERS[name](model.parameters(), **kw)


def train(model, data, steps=500, lr=0.1, optimizer="sgd", batch_size=64, loss_fn=None,
          weight_decay=0.0, eval_every=25, seed=0, device=None, on_eval=None):
    """Train `model` on `data` (a `utils.data.Split`) with mini-batch gradient descent.

    optimizer: a name for `make_optimizer` or a ready torch.optim.Optimizer.
    batch_size: examples per step (None = the whole training set).
    eval_every: record losses/accuracies every this many steps (and at the end).
    on_eval: optional callback(step, model) run at each evaluation (e.g. a monitor).
    Mini-batches are drawn with a generator seeded by `seed`, so the same call
    gives the same history.  On the CPU the loop runs on one thread (the nets are
    tiny; see `utils.device.one_cpu_thread`), so the numbers do not depend on how
    many cores the machine has.  Returns a `History`.
    """
    from utils.data import Split

    model = _module("model", model)
    if not isinstance(data, Split):
        raise TypeError(f"data must be a utils.data.Split (from load_dataset), got {type(data).__name__}")
    _check_fits(model, data.x_train, what=f"data ({data.name})")
    steps = check.size("steps", steps, high=MAX_STEPS)
    eval_every = check.size("eval_every", eval_every, high=MAX_STEPS)
    if batch_size is not None:
        batch_size = check.size("batch_size", batch_size, high=MAX_BATCH)
    seed = check.seed_value("seed", seed)
    if not isinstance(optimizer, torch.optim.Optimizer):
        check.one_of("optimizer", optimizer, OPTIMIZERS)
        lr = check.finite_number("lr", lr, low=0, low_open=True)
        weight_decay = check.finite_number("weight_decay", weight_decay, low=0)
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable (e.g. nn.CrossEntropyLoss()), got {loss_fn!r}")
    if on_eval is not None and not callable(on_eval):
        raise TypeError(f"on_eval must be a function (step, model) or None, got {on_eval!r}")
    device = data.x_train.device if device is None else check.device_value("device", device)
    model.to(device)
    data = data.to(device)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    opt = optimizer if isinstance(optimizer, torch.optim.Optimizer) else \
        make_optimizer(model, optimizer, lr, weight_decay)
    g = torch.Generator().manual_seed(seed)
    n = len(data.x_train)
    bs = n if batch_size is None else min(batch_size, n)
    hist, running = History(), []
    with one_cpu_thread(device):  # the course's nets are tiny: see utils.device.one_cpu_thread
        model.train()
        for step in range(1, steps + 1):
            idx = torch.randint(n, (bs,), generator=g).to(device) if bs < n else slice(None)
            loss = loss_fn(model(data.x_train[idx]), data.y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            running.append(loss.item())
            if step % eval_every == 0 or step == steps:
                hist.step.append(step)
                hist.train_loss.append(float(np.mean(running)))
                running = []
                _, tr_acc = evaluate(model, data.x_train, data.y_train, loss_fn)
                v_loss, v_acc = evaluate(model, data.x_val, data.y_val, loss_fn)
                hist.train_acc.append(tr_acc)
                hist.val_loss.append(v_loss)
                hist.val_acc.append(v_acc)
                if on_eval is not None:
                    on_eval(step, model)
    return hist


__all__ = ["OPTIMIZERS", "History", "make_mlp", "make_optimizer", "train", "evaluate", "accuracy"]
