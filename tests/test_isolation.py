"""One file costs only its own result: workers that crash, run out of memory, run past
``--timeout`` or get killed; Ctrl-C; workers that would outlive the command.

The end-to-end tests run the real command in a child process, some under an
address-space limit set in the child (``resource.setrlimit``), on Linux where
``/proc`` tells a process's children.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import pytest

from handlelint import bigstack, checking, cli
from handlelint.config import Config
from handlelint.engine import check_source
from handlelint.findings import Finding

LINUX = sys.platform.startswith("linux")
needs_linux = pytest.mark.skipif(not LINUX, reason="reads /proc and uses POSIX limits")
needs_fork = pytest.mark.skipif(
    __import__("multiprocessing").get_start_method() != "fork",
    reason="the stand-in engine reaches worker processes only by fork")

LEAK = """import ctypes

clusapi = ctypes.windll.clusapi
clusapi.OpenCluster.restype = ctypes.c_void_p


def leak_{i}(name):
    hc = clusapi.OpenCluster(name)
    if not hc:
        return None
    return 1
"""
#: The address space the command may use in the memory tests: enough for Python, libcst
#: and the analysis thread's stack, not for parsing the big file.
LIMIT_MB = 1536


def leaky_folder(root: Path, big: bool = True) -> Path:
    """Five files with one HDL001 each and, with ``big``, one file too big to analyse."""
    folder = root / "src"
    folder.mkdir()
    for i in range(5):
        (folder / f"leak{i}.py").write_text(LEAK.format(i=i))
    if big:
        with open(folder / "big.py", "w") as out:
            out.write("import ctypes\nclusapi = ctypes.windll.clusapi\n")
            chunk = "".join(f"v{i} = [{i}, ({i}, {i}), f({i}, k={i})]\n" for i in range(20_000))
            for _ in range(25):  # about 20 MB of small statements
                out.write(chunk)
    return folder


def limited(megabytes: int) -> Callable[[], None]:
    def preexec() -> None:
        import resource

        signal.signal(signal.SIGINT, signal.SIG_DFL)
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return preexec


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "handlelint", *args]


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found += [int(p) for p in fh.read().split()]
    except OSError:
        pass
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie left for its new parent to reap counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def check_outcome(proc: subprocess.CompletedProcess[str], folder: Path) -> None:
    lines = proc.stdout.splitlines()
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    leaks = [line for line in lines if " HDL001 " in line]
    assert sorted(line.split(":")[0] for line in leaks) == [
        str(folder / f"leak{i}.py") for i in range(5)], lines
    broken = [line for line in lines if " HDL000 " in line]
    assert [line.split(":")[0] for line in broken] == [str(folder / "big.py")], lines


@needs_linux
def test_a_file_too_big_for_the_memory_costs_only_its_own_hdl000(tmp_path: Path) -> None:
    folder = leaky_folder(tmp_path)
    proc = subprocess.run(command("--jobs", "2", "--ignore", "HDL007", str(folder)),
                          capture_output=True, text=True, timeout=600,
                          preexec_fn=limited(LIMIT_MB))
    check_outcome(proc, folder)


@needs_linux
def test_a_worker_killed_mid_run_costs_nothing(tmp_path: Path) -> None:
    folder = leaky_folder(tmp_path)
    proc = subprocess.Popen(command("--jobs", "2", "--ignore", "HDL007", str(folder)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=limited(LIMIT_MB))
    deadline = time.monotonic() + 120
    killed = None
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        workers = children(proc.pid)
        if workers:
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    out, err = proc.communicate(timeout=600)
    assert killed is not None, "no worker seen"
    check_outcome(subprocess.CompletedProcess(proc.args, proc.returncode, out, err), folder)


# --- the pool in this process, with a stand-in engine -------------------------------------


def engine(behaviour: dict[str, Callable[[], Any]]) -> Callable[..., list[Finding]]:
    """A stand-in engine: each file named in ``behaviour`` does that; others have a leak."""
    def check_source(source: str | bytes, path: str = "<string>",
                     config: Config | None = None, **kwargs: Any) -> list[Finding]:
        action = behaviour.get(Path(path).name)
        if action is not None:
            action()
        return [Finding(1, 0, "HDL001", "leak")]
    return check_source


def files(root: Path, names: list[str]) -> list[str]:
    for name in names:
        (root / name).write_text("import clusapi\n")
    return [str(root / name) for name in names]


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@needs_fork
def test_a_crashing_file_gets_hdl000_after_one_retry(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checking, "check_source", engine({"crash.py": die}))
    paths = files(tmp_path, [f"m{i}.py" for i in range(6)] + ["crash.py"])
    result = cli.run_checks(paths, cli.Options(), jobs=2)
    by_path = {r.path: r.finding for r in result.reports}
    crash = by_path.pop(str(tmp_path / "crash.py"))
    assert crash.code == "HDL000"
    assert crash.message == ("the analysis ran out of memory or crashed: its process was "
                             "killed by SIGKILL")
    assert sorted(by_path) == sorted(p for p in paths if not p.endswith("crash.py"))
    assert {f.code for f in by_path.values()} == {"HDL001"}


@needs_fork
def test_workers_are_forked_from_a_process_of_one_thread(tmp_path: Path) -> None:
    """An analysis in this process leaves its thread; the pool ends it before forking
    (Python 3.12 warns of a fork from a process of several threads)."""
    assert check_source("import os\n", "m.py", force=True) == []
    paths = []
    for i in range(cli.SERIAL_MAX + 2):  # a pool run
        (tmp_path / f"m{i}.py").write_text(
            "import ctypes\nclusapi = ctypes.windll.clusapi\n\n\ndef f():\n"
            "    h = clusapi.OpenCluster(None)\n")
        paths.append(str(tmp_path / f"m{i}.py"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        result = cli.run_checks(paths, cli.Options(), jobs=2)
    codes = sorted(r.finding.code for r in result.reports)
    assert codes == ["HDL001"] * len(paths) + ["HDL007"] * len(paths)
    assert bigstack.THREAD_NAME not in {t.name for t in threading.enumerate()}


@needs_fork
def test_a_file_killed_once_is_checked_again(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "killed-once"

    def once() -> None:
        if not marker.exists():
            marker.write_text("")
            die()

    monkeypatch.setattr(checking, "check_source", engine({"once.py": once}))
    paths = files(tmp_path, [f"m{i}.py" for i in range(6)] + ["once.py"])
    result = cli.run_checks(paths, cli.Options(), jobs=2)
    assert [r.finding.code for r in result.reports] == ["HDL001"] * 7


@needs_fork
def test_a_runaway_file_in_a_worker_gets_hdl000(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checking, "check_source", engine({"slow.py": lambda: time.sleep(600)}))
    paths = files(tmp_path, [f"m{i}.py" for i in range(6)] + ["slow.py"])
    start = time.monotonic()
    result = cli.run_checks(paths, cli.Options(timeout=1.0), jobs=2)
    assert time.monotonic() - start < 60
    slow = [r.finding for r in result.reports if r.path.endswith("slow.py")]
    assert slow == [Finding(1, 0, "HDL000", "the analysis took longer than 1 s (--timeout)")]
    assert len(result.reports) == 7


def test_a_runaway_file_in_this_process_gets_hdl000(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from handlelint.source import run_with_big_stack

    def spin() -> None:
        def forever() -> None:
            while True:
                time.sleep(0.01)
        run_with_big_stack(forever)

    monkeypatch.setattr(checking, "check_source", engine({"slow.py": spin}))
    paths = files(tmp_path, ["a.py", "slow.py"])
    result = cli.run_checks(paths, cli.Options(timeout=0.5), jobs=1)
    assert [(Path(r.path).name, r.finding.code) for r in result.reports] == [
        ("a.py", "HDL001"), ("slow.py", "HDL000")]


@needs_fork
def test_max_memory_uses_a_worker_even_with_one_job(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checking, "check_source", engine({"crash.py": die}))
    paths = files(tmp_path, ["crash.py"])
    result = cli.run_checks(paths, cli.Options(max_memory=4096), jobs=1)
    assert [r.finding.code for r in result.reports] == ["HDL000"]  # and this process lives


# --- signals and the parent's death -------------------------------------------------------

SLOW_RUN = """
import os, sys, time
from handlelint import checking, cli
checking.passes_prefilter = lambda data, config: True
def slow(source, path, *args, **kwargs):
    open(path + ".started", "w").close()
    time.sleep(600)
    return []
