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
from typing import Any, Union

import libcst as cst

from handlelint.syntax import parameter_names, subclasses, target_names
from handlelint.walk import CHILDREN

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
    #: id(scope) -> names that scopes nested in it read from outside themselves (a name
    #: a nested scope binds as its own local, parameter or comprehension variable is not
    #: captured; one it declares ``global`` or ``nonlocal`` is).
    captured: dict[int, set[str]] = field(default_factory=dict)
    #: id(scope) -> names declared ``global`` or ``nonlocal`` there.
    declared: dict[int, set[str]] = field(default_factory=dict)
    #: Assignments ``target = value`` in source order (for DLL and alias bindings).
    assigns: list[tuple[cst.BaseExpression, cst.BaseExpression]] = field(default_factory=list)
    #: id(assignment target) -> the scope the assignment runs in.
    assign_scope: dict[int, Scope] = field(default_factory=dict)
    #: ``from m import name [as alias]``: (bound name, imported name).
    imports: list[tuple[str, str]] = field(default_factory=list)
    #: id(statement) -> the calls it owns (not those of statements nested in it), in
    #: source order; id(call) -> the statement that owns it (for lazy call positions).
    owned_calls: dict[int, list[cst.Call]] = field(default_factory=dict)
    call_statement: dict[int, cst.CSTNode] = field(default_factory=dict)
    #: id(statement) -> for an assignment or expression statement that calls, awaits and
    #: yields nothing and builds no lambda, comprehension or walrus: every name it
    #: mentions (attribute names included); None for one that does (see
    #: :mod:`handlelint.dataflow.quiet`). Other statements are not keys.
    quiet: dict[int, set[str] | None] = field(default_factory=dict)


def index_module(module: cst.Module) -> ModuleIndex:
    """Walk ``module`` once and return its :class:`ModuleIndex`.

    The walk keeps its context (the chain of scopes, the statement that owns what is
    visited, the name sets being filled) in local variables rather than on every stack
    entry: a statement or scope pushes a :class:`_Restore` of the context below its
    children, and popping it after them puts the context back.
    """
    index = ModuleIndex(module)
    index.owned_calls[id(module)] = []  # no call is outside a statement; for the types
    owned, owner_of, quiet = index.owned_calls, index.call_statement, index.quiet
    calls, call_scope, statements = index.calls, index.call_scope, index.statements
    mentioned: dict[int, set[str]] = {}
    bound: dict[int, set[str]] = {}
    nested: list[tuple[Scope, tuple[Scope, ...]]] = []
    accessors, special = CHILDREN, _SPECIAL
    chain: tuple[Scope, ...] = (module,)
    owner: cst.CSTNode = module
    #: Names mentioned in the innermost function, class or lambda (None: module level).
    names: set[str] | None = None
    #: Names mentioned so far by the statement that may be quiet (None: no such one).
    sink: set[str] | None = None
    stack: list[cst.CSTNode | _Restore] = [module]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is cst.Name:
            if names is not None:
                names.add(item.value)  # type: ignore[union-attr]
            if sink is not None:
                sink.add(item.value)  # type: ignore[union-attr]
            continue
        if kind not in special:
            kids = accessors[kind](item)  # type: ignore[arg-type]
            kids.reverse()
            stack += kids
            continue
        if kind is _Restore:
            chain, owner, names, sink = item  # type: ignore[misc]
            continue
        node: cst.CSTNode = item  # type: ignore[assignment]
        if kind in LOUD and sink is not None:
            quiet[id(owner)] = sink = None
        if kind in _BINDERS and len(chain) > 1:
            bound.setdefault(id(chain[-1]), set()).update(_bound_by(node))
        if kind is cst.Call:
            calls.append(node)  # type: ignore[arg-type]
            call_scope[id(node)] = chain[-1]
            owned[id(owner)].append(node)  # type: ignore[arg-type]
            owner_of[id(node)] = owner
        elif kind is cst.Attribute:
            if sink is not None:
                sink.add(node.attr.value)  # type: ignore[attr-defined]
            stack.append(node.value)  # type: ignore[attr-defined]
            continue
        elif kind in _STATEMENTS:
            statements.append(node)
            owned[id(node)] = []
            _note_statement(index, node, chain[-1])
            if kind in _LEAVES:  # ``pass``, ``break``, ``continue``
                continue
            stack.append(_Restore((chain, owner, names, sink)))
            owner = node
            if kind in MAY_BE_QUIET:
                sink = quiet[id(node)] = set()
            else:
                sink = None
        elif kind in _LEAVES:
            continue
        kids = accessors[kind](node)
        kids.reverse()
        if kind in _SCOPES:
            scope: Scope = node  # type: ignore[assignment]
            if kind is cst.Lambda:  # the only scope that is no statement
                stack.append(_Restore((chain, owner, names, sink)))
            nested.append((scope, chain))
            chain = (*chain, scope)
            names = mentioned.setdefault(id(node), set())
            if kind is not cst.ClassDef:
                bound.setdefault(id(node), set()).update(
                    parameter_names(scope.params))  # type: ignore[union-attr]
            if kind is not cst.Lambda:
                index.scopes.append(scope)  # type: ignore[arg-type]
        stack += kids
    _captures(index, nested, mentioned, bound)
    return index


