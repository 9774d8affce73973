"""Which project function a call runs: imports, receiver types and method resolution.

A call resolves to a stable name (``pkg.mod:Class.method``) when its callee is

* a function or class of the module, or one imported from a project module (``from
  a.b import f``, ``import a.b as m; m.f()``, re-exports of a package ``__init__``);
* a function defined inside the calling function (or one around it): a nested
  function, keyed ``pkg.mod:outer.<locals>.inner``;
* ``self.m()`` / ``cls.m()`` inside a class, looked up along the bases (a simple MRO
  over project classes, depth first, left to right), also inside a function nested in
  a method that reads the method's ``self`` (a closure, not a parameter of its own);
* ``obj.m()`` where ``obj`` has a project class: ``obj = C()`` in the module,
  ``self.obj = C()`` (or ``mod.C()``) in any method, a class attribute ``obj: C``, a
  parameter annotated ``C``, or ``obj = make()`` where ``make`` (of this module or
  imported from another one of the project) is annotated to return ``C``;
* ``C.m()``: a static or class method, or a method given its instance explicitly.

Nothing is executed; a name bound in any other way is not followed.
"""

from __future__ import annotations

from typing import Mapping, Optional

import libcst as cst

from handlelint.index import ModuleIndex
from handlelint.project.imports import import_bindings
from handlelint.project.model import (
    CLASSMETHOD, METHOD, STATIC, ClassFacts, Foreign, Resolved, Summary)
from handlelint.syntax import dotted, final_name, subclasses
from handlelint.walk import children

FunctionDef = cst.FunctionDef
_MAX_BASES = 64
#: Nodes that never hold a ``def`` running as part of the function around them.
_NOT_NESTING = subclasses(cst.BaseExpression) | frozenset({
    cst.SimpleStatementLine, cst.ClassDef, cst.Decorator, cst.Parameters})


def _annotation_name(annotation: Optional[cst.Annotation]) -> str:
    if annotation is None:
        return ""
    expr = annotation.annotation
    if type(expr) is cst.SimpleString:
        value = expr.evaluated_value
        return value if isinstance(value, str) else ""
    if type(expr) is cst.Subscript and final_name(expr.value) == "Optional":
        element = expr.slice[0].slice if expr.slice else None
        if type(element) is cst.Index:
            return dotted(element.value)
    return dotted(expr)


def method_kind(function: FunctionDef) -> str:
    """How the receiver fills the first parameter of a method."""
    names = {final_name(d.decorator) for d in function.decorators}
    if "staticmethod" in names:
        return STATIC
    if "classmethod" in names:
        return CLASSMETHOD
    return METHOD


