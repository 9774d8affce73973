"""Checking files in worker processes, so that one file can cost only its own result.

Each worker takes one file at a time from the main process over a pipe and sends its
:class:`~handlelint.checking.FileResult` back. The main process waits on the pipes and
the processes together, so it sees at once when a worker dies (a native abort of the
parser when memory runs out, a signal, ``os._exit``) and which file it was checking:

- that file alone is retried in a fresh worker of its own; if that one dies too, the
  file gets HDL000 ("the analysis ran out of memory or crashed");
- a file still running after ``--timeout`` seconds has its worker killed and gets
  HDL000; the run goes on with a new worker.

No file is ever retried in the main process. Workers ignore Ctrl-C (the main process
stops them), set the ``--max-memory`` address-space limit on themselves, and leave as
soon as the main process is gone: a thread polls the parent's id, so a killed parent
does not leave workers behind.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Sequence

from handlelint.bigstack import release
from handlelint.checking import OUT_OF_MEMORY, FileResult, Options, check_file, error_result
from handlelint.checking import timeout_message

#: How often a worker checks that its parent still runs, in seconds.
_PARENT_POLL = 0.5
#: The longest the main process waits without looking at the clock (progress, timeouts).
_TICK = 0.25
#: A file whose worker died is tried this many times in all.
_ATTEMPTS = 2

Progress = Callable[[int, int], None]


def limit_memory(megabytes: int | None) -> None:
    """Limit this process's address space to ``megabytes`` (POSIX; elsewhere nothing)."""
    if megabytes is None:
        return
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _watch_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(_PARENT_POLL)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="handlelint-parent-watch", daemon=True).start()


