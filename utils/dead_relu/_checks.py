"""Private input checks shared by several rooms of `utils.dead_relu` (imports nothing from the topic)."""

from utils import validation


def _seed(seed, name="seed"):
    return validation.seed_value(name, seed)


def _positive_list(name, values, high, whole=False, max_len=64):
    """A non-empty list of positive numbers (whole numbers if `whole`), each at most `high`."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a list of numbers, got {values!r}")
    values = list(values)
    if not values or len(values) > max_len:
        raise ValueError(f"{name} must hold 1 to {max_len} values, got {len(values)}")
    if whole:
        return [validation.integer(name, v, low=1, high=high) for v in values]
    return [validation.finite_number(name, v, low=0, high=high, low_open=True) for v in values]
