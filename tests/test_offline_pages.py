"""The lecture path offline: the static site and the slides load nothing from the network, render their formulas,
give every figure alt text, show Predict boxes as question + folded answer, and fit a 1280x720 projector view.

The tests without the `browser` mark read the exported HTML; the `browser` ones open it in Debian's Chromium
(see tests/test_browser.py for the set-up) with every request that is not a local file refused, and look at what
a learner in an offline room would see.
"""

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import ENGLISH_NOTEBOOKS, notebook_id
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import assets, site, slides
from utils.course import BOOTSTRAP_CELL

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
NBCONVERT_DEFAULT_ALT = "No description has been provided for this image"
# The only off-machine addresses a page may name: the title cell's badges, which link to Colab and Binder anyway.
BADGES = ("https://colab.research.google.com/assets/colab-badge.svg", "https://mybinder.org/badge_logo.svg")

FIGURE_CELL = ("from utils.plotstyle import new_figure, use_course_style\nuse_course_style()\n"
               "fig, ax = new_figure()\nax.plot([0, 1], [0, 1])\nax.set_title('Spread stays constant')\n"
               "ax.set_xlabel('layer')\nax.set_ylabel('std')\nfig")
PREDICT_CELL = ("from utils.predictions import Prediction, ask\n"
                "ask(Prediction('Which grows faster?', options=['x', 'x squared'], answer='x squared', why='Powers.'))")


def tiny_course(tmp_path):
    """A course folder with one small notebook and its Chinese twin: formulas, a figure and a Predict box."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "utils", course / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    (course / "notebooks" / "zh").mkdir(parents=True)
    for folder, title, prose in (("", "# 09 · Tiny lesson", "The variance is $\\mathrm{Var}[w] = 2/n$, and\n\n"
                                  "$$\\sum_{i=1}^{n} w_i x_i$$"),
                                 ("zh", "# 09 · 小课", "方差为 $\\mathrm{Var}[w] = 2/n$，并且\n\n"
                                  "$$\\sum_{i=1}^{n} w_i x_i$$")):
        nb = new_notebook(metadata={"kernelspec": KERNELSPEC}, cells=[
            new_markdown_cell(f"{title}\n\n[![Open In Colab]({BADGES[0]})](https://colab.research.google.com/)"),
            new_code_cell(BOOTSTRAP_CELL),
            new_markdown_cell(f"## 1. A formula\n{prose}"),
            new_code_cell(FIGURE_CELL),
            new_markdown_cell("## 2. Predict"),
            new_code_cell(PREDICT_CELL),
        ])
        nbformat.write(nb, course / "notebooks" / folder / "09_tiny.ipynb")
    return course


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The tiny course built once as a site and as slides (both languages): {"site": folder, "slides": folder}."""
    tmp_path = tmp_path_factory.mktemp("offline")
    course = tiny_course(tmp_path)
    notebooks = site.course_notebooks(course)
    site.build_site(notebooks, tmp_path / "site", log=lambda msg: None)
    slides.build_slides(notebooks, tmp_path / "slides", log=lambda msg: None)
    return {"site": tmp_path / "site", "slides": tmp_path / "slides"}


def pages(built):
    return [built["site"] / "09_tiny.html", built["site"] / "zh" / "09_tiny.html",
            built["slides"] / "09_tiny.slides.html", built["slides"] / "zh" / "09_tiny.slides.html"]


# --- the exported HTML ---------------------------------------------------------------------------------------------

def test_the_vendored_libraries_are_there_and_documented():
    readme = (assets.VENDOR / "README.md").read_text(encoding="utf-8")
    for rel in ("reveal.js/dist/reveal.js", "reveal.js/dist/reveal.css", "reveal.js/dist/theme/white.css",
                "reveal.js/plugin/notes/notes.js", "mathjax/tex-chtml-full.js", "requirejs/require.js",
                "jquery/jquery.min.js"):
        assert (assets.VENDOR / rel).is_file(), rel
        assert Path(rel).name in readme, f"tools/vendor/README.md does not name {rel}"
    assert len(list((assets.VENDOR / "mathjax/output/chtml/fonts/woff-v2").glob("*.woff"))) >= 20
    for licence in ("reveal.js/LICENSE", "mathjax/LICENSE", "jquery/LICENSE.txt"):
        assert (assets.VENDOR / licence).is_file(), licence
    assert "@license RequireJS" in (assets.VENDOR / "requirejs/require.js").read_text(encoding="utf-8")[:300]
    size = sum(f.stat().st_size for f in assets.VENDOR.rglob("*") if f.is_file())
    assert size < 4_000_000, f"tools/vendor holds {size / 1e6:.1f} MB: keep only the files the pages load"


