"""The predictions notebook 07 asks before its experiments (`VGG_FC_SHARE`, `STACK_RATIO`, `SHIFT_LOSER`,
`TRANSFER_HELPS`) and the exercise checkers (`check_output_size`, `check_layer_cost`, `check_reduction`), each
answering "correct" or naming the mistake.
"""

from torch import nn

from utils.exercises import feedback, learner_number
from utils.predictions import Prediction

from .architectures import count_flops, count_parameters, layer_costs
from .experiments import SEEDS, SHOTS, SOURCE_CLASSES, SOURCE_STEPS, _digits, compare_cnn_mlp, fine_tune_sweep
from .maths import conv_macs, conv_output_size, inception_branch_cost, largest_reduction, stacked_kernels

# ----------------------------------------------------------------------------------------------
# Predictions (asked in the notebook before the experiment that answers them)
# ----------------------------------------------------------------------------------------------

def _fc_share():
    rows = layer_costs("VGG-16")
    return rows[-3]["params"] / sum(r["params"] for r in rows)


_SHARE_OPTIONS = ("about 1 %", "about 10 %", "about 40 %", "about 75 %")


def _nearest_share():
    share = 100 * _fc_share()
    return min(_SHARE_OPTIONS, key=lambda o: abs(float(o.split()[1]) - share))


VGG_FC_SHARE = Prediction(
    question="VGG-16 has 138 M parameters in 13 conv layers and 3 dense layers. What share of them sits in its first "
             "dense layer alone (7x7x512 inputs to 4,096 units)?",
    options=_SHARE_OPTIONS, answer=_nearest_share,
    why=lambda a: f"{100 * _fc_share():.0f} % ({layer_costs('VGG-16')[-3]['params']:,} numbers): a dense layer pays "
                  "for every input-output pair, 25,088 x 4,096 of them, while a conv layer's weights do not grow with "
                  "the image. The conv layers do almost all of the computing instead.")


def _stack_ratio():
    s = stacked_kernels(3, 3)
    return s["stack_params"] / s["single_params"]


STACK_RATIO = Prediction(
    question="Three 3x3 conv layers (C channels in and out) see a 7x7 region of the input, like one 7x7 layer. "
             "Their weights, as a fraction of the 7x7 layer's: type a number.",
    answer=_stack_ratio, tolerance=1.25,
    why=lambda a: f"3 x 3·3·C² = 27C² against 7·7·C² = 49C²: {a:.2f}, and with three ReLUs instead of one.")


_SHIFT_OPTIONS = ("the CNN", "the MLP", "both about the same")


def _shift_loser():
    r = compare_cnn_mlp(seed=0)
    drop = {k: r[k]["accuracy"] - r[k]["shifted_accuracy"] for k in ("CNN", "MLP")}
    if abs(drop["CNN"] - drop["MLP"]) < 0.05:
        return _SHIFT_OPTIONS[2]
    return _SHIFT_OPTIONS[0] if drop["CNN"] > drop["MLP"] else _SHIFT_OPTIONS[1]


def _shift_why(answer):
    r = compare_cnn_mlp(seed=0)
    return (f"Accuracy falls from {r['CNN']['accuracy']:.1%} to {r['CNN']['shifted_accuracy']:.1%} for the CNN and "
            f"from {r['MLP']['accuracy']:.1%} to {r['MLP']['shifted_accuracy']:.1%} for the MLP. The conv layers "
            "shift their maps with the image and max pooling absorbs part of the shift; the MLP's weights are tied "
            "to pixel positions. Neither is invariant: on an 8x8 image one pixel is an eighth of the width.")


SHIFT_LOSER = Prediction(
    question="A small CNN and an MLP with the same number of parameters classify the 8x8 digits about equally "
             "well. Shift every test image by one pixel: which loses more accuracy?",
    options=_SHIFT_OPTIONS, answer=_shift_loser, why=_shift_why)


