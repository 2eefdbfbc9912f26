"""The predictions and exercises of notebook 09: each `Prediction`'s answer is computed by the helper the notebook
calls, and each `check_…` answers "correct" or names the mistake."""

import math

import numpy as np
import torch

from utils.exercises import feedback, learner_number
from utils.predictions import Prediction

from ._checks import _kappa
from .experiments import (
    DIVERGED_LOSS,
    SCHEDULE_LR,
    SCHEDULE_MOMENTUM,
    _train,
    gradient_variance_study,
    saddle_runs,
    schedule_comparison,
    steps_vs_kappa,
)
from .maths import gd_quadratic_steps, momentum_steps

# ----------------------------------------------------------------------------------------------
# Predictions (asked in the notebook before the experiment that answers them)
# ----------------------------------------------------------------------------------------------

def _saddle_end():
    end = saddle_runs()["gd"][-1]
    if np.linalg.norm(end) < 0.05:
        return "at the saddle (0, 0)"
    return "in a minimum (0, ±1)" if abs(abs(end[1]) - 1) < 0.05 else "it diverges"


SADDLE_END = Prediction(
    question="Plain GD (η = 0.1) starts at (1.5, 0), exactly on the ridge of f(x, y) = x²/2 + y⁴/4 − y²/2, whose "
             "minima are at (0, ±1) and whose saddle is at (0, 0). Where is it after 150 steps?",
    options=("at the saddle (0, 0)", "in a minimum (0, ±1)", "it diverges"),
    answer=_saddle_end,
    why="On the line y = 0 the gradient's y-component, y³ − y, is exactly 0, so GD never leaves the line and slides "
        "into the saddle, where the gradient vanishes. Any noise in y grows by a factor (1 + η) per step near the "
        "saddle, so a noisy gradient escapes to a minimum.")


def _kappa_steps_ratio():
    res = steps_vs_kappa((10, 1000))
    return float(res["gd"][1] / res["gd"][0])


KAPPA_STEPS = Prediction(
    question="GD at its best fixed rate 2/(λ_min + λ_max) needs S steps on a quadratic with condition number κ = 10. "
             "By what factor does S grow at κ = 1000 (same tolerance)?",
    answer=_kappa_steps_ratio, tolerance=2.0,
    why=lambda a: f"The slowest direction contracts by (κ − 1)/(κ + 1) ≈ 1 − 2/κ per step, so the steps grow in "
                  f"proportion to κ: 100× more condition number, {a:.0f}× more steps.")


def _variance_factor():
    st = gradient_variance_study(seed=0)
    b = list(st["batch_sizes"])
    return float(st["measured"][b.index(8)] / st["measured"][b.index(128)])


VARIANCE_FACTOR = Prediction(
    question="The mini-batch gradient g_B of the digits net has variance E‖g_B − g‖² = V at batch size B = 8. By what "
             "factor is the variance smaller at B = 128? (N = 1348 examples, each batch drawn without replacement.)",
    answer=_variance_factor, tolerance=1.5,
    why=lambda a: f"Measured: {a:.1f}×. The variance of a mean of B independent draws falls as 1/B (16× here); "
                  f"drawing without replacement multiplies it by (N − B)/(N − 1), which shrinks it a little more at "
                  f"B = 128 than at B = 8. Not 4×: that would be the standard deviation.")


def _momentum_steps_at_100():
    return float(momentum_steps(100.0))


MOMENTUM_SPEEDUP = Prediction(
    question=f"On a quadratic with κ = 100, GD at its best fixed rate needs {gd_quadratic_steps(100.0, 2 / 1.01)} "
             "steps to shrink |w| a million-fold. How many steps does heavy-ball momentum need at its best (η, β)?",
    answer=_momentum_steps_at_100, tolerance=2.0,
    why=lambda a: f"Measured: {a:.0f}. Momentum's rate is (√κ − 1)/(√κ + 1) = 9/11 per step instead of GD's "
                  f"99/101, so its steps grow like √κ = 10 instead of κ = 100: roughly ten times fewer.")


def _schedule_winner():
    comp = schedule_comparison()
    c, k = float(np.mean(comp["loss"]["constant"])), float(np.mean(comp["loss"]["cosine"]))
    if abs(c - k) < 0.1 * max(c, k):
        return "about the same"
    return "cosine annealing" if k < c else "the constant rate"


SCHEDULE_WINNER = Prediction(
    question=f"SGD with momentum 0.9 trains the digits net for 300 steps at peak rate {SCHEDULE_LR}: once at a "
             "constant rate, once with cosine annealing (the rate falls smoothly to 0). Which ends with the lower "
             "training loss, on average over 3 seeds?",
    options=("the constant rate", "cosine annealing", "about the same"),
    answer=_schedule_winner,
    why="Cosine spends fewer steps at the peak rate, but the constant rate keeps bouncing in the noise that a large "
        "step and small batches cause; decaying the rate at the end lets the weights settle into the valley.")


# ----------------------------------------------------------------------------------------------
# Exercise checkers
# ----------------------------------------------------------------------------------------------

EXERCISE_A = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
EXERCISE_KAPPA = 400.0
EXERCISE_STEPS = 300
EXERCISE_TARGET = 0.045


