"""Drive JupyterLab in a real Chromium: every notebook runs, its widgets render, and a control redraws its plot.

Headless execution (tests/test_notebooks.py) proves the code runs; this proves what a learner sees.  The test
starts `jupyter lab` on 127.0.0.1 (random port, random token passed in a header, never printed) over a temporary
copy of the course, opens each notebook in Debian's Chromium through Playwright, runs all cells from the menu,
and checks the rendered page.  A screenshot per notebook lands in artifacts/screenshots/ (git-ignored).

Needs: `apt-get install chromium` (or `bash .ci/browser-deps.sh`) and `pip install playwright`; the browser
that `playwright install` would download is not used.  Run: `python -m pytest -m browser -q`.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import CHINESE_NOTEBOOKS, ENGLISH_NOTEBOOKS, notebook_id, notebook_ref

ROOT = Path(__file__).resolve().parents[1]
# Every English notebook, and the first Chinese twin (its screenshot shows the Chinese text rendered, not boxes; the
# twins' code is identical to the English, so one twin shows the edition works in the browser).
NOTEBOOKS = ENGLISH_NOTEBOOKS + CHINESE_NOTEBOOKS[:1]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
# Without these, headless Chromium in a sandboxed CI container hangs on refused network connections.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("Install Debian's Chromium with `sudo apt-get install chromium` (or run `bash .ci/browser-deps.sh`) "
                "and the Python package with `pip install playwright`; set COURSE_CHROMIUM to use another "
                "Chromium binary.")

# JupyterLab user settings for the test server: render every cell (no virtual scrolling, so every output is in
# the page) and never ask the network for news or updates.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
}
EXECUTE_TIMEOUT_S = 360  # per notebook; a quiet 2-core CI machine needs well under a minute
STDERR_MIME = "application/vnd.jupyter.stderr"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it at random)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A `jupyter lab` process serving `root_dir` on loopback, with its own settings, token and log file."""

    def __init__(self, root_dir, work_dir):
        self.root_dir = Path(root_dir)
        self.work_dir = Path(work_dir)
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{self.port}/"
        self.log_path = self.work_dir / "jupyter-lab.log"
        self.proc = None

    def start(self, timeout=90):
        settings = self.work_dir / "lab-settings"
        for rel, value in LAB_SETTINGS.items():
            (settings / rel).parent.mkdir(parents=True, exist_ok=True)
            (settings / rel).write_text(json.dumps(value))
        env = dict(os.environ, JUPYTER_TOKEN=self.token, JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.work_dir / "workspaces"),
                   JUPYTER_CONFIG_DIR=str(self.work_dir / "config"),
                   JUPYTER_RUNTIME_DIR=str(self.work_dir / "runtime"),
                   MPLBACKEND="module://matplotlib_inline.backend_inline", PYTHONWARNINGS="")
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
               "--ServerApp.port_retries=0", f"--ServerApp.root_dir={self.root_dir}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.news_url=None", "--ServerApp.log_level=WARN"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
            cmd.append("--allow-root")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.root_dir, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {self.proc.returncode}:\n{self.log_text()}")
            try:
                self.api("GET", "api/status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log_text()}")

    def api(self, method, path):
        """Call the server's REST API with the token in a header; returns the decoded JSON (or None)."""
        req = urllib.request.Request(self.base + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def kernel_ready(self, notebook_name):
        """True when the notebook's kernel is idle and a client (the page) is connected to it."""
        for session in self.api("GET", "api/sessions") or []:
            kernel = session.get("kernel") or {}
            if session.get("path", "").endswith(notebook_name) and kernel.get("execution_state") == "idle" \
                    and kernel.get("connections", 0) > 0:
                return True
        return False

    def shutdown_kernels(self):
        """Stop every running kernel, so one notebook's kernel does not slow the next one down."""
        for kernel in self.api("GET", "api/kernels") or []:
            self.api("DELETE", f"api/kernels/{kernel['id']}")

    def log_text(self, tail=4000):
        """The end of the server log, with the token blanked out."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-tail:].replace(self.token, "<token>")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        # The log may contain the token (the server prints its URLs); do not leave it on disk.
        self.log_path.write_text(self.log_path.read_text(errors="replace").replace(self.token, "<token>"))


def copy_course(dest):
    """Copy what a learner needs (notebooks and the utils package) so running and saving leaves the repo alone."""
    shutil.copytree(ROOT / "notebooks", dest / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "utils", dest / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def launch_chromium(playwright):
    """Start Debian's Chromium through Playwright; fail (never skip) with install instructions if it cannot start."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}. {INSTALL_HINT}", pytrace=False)
    try:
        return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                          timeout=60_000)
    except Exception as exc:
        pytest.fail(f"Chromium at {CHROMIUM} did not start ({type(exc).__name__}: {exc}). {INSTALL_HINT}",
                    pytrace=False)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    server = LabServer(copy_course(work / "course"), work)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"The Python package `playwright` is missing. {INSTALL_HINT}", pytrace=False)
    with sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


