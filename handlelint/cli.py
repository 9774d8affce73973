"""The ``handlelint`` command: find the files, check each one, print the findings.

Exit status: 0 when nothing is printed, 1 when findings are printed, 2 on a usage or
configuration error. Every file is checked on its own: a file that cannot be read or
that makes the analysis fail becomes an HDL000 line and the run goes on. The findings
go to stdout, the same whatever ``--jobs``; one summary line goes to stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import NamedTuple, Sequence

from handlelint import __version__
from handlelint.config import Config, ConfigError, discover_config, load_config
from handlelint.engine import check_source, in_project_vocabulary, passes_prefilter
from handlelint.files import Exclude, discover, missing
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
    #: ``--explain``: the engine records each leak's steps and the writers print them.
    explain: bool = False
    config: Config = field(default_factory=Config)


class FileResult(NamedTuple):
    """What checking one file gave: its reports, and whether the prefilter skipped it."""

    reports: list[Report]
    skipped: bool = False


class RunResult(NamedTuple):
    """What checking many files gave: the sorted reports and the counts of the summary."""

    reports: list[Report]
    files: int
    skipped: int


def _one_line(text: str) -> str:
    return " ".join(text.split())


def check_file(path: str, options: Options) -> FileResult:
    """The reports of one file after ``--select``/``--ignore`` and ``# noqa``; never raises."""
    data = b""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        findings = [Finding(1, 0, "HDL000", f"cannot read the file: {exc.strerror or exc}")]
    else:
        try:
            if not options.force and not (passes_prefilter(data, options.config)
                                          or in_project_vocabulary(data, options.config, path)):
                return FileResult([], skipped=True)
            findings = check_source(data, path, options.config, force=options.force,
                                    explain=options.explain)
        except Exception as exc:  # one file's failure must not end the run
            message = _one_line(f"internal error: {type(exc).__name__}: {exc}")
            findings = [Finding(1, 0, "HDL000", message)]
    wanted = [f for f in findings if options.selection.wants(f.code)]
    return FileResult([Report(path, f) for f in without_noqa(wanted, data)])


def _check_serial(files: Sequence[str], options: Options) -> list[FileResult]:
    return [check_file(path, options) for path in files]


def _check_parallel(files: Sequence[str], options: Options, jobs: int) -> list[FileResult]:
    workers = min(jobs, len(files))
    chunksize = max(1, min(16, len(files) // (workers * 4)))
    task = functools.partial(check_file, options=options)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(task, files, chunksize=chunksize))


def run_checks(files: Sequence[str], options: Options, jobs: int = 1) -> RunResult:
    """Check ``files`` with up to ``jobs`` processes; the reports come back sorted."""
    results: list[FileResult] | None = None
    if jobs > 1 and len(files) > SERIAL_MAX:
        try:
            results = _check_parallel(files, options, jobs)
        except (OSError, BrokenProcessPool):
            # No process pool here (a sandbox without semaphores, a worker killed by
            # the system): the same work in this process gives the same output.
            results = None
    if results is None:
        results = _check_serial(files, options)
    reports = sorted((r for result in results for r in result.reports), key=sort_key)
    return RunResult(reports, len(files), sum(result.skipped for result in results))


def check_files(files: Sequence[str], options: Options, jobs: int = 1) -> list[Report]:
    """Check ``files`` with up to ``jobs`` processes; the sorted reports."""
    return run_checks(files, options, jobs).reports


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(result: RunResult, seconds: float) -> str:
    """The line printed on stderr after a run."""
    return (f"handlelint: {_plural(result.files, 'file')} checked "
            f"({result.skipped} skipped by the prefilter), "
            f"{_plural(len(result.reports), 'finding')}, {seconds:.2f} s")


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
    parser.add_argument("--select", type=_codes, default=None, metavar="CODES",
                        help="comma-separated codes or prefixes to report (default: all, "
                             "or the configuration's select)")
    parser.add_argument("--ignore", type=_codes, default=None, metavar="CODES",
                        help="comma-separated codes or prefixes not to report (default: "
                             "none, or the configuration's ignore)")
    parser.add_argument("--format", choices=list(WRITERS), default="text",
                        help="output format (default: text)")
    parser.add_argument("--explain", action="store_true",
                        help="under each finding, the steps of one leaking path")
    parser.add_argument("--config", metavar="PATH",
                        help="the TOML file whose [tool.handlelint] table to use (default: "
                             "the nearest pyproject.toml that has one, from the first PATH up)")
    parser.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 1, metavar="N",
                        help="processes to check files with (default: number of CPUs)")
    parser.add_argument("--force", action="store_true",
                        help="analyse every file, even one that mentions no tracked name")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the project's cache folder")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="do not print the summary line on stderr")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _error(message: str) -> int:
    print(f"handlelint: error: {message}", file=sys.stderr)
    return 2


def read_config(paths: Sequence[str], explicit: str | None) -> Config:
    """The ``--config`` file's settings, or those found from the first path upward."""
    if explicit is not None:
        if not os.path.isfile(explicit):
            raise ConfigError(explicit, "no such file")
        return load_config(explicit)
    return discover_config(paths[0])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    start = time.perf_counter()
    args = build_parser().parse_args(argv)
    paths: list[str] = args.paths
    absent = missing(paths)
    if absent:
        for path in absent:
            _error(f"no such file or directory: {path}")
        return 2
    try:
        config = read_config(paths, args.config)
    except ConfigError as exc:
        return _error(str(exc))
    if args.no_cache:
        config = dataclasses.replace(config, use_cache=False)
    # A list given on the command line replaces the configuration's.
    selection = Selection(config.select if args.select is None else args.select,
                          config.ignore if args.ignore is None else args.ignore)
    options = Options(selection, args.force, args.explain, config)
    files = discover(paths, Exclude(config.exclude, config.root))
    result = run_checks(files, options, args.jobs)
    WRITERS[args.format](result.reports, sys.stdout, args.explain)
    if not args.quiet:
        sys.stdout.flush()
        print(summary_line(result, time.perf_counter() - start), file=sys.stderr)
    return 1 if result.reports else 0


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
