"""Activation functions, written from their formulas, and the experiments of notebook 01.

To read the maths, open `utils/activations/maths.py`: every activation and its derivative, written from the
formula, checked against PyTorch by the tests.  The other files hold the notebook's experiments (`experiments.py`),
its figures and interactive views (`figures.py`) and its predictions and exercises (`exercises.py`).

The public names, by section of the notebook (file in brackets):

1. Why a network needs a nonlinearity — linear_stack_collapse, fit_boundaries, build_mlp [experiments];
   plot_linear_collapse, plot_decision_boundaries [figures].
2. The gallery — the functions and their derivatives: sigmoid, d_sigmoid, sigmoid_centred, tanh, d_tanh, relu,
   d_relu, leaky_relu, d_leaky_relu, prelu, d_prelu, elu, d_elu, selu, d_selu, gelu, d_gelu, silu, d_silu,
   softplus, d_softplus, maxout, d_maxout, with SELU_ALPHA, SELU_SCALE, MAXOUT_PIECES; by name: ACTIVATIONS,
   NAMES, get_activation, activation, derivative, gallery_markdown; where each saturates: saturated_mask [maths];
   plot_gallery on the grid GALLERY_X [figures].
3. A comparison table, measured — activation_table, format_table [experiments].
4. Saturation and vanishing gradients — sigmoid_gradient_bound [maths]; gradient_norms, gradient_verdicts, INITS,
   INIT_LABELS, MAX_DEPTH, EXPLODING, VANISHING [experiments]; plot_gradient_norms over the groups GROUPS
   [figures]; the prediction SMALLEST_FIRST_LAYER_GRADIENT [exercises].
5. ReLU: simple, non-saturating, sparse, and fragile — relu_zero_fraction [experiments]; plot_relu_sparsity
   [figures]; the prediction RELU_ZEROS_AT_MINUS_ONE [exercises].
6. The variants: what each one fixes — MaxoutLinear, build_mlp [experiments]; the prediction MAXOUT_AT_DEPTH_20
   [exercises].
7. The choice changes training, and the optimiser changes why — update_ratios, TRAIN_NAMES, compare_training,
   steps_to_target, format_training_table [experiments]; plot_update_ratios, plot_training_curves [figures];
   the prediction CENTRED_SIGMOID_UNDER_SGD [exercises].
Exercises — check_elu_derivative, check_most_saturated (most_saturated computes its answer), check_sigmoid_bound,
   check_leaky_relu_variance [exercises].
The interactive views' settings for the benchmark and the view tests: VIEW_SWEEPS [figures].

Everything else is private to the package (`_name`); `_checks.py` holds the input checks several files share.
"""

from .exercises import (
    CENTRED_SIGMOID_UNDER_SGD,
    MAXOUT_AT_DEPTH_20,
    RELU_ZEROS_AT_MINUS_ONE,
    SMALLEST_FIRST_LAYER_GRADIENT,
    check_elu_derivative,
    check_leaky_relu_variance,
    check_most_saturated,
    check_sigmoid_bound,
    most_saturated,
)
from .experiments import (
    EXPLODING,
    INIT_LABELS,
    INITS,
    MAX_DEPTH,
    TRAIN_NAMES,
    VANISHING,
    MaxoutLinear,
    activation_table,
    build_mlp,
    compare_training,
    fit_boundaries,
    format_table,
    format_training_table,
    gradient_norms,
    gradient_verdicts,
    linear_stack_collapse,
    relu_zero_fraction,
    steps_to_target,
    update_ratios,
)
from .figures import (
    GALLERY_X,
    GROUPS,
    VIEW_SWEEPS,
    plot_decision_boundaries,
    plot_gallery,
    plot_gradient_norms,
    plot_linear_collapse,
    plot_relu_sparsity,
    plot_training_curves,
    plot_update_ratios,
)
from .maths import (
    ACTIVATIONS,
    MAXOUT_PIECES,
    NAMES,
    SELU_ALPHA,
    SELU_SCALE,
    activation,
    d_elu,
    d_gelu,
    d_leaky_relu,
    d_maxout,
    d_prelu,
    d_relu,
    d_selu,
    d_sigmoid,
    d_silu,
    d_softplus,
    d_tanh,
    derivative,
    elu,
    gallery_markdown,
    gelu,
    get_activation,
    leaky_relu,
    maxout,
    prelu,
    relu,
    saturated_mask,
    selu,
    sigmoid,
    sigmoid_centred,
    sigmoid_gradient_bound,
    silu,
    softplus,
    tanh,
)

__all__ = [
    "sigmoid", "d_sigmoid", "sigmoid_centred", "tanh", "d_tanh", "relu", "d_relu", "leaky_relu", "d_leaky_relu",
    "prelu", "d_prelu", "elu", "d_elu", "selu", "d_selu", "gelu", "d_gelu", "silu", "d_silu", "softplus",
    "d_softplus", "maxout", "d_maxout", "ACTIVATIONS", "NAMES", "MAXOUT_PIECES", "SELU_ALPHA", "SELU_SCALE",
    "get_activation", "activation", "derivative", "saturated_mask", "gallery_markdown",
    "MaxoutLinear", "build_mlp", "linear_stack_collapse", "fit_boundaries", "activation_table", "format_table",
    "sigmoid_gradient_bound", "relu_zero_fraction", "INITS", "INIT_LABELS", "MAX_DEPTH", "EXPLODING", "VANISHING",
    "gradient_norms", "gradient_verdicts", "update_ratios", "TRAIN_NAMES", "compare_training", "steps_to_target",
    "format_training_table", "most_saturated", "check_elu_derivative", "check_most_saturated", "check_sigmoid_bound",
    "check_leaky_relu_variance", "SMALLEST_FIRST_LAYER_GRADIENT", "MAXOUT_AT_DEPTH_20", "RELU_ZEROS_AT_MINUS_ONE",
    "CENTRED_SIGMOID_UNDER_SGD", "GROUPS", "plot_gallery", "plot_linear_collapse", "plot_decision_boundaries",
    "plot_gradient_norms", "plot_relu_sparsity", "plot_update_ratios", "plot_training_curves", "VIEW_SWEEPS",
    "GALLERY_X",
]
