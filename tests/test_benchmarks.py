"""The benchmark machinery (benchmarks/), run on a tiny fixture notebook and a fake topic module; no timing asserted."""

import json
import math
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from benchmarks.__main__ import main
from benchmarks.course import (
    TARGETS,
    available_topics,
    find_notebooks,
    judge_redraw,
    merge_results,
    other_cpu,
    run_benchmark,
    topic_modules_of,
    utils_modules,
    utils_references,
)
from benchmarks.execute import PeakRSS
from benchmarks.imports import import_times
from benchmarks.redraw import sweep_settings, time_view
from benchmarks.report import busy_warnings, render_readme_table, render_results_md, run_time_text

DATA = Path(__file__).resolve().parent / "data"
FIXTURE = DATA / "99_bench_fixture.ipynb"
FAKE_TOPIC = DATA / "bench_fake_topic.py"
HELD_MIB = 200  # the fixture notebook writes a block of this size and holds it for 0.3 s


def quiet(*_args, **_kwargs):
    pass


@pytest.fixture(scope="module")
def results():
    """One benchmark run of the fixture notebook (1 execution, imports skipped: they have their own test)."""
    return run_benchmark([str(FIXTURE)], runs=1, topics={FIXTURE.name: [str(FAKE_TOPIC)]}, skip=("imports",),
                         log=quiet, notebook_dir=DATA)


def fake_sweeps():
    import bench_fake_topic  # importable once the benchmark has loaded it by path

    return bench_fake_topic.VIEW_SWEEPS


def test_results_have_the_documented_schema_and_survive_json(results):
    assert set(results) >= {"schema", "command", "runs", "targets", "machine", "imports", "notebooks", "course"}
    assert results["runs"] == 1
    assert results["targets"] == TARGETS
    machine = results["machine"]
    for key in ("date", "cpu_model", "logical_cores", "torch", "device", "python"):
        assert machine[key], f"machine info lacks {key}"
    assert machine["device"].split()[0] in ("cpu", "cuda", "mps")
    assert json.loads(json.dumps(results)) == results  # plain JSON types only
    [record] = results["notebooks"]
    assert record["notebook"] == FIXTURE.name
    assert record["topic_modules"] == [str(FAKE_TOPIC)]
    assert record["imports"] is None  # skipped


def test_execution_is_timed_and_the_kernel_memory_peak_is_seen(results):
    ex = results["notebooks"][0]["execution"]
    assert ex["error"] is None and ex["problems"] == []
    assert len(ex["runs_s"]) == 1 and ex["median_s"] == ex["runs_s"][0] > 0
    assert ex["kernel_start_s"] > 0
    assert ex["cpu_s"] > 0  # writing the block costs the kernel CPU time
    # The fixture writes HELD_MIB MiB; a kernel without that block is far smaller than HELD_MIB.
    assert ex["peak_rss_mib"] >= HELD_MIB
    course = results["course"]
    assert course["notebooks_measured"] == course["notebooks_total"] == 1
    assert course["total_with_kernel_start_s"] == pytest.approx(ex["median_s"] + ex["kernel_start_s"])
    assert course["met"] == (course["total_with_kernel_start_s"] <= TARGETS["course_s"])


def test_every_view_of_the_topic_module_is_swept_and_classified(results):
    redraws = {r["function"]: r for r in results["notebooks"][0]["redraws"]}
    sweeps = fake_sweeps()
    assert set(redraws) == set(sweeps)
    expected_panels = {"plot_line": 1, "plot_pair": 2}
    for name, r in redraws.items():
        assert r["error"] is None and r["warnings"] == []
        assert r["n_settings"] == len(sweeps[name])
        assert len(r["samples_ms"]) == len(sweeps[name]) - 1  # the first setting builds, the rest redraw
        assert r["build_ms"] > 0 and min(r["samples_ms"]) <= r["median_ms"] <= r["p95_ms"] <= r["max_ms"]
        assert r["panels"] == expected_panels[name]
        assert r["kind"] == ("single" if expected_panels[name] == 1 else "multi")
        assert r["target_ms"] == TARGETS["redraw_single_ms" if r["kind"] == "single" else "redraw_multi_ms"]
        assert r["png_kb"] > 1
        assert len(r["cpu_samples_ms"]) == len(r["samples_ms"]) and r["cpu_median_ms"] > 0
    assert redraws["plot_line"]["in_place"] is True  # takes fig= and returns the same figure
    assert redraws["plot_pair"]["in_place"] is False


