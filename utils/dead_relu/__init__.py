"""Dead ReLUs: a monitor that finds them, the mechanisms that kill them, and the experiments of notebook 05.

To read how dead units are defined and found, open `maths.py`: `dead_mask`, PReLU's forward and backward pass,
the hook-based `DeadUnitMonitor` and the RAI initialisation, each a short function with shapes in its docstring.

The public names, by section of notebooks/05_dead_relu.ipynb (file in brackets):

1. Dead versus sparse: a monitor for any network
   - `dead_mask`, `first_layer_dead_mask`, `RELU_LIKE`, `LayerStats`, `DeadUnitMonitor`, `dead_unit_report`,
     `overall_dead_fraction` (maths.py)
   - the shared task and net: `make_task`, `make_net`, `TASK`, `SIZES`, `STEPS`, `BATCH_SIZE`, `ACTIVATION_NAMES`,
     `INIT_NAMES` (experiments.py)
   - `plot_unit_activity` (figures.py)
2. The geometric picture: a unit dies when its active side loses the data
   - `train_lr_sweep`, `lr_sweep`, `lr_index`, `LR_EXPONENTS`, `LARGE_LR`, `SNAPSHOT_EVERY` (experiments.py)
   - `plot_hyperplanes` and its settings for the benchmark, `VIEW_SWEEPS` (figures.py)
3. Cause: a large learning rate
   - `first_layer_dead_counts` (experiments.py)
   - `plot_dead_vs_lr`, `plot_dead_over_steps` (figures.py)
   - the prediction `LAYER2_DEAD_AT_LARGE_LR` (exercises.py)
4. Cause: initialisation and depth
   - `rai_init` (maths.py)
   - `dead_at_birth`, `born_dead_probability` (experiments.py)
   - `plot_dead_at_birth`, `plot_born_dead` (figures.py)
   - the prediction `BORN_DEAD_NARROW` and its grid `BORN_DEAD_DEPTHS`, `BORN_DEAD_WIDTHS` (exercises.py)
5. Remedies, compared on one task over ten seeds
   - `prelu_forward`, `prelu_backward` (maths.py)
   - `WarmupSGD`, `train_copies`: the batched trainer the comparison uses (experiments.py)
   - `REMEDIES`, `REMEDY_LR`, `REMEDY_SEEDS`, `compare_remedies`, `summarise_remedies`, `format_table`,
     `prelu_slope_trace`, `prelu_slopes_under_decay` (remedies.py)
   - `plot_remedies` (figures.py)
   - the prediction `PRELU_DIVERGES` (exercises.py)
6. Can a dead unit be revived?
   - `revival_experiment` (remedies.py)
   - the prediction `PLAIN_REVIVAL` (exercises.py)
Exercises
   - `check_dead_count` with `EXERCISE_W`, `EXERCISE_B`, `EXERCISE_X`; `check_dead_mask`; `check_killing_lr` with
     `KILL_W`, `KILL_B`, `KILL_GRAD_W`, `KILL_GRAD_B` (exercises.py)

Imports go one way: maths <- experiments <- remedies <- figures; exercises uses maths, experiments and remedies.
Everything not listed here is private (`_name`).
"""

from .exercises import (
    BORN_DEAD_DEPTHS,
    BORN_DEAD_NARROW,
    BORN_DEAD_WIDTHS,
    EXERCISE_B,
    EXERCISE_W,
    EXERCISE_X,
    KILL_B,
    KILL_GRAD_B,
    KILL_GRAD_W,
    KILL_W,
    LAYER2_DEAD_AT_LARGE_LR,
    PLAIN_REVIVAL,
    PRELU_DIVERGES,
    check_dead_count,
    check_dead_mask,
    check_killing_lr,
)
from .experiments import (
    ACTIVATION_NAMES,
    BATCH_SIZE,
    INIT_NAMES,
    LARGE_LR,
    LR_EXPONENTS,
    SIZES,
    SNAPSHOT_EVERY,
    STEPS,
    TASK,
    WarmupSGD,
    born_dead_probability,
    dead_at_birth,
    first_layer_dead_counts,
    lr_index,
    lr_sweep,
    make_net,
    make_task,
    train_copies,
    train_lr_sweep,
)
from .figures import (
    VIEW_SWEEPS,
    plot_born_dead,
    plot_dead_at_birth,
    plot_dead_over_steps,
    plot_dead_vs_lr,
    plot_hyperplanes,
    plot_remedies,
    plot_unit_activity,
)
from .maths import (
    RELU_LIKE,
    DeadUnitMonitor,
    LayerStats,
    dead_mask,
    dead_unit_report,
    first_layer_dead_mask,
    overall_dead_fraction,
    prelu_backward,
    prelu_forward,
    rai_init,
)
from .remedies import (
    REMEDIES,
    REMEDY_LR,
    REMEDY_SEEDS,
    compare_remedies,
    format_table,
    prelu_slope_trace,
    prelu_slopes_under_decay,
    revival_experiment,
    summarise_remedies,
)

__all__ = [
    "RELU_LIKE", "TASK", "SIZES", "STEPS", "BATCH_SIZE", "SNAPSHOT_EVERY", "LR_EXPONENTS", "LARGE_LR",
    "ACTIVATION_NAMES", "INIT_NAMES", "REMEDY_LR", "REMEDIES", "REMEDY_SEEDS", "EXERCISE_W", "EXERCISE_B",
    "EXERCISE_X", "KILL_W", "KILL_B", "KILL_GRAD_W", "KILL_GRAD_B", "BORN_DEAD_DEPTHS", "BORN_DEAD_WIDTHS",
    "dead_mask", "first_layer_dead_mask", "prelu_forward", "prelu_backward", "born_dead_probability", "rai_init",
    "LayerStats", "DeadUnitMonitor", "dead_unit_report", "overall_dead_fraction", "make_task", "make_net",
    "WarmupSGD", "train_copies", "train_lr_sweep", "lr_sweep", "lr_index", "first_layer_dead_counts",
    "dead_at_birth", "compare_remedies", "summarise_remedies", "format_table", "prelu_slope_trace",
    "prelu_slopes_under_decay", "revival_experiment", "check_dead_count", "check_dead_mask", "check_killing_lr",
    "plot_unit_activity", "plot_hyperplanes", "plot_dead_vs_lr", "plot_dead_over_steps", "plot_dead_at_birth",
    "plot_born_dead", "plot_remedies", "VIEW_SWEEPS", "LAYER2_DEAD_AT_LARGE_LR", "BORN_DEAD_NARROW",
    "PRELU_DIVERGES", "PLAIN_REVIVAL",
]