# --- what the page shows ------------------------------------------------------------------------------------------

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

# True once nothing is queued or running ("[*]") and either every code cell has run or an error stopped the run.
JS_RUN_FINISHED = """() => {
  const panel = document.querySelector('%(panel)s');
  if (!panel) return false;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent);
  if (prompts.length === 0 || prompts.some(t => t.includes('*'))) return false;
  const allRan = prompts.every(t => /\\[\\d+\\]/.test(t));
  const failed = panel.querySelector('.jp-OutputArea-output[data-mime-type="%(stderr)s"]') !== null;
  return allRan || failed;
}""" % {"panel": PANEL, "stderr": STDERR_MIME}

# No widget output still says "Loading widget..." (it either rendered or shows an error: JupyterLab 3 writes "Error
# displaying widget", JupyterLab 4 "Failed to load model class ..." or "Click to show javascript error." when the
# front end does not match the kernel).
JS_WIDGETS_SETTLED = """() => [...document.querySelectorAll('%(panel)s .jp-OutputArea-output')]
  .every(o => !o.textContent.includes('Loading widget'))""" % {"panel": PANEL}


def cell_summary(page):
    """For each cell on the page: input prompt, mime types of its outputs, error/stderr text (first 300 chars)."""
    return page.evaluate("""() => [...document.querySelectorAll('%(panel)s .jp-Notebook .jp-Cell')].map(c => ({
        prompt: (c.querySelector('.jp-InputArea-prompt') || {textContent: ''}).textContent,
        mimes: [...c.querySelectorAll('.jp-OutputArea-output')].map(o => o.dataset.mimeType || ''),
        stderr: [...c.querySelectorAll('.jp-OutputArea-output[data-mime-type="%(stderr)s"]')]
                  .map(o => o.textContent.slice(0, 300)),
        widgetErrors: c.textContent.includes('Error displaying widget') ||
                      c.textContent.includes('Failed to load model class') ||
                      c.textContent.includes('to show javascript error'),
        widgetErrorText: ((c.textContent.match(/Failed to load model class.{0,200}/) || [''])[0]).slice(0, 300),
        widgetsRendered: c.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets').length,
    }))""" % {"panel": PANEL, "stderr": STDERR_MIME})


