"""The analysis pipeline of one file that passed the prefilter (see :mod:`handlelint.engine`)."""

from __future__ import annotations

import gc
from typing import Callable, Union, cast

import libcst as cst

from handlelint.attributes import AttributeCheck
from handlelint.cfg.builder import build_cfg
from handlelint.cfg.model import CFG
from handlelint.config import Config
from handlelint.dataflow.lattice import Env
from handlelint.dataflow.liveness import LIVENESS_MIN_NODES, live_after
from handlelint.dataflow.partition import solve
from handlelint.dataflow.solver import SolverLimit
from handlelint.dataflow.transfer import HandleTransfer
from handlelint.findings import Finding
from handlelint.index import ModuleIndex, index_module
from handlelint.positions import Positions
from handlelint.explain import explain_all
from handlelint.report import choose, leak_findings
from handlelint.resolve import Resolver
from handlelint.restype import RestypeCheck
from handlelint.argtypes import ArgtypesCheck
from handlelint.rules import RuleTable
from handlelint.project.model import ModuleFacts
from handlelint.project.store import Project, project_for
from handlelint.source import decode, parse
from handlelint.summaries import Summaries


def analyse(text: str, table: RuleTable, config: Config, force: bool,
            strict: bool, explain: bool = False, path: str = "",
            table_of: Callable[[str | bytes], RuleTable] | None = None) -> list[Finding]:
    """Findings of one decoded file: parse, index, summarise, then check each scope.

    ``table_of`` gives the table for another module of the project (by its source),
    when tables differ by what a file mentions; without it every module gets ``table``.

    Python's cyclic garbage collector is paused meanwhile: a libcst tree is hundreds of
    thousands of objects, and every full collection would walk all of them again, which
    makes the cost of a long function grow faster than its length. Nothing here builds
    cycles that need collecting before the file is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyse(text, table, config, force, strict, explain, path, table_of)
    finally:
        if was_enabled:
            gc.enable()


def _analyse(text: str, table: RuleTable, config: Config, force: bool,
             strict: bool, explain: bool, path: str,
             table_of: Callable[[str | bytes], RuleTable] | None = None) -> list[Finding]:
    """In a project the module's analysis is shared with its importers (and cached)."""
    found = project_for(path, config.source_roots, repr(config),
                        lambda source, module, project: _build(
                            source, module, project,
                            table if table_of is None else table_of(source), config),
                        config.cache_dir if config.use_cache else None)
    if found is not None and not (force or strict or explain):
        return list(found[0].findings(found[1], text))
    return _run(text, table, config, force, strict, explain, found)[0]


def _build(source: str | bytes, module: str, project: Project, table: RuleTable,
           config: Config) -> tuple[ModuleFacts, list[Finding]]:
    """The facts and findings of a module of the project."""
    text = decode(source) if isinstance(source, bytes) else source
    findings, facts = _run(text, table, config, False, False, False, (project, module))
    return facts, findings


def _run(text: str, table: RuleTable, config: Config, force: bool, strict: bool,
         explain: bool, found: tuple[Project, str] | None
         ) -> tuple[list[Finding], ModuleFacts]:
    parsed = parse(text)
    index = index_module(parsed.module)
    positions = Positions(parsed.module, text=parsed.text, tree=parsed.tree,
                          layout=parsed.layout, statements=index.statements,
                          owned_calls=index.owned_calls, call_statement=index.call_statement)
    resolver = Resolver(index, table, config)
    summaries = _summaries(index, positions, resolver, *(found or (None, "")))
    relevant = _acquiring_scopes(index, resolver)
    findings: list[Finding] = []
    attributes = AttributeCheck(index, resolver, summaries)
    unreleased = attributes.unreleased()
    unowned = {id(method): frozenset(unreleased.get(cls, ()))
               for (cls, name), method in summaries.methods.items() if name == "__init__"}
    releases = attributes.constructor_releases()
    scopes: list[cst.Module | cst.FunctionDef | cst.ClassDef] = [parsed.module, *index.scopes]
    for scope in scopes:
        if force or id(scope) in relevant:
            graph = None if strict else summaries.graphs.get(id(scope))
            findings.extend(_check_scope(scope, index, positions, resolver, strict, explain,
                                         graph, unowned.get(id(scope), frozenset()),
                                         releases.get(id(scope), {})))
    restype = RestypeCheck(index, resolver, positions)
    findings.extend(restype.findings())
    findings.extend(ArgtypesCheck(index, resolver, positions, restype).findings())
    findings.extend(attributes.findings(positions))
    findings.sort()
    return findings, summaries.facts()


