"""Where a project starts and which file each module name is, as type checkers map them.

The root of a file is the nearest folder upward holding ``pyproject.toml``,
``setup.py``, ``setup.cfg`` or ``.git``. Modules are looked up under the source roots:
the configured ``source-roots`` (relative to the root, for ``src/`` layouts), else the
root itself and its ``src`` folder when there is one. A module ``a.b`` is
``<source root>/a/b.py`` or ``<source root>/a/b/__init__.py``; nothing is executed and
no installed package is consulted. :func:`layout_for` keeps one map per root and run,
shared by the prefilter's reading of imports and by the project's analysis.
"""

from __future__ import annotations

import functools
import os
from typing import Optional, Sequence

from handlelint.config import ConfigError, read_table

MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


@functools.lru_cache(maxsize=1024)
def find_root(folder: str) -> Optional[str]:
    """The nearest folder from ``folder`` upward that holds a project marker."""
    here = os.path.abspath(folder)
    while True:
        if any(os.path.exists(os.path.join(here, m)) for m in MARKERS):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


class Layout:
    """The module map of one project root (see the module docstring)."""

    def __init__(self, root: str, source_roots: Sequence[str] = ()) -> None:
        self.root = root
        if source_roots:
            roots = [os.path.normpath(os.path.join(root, r)) for r in source_roots]
        else:
            roots = [root]
            if os.path.isdir(os.path.join(root, "src")):
                roots.append(os.path.join(root, "src"))
        self.source_roots = tuple(roots)
        self._files: dict[str, Optional[str]] = {}

    def file_of(self, module: str) -> Optional[str]:
        """The file of module ``a.b``, or None when the project has none."""
        if module in self._files:
            return self._files[module]
        found = None
        parts = module.split(".")
        for base in self.source_roots:
            stem = os.path.join(base, *parts)
            for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
                if os.path.isfile(candidate):
                    found = candidate
                    break
            if found:
                break
        self._files[module] = found
        return found

    def module_of(self, path: str) -> Optional[str]:
        """The module name of the file ``path`` (the longest source root that holds it)."""
        full = os.path.abspath(path)
        best: Optional[str] = None
        for base in sorted(self.source_roots, key=len, reverse=True):
            rel = os.path.relpath(full, base)
            if rel.startswith(os.pardir) or os.path.isabs(rel):
                continue
            stem, ext = os.path.splitext(rel)
            if ext != ".py":
                return None
            parts = stem.split(os.sep)
            if parts[-1] == "__init__":
                parts.pop()
            if parts and all(p.isidentifier() for p in parts):
                best = ".".join(parts)
            break
        return best

    def is_package(self, module: str) -> bool:
        """Is ``module`` a package (its file an ``__init__.py``)?"""
        found = self.file_of(module)
        return bool(found) and os.path.basename(found or "") == "__init__.py"

    def absolute(self, importer: str, name: str, level: int) -> Optional[str]:
        """The absolute module name of ``from <level dots><name> import`` in ``importer``."""
        if level == 0:
            return name
        package = importer if self.is_package(importer) else importer.rpartition(".")[0]
        parts = package.split(".") if package else []
        if level - 1 > len(parts):
            return None
        if level > 1:
            parts = parts[:len(parts) - (level - 1)]
        base = ".".join(parts)
        if name:
            return f"{base}.{name}" if base else name
        return base or None


_LAYOUTS: dict[tuple[str, ...], Layout] = {}


def layout_for(root: str, source_roots: Sequence[str] = ()) -> Layout:
    """The module map of ``root`` (one per root and source roots in a run); without
    ``source_roots``, the project's own ``source-roots`` (:func:`own_source_roots`)."""
    key = (root, *source_roots)
    found = _LAYOUTS.get(key)
    if found is None:
        found = _LAYOUTS[key] = Layout(root, tuple(source_roots) or own_source_roots(root))
    return found


def own_source_roots(root: str) -> tuple[str, ...]:
    """The ``source-roots`` of the project's own ``pyproject.toml``, when the run's
    settings name none (the flake8 plugin's settings come from its working folder)."""
    path = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(path):
        return ()
    try:
        table = read_table(path)
    except ConfigError:
        return ()
    value = (table or {}).get("source-roots", (table or {}).get("source_roots", ()))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return ()
