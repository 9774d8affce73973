"""The project model's cost: a generated project of 200 modules, wrappers in other modules.

    python bench/project.py            # 5 rounds
    python bench/project.py --rounds 3

The project (generated into a temporary folder) has 80 wrapper modules (a class whose
methods open and close cluster handles through a call-through helper), 80 user modules
that import a wrapper class and call it (mentioning no clusapi name at all), and 40
modules that touch no handle code. Three sides, alternated in one process, medians:

* **per file**: each file the project run parses, analysed alone (no project: calls
  into other modules are unknown), the way a per-file linter would: read, decoded and
  analysed in the analysis thread with a large stack that ``check_source`` runs every
  file in (so both sides pay for reading the files and for the thread);
* **project, cache cold**: a new run (no memory of earlier runs, an empty cache folder)
  checking every file with ``check_source(data, path)``: prefilter with the project
  vocabulary, each module analysed once, summaries shared, the cache written;
* **project, cache warm**: a new run over the same files with the cache folder full.

The goals: cold <= 1.3 x per file, warm <= 0.3 x per file; and the 40 files that
mention no handle name and call no handle code are never parsed.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from handlelint.analysis import analyse
from handlelint.config import Config
from handlelint.engine import check_source, passes_prefilter, table_for_source
from handlelint.project import layout, store, vocabulary
from handlelint.source import decode, run_with_big_stack

WRAPPERS, USERS, PLAIN = 80, 80, 40


def _wrapper(i: int) -> str:
    return f'''"""Wrapper {i}."""
from pkg._dll import clusapi


class Utils{i}:
    def _run(self, func, *args):
        result = func(*args)
        if not result:
            raise OSError("call failed")
        return result

    def open_cluster(self, name=None):
        return self._run(clusapi.OpenCluster, name)

    def open_group(self, hc, name):
        return self._run(clusapi.OpenClusterGroup, hc, name)

    def close_cluster(self, hc):
        clusapi.CloseCluster(hc)

    def close_group(self, hg):
        clusapi.CloseClusterGroup(hg)

    def group_state(self, hg):
        return clusapi.GetClusterGroupState(hg, None, None)
'''


def _user(i: int) -> str:
    w = i % WRAPPERS
    return f'''"""User {i}."""
from pkg.wrap{w} import Utils{w}


class Ops{i}:
    def __init__(self):
        self._utils = Utils{w}()

    def state(self, name):
        hc = self._utils.open_cluster()
        try:
            hg = self._utils.open_group(hc, name)
            try:
                return self._utils.group_state(hg)
            finally:
                self._utils.close_group(hg)
        finally:
            self._utils.close_cluster(hc)

    def leaky(self, name):
        hc = self._utils.open_cluster()
        if name:
            return None
        self._utils.close_cluster(hc)
        return name

    def count(self, items):
        total = 0
        for item in items:
            if item % 2:
                total += item
        return total
'''


def _plain(i: int) -> str:
    body = "\n\n".join(f"def f{i}_{k}(x):\n    return [y * {k} for y in range(x)]"
                       for k in range(12))
    return f'"""Plain {i}."""\n\n\n{body}\n'


def generate(root: Path) -> list[str]:
    """Write the project under ``root``; its files in sorted order."""
    pkg = root / "pkg"
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n", "utf-8")
    (pkg / "__init__.py").write_text("", "utf-8")
    (pkg / "_dll.py").write_text("import ctypes\n\nclusapi = ctypes.windll.clusapi\n", "utf-8")
    for i in range(WRAPPERS):
        (pkg / f"wrap{i}.py").write_text(_wrapper(i), "utf-8")
    for i in range(USERS):
        (pkg / f"use{i}.py").write_text(_user(i), "utf-8")
    for i in range(PLAIN):
        (pkg / f"plain{i}.py").write_text(_plain(i), "utf-8")
    return sorted(str(p) for p in pkg.glob("*.py"))


def _new_run() -> None:
    store._PROJECTS.clear()
    layout._LAYOUTS.clear()
    vocabulary.clear()


def project_run(files: list[str], config: Config) -> tuple[float, int, int]:
    """Seconds, findings and files parsed (not skipped by the prefilter)."""
    _new_run()
    start = time.process_time()
    findings = parsed = 0
    for path in files:
        with open(path, "rb") as stream:
            data = stream.read()
        if not passes_prefilter(data, config, path):
            continue
        parsed += 1
        findings += len(check_source(data, path, config))
    return time.process_time() - start, findings, parsed


def per_file_run(paths: list[str], config: Config) -> float:
    """Seconds to read, decode and analyse each of ``paths`` alone."""
    start = time.process_time()
    for path in paths:
        with open(path, "rb") as stream:
            data = stream.read()
        # The table check_source would use for this text (the Win32 packs only for a
        # file that names one of their DLLs).
        table = table_for_source(config, data)
        text = decode(data)
        run_with_big_stack(lambda: analyse(text, table, config, False, False))
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    config = Config()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench_project"
        files = generate(root)
        cache = root / ".handlelint_cache"
        _, findings, parsed = project_run(files, Config(use_cache=False))
        wanted = [p for p in files if passes_prefilter(Path(p).read_bytes(), config, p)]
        print(f"{len(files)} files, {parsed} parsed, {findings} findings "
              f"(expected {USERS} leaks); python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
        cold_ratios, warm_ratios = [], []
        gc.collect()
        for _ in range(args.rounds):
            shutil.rmtree(cache, ignore_errors=True)
            cold = project_run(files, config)[0]
            base = per_file_run(wanted, config)
            warm = project_run(files, config)[0]
            cold_ratios.append(cold / base)
            warm_ratios.append(warm / base)
            print(f"  per file {base:.3f} s, cold {cold:.3f} s, warm {warm:.3f} s")
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
        print(f"project cold / per file: {statistics.median(cold_ratios):.2f} (goal <= 1.3)")
        print(f"project warm / per file: {statistics.median(warm_ratios):.2f} (goal <= 0.3)")


if __name__ == "__main__":
    main()
