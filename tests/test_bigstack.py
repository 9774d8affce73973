"""The analysis thread: one per process, interrupts that never hit the wrong job."""

from __future__ import annotations

import cProfile
import ctypes
import threading
import time

import pytest

from handlelint import bigstack
from handlelint.bigstack import run_with_big_stack


class Stop(BaseException):
    """Stands for the CLI's interrupt."""


def _count() -> int:
    return sum(i for i in range(10_000))


def test_one_thread_serves_every_job() -> None:
    idents = {run_with_big_stack(threading.get_ident) for _ in range(3)}
    assert len(idents) == 1
    assert threading.get_ident() not in idents


def test_an_error_reaches_the_caller_and_the_thread_goes_on() -> None:
    with pytest.raises(ZeroDivisionError):
        run_with_big_stack(lambda: 1 // 0)
    assert run_with_big_stack(_count) == 49_995_000


def test_an_interrupt_that_arrives_late_never_stops_the_next_job() -> None:
    run_with_big_stack(lambda: None)
    thread = bigstack._thread
    assert thread is not None and thread.thread.ident is not None
    late = type("Stop", (Stop, bigstack._Interrupt), {})  # an earlier job's, pending now
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.thread.ident),
                                               ctypes.py_object(late))
    assert run_with_big_stack(_count) == 49_995_000
    assert run_with_big_stack(_count) == 49_995_000


def test_a_profiled_job_runs_after_an_interrupted_one() -> None:
    """No pending-exception flag is left behind that would stall a traced thread."""
    def forever() -> None:
        while True:
            time.sleep(0.01)

    with pytest.raises(Stop):
        with bigstack.time_limit(0.1, Stop):
            run_with_big_stack(forever)
    profiler = cProfile.Profile()

    def profiled() -> int:
        profiler.enable()
        try:
            return _count()
        finally:
            profiler.disable()

    with bigstack.time_limit(30, Stop):
        assert run_with_big_stack(profiled) == 49_995_000


def test_a_time_limit_stops_a_runaway_job_and_only_it() -> None:
    def forever() -> None:
        while True:
            time.sleep(0.01)

    start = time.monotonic()
    with pytest.raises(Stop):
        with bigstack.time_limit(0.2, Stop):
            run_with_big_stack(forever)
    assert time.monotonic() - start < 10
    with bigstack.time_limit(30, Stop):
        assert run_with_big_stack(_count) == 49_995_000


def test_deep_recursion_fits_the_stack() -> None:
    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + depth(n - 1)

    assert run_with_big_stack(lambda: depth(20_000)) == 20_000


def test_release_ends_the_thread_and_the_next_job_makes_another() -> None:
    first = run_with_big_stack(threading.get_ident)
    bigstack.release()
    assert first not in {t.ident for t in threading.enumerate()}
    assert bigstack.THREAD_NAME not in {t.name for t in threading.enumerate()}
    # The system no longer counts it either (Python 3.12 warns of a fork by that count).
    assert bigstack._system_threads() in (None, threading.active_count())
    assert run_with_big_stack(_count) == 49_995_000
    bigstack.release()
    bigstack.release()  # no thread: nothing to do