checking.check_source = slow
sys.argv = ["handlelint", *sys.argv[1:]]
cli.run()
"""


def start_slow(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    for i in range(8):
        (tmp_path / f"m{i}.py").write_text("x = 1\n")
    return subprocess.Popen([sys.executable, "-c", SLOW_RUN, *args, str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def wait_for_files(folder: Path, count: int) -> None:
    """Wait until ``count`` files are being analysed (the stand-in marks each it starts)."""
    deadline = time.monotonic() + 120
    while len(list(folder.glob("*.started"))) < count:
        assert time.monotonic() < deadline, "the files were not started"
        time.sleep(0.05)


def wait_for_workers(proc: subprocess.Popen[str], folder: Path, count: int) -> list[int]:
    wait_for_files(folder, count)
    found = children(proc.pid)
    assert len(found) >= count, found
    return found


@needs_linux
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_exits_130_with_one_line(tmp_path: Path, jobs: str) -> None:
    proc = start_slow(tmp_path, "--jobs", jobs)
    workers = wait_for_workers(proc, tmp_path, 2) if jobs == "2" else []
    if jobs == "1":
        wait_for_files(tmp_path, 1)  # inside the first file
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (130, "", "handlelint: interrupted\n")
    time.sleep(0.2)
    assert not [pid for pid in workers if alive(pid)]


@needs_linux
def test_workers_do_not_outlive_a_killed_parent(tmp_path: Path) -> None:
    proc = start_slow(tmp_path, "--jobs", "2")
    workers = wait_for_workers(proc, tmp_path, 2)
    proc.kill()
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)]


@needs_linux
def test_a_broken_stdout_pipe_exits_quietly(tmp_path: Path) -> None:
    """``handlelint . | head -1``: the reader goes away after one line, no traceback.

    The findings (about 100 kB) are more than a pipe holds, so the writer does meet the
    closed pipe; ``--exit-zero`` tells that exit (1) from a finished run (0).
    """
    body = LEAK.format(i=0)
    body += "".join(body[body.index("\n\ndef "):].replace("leak_0", f"leak_{i}")
                    for i in range(1, 700))
    (tmp_path / "leaks.py").write_text(body)
    reader, writer = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "handlelint", "--jobs", "1", "--exit-zero",
                             "leaks.py"],
                            cwd=tmp_path, stdout=writer, stderr=subprocess.PIPE, text=True)
    os.close(writer)
    with os.fdopen(reader, "rb") as lines:
        first = lines.readline()
    _, err = proc.communicate(timeout=120)
    assert first.startswith(b"leaks.py:8:10: HDL001 ")
    assert (proc.returncode, err) == (1, "")
