"""Private input checks shared by the rooms of `utils.residual`: the bounds on sizes, and the channel/stride check of
the convolutional blocks. Nothing here is for learners; it imports nothing from the topic."""

from utils import validation

_MAX_DEPTH = 200
_MAX_WIDTH = 512
_MAX_CHANNELS = 4096


def _channels_and_stride(c_in, c_out, stride, out_name="c_out"):
    return (validation.size("c_in", c_in, high=_MAX_CHANNELS), validation.size(out_name, c_out, high=_MAX_CHANNELS),
            validation.size("stride", stride, high=4))
