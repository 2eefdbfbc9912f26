"""Render results.json as Markdown: RESULTS.md, and the run-time column of the README's notebook table."""

import math
import re

README_START = "<!-- notebook-table:start -->"
README_END = "<!-- notebook-table:end -->"


def _fmt_s(value):
    if value is None:
        return "–"
    return "< 1 s" if value < 1 else f"{value:.1f} s"


def _fmt_ms(value):
    return "–" if value is None else f"{value:.0f} ms"


def _fmt_mib(value):
    return "–" if value is None else f"{value:.0f} MiB"


def _verdict(ok):
    return {True: "met", False: "**missed**", None: "not measured"}[ok]


def _stem(name):
    return name[:-len(".ipynb")] if name.endswith(".ipynb") else name


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _machine_lines(results):
    m = results["machine"]
    commit = m.get("git_commit") or "unknown"
    if m.get("git_dirty"):
        commit += " (with uncommitted changes)"
    load = m.get("load_average")
    lines = [
        f"- **Date:** {m['date']}" + (f" (merged with runs of {', '.join(results['merged_from'])})"
                                       if results.get("merged_from") else ""),
        f"- **Machine:** {m['cpu_model']}, {m['logical_cores']} logical cores "
        f"({m.get('physical_cores')} physical), {m.get('memory_gib')} GiB RAM, {m.get('platform')}",
        f"- **Device:** {m['device']}; torch {m['torch']}, Python {m['python']}, NumPy {m.get('numpy')}, "
        f"matplotlib {m.get('matplotlib')}",
        f"- **Commit:** {commit}" + (f"; load average (1, 5, 15 min) at start {load}" if load else "")
        + (f", at end {m['load_average_end']}" if m.get("load_average_end") else ""),
        f"- **Method:** `{results.get('command')}`: each notebook executed {results['runs']} time(s) top to bottom "
        "in a fresh kernel (median shown; kernel start timed separately); peak RSS of the kernel and its "
        "children polled every 20 ms (largest over the runs); every interactive view swept over its "
        "`VIEW_SWEEPS` settings through `InteractiveView.redraw`, each redraw timed from new setting to "
        "finished PNG (`utils.interactive.figure_png`, what the view sends); imports timed in fresh interpreters. "
        "Targets are judged on wall-clock times; CPU times are shown beside them.",
    ]
    taken = m.get("cpu_taken_by_others")
    if taken:
        lines.append(f"- **Rest of the machine during the run:** other programs used {100 * taken['others']:.1f} % "
                     f"of its {m['logical_cores']} cores and the hypervisor took {100 * taken['steal']:.1f} % "
                     "(steal), measured from the machine's CPU counters minus the benchmark's own (with its "
                     "kernels).")
    for warning in busy_warnings(m):
        lines.append(f"- **Warning: {warning}**: wall-clock times are inflated; rerun on an idle machine before "
                     "quoting them. CPU times are less affected.")
    return lines


# Above these, a run's wall-clock times are not an idle machine's.
BUSY_LOAD_AT_START = 0.5   # 1-minute load average per core before the benchmark started
BUSY_OTHERS = 0.10         # share of all cores used by other programs during the run
BUSY_STEAL = 0.05          # share of all cores taken by the hypervisor during the run


def busy_warnings(machine):
    """Why a run's machine was not idle (empty when it was).  Judged on the load before the run started and on the CPU
    others took during it; the load average at the end is not used, since the benchmark's own work is ~1 core of it.
    A results file without the CPU counters (older runs) is judged on both load averages, as it used to be."""
    cores = machine.get("logical_cores") or 1
    out = []
    start = (machine.get("load_average") or [None])[0]
    if start is not None and start > BUSY_LOAD_AT_START * cores:
        out.append(f"the machine was busy when the run started (1-minute load average {start} on {cores} cores)")
    taken = machine.get("cpu_taken_by_others")
    if taken is None:
        end = (machine.get("load_average_end") or [None])[0]
        if end is not None and end > BUSY_LOAD_AT_START * cores:
            out.append(f"the machine was busy (1-minute load average {end} on {cores} cores at the end)")
        return out
    if taken["others"] > BUSY_OTHERS:
        out.append(f"other programs used {100 * taken['others']:.0f} % of the CPU during the run")
    if taken["steal"] > BUSY_STEAL:
        out.append(f"the hypervisor took {100 * taken['steal']:.0f} % of the CPU during the run (steal)")
    return out


