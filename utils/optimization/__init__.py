"""Optimisation (notebook 09): gradient descent on quadratics and 2-D surfaces, mini-batch noise, momentum, adaptive
methods and learning-rate schedules, and the notebook's experiments on the 8×8 digits.

To read the maths — the surfaces, gradient descent and its rate, heavy-ball and Nesterov momentum, one step of
AdaGrad, RMSProp and Adam next to `torch.optim` — open `utils/optimization/maths.py`. The public names, by section of
the notebook, and the file that holds each group:

1. Convexity, local minima and saddle points
   - maths.py: `convexity_demo`
   - experiments.py: `saddle_runs`, `permutation_midpoint`; the settings `SEEDS`, and the digits net that every
     training experiment uses: `SIZES`, `BATCH`, `DIVERGED_LOSS`
   - figures.py: `plot_convexity`, `plot_saddle`
   - exercises.py: the prediction `SADDLE_END`
2. Gradient descent on a quadratic, exactly
   - maths.py: `quadratic_matrix`, `gd_rate`, `gd_quadratic_steps`
   - experiments.py: `lr_threshold_sweep`, `steps_vs_kappa`
   - figures.py: `plot_lr_threshold`, `plot_steps_vs_kappa`
   - exercises.py: the prediction `KAPPA_STEPS`
3. Move it yourself: optimisers on a surface
   - maths.py: `surface_loss`, `run_optimizer_2d`, `classify_run`; `OPTIMIZERS_2D`, `SURFACES`, `START`, `WINDOW`,
     `DIVERGED_RADIUS`, `CONVERGED_TOL`
   - figures.py: `plot_surface` (the interactive view), `VIEW_SWEEPS`
4. Stochastic and mini-batch gradients
   - experiments.py: `gradient_variance_study`, `batch_size_table`, `shuffle_study`; `BATCH_LRS`
   - figures.py: `plot_gradient_variance`
   - exercises.py: the prediction `VARIANCE_FACTOR`
5. The learning rate in practice
   - experiments.py: `lr_runs`, `lr_range_test`; `LR_GRID`
   - figures.py: `plot_lr_runs`, `plot_lr_range_test`
6. Momentum
   - maths.py: `best_momentum`, `momentum_rate`, `momentum_steps`, `ema_momentum_steps`, `torch_sgd_steps`
   - experiments.py: `momentum_beta_sweep`
   - figures.py: `plot_momentum_sweep`
   - exercises.py: the prediction `MOMENTUM_SPEEDUP`
7. Adaptive methods, briefly
   - maths.py: `adagrad_step`, `rmsprop_step`, `adam_step`, `compare_with_torch`
   - experiments.py: `adam_rotation_study`, `optimizer_comparison`; `OPTIMIZER_LRS`
8. Learning-rate schedules
   - experiments.py: `schedule_lrs`, `schedule_comparison`, `linear_scaling_study`; `SCHEDULES`, `COMPARED`,
     `SCHEDULE_LR`, `SCHEDULE_MOMENTUM`
   - figures.py: `plot_schedules`, `plot_schedule_comparison`
   - exercises.py: the prediction `SCHEDULE_WINNER`
Exercises
   - exercises.py: `check_max_stable_lr`, `check_best_momentum`, `check_schedule`; `EXERCISE_A`, `EXERCISE_KAPPA`,
     `EXERCISE_STEPS`, `EXERCISE_TARGET`
"""

from .exercises import (
    EXERCISE_A,
    EXERCISE_KAPPA,
    EXERCISE_STEPS,
    EXERCISE_TARGET,
    KAPPA_STEPS,
    MOMENTUM_SPEEDUP,
    SADDLE_END,
    SCHEDULE_WINNER,
    VARIANCE_FACTOR,
    check_best_momentum,
    check_max_stable_lr,
    check_schedule,
)
from .experiments import (
    BATCH,
    BATCH_LRS,
    COMPARED,
    DIVERGED_LOSS,
    LR_GRID,
    OPTIMIZER_LRS,
    SCHEDULE_LR,
    SCHEDULE_MOMENTUM,
    SCHEDULES,
    SEEDS,
    SIZES,
    adam_rotation_study,
    batch_size_table,
    gradient_variance_study,
    linear_scaling_study,
    lr_range_test,
    lr_runs,
    lr_threshold_sweep,
    momentum_beta_sweep,
    optimizer_comparison,
    permutation_midpoint,
    saddle_runs,
    schedule_comparison,
    schedule_lrs,
    shuffle_study,
    steps_vs_kappa,
)
from .figures import (
    VIEW_SWEEPS,
    plot_convexity,
    plot_gradient_variance,
    plot_lr_range_test,
    plot_lr_runs,
    plot_lr_threshold,
    plot_momentum_sweep,
    plot_saddle,
    plot_schedule_comparison,
    plot_schedules,
    plot_steps_vs_kappa,
    plot_surface,
)
from .maths import (
    CONVERGED_TOL,
    DIVERGED_RADIUS,
    OPTIMIZERS_2D,
    START,
    SURFACES,
    WINDOW,
    adagrad_step,
    adam_step,
    best_momentum,
    classify_run,
    compare_with_torch,
    convexity_demo,
    ema_momentum_steps,
    gd_quadratic_steps,
    gd_rate,
    momentum_rate,
    momentum_steps,
    quadratic_matrix,
    rmsprop_step,
    run_optimizer_2d,
    surface_loss,
    torch_sgd_steps,
)

__all__ = [
    "OPTIMIZERS_2D", "SURFACES", "SCHEDULES", "COMPARED", "SEEDS", "START", "WINDOW", "DIVERGED_RADIUS",
    "CONVERGED_TOL", "SIZES", "BATCH", "DIVERGED_LOSS", "LR_GRID", "BATCH_LRS", "OPTIMIZER_LRS", "SCHEDULE_LR",
    "SCHEDULE_MOMENTUM", "EXERCISE_A", "EXERCISE_KAPPA", "EXERCISE_STEPS", "EXERCISE_TARGET", "VIEW_SWEEPS",
    "quadratic_matrix", "surface_loss", "run_optimizer_2d", "classify_run", "gd_rate", "gd_quadratic_steps",
    "lr_threshold_sweep", "steps_vs_kappa", "convexity_demo", "saddle_runs",
    "best_momentum", "momentum_rate", "momentum_steps", "momentum_beta_sweep", "ema_momentum_steps",
    "torch_sgd_steps", "adagrad_step", "rmsprop_step", "adam_step", "compare_with_torch", "adam_rotation_study",
    "permutation_midpoint", "gradient_variance_study", "batch_size_table", "shuffle_study", "lr_runs", "lr_range_test",
    "optimizer_comparison", "schedule_lrs", "schedule_comparison", "linear_scaling_study",
    "plot_surface", "plot_convexity", "plot_saddle", "plot_lr_threshold", "plot_steps_vs_kappa",
    "plot_gradient_variance", "plot_lr_runs", "plot_lr_range_test", "plot_momentum_sweep", "plot_schedules",
    "plot_schedule_comparison",
    "check_max_stable_lr", "check_best_momentum", "check_schedule",
    "SADDLE_END", "KAPPA_STEPS", "VARIANCE_FACTOR", "MOMENTUM_SPEEDUP", "SCHEDULE_WINNER",
]