class Targets:
    """Resolves the calls of one module to project functions (see the module docstring)."""

    def __init__(self, index: ModuleIndex, module: str, foreign: Optional[Foreign]) -> None:
        self.index = index
        self.module = module
        self.foreign = foreign
        self.functions: dict[str, FunctionDef] = {}
        self.classes: dict[str, cst.ClassDef] = {}
        self.class_of: dict[int, str] = {}
        self.qual_of: dict[int, str] = {}
        self.bindings: dict[str, str] = {}
        #: id(nested function) -> the function it is defined in.
        self.parent_of: dict[int, FunctionDef] = {}
        #: id(function) -> the functions defined in its body, by name -> qualified name.
        self.nested: dict[int, dict[str, str]] = {}
        if foreign is not None and module:
            self.bindings = import_bindings(index.module, module, foreign.module_of,
                                            foreign.is_module)
        #: Summaries of this module's functions by qualified name (filled by the caller).
        self.local: dict[str, Summary] = {}
        for stmt in index.module.body:
            if type(stmt) is cst.FunctionDef:
                self.functions[stmt.name.value] = stmt
                self.qual_of[id(stmt)] = stmt.name.value
            elif type(stmt) is cst.ClassDef:
                self._add_class(stmt)
        defined = {id(f) for f in self.functions.values()}
        if any(type(s) is cst.FunctionDef and id(s) not in defined for s in index.scopes):
            for qual, function in list(self.functions.items()):
                self._add_nested(function, qual)
        self.attr_types: dict[str, dict[str, str]] = {name: {} for name in self.classes}
        self.bases: dict[str, tuple[str, ...]] = {}
        self.bases = {name: self._bases(cls) for name, cls in self.classes.items()}
        self.instances: dict[str, str] = {}
        self.param_types: dict[int, dict[str, str]] = {}
        #: id(call) -> (stable name, offset) of the function it runs, or None.
        self._resolved: dict[int, Optional[tuple[str, int]]] = {}
        self._read_types()

    # -- the module's own definitions ---------------------------------------------------

    def _add_class(self, cls: cst.ClassDef) -> None:
        self.classes[cls.name.value] = cls
        body = cls.body.body if type(cls.body) is cst.IndentedBlock else ()
        for stmt in body:
            if type(stmt) is cst.FunctionDef:
                qual = f"{cls.name.value}.{stmt.name.value}"
                self.functions[qual] = stmt
                self.class_of[id(stmt)] = cls.name.value
                self.qual_of[id(stmt)] = qual

    def _add_nested(self, function: FunctionDef, qual: str) -> None:
        """The functions defined in ``function``'s body (at any statement depth, not
        inside expressions), as ``qual.<locals>.name``, and theirs in turn."""
        todo: list[cst.CSTNode] = [function.body]
        while todo:
            node = todo.pop()
            if type(node) is cst.FunctionDef:
                names = self.nested.setdefault(id(function), {})
                inner = f"{qual}.<locals>.{node.name.value}"
                if inner in self.functions:
                    names[node.name.value] = ""  # defined twice: which one runs is unknown
                    continue
                self.functions[inner] = node
                self.qual_of[id(node)] = inner
                self.parent_of[id(node)] = function
                names[node.name.value] = inner
                self._add_nested(node, inner)
                continue
            todo.extend(child for child in children(node) if type(child) not in _NOT_NESTING)

    def owner_of(self, scope: Optional[cst.CSTNode]) -> Optional[str]:
        """The class whose method ``scope`` is, also for a function nested in a method
        that reads the method's ``self`` (it has no parameter of that name)."""
        while scope is not None:
            name = self.class_of.get(id(scope))
            if name is not None:
                return name
            parent = self.parent_of.get(id(scope))
            if parent is None or type(scope) is not cst.FunctionDef or any(
                    p.name.value in ("self", "cls") for p in (
                        *scope.params.posonly_params, *scope.params.params)):
                return None
            scope = parent
        return None

    def key(self, qual: str) -> str:
        """The stable name of this module's ``qual``."""
        return f"{self.module}:{qual}"

    def _bases(self, cls: cst.ClassDef) -> tuple[str, ...]:
        found = []
        for arg in cls.bases:
            key = self.resolve_name(dotted(arg.value))
            if key is not None:
                found.append(key)
        return tuple(found)

    def _read_types(self) -> None:
        """Receiver types: ``x = C()``, ``self.x = C()``, ``x: C``, parameter annotations,
        and ``x = make()`` for a function of the module annotated ``-> C``."""
        for target, value in self.index.assigns:
            if type(value) is not cst.Call:
                continue
            cls = self.class_key(dotted(value.func))
            if cls is None:
                cls = self._returned_class(dotted(value.func))
            name = dotted(target)
            if cls is None or not name:
                continue
            if name.startswith("self.") and name.count(".") == 1:
                owner = self.owner_of(self.index.call_scope.get(id(value)))
                if owner is not None:
                    self.attr_types[owner][name[5:]] = cls
                continue
            scope = self.index.assign_scope.get(id(target))
            if type(scope) is cst.FunctionDef:  # a local of that function
                self.param_types.setdefault(id(scope), {})[name] = cls
            else:
                self.instances[name] = cls
        for name, definition in self.classes.items():
            body = definition.body.body if type(definition.body) is cst.IndentedBlock else ()
            for stmt in body:
                if type(stmt) is cst.SimpleStatementLine:
                    for small in stmt.body:
                        if type(small) is cst.AnnAssign and type(small.target) is cst.Name:
                            found = self.class_key(_annotation_name(small.annotation))
                            if found is not None:
                                self.attr_types[name][small.target.value] = found
        for function in self.functions.values():
            params = function.params
            types = {}
            for param in (*params.posonly_params, *params.params, *params.kwonly_params):
                found = self.class_key(_annotation_name(param.annotation))
                if found is not None:
                    types[param.name.value] = found
            if types:
                self.param_types.setdefault(id(function), {}).update(types)

    def _returned_class(self, name: str) -> Optional[str]:
        """The project class a function named ``name`` is annotated to return: one of
        this module (read from its annotation) or of another module (its summary)."""
        maker = self.functions.get(name)
        if maker is not None:
            return self.class_key(_annotation_name(maker.returns))
        key = self.resolve_name(name)
        if key is None or key.startswith(f"{self.module}:") or self.foreign is None:
            return None
        summary = self.foreign.summary(key)
        return summary.returns_class or None if summary is not None else None

    def returned_class(self, function: FunctionDef) -> str:
        """The key of the project class ``function`` is annotated to return ("" if none)."""
        return self.class_key(_annotation_name(function.returns)) or ""

    # -- names to stable names --------------------------------------------------------------

    def resolve_name(self, name: str) -> Optional[str]:
        """The stable name a dotted name denotes (a function, class or method), if any."""
        if not name:
            return None
        parts = name.split(".")
        head = parts[0]
        if head in self.classes or head in self.functions:
            return self.key(".".join(parts)) if len(parts) <= 2 else None
        binding = self.bindings.get(head)
        if binding is None or self.foreign is None:
            return None
        rest = parts[1:]
        if ":" not in binding:
            module = binding
            while rest and self.foreign.is_module(f"{module}.{rest[0]}"):
                module = f"{module}.{rest.pop(0)}"
            if not rest:
                return None
            binding = f"{module}:{rest.pop(0)}"
        target = self._follow(binding)
        if target is None or ":" not in target:
            return None
        return ".".join([target, *rest]) if len(rest) <= 1 else None

    def _follow(self, binding: str) -> Optional[str]:
        """Follow re-exports (``from .impl import C`` in a package ``__init__``)."""
        assert self.foreign is not None
        for _ in range(16):
            if ":" not in binding:
                return binding
            module, member = binding.split(":", 1)
            if module == self.module:
                return binding
            further = self.foreign.export(module, member)
            if further is None:
                return binding
            binding = further
        return None

    def class_key(self, name: str) -> Optional[str]:
        """The stable name of the project class ``name`` denotes, if it is one."""
        key = self.resolve_name(name)
        if key is None:
            return None
        return key if self.facts_of(key) is not None else None

    def facts_of(self, class_key: str) -> Optional[ClassFacts]:
        """The bases and attribute types of a project class."""
        module, qual = class_key.split(":", 1)
        if module == self.module:
            if qual not in self.classes:
                return None
            return ClassFacts(self.bases.get(qual, ()),
                              tuple(sorted(self.attr_types.get(qual, {}).items())))
        return self.foreign.class_facts(class_key) if self.foreign is not None else None

    def summary_of(self, key: str) -> Optional[Summary]:
        """The summary of a stable name, here or in another module."""
        module, qual = key.split(":", 1)
        if module == self.module:
            return self.local.get(qual)
        return self.foreign.summary(key) if self.foreign is not None else None

    def method(self, class_key: str, name: str) -> Optional[tuple[str, Summary]]:
        """``name`` looked up along the bases of ``class_key``."""
        todo, seen = [class_key], set[str]()
        while todo and len(seen) < _MAX_BASES:
            key = todo.pop(0)
            if key in seen:
                continue
            seen.add(key)
            found = self.summary_of(f"{key}.{name}")
            if found is not None:
                return f"{key}.{name}", found
            facts = self.facts_of(key)
            if facts is not None:
                todo.extend(facts.bases)
        return None

    def attr_type(self, class_key: str, attr: str) -> Optional[str]:
        """The project class of ``self.attr`` in ``class_key`` or a base."""
        todo, seen = [class_key], set[str]()
        while todo and len(seen) < _MAX_BASES:
            key = todo.pop(0)
            if key in seen:
                continue
            seen.add(key)
            facts = self.facts_of(key)
            if facts is None:
                continue
            found = dict(facts.attr_types).get(attr)
            if found is not None:
                return found
            todo.extend(facts.bases)
        return None

    # -- calls ---------------------------------------------------------------------------

    def enclosing_class(self, call: cst.CSTNode) -> Optional[str]:
        """The key of the class whose method ``call`` is in (see :meth:`owner_of`)."""
        name = self.owner_of(self.index.call_scope.get(id(call)))
        return self.key(name) if name is not None else None

    def of_call(self, call: cst.Call) -> Optional[Resolved]:
        """The project function ``call`` runs (see the module docstring), its summary
        as it is now. Which function a call of the module runs is worked out once (it
        depends on syntax, bindings and other modules' facts, not on this module's
        summaries, which change while they are computed)."""
        known = id(call) in self.index.call_scope  # not a node made for the question
        if known and id(call) in self._resolved:
            hit = self._resolved[id(call)]
            if hit is None:
                return None
            summary = self.summary_of(hit[0])
            return Resolved(hit[0], summary, hit[1]) if summary is not None else None
        found = self._of_call(call)
        if known:
            self._resolved[id(call)] = (found.key, found.offset) if found is not None else None
        return found

    def _of_call(self, call: cst.Call) -> Optional[Resolved]:
        func = call.func
        if type(func) is cst.Name:
            inner = self._nested_function(call, func.value)
            if inner is not None:
                return Resolved(self.key(inner), self.local[inner], 0) if (
                    inner in self.local) else None  # "": defined twice
            return self._by_name(func.value)
        if type(func) is not cst.Attribute:
            return None
        receiver = dotted(func.value)
        method = func.attr.value
        cls: Optional[str] = None
        if receiver in ("self", "cls"):
            cls = self.enclosing_class(call)
        elif receiver.startswith("self.") and receiver.count(".") == 1:
            owner = self.enclosing_class(call)
            cls = self.attr_type(owner, receiver[5:]) if owner is not None else None
        elif receiver:
            cls = self._local_type(call, receiver) or self.instances.get(receiver)
        if cls is not None:
            found = self.method(cls, method)
            if found is None:
                return None
            key, summary = found
            offset = 0 if summary.kind == STATIC else 1
            return Resolved(key, summary, offset)
        if not receiver:
            return None
        return self._by_name(f"{receiver}.{method}")

    def _local_type(self, call: cst.Call, name: str) -> Optional[str]:
        """The class of a parameter or local ``name`` of the function ``call`` is in, or
        of a function around it (a closure reads the enclosing function's names)."""
        return self._innermost(call, self.param_types, name)

    def _nested_function(self, call: cst.Call, name: str) -> Optional[str]:
        """The qualified name of the nested function ``name`` a call in a function
        (or in a function nested in it) runs."""
        return self._innermost(call, self.nested, name)

    def _innermost(self, call: cst.Call, by_scope: Mapping[int, Mapping[str, str]],
                   name: str) -> Optional[str]:
        """``name`` in the table of the scope of ``call``, or of the nearest scope around
        it that has it."""
        scope: Optional[cst.CSTNode] = self.index.call_scope.get(id(call))
        while scope is not None:
            found = by_scope.get(id(scope), {}).get(name)
            if found is not None:
                return found
            scope = self.parent_of.get(id(scope))
        return None

    def _by_name(self, name: str) -> Optional[Resolved]:
        key = self.resolve_name(name)
        if key is None:
            return None
        summary = self.summary_of(key)
        if summary is None:
            owner, _, method = key.rpartition(".")
            if ":" in owner and self.facts_of(owner) is not None:
                found = self.method(owner, method)  # inherited, called through the class
                if found is not None:
                    key, summary = found
            if summary is None:
                return None
        offset = 1 if summary.kind == CLASSMETHOD else 0
        return Resolved(key, summary, offset)
