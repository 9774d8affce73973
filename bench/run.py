"""Print the Performance ratios of the README, measured in one run, A and B alternated.

    python bench/run.py            # full run (a few minutes)
    python bench/run.py --quick    # smaller inputs, fewer rounds

Each ratio is the median over rounds of A/B, where every round runs A then B (A B A B
...), so slow drift of the machine hits both sides alike. See bench/README.md for what
exactly each side measures.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

import libcst  # noqa: E402

from handlelint import __version__ as handlelint_version  # noqa: E402
from handlelint.cli import Options, check_files  # noqa: E402
from handlelint.engine import check_source  # noqa: E402

FLAKE8_WRAPPER = HERE / "_flake8.py"


def alternate(a: Callable[[], float], b: Callable[[], float],
              rounds: int) -> tuple[float, float, float]:
    """Run A then B ``rounds`` times; (median A/B per round, median A, median B)."""
    ta: list[float] = []
    tb: list[float] = []
    for _ in range(rounds):
        ta.append(a())
        tb.append(b())
    ratios = [x / y for x, y in zip(ta, tb)]
    return statistics.median(ratios), statistics.median(ta), statistics.median(tb)


def timed(fn: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        gc.collect()
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    return run


def count_lines(paths: list[str]) -> int:
    total = 0
    for p in paths:
        with open(p, "rb") as fh:
            total += fh.read().count(b"\n")
    return total


# --- 1. flake8 with / without the plugin ------------------------------------------------


def flake8_cmd(files: list[str], with_plugin: bool) -> list[str]:
    cmd = [sys.executable, str(FLAKE8_WRAPPER)]
    if not with_plugin:
        cmd.append("--without-handlelint")
    return cmd + ["--isolated", "-j1", "--select=E,F,W,HDL", *files]


def check_flake8_sides(tmp: Path) -> None:
    """Make sure the two sides differ exactly by the plugin."""
    leak = tmp / "leak_probe.py"
    leak.write_text("import ctypes\nclusapi = ctypes.windll.clusapi\n\n\ndef f():\n"
                    "    h = clusapi.OpenCluster(None)\n    return 1\n")
    with_out = subprocess.run(flake8_cmd([str(leak)], True), capture_output=True,
                              text=True).stdout
    without_out = subprocess.run(flake8_cmd([str(leak)], False), capture_output=True,
                                 text=True).stdout
    if "HDL001" not in with_out or "HDL" in without_out:
        raise SystemExit(f"flake8 sides are not what they should be:\n"
                         f"with: {with_out!r}\nwithout: {without_out!r}")


def copy_out(files: list[str], folder: Path) -> list[str]:
    """Copies of ``files`` in ``folder``, out of any project: an interpreter installed in
    a git checkout (pyenv) would otherwise make its whole library one project, whose
    vocabulary the plugin reads (see bench/README.md)."""
    folder.mkdir()
    copies = []
    for i, path in enumerate(files):
        copy = folder / f"m{i:03d}_{Path(path).name}"
        copy.write_bytes(Path(path).read_bytes())
        copies.append(str(copy))
    return copies


def bench_flake8(files: list[str], rounds: int) -> tuple[float, float, float]:
    def side(with_plugin: bool) -> Callable[[], object]:
        cmd = flake8_cmd(files, with_plugin)
        return lambda: subprocess.run(cmd, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
    return alternate(timed(side(True)), timed(side(False)), rounds)


# --- 2. handlelint on the dense corpus / bare libcst parse --------------------------------


def bench_dense(paths: list[str], rounds: int) -> tuple[float, float, float, int]:
    options = Options()
    reports = check_files(paths, options, jobs=1)

    def lint() -> None:
        check_files(paths, options, jobs=1)

    def parse() -> None:
        for p in paths:
            with open(p, "rb") as fh:
                libcst.parse_module(fh.read())

    ratio, ta, tb = alternate(timed(lint), timed(parse), rounds)
    return ratio, ta, tb, len(reports)


def bench_dense_by_file(paths: list[str], rounds: int) -> float:
    """The same ratio with the two sides alternated file by file (A B on each file, then
    the next): a slow drift of the machine over a round then hits both sides alike. Each
    file is checked by its own ``check_files`` call, whose set-up is paid per file here
    (once per run for the command line), so this side is if anything overstated."""
    options = Options()
    data = [Path(p).read_bytes() for p in paths]
    ratios = []
    for _ in range(rounds):
        gc.collect()
        lint = parse = 0.0
        for path, source in zip(paths, data):
            start = time.perf_counter()
            check_files([path], options, jobs=1)
            lint += time.perf_counter() - start
            start = time.perf_counter()
            libcst.parse_module(source)
            parse += time.perf_counter() - start
        ratios.append(lint / parse)
    return statistics.median(ratios)


# --- 3. one function, 2,000 branches / 250 -------------------------------------------------


def bench_branches(big: int, small: int, rounds: int
                   ) -> tuple[float, float, float, int, float, float]:
    """The whole ratio, then libcst's own parse ratio and the ratio without the parse."""
    big_src = corpus.branches_function(big)
    small_src = corpus.branches_function(small)
    findings = len(check_source(big_src, force=True)) + len(check_source(small_src, force=True))
    ratio, ta, tb = alternate(timed(lambda: check_source(big_src, force=True)),
                              timed(lambda: check_source(small_src, force=True)), rounds)
    parse_ratio, pa, pb = alternate(timed(lambda: libcst.parse_module(big_src)),
                                    timed(lambda: libcst.parse_module(small_src)), rounds)
    return ratio, ta, tb, findings, parse_ratio, (ta - pa) / (tb - pb)