def _serve(conn: Connection, options: Options) -> None:
    """A worker's life: take ``(index, path, data)``, answer ``(index, FileResult)``."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _watch_parent()
        limit_memory(options.max_memory)
        while True:
            task = conn.recv()
            if task is None:
                return
            index, path, data = task
            try:
                result = check_file(path, options, data, deadline=False)
            except MemoryError:
                result = error_result(path, OUT_OF_MEMORY)
            conn.send((index, result))
    except BaseException:  # the parent sees the death and says so; no traceback here
        os._exit(70)


@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Connection
    #: Only retries go to a fresh worker of their own, which then stops.
    dedicated: bool = False
    task: int | None = None
    started: float = 0.0


@dataclass
class _Run:
    """The state of one pool run."""

    files: Sequence[str]
    options: Options
    jobs: int
    data: Sequence[bytes | None]
    progress: Progress | None
    context: Any = field(default_factory=multiprocessing.get_context)
    results: list[FileResult | None] = field(default_factory=list)
    pending: deque[int] = field(default_factory=deque)
    retries: deque[int] = field(default_factory=deque)
    attempts: dict[int, int] = field(default_factory=dict)
    workers: list[_Worker] = field(default_factory=list)
    done: int = 0

    def start(self, dedicated: bool) -> _Worker:
        if self.context.get_start_method() == "fork":
            release()  # fork from a process of one thread
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(target=_serve, args=(child_end, self.options),
                                       name="handlelint-worker", daemon=True)
        process.start()
        child_end.close()
        worker = _Worker(process, parent_end, dedicated)
        self.workers.append(worker)
        return worker

    def give(self, worker: _Worker, index: int) -> None:
        worker.task = index
        worker.started = time.monotonic()
        self.attempts[index] = self.attempts.get(index, 0) + 1
        try:
            worker.conn.send((index, self.files[index], self.data[index]))
        except OSError:  # it died before taking the file: the wait sees it
            pass

    def stop(self, worker: _Worker, kill: bool = False) -> None:
        self.workers.remove(worker)
        try:
            if kill:
                worker.process.kill()
            else:
                worker.conn.send(None)
        except OSError:
            pass
        worker.conn.close()
        worker.process.join(timeout=None if kill else 5)
        if worker.process.is_alive():  # pragma: no cover - a worker stuck on its way out
            worker.process.kill()
            worker.process.join()

    def finish(self, index: int, result: FileResult) -> None:
        self.results[index] = result
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, len(self.files))

    def schedule(self) -> None:
        """Give idle workers files, retire the ones not needed, start the ones missing."""
        for worker in [w for w in self.workers if w.task is None]:
            if worker.dedicated or not self.pending or (
                    self.retries and len(self.workers) >= self.jobs):
                self.stop(worker)
            else:
                self.give(worker, self.pending.popleft())
        while len(self.workers) < self.jobs and self.retries:
            self.give(self.start(dedicated=True), self.retries.popleft())
        while len(self.workers) < self.jobs and self.pending:
            self.give(self.start(dedicated=False), self.pending.popleft())

    def receive(self, worker: _Worker) -> bool:
        """Take ``worker``'s answer if one is waiting; False when it died instead."""
        try:
            if not worker.conn.poll():
                return False
            index, result = worker.conn.recv()
        except (EOFError, OSError):
            return False  # it died: its sentinel says so
        worker.task = None
        self.finish(index, result)
        return True

    def died(self, worker: _Worker) -> None:
        """``worker`` ended: its file, unless answered, is retried or gets HDL000."""
        if worker.task is not None:
            self.receive(worker)
        self.workers.remove(worker)
        worker.conn.close()
        worker.process.join()
        index = worker.task
        if index is None:
            return
        if self.attempts.get(index, 0) < _ATTEMPTS:
            self.retries.append(index)
            return
        how = _how_it_ended(worker.process.exitcode)
        self.finish(index, error_result(self.files[index],
                                        f"{OUT_OF_MEMORY} or crashed: its process {how}"))

    def timed_out(self, now: float) -> None:
        timeout = self.options.timeout
        if timeout is None:
            return
        for worker in [w for w in self.workers if w.task is not None]:
            if now - worker.started > timeout:
                index = worker.task
                assert index is not None
                self.stop(worker, kill=True)
                self.finish(index, error_result(self.files[index], timeout_message(timeout)))

    def wait_time(self, now: float) -> float:
        timeout = self.options.timeout
        if timeout is None:
            return _TICK
        busy = [w.started + timeout - now for w in self.workers if w.task is not None]
        return max(0.0, min([_TICK, *busy]))

    def loop(self) -> list[FileResult]:
        self.results = [None] * len(self.files)
        self.pending.extend(range(len(self.files)))
        while self.pending or self.retries or any(w.task is not None for w in self.workers):
            self.schedule()
            busy = {w.conn: w for w in self.workers if w.task is not None}
            ended = {w.process.sentinel: w for w in self.workers}
            ready = wait([*busy, *ended], timeout=self.wait_time(time.monotonic()))
            for item in ready:
                worker = busy.get(item)  # type: ignore[call-overload]
                if worker is not None and worker in self.workers:
                    self.receive(worker)
            for item in ready:
                worker = ended.get(item)
                if worker is not None and worker in self.workers:
                    self.died(worker)
            self.timed_out(time.monotonic())
            if self.progress is not None:
                self.progress(self.done, len(self.files))
        for worker in list(self.workers):
            self.stop(worker)
        return [r if r is not None else error_result(self.files[i], "not checked")
                for i, r in enumerate(self.results)]

    def close(self) -> None:
        """Kill the workers still running (after an error or Ctrl-C in the main process)."""
        for worker in list(self.workers):
            self.stop(worker, kill=True)


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with status {exitcode}"


def check_in_workers(files: Sequence[str], options: Options, jobs: int,
                     data: Sequence[bytes | None] | None = None,
                     progress: Progress | None = None) -> list[FileResult]:
    """The results of ``files`` (in their order), checked by up to ``jobs`` workers.

    ``data`` gives the content of files that do not come from their path (stdin).
    Raises OSError when no worker process can be started at all.
    """
    run = _Run(files, options, max(1, jobs), data or [None] * len(files), progress)
    try:
        return run.loop()
    finally:
        run.close()
        sys.stderr.flush()
