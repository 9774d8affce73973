"""The project of a checked file: its module map, and every module's analysis on demand.

One :class:`Project` per root and configuration lives for the run (the process). A
module is analysed once: the first time a checked file reaches it through an import
(for its facts, :class:`~handlelint.project.model.ModuleFacts`) or when it is checked
itself; its findings are kept with its facts, so a module reached first and checked
later is not parsed twice. Both are keyed by the digest of the module's text, and kept
on disk by :class:`~handlelint.project.cache.DiskCache` when the cache is on, with the
digests of the facts of every module the analysis consulted. A module whose analysis
is in progress answers "unknown" to the modules it reaches, so import cycles terminate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Optional, Union

from handlelint.findings import Finding
from handlelint.project.cache import (
    UNKNOWN, DiskCache, Entry, digest, facts_digest, facts_text)
from handlelint.project.layout import Layout, find_root, layout_for
from handlelint.project.model import ClassFacts, ModuleFacts, Summary
from handlelint.project.vocabulary import mentioned_elsewhere, read

#: ``(text or bytes, module name, project) -> (facts, findings)``: the analysis of a module.
Build = Callable[[Union[str, bytes], str, "Project"],
                 tuple[Optional[ModuleFacts], list[Finding]]]

_PROJECTS: dict[tuple[str, ...], "Project"] = {}


@dataclass(frozen=True)
class _Known:
    content: str
    facts: Optional[ModuleFacts]
    findings: tuple[Finding, ...]
    digest: str
    #: The analysis failed: the module is unknown to importers, and checking it again
    #: must report why.
    failed: bool = False
    #: Some module it consulted was being analysed (an import cycle): its findings may
    #: miss what that module does, so checking it analyses it again.
    partial: bool = False


class Project:
    """The modules of one project root (implements :class:`~.model.Foreign`)."""

    def __init__(self, layout: Layout, build: Build, cache: Optional[DiskCache] = None) -> None:
        self.layout = layout
        self.cache = cache
        self._build = build
        self._known: dict[str, _Known] = {}
        self._busy: set[str] = set()
        #: The modules each analysis in progress consulted, with their facts' digests.
        self._deps: list[dict[str, str]] = []
        #: How many modules were analysed (not found in memory or on disk): for tests.
        self.built = 0

    def module_of(self, importer: str, name: str, level: int) -> Optional[str]:
        return self.layout.absolute(importer, name, level)

    def is_module(self, name: str) -> bool:
        return self.layout.file_of(name) is not None

    def facts(self, module: str) -> Optional[ModuleFacts]:
        """The facts of ``module``, analysed on first use (None while in progress)."""
        known = self._module(module)
        if self._deps:
            self._deps[-1][module] = known.digest if known is not None else UNKNOWN
        return known.facts if known is not None else None

    def findings(self, module: str, text: str) -> tuple[Finding, ...]:
        """The findings of ``module`` whose text is ``text`` (errors propagate)."""
        content = digest(text.encode("utf-8", "surrogatepass"))
        return self._analyse(module, content, text, raise_errors=True).findings

    def _module(self, module: str) -> Optional[_Known]:
        path = self.layout.file_of(module)
        if path is None or module in self._busy:
            return None
        known = self._known.get(module)
        if known is not None:  # files do not change during a run: read each once
            return known
        data = read(path)
        if data is None:
            return None
        return self._analyse(module, digest(data), data, raise_errors=False)

    def _analyse(self, module: str, content: str, source: Union[str, bytes],
                 raise_errors: bool) -> _Known:
        known = self._known.get(module)
        if known is not None and known.content == content and not (
                raise_errors and (known.failed or known.partial)):
            return known
        self._busy.add(module)
        try:
            entry = self.cache.load(module, content) if self.cache is not None else None
            if entry is not None and self._still_valid(entry.deps):
                known = _Known(content, entry.facts, entry.findings,
                               facts_digest(facts_text(entry.facts)),
                               partial=UNKNOWN in entry.deps.values())
            else:
                known = self._run(module, content, source, raise_errors)
        finally:
            self._busy.discard(module)
        self._known[module] = known
        return known

    def _run(self, module: str, content: str, source: Union[str, bytes],
             raise_errors: bool) -> _Known:
        self._deps.append({})
        try:
            self.built += 1
            facts, findings = self._build(source, module, self)
        except Exception:  # a module that cannot be analysed is unknown to its importers
            if raise_errors:
                raise
            return _Known(content, None, (), UNKNOWN, failed=True)
        finally:
            deps = self._deps.pop()
        text = facts_text(facts)
        if self.cache is not None:
            self.cache.store(module, Entry(content, deps, facts, tuple(findings)), text)
        return _Known(content, facts, tuple(findings), facts_digest(text),
                      partial=UNKNOWN in deps.values())

    def _still_valid(self, deps: dict[str, str]) -> bool:
        """Do the modules a cached entry consulted still have the facts it saw?"""
        self._deps.append({})
        try:
            for module, seen in deps.items():
                known = self._module(module)
                if (known.digest if known is not None else UNKNOWN) != seen:
                    return False
            return True
        finally:
            self._deps.pop()

    def summary(self, key: str) -> Optional[Summary]:
        module, _, qual = key.partition(":")
        facts = self.facts(module)
        return facts.functions.get(qual) if facts is not None else None

    def class_facts(self, key: str) -> Optional[ClassFacts]:
        module, _, qual = key.partition(":")
        facts = self.facts(module)
        return facts.classes.get(qual) if facts is not None else None

    def mentioned_elsewhere(self, name: str) -> bool:
        return mentioned_elsewhere(self.layout.root, name)

    def export(self, module: str, name: str) -> Optional[str]:
        facts = self.facts(module)
        if facts is None or name in facts.functions or name in facts.classes:
            return None
        return facts.bindings.get(name)


def project_for(path: str, source_roots: tuple[str, ...], settings: str, build: Build,
                cache_dir: Optional[str] = None) -> Optional[tuple[Project, str]]:
    """The project holding the file ``path`` and the file's module name, if any.

    ``settings`` identifies the configuration (facts depend on it); ``cache_dir``, the
    cache folder relative to the project root, or None for no cache on disk.
    """
    if not path or not os.path.isfile(path):
        return None
    root = find_root(os.path.dirname(os.path.abspath(path)))
    if root is None:
        return None
    key = (root, *source_roots, "\0", settings, cache_dir or "")
    project = _PROJECTS.get(key)
    if project is None:
        cache = DiskCache(os.path.join(root, cache_dir), settings) if cache_dir else None
        project = _PROJECTS[key] = Project(layout_for(root, source_roots), build, cache)
    module = project.layout.module_of(path)
    if module is None:
        return None
    return project, module
