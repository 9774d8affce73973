"""One cheap pass over a module: its scopes, statements, calls, bindings and captures.

Everything later stages need from the whole module is gathered in a single iterative,
source-ordered walk (no libcst metadata providers): the statements and calls in source
order (for :mod:`handlelint.positions`), the scope each call belongs to, the
assignments and imports that may bind DLL objects or API functions (for
:mod:`handlelint.resolve`), and, per scope, the names that nested scopes mention (a
handle bound to such a name is captured by a closure and escapes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import libcst as cst

from handlelint.syntax import subclasses
from handlelint.walk import children

Scope = Union[cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda]
_SCOPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})


#: Statement classes, compared by exact type: ``isinstance`` on libcst's abstract bases
#: is slow, and this walk visits every node.
_STATEMENTS = subclasses(cst.BaseSmallStatement) | subclasses(cst.BaseCompoundStatement)


@dataclass
class ModuleIndex:
    """What one walk over a module found."""

    module: cst.Module
    statements: list[cst.CSTNode] = field(default_factory=list)
    calls: list[cst.Call] = field(default_factory=list)
    #: id(call) -> the scope it runs in.
    call_scope: dict[int, Scope] = field(default_factory=dict)
    #: Functions and classes, outer before inner.
    scopes: list[cst.FunctionDef | cst.ClassDef] = field(default_factory=list)
    #: id(scope) -> names mentioned inside scopes nested in it.
    captured: dict[int, set[str]] = field(default_factory=dict)
    #: id(scope) -> names declared ``global`` or ``nonlocal`` there.
    declared: dict[int, set[str]] = field(default_factory=dict)
    #: Assignments ``target = value`` in source order (for DLL and alias bindings).
    assigns: list[tuple[cst.BaseExpression, cst.BaseExpression]] = field(default_factory=list)
    #: ``from m import name [as alias]``: (bound name, imported name).
    imports: list[tuple[str, str]] = field(default_factory=list)


def index_module(module: cst.Module) -> ModuleIndex:
    """Walk ``module`` once and return its :class:`ModuleIndex`."""
    index = ModuleIndex(module)
    stack: list[tuple[cst.CSTNode, tuple[Scope, ...]]] = [(module, (module,))]
    while stack:
        node, chain = stack.pop()
        kind = type(node)
        if kind is cst.Name:
            name = node.value  # type: ignore[attr-defined]
            for outer in chain[:-1]:
                index.captured.setdefault(id(outer), set()).add(name)
            continue
        if kind is cst.Call:
            index.calls.append(node)  # type: ignore[arg-type]
            index.call_scope[id(node)] = chain[-1]
        elif kind in _STATEMENTS:
            index.statements.append(node)
            _note_statement(index, node, chain[-1])
        if kind is cst.Attribute:
            stack.append((node.value, chain))  # type: ignore[attr-defined]
            continue
        inner = chain
        if kind in _SCOPES:
            assert isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda))
            inner = (*chain, node)
            if not isinstance(node, cst.Lambda):
                index.scopes.append(node)
        kids = children(node)
        kids.reverse()
        stack.extend((kid, inner) for kid in kids)
    return index


def _note_statement(index: ModuleIndex, node: cst.CSTNode, scope: Scope) -> None:
    if isinstance(node, cst.Assign):
        for target in node.targets:
            index.assigns.append((target.target, node.value))
    elif isinstance(node, cst.AnnAssign) and node.value is not None:
        index.assigns.append((node.target, node.value))
    elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
        for alias in node.names:
            if isinstance(alias.name, cst.Name):
                bound = alias.name.value
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    bound = alias.asname.name.value
                index.imports.append((bound, alias.name.value))
    elif isinstance(node, (cst.Global, cst.Nonlocal)):
        names = index.declared.setdefault(id(scope), set())
        names.update(item.name.value for item in node.names)
