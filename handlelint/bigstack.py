"""One long-lived thread with a large stack, where every file's analysis runs.

libcst's parser and its tree walks recurse once per nesting level, so the analysis of a
file runs on a thread with a 512 MB stack and a raised recursion limit (see
:mod:`handlelint.source` for the depth guard in front of it). The thread is made once per
process and kept: a new thread per file cost about a tenth of the analysis of an average
file (the thread, and the C allocator's memory of a fresh thread, obtained again each
time), measured on the dense corpus of ``bench/``.

The caller may stop a running analysis by raising an exception in the thread
(``PyThreadState_SetAsyncExc``, see :func:`interrupt`: the ``--timeout`` and Ctrl-C).
Such an exception may arrive late, when the job it was meant for has already ended; it
must never hit the next job, nor leave a caller waiting. So the thread catches whatever
reaches its loop, every job's end is signalled whatever happens, and a pending
exception is cleared (:func:`clear_interrupts`) before each job is handed over and when
a :func:`time_limit` ends. The ``--timeout`` needs no timer thread: the caller waiting
for the job keeps the time.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import sys
import threading
import time
from typing import Callable, Generic, Iterator, Optional, TypeVar

#: Stack of the analysis thread and recursion limit while it runs a job.
STACK_BYTES = 512 * 1024 * 1024
RECURSION_LIMIT = 60_000
#: The analysis thread's name (the interrupts look for it).
THREAD_NAME = "handlelint-worker"

T = TypeVar("T")


class _Job(Generic[T]):
    """One call to run on the analysis thread, and what it gave."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self.fn = fn
        self.value: Optional[T] = None
        self.error: Optional[BaseException] = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.value = self.fn()
        except BaseException as exc:  # handed back to the caller
            self.error = exc


class _Thread:
    """The analysis thread of this process and its queue of jobs."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job[object]] = queue.SimpleQueue()
        self.pid = os.getpid()
        old_size = threading.stack_size()
        threading.stack_size(STACK_BYTES)
        try:
            self.thread = threading.Thread(target=self._serve, name=THREAD_NAME, daemon=True)
            self.thread.start()
        finally:
            threading.stack_size(old_size)

    def alive(self) -> bool:
        """False in a child made by ``fork`` (threads do not survive it) or if it ended."""
        return self.pid == os.getpid() and self.thread.is_alive()

    def _serve(self) -> None:
        job: Optional[_Job[object]] = None
        while True:
            try:
                job = None
                job = self.jobs.get()
                job.run()
            except BaseException:  # an interrupt that came outside a job's own call
                pass
            while job is not None:
                try:
                    job.done.set()
                    job = None
                except BaseException:  # the same, arriving just now
                    continue


_thread: Optional[_Thread] = None
_lock = threading.Lock()


def run_with_big_stack(fn: Callable[[], T]) -> T:
    """Run ``fn`` on the analysis thread with the large recursion limit; re-raise its error.

    Calls are one at a time (the recursion limit is the process's).
    """
    global _thread
    old_limit = sys.getrecursionlimit()
    with _lock:
        if _thread is None or not _thread.alive():
            _thread = _Thread()
        job = _Job(fn)
        clear_interrupts()
        sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
        limit = _limit
        try:
            _thread.jobs.put(job)  # type: ignore[arg-type]
            while not job.done.wait(_wait(limit)):
                if limit is not None and time.monotonic() >= limit[0]:
                    interrupt(limit[1])  # once: the job stops at its next bytecode
                    limit = None
                if not _thread.alive():
                    raise RuntimeError("the analysis thread ended")
        finally:
            sys.setrecursionlimit(old_limit)
    if job.error is not None:
        raise job.error
    return job.value  # type: ignore[return-value]


def _wait(limit: Optional[tuple[float, type[BaseException]]]) -> float:
    """How long to wait for the job before looking again (at most a second)."""
    if limit is None:
        return 1.0
    return min(1.0, max(limit[0] - time.monotonic(), 0.0))


#: (monotonic deadline, exception): set by :func:`time_limit` for the jobs run meanwhile.
_limit: Optional[tuple[float, type[BaseException]]] = None


@contextlib.contextmanager
def time_limit(seconds: Optional[float], exception: type[BaseException]) -> Iterator[None]:
    """Jobs run meanwhile get ``exception`` raised in them once ``seconds`` have passed.

    The caller's own wait keeps the time (no timer thread): past the deadline it raises
    the exception in the analysis thread once and waits for the job to end.
    """
    global _limit
    _limit = None if seconds is None else (time.monotonic() + seconds, exception)
    try:
        yield
    finally:
        _limit = None
        clear_interrupts()  # raised just as the job ended: it must not hit the next one


def interrupt(exception: type[BaseException]) -> None:
    """Raise ``exception`` in the analysis thread (its running job stops there)."""
    ident = _ident()
    if ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident),
                                                   ctypes.py_object(exception))


def clear_interrupts() -> None:
    """Drop an exception raised in the analysis thread that it has not met yet."""
    ident = _ident()
    if ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)


def _ident() -> Optional[int]:
    found = _thread
    if found is None or not found.alive():
        return None
    return found.thread.ident
