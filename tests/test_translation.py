"""The Chinese edition stays in step with the English: code identical, cells one to one, no stale translation, and
the glossary's Chinese terms used where the English cell uses the English term.  Each check is also shown to fail on
a deliberately broken copy."""

import copy
import re
from pathlib import Path

import nbformat
import pytest

from tools import slides, translation
from utils import glossary

ROOT = Path(__file__).resolve().parents[1]
TWINS = sorted((ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in TWINS]
# Single English words that are technical terms (other glossary pieces are phrases, which ordinary prose rarely uses
# by accident); "gain" and "training" are left out: they are ordinary words too.
ONE_WORD_TERMS = {"nonlinearity", "saturation", "back-propagation", "sparsity", "regularisation", "dropout", "momentum",
                  "whitening", "curvature", "orthant", "generalisation", "convolution", "pooling", "equivariance",
                  "invariance", "fine-tuning", "stride", "padding", "dilation", "mini-batch"}


def english_of(twin):
    return ROOT / "notebooks" / twin.name


def test_there_is_a_chinese_edition():
    assert TWINS, "no notebooks/zh/NN_*.ipynb found"
    assert (ROOT / "notebooks" / "zh" / "00_start_here.ipynb") in TWINS


@pytest.mark.parametrize("twin", TWINS, ids=IDS)
def test_twin_is_in_step_with_the_english(twin):
    en = nbformat.read(english_of(twin), as_version=4)
    zh = nbformat.read(twin, as_version=4)
    found = translation.problems(en, zh, twin.stem)
    assert not found, "\n".join(found) + "\n(python -m tools.translation status lists what to do)"


@pytest.mark.parametrize("twin", TWINS, ids=IDS)
def test_twin_is_presented_like_the_english(twin):
    # Slide types follow from the markdown's wording ("**Exercise", "## ..."), so a translation can change them.
    en = slides.slide_types(nbformat.read(english_of(twin), as_version=4))
    zh = slides.slide_types(nbformat.read(twin, as_version=4))
    differ = [f"cell {i}: English {e!r}, Chinese {z!r}" for i, (e, z) in enumerate(zip(en, zh)) if e != z]
    assert not differ, "slide types differ (tools/slides.py reads the wording):\n" + "\n".join(differ)


def _pieces(text, parenthetical):
    text = re.sub(r"\s*[（(][^）)]*[）)]", "", text) if not parenthetical else text
    return [p.strip() for p in re.split(r"\s*(?:;|；|,|，| / )\s*", text) if p.strip()]


def glossary_pairs():
    """(English term, acceptable Chinese forms) for the glossary entries whose parts pair up one to one."""
    pairs = []
    for en, zh, alt, _ in glossary.TERMS:
        en_parts, zh_parts = _pieces(en, False), _pieces(zh, False)
        alt_parts = _pieces(alt, False) if alt else []
        if len(en_parts) != len(zh_parts):
            continue
        for i, (e, z) in enumerate(zip(en_parts, zh_parts)):
            if " " in e or e.lower() in ONE_WORD_TERMS:
                forms = {z} | ({alt_parts[i]} if len(alt_parts) == len(en_parts) else set(alt_parts[:1]))
                if re.search(r"[A-Z]", e):  # a name (Leaky ReLU): Chinese text may keep the name itself
                    forms.add(e)
                pairs.append((e, forms))
    return pairs


def term_problems(en, zh, name):
    found = []
    for i, (e, z) in enumerate(zip(en.cells, zh.cells)):
        if e.cell_type != "markdown":
            continue
        for term, forms in glossary_pairs():
            if re.search(rf"\b{re.escape(term)}", e.source, re.IGNORECASE) and not any(f in z.source for f in forms):
                found.append(f"{name}, cell {i}: the English says {term!r}; the Chinese uses none of {sorted(forms)}")
    return found


@pytest.mark.parametrize("twin", TWINS, ids=IDS)
def test_twin_uses_the_glossary_terms(twin):
    en = nbformat.read(english_of(twin), as_version=4)
    zh = nbformat.read(twin, as_version=4)
    found = term_problems(en, zh, twin.stem)
    assert not found, "\n".join(found)


# --- each check fails on a broken copy ------------------------------------------------------------------------------

@pytest.fixture
def pair():
    twin = ROOT / "notebooks" / "zh" / "00_start_here.ipynb"
    return nbformat.read(english_of(twin), as_version=4), nbformat.read(twin, as_version=4)


def test_the_pair_itself_is_clean(pair):
    assert translation.problems(*pair) == []


def test_a_changed_code_cell_is_caught(pair):
    en, zh = pair
    i = next(i for i, c in enumerate(zh.cells) if c.cell_type == "code")
    zh.cells[i].source += "\nprint('only in Chinese')"
    assert any(f"cell {i}: the code differs" in p for p in translation.problems(en, zh))


def test_cells_out_of_correspondence_are_caught(pair):
    en, zh = pair
    zh.cells.insert(1, nbformat.v4.new_markdown_cell("多出来的一段"))
    found = translation.problems(en, zh)
    assert any("must correspond one to one" in p for p in found)
    assert any("English is code, Chinese is markdown" in p or "translates English cell" in p for p in found)


def test_an_english_edit_makes_its_translation_stale(pair):
    en, zh = pair
    i = next(i for i, c in enumerate(en.cells) if c.cell_type == "markdown")
    en.cells[i].source += " One more English sentence."
    assert any(f"cell {i}: stale" in p for p in translation.problems(en, zh))


def test_an_untranslated_cell_is_caught(pair, tmp_path):
    en, zh = pair
    zh.cells[3].metadata.pop(translation.KEY)
    assert any("cell 3: not translated yet" in p for p in translation.problems(en, zh))


def test_a_missing_glossary_term_is_caught(pair):
    en, zh = pair
    i = next(i for i, c in enumerate(en.cells) if "batch normalisation" in c.source)
    zh.cells[i].source = zh.cells[i].source.replace("批量归一化", "BN")
    assert any(f"cell {i}: the English says 'batch normalisation'" in p for p in term_problems(en, zh, "00"))


def test_mark_records_the_new_hash_and_status_reports(tmp_path, monkeypatch):
    # A throwaway course: one English notebook and its twin, edited and re-marked as a translator would.
    (tmp_path / "notebooks" / "zh").mkdir(parents=True)
    en = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 01 · Hello"),
                                         nbformat.v4.new_code_cell("x = 1")])
    en_path = tmp_path / "notebooks" / "01_hello.ipynb"
    nbformat.write(en, en_path)
    translation.new(en_path)
    zh_path = translation.twin_path(en_path)
    assert translation.problems(en, nbformat.read(zh_path, as_version=4)) == ["notebook, cell 0: not translated yet"]
    zh = nbformat.read(zh_path, as_version=4)
    zh.cells[0].source = "# 01 · 你好"
    nbformat.write(zh, zh_path)
    translation.mark(en_path, [0])
    assert translation.problems(en, nbformat.read(zh_path, as_version=4)) == []
    en.cells[1].source = "x = 2"
    nbformat.write(en, en_path)
    translation.sync_code(en_path)
    assert nbformat.read(zh_path, as_version=4).cells[1].source == "x = 2"
    lines = []
    monkeypatch.setattr(translation, "english_notebooks", lambda root=None: [en_path])
    assert translation.status(out=lines.append) == 0 and lines == ["01_hello.ipynb: up to date"]
    en.cells[0].source = "# 01 · Hello again"
    nbformat.write(en, en_path)
    assert translation.status(out=lines.append) == 1 and "stale" in lines[-1]


