"""Slide metadata for presenting the notebooks (jupyterlab-rise live, `jupyter nbconvert --to slides` static).

The slide structure follows from the notebook's own structure, so it never needs hand editing:

    title cell (first cell, "# ...")     -> slide      (the title slide)
    "## ..." heading cell                -> slide      (one idea per slide)
    "### ..." heading cell               -> subslide
    the Colab set-up cell                -> skip       (plumbing; it still runs, it is just not shown)
    "**Exercise ..." / "**练习 ..." cell  -> subslide   (one exercise per slide; 练习 in the Chinese twins)
    "<details>" cell (a hidden solution) -> fragment   (revealed on a key press)
    markdown right after a code cell:
        a "Notice ..." / "注意 ..." line, or the last
        words before the next heading    -> fragment   (the takeaway, revealed after the demo)
        prose leading into another demo  -> subslide   (a new step with its own demo)
    a code cell right after a takeaway   -> subslide   (the next demo gets its own slide)
    every other cell                     -> "-"        (shown on the current slide)

Usage (the lead runs it on every notebook; it is idempotent):

    python -m tools.slides --check notebooks/*.ipynb   # exit 1 and list notebooks whose metadata is stale
    python -m tools.slides --write notebooks/*.ipynb   # stamp the metadata, rewriting only files that change

Static slides for a projector, offline (what docs/teaching.md recommends):

    python -m tools.slides --build notebooks/03_initialization.ipynb   # -> _build/slides/03_initialization.slides.html

runs the notebook, shows each Predict box as its question with the answer folded (like the static site), and
writes a reveal.js deck sized for a 1280x720 view (a taller slide scrolls) that loads reveal.js, MathJax,
require.js and jQuery from _build/slides/_static/ (copied from tools/vendor/): it needs no network.
"""

import argparse
import copy
import sys
from pathlib import Path

import nbformat

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
# jupyterlab-rise: let a tall slide scroll instead of clipping its bottom (figures under controls are tall).
RISE_SETTINGS = {"scroll": True}


def _bootstrap_cell_text():
    try:
        from utils.course import BOOTSTRAP_CELL
    except ImportError:  # run from outside the repository: fall back on "the first code cell"
        return None
    return BOOTSTRAP_CELL


