"""The Chinese twins speak Chinese in their interactive parts (utils/zh.py), with code cells identical to English.

Checked here: every English string of every prediction and every fixed message of every exercise checker has its
Chinese in utils/zh.py's TEXT; each template gives back its Chinese with the values in place; the language comes from
the folder the kernel runs in (notebooks/zh/), an override, or the open notebook on Colab; a twin's prediction box
and a checker's verdict come out in Chinese when the twin's own cells run, and English stays English.
"""

import ast
import importlib
import re
import string
import sys
import types
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from utils import zh
from utils.exercises import check_close, feedback
from utils.predictions import Prediction, ask, judge

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ["activations", "zero_centering", "initialization", "batch_normalization", "dead_relu", "regularization",
          "convolution", "residual", "optimization"]
CJK = re.compile(r"[\u4e00-\u9fff]")
PROSE = re.compile(r"[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,}){2,}")  # three English words in a row

BAD_INPUT_BASE = {"translate": lambda: dict(text="Reveal", lang="zh")}
BAD_INPUT_ALLOW = {("translate", "text"): "any string is valid: one without a Chinese entry is returned unchanged"}

# Pieces the code glues onto another message, and the entries that translate the glued whole.
FRAGMENTS = {
    " (sum over the batch, axis 0)": "{0} has shape {1}, expected {2} (sum over the batch, axis 0)",
    "{0} has shape {1}, expected {2}{3}": "{0} has shape {1}, expected {2} (sum over the batch, axis 0)",
    " (the scale has one entry per OUTPUT unit, i.e. per ROW of the weight: scale[:, None] * W)":
        "{0} (the scale has one entry per OUTPUT unit, i.e. per ROW of the weight: scale[:, None] * W)",
    " (with g = {0} layer 30's std is {1}, the input's is 1)":
        "{0} (with g = {1} layer 30's std is {2}, the input's is 1)",
    "{0} is {1}": "{0} is too small: some point still has w·x + b > 0",
}
# Strings in a checker that are no message: a mode's name compared in code, a separator, a startswith() prefix.
NOT_MESSAGES = {"no reset", ", ", "stays", "name '([^']+)' is not defined"}  # the last: a regular expression


def _template(node):
    """A string literal or f-string as a template: the f-string's values become {0}, {1}, …"""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}")
    if isinstance(node, ast.JoinedStr):
        out, index = [], 0
        for value in node.values:
            if isinstance(value, ast.Constant):
                out.append(value.value.replace("{", "{{").replace("}", "}}"))
            else:
                out.append("{%d}" % index)
                index += 1
        return "".join(out)
    return None


def _strings_in(tree):
    """(kind, template) for the question, options and explanation of every Prediction(...) and every message
    string in a function that checks an exercise (check_…, one that calls feedback, a mutant or hint table)."""
    docs, skip = set(), set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            docs.add(id(first.value))
        if isinstance(node, ast.Raise):  # errors for the programmer stay English
            skip.update(id(m) for m in ast.walk(node))
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                skip.update(id(m) for m in ast.walk(value))
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assigned = {t.id: a.value for a in tree.body if isinstance(a, ast.Assign) for t in a.targets
                if isinstance(t, ast.Name)}
    found = []

    def collect(kind, node, messages_only=False):
        for m in ast.walk(node):
            if id(m) in skip or id(m) in docs:
                continue
            text = _template(m)
            if text is None or (messages_only and not (sum(c.isalpha() for c in text) >= 2 and " " in text.strip())):
                continue
            found.append((kind, text))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Prediction":
            for kw in node.keywords:
                if kw.arg not in ("question", "why", "options"):
                    continue
                called = [c.func.id for c in ast.walk(kw.value) if isinstance(c, ast.Call)
                          and isinstance(c.func, ast.Name) and c.func.id in functions]
                for name in called:  # why=lambda a: _explain(a)
                    collect(kw.arg, functions[name], messages_only=True)
                if isinstance(kw.value, ast.Name) and kw.value.id in functions:
                    collect(kw.arg, functions[kw.value.id], messages_only=True)
                elif isinstance(kw.value, ast.Name) and kw.value.id in assigned:
                    collect(kw.arg, assigned[kw.value.id])
                else:
                    collect(kw.arg, kw.value)
        if isinstance(node, ast.FunctionDef):
            calls_feedback = any(isinstance(c, ast.Call) and getattr(c.func, "id", None) == "feedback"
                                 for c in ast.walk(node))
            if (node.name.startswith("check_") or calls_feedback or "mutant" in node.name or "hint" in node.name
                    or node.name == "learner_number"):
                collect("checker", node, messages_only=True)
    return found