_TRANSFER_OPTIONS = ("yes, in every seed", "in some seeds only", "no, in no seed")


def _transfer_helps():
    acc = fine_tune_sweep("shifted")["accuracy"]
    k = list(SHOTS).index(3)
    gains = acc[1, k] - acc[0, k]
    return _TRANSFER_OPTIONS[0] if (gains > 0).all() else _TRANSFER_OPTIONS[1] if (gains > 0).any() \
        else _TRANSFER_OPTIONS[2]


def _transfer_why(answer):
    acc = fine_tune_sweep("shifted")["accuracy"]
    k = list(SHOTS).index(3)
    gains = ", ".join(f"{100 * g:+.0f}" for g in acc[1, k] - acc[0, k])
    images, labels, _, pool = _digits()
    n_source = int((labels[pool] < len(SOURCE_CLASSES)).sum())
    return (f"Gains of fine-tuning over training from scratch, 3 images per class, seeds {SEEDS}: {gains} points. "
            "Fifteen shifted images cannot teach a fresh net that a digit moved by a pixel is the same digit; the "
            f"source net saw its {n_source} images of 0-4 in {SOURCE_STEPS * 64:,} randomly shifted copies.")


TRANSFER_HELPS = Prediction(
    question="Target task: shifted digits 5-9, only 3 labelled images per class. Does fine-tuning a net pretrained on "
             "many shifted digits 0-4 beat training the same architecture from scratch?",
    options=_TRANSFER_OPTIONS, answer=_transfer_helps, why=_transfer_why)


# ----------------------------------------------------------------------------------------------
# Exercises
# ----------------------------------------------------------------------------------------------

EXERCISE_CONV = {"size": 28, "kernel": 5, "stride": 2, "padding": 2, "dilation": 2}
EXERCISE_LAYER = {"c_in": 64, "c_out": 128, "kernel": 3, "groups": 4, "size": 56}   # padding 1, stride 1, bias
EXERCISE_BRANCH = {"c_in": 192, "c_out": 32, "size": 28, "kernel": 5, "fraction": 8}


def check_output_size(answer):
    """Exercise 1: the output side of a conv with EXERCISE_CONV's settings (input 28, kernel 5, stride 2, padding 2,
    dilation 2)."""
    value = learner_number(answer, whole=True)[0]
    if value is None:
        return feedback(False, f"answer with a whole number of pixels, got {answer!r}")
    c = EXERCISE_CONV
    expected = conv_output_size(**c)
    span = c["dilation"] * (c["kernel"] - 1) + 1
    hints = {
        conv_output_size(c["size"], c["kernel"], c["stride"], c["padding"], 1):
            f"that ignores the dilation: a 5-tap kernel with dilation 2 spans {span} pixels, not 5",
        conv_output_size(c["size"], c["kernel"], c["stride"], 0, c["dilation"]):
            "that ignores the padding: it adds p pixels on both sides",
        expected - 1: "one short: either the padding was added on one side only, or the final + 1 (the first "
                      "window position) is missing",
        expected + 1: "one too many: the division by the stride rounds down (a window that does not fit is "
                      "not taken)",
        conv_output_size(c["size"], c["kernel"], 1, c["padding"], c["dilation"]):
            "that is the output for stride 1: divide by the stride",
    }
    if value == expected:
        return feedback(True, "", f"Correct: ⌊(28 + 4 − {span})/2⌋ + 1 = {expected}.")
    return feedback(False, hints.get(value, f"{value} is not it: use ⌊(W + 2P − D(K−1) − 1)/S⌋ + 1"))


def _exercise_layer():
    c = EXERCISE_LAYER
    layer = nn.Conv2d(c["c_in"], c["c_out"], c["kernel"], padding=1, groups=c["groups"], device="meta")
    return count_parameters(layer), count_flops(layer, (c["c_in"], c["size"], c["size"]))


