"""Line and column of statements and calls, without libcst's costly position pass.

libcst computes positions by generating the whole module's code again
(``PositionProvider`` costs about two parses). Two cheaper sources serve instead:

* **Statement lines** come from :mod:`handlelint.lines`: the logical lines of the text,
  handed out to libcst's statements in source order and checked word by word. The CFG
  needs a line for every statement; this is the only position most files ever need.
* **Calls** (and statements' columns) come from Python's own ``ast`` of the same text,
  parsed when first asked, which only a finding does (an acquire's site asks for its
  call's position when it is reported). Statements correspond one to one between the
  two trees, and both lists come out in source order (libcst's by the index's
  source-ordered walk, ``ast``'s by a walk that descends only into statement bodies, in
  the order of their fields), so zipping them gives each libcst statement its ``ast``
  twin; each pair is verified by kind. The calls a statement owns itself (not those of
  the statements nested in it) correspond one to one too, sorted by start position on
  the ``ast`` side, verified by callee name; they are placed one statement at a time.

Where the lines do not check out, the statement lines come from ``ast`` too. On any
mismatch there, or where the running interpreter's ``ast`` rejects syntax libcst
accepts, the positions fall back to libcst's own ``PositionProvider``, slower but always
right (its character columns turned into the same UTF-8 offsets).
"""

from __future__ import annotations

import ast
from typing import Iterable, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from handlelint.lines import Layout, statement_lines
from handlelint.source import SourceError, parse_python
from handlelint.syntax import final_name, subclasses
from handlelint.walk import children

Pos = tuple[int, int]

_STATEMENTS = (cst.BaseSmallStatement, cst.BaseCompoundStatement)
_STATEMENT_TYPES = subclasses(cst.BaseSmallStatement) | subclasses(cst.BaseCompoundStatement)
_AST_KIND = {
    "AsyncFunctionDef": "FunctionDef", "AsyncFor": "For", "AsyncWith": "With",
    "Delete": "Del", "TypeAlias": "TypeAlias",
}
#: ``ast`` nodes that hold no call (the walk for calls skips them, and ``ctx`` fields).
_AST_LEAVES = frozenset({ast.Name, ast.Constant})
#: Fields of ``ast`` statements that hold nested statements (in source order).
_BODIES = ("body", "handlers", "orelse", "finalbody", "cases")


