"""The one entry point of the analysis: source text in, findings out.

Pipeline, each step in its own module:

1. :mod:`~handlelint.prefilter`: a file that mentions no tracked name stops here;
2. :mod:`~handlelint.source`: decode, Python's parse (a depth pre-check), libcst's parse,
   all inside a worker thread with a large stack;
3. :mod:`~handlelint.index` and :mod:`~handlelint.positions`: one walk over the module,
   positions borrowed from ``ast``;
4. :mod:`~handlelint.resolve`: which calls acquire and release handles;
5. per scope that acquires (every scope with ``force``): :mod:`~handlelint.cfg.builder`
   builds the CFG, :mod:`~handlelint.dataflow.solver` solves the handle states of
   :mod:`~handlelint.dataflow.transfer` to a fixpoint, and :mod:`~handlelint.report`
   turns the leaks into findings.

Nothing escapes as an exception: a file that cannot be analysed gives HDL000.
"""

from __future__ import annotations

from handlelint.cfg.builder import build_cfg
from handlelint.config import Config
from handlelint.dataflow.lattice import Env, join
from handlelint.dataflow.solver import Solver, SolverLimit
from handlelint.dataflow.transfer import HandleTransfer
from handlelint.findings import Finding
from handlelint.index import ModuleIndex, index_module
from handlelint.positions import Positions
from handlelint.prefilter import mentions_tracked_name
from handlelint.report import leak_findings
from handlelint.resolve import Resolver, final_name
from handlelint.restype import RestypeCheck
from handlelint.summaries import Summaries
from handlelint.attributes import AttributeCheck
from handlelint.rules import RuleTable, packaged_table, with_extra_pairs
from handlelint.source import SourceError, decode, parse, run_with_big_stack

import libcst as cst


def table_for(config: Config) -> RuleTable:
    """The packaged rule table with the configured pairs added."""
    return with_extra_pairs(packaged_table(), config.acquire)


def check_source(source: str | bytes, path: str = "<string>", config: Config | None = None,
                 *, force: bool = False, report_python_errors: bool = True,
                 strict: bool = False) -> list[Finding]:
    """Analyse one file's source and return its findings sorted by position.

    ``force`` analyses every scope even when the file mentions no tracked name.
    ``report_python_errors`` False leaves files Python's own parser rejects to the
    caller (flake8 reports those as E999). ``strict`` (for tests) makes an unmodelled
    statement kind an error instead of an opaque statement.
    """
    config = config or Config()
    table = table_for(config)
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    extra = frozenset(config.releasers) | frozenset(config.dll_names)
    if not force and not mentions_tracked_name(data, table, extra):
        return []
    try:
        text = decode(data) if isinstance(source, bytes) else source
        return run_with_big_stack(lambda: _analyse(text, table, config, force, strict))
    except SourceError as exc:
        if exc.python_rejects and not report_python_errors:
            return []
        return [Finding(exc.line, 0, "HDL000", f"cannot analyse the file: {exc.message}")]
    except Exception as exc:  # per-file isolation: any bug becomes HDL000
        if strict:
            raise
        return [Finding(1, 0, "HDL000", f"internal error: {type(exc).__name__}: {exc}")]


def _analyse(text: str, table: RuleTable, config: Config, force: bool,
             strict: bool) -> list[Finding]:
    parsed = parse(text)
    index = index_module(parsed.module)
    positions = Positions(parsed.tree, parsed.module, index.statements, index.calls)
    resolver = Resolver(index, table, config)
    summaries = Summaries(index)
    summaries.compute(resolver, positions,
                      lambda f: _transfer(f, index, positions, resolver))
    resolver.summaries = summaries
    resolver.forget()
    relevant = _acquiring_scopes(index, resolver)
    findings: list[Finding] = []
    scopes: list[cst.Module | cst.FunctionDef | cst.ClassDef] = [parsed.module, *index.scopes]
    for scope in scopes:
        if force or id(scope) in relevant:
            findings.extend(_check_scope(scope, index, positions, resolver, strict))
    findings.extend(RestypeCheck(index, resolver, positions).findings())
    findings.extend(AttributeCheck(index, resolver, summaries).findings(positions))
    findings.sort()
    return findings


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
    return HandleTransfer(resolver, positions, escaping_names=escaping,
                          all_bindings_escape=isinstance(scope, cst.ClassDef),
                          context_manager=_is_context_manager(scope),
                          borrow_unknown=resolver.config.unknown_calls == "borrow")


def _check_scope(scope: cst.Module | cst.FunctionDef | cst.ClassDef, index: ModuleIndex,
                 positions: Positions, resolver: Resolver, strict: bool) -> list[Finding]:
    """Build, solve and report one scope."""
    name = "<module>" if isinstance(scope, cst.Module) else scope.name.value
    cfg = build_cfg(name, scope, positions, strict=strict)
    transfer = _transfer(scope, index, positions, resolver)
    try:
        states = Solver(cfg, join, transfer).solve(Env())
    except SolverLimit as exc:
        line = positions.line(scope, 1)
        return [Finding(line, 0, "HDL000", f"cannot analyse '{name}': {exc}")]
    transfer.events = []
    for nid in sorted(states):
        transfer(cfg.nodes[nid], states[nid])
    findings = leak_findings(transfer.sites, transfer.site_names, transfer.events)
    return findings + sorted(set(transfer.call_findings))


_CONTEXT_MANAGER_DECORATORS = frozenset({"contextmanager", "asynccontextmanager"})


def _is_context_manager(scope: cst.CSTNode) -> bool:
    """Is ``scope`` a ``@contextlib.contextmanager`` (or async) generator?"""
    if not isinstance(scope, cst.FunctionDef):
        return False
    return any(final_name(d.decorator) in _CONTEXT_MANAGER_DECORATORS
               for d in scope.decorators)
