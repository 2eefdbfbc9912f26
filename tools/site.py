"""Build the course as a static, executed HTML site (for reading without a kernel, and for handouts).

    python -m tools.site                      # every notebooks/NN_*.ipynb -> _build/site/ (git-ignored)
    python -m tools.site --out /tmp/site notebooks/01_activation_functions.ipynb

Each notebook is executed top to bottom in a fresh kernel (a cell error stops the build), so every figure shows
its default setting.  Interactive controls cannot work without a kernel: their output is replaced by a short
note saying so.  The Colab set-up cell, which does nothing outside Colab, is left out.  Links between notebooks
(`02_zero_centering.ipynb`) are pointed at the matching pages.
`index.html` lists the notebooks in order.  MathJax and require.js are copied to _static/ from tools/vendor/, so
the pages render their formulas with no network; every figure has alt text (tools.assets).
The Chinese twins (notebooks/zh/) become pages under zh/, and a page and its twin link to each other.
"""

import argparse
import copy
import html
import re
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "_build" / "site"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("<p style='border-left:4px solid #0072B2;padding:0.3em 0.8em;color:#333;background:#f4f8fb'>"
               "Interactive controls appear here when the notebook runs in Jupyter, Colab or Binder; "
               "the figure below shows the default setting.</p>")
# A relative link to another notebook of the course, e.g. "](02_zero_centering.ipynb)", "](./02_x.ipynb#sec)" or,
# from a Chinese twin, "](../02_x.ipynb)".
NOTEBOOK_LINK = re.compile(r"\]\((\./|\.\./)?(\d\d_[A-Za-z0-9_\-]+)\.ipynb(#[^)]*)?\)")
SWITCH_STYLE = "text-align:right;padding:0.4em 1em;font-family:system-ui,sans-serif"


def course_notebooks(root=ROOT):
    """The course notebooks in order: notebooks/NN_*.ipynb under `root`, then their Chinese twins (notebooks/zh/)."""
    notebooks = Path(root) / "notebooks"
    return sorted(notebooks.glob("[0-9][0-9]_*.ipynb")) + sorted((notebooks / "zh").glob("[0-9][0-9]_*.ipynb"))


def is_twin(path):
    """True for a Chinese twin (a notebook in notebooks/zh/)."""
    return Path(path).parent.name == "zh"


def language_switch(path):
    """The link from a page to its twin in the other language ('' when there is none)."""
    path = Path(path)
    if is_twin(path):
        return f"<div style='{SWITCH_STYLE}'><a href='../{path.stem}.html'>English</a> · 中文</div>"
    if (path.parent / "zh" / path.name).is_file():
        return f"<div style='{SWITCH_STYLE}'>English · <a href='zh/{path.stem}.html'>中文</a></div>"
    return ""


def notebook_title(nb, fallback):
    """The text of the first "# " heading of a notebook (without the "#"), or `fallback`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def execute(nb, workdir, timeout=600):
    """Run every cell of `nb` in place in a fresh python3 kernel started in `workdir`; raises on a cell error."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    return nb


def prepare_for_reading(nb, page_suffix=".html"):
    """A copy of an executed notebook made for a static page: no set-up cell, widget notes, links to pages.

    page_suffix: what a link to another notebook points at (".slides.html" for the slides).
    """
    from utils.course import BOOTSTRAP_CELL

    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and c.source.strip() == BOOTSTRAP_CELL.strip())]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = NOTEBOOK_LINK.sub(lambda m: f"]({m.group(1) if m.group(1) == '../' else ''}"
                                                      f"{m.group(2)}{page_suffix}{m.group(3) or ''})", cell.source)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_MIME in data:  # a widget's own static fallback (e.g. a prediction) is kept; else the note
                out["data"] = {"text/html": data.get("text/html", WIDGET_NOTE)}
    nb.metadata.pop("widgets", None)
    return nb


def to_html(nb, page=None, out_dir=None, language="en"):
    """The notebook as an HTML page (JupyterLab look, images embedded, figures with alt text) to be written at
    `page` under `out_dir`; its scripts (MathJax, require.js) come from out_dir/_static (tools.assets), not a CDN.
    Without `page`, the page is taken to sit next to _static/."""
    from tools import assets

    return assets.export(nb, "html", page, out_dir, language)


def index_page(entries):
    """The index page: entries is a list of (file name, title, description)."""
    items = "\n".join(
        f"  <li><a href='{html.escape(href)}'>{html.escape(title)}</a>"
        + (f"<br><span class='desc'>{html.escape(desc)}</span>" if desc else "") + "</li>"
        for href, title, desc in entries)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>How deep networks are actually trained</title>
<style>
  body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 46em; margin: 2em auto;
         padding: 0 1em; line-height: 1.5; color: #222; }}
  li {{ margin: 0.8em 0; }} a {{ color: #0072B2; font-size: 1.15em; }} .desc {{ color: #555; }}
</style>
</head>
<body>
<h1>How deep networks are actually trained</h1>
<p>The executed notebooks of the course, for reading without a kernel. Figures show each control's default
setting; to move the controls, open a notebook in Jupyter, Colab or Binder.</p>
<ol start="0">
{items}
</ol>
</body>
</html>
"""


def build_site(notebooks=None, out_dir=DEFAULT_OUT, run=True, timeout=600, log=print):
    """Execute and export `notebooks` (default: all course notebooks) into `out_dir`; returns the pages written.

    run=False exports the notebooks as stored (used for notebooks that were executed elsewhere).
    """
    notebooks = course_notebooks() if notebooks is None else [Path(p) for p in notebooks]
    if not notebooks:
        raise ValueError("no notebooks to build: expected notebooks/NN_*.ipynb or explicit .ipynb paths")
    for path in notebooks:
        if path.suffix != ".ipynb" or not path.is_file():
            raise ValueError(f"expected an existing .ipynb file, got {str(path)!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    from utils.course import NOTEBOOKS as DESCRIPTIONS

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    from tools.assets import copy_assets

    copy_assets(out_dir)  # the pages load MathJax from here: no network needed to read them
    written, entries = [], []
    for path in notebooks:
        start = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        if run:
            try:
                execute(nb, path.resolve().parent, timeout=timeout)
            except Exception as exc:
                raise RuntimeError(f"{path.name} failed while executing; the site was not built:\n{exc}") from None
        page = out_dir / ("zh" if is_twin(path) else "") / f"{path.stem}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        body = to_html(prepare_for_reading(nb), page, out_dir, "zh" if is_twin(path) else "en")
        switch = language_switch(path)
        if switch:
            body = re.sub(r"(<body[^>]*>)", lambda m, link=switch: m.group(1) + link, body, count=1)
        page.write_text(body, encoding="utf-8")
        written.append(page)
        entries.append((page.relative_to(out_dir).as_posix(), notebook_title(nb, path.stem),
                        "中文版" if is_twin(path) else DESCRIPTIONS.get(path.name, "")))
        log(f"{page}  ({time.perf_counter() - start:.1f} s)")
    index = out_dir / "index.html"
    index.write_text(index_page(entries), encoding="utf-8")
    written.append(index)
    log(f"{index}  ({len(entries)} notebook(s))")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.site", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to build (default: notebooks/NN_*.ipynb)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default: _build/site)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per cell (default: 600)")
    parser.add_argument("--no-execute", dest="run", action="store_false",
                        help="export the notebooks as stored, without running them")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        build_site(args.notebooks or None, args.out, run=args.run, timeout=args.timeout)
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