# --- 4. peak RSS: handlelint --jobs 1 --force / bare libcst parse ----------------------------

PEAK = """
import sys


def peak_rss_kib():
    # VmHWM is this process's own peak; on Linux ru_maxrss also keeps the peak of the
    # process image exec replaced (the big benchmark parent), so it is only a fallback.
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss
"""

RSS_LINT = PEAK + """
import contextlib, io, sys
from handlelint.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    status = main([sys.argv[1], "--jobs", "1", "--force"])
print(peak_rss_kib(), status, len(out.getvalue().splitlines()))
"""

RSS_PARSE = PEAK + """
import sys
import libcst
with open(sys.argv[1], "rb") as fh:
    libcst.parse_module(fh.read())
print(peak_rss_kib(), 0, 0)
"""

RSS_IMPORT = PEAK + """
import libcst
print(peak_rss_kib(), 0, 0)
"""


def child_rss(script: str, path: str) -> tuple[float, int, int]:
    """Peak RSS in MB of a fresh interpreter running ``script`` on ``path``."""
    proc = subprocess.run([sys.executable, "-c", script, path], capture_output=True,
                          text=True, check=True)
    rss, status, lines = proc.stdout.split()
    return int(rss) / 1024, int(status), int(lines)


def bench_rss(path: str, rounds: int) -> tuple[float, float, float, float, str]:
    _, status, lines = child_rss(RSS_LINT, path)
    ratio, a, b = alternate(lambda: child_rss(RSS_LINT, path)[0],
                            lambda: child_rss(RSS_PARSE, path)[0], rounds)
    base = statistics.median(child_rss(RSS_IMPORT, path)[0] for _ in range(rounds))
    return ratio, a, b, base, f"exit {status}, {lines} lines printed"


# --- 5. the prefilter on 20 MB of "cluster" words / reading the file ------------------------


