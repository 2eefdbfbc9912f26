"""Execute a notebook in a fresh kernel: time the cells, time the kernel start, watch the kernel's peak memory."""

import base64
import re
import struct
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient


class PeakRSS:
    """Poll the resident set size of a process and all its children in a background thread; keep the peak.

    Use as a context manager; `.peak_bytes` holds the largest total seen (bytes), and `.cpu_s` the CPU
    seconds (user + system) the process and its children spent inside the block: unlike wall time,
    that hardly changes when other programs load the machine.
    """

    def __init__(self, pid, interval=0.02):
        if not isinstance(pid, int) or pid <= 0:
            raise ValueError(f"pid must be a positive integer, got {pid!r}")
        if not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak_bytes = 0
        self.samples = 0
        self.cpu_s = None
        self._cpu_start = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def sample(self):
        """Add up the RSS of the process and its children now; update the peak.  Returns the total (bytes)."""
        total = 0
        try:
            procs = [self.process] + self.process.children(recursive=True)
        except psutil.Error:  # the kernel has exited
            return 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.Error:  # a child exited between listing and reading
                pass
        self.peak_bytes = max(self.peak_bytes, total)
        self.samples += 1
        return total

    def cpu_time(self):
        """CPU seconds used so far by the process and its living children (None if it has exited)."""
        try:
            procs = [self.process] + self.process.children(recursive=True)
        except psutil.Error:
            return None
        total = 0.0
        for proc in procs:
            try:
                t = proc.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def _poll(self):
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self):
        self._cpu_start = self.cpu_time()
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()
        end = self.cpu_time()
        if end is not None and self._cpu_start is not None:
            self.cpu_s = end - self._cpu_start
        return False


# A figure wider than this is shrunk by JupyterLab to fit the notebook column at 100 % zoom, and its text with it.
MAX_FIGURE_PX = 1000
# A cell whose last line is a call that returns an object prints its repr: "<utils.x.Y at 0x7f…>", "False".
STRAY_RESULT = re.compile(r"^(<[\w.]+ (object )?at 0x[0-9a-f]+>|True|False|None)$")


def png_size(b64):
    """(width, height) in pixels of a base64-encoded PNG (read from its header)."""
    head = base64.b64decode(b64[:64])
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", head[16:24])


def problems(nb):
    """What is wrong with an executed notebook, as text lines: every error output and every stderr stream (warnings
    included), every figure wider than the notebook column (MAX_FIGURE_PX), and every stray printed object."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                found.append(f"cell {i}: stderr: {out.text[:300]}")
            data = out.get("data", {})
            if "image/png" in data:
                width, height = png_size(data["image/png"])
                if width > MAX_FIGURE_PX:
                    found.append(f"cell {i}: a figure {width} px wide (at most {MAX_FIGURE_PX}: the notebook column)")
            if out.output_type == "execute_result" and STRAY_RESULT.match(data.get("text/plain", "").strip()) \
                    and len(data) == 1:
                found.append(f"cell {i}: prints a stray object {data['text/plain'][:80]!r} (end the line with ';'"
                             f" or drop the value)")
    return found


def _kernel_pid(km):
    """Process id of the kernel a jupyter_client KernelManager started (provisioner API of jupyter_client >= 7)."""
    pid = getattr(getattr(km, "provisioner", None), "pid", None)
    if pid is None:  # older jupyter_client keeps the Popen itself
        pid = getattr(getattr(km, "kernel", None), "pid", None)
    if pid is None:
        raise RuntimeError("cannot find the kernel's process id to watch its memory")
    return pid


def _describe(exc):
    """One line for a failed cell: the notebook's own exception if nbclient reports one, else the exception."""
    if getattr(exc, "ename", None):
        return f"{exc.ename}: {exc.evalue}"
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[-1] if lines else ''}"


def execute_notebook(path, timeout=300, rss_interval=0.02):
    """Run a notebook top to bottom in a fresh python3 kernel, its own folder as working directory.

    This is the execution of tests/test_notebooks.py, plus a clock on the kernel start and an RSS watcher.
    Returns a dict:
      exec_s          seconds spent executing the cells (kernel start and shutdown excluded);
      kernel_start_s  seconds from asking for a kernel to the kernel answering;
      peak_rss_bytes  peak RSS of the kernel process and its children, from start to the last cell;
      cpu_s           CPU seconds the kernel (and its children) spent executing the cells;
      error           None, or "cell i: <exception>" if a cell failed (exec_s then covers the cells up to it);
      problems        error outputs and stderr streams found in the executed notebook (see `problems`).
    """
    path = Path(path)
    if not path.is_file() or path.suffix != ".ipynb":
        raise ValueError(f"path must be an existing .ipynb file, got {str(path)!r}")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    error = None
    t0 = time.perf_counter()
    with client.setup_kernel():
        kernel_start = time.perf_counter() - t0
        with PeakRSS(_kernel_pid(client.km), rss_interval) as rss:
            start = time.perf_counter()
            for index, cell in enumerate(nb.cells):
                try:
                    client.execute_cell(cell, index)
                except Exception as exc:  # any failure ends this run and is reported
                    error = f"cell {index}: {_describe(exc)}"
                    break
            elapsed = time.perf_counter() - start
    return {"exec_s": elapsed, "kernel_start_s": kernel_start, "peak_rss_bytes": rss.peak_bytes, "cpu_s": rss.cpu_s,
            "error": error, "problems": problems(nb)}