def test_the_cpu_others_took_counts_the_kernels_as_the_benchmarks_own(results):
    taken = results["machine"]["cpu_taken_by_others"]
    assert set(taken) == {"others", "steal"} and all(0 <= v <= 1 for v in taken.values())
    # the fixture's kernel ran in a child process: had its CPU been counted as another program's, one busy kernel
    # on this machine would read as >= 1/cores of the whole
    assert taken["others"] < 0.5 / results["machine"]["logical_cores"]


def test_other_cpu_subtracts_the_benchmarks_own_seconds():
    start = {"wall": 0.0, "busy": 100.0, "steal": 5.0, "own": 10.0}
    end = {"wall": 10.0, "busy": 115.0, "steal": 7.0, "own": 20.0}  # 15 s busy, 10 of them ours, over 2 × 10 s
    assert other_cpu(start, end, cores=2) == {"others": 0.25, "steal": 0.1}
    assert other_cpu(start, dict(end, busy=105.0), cores=2)["others"] == 0  # counters never read as negative


@pytest.mark.parametrize("machine, expected", [
    # the benchmark's own core of load at the end is not a busy machine (the false warning this replaced)
    ({"logical_cores": 2, "load_average": [0.3], "load_average_end": [1.01],
      "cpu_taken_by_others": {"others": 0.01, "steal": 0.0}}, []),
    ({"logical_cores": 2, "load_average": [1.6], "cpu_taken_by_others": {"others": 0.0, "steal": 0.0}},
     ["busy when the run started"]),
    ({"logical_cores": 2, "load_average": [0.1], "cpu_taken_by_others": {"others": 0.3, "steal": 0.0}},
     ["other programs used 30 %"]),
    ({"logical_cores": 2, "load_average": [0.1], "cpu_taken_by_others": {"others": 0.0, "steal": 0.2}},
     ["hypervisor took 20 %"]),
    ({"logical_cores": 2, "load_average": [0.1], "load_average_end": [1.5]}, ["at the end"]),  # an older file
])
def test_busy_warnings_name_what_was_busy(machine, expected):
    warnings = busy_warnings(machine)
    assert len(warnings) == len(expected)
    for warning, words in zip(warnings, expected):
        assert words in warning


def test_results_md_shows_machine_every_view_and_a_verdict_per_target(results):
    md = render_results_md(results)
    assert results["machine"]["cpu_model"] in md and results["machine"]["torch"] in md
    for heading in ("## Targets", "## Notebooks", "## Redraws", "## Misses"):
        assert heading in md
    assert "| 99_bench_fixture |" in md
    for name in fake_sweeps():
        assert f"`bench_fake_topic.{name}`" in md
    target_rows = md.split("## Targets")[1].split("## Notebooks")[0].strip().splitlines()[2:]
    assert len(target_rows) == 5  # course, notebook time, RSS, single-panel and multi-panel redraws
    for row in target_rows:
        assert row.rstrip(" |").endswith(("met", "**missed**")), row
    misses = md.split("## Misses")[1]
    for r in results["notebooks"][0]["redraws"]:
        assert (f"`bench_fake_topic.{r['function']}`" in misses) == (not r["met"])


def test_maintainers_notes_are_appended_to_the_report_and_read_by_the_cli(results, tmp_path):
    heading = "## What was done about the misses"
    assert heading not in render_results_md(results) and heading not in render_results_md(results, "  \n")
    md = render_results_md(results, "- The slow view now reuses its figure.\n")
    assert md.index(heading) > md.index("## Misses") and md.rstrip().endswith("- The slow view now reuses its figure.")
    (tmp_path / "results.json").write_text(json.dumps(results))
    (tmp_path / "NOTES.md").write_text("- Measured again after the fix.\n")
    assert main(["--out", str(tmp_path), "--markdown-only"]) == 0
    assert (tmp_path / "RESULTS.md").read_text() == render_results_md(results, "- Measured again after the fix.\n")


def test_readme_table_lists_each_notebook_with_its_median_run_time_rounded_up(results):
    seconds = results["notebooks"][0]["execution"]["median_s"]
    shown = "< 1 s" if seconds < 1 else f"{math.ceil(seconds)} s"
    assert run_time_text(results["notebooks"][0]) == shown
    assert run_time_text({"execution": {"median_s": 12.01}}) == "13 s"
    assert run_time_text({"execution": {"median_s": 0.4}}) == "< 1 s"
    assert run_time_text({"execution": None}) is None
    table = render_readme_table(results, titles={FIXTURE.name: "A fixture"})
    assert f"| [99_bench_fixture](notebooks/{FIXTURE.name}) | A fixture | {shown} |" in table.splitlines()
    assert table.splitlines()[0] == "| Notebook | What it answers | Typical run time |"


