"""The control-flow graph model: nodes holding one libcst element each, tagged edges.

A node is the smallest unit the data-flow analysis interprets: a simple statement, one
atom of a condition, a loop's "next item" test, the entry or exit of a ``with`` item, a
``return`` or ``raise``, or an exit of the scope. Edges carry a kind:

``normal``   control passes on;
``true`` / ``false``   the two sides of a condition (or "got an item" / "exhausted");
``exc``      an unexpected exception raised while evaluating the node;
``raise``    an explicit ``raise`` statement;
``reraise``  an exception already in flight moves on (out of a ``finally`` copy or past
             handlers that did not match).

Exits are nodes too, one per ``return`` statement, one for the end of the scope and one
for exceptions leaving it, so a leak found at an exit knows what ended its path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from handlelint.constants import Constant


class EdgeKind(Constant):
    """What an edge means; the solver asks the transfer function for one state per kind."""

    __slots__ = ()
    NORMAL: ClassVar[EdgeKind]
    TRUE: ClassVar[EdgeKind]
    FALSE: ClassVar[EdgeKind]
    EXC: ClassVar[EdgeKind]
    RAISE: ClassVar[EdgeKind]
    RERAISE: ClassVar[EdgeKind]


EdgeKind.define(("NORMAL", "normal"), ("TRUE", "true"), ("FALSE", "false"), ("EXC", "exc"),
                ("RAISE", "raise"), ("RERAISE", "reraise"))


class NodeKind(Constant):
    """What a node holds, and so how the transfer function reads it."""

    __slots__ = ()
    ENTRY: ClassVar[NodeKind]
    STMT: ClassVar[NodeKind]         # a small statement (assignment, expression, del, ...)
    TEST: ClassVar[NodeKind]         # one atom of a condition: true/false edges
    EVAL: ClassVar[NodeKind]         # an expression evaluated for its effects only
    FOR_NEXT: ClassVar[NodeKind]     # ``for target in ...``: true binds the next item
    WITH_ENTER: ClassVar[NodeKind]   # a ``with`` item: evaluates the manager, binds ``as``
    WITH_EXIT: ClassVar[NodeKind]    # the manager's ``__exit__``
    HANDLER: ClassVar[NodeKind]      # an ``except`` clause: true enters it
    CASE: ClassVar[NodeKind]         # a ``case`` pattern: true enters it
    DEF: ClassVar[NodeKind]          # a nested ``def`` or ``class`` statement binding a name
    RETURN: ClassVar[NodeKind]
    RAISE: ClassVar[NodeKind]
    NOP: ClassVar[NodeKind]          # a join point with no effect
    RETURN_EXIT: ClassVar[NodeKind]
    END_EXIT: ClassVar[NodeKind]
    RAISE_EXIT: ClassVar[NodeKind]


NodeKind.define(
    ("ENTRY", "entry"), ("STMT", "stmt"), ("TEST", "test"), ("EVAL", "eval"),
    ("FOR_NEXT", "for"), ("WITH_ENTER", "with"), ("WITH_EXIT", "exit_with"),
    ("HANDLER", "except"), ("CASE", "case"), ("DEF", "def"), ("RETURN", "return"),
    ("RAISE", "raise"), ("NOP", "nop"), ("RETURN_EXIT", "return_exit"),
    ("END_EXIT", "end_exit"), ("RAISE_EXIT", "raise_exit"))


@dataclass(eq=False)
class Node:
    """One element of the graph. ``element`` is the libcst node it interprets."""

    id: int
    kind: NodeKind
    element: cst.CSTNode | None
    line: int
    #: For a RETURN_EXIT, the line of its ``return``; for END_EXIT, the last line.
    label: str = ""
    succ: list[tuple[int, EdgeKind]] = field(default_factory=list)


@dataclass
class CFG:
    """The graph of one scope (function body, class body or module)."""

    name: str
    scope: cst.CSTNode
    nodes: list[Node] = field(default_factory=list)
    entry: int = 0
    #: Why the scope was not modelled (its work budget ran out), else "".
    too_complex: str = ""

    def add(self, kind: NodeKind, element: cst.CSTNode | None, line: int,
            label: str = "") -> Node:
        node = Node(len(self.nodes), kind, element, line, label)
        self.nodes.append(node)
        return node

    def connect(self, src: int, dst: int, kind: EdgeKind) -> None:
        edge = (dst, kind)
        succ = self.nodes[src].succ
        if edge not in succ:
            succ.append(edge)

    def reachable(self) -> list[int]:
        """Node ids reachable from the entry, in reverse postorder (iteratively).

        The depth-first search takes each node's edges last to first. Edges are added
        exception edge first, so the code an exception runs (the exceptional copy of a
        ``finally``, a handler) is searched last and comes right after the statement
        that raises, not after the whole rest of the function: the ranges of names in
        this order (:mod:`handlelint.dataflow.liveness`) then stay as short as the code
        that uses them.
        """
        nodes = self.nodes
        seen = {self.entry}
        order: list[int] = []
        stack = [(self.entry, reversed(nodes[self.entry].succ))]
        while stack:
            nid, edges = stack[-1]
            for nxt, _ in edges:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, reversed(nodes[nxt].succ)))
                    break
            else:
                stack.pop()
                order.append(nid)
        order.reverse()
        return order

    def dump(self) -> str:
        """A deterministic text form of the reachable graph, for tests.

        ``b3 stmt@5 'x = f()' -> b4 normal, b9 exc``
        """
        lines = []
        for nid in sorted(self.reachable()):
            node = self.nodes[nid]
            text = node.label or _code(node.element)
            edges = ", ".join(f"b{d} {k.value}" for d, k in node.succ)
            lines.append(f"b{nid} {node.kind.value}@{node.line} {text!r} -> {edges}".rstrip(" ->"))
        return "\n".join(lines)


def _code(element: cst.CSTNode | None) -> str:
    if element is None:
        return ""
    try:
        code = cst.Module(body=[]).code_for_node(element)
    except Exception:  # a node that cannot print alone (an ExceptHandler's header)
        return type(element).__name__
    first = code.strip().splitlines()[0] if code.strip() else ""
    return first[:60]
