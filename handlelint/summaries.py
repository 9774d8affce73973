"""Summaries of a module's functions and classes: what each does with handles.

Real code wraps every clusapi call in helpers (``def open_cluster(self, name)``,
``def close_cluster(self, h)``), often in another module, or in the function that uses
them. Every function of the module, nested functions included, gets a
:class:`~handlelint.project.model.Summary` (at least its signature); those that
make a tracked call, or call a function whose summary says something, are analysed on
their own with their parameters as pseudo-handles (maybe-null), and summarised at their
normal exits:

* ``returns``: a fresh handle of the table's rule R reaches a ``return``: calls of the
  function acquire R (the call may raise first, unless the function cannot raise);
* ``releases``: parameter i is released, or null, on every normal exit;
* ``borrows``: parameter i neither escapes nor is released;
* ``stores``: a fresh handle is left on ``self.attr`` (for partial construction);
* ``cannot_raise``: read first, from syntax and the call classifications
  (:mod:`~handlelint.project.raising`), for every function some call may run: one
  called in the module, or in a project any function.

Decorators decide the rest: a ``@contextmanager`` (under any alias) returns a context
manager whose ``as`` target is lent, and a ``functools.cache``/``lru_cache`` opener
owns what it returns. Classes get constructor summaries from
:mod:`~handlelint.project.ownership`.

The order is bottom-up over the strongly connected components of the module's call
graph (callees before callers, Tarjan's algorithm), so a chain of wrappers of any
depth and in any definition order is summarised in one pass; inside a component (a
recursion) the summaries are iterated to a fixpoint with a bound proportional to the
component's size, so cycles terminate. Calls into other modules use their summaries,
computed on demand by the project (:class:`~handlelint.project.model.Foreign`).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterator, Optional

import libcst as cst

from handlelint.cfg.builder import build_cfg
from handlelint.cfg.model import CFG, NodeKind
from handlelint.dataflow.calls import QUIET_CALLS
from handlelint.dataflow.lattice import LEAKY, Env, H
from handlelint.dataflow.liveness import LIVENESS_MIN_NODES, live_after
from handlelint.dataflow.partition import solve
from handlelint.dataflow.solver import SolverLimit
from handlelint.dataflow.transfer import HandleTransfer
from handlelint.index import ModuleIndex
from handlelint.positions import Positions
from handlelint.project.model import (
    CONSTRUCTOR, FUNCTION, STATIC, ClassFacts, Foreign, ModuleFacts, Resolved,
    Summary)
from handlelint.project.ownership import Ownership, read_class, signature
from handlelint.project.raising import cannot_raise
from handlelint.project.receivers import Targets, method_kind
from handlelint.resolve import CallKind, Resolver
from handlelint.rules import AcquireRule
from handlelint.syntax import final_name
from handlelint.walk import preorder

#: Calls of the API itself: ctypes raises only through an ``errcheck`` hook.
_DIRECT = frozenset({CallKind.ACQUIRE, CallKind.RELEASE, CallKind.API})
_TRACKED = frozenset({CallKind.ACQUIRE, CallKind.RELEASE, CallKind.REGISTER, CallKind.API})
_PARAM_RULE = AcquireRule(name="<parameter>", handle_type="<parameter>", release=())
_CACHES = frozenset({"cache", "lru_cache", "cached_property"})
_CONTEXT_MANAGERS = frozenset({"contextmanager", "asynccontextmanager"})

Function = cst.FunctionDef
MakeTransfer = Callable[[Function], HandleTransfer]


def decorator_names(function: Function, imports: list[tuple[str, str]]) -> set[str]:
    """The final names of a function's decorators, import aliases undone."""
    aliases = dict(imports)
    names = set()
    for deco in function.decorators:
        expr = deco.decorator.func if type(deco.decorator) is cst.Call else deco.decorator
        name = final_name(expr)
        names.add(aliases.get(name, name))
    return names


