"""The flake8 plugin in a big checkout: what the project model reads per process.

    python bench/checkout.py                 # 3 rounds, 3000 other files
    python bench/checkout.py --rounds 1 --others 1500

Generates one git-like checkout (a ``.git`` folder at its root, so that the whole tree
is one project) holding the 200-module project of ``bench/project.py`` under ``pkg/``
and ``--others`` modules with no handle code under ``vendor/`` (about 150 lines each,
importing one another in chains, like a large library). Two flake8 runs, each with the
plugin and without it (``bench/_flake8.py --without-handlelint``), alternated, medians:

* **others**: 120 of the ``vendor/`` modules: none mentions a tracked name, so the
  plugin should cost next to nothing, however big the checkout;
* **project**: 120 modules of ``pkg/`` (the wrappers and their users): the plugin
  analyses the files that use the wrappers, reading the modules they import.

flake8 runs with ``-j1`` (one process: what one process reads is what is measured)
from the checkout's root, ``--isolated --select=E,F,W,HDL``. Wall-clock seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from project import generate  # noqa: E402

CHECKED = 120


def _other(i: int, others: int) -> str:
    imports = "\n".join(f"from vendor.lib{(i + k) % others} import helper{(i + k) % others}"
                        for k in (1, 2, 3))
    funcs = "\n\n\n".join(
        f"def helper{i}_{k}(items, scale={k}):\n"
        f"    \"\"\"Helper {k} of module {i}.\"\"\"\n"
        f"    total = 0\n"
        f"    for item in items:\n"
        f"        if item % {k + 2}:\n"
        f"            total += item * scale\n"
        f"        else:\n"
        f"            total -= helper{(i + 1) % others}([item])\n"
        f"    return total" for k in range(14))
    return (f'"""Vendor module {i}."""\n\n{imports}\n\n\n'
            f"def helper{i}(items):\n    return sum(items)\n\n\n{funcs}\n")


def make_checkout(root: Path, others: int) -> tuple[list[str], list[str]]:
    """The checkout under ``root``: the 120 vendor files and the 120 project files checked."""
    (root / ".git").mkdir(parents=True)
    files = generate(root)
    vendor = root / "vendor"
    vendor.mkdir()
    (vendor / "__init__.py").write_text("", "utf-8")
    for i in range(others):
        (vendor / f"lib{i}.py").write_text(_other(i, others), "utf-8")
    step = max(1, others // CHECKED)
    checked_others = [f"vendor/lib{i}.py" for i in range(0, others, step)][:CHECKED]
    wanted = [os.path.relpath(p, root) for p in files
              if "/wrap" in p or "/use" in p][:CHECKED]
    return checked_others, wanted


def _flake8(files: list[str], root: Path, plugin: bool) -> float:
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_flake8.py")
    cmd = [sys.executable, script, "--isolated", "-j1", "--select=E,F,W,HDL", *files]
    if not plugin:
        cmd.insert(2, "--without-handlelint")
    start = time.perf_counter()
    subprocess.run(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--others", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "checkout"
        others, project = make_checkout(root, args.others)
        print(f"checkout: {args.others + 202} modules; python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
        for label, files in (("others", others), ("project", project)):
            with_times, without_times = [], []
            for _ in range(args.rounds):
                with_times.append(_flake8(files, root, True))
                without_times.append(_flake8(files, root, False))
            with_s, without_s = statistics.median(with_times), statistics.median(without_times)
            print(f"{label}: {len(files)} files, flake8 with the plugin {with_s:.2f} s, "
                  f"without {without_s:.2f} s, ratio {with_s / without_s:.2f}")


if __name__ == "__main__":
    main()