def slide_types(nb):
    """The slide type of every cell of `nb` (a notebook node or dict with "cells"), as a list of strings."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise TypeError(f"expected a notebook (a dict with a 'cells' list), got {type(nb).__name__}")
    cells = nb["cells"]
    bootstrap = _bootstrap_cell_text()
    first_code = next((i for i, c in enumerate(cells) if c.get("cell_type") == "code"), None)
    types = []
    for i, cell in enumerate(cells):
        kind = cell.get("cell_type")
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        text = source.lstrip()
        previous = cells[i - 1].get("cell_type") if i > 0 else None
        following = cells[i + 1].get("cell_type") if i + 1 < len(cells) else None
        if kind == "markdown" and (i == 0 or text.startswith("# ") or text.startswith("## ")):
            types.append("slide")
        elif kind == "markdown" and text.startswith("### "):
            types.append("subslide")
        elif kind == "code" and (i == first_code if bootstrap is None else source.strip() == bootstrap.strip()):
            types.append("skip")
        elif kind == "markdown" and text.startswith("<details"):
            types.append("fragment")
        elif kind == "markdown" and text.startswith(("**Exercise", "**练习")):  # 练习: the Chinese twins' exercises
            types.append("subslide")
        elif kind == "markdown" and previous == "code":
            takeaway = following != "code" or text.startswith(("Notice", "注意"))  # 注意: the twins' "Notice"
            types.append("fragment" if takeaway else "subslide")
        elif kind == "code" and previous == "markdown" and types[-1] == "fragment" and i >= 2 \
                and cells[i - 2].get("cell_type") == "code":
            types.append("subslide")  # a new demo right after the previous demo's takeaway
        else:
            types.append("-")
    return types


def stamp(nb):
    """Write the slide metadata into `nb` in place; returns the number of cells whose metadata changed.

    Other metadata is left alone; running it twice changes nothing the second time.
    """
    types = slide_types(nb)
    changed = 0
    for cell, slide_type in zip(nb["cells"], types):
        metadata = cell.setdefault("metadata", {})
        if metadata.get("slideshow") != {"slide_type": slide_type}:
            metadata["slideshow"] = {"slide_type": slide_type}
            changed += 1
    nb_metadata = nb.setdefault("metadata", {})
    if nb_metadata.get("rise") != RISE_SETTINGS:
        nb_metadata["rise"] = dict(RISE_SETTINGS)
        changed += 1
    return changed


def stamped_copy(nb):
    """A stamped deep copy of `nb` (the original is not modified)."""
    nb = copy.deepcopy(nb)
    stamp(nb)
    return nb


def build_slides(notebooks, out_dir=None, run=True, timeout=600, log=print):
    """Execute (unless run=False) and export each notebook as an offline reveal.js deck; returns the files written.

    A Chinese twin (notebooks/zh/) goes to out_dir/zh/.  The source notebooks are not modified.
    """
    from tools import assets, site

    out_dir = Path(out_dir) if out_dir is not None else site.ROOT / "_build" / "slides"
    paths = [Path(p) for p in notebooks]
    if not paths:
        raise ValueError("no notebooks to build: pass .ipynb paths")
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            raise ValueError(f"expected an existing .ipynb file, got {str(path)!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    assets.copy_assets(out_dir)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        stamp(nb)
        if run:
            try:
                site.execute(nb, path.resolve().parent, timeout=timeout)
            except Exception as exc:
                raise RuntimeError(f"{path.name} failed while executing; no slides were written:\n{exc}") from None
        deck = out_dir / ("zh" if site.is_twin(path) else "") / f"{path.stem}.slides.html"
        deck.parent.mkdir(parents=True, exist_ok=True)
        body = assets.export(site.prepare_for_reading(nb, page_suffix=".slides.html"), "slides", deck, out_dir,
                             "zh" if site.is_twin(path) else "en")
        deck.write_text(body, encoding="utf-8")
        written.append(deck)
        log(str(deck))
    return written


def _process(paths, write):
    stale = []
    for path in paths:
        path = Path(path)
        if path.suffix != ".ipynb" or not path.is_file():
            raise ValueError(f"expected an existing .ipynb file, got {str(path)!r}")
        nb = nbformat.read(path, as_version=4)
        changed = stamp(nb)
        if changed:
            stale.append((path, changed))
            if write:
                nbformat.write(nb, path)
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.slides", description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="report notebooks whose slide metadata is stale (exit 1)")
    mode.add_argument("--write", action="store_true", help="stamp the slide metadata into the notebooks")
    mode.add_argument("--build", action="store_true", help="run the notebooks and write offline reveal.js decks")
    parser.add_argument("notebooks", nargs="+", help="notebook files (.ipynb)")
    parser.add_argument("--out", default=None, help="with --build: output folder (default: _build/slides)")
    parser.add_argument("--no-execute", dest="run", action="store_false",
                        help="with --build: export the notebooks as stored, without running them")
    args = parser.parse_args(argv)
    if args.build:
        root = str(Path(__file__).resolve().parents[1])
        if root not in sys.path:
            sys.path.insert(0, root)
        try:
            build_slides(args.notebooks, args.out, run=args.run)
        except (ValueError, RuntimeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    try:
        stale = _process(args.notebooks, write=args.write)
    except ValueError as exc:
        parser.error(str(exc))
    for path, changed in stale:
        verb = "stamped" if args.write else "stale slide metadata"
        print(f"{path}: {verb} ({changed} cell(s))")
    if args.check and stale:
        print(f"{len(stale)} notebook(s) need `python -m tools.slides --write`", file=sys.stderr)
        return 1
    if not stale:
        print(f"slide metadata up to date in {len(args.notebooks)} notebook(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
