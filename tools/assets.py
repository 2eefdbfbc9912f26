"""The course's own copies of the web libraries its exported pages need, so the site and the slides work offline.

tools/vendor/ holds reveal.js, MathJax (one component and its fonts), require.js and jQuery, taken from the npm
registry (versions and licences in tools/vendor/README.md).  tools/templates/ holds two nbconvert templates that
load them from a folder next to the pages instead of a CDN, and give every figure alt text:

    course-lab      the static site's pages (tools.site)
    course-reveal   the slides (tools.slides --build): 1280x720, and a slide taller than the view scrolls

    copy_assets(out_dir)            copy tools/vendor to out_dir/_static (what the pages load)
    exporter("html" | "slides", assets_url, language)   an nbconvert exporter set up with those templates
"""

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor"
TEMPLATES = HERE / "templates"
ASSETS_DIR = "_static"
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720  # a projector's 720p view


def copy_assets(out_dir):
    """Copy the vendored libraries to `out_dir`/_static (replacing an older copy); returns that folder."""
    target = Path(out_dir) / ASSETS_DIR
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(VENDOR, target, ignore=shutil.ignore_patterns("README.md"))
    return target


def assets_url(page, out_dir):
    """The relative URL from `page` (a file under `out_dir`) to the copied libraries, e.g. '_static' or '../_static'."""
    depth = len(Path(page).resolve().relative_to(Path(out_dir).resolve()).parent.parts)
    return "/".join([".."] * depth + [ASSETS_DIR])


def exporter(kind, language="en"):
    """An nbconvert exporter for a page ("html") or a deck ("slides") that loads nothing from the network.

    Pass resources={"course_assets": assets_url(page, out_dir)} to its from_notebook_node.
    """
    from nbconvert import HTMLExporter, SlidesExporter

    common = {"extra_template_basedirs": [str(TEMPLATES)],
              "extra_template_paths": [str(TEMPLATES / "course-lab")],  # course_macros.html.j2
              "language_code": language}
    if kind == "html":
        return HTMLExporter(template_name="course-lab", **common)
    if kind == "slides":
        return SlidesExporter(template_name="course-reveal", reveal_width=str(SLIDE_WIDTH),
                              reveal_height=str(SLIDE_HEIGHT),
                              reveal_theme="white", **common)  # white.css: the one theme vendored
    raise ValueError(f"kind must be 'html' or 'slides', got {kind!r}")


def export(nb, kind, page, out_dir, language="en"):
    """The HTML of `nb` as a page or deck to be written at `page` under `out_dir` (next to out_dir/_static)."""
    url = assets_url(page, out_dir) if page is not None and out_dir is not None else ASSETS_DIR
    ex = exporter(kind, language)
    if kind == "slides":
        ex.reveal_url_prefix = f"{url}/reveal.js"
    body, _ = ex.from_notebook_node(nb, resources={"course_assets": url})
    return body
