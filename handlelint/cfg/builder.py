"""Building the control-flow graph of one scope from libcst statements.

The builder walks statements in order, keeping a list of *pending* edges (the dangling
ends of the code built so far) that the next node is attached to, and a stack of
*frames* (loops, ``try`` handlers, cleanups of ``finally`` and ``with``) that decides
where ``break``, ``continue``, ``return`` and exceptions go. It mirrors CPython's
compiler (``Python/codegen.c`` unwinding its fblock stack):

* a ``return``, ``break`` or ``continue`` that crosses a ``finally`` or ``with`` gets
  its own inlined copy of the cleanup, built with the frames outside that ``try``;
* exceptions raised inside a ``try`` body go to the handler dispatch, or to one
  exception copy of the cleanup per frame, which then re-raises outward;
* conditions are split into atoms (``not``, ``and``, ``or`` become edges), so each
  atom can refine the state of a handle on its true and false sides.

Every node that may raise gets an ``exc`` edge; whether it really raises is the
transfer function's decision (a clusapi call does not, an unknown call does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence, Union, cast

import libcst as cst

from handlelint.cfg.model import CFG, EdgeKind, Node, NodeKind
from handlelint.positions import Positions
from handlelint.syntax import constant_truth, dotted, final_name, subclasses

# Compared by exact type: ``isinstance`` against a libcst class goes through the
# slow ABC machinery whenever the answer is False.
_SUITES = subclasses(cst.BaseSuite)

Pending = list[tuple[int, EdgeKind]]
Suite = Union[cst.BaseSuite, Sequence[cst.BaseStatement]]


class UnsupportedNode(Exception):
    """Raised in strict mode for a statement kind the builder does not model."""


#: Work budget of a scope: the nodes of its ``finally`` copies (bodies inlined once more
#: per way out) may outnumber the other nodes by this factor, plus a fixed allowance.
#: ``finally`` nested in ``finally`` doubles per level; past the budget the scope is
#: reported as too complex (HDL000) instead of built.
COPY_FACTOR = 16
COPY_ALLOWANCE = 5_000


class TooComplex(Exception):
    """The scope's ``finally`` copies ran past its work budget."""


@dataclass
class _Loop:
    head: int
    breaks: Pending = field(default_factory=list)


@dataclass
class _Handlers:
    dispatch: int


@dataclass
class _Cleanup:
    """A ``finally`` body or a ``with`` item's exit, run on every path leaving it."""

    build: Callable[[], None]
    #: "" none, "some" (the exception may still propagate), "all" (swallowed).
    suppress: str = ""
    exc_entry: int | None = None
    swallowed: Pending = field(default_factory=list)
    #: The line of the ``try`` or ``with`` statement (for the too-complex message).
    line: int = 0


_Frame = Union[_Loop, _Handlers, _Cleanup]

_CATCH_ALL = frozenset({"BaseException", "Exception"})
#: Longest literal a ``for`` loop is unrolled over.
_MAX_UNROLLED = 6
_SUPPRESSORS = frozenset({"suppress"})
#: Literal sequences a name may be bound to (``for h in (h1, h2)`` unrolls them).
_LITERALS = frozenset({cst.Tuple, cst.List})


