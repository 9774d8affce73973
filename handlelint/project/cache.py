"""The on-disk cache of a project: each module's summaries and findings, as JSON lines.

The cache folder (``.handlelint_cache/`` at the project root unless configured) holds
journals: each process that computes entries appends them to a journal of its own
(``<time>-<pid>.jsonl``, one line ``module<TAB>JSON`` per entry, one ``write`` each), so a
cold run creates one file instead of one per module, and parallel workers never write to
one file. A run reads every journal once, oldest first (a later line for a module
replaces an earlier one), and when the folder holds more than :data:`COMPACT_AFTER`
journals rewrites the latest entries into one (atomically: a temporary file, then a
rename) and deletes the journals it read. An entry is valid when the module's text, the
settings and the summaries of every module it consulted (recorded with a digest each,
as mypy's incremental cache records its dependencies' interfaces) are those of the
entry; otherwise it is recomputed and appended. A line cut short (a worker killed while
writing) does not parse and is a miss, as is an entry of other settings. A cache that
cannot be read or written is silently skipped.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
from typing import Any, Optional

from handlelint import __version__
from handlelint.findings import Finding
from handlelint.project.model import ClassFacts, ModuleFacts, Summary
from handlelint.rules import AcquireRule

#: Windows opens files in text mode unless told otherwise.
_BINARY = getattr(os, "O_BINARY", 0)
#: The digest recorded for a dependency whose facts were unknown (a cycle, an error).
UNKNOWN = "-"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The handlelint code itself (names, sizes and times of its files): a cache written
    by other code is never read."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = [__version__]
    for folder, _, names in sorted(os.walk(here)):
        for name in sorted(names):
            if name.endswith((".py", ".toml")):
                stat = os.stat(os.path.join(folder, name))
                parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return digest("\n".join(parts).encode("utf-8"))


def digest(data: bytes) -> str:
    """The content digest used throughout the cache."""
    return hashlib.sha1(data).hexdigest()


def _rule(data: Optional[dict[str, Any]]) -> Optional[AcquireRule]:
    if data is None:
        return None
    return AcquireRule(**{**data, "release": tuple(data["release"])})


_DEFAULT = Summary()
_DEFAULTS = tuple((f.name, getattr(_DEFAULT, f.name)) for f in dataclasses.fields(Summary))
#: id(rule) -> (rule, its JSON form): the rules of a run are few and shared by many
#: summaries, so each is converted once.
_RULES: dict[int, tuple[AcquireRule, dict[str, Any]]] = {}


def _rule_to_json(rule: AcquireRule) -> dict[str, Any]:
    found = _RULES.get(id(rule))
    if found is None:
        found = _RULES[id(rule)] = (rule, dataclasses.asdict(rule))
    return found[1]


def _summary_to_json(summary: Summary) -> dict[str, Any]:
    """The fields of ``summary`` that differ from the defaults (most do not)."""
    out: dict[str, Any] = {}
    for name, default in _DEFAULTS:
        value = getattr(summary, name)
        if value == default:
            continue
        if name == "returns":
            value = _rule_to_json(value)
        elif name == "stores":
            value = [[attr, _rule_to_json(rule)] for attr, rule in value]
        elif isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def _summary_from_json(data: dict[str, Any]) -> Summary:
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name == "returns":
            value = _rule(value)
        elif name == "stores":
            value = tuple((attr, _rule(rule)) for attr, rule in value)
        elif isinstance(getattr(_DEFAULT, name), frozenset):
            value = frozenset(value)
        elif isinstance(getattr(_DEFAULT, name), tuple):
            value = tuple(value)
        fields[name] = value
    return Summary(**fields)


def facts_to_json(facts: ModuleFacts) -> dict[str, Any]:
    """A JSON-ready form of a module's facts."""
    return {
        "name": facts.name,
        "functions": {q: _summary_to_json(s) for q, s in sorted(facts.functions.items())},
        "classes": {n: {"bases": list(c.bases), "attr_types": [list(p) for p in c.attr_types]}
                    for n, c in sorted(facts.classes.items())},
        "bindings": dict(sorted(facts.bindings.items())),
    }


def facts_from_json(data: dict[str, Any]) -> ModuleFacts:
    """The facts :func:`facts_to_json` wrote."""
    classes = {n: ClassFacts(tuple(c["bases"]), tuple((a, t) for a, t in c["attr_types"]))
               for n, c in data["classes"].items()}
    return ModuleFacts(data["name"],
                       {q: _summary_from_json(s) for q, s in data["functions"].items()},
                       classes, dict(data["bindings"]))


