"""Why all-positive inputs make gradient descent zig-zag, and the preprocessing that fixes it (notebook 02).

To read the maths, open `utils/zero_centering/maths.py`: the toy problem, one neuron's weight gradient, gradient
descent and its curvatures, and the preprocessing transforms, short and in the notebook's order.  In Jupyter,
`zc.gd_path??` shows any function's source.

The public names, by section of the notebook (the file that holds each in brackets):

1. The derivation: all-positive inputs give one-signed gradients
   - the toy problem and one neuron's gradient (maths.py): `W_STAR`, `W_START`, `TOY_N`, `TOY_SPREAD`, `toy_inputs`,
     `centred`, `weight_gradient`, `batch_orthant_fraction`
   - the sign statistics of a layer fed by sigmoid or tanh outputs (experiments.py): `sign_stats_table`
   - one example per step (figures.py): `plot_single_example_steps`
   - the prediction (exercises.py): `SIGMOID_BATCH_ROWS`
2. The zig-zag picture
   - curvatures and gradient descent (maths.py): `curvatures`, `condition_number`, `gd_path`, `steps_to_converge`,
     `TOL`
   - the runs (experiments.py): `zigzag_runs`, `offset_factors`
   - the view and its figure (figures.py): `plot_zigzag` (its slider settings in `VIEW_SWEEPS`),
     `plot_steps_vs_offset`
3. Mini-batches soften the sign rule, but not the ill-conditioning
   - (experiments.py): `toy_orthant_fractions`, `conditioning_table`
4. Data preprocessing
   - the transforms (maths.py): `METHODS`, `Preprocessor`, `fit_preprocessor`, `transform`, `preprocess`
   - the experiments (experiments.py): `make_cloud`, `preprocessing_table`, `digits_train_pixels`,
     `normalisation_leak_experiment` (its row labels in `LEAK_ROWS`)
   - the figure (figures.py): `plot_preprocessing`
   - the predictions (exercises.py): `PCA_STEPS`, `LEAK_WORST`
5. Activations again: sigmoid, σ(x) − ½ and tanh
   - the three activations (maths.py): `ACTIVATIONS`, `ACTIVATION_LABELS`
   - the training runs (experiments.py): `activation_training_run`, `activation_comparison`,
     `tuned_activation_rates`
   - the figure (figures.py): `plot_activation_runs`
   - the prediction (exercises.py): `CENTRED_SIGMOID`
Exercises (exercises.py): `UPDATE_CANDIDATES`, `check_possible_updates`, `check_standardize`

Everything else is private (`_name`); `_checks.py` holds the checks of a learner's arguments.
"""

from .exercises import (
    CENTRED_SIGMOID,
    LEAK_WORST,
    PCA_STEPS,
    SIGMOID_BATCH_ROWS,
    UPDATE_CANDIDATES,
    check_possible_updates,
    check_standardize,
)
from .experiments import (
    LEAK_ROWS,
    activation_comparison,
    activation_training_run,
    conditioning_table,
    digits_train_pixels,
    make_cloud,
    normalisation_leak_experiment,
    offset_factors,
    preprocessing_table,
    sign_stats_table,
    toy_orthant_fractions,
    tuned_activation_rates,
    zigzag_runs,
)
from .figures import (
    VIEW_SWEEPS,
    plot_activation_runs,
    plot_preprocessing,
    plot_single_example_steps,
    plot_steps_vs_offset,
    plot_zigzag,
)
from .maths import (
    ACTIVATION_LABELS,
    ACTIVATIONS,
    METHODS,
    TOL,
    TOY_N,
    TOY_SPREAD,
    W_STAR,
    W_START,
    Preprocessor,
    batch_orthant_fraction,
    centred,
    condition_number,
    curvatures,
    fit_preprocessor,
    gd_path,
    preprocess,
    steps_to_converge,
    toy_inputs,
    transform,
    weight_gradient,
)

__all__ = [
    "W_STAR", "W_START", "TOY_SPREAD", "TOY_N", "TOL", "METHODS", "ACTIVATIONS", "ACTIVATION_LABELS",
    "weight_gradient", "toy_inputs", "centred", "curvatures", "condition_number", "gd_path", "steps_to_converge",
    "batch_orthant_fraction", "zigzag_runs", "conditioning_table", "offset_factors", "toy_orthant_fractions",
    "sign_stats_table", "Preprocessor", "fit_preprocessor", "transform", "preprocess", "make_cloud",
    "preprocessing_table", "digits_train_pixels", "normalisation_leak_experiment", "activation_training_run",
    "activation_comparison", "tuned_activation_rates", "plot_zigzag", "plot_single_example_steps",
    "plot_steps_vs_offset", "plot_preprocessing", "plot_activation_runs", "check_possible_updates",
    "check_standardize", "UPDATE_CANDIDATES", "LEAK_ROWS", "SIGMOID_BATCH_ROWS", "PCA_STEPS", "CENTRED_SIGMOID",
    "LEAK_WORST", "VIEW_SWEEPS",
]