def _summaries(index: ModuleIndex, positions: Positions, resolver: Resolver,
               project: Project | None, module: str) -> Summaries:
    """The module's summaries, other modules' reached through ``project``."""
    summaries = Summaries(index, module, project)
    resolver.summaries = summaries
    summaries.compute(resolver, positions,
                      lambda f: _transfer(f, index, positions, resolver))
    return summaries


def _acquiring_scopes(index: ModuleIndex, resolver: Resolver) -> set[int]:
    scopes = set()
    for call in index.calls:
        scope = index.call_scope[id(call)]
        if id(scope) not in scopes and resolver.is_acquire(call):
            scopes.add(id(scope))
    return scopes


def _transfer(scope: cst.Module | cst.FunctionDef | cst.ClassDef, index: ModuleIndex,
              positions: Positions, resolver: Resolver) -> HandleTransfer:
    """The transfer function for one scope, with its closure and global names."""
    escaping = frozenset(index.captured.get(id(scope), ())) | frozenset(
        index.declared.get(id(scope), ()))
    transfer = HandleTransfer(resolver, positions, escaping_names=escaping,
                              all_bindings_escape=type(scope) is cst.ClassDef,
                              context_manager=_is_context_manager(scope, resolver),
                              borrow_unknown=resolver.config.unknown_calls == "borrow")
    # A constructor keeps what it stores on ``self`` for the object, unless ``__del__``
    # releases it anyway (then a half-built object closes it when dropped).
    transfer.owner_stores = (type(scope) is cst.FunctionDef and scope.name.value == "__init__"
                             and id(scope) not in getattr(resolver.summaries, "dropping", ()))
    return transfer


def _check_scope(scope: cst.Module | cst.FunctionDef | cst.ClassDef, index: ModuleIndex,
                 positions: Positions, resolver: Resolver, strict: bool,
                 explain: bool = False, cfg: CFG | None = None,
                 unowned: frozenset[str] = frozenset(),
                 releases: dict[str, frozenset[str]] | None = None) -> list[Finding]:
    """Build (unless the summaries built it), solve and report one scope. ``unowned``:
    for a constructor, the attributes its class never releases (HDL006 reports those, so
    a handle stored there escapes instead of leaking when the constructor raises);
    ``releases``: for a constructor, the attributes each method of its class releases
    (``self.close()`` there releases them)."""
    name = ("<module>" if type(scope) is cst.Module
            else cast(Union[cst.FunctionDef, cst.ClassDef], scope).name.value)
    if cfg is None:
        cfg = build_cfg(name, scope, positions, strict=strict)
    if cfg.too_complex:
        line = positions.line(scope, 1)
        return [Finding(line, 0, "HDL000", f"'{name}' is {cfg.too_complex}")]
    transfer = _transfer(scope, index, positions, resolver)
    transfer.unowned_attrs = unowned
    transfer.self_releases = releases or {}
    if len(cfg.nodes) >= LIVENESS_MIN_NODES:
        transfer.live = live_after(cfg)
    try:
        splits = solve(cfg, transfer, Env())
    except SolverLimit as exc:
        line = positions.line(scope, 1)
        return [Finding(line, 0, "HDL000", f"cannot analyse '{name}': {exc}")]
    chosen = choose(transfer.events)
    steps = None
    if explain:
        states = {nid: split.merged() for nid, split in splits.items()}
        steps = explain_all(cfg, states, transfer,
                            {site: event for site, (_, event) in chosen.items()})
    findings = leak_findings(transfer.sites, transfer.site_names, chosen, steps)
    return findings + sorted(set(transfer.call_findings))


def _is_context_manager(scope: cst.CSTNode, resolver: Resolver) -> bool:
    """Is ``scope`` a ``@contextlib.contextmanager`` (or async) generator?"""
    if type(scope) is not cst.FunctionDef:
        return False
    return any(resolver.is_context_manager(d.decorator) for d in scope.decorators)
