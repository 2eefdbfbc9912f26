"""Weight initialisation (notebook 03): the formulas, per-layer activation and gradient statistics, the experiments.

To read the maths, open `maths.py`: the initialisation formulas (`gain`, `fans`, `init_std`, `init_weights`) and the
forward pass that measures each layer's spread, in that order.  The other files:
`experiments.py` (the notebook's experiments, returning data), `figures.py` (the plots and the explorer),
`exercises.py` (the `check_…` functions and the predictions), `_checks.py` (argument checks; nothing to learn there).

The public names, by section of notebook 03 (file in brackets):

- Names used throughout [maths]: `ACTIVATIONS` (name -> function), `SCHEMES`, `LEAKY_SLOPE`, and the thresholds
  `EXPLODED` / `VANISHED` behind the verdicts "exploded" and "vanished"; [figures] `SCHEME_LABELS`.
- 1. Symmetry, why the weights must be random: [experiments] `symmetry_experiment`; [figures] `plot_symmetry`.
- 2. Ten tanh layers, three weight scales: [exercises] `TANH_S1_LAYER10`; [experiments] `activation_profile`,
  `layer_table`; [figures] `plot_cases`.
- 3. The derivation, keep the variance constant: [maths] `gain`, `fans`, `init_std`, `init_weights`;
  [experiments] `std_ratios`, `preactivation_stds`; [figures] `plot_std_ratios`.
  PyTorch's default: [experiments] `torch_default_stats`.
- 4. Gradients too: [exercises] `TANH_S1_GRADIENT`; [experiments] `gradient_profile`; [figures]
  `plot_cases(kind="gradient")`.
- 5. Explore (activation × initialisation × depth × width): [exercises] `RELU_XAVIER_LAYER20`; [figures]
  `plot_init_histograms` (the explorer) and `VIEW_SWEEPS` (its settings for the tests and the benchmark);
  [_checks] `MAX_DEPTH`, `MAX_WIDTH` (its sliders' ranges); [experiments] `explorer_verdict` (its verdict line).
- 6. What it does to training: [experiments] `deep_relu_training`; [figures] `plot_training`.
- 7. Activations during training: [experiments] `activations_over_training`; [figures]
  `plot_activations_over_training`.
- 8. A check at step 0, the initial loss: [exercises] `SMALL_LAST_LAYER_LOSS`; [experiments] `initial_loss`.
- 10. Convolutions, the same rule with a different fan-in: [maths] `fans`; [experiments] `conv_fan_table`,
  `conv_forward_std`.
- Exercises: [exercises] `check_kaiming_std`; `check_tanh_gain` (a net of `TANH_GAIN_DEPTH` layers, run by
  [experiments] `preactivation_stds`); `check_maxout_gain` ([experiments] `maxout_preactivation_stds`).
"""

from ._checks import MAX_DEPTH, MAX_WIDTH
from .exercises import (
    RELU_XAVIER_LAYER20,
    SMALL_LAST_LAYER_LOSS,
    TANH_GAIN_DEPTH,
    TANH_S1_GRADIENT,
    TANH_S1_LAYER10,
    check_kaiming_std,
    check_maxout_gain,
    check_tanh_gain,
)
from .experiments import (
    activation_profile,
    activations_over_training,
    conv_fan_table,
    conv_forward_std,
    deep_relu_training,
    explorer_verdict,
    gradient_profile,
    initial_loss,
    layer_table,
    maxout_preactivation_stds,
    preactivation_stds,
    std_ratios,
    symmetry_experiment,
    torch_default_stats,
)
from .figures import (
    SCHEME_LABELS,
    VIEW_SWEEPS,
    plot_activations_over_training,
    plot_cases,
    plot_init_histograms,
    plot_std_ratios,
    plot_symmetry,
    plot_training,
)
from .maths import ACTIVATIONS, EXPLODED, LEAKY_SLOPE, SCHEMES, VANISHED, fans, gain, init_std, init_weights

__all__ = [
    "LEAKY_SLOPE", "ACTIVATIONS", "SCHEMES", "SCHEME_LABELS", "EXPLODED", "VANISHED", "MAX_DEPTH", "MAX_WIDTH",
    "TANH_GAIN_DEPTH", "VIEW_SWEEPS",
    "gain", "fans", "init_std", "init_weights",
    "activation_profile", "gradient_profile", "explorer_verdict", "preactivation_stds", "std_ratios",
    "maxout_preactivation_stds", "torch_default_stats", "initial_loss", "layer_table",
    "symmetry_experiment", "deep_relu_training", "activations_over_training", "conv_fan_table", "conv_forward_std",
    "check_kaiming_std", "check_tanh_gain", "check_maxout_gain",
    "plot_init_histograms", "plot_cases", "plot_std_ratios", "plot_symmetry", "plot_training",
    "plot_activations_over_training",
    "TANH_S1_LAYER10", "TANH_S1_GRADIENT", "RELU_XAVIER_LAYER20", "SMALL_LAST_LAYER_LOSS",
]
