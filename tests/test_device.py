import pytest
import torch

from utils.device import describe_device, pick_device


def test_auto_picks_a_device_that_works():
    device = pick_device("auto", verbose=False)
    assert (torch.ones(2, device=device) * 2).sum().item() == 4.0


def test_environment_variable_forces_cpu(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    out = capsys.readouterr().out
    assert "cpu" in out and "COURSE_DEVICE" in out


def test_argument_overrides_environment(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    assert pick_device("cpu", verbose=False).type == "cpu"


def test_unknown_device_name_is_refused_by_name(monkeypatch):
    with pytest.raises(ValueError, match="'tpu'"):
        pick_device("tpu")
    monkeypatch.setenv("COURSE_DEVICE", "gpu0")
    with pytest.raises(ValueError, match="gpu0.*COURSE_DEVICE"):
        pick_device()


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        pick_device(3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA, so forcing it is valid")
def test_forcing_an_absent_device_fails_instead_of_falling_back():
    with pytest.raises(ValueError, match="not available"):
        pick_device("cuda", verbose=False)


def test_describe_cpu_mentions_threads():
    assert describe_device("cpu").startswith("cpu (")


def test_one_cpu_thread_runs_on_one_thread_and_restores_the_count():
    from utils.device import one_cpu_thread

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with one_cpu_thread():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError), one_cpu_thread():  # restored even when the work fails
            raise RuntimeError("boom")
        assert torch.get_num_threads() == 2

        @one_cpu_thread()
        def threads_inside():
            return torch.get_num_threads()

        assert threads_inside() == 1 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_one_cpu_thread_leaves_a_gpu_run_alone():
    from utils.device import one_cpu_thread

    before = torch.get_num_threads()
    with one_cpu_thread("cuda"):  # only the device's type is read; no GPU is needed for this
        assert torch.get_num_threads() == before


BAD_INPUT_BASE = {"describe_device": lambda: dict(device="cpu")}
# pick_device's `prefer=None` means "read $COURSE_DEVICE" and one_cpu_thread's `device=None` means "the CPU".


@pytest.mark.parametrize("name", ["cuda", "cuda:3"])
def test_describe_device_refuses_a_cuda_device_that_is_not_here_by_name(monkeypatch, name):
    # issue 32: on a CPU-only machine describe_device('cuda') failed with torch's AssertionError
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"device 'cuda(:3)?' is not present here \(0 CUDA device"):
        describe_device(name)
