"""Build the course as a static, executed HTML site (for reading without a kernel, and for handouts).

    python -m tools.site                      # every notebooks/NN_*.ipynb -> _build/site/ (git-ignored)
    python -m tools.site --out /tmp/site notebooks/01_activation_functions.ipynb

Each notebook is executed top to bottom in a fresh kernel (a cell error stops the build), so every figure shows
its default setting.  Interactive controls cannot work without a kernel: their output is replaced by a short
note saying so.  The Colab set-up cell, which does nothing outside Colab, is left out.  Links between notebooks
(`02_zero_centering.ipynb`) are pointed at the matching pages.
`index.html` lists the notebooks in order.  MathJax and require.js are copied to _static/ from tools/vendor/, so
the pages render their formulas with no network; every figure has alt text (tools.assets).
The Chinese twins (notebooks/zh/) become pages under zh/, and a page and its twin link to each other; zh/index.html
(lang="zh") lists them.  A notebook's link to a Markdown file of the repository (README.zh.md, docs/teaching.zh.md)
points at that file rendered as a page of the site, so such links work offline too.
"""

import argparse
import copy
import html
import os
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
# A relative link to a Markdown file of the repository, e.g. "](../../docs/teaching.zh.md#slides)".
DOC_LINK = re.compile(r"\]\((?!https?:)((?:\.\./|\./)*[A-Za-z0-9_.\-/]+\.md)(#[^)]*)?\)")


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


def _course_root(path):
    """The repository folder of a course notebook (notebooks/NN_x.ipynb or notebooks/zh/NN_x.ipynb)."""
    path = Path(path).resolve()
    return path.parents[2] if is_twin(path) else path.parents[1]


def doc_links(text, source, docs):
    """`text` with its relative links to repository Markdown files pointed at their pages (`name.html` beside
    the file's place in the site); adds each linked file, relative to the course root, to the set `docs`.

    source: the file the text comes from (a notebook, or a Markdown file of the repository)."""
    source = Path(source).resolve()
    root = _course_root(source) if source.suffix == ".ipynb" else _find_root(source)
    page_dir = _site_path(source, root).parent

    def point(match):
        target = (source.parent / match.group(1)).resolve()
        if not target.is_file() or root not in target.parents:
            return match.group(0)
        docs.add(target.relative_to(root).as_posix())
        href = Path(os.path.relpath(_site_path(target, root), page_dir)).as_posix()
        return f"]({href}{match.group(2) or ''})"

    return DOC_LINK.sub(point, text)


def _find_root(path):
    """The course root above a repository file (the folder that holds notebooks/)."""
    for folder in Path(path).resolve().parents:
        if (folder / "notebooks").is_dir():
            return folder
    return Path(path).resolve().parent


def _site_path(path, root):
    """Where a repository file lives in the site, relative to the site's root (notebooks/zh/x.ipynb -> zh/x.html)."""
    rel = Path(path).resolve().relative_to(root)
    if rel.suffix == ".ipynb":
        return Path("zh" if is_twin(path) else "") / f"{rel.stem}.html"
    return rel.with_suffix(".html")


def render_doc(rel, root, out_dir, docs):
    """Render the repository Markdown file `rel` (relative to `root`) as a page of the site; its links to
    notebooks point at their pages and its links to other Markdown files at theirs (added to `docs`)."""
    import mistune

    source = Path(root) / rel
    text = source.read_text(encoding="utf-8")
    page = Path(out_dir) / _site_path(source, Path(root).resolve())

    def notebook(match):
        target = (source.parent / match.group(1)).resolve()
        if not target.is_file():
            return match.group(0)
        href = os.path.relpath(_site_path(target, Path(root).resolve()), page.parent.relative_to(out_dir))
        return f"]({Path(href).as_posix()}{match.group(2) or ''})"

    text = re.sub(r"\]\((?!https?:)([A-Za-z0-9_.\-/]+\.ipynb)(#[^)]*)?\)", notebook, text)
    text = doc_links(text, source, docs)
    lang = "zh" if rel.endswith(".zh.md") else "en"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(f"<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
                    f"<title>{html.escape(Path(rel).name)}</title>\n</head>\n<body>\n{mistune.html(text)}</body>\n"
                    f"</html>\n", encoding="utf-8")
    return page


