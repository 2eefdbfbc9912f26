"""Residual and dense connections (notebook 08): deep MLP stacks with and without shortcuts, ResNet and DenseNet built
from their blocks, and the notebook's experiments.

To read the maths — how each block computes, what a projection shortcut is, where the parameters of a bottleneck go —
open `utils/residual/maths.py`. The public names, by section of the notebook, and the file that holds each group:

1. The degradation problem, reproduced
   - maths.py: `MLPBlock`, `DeepMLP`, `make_deep_mlp`, `WIDTH`
   - experiments.py: `degradation_runs`, `train_stack`, `degradation_table`, `mean_train_loss`, `initial_losses`;
     the settings `DEPTHS`, `STEPS`, `LR`, `MOMENTUM`, `BATCH_SIZE`, `SEEDS`, `KINDS`, `CHANCE_LOSS`
   - figures.py: `plot_degradation`
   - exercises.py: the prediction `DEEPER_PLAIN`
2. The residual block: the identity is one step away
   - experiments.py: `identity_fit`, `IDENTITY_KINDS`
   - figures.py: `plot_identity_fit`
3. Gradients through the shortcut
   - maths.py: `BLOCK_KINDS`
   - experiments.py: `gradient_norms`, `gradient_ratio`, `gradient_ratio_table`, `GRADIENT_BATCH`
   - figures.py: `plot_gradient_norms` (the interactive view), `VIEW_SWEEPS`
   - exercises.py: the prediction `GRADIENT_TOWARD_INPUT`
4. Residual networks behave like ensembles of shallow paths
   - experiments.py: `block_deletion`
   - figures.py: `plot_block_deletion`
   - exercises.py: the prediction `DELETE_BLOCK`
5. The loss surface: a slice through the trained weights
   - experiments.py: `loss_slice`, `slice_sharpness`
   - figures.py: `plot_loss_slice`
6. Block designs and their parameter counts
   - maths.py: `BasicBlock`, `Bottleneck`, `PreActBlock`, `resnet18`, `resnet50`, `count_parameters`,
     `block_parameter_table`, `published_comparison`, `PUBLISHED`, `PUBLISHED_TOLERANCE`
7. DenseNet: concatenate instead of add
   - maths.py: `DenseLayer`, `Transition`, `densenet121`, `dense_channels`, `DenseMLPLayer`, `small_resnet`,
     `small_densenet`, `activation_memory`
   - experiments.py: `compare_small_nets`, `small_nets_table`
   - figures.py: `plot_dense_channels`
Exercises
   - exercises.py: `check_dense_channels`, `check_bottleneck_params`, `check_needs_projection`
"""

from .exercises import (
    DEEPER_PLAIN,
    DELETE_BLOCK,
    GRADIENT_TOWARD_INPUT,
    check_bottleneck_params,
    check_dense_channels,
    check_needs_projection,
)
from .experiments import (
    BATCH_SIZE,
    CHANCE_LOSS,
    DEPTHS,
    GRADIENT_BATCH,
    IDENTITY_KINDS,
    KINDS,
    LR,
    MOMENTUM,
    SEEDS,
    STEPS,
    block_deletion,
    compare_small_nets,
    degradation_runs,
    degradation_table,
    gradient_norms,
    gradient_ratio,
    gradient_ratio_table,
    identity_fit,
    initial_losses,
    loss_slice,
    mean_train_loss,
    slice_sharpness,
    small_nets_table,
    train_stack,
)
from .figures import (
    VIEW_SWEEPS,
    plot_block_deletion,
    plot_degradation,
    plot_dense_channels,
    plot_gradient_norms,
    plot_identity_fit,
    plot_loss_slice,
)
from .maths import (
    BLOCK_KINDS,
    PUBLISHED,
    PUBLISHED_TOLERANCE,
    WIDTH,
    BasicBlock,
    Bottleneck,
    DeepMLP,
    DenseLayer,
    DenseMLPLayer,
    MLPBlock,
    PreActBlock,
    Transition,
    activation_memory,
    block_parameter_table,
    count_parameters,
    dense_channels,
    densenet121,
    make_deep_mlp,
    published_comparison,
    resnet18,
    resnet50,
    small_densenet,
    small_resnet,
)

__all__ = [
    "WIDTH", "DEPTHS", "STEPS", "LR", "MOMENTUM", "BATCH_SIZE", "SEEDS", "KINDS", "BLOCK_KINDS", "IDENTITY_KINDS",
    "CHANCE_LOSS", "GRADIENT_BATCH", "MLPBlock", "DeepMLP", "make_deep_mlp", "train_stack", "degradation_runs",
    "initial_losses", "degradation_table", "mean_train_loss", "identity_fit", "gradient_norms", "gradient_ratio",
    "block_deletion", "loss_slice", "slice_sharpness", "BasicBlock", "Bottleneck", "PreActBlock", "DenseLayer",
    "Transition", "resnet18", "resnet50", "densenet121", "count_parameters", "block_parameter_table",
    "dense_channels", "PUBLISHED", "PUBLISHED_TOLERANCE", "published_comparison", "gradient_ratio_table",
    "small_nets_table", "DenseMLPLayer", "small_resnet", "small_densenet", "activation_memory", "compare_small_nets",
    "DEEPER_PLAIN", "GRADIENT_TOWARD_INPUT", "DELETE_BLOCK", "check_dense_channels", "check_bottleneck_params",
    "check_needs_projection", "plot_degradation", "plot_identity_fit", "plot_gradient_norms", "plot_block_deletion",
    "plot_loss_slice", "plot_dense_channels", "VIEW_SWEEPS",
]
