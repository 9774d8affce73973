"""The words that make a file of a project worth parsing: names its imports' handle code defines.

In project mode a file may mention no tracked name and still call a wrapper of another
module that hands out a handle (``self._utils.open_cluster()``). The prefilter then asks
for the words of the project modules the file reaches through its imports: a reached
module is *handle code* when it passes the plain prefilter or mentions a word of the
handle code it reaches in turn (wrappers of wrappers); the words are the names of the
functions and classes handle code defines (dunder names such as ``__init__`` are left
out: every class defines them). The imports are read from the text with a regular
expression (every ``import`` line, at any indentation, so optional imports count too);
nothing is parsed. Only the modules reachable from the checked file are read, each
once per process, and the words of each module are memoised per project and settings,
so a checked file that imports no project module reads nothing else, however big the
checkout. A file that mentions none of these words is still never parsed.

:func:`mentioned_elsewhere` answers whether some file of the project mentions a name
beyond its ``def``: asked only by the analysis of handle code, it reads the project's
files once per process (lazily, on the first question), and searches each name once.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import Callable, Iterator, Optional

from handlelint.files import skip_dir
from handlelint.project.layout import Layout, find_root, layout_for

_DEF = re.compile(rb"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.MULTILINE)
_WORD = re.compile(rb"\w+")
#: ``from <dots><name> import <names>`` (parenthesised over lines, or to the line end)
#: and ``import <names>``.
_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n#;]*)"
    rb"|import[ \t]+([^\n#;]*))")
_COMMENT = re.compile(rb"#[^\n]*")
_NAME = re.compile(rb"[A-Za-z_]\w*(?:[ \t]*\.[ \t]*[A-Za-z_]\w*)*")

#: path -> (text, modification time, size): every file read, once per process.
_TEXTS: dict[str, tuple[bytes, int, int]] = {}
#: (root, settings) -> the words each module exports (its own and those it reaches).
_EXPORTS: dict[tuple[str, str], dict[str, frozenset[bytes]]] = {}
#: (root, name) -> is it mentioned elsewhere.
_MENTIONED: dict[tuple[str, bytes], bool] = {}
#: root -> the paths of its Python files (listed on the first question).
_FILES: dict[str, tuple[str, ...]] = {}
#: root -> how many names were searched one by one; root -> every word used beyond its
#: definitions (counted once, after :data:`SEARCHES_BEFORE_COUNT` searches).
_SEARCHES: dict[str, int] = {}
_USED: dict[str, frozenset[bytes]] = {}
#: Names searched one by one per project before its words are counted in one pass.
SEARCHES_BEFORE_COUNT = 32


def clear() -> None:
    """Forget every text and word read (a new run in the same process)."""
    for table in (_TEXTS, _EXPORTS, _MENTIONED, _FILES, _SEARCHES, _USED):
        table.clear()


def read(path: str) -> Optional[bytes]:
    """The text of ``path``, read once per process (again when it changed since:
    another modification time or size), or None when it cannot be read."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    found = _TEXTS.get(path)
    if found is not None and found[1:] == (info.st_mtime_ns, info.st_size):
        return found[0]
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError:
        return None
    _TEXTS[path] = (data, info.st_mtime_ns, info.st_size)
    return data


def _defined(data: bytes) -> frozenset[bytes]:
    return frozenset(name for name in _DEF.findall(data) if not name.startswith(b"__"))


def imported_modules(data: bytes, module: Optional[str], layout: Layout) -> list[str]:
    """The project modules the imports of ``data`` (the text of ``module``, None when
    it is no module of the project) load: each package on the way, and for
    ``from m import n`` the module ``m.n`` when there is one."""
    names: list[str] = []
    statements = (part for line in _import_lines(data) for part in line.split(b";"))
    for statement in filter(None, map(_IMPORT.match, statements)):
        dots, source, members, plain = statement.groups(b"")
        if plain:
            names.extend(_first_names(plain))
            continue
        level = len(dots)
        name = _dotted(source)
        if level and module is None:
            continue
        base = layout.absolute(module or "", name, level) if level else name
        if not base:
            continue
        names.append(base)
        names.extend(f"{base}.{m}" for m in _first_names(_COMMENT.sub(b"", members)
                                                         .strip(b"()")))
    found: list[str] = []
    seen: set[str] = set()
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            candidate = ".".join(parts[:i])
            if candidate and candidate not in seen:
                seen.add(candidate)
                if layout.file_of(candidate) is not None:
                    found.append(candidate)
    return found


def _import_lines(data: bytes) -> Iterator[bytes]:
    """Each line that holds ``import`` (a parenthesised list with its following lines):
    a search for the word first, as most lines of a file hold none."""
    start = 0
    while True:
        at = data.find(b"import", start)
        if at < 0:
            return
        begin = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        line = data[begin:end]
        if b"(" in line and b")" not in line:
            close = data.find(b")", end)
            end = len(data) if close < 0 else close + 1
            line = data[begin:end]
        yield line
        start = end + 1


