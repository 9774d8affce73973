"""A fast, iterative, source-ordered walk over the meaningful nodes of a libcst tree.

libcst's visitor costs about a parse again and recurses once per nesting level. This walk
reads each node type's dataclass fields once (cached), skips whitespace, punctuation and
operator fields, and keeps its own stack, so it is cheap and safe on deep trees. Children
come in source order: the few node types whose fields are declared in another order
(``a if b else c``, ``f(key=value)``, decorators before ``def``) have their order spelled
out in :data:`_SOURCE_ORDER`.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

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


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The meaningful children of ``node`` in source order."""
    out: list[cst.CSTNode] = []
    nodes = NODE_CLASSES
    for name in child_fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind in nodes:
            out.append(value)
        elif kind is list or kind is tuple:
            out += [item for item in value if type(item) in nodes]
    return out


def preorder(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every meaningful node under ``root`` (included), parents first, in source order."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        kids = children(node)
        kids.reverse()
        stack.extend(kids)
