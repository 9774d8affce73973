"""Which files a run checks: the named files, and the ``*.py`` files under named folders.

Folders that hold no code of the project (version control, virtual environments, build
output, caches) are not entered. A file named on the command line is checked whatever
its suffix, and a folder named on the command line is entered whatever its name. The
configured ``exclude`` patterns (:class:`Exclude`) apply to every path, named or found.
A folder that cannot be read, or a named folder with nothing to check, is a warning.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

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


@dataclass(frozen=True)
class Exclude:
    """Glob patterns of paths not to check, relative to the folder ``root``.

    A pattern without a slash matches any single part of a path: a folder name or the
    file name (``build``, ``*_pb2.py``). A pattern with a slash matches the path relative
    to ``root``, or a folder leading to it (``tests/fixtures``, ``src/*/generated``).
    ``*`` matches across slashes, as in :mod:`fnmatch`.
    """

    patterns: tuple[str, ...] = ()
    root: str = ""

    def __call__(self, path: str) -> bool:
        """True when ``path`` (a file or a folder) is excluded."""
        if not self.patterns:
            return False
        full = os.path.abspath(path)
        root = os.path.abspath(self.root or os.curdir)
        same_drive = os.path.splitdrive(full)[0].lower() == os.path.splitdrive(root)[0].lower()
        rel = os.path.relpath(full, root) if same_drive else full
        parts = [p for p in rel.replace(os.sep, "/").split("/") if p not in ("", ".")]
        inside = bool(parts) and parts[0] != os.pardir
        names = [p for p in parts if p != os.pardir]
        for pattern in map(_normal, self.patterns):
            if not pattern:
                continue
            if "/" not in pattern:
                if any(fnmatch.fnmatch(name, pattern) for name in names):
                    return True
            elif inside and any(fnmatch.fnmatch("/".join(parts[:n]), pattern)
                                for n in range(1, len(parts) + 1)):
                return True
        return False


def _normal(pattern: str) -> str:
    """A pattern with forward slashes, without a leading ``./`` or a trailing slash."""
    pattern = pattern.strip().replace("\\", "/")
    while pattern.startswith("./"):
        pattern = pattern[2:]
    return pattern.rstrip("/")


def _walk(root: str, excluded: Callable[[str], bool], warn: Callable[[str], None]
          ) -> Iterator[str]:
    def unreadable(exc: OSError) -> None:
        warn(f"cannot read the folder {exc.filename}: {exc.strerror or exc}")

    # os.walk does not follow symbolic links to folders, so a link cycle cannot loop.
    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames if not skip_dir(dirpath, d)
                             and not excluded(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                if not excluded(path):
                    yield path


def missing(paths: Iterable[str]) -> list[str]:
    """The paths that do not exist."""
    return [p for p in paths if not os.path.exists(p)]


def _quiet(message: str) -> None:
    del message


def discover(paths: Iterable[str], excluded: Callable[[str], bool] = Exclude(),
             warn: Callable[[str], None] = _quiet) -> list[str]:
    """The files to check under ``paths``, each once, in the order found.

    ``warn`` is told of each folder that cannot be read and of each named folder that
    holds no Python file to check.
    """
    found: list[str] = []
    seen: set[str] = set()
    for path in paths:
        if excluded(path):
            continue
        folder = os.path.isdir(path)
        candidates = _walk(path, excluded, warn) if folder else iter((path,))
        before = len(found)
        for candidate in candidates:
            key = os.path.normpath(candidate)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
        if folder and len(found) == before:
            warn(f"no Python files to check in {path}")
    return found