def _misses(results):
    t = results["targets"]
    out = []
    course = results["course"]
    if course["met"] is False:
        out.append(f"Whole course: {course['total_with_kernel_start_s']:.0f} s > {t['course_s']:.0f} s.")
    for r in results["notebooks"]:
        name = _stem(r["notebook"])
        ex = r.get("execution")
        if ex and ex.get("error"):
            out.append(f"{name}: execution failed ({ex['error']}).")
        elif r["targets"]["time"] is False:
            out.append(f"{name}: runs in {_fmt_s(ex['median_s'])} > {t['notebook_s']:.0f} s.")
        if ex and ex.get("problems") and not ex.get("error"):
            out.append(f"{name}: the run wrote to stderr or showed an error (the notebook test fails on it): "
                       f"{ex['problems'][0][:200]}")
        if r["targets"]["rss"] is False:
            out.append(f"{name}: peak RSS {_fmt_mib(ex['peak_rss_mib'])} > {t['rss_mib']:.0f} MiB.")
        for v in r.get("uncovered_views") or []:
            out.append(f"{name}: interactive view `{v}` has no VIEW_SWEEPS entry, so it is not timed.")
        for ref, err in (r.get("module_errors") or {}).items():
            out.append(f"{name}: `{ref}` does not import ({err}).")
        for d in r.get("redraws") or []:
            view = f"{d['module'].rsplit('.', 1)[-1]}.{d['function']}"
            if d.get("warnings"):
                out.append(f"{name}: `{view}` emitted warnings during its sweep "
                           f"(the notebook test fails on stderr): {'; '.join(d['warnings'])[:300]}")
            if d["met"]:
                continue
            if d.get("error"):
                out.append(f"{name}: `{view}` failed: {d['error']}")
            else:
                out.append(f"{name}: `{view}` redraw median {_fmt_ms(d['median_ms'])}, "
                           f"p95 {_fmt_ms(d['p95_ms'])} (target {_fmt_ms(d['target_ms'])}, "
                           f"p95 ≤ {t['redraw_p95_ratio']:g} × median).")
    return out


