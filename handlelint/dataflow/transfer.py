"""The transfer function: how one CFG node changes the handle states.

:class:`HandleTransfer` evaluates a node's libcst element in evaluation order on a
working copy of the state. Calls are classified by the :class:`~handlelint.resolve.Resolver`:
an acquire creates (or re-creates) its site in state maybe-null, a release marks its
argument released, an unknown call lets its handle arguments escape and is a point
where an exception may leave (the exception state is the state at that point, with
the call as origin). Bindings move sites between names; a site that no name holds any
more while it may still be open is a leak (rebinding, ``del``, a result thrown away).

Conditions refine: on the true side of ``h`` / ``h is not None`` / ``(h := F())`` a
maybe-null site becomes open, on the false side null; a side on which the only site a
name holds has no state left is infeasible.

The same function runs in two modes: while solving (``events`` is None) and once more
over the fixpoint to report, when leaks are recorded as :class:`LeakEvent`.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence, cast

import libcst as cst

from handlelint.cfg.model import EdgeKind, Node, NodeKind
from handlelint.dataflow.calls import (
    RAISES_SOMETIMES, LeakEvent, Record, Site, Work,
)
from handlelint.dataflow.conditions import derived_null_check, refine
from handlelint.dataflow.objects import ObjectMethods
from handlelint.syntax import constant_truth, dotted, subclasses, target_names
from handlelint.dataflow.lattice import LEAKY, Env, Origin, join, leak_origin
from handlelint.dataflow.liveness import Liveness
from handlelint.dataflow.predicates import Predicates
from handlelint.positions import Positions
from handlelint.rules import AcquireRule
from handlelint.resolve import Resolver
from handlelint.walk import children, preorder

# Compared by exact type: ``isinstance`` against a libcst class goes through the
# slow ABC machinery whenever the answer is False.
_EXPRESSIONS = subclasses(cst.BaseExpression)

__all__ = ["HandleTransfer", "LeakEvent", "Site"]


_EMPTY: frozenset[int] = frozenset()
#: The kinds as module names (a global is read faster than a class attribute), for
#: the solver's every node visit.
_NORMAL, _TRUE, _FALSE = EdgeKind.NORMAL, EdgeKind.TRUE, EdgeKind.FALSE
_EXC, _RAISE, _RERAISE = EdgeKind.EXC, EdgeKind.RAISE, EdgeKind.RERAISE
_TEST_NODE, _EVAL_NODE, _RAISE_NODE = NodeKind.TEST, NodeKind.EVAL, NodeKind.RAISE
_PASSING = frozenset({NodeKind.NOP, NodeKind.ENTRY, NodeKind.WITH_EXIT})
_EXITS = frozenset({NodeKind.RETURN_EXIT, NodeKind.END_EXIT, NodeKind.RAISE_EXIT})
_BINDING = frozenset({NodeKind.FOR_NEXT, NodeKind.HANDLER, NodeKind.CASE})
_EXIT_KINDS = {NodeKind.RETURN_EXIT: "return", NodeKind.END_EXIT: "end"}
_LEAVES = frozenset({
    cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis,
})


class HandleTransfer(ObjectMethods):
    """Transfer function and leak reporter for one scope (see the module docstring)."""

    def __init__(self, resolver: Resolver, positions: Positions, *,
                 escaping_names: frozenset[str], all_bindings_escape: bool = False,
                 context_manager: bool = False, borrow_unknown: bool = False) -> None:
        self.resolver = resolver
        self.pos = positions
        self.escaping = escaping_names
        self.all_escape = all_bindings_escape
        #: In a ``@contextmanager`` generator ``yield`` lends the handle to the with
        #: body: no escape, but a point where the body's exception comes in.
        self.context_manager = context_manager
        self.sites: list[Site] = []
        self._site_of: dict[int, int] = {}
        self.site_names: dict[int, str] = {}
        self.records: dict[int, Record] = {}
        #: False while ``--explain`` replays nodes: nothing is recorded then.
        self.recording = True
        self.borrow_unknown = borrow_unknown
        self._parents: dict[int, set[int]] = {}
        self._parent_names: dict[int, set[str]] = {}
        self.acquired_at: dict[int, set[int]] = {}
        self.shadows: dict[int, int] = {}
        self.shadow_of: dict[int, int] = {}
        self._slots: dict[tuple[int, int], int] = {}
        self.together: dict[int, tuple[int, ...]] = {}
        self.structs: set[str] = set()
        self._line = 1
        self._node = 0
        #: Names read after each node (see :mod:`~handlelint.dataflow.liveness`), if known.
        self.live: Liveness | None = None
        #: Predicates whose truth is tracked as facts (see ``predicates``).
        self.predicates = Predicates()

    # -- the solver's interface --------------------------------------------------------

    def __call__(self, node: Node, env: Env) -> Mapping[EdgeKind, Optional[Env]]:
        self._line = node.line
        self._node = node.id
        kind = node.kind
        if kind in _PASSING:
            return {_NORMAL: env, _RERAISE: env}
        if kind in _EXITS:
            self._report_exit(node, env)
            return {}
        work = Work(env)
        element = node.element
        out: dict[EdgeKind, Optional[Env]] = {}
        if kind is _TEST_NODE:
            raw = element.test if type(element) is cst.Assert else element
            assert type(raw) in _EXPRESSIONS
            test = cast(cst.BaseExpression, raw)
            self.eval(test, work)
            after = self._finish(work, "rebind")
            if after is not None:
                key = self.predicates.key_of.get(node.id)
                out[_TRUE] = self._refine(after, test, True, key)
                out[_FALSE] = self._refine(after, test, False, key)
        elif kind is _EVAL_NODE and type(element) is cst.Assert:
            out[_EXC] = env.with_origin(Origin(RAISES_SOMETIMES, node.line, "assert"))
            return out
        elif kind is _RAISE_NODE:
            assert isinstance(element, cst.Raise)
            for part in (element.exc, element.cause.item if element.cause else None):
                if part is not None:
                    self.eval(part, work)
            after = self._finish(work, "rebind")
            if after is not None:
                out[_RAISE] = after.with_origin(Origin(0, node.line, "raise"))
        elif kind in _BINDING:
            out[_FALSE] = env
            for name in _bound_names(element):
                self._bind_name(name, frozenset(), work)
            after = self._finish(work, "rebind")
            out[_TRUE] = after
            out[_NORMAL] = after
            return out
        else:
            self._statement(node, element, work)
            after = self._finish(work, "del" if type(element) is cst.Del else "rebind")
            out[_NORMAL] = after
            if work.raising is not None and after is not None:
                # A call that always raises: only its exception leaves the node.
                raised = after.with_origin(work.raising)
                work.exc = raised if work.exc is None else join(work.exc, raised)
                out[_NORMAL] = None
        out[_EXC] = work.exc
        return out

    # -- statements -------------------------------------------------------------------------

    def _statement(self, node: Node, element: cst.CSTNode | None, work: Work) -> None:
        """A simple statement, a ``with`` item, a nested def, or an expression node.

        Compared by exact type: ``isinstance`` on libcst classes goes through the slow
        ABC machinery, and this runs for every node of every solved graph.
        """
        kind = type(element)
        if kind is cst.Expr:
            self.eval(element.value, work)  # type: ignore[union-attr]
        elif kind is cst.Assign:
            assert isinstance(element, cst.Assign)
            value = self.eval(element.value, work)
            for target in element.targets:
                self._assign(target.target, element.value, value, work)
            self._note_status(element.targets[0].target, element.value, work)
        elif kind is cst.AnnAssign or kind is cst.AugAssign:
            assert isinstance(element, (cst.AnnAssign, cst.AugAssign))
            if element.value is not None:
                value = self.eval(element.value, work)
                if type(element) is cst.AugAssign:
                    self._escape(value, work)
                else:
                    self._assign(element.target, element.value, value, work)
                    self._note_status(element.target, element.value, work)
        elif kind is cst.Return:
            assert isinstance(element, cst.Return)
            if element.value is not None:
                value = self.eval(element.value, work)
                self._note_returned(value, work)
                self._escape(value | self._returned_as_number(element.value, work), work)
        elif kind is cst.Del:
            assert isinstance(element, cst.Del)
            for name in target_names(element.target):
                work.env.names.pop(name, None)
        elif kind is cst.FunctionDef or kind is cst.ClassDef:
            assert isinstance(element, (cst.FunctionDef, cst.ClassDef))
            for deco in element.decorators:
                self.eval(deco.decorator, work)
            if type(element) is cst.FunctionDef:
                self._escape_defaults(element.params, work)
            work.env.names.pop(element.name.value, None)
        elif kind is cst.WithItem:
            assert isinstance(element, cst.WithItem)
            value = self.eval(element.item, work)
            item = element.item
            if type(item) is cst.Call and self.resolver.classify(item).exits:
                self._escape(value, work)  # its ``__exit__`` releases it
                value = _EMPTY
            if element.asname is not None:
                self._assign(element.asname.name, element.item, value, work)
        elif kind is cst.Import or kind is cst.ImportFrom:
            for name in _bound_names(element):
                work.env.names.pop(name, None)
        elif type(element) in _EXPRESSIONS:
            self.eval(cast(cst.BaseExpression, element), work)

    def _assign(self, target: cst.BaseExpression, value_expr: cst.BaseExpression,
                value: frozenset[int], work: Work) -> None:
        if type(target) is cst.Name:
            self._bind_name(target.value, value, work)
            keys = self.predicates.keys_of_name.get(target.value, ())
            truth = constant_truth(value_expr) if target.value in keys else None
            if truth is not None:
                work.env.facts = work.env.facts | {(target.value, truth)}
            derived = derived_null_check(work.env, value_expr, self._out_param_site,
                                         self._site_lookup)
            if derived is not None:
                work.env.derived = work.env.derived | {(target.value, *derived)}
        elif type(target) is cst.Tuple or type(target) is cst.List:
            elements = [e.value for e in target.elements]
            parts = self.unpacked_result(value_expr, len(elements))
            if parts is not None and not any(type(e) is cst.StarredElement
                                             for e in target.elements):
                for sub_target, sites in zip(elements, parts):
                    self._assign(sub_target, value_expr, sites, work)
            elif ((type(value_expr) is cst.Tuple or type(value_expr) is cst.List)
                    and len(value_expr.elements) == len(elements)
                    and not any(type(e) is cst.StarredElement for e in target.elements)):
                values = [self._value_of(v.value, work) for v in value_expr.elements]
                for sub_target, sub_value, sites in zip(elements, value_expr.elements, values):
                    self._assign(sub_target, sub_value.value, sites, work)
            else:
                for sub_target in elements:
                    self._assign(sub_target, value_expr, value, work)
        elif type(target) is cst.StarredElement:
            self._assign(target.value, value_expr, value, work)
        elif (self.owner_stores and _on_self(target)
              and dotted(target)[5:] not in self.unowned_attrs):
            self._bind_name(dotted(target), value, work)
        else:
            if type(target) is cst.Subscript:
                self.eval(target.value, work)
                for part in target.slice:
                    self.eval(part.slice, work)
            self._escape(value, work)

    def _note_status(self, target: cst.BaseExpression, value: cst.BaseExpression,
                     work: Work) -> None:
        """``status = F(..., byref(h))`` (or ``rc = status``): the name holds h's status."""
        if type(target) is not cst.Name:
            return
        status_site = work.status_of.get(id(value))
        if status_site is not None:
            work.env.status[target.value] = frozenset({status_site})
        elif type(value) is cst.Name and value.value in work.env.status:
            work.env.status[target.value] = work.env.status[value.value]

    def _note_returned(self, value: frozenset[int], work: Work) -> None:
        """For summaries: a fresh handle of this scope that may be returned open."""
        if not self.recording:
            return
        for site in sorted(value):
            if self.sites[site].call is not None and work.env.sites.get(site, {}).keys() & LEAKY:
                self._record().returns.append(self.sites[site].rule)

    @property
    def returned_rule(self) -> AcquireRule | None:
        """The rule of a fresh handle some ``return`` hands out (for summaries)."""
        for node in sorted(self.records):
            if self.records[node].returns:
                return self.records[node].returns[0]
        return None

    def _returned_as_number(self, expr: cst.BaseExpression, work: Work) -> frozenset[int]:
        """Handles a ``return`` hands out as plain integers: ``return int(h)``,
        ``return int(h or 0), existed``, ``return {"handle": int(h)}``. ``int`` only
        borrows, so the value it makes holds no site; the handle still leaves with the
        return (the caller owns it)."""
        kind = type(expr)
        if kind is cst.Call:
            assert isinstance(expr, cst.Call)
            func = expr.func
            if (type(func) is cst.Name and func.value == "int" and len(expr.args) == 1
                    and expr.args[0].keyword is None and not expr.args[0].star):
                return self._value_of(expr.args[0].value, work)
            return _EMPTY
        if kind is cst.Tuple or kind is cst.List:
            assert isinstance(expr, (cst.Tuple, cst.List))
            found = _EMPTY
            for element in expr.elements:
                found |= self._returned_as_number(element.value, work)
            return found
        if kind is cst.Dict:
            assert isinstance(expr, cst.Dict)
            found = _EMPTY
            for item in expr.elements:
                if type(item) is cst.DictElement:
                    found |= self._returned_as_number(item.value, work)
            return found
        if kind is cst.BooleanOperation:
            assert isinstance(expr, cst.BooleanOperation)
            return (self._returned_as_number(expr.left, work)
                    | self._returned_as_number(expr.right, work))
        if kind is cst.IfExp:
            assert isinstance(expr, cst.IfExp)
            return (self._returned_as_number(expr.body, work)
                    | self._returned_as_number(expr.orelse, work))
        return _EMPTY

    def _value_of(self, expr: cst.BaseExpression, work: Work) -> frozenset[int]:
        """The sites of an already evaluated element (names only; no new effects)."""
        if type(expr) is cst.Name:
            return work.env.names.get(expr.value, frozenset())
        return self._sites_in(expr, work)

    def _sites_in(self, expr: cst.BaseExpression, work: Work) -> frozenset[int]:
        found: set[int] = set()
        for node in preorder(expr):
            if type(node) is cst.Name:
                found |= work.env.names.get(node.value, frozenset())
            elif type(node) is cst.Call and id(node) in self._site_of:
                found.add(self._site_of[id(node)])
        return frozenset(s for s in found if s in work.env.sites)

    def _bind_name(self, name: str, value: frozenset[int], work: Work) -> None:
        if value:
            self.site_names.setdefault(min(value), name)
            for site in value:
                self.site_names.setdefault(site, name)
        if self.all_escape or name in self.escaping:
            self._escape(value, work)
        work.env.status.pop(name, None)
        keys = self.predicates.keys_of_name.get(name)
        if keys and work.env.facts:
            work.env.facts = frozenset(f for f in work.env.facts if f[0] not in keys)
        if work.env.derived:
            work.env.derived = frozenset(d for d in work.env.derived if d[0] != name)
        if name in work.env.closed:
            work.env.closed = work.env.closed - {name}
        if value:
            work.env.names[name] = value
        else:
            work.env.names.pop(name, None)

    # -- expressions -------------------------------------------------------------------------

    def eval(self, expr: cst.CSTNode, work: Work) -> frozenset[int]:
        """Evaluate ``expr`` for its effects; returns the sites its value may hold.

        Dispatch is on the exact node type (libcst's abstract base classes make
        ``isinstance`` chains slow); constants return at once.
        """
        kind = type(expr)
        if kind is cst.Name:
            found = work.env.names.get(expr.value)  # type: ignore[attr-defined]
            if found is None and self.structs and expr.value in self.structs:  # type: ignore
                return self._members(expr.value, work)  # type: ignore[attr-defined]
            return found or _EMPTY
        if kind in _LEAVES:
            return _EMPTY
        method = _EVAL.get(kind)
        if method is not None:
            return method(self, expr, work)
        for child in _children(expr):
            self.eval(child, work)
        return _EMPTY

    def _e_call(self, expr: cst.Call, work: Work) -> frozenset[int]:
        return self._call(expr, work)

    def _members(self, name: str, work: Work) -> frozenset[int]:
        """``pi``: the handles its members hold (``pi.hProcess``, ``pi.hThread``)."""
        prefix = name + "."
        out: frozenset[int] = _EMPTY
        for held, sites in work.env.names.items():
            if held.startswith(prefix):
                out |= sites
        return out

    def _e_value(self, expr: cst.Attribute | cst.StarredElement | cst.Element,
                 work: Work) -> frozenset[int]:
        if self.owner_stores and type(expr) is cst.Attribute and _on_self(expr):
            return work.env.names.get(dotted(expr), _EMPTY)  # kept on ``self``
        if (self.structs and type(expr) is cst.Attribute and type(expr.value) is cst.Name
                and expr.value.value in self.structs):
            return work.env.names.get(dotted(expr), _EMPTY)  # ``pi.hProcess``
        return self.eval(expr.value, work)

    def _e_subscript(self, expr: cst.Subscript, work: Work) -> frozenset[int]:
        base = self.eval(expr.value, work)
        for part in expr.slice:
            self.eval(part.slice, work)
        return base

    def _e_named(self, expr: cst.NamedExpr, work: Work) -> frozenset[int]:
        value = self.eval(expr.value, work)
        if type(expr.target) is cst.Name:
            self._bind_name(expr.target.value, value, work)
            status_site = work.status_of.get(id(expr.value))
            if status_site is not None:
                work.env.status[expr.target.value] = frozenset({status_site})
        return value

    def _e_sequence(self, expr: cst.Tuple | cst.List | cst.Set, work: Work) -> frozenset[int]:
        out: frozenset[int] = _EMPTY
        for element in expr.elements:
            out |= self.eval(element, work)
        return out

    def _e_dict(self, expr: cst.Dict, work: Work) -> frozenset[int]:
        out: frozenset[int] = _EMPTY
        for item in expr.elements:
            if type(item) is cst.DictElement:
                self.eval(item.key, work)
            out |= self.eval(item.value, work)
        return out

    def _e_ifexp(self, expr: cst.IfExp, work: Work) -> frozenset[int]:
        self.eval(expr.test, work)
        return self.eval(expr.body, work) | self.eval(expr.orelse, work)

    def _e_boolop(self, expr: cst.BooleanOperation, work: Work) -> frozenset[int]:
        return self.eval(expr.left, work) | self.eval(expr.right, work)

    def _e_await(self, expr: cst.Await, work: Work) -> frozenset[int]:
        """The awaited result (``await asyncio.to_thread(clusapi.OpenCluster, n)`` is the
        handle); if the await raises, what it was to produce was never acquired."""
        value = self.eval(expr.expression, work)
        self._may_raise(work, "await", RAISES_SOMETIMES, without=value & work.fresh)
        return value

    def _e_yield(self, expr: cst.Yield, work: Work) -> frozenset[int]:
        inner = expr.value.item if type(expr.value) is cst.From else expr.value
        if inner is not None:
            value = self.eval(inner, work)
            if not self.context_manager:
                self._escape(value, work)
        self._may_raise(work, "yield", RAISES_SOMETIMES)
        return _EMPTY

    def _e_lambda(self, expr: cst.Lambda, work: Work) -> frozenset[int]:
        """A lambda captures the names its body reads, not its own parameters."""
        params = expr.params
        own = {p.name.value for p in (*params.posonly_params, *params.params,
                                      *params.kwonly_params)}
        for star in (params.star_arg, params.star_kwarg):
            if type(star) is cst.Param:
                own.add(star.name.value)
        self._escape_defaults(params, work)
        self._capture(expr.body, work, own)
        return _EMPTY

    def _e_comprehension(self, expr: cst.ListComp | cst.SetComp | cst.GeneratorExp
                         | cst.DictComp, work: Work) -> frozenset[int]:
        """A comprehension is a loop in a scope of its own (SPEC section 3).

        The first iterable runs here; the rest runs once per item, in a scope where the
        comprehension's variables shadow the function's names (they hold no handle of
        this scope). One pass is evaluated: an acquire inside is tracked like one in a
        loop body, and its handle is lost at the end of the item unless it goes into
        the result (a container: an escape) or is released there.
        """
        self.eval(expr.for_in.iter, work)
        own = [n for comp in _comp_fors(expr.for_in) for n in target_names(comp.target)]
        hidden = {n: work.env.names.pop(n) for n in own if n in work.env.names}
        try:
            comp: cst.CompFor | None = expr.for_in
            while comp is not None:
                if comp is not expr.for_in:
                    self.eval(comp.iter, work)
                for cond in comp.ifs:
                    self.eval(cond.test, work)
                comp = comp.inner_for_in
            if type(expr) is cst.DictComp:
                result = self.eval(expr.key, work) | self.eval(expr.value, work)
            else:
                result = self.eval(cast(cst.BaseSimpleComp, expr).elt, work)
            self._escape(result, work)
        finally:
            for name in own:
                work.env.names.pop(name, None)
            work.env.names.update(hidden)
            if work.exc is not None and hidden:  # a raise inside saw the names hidden
                for name in own:
                    work.exc.names.pop(name, None)
                work.exc.names.update(hidden)
        return _EMPTY

    def _escape_defaults(self, params: cst.Parameters, work: Work) -> None:
        """Default values are evaluated here and kept by the function (``h=h``)."""
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.default is not None:
                self._escape(self.eval(param.default, work), work)

    def _capture(self, body: cst.CSTNode, work: Work, own: set[str] | None = None) -> None:
        """Names read by a nested lambda escape, except its own (parameters and the
        variables of comprehensions inside it)."""
        local = set(own or ())
        for node in preorder(body):
            if type(node) is cst.CompFor:
                local.update(target_names(node.target))
        for node in preorder(body):
            if type(node) is cst.Name and node.value not in local:
                self._escape(work.env.names.get(node.value, frozenset()), work)

    # -- after the element ---------------------------------------------------------------------

    def _finish(self, work: Work, lost_kind: str) -> Env | None:
        """Drop sites no name holds; report those that may still be open."""
        if work.dead:
            work.exc = None
            return None
        env = work.env
        if self.live is not None:
            self._forget_dead_names(env)
        for site in env.orphans(work.fresh):
            leaky, origin = leak_origin(env.sites.pop(site))
            if leaky:
                kind = ("discard" if site in work.fresh
                        else "reacquire" if site in work.shadowed else lost_kind)
                self._record_leak(LeakEvent(site, kind, self._line, origin, self._node))
        for name in [n for n, sites in env.status.items()
                     if not any(s in env.sites for s in sites)]:
            del env.status[name]
        if env.derived:
            env.derived = frozenset(d for d in env.derived if d[1] in env.sites)
        if work.exc is not None:
            for site in [s for s in work.fresh if s in work.exc.sites
                         and not env.names.holds(s)]:
                del work.exc.sites[site]
        return env

    def _forget_dead_names(self, env: Env) -> None:
        """Drop the names whose live range ends here (see :mod:`.liveness`)."""
        assert self.live is not None
        self.live.forget(env, self._node)

    def _refine(self, env: Env, test: cst.BaseExpression, side: bool,
                key: str | None) -> Env | None:
        """The state on the ``side`` edge of a condition (see :mod:`.conditions`)."""
        return refine(env, test, side, key, self._out_param_site, self._site_lookup)

    def _out_param_site(self, call: cst.Call) -> int | None:
        """The out-parameter (or paired call) site a call of this scope acquires, if any."""
        site = self._site_of.get(id(call))
        if site is not None and self.sites[site].rule.returns_via in ("out_param", "paired"):
            return site
        return None

    def _site_lookup(self, site: int) -> tuple[AcquireRule, tuple[int, ...]]:
        """A site's rule, and the sites its call acquired with it."""
        return self.sites[site].rule, self.together.get(site, ())

    def _report_exit(self, node: Node, env: Env) -> None:
        kind = _EXIT_KINDS.get(node.kind, "raise")
        kept: set[int] = set()
        if self.owner_stores and kind != "raise":  # the object owns what is on ``self``
            for name, sites in env.names.items():
                if name.startswith("self."):
                    kept |= sites
        for site, val in env.sites.items():
            if site in kept:
                continue
            leaky, origin = leak_origin(val)
            if leaky:
                line = node.line if kind != "raise" or origin is None else origin.line
                self._record_leak(LeakEvent(site, kind, line, origin, node.id))