def prepare_for_reading(nb, page_suffix=".html", source=None, docs=None):
    """A copy of an executed notebook made for a static page: no set-up cell, widget notes, links to pages.

    page_suffix: what a link to another notebook points at (".slides.html" for the slides).
    source, docs: the notebook's path and a set: links to repository Markdown files then point at their pages,
    and the files are added to `docs` (for `build_site` to render).
    """
    from utils.course import BOOTSTRAP_CELL

    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and c.source.strip() == BOOTSTRAP_CELL.strip())]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = NOTEBOOK_LINK.sub(lambda m: f"]({m.group(1) if m.group(1) == '../' else ''}"
                                                      f"{m.group(2)}{page_suffix}{m.group(3) or ''})", cell.source)
            if source is not None:
                cell.source = doc_links(cell.source, source, set() if docs is None else docs)
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


INDEX_TEXT = {
    "en": ("How deep networks are actually trained",
           "The executed notebooks of the course, for reading without a kernel. Figures show each control's default "
           "setting; to move the controls, open a notebook in Jupyter, Colab or Binder.",
           "<p><a href='zh/index.html' lang='zh'>中文版</a> (the course in Chinese)</p>"),
    "zh": ("深度网络究竟是怎样训练出来的",
           "课程各讲已执行的 notebook，不需要内核即可阅读。图中显示的是每个控件的默认设置；要拖动控件，请在 Jupyter、"
           "Colab 或 Binder 中打开 notebook。",
           "<p><a href='../index.html' lang='en'>English</a></p>"),
}


def index_page(entries, lang="en", switch=False):
    """The index page: entries is a list of (file name, title, description); lang "en" or "zh" (zh/index.html);
    switch: link the index in the other language."""
    title, intro, other = INDEX_TEXT[lang]
    other = other if switch else ""
    items = "\n".join(
        f"  <li><a href='{html.escape(href)}'>{html.escape(title)}</a>"
        + (f"<br><span class='desc'>{html.escape(desc)}</span>" if desc else "") + "</li>"
        for href, title, desc in entries)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
  body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 46em; margin: 2em auto;
         padding: 0 1em; line-height: 1.5; color: #222; }}
  li {{ margin: 0.8em 0; }} a {{ color: #0072B2; font-size: 1.15em; }} .desc {{ color: #555; }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(intro)}</p>
{other}
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
    from utils.zh import translate

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    from tools.assets import copy_assets

    copy_assets(out_dir)  # the pages load MathJax from here: no network needed to read them
    written, entries, docs, roots = [], {"en": [], "zh": []}, set(), set()
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
        body = to_html(prepare_for_reading(nb, source=path, docs=docs), page, out_dir, "zh" if is_twin(path) else "en")
        roots.add(_course_root(path))
        switch = language_switch(path)
        if switch:
            body = re.sub(r"(<body[^>]*>)", lambda m, link=switch: m.group(1) + link, body, count=1)
        if is_twin(path):
            body = re.sub(r'<html lang="en"', '<html lang="zh"', body, count=1)
        page.write_text(body, encoding="utf-8")
        written.append(page)
        description = DESCRIPTIONS.get(path.name, "")
        lang = "zh" if is_twin(path) else "en"
        entries[lang].append((f"{path.stem}.html", notebook_title(nb, path.stem), translate(description, lang)))
        log(f"{page}  ({time.perf_counter() - start:.1f} s)")
    root, done = next(iter(roots)), set()
    while docs - done:  # linked Markdown files, and the ones they link to
        rel = sorted(docs - done)[0]
        done.add(rel)
        written.append(render_doc(rel, root, out_dir, docs))
    for lang, folder in (("en", out_dir), ("zh", out_dir / "zh")):
        if lang == "en" or entries["zh"]:
            index = folder / "index.html"
            index.write_text(index_page(entries[lang], lang, switch=bool(entries["zh"] and entries["en"])),
                             encoding="utf-8")
            written.append(index)
            log(f"{index}  ({len(entries[lang])} notebook(s))")
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
