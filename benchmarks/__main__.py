"""Command line of the course benchmark: `python -m benchmarks --help`."""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `utils` must be importable however the command is started
    sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure every notebook of the course: execution time (fresh kernel, median of --runs), "
                    "kernel peak RSS, redraw latency of every interactive view (VIEW_SWEEPS), import times. "
                    "Writes results.json and RESULTS.md into --out.")
    p.add_argument("--notebooks", nargs="+", metavar="NB",
                   help="notebooks to measure: numbers (01 3), stems, names or .ipynb paths (default: all)")
    p.add_argument("--runs", type=int, default=3, help="executions per notebook, median reported (default 3)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks",
                   help="folder for results.json and RESULTS.md (default: benchmarks/)")
    p.add_argument("--skip", nargs="+", default=[], choices=["execution", "redraws", "imports"],
                   help="leave out some measurements (quick checks)")
    p.add_argument("--merge", action="store_true",
                   help="keep the other notebooks' results already in --out/results.json (for re-measuring a few)")
    p.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell (default 300)")
    p.add_argument("--readme-table", action="store_true",
                   help="print the README's notebook table with the typical run times of --out/results.json "
                        "filled in (to paste into README.md); run nothing")
    p.add_argument("--write-readme", action="store_true",
                   help="like --readme-table, but replace the table in README.md itself")
    p.add_argument("--readme", type=Path, default=ROOT / "README.md", help=argparse.SUPPRESS)
    p.add_argument("--markdown-only", action="store_true",
                   help="regenerate --out/RESULTS.md from --out/results.json; run nothing")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error(f"--runs must be at least 1, got {args.runs}")
    return args


def main(argv=None):
    args = parse_args(argv)
    from benchmarks.course import merge_results, run_benchmark
    from benchmarks.report import README_END, README_START, fill_readme_table, render_readme_table, render_results_md

    json_path, md_path = args.out / "results.json", args.out / "RESULTS.md"
    notes_path = args.out / "NOTES.md"  # hand-written, appended to RESULTS.md
    notes = notes_path.read_text() if notes_path.is_file() else None
    if args.readme_table or args.write_readme or args.markdown_only:
        if not json_path.is_file():
            sys.exit(f"{json_path} not found: run `python -m benchmarks` first")
        results = json.loads(json_path.read_text())
        readme = args.readme.read_text() if args.readme.is_file() else ""
        has_table = README_START in readme and README_END in readme
        if args.readme_table:
            print(fill_readme_table(readme, results) if has_table else render_readme_table(results), end="\n")
        if args.write_readme:
            if not has_table:
                sys.exit(f"{args.readme} has no table between {README_START} and {README_END}")
            block = fill_readme_table(readme, results)
            start, end = readme.index(README_START), readme.index(README_END) + len(README_END)
            args.readme.write_text(readme[:start] + block + readme[end:])
            print(f"updated the notebook table in {args.readme}")
        if args.markdown_only:
            md_path.write_text(render_results_md(results, notes))
            print(f"wrote {md_path}")
        return 0
    command = "python -m benchmarks" + (" " + " ".join(sys.argv[1:]) if argv is None and sys.argv[1:] else "")
    try:
        results = run_benchmark(args.notebooks, runs=args.runs, skip=args.skip, timeout=args.timeout,
                                command=command)
    except ValueError as exc:
        sys.exit(f"error: {exc}")
    if args.merge and json_path.is_file():
        results = merge_results(json.loads(json_path.read_text()), results)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=1) + "\n")
    md_path.write_text(render_results_md(results, notes))
    print(f"wrote {json_path} and {md_path}")
    course = results["course"]
    print(f"course: {course['notebooks_measured']} of {course['notebooks_total']} notebooks, "
          f"{course['total_with_kernel_start_s']:.0f} s with kernel starts; all targets met: "
          f"{course['all_targets_met']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