def test_a_copy_is_not_a_translation():
    en = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Text")])
    zh = copy.deepcopy(en)
    assert translation.problems(en, zh) == ["notebook, cell 0: not translated yet"]


def _commands(text):
    return re.findall(r"```bash\n(.+?)\n```", text, re.S)


def test_the_chinese_readme_links_both_ways_and_gives_the_same_commands():
    en = (ROOT / "README.md").read_text(encoding="utf-8")
    zh = (ROOT / "README.zh.md").read_text(encoding="utf-8")
    assert "](README.zh.md)" in en.split("\n## ")[0], "README.md should link the Chinese README at its top"
    assert "](README.md)" in zh.split("\n## ")[0], "README.zh.md should link back to README.md at its top"
    en_install, en_test = _commands(en)[:2]
    zh_install, zh_test = _commands(zh)[:2]
    assert zh_install == en_install.replace("notebooks/00_start_here", "notebooks/zh/00_start_here")
    assert zh_test == en_test
    for needed in ("--index-url", "Binder", "CPU", "英文"):
        assert needed in zh, f"README.zh.md should cover {needed!r} (mirror, Binder, CPU torch, English figure text)"


def test_every_english_notebook_has_its_chinese_twin():
    english = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [p.name for p in TWINS] == english, "start the missing twins with `python -m tools.translation new NN`"


def test_the_chinese_teachers_guide_exists_and_links_back():
    guide = (ROOT / "docs" / "teaching.zh.md").read_text(encoding="utf-8")
    assert "](teaching.md)" in guide.split("\n## ")[0], "docs/teaching.zh.md should link the English guide at its top"
    for link in re.findall(r"\]\((\.\./notebooks/zh/[^)#]+)\)", guide):
        assert (ROOT / "docs" / link).resolve().is_file(), f"docs/teaching.zh.md links a missing notebook {link}"
    assert "](docs/teaching.zh.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
