"""Summaries of the file's own functions: which return a fresh handle, release or borrow one.

Real code wraps every clusapi call in helpers (``def open_cluster(self, name)``,
``def close_cluster(self, h)``). Before the file is checked, each function that makes a
tracked call, or calls such a function, is analysed on its own with its parameters as
pseudo-handles (maybe-null), and summarised at its normal exits:

* ``returns``: a fresh handle of the table's rule R reaches a ``return``: calls of the
  function acquire R (the call may raise first, as any Python call);
* ``releases``: parameter i is released, or null, on every normal exit: calls release
  that argument;
* ``borrows``: parameter i neither escapes nor is released: passing a handle there is
  no escape.

Summaries are computed to a fixpoint (wrappers of wrappers), starting from "nothing
known", with a bounded number of rounds, so recursion terminates. A call resolves to a
function of the file as ``f(...)``, ``self.m(...)`` / ``cls.m(...)`` inside a class, or
``obj.m(...)`` where ``obj`` was bound to ``C(...)`` for a class ``C`` of the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import libcst as cst

from handlelint.cfg.builder import build_cfg
from handlelint.cfg.model import CFG, NodeKind
from handlelint.dataflow.lattice import Env, H
from handlelint.dataflow.liveness import LIVENESS_MIN_NODES, live_after
from handlelint.dataflow.partition import solve
from handlelint.dataflow.solver import SolverLimit
from handlelint.dataflow.transfer import HandleTransfer
from handlelint.index import ModuleIndex
from handlelint.positions import Positions
from handlelint.resolve import CallKind, Resolver
from handlelint.syntax import dotted
from handlelint.rules import AcquireRule
from handlelint.walk import preorder

#: Rounds of the fixpoint; each round re-analyses every summarised function.
MAX_ROUNDS = 6
_TRACKED = frozenset({CallKind.ACQUIRE, CallKind.RELEASE, CallKind.REGISTER, CallKind.API})
_PARAM_RULE = AcquireRule(name="<parameter>", handle_type="<parameter>", release=())


@dataclass(frozen=True)
class Summary:
    """What a function does with handles (see the module docstring)."""

    returns: AcquireRule | None = None
    releases: frozenset[int] = frozenset()
    borrows: frozenset[int] = frozenset()
    #: A generator: its body runs later (a context manager releases on leaving ``with``).
    deferred: bool = False


Function = cst.FunctionDef


class Summaries:
    """The summaries of one module's functions and the call-site lookup."""

    def __init__(self, index: ModuleIndex) -> None:
        self.functions: dict[str, Function] = {}
        self.methods: dict[tuple[str, str], Function] = {}
        self.class_of: dict[int, str] = {}
        self.instances: dict[str, str] = {}
        self.by_function: dict[int, Summary] = {}
        self._generators: set[int] = set()
        self._index = index
        for stmt in index.module.body:
            if isinstance(stmt, cst.FunctionDef):
                self.functions[stmt.name.value] = stmt
            elif isinstance(stmt, cst.ClassDef):
                self._add_class(stmt)
        classes = set(self.class_of.values())
        for target, value in index.assigns:
            if isinstance(value, cst.Call):
                cls = dotted(value.func)
                if cls in classes:
                    self.instances[dotted(target)] = cls

    def _add_class(self, cls: cst.ClassDef) -> None:
        body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                self.methods[(cls.name.value, stmt.name.value)] = stmt
                self.class_of[id(stmt)] = cls.name.value

    def target(self, call: cst.Call) -> tuple[Function, int] | None:
        """The function of this file a call runs, and how many parameters it skips."""
        func = call.func
        if isinstance(func, cst.Name):
            found = self.functions.get(func.value)
            return (found, 0) if found is not None else None
        if not isinstance(func, cst.Attribute):
            return None
        receiver = dotted(func.value)
        method = func.attr.value
        if receiver in ("self", "cls"):
            scope = self._index.call_scope.get(id(call))
            cls = self.class_of.get(id(scope)) if scope is not None else None
        else:
            cls = self.instances.get(receiver)
        if cls is None:
            return None
        found = self.methods.get((cls, method))
        return (found, 1) if found is not None else None

    def of_call(self, call: cst.Call) -> tuple[str, Summary, int] | None:
        """(callee name, summary, parameter offset) for a call of a summarised function."""
        found = self.target(call)
        if found is None:
            return None
        function, offset = found
        summary = self.by_function.get(id(function))
        if summary is None:
            return None
        return function.name.value, summary, offset

    def compute(self, resolver: Resolver, positions: Positions,
                make_transfer: Callable[[Function], HandleTransfer]) -> None:
        """Summarise every function that handles handles, to a fixpoint.

        The first round summarises every candidate; later rounds only the callers of
        functions whose summary changed.
        """
        candidates, callers = self._candidates(resolver)
        graphs = {id(f): build_cfg(f.name.value, f, positions) for f in candidates}
        live = {id(f): live_after(graphs[id(f)]) for f in candidates
                if len(graphs[id(f)].nodes) >= LIVENESS_MIN_NODES}
        self._generators = {id(f) for f in candidates
                            if any(isinstance(n, cst.Yield) for n in preorder(f.body))}
        todo = candidates
        for _ in range(MAX_ROUNDS):
            changed: list[Function] = []
            for function in todo:
                transfer = make_transfer(function)
                transfer.live = live.get(id(function))
                summary = self._summarise(function, graphs[id(function)], transfer)
                if self.by_function.get(id(function)) != summary:
                    self.by_function[id(function)] = summary
                    changed.append(function)
            resolver.forget()
            affected = {id(c): c for f in changed for c in callers.get(id(f), ())}
            todo = [f for f in candidates if id(f) in affected]
            if not todo:
                break

    def _candidates(self, resolver: Resolver
                    ) -> tuple[list[Function], dict[int, list[Function]]]:
        """Called functions with a tracked call or (transitively) calling such a function."""
        calls_of: dict[int, list[Function]] = {}
        chosen: dict[int, Function] = {}
        everything = [*self.functions.values(), *self.methods.values()]
        known = {id(f) for f in everything}
        for call in self._index.calls:
            scope = self._index.call_scope.get(id(call))
            if scope is None or id(scope) not in known:
                continue
            assert isinstance(scope, cst.FunctionDef)
            if resolver.classify(call).kind in _TRACKED:
                chosen[id(scope)] = scope
            found = self.target(call)
            if found is not None:
                calls_of.setdefault(id(found[0]), []).append(scope)
        todo = list(chosen.values())
        while todo:
            callee = todo.pop()
            for caller in calls_of.get(id(callee), ()):
                if id(caller) not in chosen:
                    chosen[id(caller)] = caller
                    todo.append(caller)
        # Only functions called in this file need a summary.
        return [f for f in everything if id(f) in chosen and id(f) in calls_of], calls_of

    def _summarise(self, function: Function, graph: CFG, transfer: HandleTransfer) -> Summary:
        params = [p.name.value for p in _parameters(function)]
        env = Env()
        for i, name in enumerate(params):
            site = transfer.pseudo_site(i, _PARAM_RULE)
            env.names[name] = frozenset({site})
            env.sites[site] = {H.MAYBE_NULL: None}
        try:
            splits = solve(graph, transfer, env)
        except SolverLimit:
            return Summary()
        exits = [part for n in graph.nodes
                 if n.kind in (NodeKind.RETURN_EXIT, NodeKind.END_EXIT) and n.id in splits
                 for part in splits[n.id].parts.values()]
        releases, borrows = set(), set()
        for i in range(len(params)):
            seen: set[H] = set()
            for state in exits:
                seen |= set(state.sites.get(i, {H.ESCAPED: None}))
            if not exits:
                continue
            if seen <= {H.RELEASED, H.NULL} and H.RELEASED in seen:
                releases.add(i)
            elif not seen & {H.RELEASED, H.ESCAPED}:
                borrows.add(i)
        returns: Optional[AcquireRule] = transfer.returned_rule
        return Summary(returns, frozenset(releases), frozenset(borrows),
                       id(function) in self._generators)


def _parameters(function: Function) -> list[cst.Param]:
    params = function.params
    return [*params.posonly_params, *params.params]
