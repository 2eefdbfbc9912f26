"""Choose where experiments run: CUDA, then Apple MPS, then the CPU (override with COURSE_DEVICE)."""

import contextlib
import os

import torch

ENV_VAR = "COURSE_DEVICE"
KNOWN = ("auto", "cpu", "cuda", "mps")


def _available(name):
    if name == "cpu":
        return True
    if name == "cuda":
        return torch.cuda.is_available()
    if name == "mps":
        backend = getattr(torch.backends, "mps", None)
        return bool(backend is not None and backend.is_available())
    return False


def pick_device(prefer=None, verbose=True):
    """Return the torch.device the course's experiments should use.

    prefer: None (read the COURSE_DEVICE environment variable, default "auto"),
        or one of "auto", "cpu", "cuda", "mps".
    "auto" picks CUDA if present, else Apple MPS, else the CPU.  A device that is
    asked for by name but not present raises ValueError rather than silently
    falling back, so a forced choice is never ignored.
    verbose: print one line saying what was picked and why.
    """
    source = "prefer"
    if prefer is None:
        prefer, source = os.environ.get(ENV_VAR, "auto"), f"${ENV_VAR}"
    if not isinstance(verbose, bool):
        raise TypeError(f"verbose must be True or False, got {verbose!r}")
    if not isinstance(prefer, str):
        raise TypeError(f"prefer must be a device name (one of {KNOWN}), got {prefer!r}")
    name = prefer.strip().lower()
    if name not in KNOWN:
        raise ValueError(f"unknown device {prefer!r} (from {source}); expected one of {KNOWN}")
    if name == "auto":
        name = next(n for n in ("cuda", "mps", "cpu") if _available(n))
        why = "auto: the fastest device present"
    else:
        if not _available(name):
            raise ValueError(f"device {name!r} was asked for (from {source}) but is not available here; "
                             f"use 'auto' or 'cpu'")
        why = f"forced by {source}"
    device = torch.device(name)
    if verbose:
        print(f"Using device: {describe_device(device)} ({why})")
    return device


def describe_device(device):
    """A short human-readable description, e.g. 'cuda (NVIDIA H100)' or 'cpu (2 threads)'."""
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a device name or a torch.device, got {device!r}")
    try:
        device = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"device {device!r} is not a device torch knows: {exc}") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (device.index or 0) >= count:
            raise ValueError(f"device {str(device)!r} is not present here ({count} CUDA device(s)); "
                             "pick_device() says which devices this machine has")
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type


def one_cpu_thread(device=None):
    """Run the enclosed PyTorch work on one CPU thread, and restore the thread count afterwards.

    The course's nets are tiny (a few layers of at most a few hundred units): for them, starting and synchronising
    CPU worker threads costs more than it saves, and on a busy 2-core machine spinning threads made training loops
    several times slower.  `device`: where the work runs; for a GPU device nothing changes.
    Use as `with one_cpu_thread(): ...` or as a decorator `@one_cpu_thread()`.  Only the device's type is read (the
    device need not be present: the callers check that).
    """
    if device is not None:
        if not isinstance(device, (str, torch.device)):
            raise TypeError(f"device must be a device name or a torch.device, got {device!r}")
        try:
            device = torch.device(device)
        except RuntimeError:
            raise ValueError(f"device must be one of {KNOWN[1:]} (optionally 'cuda:0'), got {device!r}") from None
        if device.type not in KNOWN:
            raise ValueError(f"device must be one of {KNOWN[1:]} (optionally 'cuda:0'), got {str(device)!r}")
    return _one_cpu_thread(device)


@contextlib.contextmanager
def _one_cpu_thread(device):
    if device is not None and device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


__all__ = ["ENV_VAR", "KNOWN", "pick_device", "describe_device", "one_cpu_thread"]
