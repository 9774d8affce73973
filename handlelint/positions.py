"""Line and column of statements and calls, borrowed from Python's own ``ast``.

libcst computes positions by generating the whole module's code again
(``PositionProvider`` costs about two parses). Python's ``ast`` of the same text, which
the engine has anyway from its pre-check, carries positions for free. Statements and
calls correspond one to one between the two trees, and both lists come out in source
order (libcst by a source-ordered walk, ``ast`` by sorting on start position, outer
node first), so zipping them gives each libcst node its position. Each pair is
verified (statement kind, callee name); on any mismatch, or where the running
interpreter's ``ast`` rejects syntax libcst accepts, the index falls back to libcst's
own ``PositionProvider``, which is slower but always right (its character columns are
turned into the same UTF-8 offsets).
"""

from __future__ import annotations

import ast
from typing import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from handlelint.syntax import final_name
from handlelint.walk import preorder

Pos = tuple[int, int]

_STATEMENTS = (cst.BaseSmallStatement, cst.BaseCompoundStatement)
_AST_KIND = {
    "AsyncFunctionDef": "FunctionDef", "AsyncFor": "For", "AsyncWith": "With",
    "Delete": "Del", "TypeAlias": "TypeAlias",
}


def _ast_callee(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _sort_key(node: ast.AST) -> tuple[int, int, int, int]:
    return (node.lineno, node.col_offset,  # type: ignore[attr-defined]
            -(node.end_lineno or 0), -(node.end_col_offset or 0))  # type: ignore[attr-defined]


def _ast_statements_and_calls(tree: ast.Module) -> tuple[list[ast.stmt], list[ast.Call]]:
    """Every statement and call of ``tree`` (an iterative walk, faster than ``ast.walk``)."""
    stmts: list[ast.stmt] = []
    calls: list[ast.Call] = []
    stack: list[ast.AST] = [tree]
    call, stmt, node_type = ast.Call, ast.stmt, ast.AST
    while stack:
        node = stack.pop()
        if isinstance(node, call):
            calls.append(node)
        elif isinstance(node, stmt):
            stmts.append(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, node_type))
            elif isinstance(value, node_type):
                stack.append(value)
    return stmts, calls


class Positions:
    """Positions (1-based line, 0-based column) of the statements and calls of a module."""

    def __init__(self, tree: ast.Module | None, module: cst.Module,
                 cst_stmts: Sequence[cst.CSTNode] | None = None,
                 cst_calls: Sequence[cst.Call] | None = None) -> None:
        """Index ``module``; pass its statements and calls in source order if known."""
        self._pos: dict[int, Pos] = {}
        self._keep: list[cst.CSTNode] = []
        if cst_stmts is None or cst_calls is None:
            cst_stmts, cst_calls = [], []
            for node in preorder(module):
                if isinstance(node, cst.Call):
                    cst_calls.append(node)
                elif isinstance(node, _STATEMENTS):
                    cst_stmts.append(node)
        if tree is None or not self._align(tree, cst_stmts, cst_calls):
            self._fallback(module)

    def _align(self, tree: ast.Module, cst_stmts: Sequence[cst.CSTNode],
               cst_calls: Sequence[cst.Call]) -> bool:
        ast_stmts, ast_calls = _ast_statements_and_calls(tree)
        if len(cst_stmts) != len(ast_stmts) or len(cst_calls) != len(ast_calls):
            return False
        ast_stmts.sort(key=_sort_key)
        ast_calls.sort(key=_sort_key)
        pos = self._pos
        for c, a in zip(cst_stmts, ast_stmts):
            kind = type(a).__name__
            if _AST_KIND.get(kind, kind) != type(c).__name__:
                return False
            pos[id(c)] = (a.lineno, a.col_offset)
        for cc, ac in zip(cst_calls, ast_calls):
            if final_name(cc.func) != _ast_callee(ac.func):
                return False
            pos[id(cc)] = (ac.lineno, ac.col_offset)
        self._keep = [*cst_stmts, *cst_calls]
        return True

    def _fallback(self, module: cst.Module) -> None:
        self._pos.clear()
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
        return self._pos.get(id(node))

    def line(self, node: cst.CSTNode, default: int = 1) -> int:
        """The line of a statement or call, or ``default``."""
        found = self._pos.get(id(node))
        return found[0] if found else default
