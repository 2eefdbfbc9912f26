"""The course's interactive text in Chinese: every prediction box and every exercise checker's feedback.

The Chinese twins (notebooks/zh/) have the same code cells as the English notebooks, so the language cannot come
from the code.  It comes from where the notebook runs (`language()`):

1. the environment variable COURSE_LANG ("zh" or "en"), if set: a teacher's override;
2. the kernel's working directory, or the notebook path Jupyter gives the kernel (JPY_SESSION_NAME, VS Code's
   `__vsc_ipynb_file__`): a path through notebooks/zh/ means Chinese (Jupyter starts a notebook's kernel in the
   notebook's folder);
3. on Colab, where the working directory is /content, the open notebook itself: a Chinese twin's cells carry
   translation metadata.

Otherwise English.  `translate(text)` returns the Chinese of an English message in a Chinese twin, and the text
unchanged everywhere else.

Every Chinese string lives in one place, the two tables of utils/_zh/ (00–04 and 05–09, merged into TEXT here),
keyed by the English string exactly as the course writes it.  A message
that carries numbers or names is a template: the English key has `{0}`, `{1}`, … where the code puts values (in the
order they appear in the English), and the Chinese places them where Chinese grammar wants them.  A value that is
itself an English message (a hint inside "… is not the one: {1}") is translated in turn.  Terms follow
《动手学深度学习》 (zh.d2l.ai) and utils/glossary.py.  tests/test_zh.py checks that every prediction's question,
options and explanation, and every fixed message of every `check_…` function, has its entry.

Public: language, translate, TEXT, UNCHANGED.
"""

import functools
import importlib
import os
import re
import string
import sys
from pathlib import PurePath

from utils._zh import lectures_00_04, lectures_05_09

LANGUAGES = ("en", "zh")


def _is_zh_path(path):
    parts = PurePath(str(path).replace("\\", "/")).parts
    return any(a == "notebooks" and b == "zh" for a, b in zip(parts, parts[1:]))


@functools.lru_cache(maxsize=1)
def _colab_notebook_is_zh():
    """On Colab: whether the open notebook is a Chinese twin (asked once per kernel; False when it cannot tell)."""
    try:
        message = importlib.import_module("google.colab._message")  # Colab's own module (not a dependency)
        nb = message.blocking_request("get_ipynb", timeout_sec=5)["ipynb"]
        return any("translation" in cell.get("metadata", {}) for cell in nb.get("cells", []))
    except Exception:  # not Colab, or Colab did not answer: stay with English
        return False


def language():
    """'zh' in a Chinese twin, 'en' otherwise (see the module's docstring for how it is decided)."""
    chosen = os.environ.get("COURSE_LANG", "").strip().lower()
    if chosen in LANGUAGES:
        return chosen
    main = sys.modules.get("__main__")
    places = [os.getcwd(), os.environ.get("JPY_SESSION_NAME", ""), getattr(main, "__vsc_ipynb_file__", "")]
    if any(place and _is_zh_path(place) for place in places):
        return "zh"
    if "google.colab" in sys.modules and _colab_notebook_is_zh():
        return "zh"
    return "en"


_PROSE = re.compile(r"[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,}){2,}")  # three English words in a row


def _pieces(template):
    """The template as a list of literal strings and None (one None per value)."""
    pieces = []
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            pieces.append(literal)
        if field is not None:
            pieces.append(None)
    return pieces


@functools.lru_cache(maxsize=1)
def _compiled():
    exact = {}
    templates = []
    for english, chinese in TEXT.items():
        pieces = _pieces(english)
        if None in pieces:
            letters = sum(ch.isalpha() for piece in pieces if piece for ch in piece)
            templates.append((letters, pieces, chinese))
        else:
            exact["".join(pieces)] = chinese.replace("{{", "{").replace("}}", "}")
    templates.sort(key=lambda t: -t[0])  # the most specific template first
    return exact, templates


def _fill(pieces, text):
    """Every way to read `text` as `pieces` (literals fixed, a value for each None): yields the values, each as
    (english, its Chinese or None)."""
    if not pieces:
        if not text:
            yield []
        return
    head, rest = pieces[0], pieces[1:]
    if head is not None:
        if text.startswith(head):
            yield from _fill(rest, text[len(head):])
        return
    if not rest:
        ends = [len(text)] if text else []
    else:
        following = rest[0]
        ends = [i for i in range(1, len(text)) if text.startswith(following, i)]
    for end in ends:
        value = text[:end]
        for tail in _fill(rest, text[end:]):
            yield [(value, _chinese(value, inner=True))] + tail


@functools.lru_cache(maxsize=4096)
def _chinese(text, inner=False):
    """The Chinese of one English message, or None when TEXT has no entry that matches it.

    A template fits when every value it leaves is translated or is no English prose (a number, a shape, a name);
    a template whose literal words are many (a whole sentence) may also keep an untranslatable value, such as the
    message of the learner's own exception."""
    exact, templates = _compiled()
    if text in exact:
        return exact[text]
    if text in UNCHANGED or (inner and not _PROSE.search(text)):
        return None  # a value that is a number, a shape or a name stays as it is
    fallback = None
    for letters, pieces, chinese in templates:
        for values in _fill(pieces, text):
            if all(zh is not None or not _PROSE.search(en) for en, zh in values):
                return chinese.format(*[zh if zh is not None else en for en, zh in values])
            if fallback is None and letters >= 12:
                fallback = chinese.format(*[zh if zh is not None else en for en, zh in values])
    return fallback


def translate(text, lang=None):
    """`text` in the learner's language: its Chinese from TEXT in a Chinese twin, else `text` itself.

    lang: 'en' or 'zh' to decide here instead of asking `language()`.  Text without an entry stays English.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {text!r}")
    if lang is None:
        lang = language()
    elif lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    if lang == "en" or not text.strip():
        return text
    stripped = text.strip()
    chinese = _chinese(stripped)
    if chinese is None:
        return text
    return text[: len(text) - len(text.lstrip())] + chinese + text[len(text.rstrip()):]


# Names, symbols and numbers that read the same in Chinese (options such as "sigmoid" or "BatchNorm").
UNCHANGED = frozenset({"sigmoid", "tanh", "ReLU", "BatchNorm", "GroupNorm", "0.1", "0.3", "1.0", "3.0", "10.0"})

# Every Chinese string of the course, keyed by its English (the two files of utils/_zh/ hold them).
TEXT = {**lectures_00_04.TEXT, **lectures_05_09.TEXT}
assert len(TEXT) == len(lectures_00_04.TEXT) + len(lectures_05_09.TEXT), "an English key is in both tables"

__all__ = ["language", "translate", "TEXT", "UNCHANGED", "LANGUAGES"]