def facts_text(facts: Optional[ModuleFacts]) -> str:
    """The canonical JSON text of ``facts`` ("null" for unknown facts): its tables are
    built sorted and each record's fields come in their declared order, so the keys
    need no sorting."""
    return json.dumps(facts_to_json(facts) if facts is not None else None)


def facts_digest(text: str) -> str:
    """The digest importers record for the facts whose JSON text is ``text``."""
    return UNKNOWN if text == "null" else digest(text.encode("utf-8"))


@dataclasses.dataclass(frozen=True)
class Entry:
    """One module's cached analysis."""

    content: str
    deps: dict[str, str]
    facts: Optional[ModuleFacts]
    findings: tuple[Finding, ...]


#: More journals than this in the folder are merged into one when a run reads them.
COMPACT_AFTER = 16
_SUFFIX = ".jsonl"


class DiskCache:
    """The cache folder of one project and settings (see the module docstring)."""

    def __init__(self, folder: str, settings: str) -> None:
        self.folder = folder
        self.settings = digest(f"{code_fingerprint()}\n{settings}".encode("utf-8"))
        #: module -> the JSON text of its latest entry (None: the journals not read yet).
        self._lines: Optional[dict[str, bytes]] = None
        #: This process's journal, named on the first entry written (each entry is
        #: appended with one open, write and close: no descriptor is kept).
        self._journal: Optional[str] = None
        self._pid = 0

    def _index(self) -> dict[str, bytes]:
        """The latest entry of each module, from every journal (read once)."""
        if self._lines is None:
            self._lines = {}
            try:
                names = sorted(n for n in os.listdir(self.folder) if n.endswith(_SUFFIX))
            except OSError:
                names = []
            for name in names:
                try:
                    with open(os.path.join(self.folder, name), "rb") as stream:
                        data = stream.read()
                except OSError:
                    continue
                for line in data.split(b"\n"):
                    module, tab, entry = line.partition(b"\t")
                    if tab:
                        self._lines[module.decode("utf-8", "replace")] = entry
            if len(names) > COMPACT_AFTER:
                self._compact(names)
        return self._lines

    def _compact(self, names: list[str]) -> None:
        """Merge the journals ``names`` into one (see the module docstring)."""
        assert self._lines is not None
        text = b"".join(module.encode("utf-8") + b"\t" + entry + b"\n"
                        for module, entry in sorted(self._lines.items()))
        path = os.path.join(self.folder, names[-1][:-len(_SUFFIX)] + "-all" + _SUFFIX)
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as stream:
                stream.write(text)
            os.replace(tmp, path)
        except OSError:
            return
        for name in names:
            if os.path.join(self.folder, name) != path:
                try:
                    os.remove(os.path.join(self.folder, name))
                except OSError:
                    pass

    def load(self, module: str, content: str) -> Optional[Entry]:
        """The entry of ``module`` if its text and settings match (deps not yet checked)."""
        line = self._index().get(module)
        if line is None:
            return None
        try:
            data = json.loads(line)
            if data["settings"] != self.settings or data["content"] != content:
                return None
            facts = facts_from_json(data["facts"]) if data["facts"] is not None else None
            findings = tuple(Finding(f[0], f[1], f[2], f[3]) for f in data["findings"])
            return Entry(content, dict(data["deps"]), facts, findings)
        except (ValueError, KeyError, TypeError):
            return None

    def store(self, module: str, entry: Entry, facts: str) -> None:
        """Append ``entry`` for ``module``, its facts as the JSON text ``facts``, to this
        process's journal (errors are ignored)."""
        findings = json.dumps([[f.line, f.col, f.code, f.message] for f in entry.findings])
        head = json.dumps({"settings": self.settings, "content": entry.content,
                           "deps": entry.deps})
        line = f'{head[:-1]}, "facts": {facts}, "findings": {findings}}}'.encode(
            "utf-8", "surrogatepass")
        try:
            if self._journal is None or self._pid != os.getpid():  # a forked worker: its own
                self._journal = self._start()
            fd = os.open(self._journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND | _BINARY, 0o666)
            try:
                os.write(fd, module.encode("utf-8") + b"\t" + line + b"\n")
            finally:
                os.close(fd)
        except OSError:
            return
        if self._lines is not None:
            self._lines[module] = line

    def _start(self) -> str:
        """The path of a new journal of this process (the folder and its ``.gitignore``
        made first)."""
        os.makedirs(self.folder, exist_ok=True)
        ignore = os.path.join(self.folder, ".gitignore")
        if not os.path.exists(ignore):
            with open(ignore, "w", encoding="utf-8") as stream:
                stream.write("# Created by handlelint: the whole folder is a cache.\n*\n")
        self._pid = os.getpid()
        return os.path.join(self.folder, f"{time.time_ns():020d}-{self._pid}{_SUFFIX}")
