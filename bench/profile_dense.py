"""cProfile over ``check_source`` on the dense corpus: the top 25 cumulative entries.

    python bench/profile_dense.py [--files 40] [--sort cumulative|tottime]

The engine runs each file's analysis in a worker thread with a bigger stack, which
cProfile's profiler (per thread) would not see from here, so the profiler is switched
on inside ``handlelint.engine._analyse`` (wrapped for the run) instead of around the call.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402

import handlelint.analysis as analysis  # noqa: E402
import handlelint.engine as engine  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="handlelint-profile-") as tmp:
        paths = corpus.dense_corpus(Path(tmp), files=args.files, lines=500)
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
    pstats.Stats(profiler).strip_dirs().sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
