"""Predict, then reveal: every prediction is asked before any text, code or output that answers it.

Two checks.  A static one, on the committed notebooks and their Chinese twins: for each prediction whose answer was
once given away, the cells that reveal it (the experiment's call, a sentence that states the result) come after the
cell that asks it.  And one on executed notebooks (`answer_spoilers`, called by tests/test_notebooks.py): the answer
that `ask` computed is not quoted above the question (a number anywhere above it; an option of three or more words in
the title, the goals or the section that leads to the question).
"""

import html
import re
from pathlib import Path

import nbformat
import pytest
from conftest import ALL_NOTEBOOKS, ENGLISH_NOTEBOOKS, notebook_id

ROOT = Path(__file__).resolve().parents[1]
ASK = re.compile(r"\bask\(\s*\w+\.(\w+)\s*\)")

# (notebook, prediction) -> text that answers it: a call that runs or prints the answering experiment, or a
# sentence (in the English notebook) that states the result.  The first cell holding any of them must come after
# the cell that asks the prediction.  Whitespace is compared collapsed, so line breaks in markdown do not matter.
REVEALED_BY = {
    ("00", "SEED_REPEATS"): ["torch.equal(draws", "get the same numbers"],
    ("01", "SMALLEST_FIRST_LAYER_GRADIENT"): ["sigmoid_gradient_bound(", "$0.25^n$", "makes gradients vanish",
                                              "activations.gradient_norms("],
    ("01", "RELU_ZEROS_AT_MINUS_ONE"): ["relu_zero_fraction(", "plot_relu_sparsity"],
    ("01", "MAXOUT_AT_DEPTH_20"): ['group="ReLU variants"', "Maxout's lie in"],
    ("01", "CENTRED_SIGMOID_UNDER_SGD"): ["update_ratios(", "compare_training(", "net moves far less than"],
    ("03", "SMALL_LAST_LAYER_LOSS"): [r"-\ln(1/C) = \ln C", "init.initial_loss("],
    ("04", "BATCH_OF_ONE"): ["single_example_in_train_mode(", "raises an error on a batch of one", "Its variance is 0"],
    ("04", "FROZEN_BETA_ACTIVE"): ["relu_activity_experiment(", "zeroes about half of the values"],
    ("04", "SMALL_BATCH_LOSER"): ["small_batch_experiment(", "batch_mean_spread(", "breaks down when the batch shrinks",
                                  "where it fails (tiny batches)", "are mostly noise", "work with any batch size"],
    ("05", "LAYER2_DEAD_AT_LARGE_LR"): ["dead_relu.dead_unit_report(", "dead_relu.lr_sweep(", "DeadUnitMonitor("],
    ("05", "PRELU_DIVERGES"): ["compare_remedies(", "a rate at which every variant trains"],
    ("05", "PLAIN_REVIVAL"): ["revival_experiment(", "Plain gradient descent cannot", "permanently lost"],
    ("06", "ADAMW_SHRINK"): ["gentle and predictable", "why AdamW needs a different λ"],
    ("07", "TRANSFER_HELPS"): ["fine_tune_sweep(", "which a few examples cannot teach", "A first attempt"],
    ("08", "DEEPER_PLAIN"): ["degradation_runs(", "degradation problem", "train *worse*",
                             "reaches a *higher training* loss", "the plain nets stay near chance",
                             "the plain nets get stuck"],
    ("08", "DELETE_BLOCK"): ["block_deletion(", "the accuracy barely moves", "behave like ensembles"],
    ("09", "MOMENTUM_SPEEDUP"): ['"momentum_theory"', "plot_steps_vs_kappa(", "momentum_beta_sweep(",
                                 r"grows only like $\sqrt\kappa$"],
}


def _flat(text):
    return re.sub(r"\s+", " ", text)


def asked_at(nb):
    """{prediction name: index of the cell that asks it} (a name asked twice maps to a list of indices)."""
    found = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            for name in ASK.findall(cell.source):
                found.setdefault(name, []).append(i)
    return found


