"""Overfitting and the regularisers that fight it (L2, L1, dropout, augmentation, early stopping): notebook 06.

`from utils import regularization as reg` gives every public name below.  To read the maths, open
`utils/regularization/maths.py`: the penalties, their proximal steps (soft thresholding, proportional shrinkage),
inverted dropout, early stopping and the one-pixel shifts, short and readable on its own, top to bottom.

The package has four rooms (imports go one way: maths ← experiments ← figures; exercises uses maths and
experiments):
- `maths.py`: the from-scratch computations the notebook teaches;
- `experiments.py`: the notebook's experiments (fits, training runs, sweeps, caches), returning data;
- `figures.py`: the plots and the interactive views, with `VIEW_SWEEPS`;
- `exercises.py`: the predictions and the exercise checkers;
and `_checks.py` holds the private input checks they share.

Public names, by notebook section (the file that holds each in brackets):

The lesson's settings [experiments.py]: SEEDS (the seeds of every multi-seed experiment), LR, STEPS, BATCH_SIZE,
EVAL_EVERY, LABEL_NOISE, N_TEST, N_VAL, REGULARISERS (name -> arguments of `fit`), COMBINATION.

1. Overfitting, seen
   - [maths.py] ridge
   - [experiments.py] MAX_DEGREE, legendre_features, true_curve, polynomial_data, polynomial_fit, capacity_curve
   - [figures.py] plot_polynomial_fit (interactive view), plot_capacity_curve
   - [exercises.py] the prediction CAPACITY
2. L2 penalty and weight decay
   - [maths.py] l2_penalty, weights_of, weight_norm
   - [experiments.py] sgd_decay_equivalence; the noisy digits task and the lesson's MLP: digits_task, wrong_labels,
     build_model, fit, run_regulariser; the Adam + L2 / AdamW sweep: decay_sweep, DECAY_LAMS
   - [figures.py] plot_decay_sweep
   - [exercises.py] the prediction ADAMW_SHRINK
3. L1: sparsity and feature selection
   - [maths.py] l1_penalty, soft_threshold, proportional_shrink, proximal_step, penalized_least_squares
   - [experiments.py] orthonormal_design, sparse_regression; the 2-D geometry: W_STAR, A_MAT (its loss),
     geometry_solutions; L1 in the network: l1_weight_stats
   - [figures.py] plot_shrinkage, plot_sparse_recovery, plot_penalty_geometry (interactive view, λ in
     GEOMETRY_LAMS)
   - [exercises.py] the prediction L1_ZEROS
4. Dropout
   - [maths.py] inverted_dropout, InvertedDropout
   - [experiments.py] dropout_vs_torch; comparison (every regulariser over the seeds, printed in section 8);
     first_step_at_full_training_accuracy
   - [figures.py] plot_dropout_effect
5. Data augmentation
   - [maths.py] shift_images, random_shift
   - [figures.py] plot_augmentations
6. Early stopping
   - [maths.py] early_stopping
   - [experiments.py] early_stopping_curve
   - [figures.py] plot_early_stopping (interactive view)
7. More data
   - [experiments.py] more_data_runs
   - [figures.py] plot_more_data
8. One comparison, three seeds
   - [experiments.py] format_comparison
   - [figures.py] plot_comparison
   - [exercises.py] the prediction COMBINATION_VS_DATA
Exercises [exercises.py]: check_soft_threshold (on EXERCISE_Z with EXERCISE_LAM), check_inverted_dropout,
check_early_stopping (EXERCISE_LOSSES), check_decay_strength (DECAY_STEPS), check_label_preserving (TRANSFORMS).
Interactive views [figures.py]: VIEW_SWEEPS, the settings the benchmark redraws each view with.

Every random draw comes from an explicit, seeded generator; every function leaves the global generators of torch and
NumPy as it found them (the one place that needs torch's, nn.Dropout in dropout_vs_torch, runs inside fork_rng).
"""