def course_strings():
    """{template: 'file: kind'} for every prediction string and checker message in utils/."""
    out = {}
    for path in sorted((ROOT / "utils").rglob("*.py")):
        if path.name in ("zh.py", "validation.py", "predictions.py", "glossary.py") or "_zh" in path.parts:
            continue
        for kind, text in _strings_in(ast.parse(path.read_text(encoding="utf-8"))):
            out.setdefault(text, f"{path.relative_to(ROOT)}: {kind}")
    return out


def all_predictions():
    from utils import course
    found = {"course.SEED_REPEATS": course.SEED_REPEATS}
    for topic in TOPICS:
        module = importlib.import_module(f"utils.{topic}")
        for name, value in vars(module).items():
            if isinstance(value, Prediction):
                found[f"{topic}.{name}"] = value
    return found


@pytest.fixture
def in_chinese(monkeypatch):
    """Run as a Chinese twin's kernel does: in notebooks/zh/, with no override set."""
    monkeypatch.delenv("COURSE_LANG", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(ROOT / "notebooks" / "zh")


@pytest.fixture
def in_english(monkeypatch):
    monkeypatch.delenv("COURSE_LANG", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(ROOT / "notebooks")


def test_the_inventory_finds_the_course_strings():
    strings = course_strings()
    # a question, an option, an explanation, a checker hint and a learner_number message, each from another file
    for expected in ("A 20-layer net at initialisation (Kaiming weights): with which activation does the first "
                     "layer get the smallest gradient?", "shrink towards 0", "the CNN", "Centring alone was enough "
                     "here.", "you forgot gamma: the output is gamma * x̂ + beta",
                     "{0} should be a whole number, got {1}", "dgamma: SUM over the batch, not the mean"):
        assert expected in strings, expected
    assert len(strings) > 400


def test_every_prediction_string_and_checker_message_has_its_chinese():
    missing = []
    for text, where in course_strings().items():
        if text in NOT_MESSAGES or text in zh.UNCHANGED:
            continue
        key = FRAGMENTS.get(text, text)
        if key not in zh.TEXT:
            missing.append(f"{where}: {text!r}")
    assert not missing, f"{len(missing)} English strings have no Chinese in utils/zh.py TEXT:\n" + "\n".join(missing)


def test_every_notebook_description_has_its_chinese_for_the_sites_chinese_index():
    from utils import course
    assert all(description in zh.TEXT for description in course.NOTEBOOKS.values())


def test_every_prediction_question_and_option_reads_chinese_at_run_time():
    untranslated = []
    for name, prediction in all_predictions().items():
        for text in (prediction.question, *map(str, prediction.options or ())):
            chinese = zh.translate(text, "zh")
            if text not in zh.UNCHANGED and (chinese == text or PROSE.search(chinese)):
                untranslated.append(f"{name}: {text!r} -> {chinese!r}")
    assert not untranslated, "\n".join(untranslated)


def test_every_explanation_reads_chinese_for_every_option():
    """A `why` that is a function of the answer: called with each option, as it is when revealed (skipping the
    ones that run an experiment to explain)."""
    checked = 0
    for name, prediction in all_predictions().items():
        if callable(prediction.why) and any(callable(prediction.why.__globals__.get(name))
                                            for name in prediction.why.__code__.co_names):
            continue  # it measures something first: its text is checked as a template above
        for option in prediction.options or (1.0,):
            try:
                text = prediction.explanation(option)
            except Exception:  # noqa: BLE001 - an explanation that needs the real answer
                continue
            chinese = zh.translate(text, "zh")
            assert CJK.search(chinese) and not PROSE.search(chinese.replace("'Expected more than 1 value per "
                                                                            "channel when training'", "")), \
                f"{name} with {option!r}: {chinese!r}"
            checked += 1
    assert checked >= 25


def _fields(template):
    return sorted(f for _, f, _, _ in string.Formatter().parse(template) if f is not None)


@pytest.mark.parametrize("english", sorted(zh.TEXT))
def test_each_entry_is_chinese_and_keeps_every_value(english):
    chinese = zh.TEXT[english]
    assert CJK.search(chinese) or english in ("the CNN", "the MLP") or not re.search("[A-Za-z]", english), \
        f"{english!r} -> {chinese!r} has no Chinese"
    assert _fields(chinese) == _fields(english), f"{english!r} and {chinese!r} place different values"
    values = [f"⟨{i}⟩" for i in range(len(_fields(english)))]
    assert zh.translate(english.format(*values), "zh") == chinese.format(*values)


def test_terms_follow_the_course_glossary():
    text = "".join(zh.TEXT.values())
    for wrong, right in (("批次", "批量"), ("自动求导", "自动微分"), ("海森矩阵", "黑塞矩阵")):
        assert wrong not in text, f"write {right}, not {wrong}"


def test_glued_messages_come_out_whole_in_chinese():
    text = ("(c_in=64, c_out=64, stride=1) should be False, (c_in=256, c_out=256, stride=1) should be False: when "
            "neither the stride nor the channels change, x + F(x) adds directly: the identity is enough")
    assert zh.translate(text, "zh") == ("(c_in=64, c_out=64, stride=1) 应为 False，(c_in=256, c_out=256, "
                                        "stride=1) 应为 False：步幅和通道数都不变时，x + F(x) 可以直接相加："
                                        "恒等映射就够了")
    # the learner's own exception stays as Python wrote it, and a short template does not cut it apart
    text = ("on losses [2.0, 1.6] with patience 1 your function failed (TypeError: 'int' object is not iterable); "
            "return two whole numbers (best, stop)")
    assert "'int' object is not iterable" in zh.translate(text, "zh")
    assert zh.translate("something the course never says", "zh") == "something the course never says"


def test_language_comes_from_the_folder_an_override_or_the_notebook_path(monkeypatch, in_english):
    assert zh.language() == "en"
    monkeypatch.chdir(ROOT / "notebooks" / "zh")
    assert zh.language() == "zh"
    monkeypatch.setenv("COURSE_LANG", "en")
    assert zh.language() == "en"
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COURSE_LANG", "zh")
    assert zh.language() == "zh"
    monkeypatch.delenv("COURSE_LANG")
    assert zh.language() == "en"
    monkeypatch.setenv("JPY_SESSION_NAME", str(ROOT / "notebooks" / "zh" / "03_initialization.ipynb"))
    assert zh.language() == "zh"
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/03_initialization.ipynb")
    assert zh.language() == "en"
    with pytest.raises(ValueError, match="lang"):
        zh.translate("Reveal", "fr")


@pytest.mark.parametrize("twin, expected", [(True, "zh"), (False, "en")])
def test_on_colab_the_open_notebook_decides(monkeypatch, in_english, twin, expected):
    """Colab runs every notebook in /content; a Chinese twin is recognised by its cells' translation metadata."""
    cells = [{"cell_type": "markdown", "metadata": {"translation": {"source_index": 0}} if twin else {}}]
    message = types.SimpleNamespace(blocking_request=lambda name, timeout_sec: {"ipynb": {"cells": cells}})
    colab = types.ModuleType("google.colab")
    colab._message = message
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab._message", message)
    monkeypatch.chdir("/")
    zh._colab_notebook_is_zh.cache_clear()
    try:
        assert zh.language() == expected
    finally:
        zh._colab_notebook_is_zh.cache_clear()


def test_a_prediction_box_speaks_chinese_in_a_twin_and_english_elsewhere(monkeypatch, in_chinese):
    from utils import course
    box = ask(course.SEED_REPEATS)
    bundle = box._repr_mimebundle_()
    assert "预测：" in bundle["text/html"] and "两次抽到的数相比如何" in bundle["text/html"]
    assert "完全相同" in bundle["text/html"] and "答案（先想好再展开）" in bundle["text/html"]
    assert box.button.description == "揭晓"
    assert [label for label, _ in box.choice.options] == ["完全相同", "前几位小数相同", "不同"]
    box.choice.value = 2
    right, message = box.reveal()
    assert not right and message.startswith("不太对：你的预测是 不同，答案是 完全相同。种子固定了")
    monkeypatch.chdir(ROOT / "notebooks")
    box = ask(course.SEED_REPEATS)
    assert box.button.description == "Reveal" and "Predict:" in box._repr_mimebundle_()["text/html"]
    assert judge(course.SEED_REPEATS, "different", "exactly the same")[1].startswith(
        "Not quite: you said different, the answer is exactly the same. A seed fixes")


def test_checkers_speak_chinese_in_a_twin_and_english_elsewhere(monkeypatch, capsys, in_chinese):
    from utils import activations, regularization
    assert activations.check_sigmoid_bound(2.5) is False
    assert check_close(1.0, 2.0) is False
    assert regularization.check_label_preserving({"a", "b"}) is False
    assert feedback(True, "") is True
    out = capsys.readouterr().out.splitlines()
    assert out == ["❌ 你把 0.25 乘以了层数：各层的因子是相乘的，所以应当求 0.25 的 n 次方",
                   "❌ 你的答案最多偏差 1（容差 rtol=1e-06，atol=1e-08）",
                   "❌ 镜像的 2、3、4 或 7 根本不是数字，而且网络在测试时也从不会见到镜像的数字",
                   "✅ 正确！"]
    monkeypatch.chdir(ROOT)
    activations.check_sigmoid_bound(2.5)
    assert capsys.readouterr().out.startswith("❌ you multiplied 0.25 by the number of layers")


def _run_cells(path, indices):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        for index in indices:
            client.execute_cell(nb.cells[index], index)
    return nb


def _cell_index(nb_path, source_start):
    nb = nbformat.read(nb_path, as_version=4)
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith(source_start))


@pytest.mark.parametrize("folder", ["zh", ""])
def test_a_twins_own_cells_show_chinese_and_the_english_notebook_english(folder):
    """00's set-up, import and prediction cells, and 01's sigmoid-bound exercise with its placeholder, executed in a
    fresh kernel from the notebook's own folder: the code cells are the same in both languages."""
    path = ROOT / "notebooks" / folder / "00_start_here.ipynb"
    ask_cell = _cell_index(path, "ask(course.SEED_REPEATS)")
    nb = _run_cells(path, [_cell_index(path, "# Set-up"), _cell_index(path, "from utils import course"), ask_cell])
    shown = nb.cells[ask_cell].outputs[0]["data"]["text/html"]
    path = ROOT / "notebooks" / folder / "01_activation_functions.ipynb"
    check = _cell_index(path, "activations.check_sigmoid_bound(bound")
    placeholder = check - 1 if "bound" in nbformat.read(path, as_version=4).cells[check - 1].source else check - 2
    nb = _run_cells(path, [_cell_index(path, "# Set-up"), _cell_index(path, "import numpy as np"), placeholder, check])
    printed = "".join(o.get("text", "") for o in nb.cells[check].outputs)
    if folder == "zh":
        assert "预测：" in shown and "两次抽到的数相比如何" in shown
        assert printed.startswith("❌ `bound` 仍是 None：请把它换成表示这个因子的 Python 表达式"), printed
    else:
        assert "Predict:" in shown and "How do the two draws compare?" in shown
        assert printed.startswith("❌ `bound` is still None"), printed


# ---------------------------------------------------------------------------------------------------------------
# One form per term across the twins' markdown (terms as in 《动手学深度学习》, zh.d2l.ai, and utils/glossary.py)
# ---------------------------------------------------------------------------------------------------------------

# a form the twins do not use -> the one they use
NOT_USED = {
    "批次": "批量 (d2l-zh: 批量大小, 小批量)",
    "自动求导": "自动微分",
    "图库": "图鉴, or 这组图 (图库 is a stock-image library)",
    "「": "“ (mainland quotation marks)",
    "」": "”",
    "海森矩阵": "黑塞矩阵 (d2l-zh: 黑塞矩阵 or Hessian矩阵)",
    "对称性破缺": "打破对称性 (对称性破缺 is the physics term)",
}
EXERCISE_HEADING = re.compile(r"\*\*练习 \d+(：[^*]+[。？]|（探索）。|。)\*\*")


def _twin_cells():
    """(twin file name, cell index, Chinese markdown, its English source cell's markdown)."""
    for path in sorted((ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb")):
        english = nbformat.read(ROOT / "notebooks" / path.name, as_version=4)
        twin = nbformat.read(path, as_version=4)
        for index, cell in enumerate(twin.cells):
            if cell.cell_type == "markdown":
                source = cell.metadata.get("translation", {}).get("source_index", index)
                yield path.name, index, cell.source, english.cells[source].source


def test_the_twins_write_each_term_one_way():
    found = [f"{name} c{index}: {wrong!r} (write {right})" for name, index, text, _ in _twin_cells()
             for wrong, right in NOT_USED.items() if wrong in text]
    assert not found, "\n".join(found)


def test_dotted_is_dianxian_and_dashed_is_xuxian():
    found = []
    for name, index, text, english in _twin_cells():
        dotted, dashed = "dotted" in english, re.search(r"\bdash(ed)?\b", english) is not None
        if dotted and not dashed and "虚线" in text:
            found.append(f"{name} c{index}: the English says dotted: 点线, not 虚线")
        if dashed and not dotted and "点线" in text:
            found.append(f"{name} c{index}: the English says dashed: 虚线, not 点线")
    assert not found, "\n".join(found)


def test_leaky_relu_is_glossed_once_per_twin_and_d2l_is_cited_one_way():
    glosses, citations = {}, []
    for name, index, text, _ in _twin_cells():
        if not name.startswith("00"):
            glosses[name] = glosses.get(name, 0) + text.count("带泄露修正线性单元")
        citations += [f"{name} c{index}" for _ in re.finditer(r"(?<!阿斯顿·张、)李沐 等", text)]
    assert all(n <= 1 for n in glosses.values()), f"gloss Leaky ReLU at its first mention only: {glosses}"
    assert not citations, f"cite d2l-zh as 阿斯顿·张、李沐 等: {citations}"


def test_exercise_headings_have_one_style():
    found = []
    for name, index, text, _ in _twin_cells():
        for heading in re.findall(r"\*\*练习[^*]*\*\*", text):
            if not EXERCISE_HEADING.fullmatch(heading):
                found.append(f"{name} c{index}: {heading} (write **练习 N：标题。**)")
    assert not found, "\n".join(found)


def test_the_glossary_names_d2l_zh_and_the_twin_shows_it_in_chinese():
    from utils import glossary
    zero = nbformat.read(ROOT / "notebooks" / "zh" / "00_start_here.ipynb", as_version=4)
    assert glossary.markdown_table("zh") in "\n".join(c.source for c in zero.cells if c.cell_type == "markdown")
    assert "d2l-zh" in glossary.markdown_table().split("\n")[0]
    assert "《动手学深度学习》" in glossary.markdown_table("zh").split("\n")[0]
    d2l = {en: alt for en, _, alt, _ in glossary.TERMS}
    assert d2l["curvature; Hessian"] != "海森矩阵" and d2l["data augmentation"] == "图像增广"
    assert d2l["running mean / running variance"] == "移动平均"
    assert glossary.chinese_for("symmetry breaking") == "打破对称性"
    for en, course_form, alt, _ in glossary.TERMS:
        for wrong in NOT_USED:
            assert wrong not in course_form + alt, f"{en}: {wrong}"


# ---------------------------------------------------------------------------------------------------------------
# README.zh.md: a mainland install block, and what the English README has (notebook table, versions, Intel Macs)
# ---------------------------------------------------------------------------------------------------------------

def _readme(name):
    return (ROOT / name).read_text(encoding="utf-8")


def _run_times(text, folder):
    rows = re.findall(rf"^\| \[(\d\d)_[^\]]*\]\(notebooks/{folder}\d\d_[^)]*\.ipynb\) \|.*\| ([^|]+) \|$", text, re.M)
    return {nn: time.strip() for nn, time in rows}


def test_the_chinese_readme_has_a_mainland_install_block_that_gets_the_cpu_build():
    zh_readme = _readme("README.zh.md")
    block = re.search(r"### 在中国大陆安装（镜像）\n(.+?)\n### ", zh_readme, re.S).group(1)
    commands = re.search(r"```sh\n(.+?)\n```", block, re.S).group(1)
    assert "pip config set global.index-url https://pypi.tuna.tsinghua.edu.cn/simple" in commands
    assert re.search(r"pip install torch==[\d.]+\+cpu -f https://\S+/cpu/", commands), "the CPU build, from a mirror"
    assert commands.index("torch==") < commands.index("-r requirements.txt"), "torch before requirements.txt"
    assert "+cpu" in commands and "2.7 GB" in block and "conda" in block
    assert "没有验证过" in block, "say plainly which lines were not verified"


def test_the_chinese_readme_has_the_english_readmes_table_versions_and_intel_mac_note():
    en, zh_readme = _readme("README.md"), _readme("README.zh.md")
    assert _run_times(zh_readme, "zh/") == _run_times(en, ""), "copy the run times of README.md's notebook table"
    assert len(_run_times(en, "")) == 10
    assert "### 支持哪些版本" in zh_readme and "Intel 芯片的 Mac" in zh_readme and "2.2.2" in zh_readme
    for floor in ("Python 3.10", "torch 2.6", "NumPy 1.24", "matplotlib 3.8", "ipywidgets 7.7.2", "scikit-learn 1.2"):
        assert floor in zh_readme, floor
    assert "尚未翻译" not in zh_readme and "已有的中文版" not in zh_readme
