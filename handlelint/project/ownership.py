"""Classes that own handles: which constructor parameters an object takes over, and who closes it.

Read per class of the module, from syntax and the call classifications:

* ``stored``: ``__init__`` parameter i is stored on ``self.attr`` (dataclass fields in
  order are stored by the generated ``__init__``);
* ``released``: some method (of the class or a base of the module) releases
  ``self.attr``: passed to a release, directly, through a local alias, through
  ``getattr(self, "attr", None)``, through a property that returns it, or given to a
  registered release (``stack.callback(Close, self.attr)``). A release registered on an
  ``ExitStack`` the object keeps (``self.stack.callback(...)``, or on a local stack whose
  ``pop_all()`` is stored, ``self.cleanup = stack.pop_all()``) happens where that stack
  is closed (``self.cleanup.close()``): the attribute is released only if some method
  closes it;
* ``closers``: the methods that release an attribute, or call such a method on ``self``.

A constructor whose stored parameter is released by the class takes that argument over:
the object is a resource of its own (closed by a closer, by ``with`` when ``__exit__``
is a closer, and when dropped when ``__del__`` is one). A class that stores the handle
but never releases it leaves it to the caller; one that does not store it borrows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import libcst as cst

from handlelint.syntax import dotted, final_name
from handlelint.walk import preorder

#: ``call -> the argument expressions it releases`` (from the call classifications).
Released = Callable[[cst.Call], list[cst.BaseExpression]]
#: Methods of an ``ExitStack`` that register a release for when it is closed.
_STACK_REGISTRARS = frozenset({"callback", "push_async_callback"})
#: Methods of a kept stack that run what was registered.
_STACK_CLOSERS = frozenset({"close", "aclose", "__exit__", "__aexit__"})


def _kept_stacks(method: cst.FunctionDef) -> dict[str, str]:
    """``self.cleanup = stack.pop_all()`` in ``method``: ``{"stack": "cleanup"}``."""
    found: dict[str, str] = {}
    for node in preorder(method.body):
        if (type(node) is cst.Assign and type(node.value) is cst.Call
                and type(node.value.func) is cst.Attribute
                and node.value.func.attr.value == "pop_all"):
            stack = dotted(node.value.func.value)
            for target in node.targets:
                name = dotted(target.target)
                if stack and name.startswith("self.") and name.count(".") == 1:
                    found[stack] = name[5:]
    return found


def _stack_of(call: cst.Call, kept: dict[str, str]) -> Optional[str]:
    """The attribute holding the stack a registration is made on, if the object keeps it."""
    if not (type(call.func) is cst.Attribute and call.func.attr.value in _STACK_REGISTRARS):
        return None
    receiver = dotted(call.func.value)
    if receiver.startswith("self.") and receiver.count(".") == 1:
        return receiver[5:]
    return kept.get(receiver)


@dataclass
class Ownership:
    """What one class does with the handles it stores (see the module docstring)."""

    stored: dict[str, int] = field(default_factory=dict)
    released: set[str] = field(default_factory=set)
    closers: set[str] = field(default_factory=set)
    max_args: Optional[int] = None
    min_args: int = 0


def _self_attr(expr: cst.BaseExpression, aliases: dict[str, str],
               properties: dict[str, str]) -> Optional[str]:
    name = dotted(expr)
    if name.startswith("self.") and name.count(".") == 1:
        attr = name[5:]
        return properties.get(attr, attr)
    if name in aliases:
        return aliases[name]
    if (type(expr) is cst.Call and final_name(expr.func) == "getattr" and len(expr.args) >= 2
            and dotted(expr.args[0].value) == "self"
            and type(expr.args[1].value) is cst.SimpleString):
        value = expr.args[1].value.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _properties(methods: dict[str, cst.FunctionDef]) -> dict[str, str]:
    """``@property def h(self): return self._h`` -> ``{"h": "_h"}``."""
    found = {}
    for name, method in methods.items():
        if "property" not in {final_name(d.decorator) for d in method.decorators}:
            continue
        for node in preorder(method.body):
            if type(node) is cst.Return and node.value is not None:
                value = dotted(node.value)
                if value.startswith("self.") and value.count(".") == 1:
                    found[name] = value[5:]
    return found


def _signature(function: cst.FunctionDef, skip: int) -> tuple[Optional[int], int]:
    params = function.params
    positional = [*params.posonly_params, *params.params][skip:]
    if type(params.star_arg) is cst.Param:
        return None, 0
    required = sum(1 for p in positional if p.default is None)
    if type(params.star_kwarg) is cst.Param:
        required = 0
    return len(positional), required


def signature(function: cst.FunctionDef, skip: int) -> tuple[Optional[int], int]:
    """(most, fewest) positional arguments a call may pass (None: any number)."""
    return _signature(function, skip)


def read_class(cls: cst.ClassDef, released_args: Released,
               calls_of: Callable[[cst.FunctionDef], list[cst.Call]],
               inherited: Optional[Ownership] = None) -> Ownership:
    """The :class:`Ownership` of one class (``inherited``: its bases' in this module);
    ``calls_of`` gives the calls a method makes itself."""
    body = cls.body.body if type(cls.body) is cst.IndentedBlock else ()
    methods = {s.name.value: s for s in body if type(s) is cst.FunctionDef}
    facts = Ownership()
    if inherited is not None:
        facts.stored.update(inherited.stored)
        facts.released |= inherited.released
        facts.closers |= inherited.closers
        facts.max_args, facts.min_args = inherited.max_args, inherited.min_args
    init = methods.get("__init__")
    if init is not None:
        facts.max_args, facts.min_args = _signature(init, 1)
        params = [p.name.value for p in (*init.params.posonly_params, *init.params.params)]
        for node in preorder(init.body):
            if type(node) is cst.Assign and type(node.value) is cst.Name:
                if node.value.value in params:
                    for target in node.targets:
                        name = dotted(target.target)
                        if name.startswith("self.") and name.count(".") == 1:
                            facts.stored[name[5:]] = params.index(node.value.value)
    elif any(final_name(d.decorator) == "dataclass" for d in cls.decorators):
        fields = [s.body[0] for s in body if type(s) is cst.SimpleStatementLine
                  and type(s.body[0]) is cst.AnnAssign]
        for i, ann in enumerate(fields):
            assert isinstance(ann, cst.AnnAssign)
            if type(ann.target) is cst.Name:
                facts.stored[ann.target.value] = i + 1
        facts.max_args = len(fields)
        facts.min_args = sum(1 for f in fields
                             if type(f) is cst.AnnAssign and f.value is None)
    properties = _properties(methods)
    direct: set[str] = set()
    calls_self: dict[str, set[str]] = {}
    #: Stack attribute -> the attributes whose release was registered on it.
    on_stacks: dict[str, set[str]] = {}
    for name, method in methods.items():
        calls = calls_of(method)
        releasing = [(call, released_args(call)) for call in calls]
        kept = _kept_stacks(method) if any(
            args and type(call.func) is cst.Attribute
            and call.func.attr.value in _STACK_REGISTRARS for call, args in releasing) else {}
        aliases: dict[str, str] = {}
        names = {p.name.value for p in (*method.params.posonly_params, *method.params.params)}
        if any(type(arg) is cst.Name and arg.value not in names
               for _, args in releasing for arg in args):
            for node in preorder(method.body):  # ``h = self._h`` before ``Close(h)``
                if type(node) is cst.Assign and type(node.targets[0].target) is cst.Name:
                    attr = _self_attr(node.value, aliases, properties)
                    if attr is not None:
                        aliases[node.targets[0].target.value] = attr
        for call, args in releasing:
            stack = _stack_of(call, kept) if args else None
            for arg in args:
                attr = _self_attr(arg, aliases, properties)
                if attr is not None and stack is not None:
                    on_stacks.setdefault(stack, set()).add(attr)
                elif attr is not None:
                    facts.released.add(attr)
                    direct.add(name)
            if type(call.func) is cst.Attribute and dotted(call.func.value) == "self":
                calls_self.setdefault(name, set()).add(call.func.attr.value)
    for name, method in methods.items() if on_stacks else ():
        for call in calls_of(method):  # ``self.cleanup.close()`` runs the registered releases
            func = dotted(call.func)
            stack, _, closer = func[5:].rpartition(".")
            if func.startswith("self.") and closer in _STACK_CLOSERS and stack in on_stacks:
                facts.released |= on_stacks[stack]
                direct.add(name)
    facts.closers |= direct
    # ``__del__ = close`` in the class body: the alias runs the same method.
    for stmt in body:
        if (type(stmt) is cst.SimpleStatementLine and type(stmt.body[0]) is cst.Assign
                and type(stmt.body[0].value) is cst.Name
                and stmt.body[0].value.value in methods):
            for target in stmt.body[0].targets:
                if type(target.target) is cst.Name:
                    calls_self.setdefault(target.target.value, set()).add(
                        stmt.body[0].value.value)
    changed = True
    while changed:
        changed = False
        for name, called in calls_self.items():
            if name not in facts.closers and called & facts.closers:
                facts.closers.add(name)
                changed = True
    return facts
