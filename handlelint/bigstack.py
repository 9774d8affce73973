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
must never stop the next job, nor leave a caller waiting. So each job gets an exception
class of its own (a job that meets another job's starts its call again), the thread
catches whatever reaches its loop and the job stays in its slot until it is done. A
pending exception is never cleared by hand: clearing one in CPython leaves the
interpreter's "something is pending" flag set, which sends a traced or profiled thread
round one instruction forever. The ``--timeout`` needs no timer thread: the caller
waiting for the job keeps the time.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
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


class _Interrupt:
    """Marks the exception classes :func:`interrupt` makes: one per job it stops."""


class _Job(Generic[T]):
    """One call to run on the analysis thread, and what it gave."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self.fn = fn
        self.value: Optional[T] = None
        self.error: Optional[BaseException] = None
        self.done = threading.Event()
        #: The exception class :func:`interrupt` raised for this job, once it did.
        self.interrupt: Optional[type[BaseException]] = None

    def run(self) -> None:
        """Call ``fn`` and keep what it gave. An interrupt meant for an earlier job,
        arriving late, only makes the call start again (the analysis is a pure
        function of its input)."""
        while True:
            try:
                self.value = self.fn()
                self.error = None
                return
            except BaseException as exc:  # handed back to the caller
                if isinstance(exc, _Interrupt) and type(exc) is not self.interrupt:
                    continue
                self.error = exc
                return


class _Thread:
    """The analysis thread of this process, and the slot where its caller puts a job."""

    def __init__(self) -> None:
        self.slot: Optional[_Job[object]] = None
        self.ready = threading.Event()
        #: Set by :func:`release`: the loop ends at its next wake-up.
        self.stopping = False
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

    def run(self, job: _Job[T], limit: Optional[tuple[float, type[BaseException]]]) -> None:
        """Hand ``job`` to the thread and wait for its end; past ``limit``'s deadline,
        raise its exception in the job once."""
        self.slot = job  # type: ignore[assignment]
        self.ready.set()
        while not job.done.wait(_wait(limit)):
            if limit is not None and time.monotonic() >= limit[0]:
                interrupt(limit[1])  # the job stops at its next bytecode
                limit = None
            if not self.alive():
                raise RuntimeError("the analysis thread ended")

    def _serve(self) -> None:
        """Run the job in the slot, whenever there is one not done yet. A late interrupt
        that hits this loop itself leaves the job in the slot: the loop goes round and
        finds it again."""
        while True:
            try:
                self.ready.wait()
                self.ready.clear()
                if self.stopping:
                    return
                job = self.slot
                if job is not None and not job.done.is_set():
                    job.run()
                    job.done.set()
            except BaseException:  # an interrupt that arrived outside a job's call
                self.ready.set()


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
        sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
        try:
            _thread.run(job, _limit)
            if job.interrupt is not None and not isinstance(job.error, job.interrupt):
                # An interrupt that came after the job's end: let the thread meet it at
                # once. While one is pending, every thread of the interpreter takes the
                # slow path at each check, and a traced one goes round it forever.
                _thread.run(_Job(lambda: None), None)
        finally:
            sys.setrecursionlimit(old_limit)
    if job.error is not None:
        raise job.error
    return job.value  # type: ignore[return-value]


def release() -> None:
    """End this process's analysis thread, if it has one (the next job makes another).

    Called before a worker process is forked: a process forked while it has other
    threads may inherit a lock one of them held (Python 3.12 warns of it), and the
    thread is idle then (a job holds the lock taken here for its whole run).
    """
    global _thread
    with _lock:
        found, _thread = _thread, None
        if found is not None and found.alive():
            found.stopping = True
            found.ready.set()
            found.thread.join()
            _await_thread_exit()


def _await_thread_exit(limit: float = 0.2) -> None:
    """Wait (at most ``limit`` seconds) until the system counts no more threads than
    Python does: ``join`` returns before the ended thread's stack is given back, and
    Python 3.12 counts the system's threads (``/proc/self/stat`` on Linux) when it
    warns of a fork."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        count = _system_threads()
        if count is None or count <= threading.active_count():
            return
        time.sleep(0.001)


def _system_threads() -> Optional[int]:
    """The number of threads the system counts in this process (Linux), else None."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[17])
    except (OSError, ValueError, IndexError):
        return None


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


def interrupt(exception: type[BaseException]) -> None:
    """Raise ``exception`` in the analysis thread, for the job it runs now (if any).

    The class raised is a subclass of ``exception`` made for that job: should it arrive
    only once the job has ended, the next job knows it is not meant for it.
    """
    found = _thread
    job = found.slot if found is not None and found.alive() else None
    if found is None or job is None or job.done.is_set() or found.thread.ident is None:
        return
    own = type(exception.__name__, (exception, _Interrupt), {})
    job.interrupt = own
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(found.thread.ident),
                                               ctypes.py_object(own))
