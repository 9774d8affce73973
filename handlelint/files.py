"""Which files a run checks: the named files, and the ``*.py`` files under named folders.

Folders that hold no code of the project (version control, virtual environments, build
output, caches) are not entered. A file named on the command line is checked whatever
its suffix, and a folder named on the command line is entered whatever its name.
"""

from __future__ import annotations

import os
from typing import Iterable, Iterator

#: Folder names never entered during discovery.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "build", "dist",
    "__pycache__", "node_modules",
})


def skip_dir(parent: str, name: str) -> bool:
    """True for a folder discovery does not enter."""
    if name in SKIP_DIRS or name.endswith(".egg-info"):
        return True
    # A virtual environment under any name: python -m venv writes pyvenv.cfg at its root.
    return os.path.isfile(os.path.join(parent, name, "pyvenv.cfg"))


def _walk(root: str) -> Iterator[str]:
    # os.walk does not follow symbolic links to folders, so a link cycle cannot loop.
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not skip_dir(dirpath, d))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def missing(paths: Iterable[str]) -> list[str]:
    """The paths that do not exist."""
    return [p for p in paths if not os.path.exists(p)]


def discover(paths: Iterable[str]) -> list[str]:
    """The files to check under ``paths``, each once, in the order found."""
    found: list[str] = []
    seen: set[str] = set()
    for path in paths:
        candidates = _walk(path) if os.path.isdir(path) else iter((path,))
        for candidate in candidates:
            key = os.path.normpath(candidate)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found
