"""A fast, iterative, source-ordered walk over the meaningful nodes of a libcst tree.

libcst's visitor costs about a parse again and recurses once per nesting level. This walk
reads each node type's dataclass fields once (cached), skips whitespace, punctuation and
operator fields, and keeps its own stack, so it is cheap and safe on deep trees. Children
come in source order: the few node types whose fields are declared in another order
(``a if b else c``, ``f(key=value)``, decorators before ``def``) have their order spelled
out in :data:`_SOURCE_ORDER`.

Each node type gets its own small accessor, generated from its fields' annotations the
first time the type is met (:data:`CHILDREN`): a field declared to hold a node is read
without a test, a sequence of nodes is spliced in, an optional one tested against
``None``, a string or literal field not read at all; only fields whose annotation says
less (unions with sentinels, forward references) keep the generic test of the value's
type. The result is the same as testing every value, at a fraction of the cost, and the
engine calls it for every node of every file.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import typing
from typing import Any, Callable, Iterator

import libcst as cst

from handlelint.syntax import subclasses

_SOURCE_ORDER: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.IfExp: ("body", "test", "orelse"),
    cst.Arg: ("keyword", "value"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.FunctionDef: ("decorators", "name", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "bases", "keywords", "body"),
    cst.Parameters: ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
}

#: Field names that never hold a node worth visiting.
_SKIP_FIELDS = frozenset({
    "lpar", "rpar", "lbracket", "rbracket", "lbrace", "rbrace", "comma", "semicolon",
    "leading_lines", "lines_after_decorators", "header", "footer", "indent", "colon",
    "operator", "dot", "equal", "star", "asynchronous", "whitespace_between",
    "first_colon", "second_colon", "posonly_ind", "trailing_whitespace",
    "leading_whitespace", "encoding", "default_indent", "default_newline",
    "has_trailing_newline", "relative", "conversion",
})

_fields: dict[type[cst.CSTNode], tuple[str, ...]] = {}


#: Every libcst node class: ``type(x) in NODE_CLASSES`` is a set lookup, while
#: ``isinstance(x, cst.CSTNode)`` goes through the slow ABC machinery.
NODE_CLASSES = subclasses(cst.CSTNode)


def child_fields(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    """The node-holding fields of ``kind`` in source order (cached per type)."""
    found = _fields.get(kind)
    if found is None:
        if kind in _SOURCE_ORDER:
            found = _SOURCE_ORDER[kind]
        else:
            found = tuple(
                f.name for f in dataclasses.fields(kind)
                if f.name not in _SKIP_FIELDS and not f.name.startswith("whitespace")
            )
        _fields[kind] = found
    return found


Accessor = Callable[[cst.CSTNode], "list[cst.CSTNode]"]

# How an accessor reads one field, from what the field's annotation promises: always a
# node; a sequence of nodes; a node or None; a sequence or None; a node or something
# else that is no sequence (a sentinel); never a node; not settled by the annotation.
_NODE, _NODES, _MAYBE_NODE, _MAYBE_NODES, _SOME_NODE, _NOTHING, _ANY = range(7)


def _is_node_class(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, cst.CSTNode)


def _is_plain_class(hint: Any) -> bool:
    """A class whose instances are neither nodes nor sequences (None, str, sentinels)."""
    return (isinstance(hint, type) and not issubclass(hint, (cst.CSTNode, list, tuple))
            and typing.get_origin(hint) is None)


def _is_node_sequence(hint: Any) -> bool:
    """``Sequence[X]`` with X a node class or a union of node classes."""
    if typing.get_origin(hint) is not collections.abc.Sequence:
        return False
    (item,) = typing.get_args(hint)
    items = typing.get_args(item) if typing.get_origin(item) is typing.Union else (item,)
    return all(_is_node_class(i) for i in items)


def _shape(hint: Any) -> int:
    """How to read a field annotated ``hint`` (:data:`_ANY` when the annotation does
    not settle it, e.g. an unresolved forward reference)."""
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return _NOTHING
    if _is_node_sequence(hint):
        return _NODES
    members = typing.get_args(hint) if origin is typing.Union else (hint,)
    nodes = [m for m in members if _is_node_class(m)]
    others = [m for m in members if not _is_node_class(m)]
    if not all(_is_plain_class(m) for m in others):
        sequences = [m for m in others if _is_node_sequence(m)]
        if sequences == others[:1] and others[1:] == [type(None)] and not nodes:
            return _MAYBE_NODES
        return _ANY
    if not nodes:
        return _NOTHING
    if not others:
        return _NODE
    return _MAYBE_NODE if others == [type(None)] else _SOME_NODE


def _hints(kind: type[cst.CSTNode]) -> dict[str, Any]:
    """The fields' annotations of ``kind``, forward references resolved if possible."""
    try:
        return typing.get_type_hints(kind)
    except Exception:  # an annotation this Python cannot evaluate: take them as written
        return {f.name: f.type for f in dataclasses.fields(kind)}


def _accessor_source(kind: type[cst.CSTNode]) -> str:
    """The source of ``kind``'s accessor: its children, in the order of
    :func:`child_fields`."""
    hints = _hints(kind)
    lines: list[str] = []
    run: list[str] = []  # consecutive fields that need no test, as list display items

    def flush() -> None:
        if run:
            lines.append(f"out{' += ' if lines else ' = '}[{', '.join(run)}]")
            run.clear()

    for name in child_fields(kind):
        shape = _shape(hints.get(name))
        if shape == _NOTHING:
            continue
        if shape == _NODE:
            run.append(f"node.{name}")
        elif shape == _NODES:
            run.append(f"*node.{name}")
        else:
            flush()
            if not lines:
                lines.append("out = []")
            lines.append(f"value = node.{name}")
            if shape == _MAYBE_NODE:
                lines.append("if value is not None: out.append(value)")
            elif shape == _SOME_NODE:
                lines.append("if type(value) in nodes: out.append(value)")
            elif shape == _MAYBE_NODES:
                lines.append("if value is not None: out += value")
            else:
                lines += [
                    "kind = type(value)",
                    "if kind in nodes: out.append(value)",
                    "elif kind is list or kind is tuple:"
                    " out += [item for item in value if type(item) in nodes]",
                ]
    if not lines:
        body = [f"return [{', '.join(run)}]"]
    else:
        flush()
        body = [*lines, "return out"]
    return "def children(node):\n" + "".join(f"    {line}\n" for line in body)


class _Accessors(dict[type, Accessor]):
    """Node type -> its accessor, generated on first use."""

    def __missing__(self, kind: type) -> Accessor:
        namespace: dict[str, Any] = {"nodes": NODE_CLASSES}
        exec(_accessor_source(kind), namespace)  # noqa: S102 - our own generated code
        made: Accessor = namespace["children"]
        self[kind] = made
        return made


#: ``CHILDREN[type(node)](node)`` is :func:`children` without one call level (for the
#: walks that visit every node).
CHILDREN: dict[type, Accessor] = _Accessors()


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The meaningful children of ``node`` in source order (a new list)."""
    return CHILDREN[type(node)](node)


def preorder(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every meaningful node under ``root`` (included), parents first, in source order."""
    stack = [root]
    accessors = CHILDREN
    while stack:
        node = stack.pop()
        yield node
        kids = accessors[type(node)](node)
        kids.reverse()
        stack += kids
