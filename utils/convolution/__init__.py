"""Convolutional networks (notebook 07): a conv layer from scratch, what it costs, the classic architectures, and the
notebook's experiments.

To read the maths, open `utils/convolution/maths.py`: the arithmetic of a conv layer (output size, receptive field,
parameters, multiply-accumulates) and the layers written from scratch (each `*_forward` returns (out, cache), each
`*_backward(dout, cache)` the gradients).  The other files:
- `architectures.py`: the classic CNNs as PyTorch modules (on the `meta` device) and their parameter/FLOP counts;
- `experiments.py`: the experiments on the 8x8 digits (training runs, cached), returning data;
- `figures.py`: the plots and the interactive conv-arithmetic view, with `VIEW_SWEEPS`;
- `exercises.py`: the predictions asked before the experiments, and the exercise checkers;
- `_checks.py`: private input checks.

The public names, by section of the notebook (file in brackets):
1. Why not a dense layer on images? - dense_vs_conv [maths].
2. The convolution, from scratch - conv2d_forward, conv2d_backward [maths].
3. Conv arithmetic: the output size - conv_output_size [maths]; plot_conv_arithmetic (the interactive view) and
   VIEW_SWEEPS (its settings for the benchmark and tests) [figures].
4. What a layer costs - conv_params, conv_macs [maths]; count_parameters, count_flops, layer_costs [architectures];
   the prediction VGG_FC_SHARE [exercises]; plot_layer_costs [figures].
5. Equivariance and invariance, measured - shift_images [maths]; equivariance_report [experiments].
6. Pooling - maxpool2d_forward, maxpool2d_backward, avgpool2d_forward, avgpool2d_backward [maths].
7. 1x1 convolutions and bottlenecks - conv1x1_as_matmul, inception_branch_cost, largest_reduction [maths].
8. Stacking small kernels - receptive_field, stacked_kernels [maths]; the prediction STACK_RATIO [exercises].
9. The lineage, computed - ARCHITECTURES, build_architecture, weight_depth, lineage_table [architectures];
   plot_lineage [figures].
10. A small CNN against an MLP - digits_summary, example_digit, small_cnn, small_mlp, compare_cnn_mlp, and the
    settings N_TEST (the fixed test set) and SHIFTS (the one-pixel shifts) [experiments]; the prediction SHIFT_LOSER
    [exercises]; plot_filters_and_maps [figures].
11. Fine-tuning: when does a pretrained network help? - pretrain_source, fine_tune_sweep, and the settings
    SOURCE_CLASSES, TARGET_CLASSES, SOURCE_STEPS, PAIRINGS, METHODS, SHOTS, SEEDS [experiments]; the prediction
    TRANSFER_HELPS [exercises]; plot_fine_tuning [figures].
12. Batch norm in a CNN - batchnorm2d_forward [maths].
Exercises - check_output_size, check_layer_cost, check_reduction, and their settings EXERCISE_CONV, EXERCISE_LAYER,
EXERCISE_BRANCH [exercises].
"""

from .architectures import (
    ARCHITECTURES,
    build_architecture,
    count_flops,
    count_parameters,
    layer_costs,
    lineage_table,
    weight_depth,
)
from .exercises import (
    EXERCISE_BRANCH,
    EXERCISE_CONV,
    EXERCISE_LAYER,
    SHIFT_LOSER,
    STACK_RATIO,
    TRANSFER_HELPS,
    VGG_FC_SHARE,
    check_layer_cost,
    check_output_size,
    check_reduction,
)
from .experiments import (
    METHODS,
    N_TEST,
    PAIRINGS,
    SEEDS,
    SHIFTS,
    SHOTS,
    SOURCE_CLASSES,
    SOURCE_STEPS,
    TARGET_CLASSES,
    compare_cnn_mlp,
    digits_summary,
    equivariance_report,
    example_digit,
    fine_tune_sweep,
    pretrain_source,
    small_cnn,
    small_mlp,
)
from .figures import (
    VIEW_SWEEPS,
    plot_conv_arithmetic,
    plot_filters_and_maps,
    plot_fine_tuning,
    plot_layer_costs,
    plot_lineage,
)
from .maths import (
    avgpool2d_backward,
    avgpool2d_forward,
    batchnorm2d_forward,
    conv1x1_as_matmul,
    conv2d_backward,
    conv2d_forward,
    conv_macs,
    conv_output_size,
    conv_params,
    dense_vs_conv,
    inception_branch_cost,
    largest_reduction,
    maxpool2d_backward,
    maxpool2d_forward,
    receptive_field,
    shift_images,
    stacked_kernels,
)

__all__ = [
    "conv_output_size", "receptive_field", "conv_params", "conv_macs", "dense_vs_conv", "stacked_kernels",
    "inception_branch_cost", "largest_reduction",
    "conv2d_forward", "conv2d_backward", "maxpool2d_forward", "maxpool2d_backward", "avgpool2d_forward",
    "avgpool2d_backward", "conv1x1_as_matmul", "batchnorm2d_forward", "shift_images",
    "ARCHITECTURES", "build_architecture", "count_parameters", "count_flops", "weight_depth",
    "layer_costs", "lineage_table",
    "equivariance_report", "digits_summary", "example_digit", "small_cnn", "small_mlp", "compare_cnn_mlp",
    "pretrain_source", "fine_tune_sweep",
    "N_TEST", "SHIFTS", "SOURCE_CLASSES", "TARGET_CLASSES", "PAIRINGS", "METHODS", "SHOTS", "SEEDS", "SOURCE_STEPS",
    "VGG_FC_SHARE", "STACK_RATIO", "SHIFT_LOSER", "TRANSFER_HELPS",
    "plot_conv_arithmetic", "plot_layer_costs", "plot_lineage", "plot_filters_and_maps", "plot_fine_tuning",
    "VIEW_SWEEPS", "EXERCISE_CONV", "EXERCISE_LAYER", "EXERCISE_BRANCH",
    "check_output_size", "check_layer_cost", "check_reduction",
]
