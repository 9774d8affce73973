"""The scaling table: each shape of ``bench/shapes.py`` at n and 8 n, time and peak memory.

    python bench/scaling.py [--rounds 3] [--only SUBSTRING] [--factor 8]

Every measurement runs ``handlelint.engine.check_source`` in a fresh interpreter (so
peak memory is that input's own), the two sizes alternated (n, 8n, n, 8n, ...); the
table shows medians of the per-round ratios. Time is the analysis alone (the source is
generated and libcst imported before the clock starts); peak memory is the child's
``VmHWM`` (its own peak resident set, including the interpreter and libcst). Linear
growth is 8. The child then times a bare ``libcst.parse_module`` of the same text, with
the cyclic garbage collector paused as the analysis pauses it: the column "libcst's
parse alone" is that parse's own ratio, and "without libcst's parse" the ratio of the
analysis time minus that parse, since libcst's own parse of one long function grows
faster than its length (the input's bytes grow by the "bytes" column).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import shapes  # noqa: E402

CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
import shapes
from handlelint.engine import check_source
import handlelint.analysis  # libcst is imported here, before the clock starts
generate, _, force = shapes.SHAPES[sys.argv[2]]
source = generate(int(sys.argv[3]))
start = time.perf_counter()
findings = check_source(source, "<shape>", force=force)
elapsed = time.perf_counter() - start
peak = 0
with open("/proc/self/status") as fh:
    for line in fh:
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1])
import gc, libcst
gc.disable()  # as during the analysis (handlelint.analysis.analyse)
start = time.perf_counter()
libcst.parse_module(source)
parse = time.perf_counter() - start
gc.enable()
codes = sorted({f.code for f in findings})
print(elapsed, parse, peak, ",".join(codes) or "-", len(source.encode()))
"""


def measure(shape: str, n: int) -> tuple[float, float, str, float, float, int]:
    """(seconds, peak MB, codes found, seconds without libcst's parse, seconds of the
    bare parse, bytes of the input) of one fresh run."""
    proc = subprocess.run([sys.executable, "-c", CHILD, str(HERE), shape, str(n)],
                          capture_output=True, text=True, check=True)
    elapsed, parse, peak, codes, size = proc.stdout.split()
    return (float(elapsed), int(peak) / 1024, codes, float(elapsed) - float(parse),
            float(parse), int(size))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--factor", type=int, default=8)
    parser.add_argument("--only", default="", help="shapes whose name holds this text")
    args = parser.parse_args(argv)
    print(f"| shape | n -> {args.factor}n | time at n | time at {args.factor}n | time ratio "
          f"| bytes | libcst's parse alone | without libcst's parse | peak at n "
          f"| peak at {args.factor}n | memory ratio | findings at {args.factor}n |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for shape, (_, n, force) in shapes.SHAPES.items():
        if args.only not in shape:
            continue
        big = n * args.factor
        small_runs, big_runs = [], []
        for _ in range(args.rounds):
            small_runs.append(measure(shape, n))
            big_runs.append(measure(shape, big))
        t_ratio = statistics.median(b[0] / s[0] for s, b in zip(small_runs, big_runs))
        m_ratio = statistics.median(b[1] / s[1] for s, b in zip(small_runs, big_runs))
        a_ratio = statistics.median(b[3] / max(s[3], 1e-6)
                                    for s, b in zip(small_runs, big_runs))
        p_ratio = statistics.median(b[4] / max(s[4], 1e-6)
                                    for s, b in zip(small_runs, big_runs))
        bytes_ratio = big_runs[0][5] / small_runs[0][5]
        print(f"| {shape} | {n} -> {big} | {statistics.median(s[0] for s in small_runs):.2f} s "
              f"| {statistics.median(b[0] for b in big_runs):.2f} s | {t_ratio:.1f} "
              f"| {bytes_ratio:.1f} | {p_ratio:.1f} | {a_ratio:.1f} "
              f"| {statistics.median(s[1] for s in small_runs):.0f} MB "
              f"| {statistics.median(b[1] for b in big_runs):.0f} MB | {m_ratio:.1f} "
              f"| {big_runs[-1][2]} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