def test_cli_fills_the_readme_table_and_regenerates_markdown_from_json(results, tmp_path, capsys):
    (tmp_path / "results.json").write_text(json.dumps(results))
    readme = tmp_path / "README.md"
    readme.write_text("# Course\n\n<!-- notebook-table:start -->\n| notebook | question | typical run time |\n"
                      "|---|---|---|\n"
                      "| [99_bench_fixture](notebooks/99_bench_fixture.ipynb) | fixture | see benchmark |\n"
                      "| [07_later](notebooks/07_later.ipynb) | not written yet | see benchmark |\n"
                      "<!-- notebook-table:end -->\n\nMore text.\n")
    shown = run_time_text(results["notebooks"][0])
    filled = "| [99_bench_fixture](notebooks/99_bench_fixture.ipynb) | fixture | " + shown + " |"
    assert main(["--out", str(tmp_path), "--readme", str(readme), "--readme-table", "--markdown-only"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert filled in printed
    assert "| [07_later](notebooks/07_later.ipynb) | not written yet | see benchmark |" in printed
    assert (tmp_path / "RESULTS.md").read_text() == render_results_md(results)
    assert main(["--out", str(tmp_path), "--readme", str(readme), "--write-readme"]) == 0
    text = readme.read_text()
    assert filled in text.splitlines() and text.startswith("# Course\n") and text.endswith("More text.\n")
    assert main(["--out", str(tmp_path), "--readme", str(tmp_path / "none.md"), "--readme-table"]) == 0
    assert "| Notebook | What it answers | Typical run time |" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="not found"):
        main(["--out", str(tmp_path / "empty"), "--readme-table"])


def test_a_wired_view_without_sweep_is_reported_as_a_miss(tmp_path):
    nb = nbformat.read(FIXTURE, as_version=4)
    nb.cells.append(new_code_cell("view = interactive_view(bench_fake_topic.plot_missing)"))
    path = tmp_path / "98_uncovered.ipynb"
    nbformat.write(nb, path)
    res = run_benchmark([str(path)], runs=1, topics={path.name: [str(FAKE_TOPIC)]},
                        skip=("execution", "imports", "redraws"), log=quiet, notebook_dir=tmp_path)
    [record] = res["notebooks"]
    assert record["wired_views"] == ["bench_fake_topic.plot_missing"]
    assert record["uncovered_views"] == ["bench_fake_topic.plot_missing"]
    assert record["targets"]["coverage"] is False and record["targets"]["met"] is False
    assert "`bench_fake_topic.plot_missing` has no VIEW_SWEEPS entry" in render_results_md(res)


def test_notebook_to_topic_module_mapping_reads_code_cells_only():
    nb = new_notebook(cells=[
        new_markdown_cell("from utils import batch_normalization  # prose, not code"),
        new_code_cell("%matplotlib inline\nfrom utils import pick_device, activations as act\n"
                      "import utils.initialization\nfrom utils.dead_relu import plot_dead as pd"),
        new_code_cell("view = interactive_view(act.plot_curves, a=1)\n"
                      "interactive_view(utils.initialization.plot_hist)\ninteractive_view(pd)\n"
                      "x = utils.regularization.something  # utils.zero_centering only in a comment"),
    ])
    topics = {"activations", "initialization", "dead_relu", "regularization", "batch_normalization",
              "zero_centering"}
    assert topic_modules_of(nb, available=topics) == [
        "utils.activations", "utils.dead_relu", "utils.initialization", "utils.regularization"]
    _, views = utils_references(nb)
    assert views == ["activations.plot_curves", "initialization.plot_hist", "dead_relu.plot_dead"]


def test_topic_modules_are_non_shared_ones_and_shared_ones_with_view_sweeps(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "course.py").write_text('"""Shared, but with a view."""\nVIEW_SWEEPS = {"plot_check": [{}]}\n')
    (tmp_path / "data.py").write_text('"""Shared plumbing."""\n# VIEW_SWEEPS = {} only in a comment\n')
    (tmp_path / "activations.py").write_text('"""A topic."""\n')
    (tmp_path / "residual").mkdir()  # a topic package: its rooms are files inside it
    (tmp_path / "residual" / "__init__.py").write_text('"""A topic package."""\n')
    (tmp_path / "residual" / "figures.py").write_text('VIEW_SWEEPS = {}\n')
    (tmp_path / "not_a_package").mkdir()  # a folder without __init__.py is not a module
    assert available_topics(tmp_path) == {"course", "activations", "residual"}
    assert utils_modules(tmp_path) == ["activations", "course", "data", "residual"]


def test_notebook_selection_by_number_and_unknown_selection_raises(tmp_path):
    for name in ("01_first.ipynb", "02_second.ipynb", "notes.ipynb"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in find_notebooks(None, tmp_path)] == ["01_first.ipynb", "02_second.ipynb"]
    assert [p.name for p in find_notebooks(["2"], tmp_path)] == ["02_second.ipynb"]
    assert [p.name for p in find_notebooks(["01_first"], tmp_path)] == ["01_first.ipynb"]
    with pytest.raises(ValueError, match="'07'"):
        find_notebooks(["07"], tmp_path)


def test_redraw_verdict_uses_median_target_and_p95_spread():
    def verdict(median, p95, panels):
        return judge_redraw({"median_ms": median, "p95_ms": p95, "panels": panels})["met"]

    assert verdict(100, 140, 1) is True
    assert verdict(160, 170, 1) is False  # single panel over 150 ms
    assert verdict(160, 170, 4) is True  # multi-panel budget is 300 ms
    assert verdict(100, 250, 1) is False  # p95 beyond both 2 x median and the target
    assert verdict(5, 40, 1) is True  # jitter on an instant redraw stays within the target
    assert judge_redraw({"median_ms": None, "p95_ms": None, "panels": 1, "error": "boom"})["met"] is False


def test_a_failing_setting_is_reported_not_raised():
    from utils.plotstyle import new_figure

    def plot_fragile(k=0):
        if k > 1:
            raise ValueError(f"k too large: {k}")
        fig, ax = new_figure()
        ax.plot([0, 1], [0, k])
        return fig

    r = time_view(plot_fragile, [{"k": 0}, {"k": 1}, {"k": 2}])
    assert r["error"].startswith("setting 2 {'k': 2}: ValueError: k too large")
    assert len(r["samples_ms"]) == 1


def test_sweep_entries_take_defaults_and_reject_missing_controls():
    def plot(a, b=3):
        return None

    assert sweep_settings(plot, [{"a": 1}, {"a": 2, "b": 5}]) == (["a", "b"], [{"a": 1, "b": 3}, {"a": 2, "b": 5}])
    with pytest.raises(ValueError, match="leaves out 'a'"):
        sweep_settings(plot, [{"b": 1}, {"a": 2}])
    with pytest.raises(ValueError, match="non-empty list"):
        sweep_settings(plot, [])


def test_import_time_is_measured_in_a_fresh_interpreter_and_failures_are_reported():
    ok = import_times("colorsys", runs=2, preload=("json",))
    assert ok["error"] is None and len(ok["cold_runs_s"]) == len(ok["own_runs_s"]) == 2
    assert ok["cold_s"] > 0 and ok["own_s"] > 0
    bad = import_times("no_such_module_for_the_benchmark", runs=1)
    assert bad["cold_s"] is None and "no_such_module_for_the_benchmark" in bad["error"]
    with pytest.raises(ValueError, match="runs"):
        import_times("colorsys", runs=0)


def test_peak_rss_rejects_bad_arguments():
    with pytest.raises(ValueError, match="pid"):
        PeakRSS(0)
    with pytest.raises(ValueError, match="interval"):
        PeakRSS(1, interval=0)


def test_merge_keeps_other_notebooks_and_replaces_remeasured_ones(results):
    old = json.loads(json.dumps(results))
    other = dict(old["notebooks"][0], notebook="98_other.ipynb")
    old["notebooks"].append(other)
    old["machine"] = dict(old["machine"], date="2000-01-01T00:00:00+00:00")
    new = json.loads(json.dumps(results))
    new["course"]["all_notebooks"] = ["98_other.ipynb", FIXTURE.name]
    merged = merge_results(old, new)
    assert [r["notebook"] for r in merged["notebooks"]] == ["98_other.ipynb", FIXTURE.name]
    assert merged["notebooks"][1] == new["notebooks"][0]
    assert merged["course"]["notebooks_measured"] == 2
    assert merged["merged_from"] == ["2000-01-01T00:00:00+00:00"]


def test_merge_keeps_a_measurement_the_new_run_skipped(results):
    old = json.loads(json.dumps(results))
    new = json.loads(json.dumps(results))
    new["notebooks"][0]["execution"] = None  # as with --skip execution
    new["notebooks"][0]["redraws"][0]["median_ms"] = 12345.0
    merged = merge_results(old, new)
    [record] = merged["notebooks"]
    assert record["execution"] == old["notebooks"][0]["execution"]
    assert record["kept_from_earlier_run"] == ["execution"]
    assert record["redraws"][0]["median_ms"] == 12345.0
    assert merged["course"]["notebooks_measured"] == 1