def _first_names(names: bytes) -> Iterator[str]:
    """The imported names of ``a.b as c, d`` (``a.b``, ``d``)."""
    for part in names.replace(b"\\", b" ").split(b","):
        found = _NAME.match(part.strip())
        if found:
            yield _dotted(found.group())


def _dotted(raw: bytes) -> str:
    return "".join(raw.decode("utf-8", "replace").split())


class _Reach:
    """The handle words of the modules reachable from one file (see the module
    docstring): the reachable set is read, then solved to a fixpoint."""

    def __init__(self, layout: Layout, relevant: Callable[[bytes], bool],
                 exports: dict[str, frozenset[bytes]]) -> None:
        self.layout = layout
        self.relevant = relevant
        self.exports = exports

    def words(self, starts: list[str]) -> frozenset[bytes]:
        """The words the modules ``starts`` export, solving what is not memoised yet."""
        imports: dict[str, list[str]] = {}
        texts: dict[str, bytes] = {}
        pending = [m for m in starts if m not in self.exports]
        while pending:
            module = pending.pop()
            if module in imports:
                continue
            path = self.layout.file_of(module)
            data = read(path) if path is not None else None
            texts[module] = data or b""
            imports[module] = imported_modules(texts[module], module, self.layout)
            pending.extend(m for m in imports[module]
                           if m not in imports and m not in self.exports)
        self._solve(imports, texts)
        words: set[bytes] = set()
        for module in starts:
            words |= self.exports.get(module, frozenset())
        return frozenset(words)

    def _solve(self, imports: dict[str, list[str]], texts: dict[str, bytes]) -> None:
        exported = {m: frozenset[bytes]() for m in imports}
        handle = {m for m, data in texts.items() if self.relevant(data)}
        mentioned: dict[str, frozenset[bytes]] = {}
        changed = True
        while changed:
            changed = False
            for module, reached in imports.items():
                seen: set[bytes] = set()
                for other in reached:
                    seen |= exported.get(other, self.exports.get(other, frozenset()))
                if module not in handle and seen:
                    if module not in mentioned:
                        mentioned[module] = frozenset(_WORD.findall(texts[module]))
                    if not mentioned[module].isdisjoint(seen):
                        handle.add(module)
                if module in handle:
                    seen |= _defined(texts[module])
                if seen != exported[module]:
                    exported[module] = frozenset(seen)
                    changed = True
        self.exports.update(exported)


def reachable_words(path: str, data: bytes, settings: str,
                    relevant: Callable[[bytes], bool],
                    source_roots: tuple[str, ...] = ()) -> frozenset[bytes]:
    """The words of the handle code the file ``path`` (whose text is ``data``) reaches
    through its imports; ``relevant`` is the plain prefilter, ``settings`` identifies it."""
    root = find_root(os.path.dirname(os.path.abspath(path)))
    if root is None:
        return frozenset()
    layout = layout_for(root, source_roots)
    starts = imported_modules(data, layout.module_of(path), layout)
    if not starts:
        return frozenset()
    exports = _EXPORTS.setdefault((root, settings), {})
    return _Reach(layout, relevant, exports).words(starts)


def _python_files(root: str) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not skip_dir(dirpath, d)
                             and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def mentioned_elsewhere(root: str, name: str) -> bool:
    """Does some file of the project at ``root`` mention ``name`` more often than in
    the ``def``/``class`` lines that define it (so that something may call it)?

    The first :data:`SEARCHES_BEFORE_COUNT` names are searched one by one (a byte search
    per file skips most); past them the project's words are counted once, in one pass,
    so that many questions cost one reading of the project, not one each.
    """
    word = name.encode("utf-8")
    used = _USED.get(root)
    if used is not None:
        return word in used
    key = (root, word)
    found = _MENTIONED.get(key)
    if found is not None:
        return found
    files = _FILES.get(root)
    if files is None:
        files = _FILES[root] = tuple(_python_files(root))
    _SEARCHES[root] = _SEARCHES.get(root, 0) + 1
    if _SEARCHES[root] > SEARCHES_BEFORE_COUNT:
        counts: Counter[bytes] = Counter()
        for path in files:
            data = read(path)
            if data is not None:
                counts.update(_WORD.findall(data))
                counts.subtract(_DEF.findall(data))
        used = _USED[root] = frozenset(w for w, n in counts.items() if n > 0)
        return word in used
    pattern = re.compile(rb"(?<!\w)" + re.escape(word) + rb"(?!\w)")
    defined = re.compile(rb"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+" + re.escape(word)
                         + rb"(?!\w)", re.MULTILINE)
    found = False
    for path in files:
        data = read(path)
        if data is None or word not in data:
            continue
        if len(pattern.findall(data)) > len(defined.findall(data)):
            found = True
            break
    _MENTIONED[key] = found
    return found


def mentions(data: bytes, words: frozenset[bytes]) -> bool:
    """Does ``data`` mention one of ``words`` as a whole identifier?"""
    return bool(words) and not words.isdisjoint(_WORD.findall(data))
