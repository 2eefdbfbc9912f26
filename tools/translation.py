"""Keep the Chinese edition (notebooks/zh/) in step with the English notebooks, cell by cell.

A Chinese twin has the same file name under notebooks/zh/ and the same cells in the same order:

- every code cell is identical to the English one, character for character (the edition runs the same lesson);
- every markdown cell is a translation of the English cell at the same position, and records in its metadata which
  English cell it translates and a hash of that cell's source at translation time:
  ``{"translation": {"source_index": 7, "source_sha": "3f2a…"}}``.

When an English markdown cell changes, its hash no longer matches and the twin's cell is *stale*.

    python -m tools.translation status            # what needs (re-)translation; exit 1 if anything does
    python -m tools.translation mark 03 --cells 7 12   # after updating those translations: record the new hashes
    python -m tools.translation mark 03 --all     # the whole twin is up to date
    python -m tools.translation sync-code 03      # copy the English code cells into the twin (code never differs)
    python -m tools.translation new 07            # start a twin: a copy whose markdown is all marked untranslated

`problems(en, zh)` is what the tests call; it names the notebook and the cell of every problem.
"""

import argparse
import copy
import hashlib
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
EN_DIR = ROOT / "notebooks"
ZH_DIR = EN_DIR / "zh"
KEY = "translation"


def source_sha(source):
    """The hash that identifies one version of an English cell's source (16 hex digits of SHA-256)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def english_notebooks(root=ROOT):
    return sorted((Path(root) / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def twin_path(en_path):
    en_path = Path(en_path)
    return en_path.parent / "zh" / en_path.name


def problems(en, zh, name="notebook"):
    """Every way the twin `zh` is out of step with `en` (two notebook nodes), as lines naming notebook and cell.

    Stale or untranslated markdown cells are problems too: a twin with none is fully current.
    """
    found = []
    if len(en.cells) != len(zh.cells):
        found.append(f"{name}: the English notebook has {len(en.cells)} cells, the Chinese twin {len(zh.cells)}: "
                     f"the cells must correspond one to one")
    for i, (e, z) in enumerate(zip(en.cells, zh.cells)):
        where = f"{name}, cell {i}"
        if e.cell_type != z.cell_type:
            found.append(f"{where}: English is {e.cell_type}, Chinese is {z.cell_type}")
            continue
        if e.cell_type == "code":
            if e.source != z.source:
                found.append(f"{where}: the code differs from the English (run `python -m tools.translation "
                             f"sync-code {name[:2]}`)")
            continue
        record = z.metadata.get(KEY)
        if not record or record.get("source_sha") is None:
            found.append(f"{where}: not translated yet")
        elif record.get("source_index") != i:
            found.append(f"{where}: translates English cell {record.get('source_index')}, not cell {i}")
        elif record["source_sha"] != source_sha(e.source):
            found.append(f"{where}: stale: the English cell changed since it was translated "
                         f"(update it, then `python -m tools.translation mark {name[:2]} --cells {i}`)")
    return found


def _resolve(notebook):
    """An English notebook from '03', '03_initialization', a file name or a path."""
    text = str(notebook)
    for path in english_notebooks():
        if text in (path.name, path.stem, path.stem[:2], str(path)):
            return path
    raise SystemExit(f"no English notebook matches {notebook!r}; expected one of "
                     f"{[p.stem for p in english_notebooks()]}")


def status(paths=None, out=print):
    """Print what needs translation for each English notebook; returns the number of problems."""
    total = 0
    for en_path in paths or english_notebooks():
        zh_path = twin_path(en_path)
        if not zh_path.exists():
            out(f"{en_path.name}: no Chinese twin yet (python -m tools.translation new {en_path.stem[:2]})")
            total += 1
            continue
        found = problems(nbformat.read(en_path, as_version=4), nbformat.read(zh_path, as_version=4), en_path.stem)
        for line in found:
            out(line)
        if not found:
            out(f"{en_path.name}: up to date")
        total += len(found)
    return total


def mark(en_path, cells=None):
    """Record the current English hashes on the twin's markdown cells (all of them, or the listed indices)."""
    en = nbformat.read(en_path, as_version=4)
    zh_path = twin_path(en_path)
    zh = nbformat.read(zh_path, as_version=4)
    if len(en.cells) != len(zh.cells):
        raise SystemExit(f"{zh_path.name}: {len(zh.cells)} cells against the English {len(en.cells)}; "
                         f"make them correspond first")
    indices = range(len(en.cells)) if cells is None else cells
    for i in indices:
        if en.cells[i].cell_type == "markdown":
            zh.cells[i].metadata[KEY] = {"source_index": i, "source_sha": source_sha(en.cells[i].source)}
    nbformat.write(zh, zh_path)


def sync_code(en_path):
    """Copy every English code cell into the twin (cells must already correspond)."""
    en = nbformat.read(en_path, as_version=4)
    zh_path = twin_path(en_path)
    zh = nbformat.read(zh_path, as_version=4)
    for e, z in zip(en.cells, zh.cells):
        if e.cell_type == "code" and z.cell_type == "code":
            z.source = e.source
    nbformat.write(zh, zh_path)


def new(en_path):
    """Start a twin: a copy of the English notebook whose markdown cells are recorded as untranslated."""
    zh_path = twin_path(en_path)
    if zh_path.exists():
        raise SystemExit(f"{zh_path} exists already")
    nb = copy.deepcopy(nbformat.read(en_path, as_version=4))
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.metadata[KEY] = {"source_index": i, "source_sha": None}
    zh_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, zh_path)
    return zh_path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.translation", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="list what needs (re-)translation; exit 1 if anything does")
    m = sub.add_parser("mark", help="record the current English hashes after updating translations")
    m.add_argument("notebook")
    group = m.add_mutually_exclusive_group(required=True)
    group.add_argument("--cells", type=int, nargs="+")
    group.add_argument("--all", action="store_true")
    for name, text in (("sync-code", "copy the English code cells into the twin"), ("new", "start a twin")):
        sub.add_parser(name, help=text).add_argument("notebook")
    args = parser.parse_args(argv)
    if args.command == "status":
        return 1 if status() else 0
    path = _resolve(args.notebook)
    if args.command == "mark":
        mark(path, None if args.all else args.cells)
    elif args.command == "sync-code":
        sync_code(path)
    else:
        print(f"wrote {new(path).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