class _Restore(tuple[Any, ...]):
    """The walk's context to put back once a statement's or scope's children are done:
    (scope chain, owning statement, the scope's mentioned names, the quiet sink)."""

    __slots__ = ()


#: The statements :func:`_note_statement` records.
_NOTED = frozenset({cst.Assign, cst.AnnAssign, cst.ImportFrom, cst.Global, cst.Nonlocal})

#: Nodes with no child worth a visit (literals, and statements of one keyword).
_LEAVES = frozenset({
    cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Ellipsis, cst.Pass,
    cst.Break, cst.Continue, cst.Newline, cst.Comment,
})

#: Statements that may be quiet (:mod:`handlelint.dataflow.quiet`), and the nodes that
#: make one loud: shared with that module, which walks a statement the index does not know.
MAY_BE_QUIET = frozenset({cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Expr})
LOUD = frozenset({
    cst.Call, cst.Await, cst.Yield, cst.Lambda, cst.NamedExpr, cst.ListComp, cst.SetComp,
    cst.GeneratorExp, cst.DictComp,
})

#: Nodes that bind names in the scope they run in.
_BINDERS = frozenset({
    cst.Assign, cst.AnnAssign, cst.AugAssign, cst.For, cst.WithItem, cst.ExceptHandler,
    cst.ExceptStarHandler, cst.NamedExpr, cst.CompFor, cst.Import, cst.ImportFrom,
    cst.FunctionDef, cst.ClassDef,
})


#: Node types the walk does more with than visiting their children (everything else
#: takes one set test and the fast path).
_SPECIAL = frozenset({
    _Restore, cst.Call, cst.Attribute, *_LEAVES, *LOUD, *_BINDERS, *_STATEMENTS, *_SCOPES,
})


def _bound_by(node: cst.CSTNode) -> list[str]:
    """The names a binding node binds in its scope (approximate for comprehensions:
    their variables count as locals of the scope around them)."""
    kind = type(node)  # exact types: isinstance goes through libcst's ABCs
    if kind is cst.Assign:
        targets = node.targets  # type: ignore[attr-defined]
        return [n for t in targets for n in target_names(t.target)]
    if kind in _TARGETED:
        return target_names(node.target)  # type: ignore[attr-defined]
    if kind is cst.WithItem or kind is cst.ExceptHandler or kind is cst.ExceptStarHandler:
        as_name = node.asname if kind is cst.WithItem else node.name  # type: ignore[attr-defined]
        return target_names(as_name.name) if as_name is not None else []
    if kind is cst.FunctionDef or kind is cst.ClassDef:
        return [node.name.value]  # type: ignore[attr-defined]
    if kind is cst.Import:
        return [a.evaluated_alias or a.evaluated_name.split(".")[0]
                for a in node.names]  # type: ignore[attr-defined]
    if kind is cst.ImportFrom:
        aliases = node.names  # type: ignore[attr-defined]
        if type(aliases) is cst.ImportStar:
            return []
        return [a.evaluated_alias or a.evaluated_name for a in aliases]
    return []


#: Binding nodes whose ``target`` is what they bind.
_TARGETED = frozenset({cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr})


def _captures(index: ModuleIndex, nested: list[tuple[Scope, tuple[Scope, ...]]],
              mentioned: dict[int, set[str]], bound: dict[int, set[str]]) -> None:
    """Per scope, the names its nested scopes read from outside themselves.

    Inner scopes first: a scope's free names are those it or its nested scopes mention
    that it does not bind (or that it declares global or nonlocal); its parent captures
    them, and passes on to its own parent those it does not bind itself (a class body
    passes on all its methods' free names, as Python's scoping skips class bodies).
    """
    free: dict[int, set[str]] = {}
    for scope, chain in reversed(nested):
        key = id(scope)
        local = bound.get(key, set()) - index.declared.get(key, set())
        names = mentioned.get(key, set()) - local
        inner = free.get(key, set())
        # A class body is no enclosing scope for its methods: what they read from
        # outside passes through it, whatever the class body binds.
        names |= inner if type(scope) is cst.ClassDef else inner - local
        if names:
            parent = id(chain[-1])
            index.captured.setdefault(parent, set()).update(names)
            free.setdefault(parent, set()).update(names)


def _note_statement(index: ModuleIndex, node: cst.CSTNode, scope: Scope) -> None:
    kind = type(node)  # exact types: isinstance goes through libcst's ABCs
    if kind not in _NOTED:
        return
    if type(node) is cst.Assign:
        for target in node.targets:
            index.assigns.append((target.target, node.value))
            index.assign_scope[id(target.target)] = scope
    elif type(node) is cst.AnnAssign:
        if node.value is not None:
            index.assigns.append((node.target, node.value))
    elif type(node) is cst.ImportFrom:
        if type(node.names) is not cst.ImportStar:
            for alias in node.names:  # type: ignore[union-attr]
                if type(alias.name) is cst.Name:
                    bound = alias.name.value
                    if alias.asname is not None and type(alias.asname.name) is cst.Name:
                        bound = alias.asname.name.value
                    index.imports.append((bound, alias.name.value))
    elif type(node) is cst.Global or type(node) is cst.Nonlocal:
        names = index.declared.setdefault(id(scope), set())
        names.update(item.name.value for item in node.names)