def cluster_words_file(path: Path, size: int = 20_000_000) -> int:
    """Write ``size`` bytes of code full of the word "cluster"; how many it holds."""
    line = b"    state = cluster_state(cluster, 'cluster', cluster.id)  # the cluster\n"
    data = line * (size // len(line))
    path.write_bytes(data)
    return data.count(b"cluster")


def bench_prefilter(path: Path, rounds: int) -> tuple[float, float, float, bool]:
    """The prefilter's question on the file / reading it (what the command line does)."""
    from handlelint.config import Config
    from handlelint.engine import passes_prefilter

    config = Config()
    data = path.read_bytes()
    passed = passes_prefilter(data, config)
    ratio, a, b = alternate(timed(lambda: passes_prefilter(data, config)),
                            timed(path.read_bytes), max(rounds, 5))
    return ratio, a, b, passed


#: Other texts the prefilter must read in linear time, each line repeated to the size:
#: capitalised words (every step runs, the identifiers are compared as a set), lines that
#: name "win" without importing a module, and one line of two million ``import`` words.
PREFILTER_SHAPES = {
    "capitalised 'Cluster' words":
        b"    state = Cluster_State(Cluster, 'Cluster', Cluster.Id)  # the Cluster\n",
    "'win' on every line, no import": b"    w = twin(Wrap, 'win', Pywin.Id)  # the Cluster\n",
    "one line of 'import' words": b"import x ",
}


def bench_prefilter_shapes(tmp: Path, rounds: int, size: int = 20_000_000
                           ) -> list[tuple[str, float, float]]:
    """For each of :data:`PREFILTER_SHAPES`: (name, prefilter / read at ``size`` bytes,
    prefilter at ``size`` / at ``size // 8``)."""
    from handlelint.config import Config
    from handlelint.engine import passes_prefilter

    config = Config()
    out = []
    for name, line in PREFILTER_SHAPES.items():
        times = []
        for n in (size, size // 8):
            path = tmp / f"shape_{n}.py"
            data = line * (n // len(line))
            path.write_bytes(data + (b"\n" if not data.endswith(b"\n") else b""))
            data = path.read_bytes()
            ratio, a, _ = alternate(timed(lambda: passes_prefilter(data, config)),
                                    timed(path.read_bytes), max(rounds, 5))
            times.append((ratio, a))
        out.append((name, times[0][0], times[0][1] / times[1][1]))
    return out


# --- main ---------------------------------------------------------------------------------


def verdict(value: float, goal: float) -> str:
    return "meets" if value <= goal else "MISSES"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, 3 rounds")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per ratio")
    parser.add_argument("--only", default="12345", help="which ratios to measure, e.g. 13")
    parser.add_argument("--in-place", action="store_true",
                        help="ratio 1 on the standard library where it is installed (inside "
                             "whatever project holds it) instead of a copy out of any project")
    args = parser.parse_args(argv)

    rounds = args.rounds or (3 if args.quick else 5)
    n_stdlib = 40 if args.quick else 120
    n_dense = 10 if args.quick else 40
    big, small = (1000, 125) if args.quick else (2000, 250)

    print("machine:", platform.platform(), "|", platform.machine(), "|",
          f"{os.cpu_count()} CPUs |", f"Python {platform.python_version()}",
          f"({platform.python_implementation()}) |", f"libcst {libcst_version()} |",
          f"handlelint {handlelint_version}")
    print(f"mode: {'quick' if args.quick else 'full'}, {rounds} rounds per ratio, A B A B, "
          "median of per-round A/B")
    print()
    results: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="handlelint-bench-") as tmpdir:
        tmp = Path(tmpdir)

        if "1" in args.only:
            files = corpus.stdlib_sample(n_stdlib)
            if not args.in_place:
                files = copy_out(files, tmp / "stdlib")
            check_flake8_sides(tmp)
            r, a, b = bench_flake8(files, rounds)
            print(f"1. flake8 -j1 with plugin / without, {len(files)} stdlib modules "
                  f"({count_lines(files)} lines): {a:.2f} s / {b:.2f} s")
            results.append(("flake8 with plugin / without", r, 1.03))

        if "2" in args.only:
            paths = corpus.dense_corpus(tmp / "dense", files=n_dense, lines=500)
            r, a, b, n = bench_dense(paths, rounds)
            lines = count_lines(paths)
            print(f"2. handlelint --jobs 1 / libcst.parse_module, dense corpus {len(paths)} files, "
                  f"{lines} lines: {a:.2f} s / {b:.2f} s ({lines / b:.0f} lines/s parsed; "
                  f"{n} findings, expected 0)")
            results.append(("handlelint / bare libcst parse (dense)", r, 1.5))
            by_file = bench_dense_by_file(paths, rounds)
            print(f"   the same alternated file by file: {by_file:.3f}")
            results.append(("the same, alternated file by file", by_file, 1.5))

        if "3" in args.only:
            r, a, b, n, parse_r, analysis_r = bench_branches(big, small, rounds)
            print(f"3. one function, {big} branches / {small}: {a:.2f} s / {b:.2f} s "
                  f"(linear would be {big / small:.0f}; {n} findings, expected 0); "
                  f"libcst's own parse alone: {parse_r:.1f}; without the parse: {analysis_r:.1f}")
            goal = 10.0 * (big / small) / 8
            results.append((f"{big} branches / {small}", r, goal))
            results.append((f"{big} branches / {small}, analysis minus parse", analysis_r, goal))

        if "4" in args.only:
            path = corpus.largest_stdlib_module()
            r, a, b, base, note = bench_rss(path, rounds)
            print(f"4. peak RSS handlelint --jobs 1 --force / libcst parse, "
                  f"{os.path.basename(path)} ({count_lines([path])} lines): "
                  f"{a:.0f} MB / {b:.0f} MB (import libcst alone: {base:.0f} MB; "
                  f"handlelint {note})")
            results.append(("peak RSS handlelint / bare parse", r, 3.0))

        if "5" in args.only:
            big_file = tmp / "cluster_words.py"
            words = cluster_words_file(big_file)
            r, a, b, passed = bench_prefilter(big_file, rounds)
            print(f"5. prefilter / reading the file, 20 MB holding {words} \"cluster\" words: "
                  f"{a * 1000:.1f} ms / {b * 1000:.1f} ms (passes: {passed}, expected False)")
            results.append(("prefilter / read, 20 MB of 'cluster'", r, 3.0))
            for name, ratio, growth in bench_prefilter_shapes(tmp, rounds):
                print(f"   20 MB of {name}: prefilter / read {ratio:.1f}, "
                      f"20 MB / 2.5 MB {growth:.1f} (linear is 8)")

    print()
    print("ratios:")
    for name, value, goal in results:
        print(f"  {name:<42} {value:6.3f}   goal <= {goal:g}   {verdict(value, goal)}")
    return 0


def libcst_version() -> str:
    try:
        from importlib.metadata import version
        return version("libcst")
    except Exception:  # pragma: no cover
        return "?"


if __name__ == "__main__":
    raise SystemExit(main())