def _on_self(target: cst.BaseExpression) -> bool:
    return (type(target) is cst.Attribute and type(target.value) is cst.Name
            and target.value.value == "self")


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    return children(node)


def _comp_fors(comp: cst.CompFor) -> list[cst.CompFor]:
    found = []
    here: cst.CompFor | None = comp
    while here is not None:
        found.append(here)
        here = here.inner_for_in
    return found


def _bound_names(element: cst.CSTNode | None) -> list[str]:
    """Names a for-target, except clause, case pattern or import binds."""
    if type(element) is cst.For:
        return target_names(element.target)
    if type(element) is cst.ExceptHandler or type(element) is cst.ExceptStarHandler:
        if element.name is not None and type(element.name.name) is cst.Name:
            return [element.name.name.value]
        return []
    if type(element) is cst.MatchCase:
        return [n.value for n in preorder(element.pattern)
                if type(n) is cst.Name and n.value != "_"]
    if type(element) is cst.Import:
        return [a.evaluated_alias or a.evaluated_name.split(".")[0] for a in element.names]
    if type(element) is cst.ImportFrom and type(element.names) is not cst.ImportStar:
        return [a.evaluated_alias or a.evaluated_name
                for a in cast(Sequence[cst.ImportAlias], element.names)]
    return []


_EVAL: dict[type[cst.CSTNode], Callable[[HandleTransfer, Any, Work], frozenset[int]]] = {
    cst.Call: HandleTransfer._e_call,
    cst.Attribute: HandleTransfer._e_value,
    cst.StarredElement: HandleTransfer._e_value,
    cst.Element: HandleTransfer._e_value,
    cst.Subscript: HandleTransfer._e_subscript,
    cst.NamedExpr: HandleTransfer._e_named,
    cst.Tuple: HandleTransfer._e_sequence,
    cst.List: HandleTransfer._e_sequence,
    cst.Set: HandleTransfer._e_sequence,
    cst.Dict: HandleTransfer._e_dict,
    cst.IfExp: HandleTransfer._e_ifexp,
    cst.BooleanOperation: HandleTransfer._e_boolop,
    cst.Await: HandleTransfer._e_await,
    cst.Yield: HandleTransfer._e_yield,
    cst.Lambda: HandleTransfer._e_lambda,
    cst.ListComp: HandleTransfer._e_comprehension,
    cst.SetComp: HandleTransfer._e_comprehension,
    cst.GeneratorExp: HandleTransfer._e_comprehension,
    cst.DictComp: HandleTransfer._e_comprehension,
}