def early_reveals(nb, name, markers, markdown=True):
    """Lines naming every cell above the one that asks `name` which holds one of `markers`."""
    ask_index = asked_at(nb)[name][0]
    wanted = [_flat(m) for m in markers]
    problems = []
    for i, cell in enumerate(nb.cells[:ask_index]):
        if cell.cell_type == "markdown" and not markdown:
            continue
        text = _flat(cell.source)
        for marker in wanted:
            if marker in text:
                problems.append(f"cell {i} ({cell.cell_type}) holds {marker!r}, which answers {name} "
                                f"(asked in cell {ask_index})")
    return problems


def _path(number, zh=False):
    folder = ROOT / "notebooks" / ("zh" if zh else "")
    return next(folder.glob(f"{number}_*.ipynb"))


@pytest.mark.parametrize("key", sorted(REVEALED_BY), ids=[f"{n}-{p}" for n, p in sorted(REVEALED_BY)])
def test_prediction_is_asked_before_what_answers_it(key):
    number, name = key
    en = nbformat.read(_path(number), as_version=4)
    assert len(asked_at(en).get(name, [])) == 1, f"{name} must be asked exactly once in notebook {number}"
    problems = early_reveals(en, name, REVEALED_BY[key])
    # The twin runs the same code cells in the same places; its markdown is the translation of the English cells.
    zh = nbformat.read(_path(number, zh=True), as_version=4)
    problems += [f"zh: {p}" for p in early_reveals(zh, name, REVEALED_BY[key], markdown=False)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[notebook_id(p) for p in ALL_NOTEBOOKS])
def test_each_question_is_announced_and_asked_once(path):
    nb = nbformat.read(path, as_version=4)
    for name, cells in asked_at(nb).items():
        assert len(cells) == 1, f"{name} is asked in cells {cells}; ask each prediction once"
        before = nb.cells[cells[0] - 1]
        if not path.name.startswith("00_"):
            assert before.cell_type == "markdown" and ("**Predict.**" in before.source
                                                       or "**预测一下。**" in before.source), (
                f"cell {cells[0]} asks {name}: the markdown cell above it should say **Predict.** in a sentence")


def test_every_prediction_is_asked_in_one_notebook_only():
    seen = {}
    for path in ENGLISH_NOTEBOOKS:
        for name in asked_at(nbformat.read(path, as_version=4)):
            assert name not in seen, f"{name} is asked in {seen.get(name)} and {path.name}"
            seen[name] = path.name


# ---- executed notebooks: the answer `ask` computed is not printed or written above the question

# The answer block's label in English and in the Chinese twins (utils/_zh), and the colon after the answer in each.
ANSWER = re.compile(r"<details><summary>(?:Answer \(decide first\)|答案（先想好再展开）)</summary><p>(.*?)(?:: |：)",
                    re.S)
NUMBER = r"(?<![\w.]){}(?![\w]|\.\d)"


def _outputs_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            parts.append(out["text"])
        elif "data" in out and "text/plain" in out["data"]:
            parts.append(out["data"]["text/plain"])
    return "".join(parts)


def _states_number(text, answer):
    """Whether `text` holds the number `answer` as `ask` shows it (3 significant digits), as a whole token.  Answers
    of one significant digit are skipped: "2", "10" or "0.5" occur everywhere."""
    if len(answer.lstrip("-").replace(".", "").strip("0")) < 2:
        return False
    return re.search(NUMBER.format(re.escape(answer)), text) is not None


def _lead_in(nb, index):
    """The markdown that leads to the cell `index`: the title and learning goals, and the cells of its own section
    (from the last "## " heading above it)."""
    start = 0
    for i in range(index):
        cell = nb.cells[i]
        if cell.cell_type == "markdown" and re.search(r"^## ", cell.source, re.M):
            start = i
    head = [i for i in range(min(2, index)) if nb.cells[i].cell_type == "markdown"]
    return sorted(set(head) | {i for i in range(start, index) if nb.cells[i].cell_type == "markdown"})


