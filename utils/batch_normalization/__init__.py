"""Batch normalisation and its relatives from scratch, and the experiments of notebook 04.

To read how batch, layer, group and instance norm are computed (forward and backward), open `maths.py`: its
docstring gives the reading order.  `from utils import batch_normalization as bn` gives every name below.

The files:
- maths.py: the from-scratch layers (forward/backward pairs) and the small computations the notebook quotes;
- comparisons.py: those layers checked against numerical gradients and PyTorch, and the tables the notebook prints;
- experiments.py: the experiments on one trained BN net (sections 4, 6, 7, 9);
- training_effects.py: the experiments on training (section 8) and on small batches (section 10);
- figures.py: plots and interactive views, VIEW_SWEEPS;
- exercises.py: the check_… functions with their mutants, and the predictions;
- _checks.py: private input checks.

The public names, by section of notebooks/04_batch_normalization.ipynb:
1. The transform
   maths.py: batchnorm_forward, sigmoid_shares, MODES, LINEAR_EDGE, SATURATION_EDGE, AXIS_EDGE;
   figures.py: plot_gamma_beta.
2. From scratch, checked
   maths.py: batchnorm_backward;
   comparisons.py: rel_error, numerical_gradient, gradient_check, compare_with_torch, format_table.
3. Convolutional BN
   maths.py: spatial_batchnorm_forward, spatial_batchnorm_backward, layernorm_forward, layernorm_backward,
   groupnorm_forward, groupnorm_backward, instancenorm_forward, instancenorm_backward;
   comparisons.py: compare_relatives_with_torch;
   figures.py: plot_stat_sharing, NORM_KINDS.
4. Train vs eval
   experiments.py: trained_bn_net, batch_dependence, single_example_in_train_mode, SINGLE_EXAMPLE_OUTCOMES;
   exercises.py: TRAIN_MODE_SPREAD, BATCH_OF_ONE.
5. Options of the layer
   maths.py: torch_to_keras_momentum, steps_to_track, running_var_after, momentum_tracking;
   figures.py: plot_momentum_tracking, plot_eps_effect.
6. Placement and the redundant bias
   maths.py: bias_gradient_through_bn;
   experiments.py: placement_experiment.
7. BN and ReLU
   experiments.py: relu_activity_experiment;
   exercises.py: FROZEN_BETA_ACTIVE.
8. Effects on training, measured
   training_effects.py: sigmoid_mlp_experiment, sigmoid_summary (8a); lr_sweep, init_scale_sweep, trains_at,
   sweep_table, CHANCE_LOSS, DIVERGED_ABOVE (8b, 8c); regularisation_experiment (8d); smoothness_experiment,
   smoothness_at_equal_loss (8e);
   figures.py: plot_sigmoid_mlp, plot_sweep, plot_smoothness;
   exercises.py: INIT_SCALE_WORST.
9. After training: BN for inference and reuse
   maths.py: fold_batchnorm;
   experiments.py: fold_check (9a), recalibration_experiment (9b), frozen_bn_finetune (9c).
10. Small batches and the relatives
   maths.py: batch_mean_spread;
   comparisons.py: layernorm_per_token;
   training_effects.py: small_batch_experiment, small_batch_summary;
   figures.py: plot_batch_spread, plot_small_batch;
   exercises.py: SMALL_BATCH_LOSER.
Exercises
   exercises.py: check_batchnorm_forward, check_batchnorm_backward, check_running_var (with RUNNING_VAR_EXERCISE),
   check_fold_batchnorm.
Interactive views
   figures.py: VIEW_SWEEPS, the settings the benchmark and the tests move each view through.
"""

