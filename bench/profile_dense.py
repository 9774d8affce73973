"""Where the time goes on the dense corpus: by phases, or cProfile's top entries.

    python bench/profile_dense.py [--files 40]              # phases, x one libcst parse
    python bench/profile_dense.py --cprofile [--sort tottime] [--top 25]

``--phases`` (the default) times each phase of the pipeline without a profiler (whose
overhead would distort the small functions): the engine's phase functions are wrapped
for the run with a timer that charges each call's time to its phase minus the time of
the phases nested in it (the summaries build and solve CFGs, which count as CFG and
solving). Each file is read and checked as ``handlelint --jobs 1`` does
(:func:`handlelint.checking.check_file`), and the phases are printed as a fraction of a
bare ``libcst.parse_module`` of the same files, timed in the same run (rounds
alternated, the garbage collector left as the command line leaves it; medians).

``--cprofile`` runs cProfile instead; the engine runs each file's analysis in a worker
thread with a bigger stack, which cProfile (per thread) would not see from here, so the
profiler is switched on inside ``handlelint.analysis.analyse`` (wrapped for the run).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402

import libcst  # noqa: E402

import handlelint.analysis as analysis  # noqa: E402
import handlelint.checking as checking  # noqa: E402
import handlelint.engine as engine  # noqa: E402
import handlelint.lines as lines  # noqa: E402
import handlelint.positions as positions  # noqa: E402
import handlelint.source as source  # noqa: E402
import handlelint.summaries as summaries  # noqa: E402
from handlelint.attributes import AttributeCheck  # noqa: E402
from handlelint.restype import RestypeCheck  # noqa: E402

#: (phase, module object, attribute): the functions charged to each phase.
PHASES: list[tuple[str, Any, str]] = [
    ("prefilter", checking, "passes_prefilter"),
    ("decode", engine, "decode"),
    ("Python's ast parse", source, "parse_python"),
    ("Python's ast parse", positions, "parse_python"),
    ("layout scan", lines, "scan"),
    ("positions", positions, "statement_lines"),
    ("libcst parse", libcst, "parse_module"),
    ("index", analysis, "index_module"),
    ("positions", analysis, "Positions"),
    ("resolver", analysis, "Resolver"),
    ("summaries", analysis, "_summaries"),
    ("CFG building", analysis, "build_cfg"),
    ("CFG building", summaries, "build_cfg"),
    ("liveness", analysis, "live_after"),
    ("liveness", summaries, "live_after"),
    ("solving", analysis, "solve"),
    ("solving", summaries, "solve"),
    ("report", analysis, "leak_findings"),
    ("report", analysis, "choose"),
    ("HDL007 check", RestypeCheck, "findings"),
    ("HDL006 check", AttributeCheck, "unreleased"),
    ("HDL006 check", AttributeCheck, "findings"),
    ("project lookup", analysis, "project_for"),
]


class PhaseTimer:
    """Exclusive time per phase: a call's time minus that of the phases nested in it."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._stack: list[list[float]] = []  # per open call: [start, nested time]

    def wrap(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [time.perf_counter(), 0.0]
            self._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                total = time.perf_counter() - frame[0]
                self.spent[phase] = self.spent.get(phase, 0.0) + total - frame[1]
                if self._stack:
                    self._stack[-1][1] += total
        return timed


def run_phases(paths: list[str], rounds: int) -> None:
    sources = [Path(p).read_bytes() for p in paths]
    options = checking.Options()
    timer = PhaseTimer()
    originals = [(owner, name, getattr(owner, name)) for _, owner, name in PHASES]
    per_round: list[dict[str, float]] = []
    parses: list[float] = []
    totals: list[float] = []
    for _ in range(rounds):
        timer.spent = {}
        for (phase, owner, name), (_, _, fn) in zip(PHASES, originals):
            setattr(owner, name, timer.wrap(phase, fn))
        try:
            gc.collect()
            start = time.perf_counter()
            for path in paths:
                checking.check_file(path, options)
            totals.append(time.perf_counter() - start)
        finally:
            for owner, name, fn in originals:
                setattr(owner, name, fn)
        per_round.append(dict(timer.spent))
        gc.collect()
        start = time.perf_counter()
        for data in sources:
            libcst.parse_module(data)
        parses.append(time.perf_counter() - start)
    lines = sum(d.count(b"\n") for d in sources)
    parse = statistics.median(parses)
    total = statistics.median(t / p for t, p in zip(totals, parses))
    print(f"{len(paths)} files, {lines} lines, {rounds} rounds; bare libcst parse "
          f"{parse:.2f} s; whole check (timers included) {total:.2f} x parse")
    print()
    print("| phase | x one libcst parse |")
    print("|---|---|")
    names = list(dict.fromkeys(p for p, _, _ in PHASES))
    accounted = 0.0
    for name in names:
        share = statistics.median(r.get(name, 0.0) / p for r, p in zip(per_round, parses))
        accounted += share
        print(f"| {name} | {share:.2f} |")
    print(f"| everything else (reading, noqa, threads, glue) | {total - accounted:.2f} |")
    print(f"| **total** | **{total:.2f}** |")


def run_cprofile(paths: list[str], sort: str, top: int) -> None:
    sources = [Path(p).read_bytes() for p in paths]
    profiler = cProfile.Profile()
    original = analysis.analyse

    def profiled(*a, **k):  # type: ignore[no-untyped-def]
        profiler.enable()
        try:
            return original(*a, **k)
        finally:
            profiler.disable()

    analysis.analyse = profiled  # type: ignore[assignment]
    start = time.perf_counter()
    findings = 0
    try:
        for path, data in zip(paths, sources):
            findings += len(engine.check_source(data, path))
    finally:
        analysis.analyse = original  # type: ignore[assignment]
    elapsed = time.perf_counter() - start
    lines = sum(d.count(b"\n") for d in sources)
    print(f"{len(sources)} files, {lines} lines, {findings} findings, "
          f"{elapsed:.2f} s under the profiler")
    pstats.Stats(profiler).strip_dirs().sort_stats(sort).print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the phase timing")
    parser.add_argument("--cprofile", action="store_true", help="cProfile instead of phases")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="handlelint-profile-") as tmp:
        paths = corpus.dense_corpus(Path(tmp), files=args.files, lines=500)
        if args.cprofile:
            run_cprofile(paths, args.sort, args.top)
        else:
            run_phases(paths, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