def render_results_md(results, notes=None):
    """The Markdown report of a results dict (the content of RESULTS.md).

    notes: the maintainers' hand-written Markdown (benchmarks/NOTES.md: what was done about the misses, what is
    left), appended under its own heading; None or blank leaves it out.
    """
    if not isinstance(results, dict) or "notebooks" not in results or "machine" not in results:
        raise TypeError("results must be the dict written to results.json (with 'machine' and 'notebooks')")
    t = results["targets"]
    course = results["course"]
    nbs = results["notebooks"]
    lines = ["# Course benchmark", "",
             "Generated by `python -m benchmarks` from `results.json`; do not edit by hand.", ""]
    lines += _machine_lines(results) + [""]

    lines += ["## Targets", ""]
    execs = [(r, r["execution"]) for r in nbs if r.get("execution") and r["execution"]["median_s"] is not None]
    slowest = max(execs, key=lambda p: p[1]["median_s"], default=None)
    biggest = max(execs, key=lambda p: p[1]["peak_rss_mib"], default=None)
    redraws = [(r, d) for r in nbs for d in (r.get("redraws") or []) if d.get("median_ms") is not None]
    partial = "" if course["notebooks_measured"] == course["notebooks_total"] else \
        f" ({course['notebooks_measured']} of {course['notebooks_total']} notebooks measured)"
    rows = [["Whole course, execution + kernel starts", f"≤ {t['course_s']:.0f} s",
             _fmt_s(course["total_with_kernel_start_s"]) + partial,
             "not judged" if course["met"] is None else _verdict(course["met"])]]
    if slowest:
        rows.append(["Every notebook (slowest shown)", f"≤ {t['notebook_s']:.0f} s",
                     f"{_fmt_s(slowest[1]['median_s'])} ({_stem(slowest[0]['notebook'])})",
                     _verdict(all(r["targets"]["time"] is not False for r in nbs))])
        rows.append(["Kernel peak RSS (largest shown)", f"≤ {t['rss_mib']:.0f} MiB",
                     f"{_fmt_mib(biggest[1]['peak_rss_mib'])} ({_stem(biggest[0]['notebook'])})",
                     _verdict(all(r["targets"]["rss"] is not False for r in nbs))])
    for kind, budget in (("single", t["redraw_single_ms"]), ("multi", t["redraw_multi_ms"])):
        of_kind = [(r, d) for r, d in redraws if d["kind"] == kind]
        if of_kind:
            r, d = max(of_kind, key=lambda p: p[1]["median_ms"])
            rows.append([f"Redraw, {kind}-panel views (slowest median shown)",
                         f"median ≤ {budget:.0f} ms, p95 ≤ {t['redraw_p95_ratio']:g} × median",
                         f"{_fmt_ms(d['median_ms'])}, p95 {_fmt_ms(d['p95_ms'])} (`{d['function']}`)",
                         _verdict(all(x["met"] for _, x in of_kind))])
    lines += _table(["Target", "Budget", "Measured", ""], rows) + [""]

    lines += ["## Notebooks", ""]
    rows = []
    for r in nbs:
        ex = r.get("execution") or {}
        imports = r.get("imports") or {}
        imp = ", ".join(f"{_fmt_s(v.get('cold_s'))} / {_fmt_s(v.get('own_s'))}" for v in imports.values()) or "–"
        ds = [d for d in (r.get("redraws") or []) if d.get("median_ms") is not None]
        worst = max(ds, key=lambda d: d["median_ms"], default=None)
        missed = [k for k, v in r["targets"].items() if k != "met" and v is False]
        rows.append([
            _stem(r["notebook"]),
            _fmt_s(ex.get("median_s")) + (" (failed)" if ex.get("error") else ""),
            _fmt_s(ex.get("cpu_s")),
            _fmt_s(ex.get("kernel_start_s")),
            _fmt_mib(ex.get("peak_rss_mib")),
            imp,
            str(len(r.get("redraws") or [])) if r.get("redraws") is not None else "–",
            f"{_fmt_ms(worst['median_ms'])} / {_fmt_ms(worst['p95_ms'])}" if worst else "–",
            "met" if not missed else "**missed: " + ", ".join(missed) + "**",
        ])
    lines += _table(["Notebook", f"Run time (median of {results['runs']})", "Kernel CPU", "Kernel start",
                     "Peak RSS",
                     "Topic import, cold / own", "Views", "Slowest redraw, median / p95", "Targets"], rows)
    lines += ["", "Kernel CPU: CPU seconds the kernel spent on the cells (median). "
              "Topic import: *cold* is `import utils.<topic>` in a bare interpreter (what the set-up cell "
              "pays); *own* is the same with `utils` and its shared modules already imported."]
    utils_import = (results.get("imports") or {}).get("utils")
    if utils_import and utils_import.get("cold_s") is not None:
        lines += ["", f"`import utils` alone (a fresh interpreter, torch included): {_fmt_s(utils_import['cold_s'])}."]
    lines += [""]

    lines += ["## Redraws", ""]
    rows = []
    for r, d in [(rec, d) for rec in nbs for d in (rec.get("redraws") or [])]:
        rows.append([_stem(r["notebook"]), f"`{d['module'].rsplit('.', 1)[-1]}.{d['function']}`",
                     d.get("panels") or "–", d.get("n_settings", "–"),
                     {True: "yes", False: "no", None: "–"}[d.get("in_place")],
                     _fmt_ms(d.get("build_ms")), _fmt_ms(d.get("median_ms")), _fmt_ms(d.get("p95_ms")),
                     _fmt_ms(d.get("max_ms")), _fmt_ms(d.get("cpu_median_ms")), _fmt_ms(d.get("target_ms")),
                     "**error**" if d.get("error") else _verdict(d["met"])])
    if rows:
        lines += _table(["Notebook", "View", "Panels", "Settings", "In place", "Build", "Median", "p95",
                         "Max", "CPU median", "Target", ""], rows)
        lines += ["", "Build: the first call (the figure the notebook shows). Median, p95, max: the redraws, "
                  "new setting to finished PNG. CPU median: CPU time of the same redraws. In place: the view "
                  "takes `fig=` and updates its figure. Target: 150 ms for one panel, 300 ms for several."]
    else:
        lines += ["No interactive views measured."]
    lines += [""]

    lines += ["## Misses", ""]
    misses = _misses(results)
    lines += [f"- {m}" for m in misses] if misses else ["None: every measured target is met."]
    if notes and notes.strip():
        lines += ["", "## What was done about the misses (benchmarks/NOTES.md)", "", notes.strip()]
    return "\n".join(lines) + "\n"