from .comparisons import (
    compare_relatives_with_torch,
    compare_with_torch,
    format_table,
    gradient_check,
    layernorm_per_token,
    numerical_gradient,
    rel_error,
)
from .exercises import (
    BATCH_OF_ONE,
    FROZEN_BETA_ACTIVE,
    INIT_SCALE_WORST,
    RUNNING_VAR_EXERCISE,
    SMALL_BATCH_LOSER,
    TRAIN_MODE_SPREAD,
    check_batchnorm_backward,
    check_batchnorm_forward,
    check_fold_batchnorm,
    check_running_var,
)
from .experiments import (
    SINGLE_EXAMPLE_OUTCOMES,
    batch_dependence,
    fold_check,
    frozen_bn_finetune,
    placement_experiment,
    recalibration_experiment,
    relu_activity_experiment,
    single_example_in_train_mode,
    trained_bn_net,
)
from .figures import (
    NORM_KINDS,
    VIEW_SWEEPS,
    plot_batch_spread,
    plot_eps_effect,
    plot_gamma_beta,
    plot_momentum_tracking,
    plot_sigmoid_mlp,
    plot_small_batch,
    plot_smoothness,
    plot_stat_sharing,
    plot_sweep,
)
from .maths import (
    AXIS_EDGE,
    LINEAR_EDGE,
    MODES,
    SATURATION_EDGE,
    batch_mean_spread,
    batchnorm_backward,
    batchnorm_forward,
    bias_gradient_through_bn,
    fold_batchnorm,
    groupnorm_backward,
    groupnorm_forward,
    instancenorm_backward,
    instancenorm_forward,
    layernorm_backward,
    layernorm_forward,
    momentum_tracking,
    running_var_after,
    sigmoid_shares,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    steps_to_track,
    torch_to_keras_momentum,
)
from .training_effects import (
    CHANCE_LOSS,
    DIVERGED_ABOVE,
    init_scale_sweep,
    lr_sweep,
    regularisation_experiment,
    sigmoid_mlp_experiment,
    sigmoid_summary,
    small_batch_experiment,
    small_batch_summary,
    smoothness_at_equal_loss,
    smoothness_experiment,
    sweep_table,
    trains_at,
)

__all__ = [
    "batchnorm_forward", "batchnorm_backward", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
    "layernorm_forward", "layernorm_backward", "groupnorm_forward", "groupnorm_backward", "instancenorm_forward",
    "instancenorm_backward", "fold_batchnorm",
    "rel_error", "numerical_gradient", "gradient_check", "compare_with_torch", "compare_relatives_with_torch",
    "layernorm_per_token", "format_table", "sweep_table",
    "sigmoid_shares", "bias_gradient_through_bn", "torch_to_keras_momentum", "steps_to_track", "running_var_after",
    "momentum_tracking", "batch_mean_spread",
    "trained_bn_net", "batch_dependence", "single_example_in_train_mode", "placement_experiment",
    "relu_activity_experiment", "sigmoid_mlp_experiment", "sigmoid_summary", "lr_sweep", "init_scale_sweep",
    "trains_at", "regularisation_experiment", "smoothness_experiment", "smoothness_at_equal_loss",
    "small_batch_experiment", "small_batch_summary", "recalibration_experiment", "frozen_bn_finetune", "fold_check",
    "check_batchnorm_forward", "check_batchnorm_backward", "check_running_var", "check_fold_batchnorm",
    "plot_gamma_beta", "plot_stat_sharing", "plot_momentum_tracking", "plot_eps_effect", "plot_sigmoid_mlp",
    "plot_sweep", "plot_smoothness", "plot_batch_spread", "plot_small_batch",
    "TRAIN_MODE_SPREAD", "BATCH_OF_ONE", "FROZEN_BETA_ACTIVE", "INIT_SCALE_WORST", "SMALL_BATCH_LOSER",
    "RUNNING_VAR_EXERCISE", "SINGLE_EXAMPLE_OUTCOMES", "NORM_KINDS", "MODES", "CHANCE_LOSS", "VIEW_SWEEPS",
    "DIVERGED_ABOVE", "LINEAR_EDGE", "SATURATION_EDGE", "AXIS_EDGE",
]
