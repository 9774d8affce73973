"""The flake8 plugin in a big checkout: what the project model reads per process.

    python bench/checkout.py                 # 3 rounds, 3000 other files
    python bench/checkout.py --rounds 1 --others 1500

Generates one git-like checkout (a ``.git`` folder at its root, so that the whole tree
is one project) holding the 200-module project of ``bench/project.py`` under ``pkg/``
and ``--others`` modules with no handle code under ``vendor/``: packages of 100 modules
of about 150 lines each, each module importing three others of its package (chains that
reach the whole package), like the libraries of a monorepo. Two flake8 runs, each with the
plugin and without it (``bench/_flake8.py --without-handlelint``), alternated, medians:

* **others**: 120 of the ``vendor/`` modules: none mentions a tracked name, so the
  plugin should cost next to nothing, however big the checkout;
* **project**: 120 modules of ``pkg/`` (the wrappers and their users): the plugin
  analyses the files that use the wrappers, reading the modules they import.

flake8 runs with ``-j1`` (one process: what one process reads is what is measured)
from the checkout's root, ``--isolated --select=E,F,W,HDL``. Wall-clock seconds; then
the plugin's own work on the same files (``check_source`` on each, no cache) in a fresh
interpreter, CPU seconds: what the project model reads shows there without the noise of
whole flake8 runs.
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
#: Modules per vendor package.
PACKAGE = 100


def _other(i: int, size: int) -> str:
    """Module ``i`` of a vendor package of ``size`` modules: it imports three others of
    its package (chains that reach the whole package, not the other packages)."""
    imports = "\n".join(f"from .lib{(i + k) % size} import helper{(i + k) % size}"
                        for k in (1, 2, 3))
    funcs = "\n\n\n".join(
        f"def helper{i}_{k}(items, scale={k}):\n"
        f"    \"\"\"Helper {k} of module {i}.\"\"\"\n"
        f"    total = 0\n"
        f"    for item in items:\n"
        f"        if item % {k + 2}:\n"
        f"            total += item * scale\n"
        f"        else:\n"
        f"            total -= helper{(i + 1) % size}([item])\n"
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
    packages = max(1, others // PACKAGE)
    for p in range(packages):
        package = vendor / f"p{p}"
        package.mkdir()
        (package / "__init__.py").write_text("", "utf-8")
        for i in range(PACKAGE):
            (package / f"lib{i}.py").write_text(_other(i, PACKAGE), "utf-8")
    modules = [f"vendor/p{p}/lib{i}.py" for p in range(packages) for i in range(PACKAGE)]
    step = max(1, len(modules) // CHECKED)
    checked_others = modules[::step][:CHECKED]
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


#: What the plugin does per file, timed in a fresh interpreter (CPU seconds, imports
#: left out): flake8's own work and start-up are not in it, so the cost of what the
#: project model reads shows without the noise of two whole flake8 runs.
_PLUGIN_WORK = """
import sys, time
from handlelint.config import Config
from handlelint.engine import check_source
config = Config(use_cache=False)
start = time.process_time()
for path in sys.argv[1:]:
    with open(path, "rb") as stream:
        check_source(stream.read().decode("utf-8"), path, config, report_python_errors=False)
print(time.process_time() - start)
"""


def _plugin_work(files: list[str], root: Path) -> float:
    out = subprocess.run([sys.executable, "-c", _PLUGIN_WORK, *files], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    return float(out.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--others", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "checkout"
        others, project = make_checkout(root, args.others)
        modules = len(list(root.rglob("*.py")))
        print(f"checkout: {modules} modules; python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
        for label, files in (("others", others), ("project", project)):
            with_times, without_times = [], []
            for _ in range(args.rounds):
                with_times.append(_flake8(files, root, True))
                without_times.append(_flake8(files, root, False))
            with_s, without_s = statistics.median(with_times), statistics.median(without_times)
            work = statistics.median(_plugin_work(files, root) for _ in range(args.rounds))
            print(f"{label}: {len(files)} files, flake8 with the plugin {with_s:.2f} s, "
                  f"without {without_s:.2f} s, ratio {with_s / without_s:.2f}; the "
                  f"plugin's work alone (no cache) {work:.2f} s CPU")


if __name__ == "__main__":
    main()
