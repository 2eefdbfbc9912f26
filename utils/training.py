"""A small, readable training loop and MLP builder shared by the experiments of every notebook."""

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from utils.device import one_cpu_thread

OPTIMIZERS = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "adam": torch.optim.Adam,
              "adamw": torch.optim.AdamW}


def make_mlp(sizes, activation=nn.ReLU, batchnorm=False, dropout=0.0, bias=True):
    """A fully connected net: Linear → [BatchNorm1d] → activation → [Dropout] between layers.

    sizes: [in, hidden..., out], e.g. [2, 64, 64, 2].  activation: a module class
    or a zero-argument factory (e.g. `lambda: nn.LeakyReLU(0.01)`); none after the last layer.
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
        raise ValueError(f"sizes must be at least two positive integers, got {sizes}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
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
        """First recorded step at which `key` is <= target (None if never)."""
        for s, v in zip(self.step, getattr(self, key)):
            if v <= target:
                return s
        return None

    def final(self, key="train_loss"):
        return getattr(self, key)[-1]


def accuracy(model, x, y, batch_size=4096):
    """Fraction of examples whose arg-max prediction equals the label (model put in eval mode)."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        correct = sum((model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum().item()
                      for i in range(0, len(x), batch_size))
    model.train(was_training)
    return correct / max(len(x), 1)


def evaluate(model, x, y, loss_fn=None):
    """(loss, accuracy) on a whole split, in eval mode, without gradients."""
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
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimiser {name!r}; expected one of {tuple(OPTIMIZERS)}")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
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
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if eval_every < 1:
        raise ValueError(f"eval_every must be >= 1, got {eval_every}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 or None, got {batch_size}")
    device = device or data.x_train.device
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
