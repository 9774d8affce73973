"""Run flake8, optionally with the handlelint plugin removed from its plugin list.

    python bench/_flake8.py [--without-handlelint] FLAKE8-ARGS...

``--select`` does not stop flake8 from running a plugin (flake8 runs every registered
checker and filters the results by code), so "flake8 without the plugin" has to drop
the plugin before flake8 loads it. Both sides of the benchmark run through this wrapper,
so its own cost is the same on each.
"""

from __future__ import annotations

import sys

from flake8.main.cli import main
from flake8.plugins import finder

if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--without-handlelint" in argv:
        argv.remove("--without-handlelint")
        original = finder.find_plugins

        def find_plugins(*args, **kwargs):  # type: ignore[no-untyped-def]
            return [p for p in original(*args, **kwargs) if p.package != "handlelint"]

        finder.find_plugins = find_plugins
    raise SystemExit(main(argv))