def run_all_cells(page):
    """Run > Run All Cells, from the menu bar, as a learner would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def image_src(cell):
    """The src of the (last) image output in a cell: a data: URL holding the PNG bytes."""
    imgs = cell.locator(".jp-OutputArea-output img")
    return imgs.last.get_attribute("src") if imgs.count() else None


def change_one_control(cell):
    """Change a dropdown (preferred) or a slider in `cell`; returns a description of what was changed."""
    selects = cell.locator(".widget-dropdown select")
    if selects.count():
        select = selects.first
        options = select.locator("option").all_text_contents()
        current = select.evaluate("s => s.selectedIndex")
        if len(options) > 1:
            target = (current + 1) % len(options)
            select.select_option(index=target)
            return f"dropdown {options[current]!r} -> {options[target]!r}"
    sliders = cell.locator(".widget-slider")
    if not sliders.count():
        raise AssertionError("the interactive cell shows no dropdown with two options and no slider")
    slider = sliders.first
    readout = slider.locator(".widget-readout")
    before = readout.inner_text()
    track = slider.locator(".noUi-target, .slider").first
    box = track.bounding_box()
    # Click the track far from where the handle is (a click on a slider track moves the handle there, and
    # fires the "change" event that continuous_update=False sliders wait for).
    for fraction in (0.85, 0.15):
        track.click(position={"x": box["width"] * fraction, "y": box["height"] / 2})
        if readout.inner_text() != before:
            return f"slider {before} -> {readout.inner_text()}"
    raise AssertionError(f"clicking the slider track did not change its value (stuck at {before})")


def widget_mismatch_cause():
    """Why widgets fail to render, in words: usually a front end that does not speak the kernel's protocol."""
    from importlib import metadata

    def version(dist):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    kernel, front = version("ipywidgets"), version("jupyterlab_widgets")
    return (f"the kernel has ipywidgets {kernel} and JupyterLab's widget extension is jupyterlab_widgets {front}; "
            f"ipywidgets 7 needs jupyterlab_widgets < 3 and ipywidgets 8 needs 3.x (ipywidgets 7.7.0/7.7.1 let pip "
            f"install a mismatched 3.x: use 7.7.2 or 8)")


def answer_one_prediction(cell):
    """Pick the first option of a prediction (or type a number) and press Reveal; returns the verdict shown."""
    radios = cell.locator(".widget-radio-box input")
    if radios.count():
        radios.first.check()
    else:
        cell.locator(".widget-text input").first.fill("1")
        cell.locator(".widget-text input").first.press("Enter")
    cell.locator("button", has_text=re.compile("Reveal|揭晓")).click()  # a Chinese twin's box says 揭晓 (utils/zh.py)
    verdict = wait_for(lambda: re.search(r"(Right|Not quite|对了|不太对)[^\n]*", cell.inner_text()), timeout_s=30)
    return verdict.group(0) if verdict else None


def wait_for(predicate, timeout_s, interval_s=0.25):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    return predicate()


