"""The glossary module itself (its use in 00 is checked in tests/test_course.py)."""

from utils import glossary


def test_every_term_has_english_chinese_and_where():
    for en, zh, alt, where in glossary.TERMS:
        assert en and zh and where, (en, zh, where)
        assert alt != zh, f"{en}: the other form repeats the course's own"
    assert len({en for en, *_ in glossary.TERMS}) == len(glossary.TERMS), "a term is listed twice"


BAD_INPUT_BASE = {"chinese_for": lambda: dict(english="dropout")}