def check_max_stable_lr(answer):
    """Exercise: the largest learning rate for which GD on f(w) = ½ wᵀ A w converges (A = EXERCISE_A)."""
    value, problem = learner_number(answer, "your learning rate")
    if problem:
        return feedback(False, problem)
    lam = np.linalg.eigvalsh(EXERCISE_A)
    right = 2 / lam[-1]
    if math.isclose(value, right, rel_tol=1e-3):
        return feedback(True, "", f"Correct: η < 2/λ_max = 2/{lam[-1]:.4f} = {right:.4f}.")
    mistakes = [(2 / lam[0], "that is 2/λ_min: the steepest direction (λ_max) blows up first"),
                (1 / lam[-1], "that is 1/λ_max: a safe rate, but GD still converges up to twice that"),
                (2 / (lam[0] + lam[-1]), "that is the best fixed rate 2/(λ_min + λ_max), not the largest stable one"),
                (2 / np.max(np.diag(EXERCISE_A)), "that uses the largest diagonal entry; the off-diagonal entries "
                                                  "matter: use the largest eigenvalue"),
                (2 / np.trace(EXERCISE_A), "that uses the trace (the sum of all eigenvalues); use the largest one"),
                (2 / np.linalg.norm(EXERCISE_A), "that uses the Frobenius norm; use the largest eigenvalue")]
    for wrong, hint in mistakes:
        if math.isclose(value, wrong, rel_tol=1e-3):
            return feedback(False, hint)
    side = "too large: GD diverges along the top eigenvector" if value > right else \
        "stable, but not the largest stable rate"
    return feedback(False, f"{value:.4g} is {side}; the eigenvalues of A decide it (np.linalg.eigvalsh)")


def check_best_momentum(answer, kappa=EXERCISE_KAPPA):
    """Exercise: the best heavy-ball β for a quadratic of condition number κ (default EXERCISE_KAPPA)."""
    kappa = _kappa(kappa)
    value, problem = learner_number(answer, "your β")
    if problem:
        return feedback(False, problem)
    r = math.sqrt(kappa)
    right = ((r - 1) / (r + 1)) ** 2
    if math.isclose(value, right, abs_tol=1e-3):
        return feedback(True, "", f"Correct: β* = ((√κ − 1)/(√κ + 1))² = {right:.4f} for κ = {kappa:g}.")
    mistakes = [((r - 1) / (r + 1), "that is the convergence rate (√κ − 1)/(√κ + 1) = √β*; square it"),
                ((kappa - 1) / (kappa + 1), "that is plain GD's rate (κ − 1)/(κ + 1); the momentum formula uses √κ"),
                (1 - 1 / r, "1 − 1/√κ has the right trend, but the optimum is ((√κ − 1)/(√κ + 1))²"),
                (1 - 1 / kappa, "1 − 1/κ is too close to 1: momentum with it oscillates slowly"),
                (0.9, "0.9 is the habitual default, not the optimum for this κ")]
    for wrong, hint in mistakes:
        if math.isclose(value, wrong, abs_tol=1e-4):
            return feedback(False, hint)
    if not 0 <= value < 1:
        return feedback(False, f"β must lie in [0, 1), got {value:g}")
    return feedback(False, f"β = {value:.4g} is off by {value - right:+.3g}; the optimum makes the slowest and the "
                           "fastest direction contract at the same rate")


def check_schedule(make_scheduler):
    """Exercise: make_scheduler(optimizer, steps) returns a torch.optim.lr_scheduler scheduler with which SGD
    (peak rate SCHEDULE_LR, momentum 0.9, B 32) brings the digits net's training loss to EXERCISE_TARGET or below
    within EXERCISE_STEPS steps (seed 0)."""
    if not callable(make_scheduler):
        return feedback(False, f"make_scheduler must be a function (optimizer, steps) -> scheduler, got "
                               f"{make_scheduler!r}")
    made = []

    def wrapped(opt, steps):
        sched = make_scheduler(opt, steps)
        made.append(sched)
        return sched

    try:
        with torch.no_grad():
            probe = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=SCHEDULE_LR)
            sched = make_scheduler(probe, EXERCISE_STEPS)
        if not isinstance(sched, torch.optim.lr_scheduler.LRScheduler):
            return feedback(False, f"make_scheduler returned {sched!r}; return a scheduler from "
                                   "torch.optim.lr_scheduler built on the optimizer it is given")
        if sched.optimizer is not probe:
            return feedback(False, "the scheduler must be built on the optimizer passed to make_scheduler")
        run = _train(0, EXERCISE_STEPS, SCHEDULE_LR, momentum=SCHEDULE_MOMENTUM, scheduler_fn=wrapped,
                     eval_every=EXERCISE_STEPS)
    except Exception as exc:  # a learner's bug is reported, not raised
        return feedback(False, f"running your scheduler failed: {type(exc).__name__}: {exc}")
    lrs = np.array(run["lrs"])
    loss = run["final_loss"]
    if run["diverged"] or (loss > run["train_loss"][0] and lrs.max() > 1.01 * SCHEDULE_LR):
        return feedback(False, f"training diverged (loss {min(loss, DIVERGED_LOSS):.3g}, worse than at the start): "
                               f"your schedule raises the rate to {lrs.max():.3g}, far above the peak {SCHEDULE_LR}")
    if loss <= EXERCISE_TARGET:
        return feedback(True, "", f"Correct: training loss {loss:.3f} ≤ {EXERCISE_TARGET} after {EXERCISE_STEPS} "
                                  f"steps (the rate went from {lrs.max():.3g} to {lrs[-1]:.3g}).")
    if np.allclose(lrs, lrs[0]):
        hint = "the rate never changes: a constant rate keeps bouncing in the mini-batch noise; let it decay"
    elif lrs[EXERCISE_STEPS // 3] < 0.05 * lrs.max():
        hint = "the rate is nearly zero after the first third: it decays too early to make progress"
    elif lrs[-1] > 0.2 * lrs.max():
        hint = "the rate is still high at the end: decay it further by the last step"
    else:
        hint = "try a schedule that keeps the rate high for longer and then brings it close to 0"
    return feedback(False, f"training loss {loss:.3f} > {EXERCISE_TARGET} after {EXERCISE_STEPS} steps: {hint}")