from .exercises import (
    ADAMW_SHRINK,
    CAPACITY,
    COMBINATION_VS_DATA,
    DECAY_STEPS,
    EXERCISE_LAM,
    EXERCISE_LOSSES,
    EXERCISE_Z,
    L1_ZEROS,
    TRANSFORMS,
    check_decay_strength,
    check_early_stopping,
    check_inverted_dropout,
    check_label_preserving,
    check_soft_threshold,
)
from .experiments import (
    A_MAT,
    BATCH_SIZE,
    COMBINATION,
    DECAY_LAMS,
    EVAL_EVERY,
    LABEL_NOISE,
    LR,
    MAX_DEGREE,
    N_TEST,
    N_VAL,
    REGULARISERS,
    SEEDS,
    STEPS,
    W_STAR,
    build_model,
    capacity_curve,
    comparison,
    decay_sweep,
    digits_task,
    dropout_vs_torch,
    early_stopping_curve,
    first_step_at_full_training_accuracy,
    fit,
    format_comparison,
    geometry_solutions,
    l1_weight_stats,
    legendre_features,
    more_data_runs,
    orthonormal_design,
    polynomial_data,
    polynomial_fit,
    run_regulariser,
    sgd_decay_equivalence,
    sparse_regression,
    true_curve,
    wrong_labels,
)
from .figures import (
    GEOMETRY_LAMS,
    VIEW_SWEEPS,
    plot_augmentations,
    plot_capacity_curve,
    plot_comparison,
    plot_decay_sweep,
    plot_dropout_effect,
    plot_early_stopping,
    plot_more_data,
    plot_penalty_geometry,
    plot_polynomial_fit,
    plot_shrinkage,
    plot_sparse_recovery,
)
from .maths import (
    InvertedDropout,
    early_stopping,
    inverted_dropout,
    l1_penalty,
    l2_penalty,
    penalized_least_squares,
    proportional_shrink,
    proximal_step,
    random_shift,
    ridge,
    shift_images,
    soft_threshold,
    weight_norm,
    weights_of,
)

__all__ = [
    "SEEDS", "LR", "STEPS", "BATCH_SIZE", "LABEL_NOISE", "N_TEST", "N_VAL", "MAX_DEGREE", "REGULARISERS", "COMBINATION",
    "DECAY_LAMS", "W_STAR", "A_MAT", "VIEW_SWEEPS",
    "EXERCISE_Z", "EXERCISE_LAM", "EXERCISE_LOSSES", "DECAY_STEPS", "TRANSFORMS",
    "CAPACITY", "ADAMW_SHRINK", "L1_ZEROS", "COMBINATION_VS_DATA",
    "l2_penalty", "l1_penalty", "soft_threshold", "proportional_shrink", "proximal_step", "penalized_least_squares",
    "ridge", "inverted_dropout", "InvertedDropout", "early_stopping", "shift_images", "random_shift", "weight_norm",
    "weights_of",
    "legendre_features", "true_curve", "polynomial_data", "polynomial_fit", "capacity_curve", "sgd_decay_equivalence",
    "dropout_vs_torch", "digits_task", "wrong_labels", "build_model", "fit", "run_regulariser", "comparison",
    "format_comparison", "more_data_runs", "decay_sweep", "l1_weight_stats", "early_stopping_curve",
    "sparse_regression", "orthonormal_design", "geometry_solutions", "GEOMETRY_LAMS", "EVAL_EVERY",
    "plot_polynomial_fit", "plot_capacity_curve", "plot_shrinkage", "plot_sparse_recovery", "plot_penalty_geometry",
    "plot_decay_sweep", "first_step_at_full_training_accuracy", "plot_dropout_effect", "plot_augmentations",
    "plot_early_stopping", "plot_more_data",
    "plot_comparison",
    "check_soft_threshold", "check_inverted_dropout", "check_early_stopping", "check_decay_strength",
    "check_label_preserving",
]