def check_notebook_in_lab(page, lab, nb_path, screenshot_path):
    """Open, run and inspect one notebook; returns the list of problems found (empty when all is well)."""
    nb = nbformat.read(nb_path, as_version=4)
    interactive = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "interactive_view(" in c.source]
    predictions = [i for i, c in enumerate(nb.cells)
                   if c.cell_type == "code" and re.search(r"(^|[^\w.])ask\(", c.source, re.M)]
    n_code = sum(c.cell_type == "code" for c in nb.cells)

    page.goto(f"{lab.base}lab/tree/notebooks/{notebook_ref(nb_path)}?reset", wait_until="domcontentloaded")
    page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(len(nb.cells) - 1).wait_for(timeout=120_000)
    cells = page.locator(f"{PANEL} .jp-Notebook .jp-Cell")
    assert cells.count() == len(nb.cells), f"JupyterLab shows {cells.count()} cells, the file has {len(nb.cells)}"
    # The kernel must be up and connected before "Run All", or the cells are sent to a kernel still starting.
    if not wait_for(lambda: lab.kernel_ready(notebook_ref(nb_path)), timeout_s=120):
        raise AssertionError(f"the kernel did not become idle within 120 s: {lab.api('GET', 'api/sessions')}")
    page.locator(f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=120_000)

    start = time.monotonic()
    first_prompt = page.locator(f"{PANEL} .jp-CodeCell .jp-InputArea-prompt").first
    for attempt in range(2):
        run_all_cells(page)
        # A heavily loaded machine can drop a run sent while the kernel connection settles; send it once more.
        if wait_for(lambda: re.search(r"\[(\*|\d+)\]", first_prompt.inner_text()), timeout_s=60):
            break
        print(f"\n{nb_path.name}: Run All Cells did not start within 60 s (attempt {attempt + 1})")
    page.wait_for_function(JS_RUN_FINISHED, timeout=EXECUTE_TIMEOUT_S * 1000, polling=250)
    run_s = time.monotonic() - start
    page.wait_for_function(JS_WIDGETS_SETTLED, timeout=60_000, polling=250)

    problems = []
    summary = cell_summary(page)
    ran = sum(bool(re.search(r"\[\d+\]", c["prompt"])) for c in summary)
    if ran != n_code:
        problems.append(f"only {ran} of {n_code} code cells ran")
    for i, c in enumerate(summary):
        problems += [f"cell {i}: error/stderr output: {text}" for text in c["stderr"]]
        if c["widgetErrors"]:
            problems.append(f"cell {i}: widgets do not render ({c['widgetErrorText'] or 'Error displaying widget'})"
                            f": {widget_mismatch_cause()}")
        if i in interactive and c["widgetsRendered"] == 0:
            problems.append(f"cell {i}: calls interactive_view but shows no rendered widget (outputs: {c['mimes']})")
        if i in interactive and not any(m.startswith("image/") for m in c["mimes"]):
            problems.append(f"cell {i}: calls interactive_view but shows no image")
    if not interactive:
        problems.append("the notebook has no interactive_view cell, so no control can be moved")

    if not problems:
        cell = cells.nth(interactive[0])
        cell.scroll_into_view_if_needed()
        before = image_src(cell)
        what = change_one_control(cell)
        after = wait_for(lambda: (image_src(cell) or before) != before and image_src(cell), timeout_s=60)
        if not after:
            problems.append(f"cell {interactive[0]}: after {what} the image under it did not change")
        status = cell.locator(".widget-html pre")
        if status.count():
            problems.append(f"cell {interactive[0]}: redraw after {what} failed: {status.first.inner_text()}")
        print(f"\n{nb_path.name}: ran in the browser in {run_s:.1f} s; {what}: "
              f"{'image redrawn' if after else 'image unchanged'}")
        if predictions:
            cell = cells.nth(predictions[0])
            cell.scroll_into_view_if_needed()
            reveal = "揭晓" if nb_path.parent.name == "zh" else "Reveal"
            if reveal not in cell.inner_text():
                problems.append(f"cell {predictions[0]}: the prediction shows no {reveal} button")
            else:
                verdict = answer_one_prediction(cell)
                if not verdict:
                    problems.append(f"cell {predictions[0]}: pressing Reveal showed no verdict")
                print(f"{nb_path.name}: prediction answered: {verdict}")
        cell.scroll_into_view_if_needed()
    screenshot_path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot_path))
    return problems


@pytest.mark.browser
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[notebook_id(p) for p in NOTEBOOKS])
def test_notebook_runs_and_redraws_in_jupyterlab(path, lab, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                  extra_http_headers={"Authorization": f"token {lab.token}"})
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{notebook_id(path)}-failed.png").unlink(missing_ok=True)  # left over from an earlier run
    try:
        problems = check_notebook_in_lab(page, lab, path, SCREENSHOTS / f"{notebook_id(path)}.png")
    except Exception as exc:
        page.screenshot(path=str(SCREENSHOTS / f"{notebook_id(path)}-failed.png"))
        raise AssertionError(f"{path.name}: {type(exc).__name__}: {str(exc).replace(lab.token, '<token>')}\n"
                             f"server log:\n{lab.log_text()}") from None
    finally:
        context.close()
        lab.shutdown_kernels()
    assert not problems, f"{path.name} in JupyterLab:\n" + "\n".join(problems)


def test_the_browser_test_covers_every_notebook():
    """The parametrisation above must not be empty (pytest would report an empty one as a skip)."""
    assert NOTEBOOKS, "no notebooks/[0-9][0-9]_*.ipynb found"
