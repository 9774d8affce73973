"""Checking one file for the command line: read, prefilter, analyse, filter, place.

:func:`check_file` never raises: a file that cannot be read, that makes the analysis
fail, run out of memory or run past its time becomes one HDL000 report and the run goes
on. It runs in the main process or in a worker (:mod:`handlelint.workers`), with the
same result. After the engine it applies ``--select``/``--ignore``, the ``# noqa``
comments (per line, and ``# handlelint: noqa`` or ``# flake8: noqa`` for the whole
file) and turns each finding's column into a character column (:mod:`handlelint.places`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, TypeVar

from handlelint import bigstack, depth
from handlelint.config import Config
from handlelint.engine import check_source, in_project_vocabulary, passes_prefilter
from handlelint.findings import Finding
from handlelint.output import Report
from handlelint.places import char_column, place
from handlelint.source import SourceError, decode
from handlelint.selection import Selection, file_noqa, source_lines, without_noqa

#: The per-file wall-clock budget when none is given (``--timeout``), in seconds.
DEFAULT_TIMEOUT = 60.0
#: The name of the thread the engine runs a file's analysis in (handlelint.source).
#: The message of a file whose analysis exhausted the memory it may use.
OUT_OF_MEMORY = "the analysis ran out of memory"

T = TypeVar("T")


@dataclass(frozen=True)
class Options:
    """What each file's check needs to know; picklable, for worker processes."""

    selection: Selection = Selection()
    force: bool = False
    #: ``--explain``: the engine records each leak's steps and the writers print them.
    explain: bool = False
    config: Config = field(default_factory=Config)
    #: ``--timeout``: seconds one file's analysis may take (None: no limit).
    timeout: float | None = DEFAULT_TIMEOUT
    #: Compute each report's :class:`~handlelint.places.Place` (SARIF, baselines).
    places: bool = False
    #: ``--max-memory``: megabytes of address space a worker may use (None: no limit).
    max_memory: int | None = None


class FileResult(NamedTuple):
    """What checking one file gave: its reports, and whether the prefilter skipped it."""

    reports: list[Report]
    skipped: bool = False


def one_line(text: str) -> str:
    """``text`` with every run of white space (newlines included) made one space."""
    return " ".join(text.split())


def error_result(path: str, message: str) -> FileResult:
    """The result of a file that could not be checked: one HDL000 at line 1."""
    return FileResult([Report(path, Finding(1, 0, "HDL000", message))])


class AnalysisInterrupted(BaseException):
    """Raised inside the analysis thread to stop it (timeout or Ctrl-C).

    A ``BaseException`` so that the engine's per-file ``except Exception`` does not turn
    it into an internal error: it reaches :func:`check_file`, which knows what it means.
    """


def stop_analysis_threads() -> None:
    """Raise :class:`AnalysisInterrupted` in this process's analysis thread.

    A thread cannot be killed, but CPython can make it raise at its next bytecode; the
    libcst parse itself (native code) finishes first.
    """
    bigstack.interrupt(AnalysisInterrupted)


def _with_deadline(call: Callable[[], T], seconds: float | None) -> T:
    """``call()``, its analysis interrupted by :class:`AnalysisInterrupted` after ``seconds``."""
    if seconds is None:
        return call()
    with bigstack.time_limit(seconds, AnalysisInterrupted):
        return call()


def timeout_message(seconds: float) -> str:
    """The HDL000 message of a file whose analysis ran past ``--timeout``."""
    return f"the analysis took longer than {seconds:g} s (--timeout)"


def _analyse(path: str, data: bytes, options: Options, deadline: bool) -> list[Finding]:
    try:
        findings = _with_deadline(
            lambda: check_source(data, path, options.config, force=options.force,
                                 explain=options.explain),
            options.timeout if deadline else None)
    except AnalysisInterrupted:
        assert options.timeout is not None
        return [Finding(1, 0, "HDL000", timeout_message(options.timeout))]
    except MemoryError:
        return [Finding(1, 0, "HDL000", OUT_OF_MEMORY)]
    except Exception as exc:  # one file's failure must not end the run
        return [Finding(1, 0, "HDL000",
                        one_line(f"internal error: {type(exc).__name__}: {exc}"))]
    # The engine turns any exception into "internal error: ..."; say what it means.
    return [Finding(f.line, f.col, f.code, OUT_OF_MEMORY)
            if f.code == "HDL000" and f.message.startswith("internal error: MemoryError")
            else f for f in findings]


def _too_deep(data: bytes) -> bool:
    try:
        return depth.too_deep(decode(data))
    except SourceError:
        return False  # the engine reports it


def check_file(path: str, options: Options, data: bytes | None = None, *,
               deadline: bool = True) -> FileResult:
    """The reports of one file after selection and ``# noqa``; never raises.

    ``data`` is the file's content when it does not come from ``path`` (stdin).
    ``deadline`` False leaves ``--timeout`` to the caller (a worker's parent kills it).
    """
    try:
        return _check(path, options, data, deadline)
    except MemoryError:  # reading a huge file, or its prefilter, in a limited worker
        return error_result(path, OUT_OF_MEMORY)


def _check(path: str, options: Options, data: bytes | None, deadline: bool) -> FileResult:
    if data is None:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            return error_result(path, f"cannot read the file: {exc.strerror or exc}")
    if not options.force and not (passes_prefilter(data, options.config)
                                  or in_project_vocabulary(data, options.config, path)):
        return FileResult([], skipped=True)
    if file_noqa(data):
        return FileResult([])
    if depth.NEEDED and _too_deep(data):
        findings = [Finding(1, 0, "HDL000", depth.MESSAGE)]
    else:
        findings = _analyse(path, data, options, deadline)
    wanted = without_noqa([f for f in findings if options.selection.wants(f.code)], data)
    if not wanted:
        return FileResult([])
    return FileResult(place_reports(path, wanted, source_lines(data), options.places))


def place_reports(path: str, findings: list[Finding], lines: list[str], places: bool
                  ) -> list[Report]:
    """The reports of ``findings``, columns in characters, with their places if asked."""
    reports = []
    for finding in findings:
        if places:
            where = place(finding, lines)
            col, found = where.col, where
        else:
            text = lines[finding.line - 1] if 1 <= finding.line <= len(lines) else ""
            col, found = char_column(text, finding.col), None
        reports.append(Report(path, dataclasses.replace(finding, col=col), found))
    return reports
