"""The ``handlelint`` command: find the files, check each one, print the findings.

Exit status: 0 when nothing is printed, 1 when findings are printed, 2 on a usage
error. Every file is checked on its own: a file that cannot be read or that makes
the analysis fail becomes an HDL000 line and the run goes on.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Sequence

from handlelint import __version__
from handlelint.engine import check_source
from handlelint.files import discover, missing
from handlelint.findings import Finding
from handlelint.output import WRITERS, Report, sort_key
from handlelint.selection import Selection, parse_codes, without_noqa

#: Up to this many files a run stays in one process: starting workers costs more.
SERIAL_MAX = 4


@dataclass(frozen=True)
class Options:
    """What each file's check needs to know; picklable, for worker processes."""

    selection: Selection = Selection()
    force: bool = False


def _one_line(text: str) -> str:
    return " ".join(text.split())


def check_file(path: str, options: Options) -> list[Report]:
    """The reports of one file after ``--select``/``--ignore`` and ``# noqa``; never raises."""
    data = b""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        findings = [Finding(1, 0, "HDL000", f"cannot read the file: {exc.strerror or exc}")]
    else:
        try:
            findings = check_source(data, path, force=options.force)
        except Exception as exc:  # one file's failure must not end the run
            message = _one_line(f"internal error: {type(exc).__name__}: {exc}")
            findings = [Finding(1, 0, "HDL000", message)]
    wanted = [f for f in findings if options.selection.wants(f.code)]
    return [Report(path, f) for f in without_noqa(wanted, data)]


def _check_serial(files: Sequence[str], options: Options) -> list[Report]:
    return [r for path in files for r in check_file(path, options)]


def _check_parallel(files: Sequence[str], options: Options, jobs: int) -> list[Report]:
    workers = min(jobs, len(files))
    chunksize = max(1, min(16, len(files) // (workers * 4)))
    task = functools.partial(check_file, options=options)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [r for reports in pool.map(task, files, chunksize=chunksize) for r in reports]


def check_files(files: Sequence[str], options: Options, jobs: int = 1) -> list[Report]:
    """Check ``files`` with up to ``jobs`` processes; the reports come back sorted."""
    reports: list[Report] | None = None
    if jobs > 1 and len(files) > SERIAL_MAX:
        try:
            reports = _check_parallel(files, options, jobs)
        except (OSError, BrokenProcessPool):
            # No process pool here (a sandbox without semaphores, a worker killed by
            # the system): the same work in this process gives the same output.
            reports = None
    if reports is None:
        reports = _check_serial(files, options)
    return sorted(reports, key=sort_key)


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value!r}")
    return jobs


def _codes(value: str) -> tuple[str, ...]:
    try:
        return parse_codes(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The command line's options."""
    parser = argparse.ArgumentParser(
        prog="handlelint",
        description="Find leaked Windows Failover Cluster (clusapi.dll) handles in Python code.",
    )
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                        help="files and folders to check (default: .)")
    parser.add_argument("--select", type=_codes, default=(), metavar="CODES",
                        help="comma-separated codes or prefixes to report (default: all)")
    parser.add_argument("--ignore", type=_codes, default=(), metavar="CODES",
                        help="comma-separated codes or prefixes not to report")
    parser.add_argument("--format", choices=sorted(WRITERS), default="text",
                        help="output format (default: text)")
    parser.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 1, metavar="N",
                        help="processes to check files with (default: number of CPUs)")
    parser.add_argument("--force", action="store_true",
                        help="analyse every file, even one that mentions no tracked name")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    args = build_parser().parse_args(argv)
    paths: list[str] = args.paths
    absent = missing(paths)
    if absent:
        for path in absent:
            print(f"handlelint: error: no such file or directory: {path}", file=sys.stderr)
        return 2
    options = Options(Selection(args.select, args.ignore), args.force)
    reports = check_files(discover(paths), options, args.jobs)
    WRITERS[args.format](reports, sys.stdout)
    return 1 if reports else 0


def run() -> None:
    """The console script: ``raise SystemExit(main())``."""
    try:
        status = main()
    except BrokenPipeError:
        # The reader went away (``handlelint | head``). As the Python docs advise, point
        # stdout at devnull so the interpreter's final flush does not fail again.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        status = 1
    raise SystemExit(status)