def test_pages_and_decks_load_every_script_and_style_from_the_copied_libraries(built):
    for page in pages(built):
        text = page.read_text(encoding="utf-8")
        refs = re.findall(r"<(?:script|link)\b[^>]*?(?:src|href)=[\"']([^\"']+)[\"']", text)
        refs += re.findall(r"\"([^\"]+\.js)\"", text.split("Reveal.initialize")[0][-600:])  # require([...]) list
        assert any("mathjax/tex-chtml-full.js" in r for r in refs), f"{page.name}: MathJax is not loaded"
        for ref in refs:
            assert not re.match(r"(https?:)?//", ref), f"{page}: loads {ref} from the network"
            assert (page.parent / ref).resolve().is_file(), f"{page}: {ref} is not next to the page"
        loaded = set(re.findall(r"\bsrc=[\"']((?:https?:)?//[^\"']+)", text))  # images, scripts, frames
        assert loaded <= set(BADGES), f"{page}: loads {sorted(loaded - set(BADGES))} from the network"
        assert "@import url(http" not in text and "url(https://" not in text, f"{page}: a style from the network"


def test_every_figure_has_alt_text_naming_its_title(built):
    for page in pages(built):
        text = page.read_text(encoding="utf-8")
        assert NBCONVERT_DEFAULT_ALT not in text, f"{page.name}: an image without alt text"
        data_images = re.findall(r"<img\b[^>]*src=\"data:image/png[^>]*>", text)
        assert data_images, f"{page.name}: the figure is missing"
        for img in data_images:
            alt = re.search(r"alt=\"([^\"]*)\"", img)
            assert alt and NBCONVERT_DEFAULT_ALT not in alt.group(1), f"{page.name}: a figure without alt text"
            assert "Spread stays constant" in alt.group(1) and "x: layer" in alt.group(1), alt.group(1)


def test_slides_show_the_prediction_with_its_answer_folded(built):
    for deck in pages(built)[2:]:
        text = deck.read_text(encoding="utf-8")
        assert "Which grows faster?" in text and "x squared" in text
        assert re.search(r"<details><summary>[^<]*</summary><p>x squared", text), "the answer should be folded"
        assert "widget-view+json" not in text and "unpkg.com" not in text, "no widget placeholder in the slides"


def test_the_teachers_guide_gives_the_offline_recipe_in_both_languages():
    for guide in ("teaching.md", "teaching.zh.md"):
        text = (ROOT / "docs" / guide).read_text(encoding="utf-8")
        assert "python -m tools.slides --build" in text, f"docs/{guide} should give the offline slides recipe"
        assert "reveal_url_prefix" not in text, f"docs/{guide} still gives the CDN recipe that shows a blank page"


def test_slides_cli_builds_an_offline_deck_and_rejects_bad_input(tmp_path, capsys):
    course = tiny_course(tmp_path)
    out = tmp_path / "deck"
    assert slides.main(["--build", "--no-execute", "--out", str(out), str(course / "notebooks" / "09_tiny.ipynb")]) == 0
    assert (out / "09_tiny.slides.html").is_file() and (out / "_static" / "reveal.js" / "dist" / "reveal.js").is_file()
    assert slides.main(["--build", str(tmp_path / "missing.ipynb")]) == 1
    assert "expected an existing .ipynb file" in capsys.readouterr().err