class Summaries:
    """The summaries of one module and the call-site lookup the resolver is given."""

    def __init__(self, index: ModuleIndex, module: str = "",
                 foreign: Optional[Foreign] = None) -> None:
        self._index = index
        self.targets = Targets(index, module, foreign)
        self.functions = self.targets.functions
        self.methods: dict[tuple[str, str], Function] = {
            (self.targets.class_of[id(function)], function.name.value): function
            for function in self.functions.values() if id(function) in self.targets.class_of}
        self.ownership: dict[str, Ownership] = {}
        self._calls_by_scope: Optional[dict[int, list[cst.Call]]] = None
        #: id(function) -> its CFG (non-strict), for the scope checks to reuse.
        self.graphs: dict[int, CFG] = {}
        self._generators: set[int] = set()
        local = self.targets.local
        for qual, function in self.functions.items():
            kind = method_kind(function) if id(function) in self.targets.class_of else FUNCTION
            most, fewest = signature(function, 0 if kind in (FUNCTION, STATIC) else 1)
            decorators = decorator_names(function, index.imports)
            local[qual] = Summary(kind=kind, max_args=most, min_args=fewest,
                                  context_manager=bool(decorators & _CONTEXT_MANAGERS),
                                  cached=bool(decorators & _CACHES),
                                  returns_class=self.targets.returned_class(function))
        for name in self.targets.classes:
            local[name] = Summary(kind=CONSTRUCTOR)

    def of_call(self, call: cst.Call) -> Optional[Resolved]:
        """The project function ``call`` runs, with its summary (the resolver's lookup)."""
        return self.targets.of_call(call)

    # -- computing ----------------------------------------------------------------------

    def compute(self, resolver: Resolver, positions: Positions,
                make_transfer: MakeTransfer) -> None:
        """Summarise the module: classes, then functions bottom-up, then classes again."""
        self._read_classes(resolver)
        self._mark_cannot_raise(resolver)
        self._compute_functions(resolver, positions, make_transfer)
        # Methods may release through helpers summarised just now: read the classes again
        # when a method calls one (by its name).
        helpers = {q.rpartition(".")[2] for q, s in self.targets.local.items() if s.releases}
        if helpers and self.targets.classes and self._calls_helper(helpers) and (
                self._read_classes(resolver)):
            self._compute_functions(resolver, positions, make_transfer)

    def _calls_helper(self, names: set[str]) -> bool:
        """Does a method of the module's classes call a function named in ``names``?"""
        by_scope = self._calls_by_scope or {}
        return any(final_name(call.func) in names for method in self.methods.values()
                   for call in by_scope.get(id(method), ()))

    def _mark_cannot_raise(self, resolver: Resolver) -> None:
        """Note the functions of the module that cannot raise (see :mod:`.raising`)."""
        local = self.targets.local
        by_key = {self.targets.key(q): f for q, f in self.functions.items()}

        def local_callee(call: cst.Call) -> Optional[int]:
            found = self.targets.of_call(call)
            if found is None or found.summary.kind == CONSTRUCTOR:
                return None
            function = by_key.get(found.key)
            return id(function) if function is not None else None

        def quiet(call: cst.Call) -> bool:
            info = resolver.classify(call)
            if info.always_raises or info.through:
                return False
            if info.kind is CallKind.UNKNOWN:
                return not info.raises or info.name in QUIET_CALLS
            return (info.kind in _DIRECT and not info.summary and not info.errcheck
                    or info.summary and not info.raises)

        # Only a function some call may run needs the answer: one called in this module
        # (a callee's callees are called too) or, in a project, possibly by another file
        # (every function then: asking the project about each name would cost more than
        # the walk, which stops at the first may-raise point).
        asked = list(self.functions.values())
        if self.targets.foreign is None:
            called = {callee for callee in map(local_callee, self._index.calls)
                      if callee is not None}
            asked = [f for f in asked if id(f) in called]
        proven = cannot_raise(asked, local_callee, quiet)
        for qual, function in self.functions.items():
            if id(function) in proven and not local[qual].cannot_raise:
                local[qual] = dataclasses.replace(local[qual], cannot_raise=True)
        resolver.forget()

    def _compute_functions(self, resolver: Resolver, positions: Positions,
                           make_transfer: MakeTransfer) -> None:
        resolver.forget()
        candidates, calls = self._candidates(resolver)
        self._generators = {id(f) for f in candidates
                            if any(type(n) is cst.Yield for n in preorder(f.body))}
        by_id = {id(f): f for f in candidates}
        for component in _components(list(by_id), calls):
            functions = [by_id[i] for i in component]
            graphs = {id(f): self._graph(f, positions) for f in functions}
            rounds = 1 if len(functions) == 1 and id(functions[0]) not in calls.get(
                id(functions[0]), ()) else 2 + 2 * len(functions)
            for _ in range(rounds):
                changed = False
                for function in functions:
                    graph = graphs[id(function)]
                    transfer = make_transfer(function)
                    if len(graph.nodes) >= LIVENESS_MIN_NODES:
                        transfer.live = live_after(graph)
                    qual = self.targets.qual_of[id(function)]
                    new = self._summarise(function, graph, transfer, self.targets.local[qual])
                    if new != self.targets.local[qual]:
                        self.targets.local[qual] = new
                        changed = True
                resolver.forget()
                if not changed:
                    break

    def _graph(self, function: Function, positions: Positions) -> CFG:
        """The CFG of ``function``, built once (checking the scope reuses it)."""
        graph = self.graphs.get(id(function))
        if graph is None:
            graph = self.graphs[id(function)] = build_cfg(function.name.value, function,
                                                          positions)
        return graph

    def _candidates(self, resolver: Resolver) -> tuple[list[Function], dict[int, set[int]]]:
        """Functions with a tracked call or a call of a summarised function, and the call
        graph among the module's functions (caller -> callees)."""
        known = {id(f) for f in self.functions.values()}
        calls: dict[int, set[int]] = {}
        chosen: set[int] = set()
        local_of = {self.targets.key(q): f for q, f in self.functions.items()}
        called: set[int] = set()
        for call in self._index.calls:
            found = self.targets.of_call(call)
            local = local_of.get(found.key) if found is not None else None
            if local is not None:
                called.add(id(local))
            scope = self._index.call_scope.get(id(call))
            if scope is None or id(scope) not in known:
                continue
            info = resolver.classify(call)
            if info.kind in _TRACKED and not info.summary:
                chosen.add(id(scope))
            if local is not None:
                calls.setdefault(id(scope), set()).add(id(local))
            elif found is not None and found.summary.known:
                chosen.add(id(scope))
        callers: dict[int, set[int]] = {}
        for caller, callees in calls.items():
            for callee in callees:
                callers.setdefault(callee, set()).add(caller)
        pending = list(chosen)
        while pending:
            for caller in callers.get(pending.pop(), ()):
                if caller not in chosen:
                    chosen.add(caller)
                    pending.append(caller)
        # Only functions something can call need a summary: those called in this module,
        # and those whose name another file of the project mentions.
        foreign = self.targets.foreign
        ordered = [f for f in self.functions.values() if id(f) in chosen and (
            id(f) in called or foreign is not None and not f.name.value.startswith("__")
            and foreign.mentioned_elsewhere(f.name.value))]
        return ordered, calls

    def _summarise(self, function: Function, graph: CFG, transfer: HandleTransfer,
                   old: Summary) -> Summary:
        params = [p.name.value for p in (*function.params.posonly_params,
                                         *function.params.params)]
        env = Env()
        for i, name in enumerate(params):
            site = transfer.pseudo_site(i, _PARAM_RULE)
            env.names[name] = frozenset({site})
            env.sites[site] = {H.MAYBE_NULL: None}
        transfer.owner_stores = True
        try:
            splits = solve(graph, transfer, env)
        except SolverLimit:
            return old
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
        stores: dict[str, AcquireRule] = {}
        for state in exits:
            for name, sites in state.names.items():
                if name.startswith("self."):
                    for site in sites:
                        if site >= len(params) and state.sites.get(site, {}).keys() & LEAKY:
                            stores.setdefault(name[5:], transfer.sites[site].rule)
        returns: Optional[AcquireRule] = None
        if not (old.context_manager or old.cached):
            returns = transfer.returned_rule
        return dataclasses.replace(
            old, returns=returns, releases=frozenset(releases), borrows=frozenset(borrows),
            deferred=id(function) in self._generators, stores=tuple(sorted(
                stores.items(), key=lambda item: item[0])))

    def _read_classes(self, resolver: Resolver) -> bool:
        """Constructor and closer summaries from the classes' ownership; changed?"""
        changed = False
        local = self.targets.local

        def released(call: cst.Call) -> list[cst.BaseExpression]:
            return released_args(resolver, call)

        if self._calls_by_scope is None:
            self._calls_by_scope = {}
            for call in self._index.calls:
                scope = self._index.call_scope.get(id(call))
                self._calls_by_scope.setdefault(id(scope), []).append(call)
        by_scope = self._calls_by_scope

        def calls_of(method: Function) -> list[cst.Call]:
            return by_scope.get(id(method), [])

        for name, cls in self.targets.classes.items():
            inherited = None
            for base in self.targets.bases.get(name, ()):
                module, qual = base.split(":", 1)
                if module == self.targets.module and qual in self.ownership:
                    inherited = self.ownership[qual]
            facts = read_class(cls, released, calls_of, inherited)
            self.ownership[name] = facts
            takes = {i - 1 for attr, i in facts.stored.items() if attr in facts.released}
            kept = {i - 1 for attr, i in facts.stored.items()} - takes
            drops = "__del__" in facts.closers
            summary = Summary(
                kind=CONSTRUCTOR, takes=frozenset(takes),
                borrows=frozenset(i for i in range(facts.max_args or 0) if i not in takes)
                if facts.max_args is not None else frozenset(kept),
                owner=bool(takes) and not drops, exits="__exit__" in facts.closers,
                drops=drops, closers=tuple(sorted(facts.closers - {"__del__", "__exit__"})),
                max_args=facts.max_args, min_args=facts.min_args)
            if local.get(name) != summary:
                local[name] = summary
                changed = True
            for closer in facts.closers:
                qual = f"{name}.{closer}"
                if qual in local and not local[qual].closes_self:
                    local[qual] = dataclasses.replace(local[qual], closes_self=True)
                    changed = True
        if changed:
            resolver.forget()
        return changed

    @property
    def dropping(self) -> set[int]:
        """The ``__init__`` methods of classes whose ``__del__`` releases what they own."""
        return {id(self.functions[f"{name}.__init__"]) for name, owned in self.ownership.items()
                if "__del__" in owned.closers and f"{name}.__init__" in self.functions}

    def facts(self) -> ModuleFacts:
        """What other modules see of this one."""
        targets = self.targets
        classes = {name: ClassFacts(targets.bases.get(name, ()),
                                    tuple(sorted(targets.attr_types.get(name, {}).items())))
                   for name in targets.classes}
        return ModuleFacts(targets.module, dict(targets.local), classes,
                           dict(targets.bindings))


def released_args(resolver: Resolver, call: cst.Call) -> list[cst.BaseExpression]:
    """The argument expressions a call releases (or registers a release for)."""
    info = resolver.classify(call)
    args = [a.value for a in call.args if a.keyword is None]
    if info.kind is CallKind.REGISTER:
        return args
    if info.kind is not CallKind.RELEASE:
        return []
    index = (info.release.arg_index if info.release is not None else 0)
    if index < 0:
        return []
    index += 1 if info.through else 0
    return args[index:index + 1]


def _components(nodes: list[int], edges: dict[int, set[int]]) -> Iterator[list[int]]:
    """Strongly connected components, callees before callers (iterative Tarjan)."""
    number: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    wanted = set(nodes)
    for root in nodes:
        if root in number:
            continue
        work: list[tuple[int, Iterator[int]]] = []
        number[root] = low[root] = len(number)
        stack.append(root)
        on_stack.add(root)
        work.append((root, iter(sorted(edges.get(root, set()) & wanted))))
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in number:
                    number[succ] = low[succ] = len(number)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(edges.get(succ, set()) & wanted))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], number[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == number[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                yield component
