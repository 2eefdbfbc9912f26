"""The seeds every claim is checked over, from one place (issue 26).

A notebook shows a few seeds (usually 0, 1, 2); a sentence it writes about an experiment is a claim about the seeds it
did not show.  So every claims test (tests/test_claims_NN_*.py) takes its seeds from `claim_seeds()`: by default the
ten seeds 0-9, seven of which no notebook shows.  Anyone can rerun every claim on seeds nobody has seen:

    COURSE_CLAIM_SEEDS=20-29 python -m pytest -m claims
    COURSE_CLAIM_SEEDS=3,7,11,19,23,31,43,59,71,97 python -m pytest -m claims

A claim must hold on the seeds given, whatever they are: write "in every one of 10 seeds" only when it does, and
otherwise test a count ("at least 8 of 10"), a mean with its spread, or a paired difference.
"""

import os

ENV = "COURSE_CLAIM_SEEDS"
DEFAULT = tuple(range(10))
MIN_SEEDS = 10
MAX_SEED = 2**31 - 1


def parse(text):
    """Seeds from "20-29" (a range, both ends included), "3,7,11" (a list) or a mix ("0-4,20,21"), in order."""
    seeds = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        low, sep, high = part.partition("-")
        try:
            values = range(int(low), int(high) + 1) if sep else [int(low)]
        except ValueError:
            raise ValueError(f"{ENV}={text!r}: write seeds as '20-29' or '3,7,11' (whole numbers)") from None
        if sep and int(high) < int(low):
            raise ValueError(f"{ENV}={text!r}: the range {part!r} is empty")
        seeds.extend(values)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"{ENV}={text!r} repeats a seed; each seed counts once")
    if any(not 0 <= s <= MAX_SEED for s in seeds):
        raise ValueError(f"{ENV}={text!r}: seeds must be between 0 and {MAX_SEED}")
    if len(seeds) < MIN_SEEDS:
        raise ValueError(f"{ENV}={text!r} gives {len(seeds)} seeds; a claim is checked over at least {MIN_SEEDS}")
    return tuple(seeds)


def claim_seeds(n=None):
    """The seeds to check a claim over: $COURSE_CLAIM_SEEDS if set, else 0-9.

    n: take only the first n of them (n >= 10), for an expensive experiment; None takes all."""
    text = os.environ.get(ENV, "").strip()
    seeds = parse(text) if text else DEFAULT
    if n is not None:
        if n < MIN_SEEDS:
            raise ValueError(f"a claim is checked over at least {MIN_SEEDS} seeds, not {n}")
        seeds = seeds[:n]
    return seeds


def batches(seeds, size=10):
    """Split seeds into tuples of at most `size` (the helpers take at most 10 seeds per call)."""
    return [tuple(seeds[i:i + size]) for i in range(0, len(seeds), size)]