def _is_catch_all(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """Bare, ``Exception``/``BaseException``, or a tuple holding one of them."""
    if handler.type is None:
        return True
    caught = handler.type
    types = [e.value for e in caught.elements] if type(caught) is cst.Tuple else [caught]
    return any(dotted(t).rsplit(".", 1)[-1] in _CATCH_ALL for t in types)


def _suppression(manager: cst.BaseExpression) -> str:
    """How much a ``with`` manager swallows: "", "some" or "all" (suppress(Exception))."""
    if type(manager) is not cst.Call:
        return ""
    if dotted(manager.func).rsplit(".", 1)[-1] not in _SUPPRESSORS:
        return ""
    caught = {dotted(arg.value).rsplit(".", 1)[-1] for arg in manager.args}
    return "all" if caught & _CATCH_ALL else "some"


def _irrefutable(pattern: cst.MatchPattern) -> bool:
    if type(pattern) is cst.MatchAs:
        return pattern.pattern is None or _irrefutable(pattern.pattern)
    if type(pattern) is cst.MatchOr:
        return any(_irrefutable(p.pattern) for p in pattern.patterns)
    return False


def _plain_item(expr: cst.BaseExpression) -> bool:
    """A name, a dotted name (``info.hProcess``), or a tuple of names and dotted names
    (``(hn, clusapi.CloseClusterNode)``)."""
    if type(expr) is cst.Name:
        return True
    if type(expr) is cst.Attribute:
        return _dotted_names(expr)
    return type(expr) is cst.Tuple and all(
        type(e) is cst.Element and (type(e.value) is cst.Name or type(e.value) is cst.Attribute)
        for e in expr.elements)


def _dotted_names(expr: cst.BaseExpression) -> bool:
    """``a.b.c``: names joined by dots, nothing evaluated on the way."""
    while type(expr) is cst.Attribute:
        expr = expr.value
    return type(expr) is cst.Name


def _null_pattern_test(subject: cst.BaseExpression,
                       pattern: cst.MatchPattern) -> cst.Comparison | None:
    """``subject is None`` for ``case None:`` (or ``case 0:``) when the subject is a name."""
    if type(subject) is not cst.Name or not _null_pattern(pattern):
        return None
    return cst.Comparison(subject, [cst.ComparisonTarget(cst.Is(), cst.Name("None"))])


def _null_pattern(pattern: cst.MatchPattern) -> bool:
    """``None``, ``0``, or an or-pattern of those."""
    if type(pattern) is cst.MatchSingleton:
        return final_name(pattern.value) == "None"
    if type(pattern) is cst.MatchValue:
        return type(pattern.value) is cst.Integer and pattern.value.value == "0"
    if type(pattern) is cst.MatchOr:
        return all(_null_pattern(p.pattern) for p in pattern.patterns)
    return False


class Builder:
    """Builds the :class:`CFG` of one scope; see the module docstring for the model."""

    def __init__(self, name: str, scope: cst.CSTNode, positions: Positions,
                 *, strict: bool = False) -> None:
        self.cfg = CFG(name, scope)
        self.pos = positions
        self.strict = strict
        self.pending: Pending = []
        self.frames: list[_Frame] = []
        self._raise_exit: int | None = None
        self._last_line = positions.line(scope, 1)
        #: Names bound to a literal tuple or list (``handles = (hg, hr)``), as last built.
        self._literals: dict[str, cst.Tuple | cst.List] = {}
        #: Nodes built inside finished copies, copies made, and where the copy in
        #: progress (outermost) started.
        self._copied = 0
        self._copies = 0
        self._copy_start: int | None = None

    # -- entry points -----------------------------------------------------------------

    def build(self, body: Suite, first_line: int) -> CFG:
        """Entry -> body -> end exit; returns the graph."""
        entry = self.cfg.add(NodeKind.ENTRY, self.cfg.scope, first_line)
        self.cfg.entry = entry.id
        self.pending = [(entry.id, EdgeKind.NORMAL)]
        self._last_line = first_line
        self.suite(body)
        end = self.cfg.add(NodeKind.END_EXIT, None, self._last_line, "end")
        self._attach(end.id)
        return self.cfg

    # -- plumbing ------------------------------------------------------------------------

    def _attach(self, nid: int) -> None:
        for src, kind in self.pending:
            self.cfg.connect(src, nid, kind)
        self.pending = []

    def emit(self, kind: NodeKind, element: cst.CSTNode | None, line: int,
             *, raises: bool = True, label: str = "") -> Node:
        """A node after the pending edges; ``raises`` adds its ``exc`` edge."""
        node = self.cfg.add(kind, element, line, label)
        self._attach(node.id)
        self.pending = [(node.id, EdgeKind.NORMAL)]
        self._last_line = max(self._last_line, line)
        if raises:
            self.cfg.connect(node.id, self.exc_target(), EdgeKind.EXC)
        return node

    def exc_target(self) -> int:
        """Where an exception raised here goes: handlers, a cleanup copy, or the exit."""
        for i in range(len(self.frames) - 1, -1, -1):
            frame = self.frames[i]
            if isinstance(frame, _Handlers):
                return frame.dispatch
            if isinstance(frame, _Cleanup):
                if frame.exc_entry is None:
                    frame.exc_entry = self._exception_copy(i, frame)
                return frame.exc_entry
        if self._raise_exit is None:
            self._raise_exit = self.cfg.add(NodeKind.RAISE_EXIT, None, 0, "raise").id
        return self._raise_exit

    def _copy(self, frame: _Cleanup) -> None:
        """Build one more copy of a cleanup, within the scope's work budget."""
        nodes = len(self.cfg.nodes)
        outermost = self._copy_start is None
        if outermost:
            self._copy_start = nodes
        assert self._copy_start is not None
        self._copies += 1
        copied = self._copied + nodes - self._copy_start
        if copied > COPY_FACTOR * (nodes - copied) + COPY_ALLOWANCE:
            raise TooComplex(f"{self._copies} paths through nested finally at line "
                             f"{frame.line}")
        try:
            frame.build()
        finally:
            if outermost:
                self._copied += len(self.cfg.nodes) - self._copy_start
                self._copy_start = None

    def _exception_copy(self, index: int, frame: _Cleanup) -> int:
        """NOP -> cleanup (built with the outer frames) -> reraise outward [-> swallow]."""
        saved_pending, saved_frames = self.pending, self.frames
        self.frames = saved_frames[:index]
        entry = self.cfg.add(NodeKind.NOP, None, 0, "cleanup on exception")
        self.pending = [(entry.id, EdgeKind.NORMAL)]
        self._copy(frame)
        if self.pending:
            if frame.suppress == "all":
                node = self.emit(NodeKind.NOP, None, self._last_line, raises=False,
                                 label="suppressed").id
            else:
                node = self._reraise("re-raise")
            if frame.suppress:
                frame.swallowed.append((node, EdgeKind.NORMAL))
        self.pending, self.frames = saved_pending, saved_frames
        return entry.id

    def _reraise(self, label: str) -> int:
        """Pending ends -> NOP -(reraise)-> the exception target outside; the NOP's id."""
        node = self.emit(NodeKind.NOP, None, self._last_line, raises=False, label=label)
        self.cfg.connect(node.id, self.exc_target(), EdgeKind.RERAISE)
        self.pending = []
        return node.id

    def _unwind(self, stop: int) -> None:
        """Inline the cleanups of frames above index ``stop``, innermost first."""
        saved = self.frames
        for i in range(len(saved) - 1, stop, -1):
            frame = saved[i]
            if isinstance(frame, _Cleanup):
                self.frames = saved[:i]
                self._copy(frame)
        self.frames = saved

    def _innermost_loop(self) -> int:
        for i in range(len(self.frames) - 1, -1, -1):
            if isinstance(self.frames[i], _Loop):
                return i
        return -1

    # -- statements ------------------------------------------------------------------------

    def suite(self, body: Suite) -> None:
        """Build a block of statements (an indented block, a one-line suite or a list)."""
        kind = type(body)
        if kind is cst.SimpleStatementSuite:
            assert isinstance(body, cst.SimpleStatementSuite)
            for small in body.body:
                self.small(small, self.pos.line(small, self._last_line))
            return
        stmts: Sequence[cst.BaseStatement]
        if kind is cst.IndentedBlock:
            assert isinstance(body, cst.IndentedBlock)
            stmts = body.body
        elif kind in _SUITES:
            return
        else:
            stmts = cast(Sequence[cst.BaseStatement], body)
        for stmt in stmts:
            self.statement(stmt)

    def statement(self, stmt: cst.CSTNode) -> None:
        """Dispatch one statement to its builder method."""
        method = _DISPATCH.get(type(stmt))
        if method is not None:
            method(self, stmt)
        elif self.strict:
            raise UnsupportedNode(type(stmt).__name__)
        else:
            self.emit(NodeKind.STMT, stmt, self.pos.line(stmt, self._last_line))

    def simple_line(self, stmt: cst.SimpleStatementLine) -> None:
        """Each small statement of the line in turn."""
        for small in stmt.body:
            self.small(small, self.pos.line(small, self._last_line))

    def small(self, stmt: cst.BaseSmallStatement, line: int) -> None:
        """A small statement: a STMT node, or the jump it makes.

        return: RETURN node -> inlined cleanups -> RETURN_EXIT of this return.
        raise: RAISE node -(raise)-> exception target. break/continue: cleanups, then
        to the loop's exit or head. assert: TEST node, false -> node that raises.
        """
        kind = type(stmt)  # exact types: libcst's isinstance goes through the ABCs
        if self.strict and kind not in MODELLED:
            raise UnsupportedNode(kind.__name__)
        if kind is cst.Return:
            node = self.emit(NodeKind.RETURN, stmt, line)
            self._unwind(-1)
            exit_node = self.cfg.add(NodeKind.RETURN_EXIT, stmt, node.line, "return")
            self._attach(exit_node.id)
        elif kind is cst.Raise:
            node = self.emit(NodeKind.RAISE, stmt, line, raises=False)
            self.cfg.connect(node.id, self.exc_target(), EdgeKind.RAISE)
            self.pending = []
        elif kind is cst.Break or kind is cst.Continue:
            loop_index = self._innermost_loop()
            if loop_index < 0:
                return
            self._unwind(loop_index)
            loop = self.frames[loop_index]
            assert isinstance(loop, _Loop)
            if kind is cst.Break:
                loop.breaks.extend(self.pending)
                self.pending = []
            else:
                self._attach(loop.head)
        elif kind is cst.Assert:
            test = self.emit(NodeKind.TEST, stmt, line, raises=True)
            fail = self.cfg.add(NodeKind.EVAL, stmt, line, "assertion fails")
            self.cfg.connect(test.id, fail.id, EdgeKind.FALSE)
            self.cfg.connect(fail.id, self.exc_target(), EdgeKind.EXC)
            self.pending = [(test.id, EdgeKind.TRUE)]
        elif kind is cst.Pass or kind is cst.Global or kind is cst.Nonlocal:
            return
        else:
            if kind is cst.Assign or kind is cst.AugAssign or kind is cst.AnnAssign:
                self._note_literal(stmt)  # type: ignore[arg-type]
            self.emit(NodeKind.STMT, stmt, line)

    def _note_literal(self, stmt: cst.Assign | cst.AugAssign | cst.AnnAssign) -> None:
        """Remember ``name = (a, b)``; any other binding of the name forgets it."""
        targets = ([t.target for t in stmt.targets] if type(stmt) is cst.Assign
                   else [cast(Union[cst.AugAssign, cst.AnnAssign], stmt).target])
        for target in targets:
            if type(target) is cst.Name:
                assert isinstance(target, cst.Name)
                value = stmt.value
                if type(stmt) is cst.Assign and type(value) in _LITERALS:
                    self._literals[target.value] = cast("cst.Tuple | cst.List", value)
                else:
                    self._literals.pop(target.value, None)

    def _first_line(self, body: cst.BaseSuite, default: int) -> int:
        """The line of a clause's first statement (an ``except`` or ``case`` clause has
        no position of its own): where ``--explain`` says the clause is entered."""
        first: cst.CSTNode | None = None
        if ((type(body) is cst.IndentedBlock or type(body) is cst.SimpleStatementSuite)
                and body.body):
            first = body.body[0]
        if type(first) is cst.SimpleStatementLine and first.body:
            first = first.body[0]
        return default if first is None else self.pos.line(first, default)

    def condition(self, expr: cst.BaseExpression, line: int) -> tuple[Pending, Pending]:
        """Split a condition into TEST atoms; returns its (true, false) edge ends."""
        if type(expr) is cst.UnaryOperation and type(expr.operator) is cst.Not:
            true, false = self.condition(expr.expression, line)
            return false, true
        if type(expr) is cst.BooleanOperation:
            left_true, left_false = self.condition(expr.left, line)
            if type(expr.operator) is cst.And:
                self.pending = left_true
                right_true, right_false = self.condition(expr.right, line)
                return right_true, left_false + right_false
            self.pending = left_false
            right_true, right_false = self.condition(expr.right, line)
            return left_true + right_true, right_false
        truth = constant_truth(expr)
        if truth is not None:
            here, self.pending = self.pending, []
            return (here, []) if truth else ([], here)
        node = self.emit(NodeKind.TEST, expr, line)
        self.pending = []
        return [(node.id, EdgeKind.TRUE)], [(node.id, EdgeKind.FALSE)]

    def if_(self, stmt: cst.If) -> None:
        """test atoms -> body | orelse (an ``elif`` is a nested If) -> join."""
        line = self.pos.line(stmt, self._last_line)
        true, false = self.condition(stmt.test, line)
        self.pending = true
        self.suite(stmt.body)
        then_ends = self.pending
        self.pending = false
        if type(stmt.orelse) is cst.If:
            self.if_(stmt.orelse)
        elif type(stmt.orelse) is cst.Else:
            self.suite(stmt.orelse.body)
        self.pending = then_ends + self.pending

    def while_(self, stmt: cst.While) -> None:
        """NOP head -> test atoms -> body -> head; false -> else; breaks skip the else."""
        line = self.pos.line(stmt, self._last_line)
        head = self.emit(NodeKind.NOP, None, line, raises=False, label="loop")
        true, false = self.condition(stmt.test, line)
        self._loop_body(head.id, true, false, stmt.body, stmt.orelse)

    def for_(self, stmt: cst.For) -> None:
        """EVAL iterable -> FOR_NEXT head -(true: bind target)-> body -> head; false -> else.

        A loop over a short literal of names (``for h in (hg, hr):``, or a name bound to
        one) is unrolled instead: see :meth:`_unrolled_for`.
        """
        line = self.pos.line(stmt, self._last_line)
        items = self._literal_items(stmt)
        if items is not None:
            self._unrolled_for(stmt, items, line)
            return
        self.emit(NodeKind.EVAL, stmt.iter, line)
        head = self.emit(NodeKind.FOR_NEXT, stmt, line, raises=False)
        self.pending = []
        self._loop_body(head.id, [(head.id, EdgeKind.TRUE)], [(head.id, EdgeKind.FALSE)],
                        stmt.body, stmt.orelse)

    def _literal_items(self, stmt: cst.For) -> list[cst.BaseExpression] | None:
        """The items a ``for`` iterates over, when it is a short literal of names (or of
        tuples of names: ``for h, close in ((hn, CloseClusterNode), (hg, ...))``)."""
        if stmt.asynchronous is not None:
            return None
        source: cst.BaseExpression = stmt.iter
        if type(source) is cst.Name:
            found = self._literals.get(source.value)
            if found is None:
                return None
            source = found
        if type(source) is not cst.Tuple and type(source) is not cst.List:
            return None
        items = [e.value for e in source.elements]
        if not items or len(items) > _MAX_UNROLLED or any(
                type(e) is not cst.Element or not _plain_item(e.value)
                for e in source.elements):
            return None
        return items

    def _unrolled_for(self, stmt: cst.For, items: list[cst.BaseExpression], line: int) -> None:
        """EVAL iterable -> per item: STMT ``target = item`` -> body -> NOP "next item";
        then else; breaks skip the else.

        Each item's handle is bound and released in its own copy of the body, so
        ``for h in (hg, hr): CloseClusterGroup(h)`` releases each with the function its
        type needs (HDL003 for the other), with no merged states between the items.
        """
        self.emit(NodeKind.EVAL, stmt.iter, line)
        breaks: Pending = []
        for item in items:
            bind = cst.Assign([cst.AssignTarget(stmt.target)], item)
            self.emit(NodeKind.STMT, bind, line, raises=False)
            after = self.cfg.add(NodeKind.NOP, None, line, "next item")
            loop = _Loop(after.id)
            self.frames.append(loop)
            self.suite(stmt.body)
            self.frames.pop()
            self._attach(after.id)
            self.pending = [(after.id, EdgeKind.NORMAL)]
            breaks.extend(loop.breaks)
        if stmt.orelse is not None:
            self.suite(stmt.orelse.body)
        self.pending = self.pending + breaks

    def _loop_body(self, head: int, true: Pending, false: Pending, body: cst.BaseSuite,
                   orelse: cst.Else | None) -> None:
        loop = _Loop(head)
        self.frames.append(loop)
        self.pending = true
        self.suite(body)
        self._attach(head)
        self.frames.pop()
        self.pending = false
        if orelse is not None:
            self.suite(orelse.body)
        self.pending = self.pending + loop.breaks

    def try_(self, stmt: cst.Try | cst.TryStar) -> None:
        """body [-exc-> dispatch -> handler tests -> handlers] -> else -> finally copies.

        Exceptions in the body reach the dispatch; a handler that is bare or catches
        Exception/BaseException stops them, otherwise they re-raise outward. Handlers
        and ``else`` run inside the ``finally`` frame.
        """
        cleanup: _Cleanup | None = None
        if stmt.finalbody is not None:
            final_body = stmt.finalbody.body
            cleanup = _Cleanup(lambda: self.suite(final_body),
                               line=self.pos.line(stmt, self._last_line))
            self.frames.append(cleanup)
        handler_ends: Pending = []
        if stmt.handlers:
            dispatch = self.cfg.add(NodeKind.NOP, None, self.pos.line(stmt, 0), "except")
            self.frames.append(_Handlers(dispatch.id))
            self.suite(stmt.body)
            self.frames.pop()
            body_ends = self.pending
            next_test: Pending = [(dispatch.id, EdgeKind.NORMAL)]
            for handler in stmt.handlers:
                self.pending = next_test
                line = self._first_line(handler.body, dispatch.line)
                node = self.emit(NodeKind.HANDLER, handler, line, raises=False)
                if _is_catch_all(handler):
                    next_test = []
                else:
                    self.pending = [(node.id, EdgeKind.TRUE)]
                    next_test = [(node.id, EdgeKind.FALSE)]
                self.suite(handler.body)
                handler_ends.extend(self.pending)
            if next_test:
                self.pending = next_test
                self._reraise("no handler matched")
            self.pending = body_ends
        else:
            self.suite(stmt.body)
        if stmt.orelse is not None:
            self.suite(stmt.orelse.body)
        self.pending = self.pending + handler_ends
        if cleanup is not None:
            self.frames.pop()
            if self.pending:
                cleanup.build()

    def with_(self, stmt: cst.With) -> None:
        """WITH_ENTER per item -> body -> WITH_EXIT per item (innermost first).

        Each item is a cleanup frame whose cleanup is its WITH_EXIT; a suppressing
        manager (``contextlib.suppress``) also joins its exception copy to the code after.
        """
        line = self.pos.line(stmt, self._last_line)
        pushed: list[_Cleanup] = []
        for item in stmt.items:
            self.emit(NodeKind.WITH_ENTER, item, line)
            frame = _Cleanup(self._with_exit(item, line), suppress=_suppression(item.item),
                             line=line)
            self.frames.append(frame)
            pushed.append(frame)
        self.suite(stmt.body)
        for frame in reversed(pushed):
            self.frames.pop()
            if self.pending:
                frame.build()
            self.pending = self.pending + frame.swallowed

    def _with_exit(self, item: cst.WithItem, line: int) -> Callable[[], None]:
        def build() -> None:
            self.emit(NodeKind.WITH_EXIT, item, line, raises=False)
        return build

    def match(self, stmt: cst.Match) -> None:
        """EVAL subject -> CASE tests in order (true -> [guard] -> body) -> join."""
        line = self.pos.line(stmt, self._last_line)
        self.emit(NodeKind.EVAL, stmt.subject, line)
        next_case = self.pending
        ends: Pending = []
        for case in stmt.cases:
            self.pending = next_case
            null_test = _null_pattern_test(stmt.subject, case.pattern)
            case_line = self._first_line(case.body, line)
            if null_test is not None:
                # ``case None:`` on a name is the null check ``subject is None``.
                node = self.emit(NodeKind.TEST, null_test, case_line, raises=False)
            else:
                node = self.emit(NodeKind.CASE, case, case_line, raises=False)
            self.pending = [(node.id, EdgeKind.TRUE)]
            next_case = [] if _irrefutable(case.pattern) else [(node.id, EdgeKind.FALSE)]
            if case.guard is not None:
                true, false = self.condition(case.guard, line)
                self.pending = true
                next_case = next_case + false
            self.suite(case.body)
            ends.extend(self.pending)
        self.pending = ends + next_case

    def definition(self, stmt: cst.FunctionDef | cst.ClassDef) -> None:
        """A nested def or class binds its name; its body is a scope of its own."""
        self.emit(NodeKind.DEF, stmt, self.pos.line(stmt, self._last_line))


_SMALL: tuple[type[cst.CSTNode], ...] = tuple(
    getattr(cst, name) for name in (
        "Expr", "Assign", "AugAssign", "AnnAssign", "Del", "Import", "ImportFrom",
        "TypeAlias", "LazyImport", "LazyImportFrom",
    ) if hasattr(cst, name)
)

_DISPATCH: dict[type[cst.CSTNode], Callable[[Builder, cst.CSTNode], None]] = {
    cst.SimpleStatementLine: Builder.simple_line,  # type: ignore[dict-item]
    cst.If: Builder.if_,  # type: ignore[dict-item]
    cst.While: Builder.while_,  # type: ignore[dict-item]
    cst.For: Builder.for_,  # type: ignore[dict-item]
    cst.Try: Builder.try_,  # type: ignore[dict-item]
    cst.TryStar: Builder.try_,  # type: ignore[dict-item]
    cst.With: Builder.with_,  # type: ignore[dict-item]
    cst.Match: Builder.match,  # type: ignore[dict-item]
    cst.FunctionDef: Builder.definition,  # type: ignore[dict-item]
    cst.ClassDef: Builder.definition,  # type: ignore[dict-item]
}

#: Statement kinds the builder models, for the completeness test.
MODELLED = frozenset(_DISPATCH) | frozenset(_SMALL) | frozenset({
    cst.Return, cst.Raise, cst.Break, cst.Continue, cst.Assert, cst.Pass, cst.Global,
    cst.Nonlocal,
})


def build_cfg(name: str, scope: cst.FunctionDef | cst.ClassDef | cst.Module,
              positions: Positions, *, strict: bool = False) -> CFG:
    """The control-flow graph of a function body, class body or module."""
    builder = Builder(name, scope, positions, strict=strict)
    line = positions.line(scope, 1) if type(scope) is not cst.Module else 1
    body: Suite = scope.body if type(scope) is cst.Module else scope.body
    try:
        return builder.build(body, line)
    except TooComplex as exc:
        # A graph that only ends: summaries see a function that does nothing, and
        # the scope's own check reports ``too_complex`` as HDL000.
        cfg = CFG(name, scope, too_complex=f"too complex to analyse: {exc}")
        entry = cfg.add(NodeKind.ENTRY, scope, line)
        end = cfg.add(NodeKind.END_EXIT, None, line, "end")
        cfg.connect(entry.id, end.id, EdgeKind.NORMAL)
        cfg.entry = entry.id
        return cfg