def _ast_callee(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _sort_key(node: ast.AST) -> tuple[int, int, int, int]:
    return (node.lineno, node.col_offset,  # type: ignore[attr-defined]
            -(node.end_lineno or 0), -(node.end_col_offset or 0))  # type: ignore[attr-defined]


def _ast_statements(tree: ast.Module) -> list[ast.stmt]:
    """Every statement of ``tree`` in source order, by a walk of statement bodies only
    (``except`` handlers and ``case`` blocks hold bodies too)."""
    out: list[ast.stmt] = []
    stack: list[ast.AST] = list(reversed(tree.body))
    stmt = ast.stmt
    while stack:
        node = stack.pop()
        if isinstance(node, stmt):
            out.append(node)
        nested: list[ast.AST] = []
        for name in _BODIES:
            value = getattr(node, name, None)
            if value:
                nested.extend(value)
        nested.reverse()
        stack.extend(nested)
    return out


def _ast_own_calls(statement: ast.stmt) -> list[ast.Call]:
    """The calls of ``statement`` outside the statements nested in it, in source order."""
    todo: list[ast.AST] = []
    for name in statement._fields:
        value = getattr(statement, name, None)
        if name in ("body", "orelse", "finalbody"):
            continue
        if name == "handlers":  # the ``except`` clauses' types, not their bodies
            todo.extend(h.type for h in value or () if h.type is not None)
        elif name == "cases":  # the patterns and guards, not the case bodies
            for case in value or ():
                todo.append(case.pattern)
                if case.guard is not None:
                    todo.append(case.guard)
        elif isinstance(value, list):
            todo.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            todo.append(value)
    calls: list[ast.Call] = []
    call, node_type, leaves = ast.Call, ast.AST, _AST_LEAVES
    while todo:
        node = todo.pop()
        kind = type(node)
        if kind is call:
            calls.append(node)  # type: ignore[arg-type]
        elif kind in leaves:
            continue
        for name in node._fields:
            if name == "ctx":
                continue
            value = getattr(node, name, None)
            if isinstance(value, list):
                todo.extend(v for v in value if isinstance(v, node_type))
            elif isinstance(value, node_type):
                todo.append(value)
    calls.sort(key=_sort_key)
    return calls


def statement_calls(statements: Iterable[cst.CSTNode]) -> dict[int, list[cst.Call]]:
    """Per statement, the calls it owns itself, in source order (for modules not indexed
    by :mod:`handlelint.index`)."""
    owned: dict[int, list[cst.Call]] = {}
    for statement in statements:
        calls = owned.setdefault(id(statement), [])
        stack = children(statement)
        stack.reverse()
        while stack:
            node = stack.pop()
            if type(node) in _STATEMENT_TYPES:
                continue
            if type(node) is cst.Call:
                calls.append(node)
            kids = children(node)
            kids.reverse()
            stack.extend(kids)
    return owned


class Positions:
    """Positions (1-based line, 0-based column) of the statements and calls of a module."""

    def __init__(self, module: cst.Module, *, text: str | None = None,
                 tree: ast.Module | None = None, layout: Layout | None = None,
                 statements: Sequence[cst.CSTNode] | None = None,
                 owned_calls: dict[int, list[cst.Call]] | None = None,
                 call_statement: dict[int, cst.CSTNode] | None = None) -> None:
        """Index ``module`` (whose source is ``text``; Python's tree of it, if already
        parsed, and its layout, if scanned); pass its statements in source order, and
        for each call the statement that owns it and for each statement the calls it
        owns, if known."""
        self._module = module
        self._text = text
        self._tree = tree
        self._pos: dict[int, Pos] = {}
        self._keep: list[cst.CSTNode] = []
        self._ast_of: dict[int, ast.stmt] = {}
        self._done: set[int] = set()
        self._fallen = False
        self._aligned = False
        if statements is None or owned_calls is None or call_statement is None:
            statements = [n for n in _preorder(module) if type(n) in _STATEMENT_TYPES]
            owned_calls = statement_calls(statements)
            call_statement = {id(c): s for s in statements for c in owned_calls[id(s)]}
        self._statements = statements
        self._owned = owned_calls
        self._owner = call_statement
        found = statement_lines(module, layout) if layout is not None else None
        if found is None:
            self._align()
            found = {}
        self._lines = found

    def _align(self) -> None:
        """Pair libcst's statements with Python's (once), or fall back."""
        if self._aligned:
            return
        self._aligned = True
        tree = self._tree
        if tree is None:
            try:
                tree = parse_python(self._module.code if self._text is None else self._text)
            except SourceError:
                self._fallback()
                return
        ast_stmts = _ast_statements(tree)
        cst_stmts = self._statements
        if len(cst_stmts) != len(ast_stmts):
            self._fallback()
            return
        pos = self._pos
        ast_of = self._ast_of
        for c, a in zip(cst_stmts, ast_stmts):
            kind = type(a).__name__
            if _AST_KIND.get(kind, kind) != type(c).__name__:
                self._fallback()
                return
            pos[id(c)] = (a.lineno, a.col_offset)
            ast_of[id(c)] = a
        self._keep = list(cst_stmts)

    def _place_calls(self, statement: cst.CSTNode) -> None:
        """Position the calls ``statement`` owns (once)."""
        self._done.add(id(statement))
        mine = self._owned.get(id(statement), [])
        theirs = _ast_own_calls(self._ast_of[id(statement)])
        if len(mine) != len(theirs) or any(
                final_name(c.func) != _ast_callee(a.func) for c, a in zip(mine, theirs)):
            self._fallback()
            return
        for c, a in zip(mine, theirs):
            self._pos[id(c)] = (a.lineno, a.col_offset)

    def _fallback(self) -> None:
        self._fallen = True
        self._pos.clear()
        module = self._module
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        lines = module.code.splitlines()
        for node, rng in wrapper.resolve(PositionProvider).items():
            if isinstance(node, (cst.Call, *_STATEMENTS)):
                line, column = rng.start.line, rng.start.column
                text = lines[line - 1] if 0 < line <= len(lines) else ""
                if column and not text[:column].isascii():
                    column = len(text[:column].encode("utf-8"))  # as ``ast``: UTF-8 bytes
                self._pos[id(node)] = (line, column)
                self._keep.append(node)

    def get(self, node: cst.CSTNode) -> Pos | None:
        """The position of a statement or call, or None for other nodes."""
        found = self._pos.get(id(node))
        if found is None and not self._fallen:
            self._align()
            found = self._pos.get(id(node))
            if found is None and not self._fallen:
                owner = self._owner.get(id(node))
                if owner is not None and id(owner) not in self._done:
                    self._place_calls(owner)
                    found = self._pos.get(id(node))
        return found

    def line(self, node: cst.CSTNode, default: int = 1) -> int:
        """The line of a statement or call, or ``default``."""
        found = self._lines.get(id(node))
        if found is not None:
            return found
        where = self.get(node)
        return where[0] if where else default


def _preorder(root: cst.CSTNode) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        kids = children(node)
        kids.reverse()
        stack.extend(kids)
    return out