def run_time_text(record):
    """A notebook's typical run time for the README: its median execution, rounded up to whole seconds."""
    seconds = (record.get("execution") or {}).get("median_s")
    if seconds is None:
        return None
    return "< 1 s" if seconds < 1 else f"{math.ceil(seconds)} s"


def fill_readme_table(readme, results):
    """The README's notebook table (between its notebook-table markers) with the last column, the typical
    run time, filled in from `results`; rows of notebooks not in the results keep their text.

    Returns the block from the start marker to the end marker inclusive.  Raises ValueError if the README
    has no such block.
    """
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no table between {README_START} and {README_END}")
    times = {r["notebook"]: run_time_text(r) for r in results["notebooks"]}
    lines = readme[start:end + len(README_END)].splitlines()
    for i, line in enumerate(lines):
        found = re.search(r"\(notebooks/([^)\s]+\.ipynb)\)", line)
        if not (line.startswith("|") and found and times.get(found.group(1))):
            continue
        cells = line.rstrip().rstrip("|").split("|")
        cells[-1] = f" {times[found.group(1)]} "
        lines[i] = "|".join(cells) + "|"
    return "\n".join(lines)


def render_readme_table(results, titles=None):
    """A notebook table with a "Typical run time" column, from a results dict alone (see also
    `fill_readme_table`, which fills the README's own table).

    titles: {notebook file name: one-line description} (default: utils.course.NOTEBOOKS).
    Run time is the median execution time, kernel start excluded, rounded up to whole seconds.
    """
    if not isinstance(results, dict) or "notebooks" not in results:
        raise TypeError("results must be the dict written to results.json (with 'notebooks')")
    if titles is None:
        from utils.course import NOTEBOOKS as titles
    rows = []
    for r in results["notebooks"]:
        shown = run_time_text(r) or "–"
        name = r["notebook"]
        rows.append([f"[{_stem(name)}](notebooks/{name})", titles.get(name, ""), shown])
    m = results["machine"]
    lines = _table(["Notebook", "What it answers", "Typical run time"], rows)
    lines += ["", f"Run times: median of {results['runs']} executions on {m['cpu_model']} "
              f"({m['logical_cores']} cores, {m['device']}), {m['date'][:10]}; see benchmarks/RESULTS.md."]
    return "\n".join(lines) + "\n"
