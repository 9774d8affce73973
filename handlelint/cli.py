"""The ``handlelint`` command: find the files, check each one, print the findings.

Exit status: 0 when nothing is printed (or with ``--exit-zero``), 1 when findings are
printed, 2 on a usage or configuration error, 130 when interrupted (Ctrl-C). Every file
is checked on its own (:mod:`handlelint.checking`): a file that cannot be read or that
makes the analysis fail becomes an HDL000 line and the run goes on; with ``--jobs`` above
1 or ``--max-memory``, files are checked in worker processes (:mod:`handlelint.workers`)
so that one file crashing or exhausting its worker costs only its own HDL000. The
findings go to stdout (or ``--output-file``), the same whatever ``--jobs``; the summary
line goes to stderr when stderr is a terminal or ``--summary`` asks for it.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections import Counter
from typing import NamedTuple, Sequence, TextIO

from handlelint import __version__
from handlelint.baseline import Baseline, BaselineError, load_baseline, write_baseline
from handlelint.checking import FileResult, Options, check_file, stop_analysis_threads
from handlelint.codes import CODES
from handlelint.config import Config, ConfigError, discover_config, load_config
from handlelint.engine import passes_prefilter
from handlelint.files import discover, missing
from handlelint.output import WRITERS, Report, sort_key
from handlelint.selection import parse_codes
from handlelint.settings import Settings
from handlelint.workers import Progress, check_in_workers

__all__ = ["Options", "FileResult", "check_file", "check_files", "passes_prefilter",
           "run_checks", "main", "run"]

#: Up to this many files a run stays in one process: starting workers costs more.
SERIAL_MAX = 4
#: The path ``-`` reads the file to check from stdin.
STDIN = "-"
#: Exit status after Ctrl-C, as shells report a process ended by SIGINT.
INTERRUPTED = 130
#: A run longer than this on a terminal shows a progress line, in seconds.
PROGRESS_AFTER = 2.0


class RunResult(NamedTuple):
    """What checking many files gave: the sorted reports and the counts of the summary."""

    reports: list[Report]
    files: int
    skipped: int


def _check_serial(files: Sequence[str], options: Options,
                  data: Sequence[bytes | None] | None = None,
                  progress: Progress | None = None) -> list[FileResult]:
    results = []
    for i, path in enumerate(files):
        results.append(check_file(path, options, data[i] if data else None))
        if progress is not None:
            progress(i + 1, len(files))
    return results


def _check_parallel(files: Sequence[str], options: Options, jobs: int,
                    data: Sequence[bytes | None] | None = None,
                    progress: Progress | None = None) -> list[FileResult]:
    return check_in_workers(files, options, min(jobs, len(files)), data, progress)


def run_checks(files: Sequence[str], options: Options, jobs: int = 1,
               data: Sequence[bytes | None] | None = None,
               progress: Progress | None = None) -> RunResult:
    """Check ``files`` with up to ``jobs`` processes; the reports come back sorted.

    ``data`` gives the content of files not read from their path (stdin). A memory
    limit always uses workers, even for one file; otherwise a small run stays in this
    process.
    """
    results: list[FileResult] | None = None
    if files and (options.max_memory is not None or (jobs > 1 and len(files) > SERIAL_MAX)):
        try:
            results = _check_parallel(files, options, jobs, data, progress)
        except OSError:
            # No worker processes here (a sandbox that forbids them): the same work in
            # this process gives the same output, without the isolation.
            results = None
    if results is None:
        results = _check_serial(files, options, data, progress)
    reports = sorted((r for result in results for r in result.reports), key=sort_key)
    return RunResult(reports, len(files), sum(result.skipped for result in results))


def _run_groups(files: Sequence[str], groups: Sequence[tuple[Options, Sequence[int]]],
                jobs: int, data: Sequence[bytes | None] | None = None,
                progress: Progress | None = None) -> RunResult:
    """Check each group of ``files`` (their indexes) with its own options; one result."""
    reports: list[Report] = []
    skipped = done = 0
    for options, indexes in groups:
        group_files = [files[i] for i in indexes]
        group_data = [data[i] for i in indexes] if data else None
        shifted = None
        if progress is not None:
            shifted = functools.partial(_shifted, progress, done, len(files))
        result = run_checks(group_files, options, jobs, group_data, shifted)
        reports.extend(result.reports)
        skipped += result.skipped
        done += len(indexes)
    return RunResult(sorted(reports, key=sort_key), len(files), skipped)


def _shifted(progress: Progress, before: int, total: int, done: int, count: int) -> None:
    del count
    progress(before + done, total)


def check_files(files: Sequence[str], options: Options, jobs: int = 1) -> list[Report]:
    """Check ``files`` with up to ``jobs`` processes; the sorted reports."""
    return run_checks(files, options, jobs).reports


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(result: RunResult, seconds: float, baseline: Baseline | None = None) -> str:
    """The line printed on stderr after a run."""
    known = ""
    if baseline is not None:
        entries = "entry" if baseline.stale == 1 else "entries"
        known = (f" ({baseline.matched} more in the baseline, "
                 f"{baseline.stale} stale baseline {entries})")
    return (f"handlelint: {_plural(result.files, 'file')} checked "
            f"({result.skipped} skipped by the prefilter), "
            f"{_plural(len(result.reports), 'finding')}{known}, {seconds:.2f} s")


def statistics_lines(reports: Sequence[Report]) -> list[str]:
    """``--statistics``: per code found, its count, the code and its title."""
    counts = Counter(r.finding.code for r in reports)
    return [f"{counts[code]:<5} {code} {CODES[code].title if code in CODES else ''}".rstrip()
            for code in sorted(counts)]


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be above 0: {value!r}")
    return seconds


def _count(value: str) -> int:
    """A whole number of at least 1 (``--jobs``, ``--max-memory``)."""
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value!r}")
    return count


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
    add = parser.add_argument
    add("paths", nargs="*", default=["."], metavar="PATH",
        help="files and folders to check (default: .); - reads one file from stdin")
    add("--select", type=_codes, default=None, metavar="CODES",
        help="comma-separated codes or prefixes to report (default: all, or the "
             "configuration's select)")
    add("--ignore", type=_codes, default=None, metavar="CODES",
        help="comma-separated codes or prefixes not to report (default: none, or the "
             "configuration's ignore)")
    add("--format", choices=list(WRITERS), default="text", help="output format (default: text)")
    add("--output-file", metavar="FILE",
        help="write the findings to FILE instead of stdout")
    add("--explain", action="store_true",
        help="under each finding, the steps of one leaking path")
    add("--exit-zero", action="store_true",
        help="exit with status 0 even when findings are reported")
    add("--statistics", action="store_true",
        help="after the run, the count of findings per code on stderr")
    add("--baseline", metavar="FILE",
        help="report only findings not recorded in FILE (default: the configuration's "
             "baseline)")
    add("--write-baseline", metavar="FILE",
        help="record the current findings in FILE and exit 0")
    add("--stdin-filename", metavar="PATH",
        help="with the path -, the path of the file read from stdin (for the output, "
             "the configuration and exclude)")
    add("--config", metavar="PATH",
        help="the TOML file whose [tool.handlelint] table to use for every file "
             "(default: each file's nearest pyproject.toml that has one, from its folder up)")
    add("--jobs", type=_count, default=os.cpu_count() or 1, metavar="N",
        help="processes to check files with (default: number of CPUs)")
    add("--timeout", type=_seconds, default=60.0, metavar="SECONDS",
        help="a file whose analysis takes longer gets HDL000 (default: 60)")
    add("--max-memory", type=_count, default=None, metavar="MB",
        help="address space each worker process may use; a file that needs more gets "
             "HDL000 (default: no limit)")
    add("--force", action="store_true",
        help="analyse every file, even one that mentions no tracked name")
    add("--no-cache", action="store_true",
        help="neither read nor write the project's cache folder")
    add("--summary", action="store_true",
        help="print the summary line on stderr even when stderr is not a terminal")
    add("--quiet", "-q", action="store_true",
        help="print no summary line, statistics or warnings")
    add("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _error(message: str) -> int:
    print(f"handlelint: error: {message}", file=sys.stderr)
    return 2


def read_config(paths: Sequence[str], explicit: str | None) -> Config:
    """The ``--config`` file's settings, or those found from the first path upward: the
    run's own settings (its baseline); each file is checked with its own
    (:mod:`handlelint.settings`)."""
    if explicit is not None:
        if not os.path.isfile(explicit):
            raise ConfigError(explicit, "no such file")
        return load_config(explicit)
    return discover_config(paths[0])


class _ProgressLine:
    """``files done of total`` on a terminal, after the first seconds; erased at the end."""

    def __init__(self, stream: TextIO, start: float) -> None:
        self.stream = stream
        self.start = start
        self.shown = False
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.start < PROGRESS_AFTER or now - self.last < 0.1:
            return
        self.last = now
        self.shown = True
        self.stream.write(f"\rhandlelint: {done} of {total} files checked")
        self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        stop_analysis_threads()
        sys.stdout.flush()
        print("handlelint: interrupted", file=sys.stderr)
        return INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    start = time.perf_counter()
    args = build_parser().parse_args(argv)
    paths: list[str] = args.paths
    from_stdin = STDIN in paths
    if from_stdin and len(paths) > 1:
        return _error("the path - (stdin) cannot be given with other paths")
    if args.stdin_filename is not None and not from_stdin:
        return _error("--stdin-filename needs the path - (stdin)")
    shown = (args.stdin_filename or "stdin") if from_stdin else ""
    absent = [] if from_stdin else missing(paths)
    if absent:
        for path in absent:
            _error(f"no such file or directory: {path}")
        return 2
    try:
        config = read_config([shown] if from_stdin else paths, args.config)
    except ConfigError as exc:
        return _error(str(exc))
    settings = Settings(config if args.config is not None else None, no_cache=args.no_cache,
                        select=args.select, ignore=args.ignore)
    baseline_path = args.baseline
    if baseline_path is None and config.baseline:
        baseline_path = os.path.join(config.root, config.baseline)
    baseline: Baseline | None = None
    if baseline_path is not None and args.write_baseline is None:
        try:
            baseline = load_baseline(baseline_path)
        except BaselineError as exc:
            return _error(str(exc))
    places = args.format == "sarif" or baseline is not None or args.write_baseline is not None
    warn = (lambda text: None) if args.quiet else _warn
    data: list[bytes | None] | None = None
    try:
        if from_stdin:
            files = [] if settings.excluded(shown) else [shown]
            data = [sys.stdin.buffer.read()] if files else None
        else:
            files = discover(paths, settings.excluded, warn)
        groups = [(Options(settings.selection(own), args.force, args.explain, own,
                           args.timeout, places, args.max_memory), indexes)
                  for own, indexes in settings.groups(files)]
    except ConfigError as exc:
        return _error(str(exc))
    progress = _ProgressLine(sys.stderr, start) if _isatty(sys.stderr) else None
    try:
        result = _run_groups(files, groups, args.jobs, data, progress)
    finally:
        if progress is not None:
            progress.clear()
    if args.write_baseline is not None:
        try:
            write_baseline(args.write_baseline, result.reports)
        except OSError as exc:
            return _error(f"cannot write {args.write_baseline}: {exc.strerror or exc}")
        if not args.quiet:
            print(f"handlelint: {_plural(len(result.reports), 'finding')} recorded in "
                  f"{args.write_baseline}", file=sys.stderr)
        return 0
    reports = result.reports
    if baseline is not None:
        reports = baseline.filter(reports)
        result = result._replace(reports=reports)
    try:
        _write(args, reports)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        return _error(f"cannot write {args.output_file}: {exc.strerror or exc}")
    if not args.quiet:
        sys.stdout.flush()
        if args.statistics:
            for line in statistics_lines(reports):
                print(line, file=sys.stderr)
        if args.summary or _isatty(sys.stderr):
            print(summary_line(result, time.perf_counter() - start, baseline), file=sys.stderr)
    return 1 if reports and not args.exit_zero else 0


def _write(args: argparse.Namespace, reports: list[Report]) -> None:
    writer = WRITERS[args.format]
    if args.output_file is None:
        writer(reports, sys.stdout, args.explain)
        return
    with open(args.output_file, "w", encoding="utf-8", newline="\n") as out:
        writer(reports, out, args.explain)


def _warn(message: str) -> None:
    print(f"handlelint: warning: {message}", file=sys.stderr)


def run() -> None:
    """The console script: ``raise SystemExit(main())``."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``handlelint | head``). As the Python docs advise, point
        # stdout at devnull so the interpreter's final flush does not fail again.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        status = 1
    raise SystemExit(status)
