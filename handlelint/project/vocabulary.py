"""The words that make a file of a project worth parsing: names its handle code defines.

In project mode a file may mention no tracked name and still call a wrapper of another
module that hands out a handle (``self._utils.open_cluster()``). The prefilter then
asks this vocabulary too: the names of the functions and classes defined in the files
that pass the plain prefilter, and, to a fixpoint, in the files that mention one of
those names (wrappers of wrappers). It is computed from the text alone, once per
project and run: every ``*.py`` file of the project is read, none is parsed. A file
that mentions none of these words is still never parsed. Dunder names (``__init__``)
are left out: every class defines them.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import Callable, Iterator, Optional

from handlelint.files import skip_dir

_DEF = re.compile(rb"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.MULTILINE)
_WORD = re.compile(rb"\w+")
_VOCABULARIES: dict[tuple[str, str], frozenset[bytes]] = {}
_USED: dict[str, frozenset[bytes]] = {}
_TEXTS: dict[str, dict[str, bytes]] = {}
_STAMPS: dict[str, tuple[int, int]] = {}


def _python_files(root: str) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not skip_dir(dirpath, d)
                             and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def _texts(root: str) -> dict[str, bytes]:
    """The text of every ``*.py`` file of the project by path, read once per root and
    run (the project's analysis of a module reads it from here too)."""
    found = _TEXTS.get(root)
    if found is None:
        found = _TEXTS[root] = {}
        for path in _python_files(root):
            try:
                with open(path, "rb") as stream:
                    found[path] = stream.read()
                    _STAMPS[path] = _stamp(stream.fileno())
            except OSError:
                continue
    return found


def _stamp(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_mtime_ns, info.st_size


def text_of(root: str, path: str) -> Optional[bytes]:
    """The text of ``path`` if the vocabulary of its project read it already and the
    file has not changed since (same modification time and size)."""
    texts = _TEXTS.get(root)
    data = texts.get(path) if texts is not None else None
    if data is None:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return data if _STAMPS.get(path) == (info.st_mtime_ns, info.st_size) else None


def _defined(data: bytes) -> set[bytes]:
    return {name for name in _DEF.findall(data) if not name.startswith(b"__")}


def vocabulary(root: str, settings: str, relevant: Callable[[bytes], bool]) -> frozenset[bytes]:
    """The project's words (see the module docstring); ``relevant`` is the plain prefilter."""
    key = (root, settings)
    found = _VOCABULARIES.get(key)
    if found is not None:
        return found
    words: set[bytes] = set()
    pending: list[tuple[bytes, set[bytes]]] = []
    for data in _texts(root).values():
        if relevant(data):
            words |= _defined(data)
        else:
            pending.append((data, set(_WORD.findall(data))))
    changed = True
    while changed and pending:
        changed = False
        rest = []
        for data, mentioned in pending:
            if mentioned & words:
                words |= _defined(data)
                changed = True
            else:
                rest.append((data, mentioned))
        pending = rest
    result = _VOCABULARIES[key] = frozenset(words)
    return result


def used_words(root: str) -> frozenset[bytes]:
    """The identifiers the project's files mention other than where they define them
    (more occurrences than ``def``/``class`` lines naming them): the names of functions
    that something may call (once per root and run)."""
    found = _USED.get(root)
    if found is None:
        counts: Counter[bytes] = Counter()
        for data in _texts(root).values():
            counts.update(_WORD.findall(data))
            counts.subtract(_DEF.findall(data))
        found = _USED[root] = frozenset(word for word, n in counts.items() if n > 0)
    return found


def mentions(data: bytes, words: frozenset[bytes]) -> bool:
    """Does ``data`` mention one of ``words`` as a whole identifier?"""
    return bool(words) and not words.isdisjoint(_WORD.findall(data))