# --- in a browser with the network cut ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def offline_context():
    """A Chromium context that refuses every request except local files; yields (context, refused URLs)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        from test_browser import INSTALL_HINT
        pytest.fail(f"The Python package `playwright` is missing. {INSTALL_HINT}", pytrace=False)
    from test_browser import launch_chromium

    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        refused = []

        def route(r):
            if r.request.url.startswith(("file:", "data:", "blob:")):
                r.continue_()
            else:
                refused.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        yield context, refused
        browser.close()


def open_offline(offline_context, path):
    context, refused = offline_context
    refused.clear()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, refused, errors


JS_MATH = """() => ({
  rendered: document.querySelectorAll('mjx-container').length,
  fontsOk: [...document.fonts].filter(f => f.family.startsWith('MJXTEX') || f.family.startsWith('MJXZERO'))
             .every(f => f.status !== 'error'),
  rawTex: (document.body.innerText.match(/\\$[^$\\n]*\\\\[a-zA-Z]+[^$\\n]*\\$/g) || []).slice(0, 3),
})"""


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("kind", ["site", "slides"])
def test_formulas_render_with_the_network_cut(built, offline_context, kind, language):
    page_path = [p for p in pages(built) if (p.parent.name == "zh") == (language == "zh")][0 if kind == "site"
                                                                                            else 1]
    page, refused, errors = open_offline(offline_context, page_path)
    try:
        if kind == "slides":
            page.wait_for_function("() => window.Reveal && window.Reveal.isReady()", timeout=30_000)
            page.evaluate("() => Reveal.slide(1, 0)")  # the slide with the formulas
        page.wait_for_function("() => document.querySelectorAll('mjx-container').length >= 2", timeout=30_000)
        math = page.evaluate(JS_MATH)
        assert math["rendered"] >= 2 and not math["rawTex"] and math["fontsOk"], math
        shown = page.evaluate("() => (window.Reveal ? Reveal.getCurrentSlide() : document.body).innerText")
        assert ("方差" if language == "zh" else "The variance") in shown
        assert set(refused) <= set(BADGES), f"requests that needed the network: {refused}"
        assert not errors, errors
    finally:
        page.close()


JS_STEP_THROUGH = """() => {
  Reveal.configure({transition: 'none', backgroundTransition: 'none'});
  const view = {w: window.innerWidth, h: window.innerHeight};
  return Reveal.getSlides().map((s, k) => {
    const at = Reveal.getIndices(s);
    Reveal.slide(at.h, at.v, 1e6);  // every fragment shown: the slide at its tallest
    const cur = Reveal.getCurrentSlide(), box = cur.getBoundingClientRect(), style = getComputedStyle(cur);
    const scrolls = ['auto', 'scroll'].includes(style.overflowY);
    let scrolled = 0;
    if (cur.scrollHeight > cur.clientHeight + 2 && scrolls) {
      cur.scrollTop = 1e6; scrolled = cur.scrollTop; cur.scrollTop = 0;
    }
    return {k, h: at.h, v: at.v, title: (cur.querySelector('h1,h2,h3,p') || {innerText: ''}).innerText.slice(0, 50),
            top: box.top, bottom: box.bottom, left: box.left, right: box.right, content: cur.scrollHeight,
            shown: cur.clientHeight, scrolls, scrolled, text: cur.innerText.trim().length, view};
  });
}"""


def slide_problems(rows):
    """Slides whose box leaves the 1280x720 view, or whose content overflows without being scrollable."""
    problems = []
    for r in rows:
        where = f"slide {r['h']}.{r['v']} ({r['title']!r})"
        if r["top"] < -1 or r["bottom"] > r["view"]["h"] + 1 or r["left"] < -1 or r["right"] > r["view"]["w"] + 1:
            problems.append(f"{where}: box {r['top']:.0f}..{r['bottom']:.0f} px leaves the view")
        if r["content"] > r["shown"] + 2 and not (r["scrolls"] and r["scrolled"] > 0):
            problems.append(f"{where}: {r['content']} px of content in {r['shown']} px, and it does not scroll")
        if r["text"] == 0 and r["k"] > 0:
            problems.append(f"{where}: shows nothing")
    return problems


@pytest.mark.browser
@pytest.mark.parametrize("path", ENGLISH_NOTEBOOKS, ids=[notebook_id(p) for p in ENGLISH_NOTEBOOKS])
def test_every_slide_of_the_executed_deck_fits_the_projector_or_scrolls(path, offline_context, tmp_path):
    (deck,) = slides.build_slides([path], tmp_path, log=lambda msg: None)
    page, refused, errors = open_offline(offline_context, deck)
    try:
        page.wait_for_function("() => window.Reveal && window.Reveal.isReady()", timeout=60_000)
        page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0 || "
                               "!document.body.innerText.includes('$')", timeout=60_000)
        rows = page.evaluate(JS_STEP_THROUGH)
        n_slides = sum(t in ("slide", "subslide") for t in slides.slide_types(nbformat.read(path, as_version=4)))
        assert len(rows) == n_slides, f"the deck has {len(rows)} slides, the notebook's metadata {n_slides}"
        problems = slide_problems(rows)
        assert not problems, f"{path.name}:\n" + "\n".join(problems)
        assert set(refused) <= set(BADGES), f"requests that needed the network: {refused}"
        tallest = max(rows, key=lambda r: r["content"])
        if tallest["content"] > tallest["shown"] + 2:  # a presenter scrolls it with the mouse wheel or trackpad
            page.evaluate(f"() => Reveal.slide({tallest['h']}, {tallest['v']}, 1e6)")
            page.mouse.move(640, 400)
            page.mouse.wheel(0, 600)
            page.wait_for_timeout(500)
            assert page.evaluate("() => Reveal.getCurrentSlide().scrollTop") > 0, "the wheel does not scroll the slide"
        print(f"\n{path.name}: {len(rows)} slides, {sum(r['content'] > r['shown'] + 2 for r in rows)} scroll; "
              f"tallest {max(r['content'] for r in rows)} px")
    finally:
        page.close()