def check_layer_cost(params, flops):
    """Exercise 2: parameters and FLOPs (PyTorch's convention) of
    Conv2d(64, 128, kernel_size=3, padding=1, groups=4) on one 64x56x56 input."""
    p, f = learner_number(params, whole=True)[0], learner_number(flops, whole=True)[0]
    if p is None or f is None:
        return feedback(False, f"answer with two whole numbers (params, flops), got {params!r} and {flops!r}")
    c = EXERCISE_LAYER
    want_p, want_f = _exercise_layer()
    k2, cin, cout, g, hw = c["kernel"] ** 2, c["c_in"], c["c_out"], c["groups"], c["size"] ** 2
    problems = []
    if p != want_p:
        hint = {k2 * cin // g * cout: "the parameters miss the bias (one per output channel)",
                (k2 * cin + 1) * cout: "the parameters ignore the groups: each filter sees only C_in/groups channels",
                (k2 * cin // g + 1) * cout // g: "each group has C_out/groups filters, but there are `groups` "
                                                 "groups: all C_out filters exist",
                (k2 + 1) * cout: "the parameters forget the input channels: a filter is K×K×(C_in/groups)"}
        problems.append(hint.get(p, f"the parameters are off ({p:,})"))
    if f != want_f:
        macs = want_f // 2
        hint = {macs: "that FLOP count is the multiply-accumulates: PyTorch counts 2 FLOPs per MAC",
                2 * macs * g: "the FLOPs ignore the groups",
                macs * g: "that is the MAC count without groups; PyTorch counts 2 FLOPs per MAC, and groups divide",
                2 * macs // hw * 54 * 54: "the FLOPs use a 54×54 output; padding 1 keeps 56×56",
                2 * macs // hw: "the FLOPs are for one output pixel: multiply by H_out·W_out"}
        problems.append(hint.get(f, f"the FLOPs are off ({f:,})"))
    if problems:
        return feedback(False, "; ".join(problems))
    return feedback(True, "", f"Correct: {want_p:,} parameters and {want_f:,} FLOPs ({want_f // 2:,} MACs).")


def _branch_budget():
    c = EXERCISE_BRANCH
    direct = conv_macs(c["c_in"], c["c_out"], c["kernel"], c["size"], c["size"])
    return direct / c["fraction"]


def check_reduction(channels):
    """Exercise 3: the largest number of 1x1 reduction channels for which the reduced 5x5 branch of block 3a
    (28x28x192 in, 32 out) costs at most 1/8 of the direct 5x5 conv's multiply-accumulates."""
    value = learner_number(channels, whole=True)[0]
    if value is None:
        return feedback(False, f"answer with a whole number of channels, got {channels!r}")
    c = EXERCISE_BRANCH
    budget = _branch_budget()
    expected = largest_reduction(budget, c["c_in"], c["c_out"], c["size"], c["kernel"])
    hw = c["size"] ** 2
    hints = {int(budget // (hw * c["kernel"] ** 2 * c["c_out"])): "that forgets the cost of the 1x1 conv itself "
                                                                  "(C_in multiply-accumulates per channel per pixel)",
             int(budget // (hw * c["c_in"])): "that counts only the 1x1 conv; the 5x5 conv on r channels costs too",
             expected + 1: "one too many: that branch costs more than the budget (round down)",
             int(budget // 2 // (hw * (c["c_in"] + c["kernel"] ** 2 * c["c_out"]))):
                 "that halves the budget: both sides of the comparison are in MACs here"}
    if value == expected:
        cost = inception_branch_cost(c["c_in"], c["c_out"], expected, c["size"], c["kernel"])["reduced"]
        return feedback(True, "", f"Correct: r = {expected} costs {cost:,} MACs, within the budget of "
                                  f"{budget:,.0f}.")
    if value <= 0:
        return feedback(False, "at least one channel is needed for the branch to compute anything")
    return feedback(False, hints.get(value, f"{value} is not it: the branch costs H·W·r·(C_in + K²·C_out) MACs"))