def answer_spoilers(nb):
    """Lines naming every ask(...) in an executed notebook whose computed answer is quoted above it.

    A numeric prediction's answer must not appear in a markdown cell or a printed output above the question.  A
    multiple-choice prediction's answer, when it is an option of three or more words, must not be quoted in the
    title, the learning goals or the section that leads to the question (elsewhere a phrase like "the same number of
    steps" is ordinary prose)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not ASK.search(cell.source):
            continue
        shown = "".join(o.get("data", {}).get("text/html", "") for o in cell.get("outputs", []))
        match = ANSWER.search(shown)
        if not match:
            problems.append(f"cell {i}: ask(...) showed no answer block")
            continue
        answer = html.unescape(match.group(1)).strip()
        if "<ul>" not in shown:  # a numeric prediction
            for j, above in enumerate(nb.cells[:i]):
                text = above.source if above.cell_type == "markdown" else _outputs_text(above)
                if _states_number(text, answer):
                    problems.append(f"cell {j} ({above.cell_type}) states {answer}, the answer to the question asked "
                                    f"in cell {i}")
        elif len(answer.split()) >= 3:
            for j in _lead_in(nb, i):
                if _flat(answer).lower() in _flat(nb.cells[j].source).lower():
                    problems.append(f"cell {j} (markdown) quotes {answer!r}, the answer to the question asked in "
                                    f"cell {i}")
    return problems


def _executed(cells):
    from utils.predictions import Prediction, ask

    nb = nbformat.v4.new_notebook()
    for kind, content in cells:
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(content))
        elif kind == "print":
            nb.cells.append(nbformat.v4.new_code_cell("print(...)", outputs=[
                nbformat.v4.new_output("stream", name="stdout", text=content)]))
        else:
            prediction = Prediction(question="?", options=content[0], answer=content[1], why="because") \
                if isinstance(content, tuple) else Prediction(question="?", answer=content, why="because")
            nb.cells.append(nbformat.v4.new_code_cell("ask(topic.X)", outputs=[nbformat.v4.new_output(
                "display_data", data=ask(prediction)._repr_mimebundle_())]))
    return nb


OPTIONS = ("stays stuck like sigmoid", "trains like tanh")


@pytest.mark.parametrize("cells, spoiled", [
    ([("md", "## 4. A section\nSigmoid **stays stuck like\nsigmoid**."), ("ask", (OPTIONS, OPTIONS[0]))], True),
    ([("md", "# Title"), ("md", "## Learning goals\n- see that it stays stuck like sigmoid"), ("md", "## 1. A"),
      ("md", "## 2. B"), ("ask", (OPTIONS, OPTIONS[0]))], True),
    ([("md", "# Title"), ("md", "## Goals"), ("md", "## 1. A\nit stays stuck like sigmoid"), ("md", "## 2. B"),
      ("ask", (OPTIONS, OPTIONS[0]))], False),
    ([("ask", (OPTIONS, OPTIONS[0])), ("md", "It stays stuck like sigmoid.")], False),
    ([("md", "## 1. Trains like tanh? We will see."), ("ask", (OPTIONS, OPTIONS[0]))], False),
    ([("print", "momentum needs 77 steps\n"), ("ask", 77.0)], True),
    ([("print", "momentum needs 774 steps, 7.7 per unit\n"), ("ask", 77.0)], False),
    ([("md", "about 84.1 % of inputs"), ("ask", 84.1)], True),
    ([("md", "## 1.\nscale 10 is worst"), ("ask", ((0.1, 1.0, 10.0), 10.0))], False),
    ([("print", "10 steps\n"), ("ask", 10.0)], False),
    ([("ask", (("sigmoid", "tanh", "ReLU"), "sigmoid"))], False),
])
def test_answer_spoilers_finds_an_answer_quoted_above_its_question(cells, spoiled):
    assert bool(answer_spoilers(_executed(cells))) is spoiled
