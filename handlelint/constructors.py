"""Cheaper libcst node constructors while libcst's parser builds a tree.

A libcst parse is mostly the building of its nodes. Each is a frozen dataclass whose
generated ``__init__`` sets every field through ``object.__setattr__`` (looked up as a
global, then an attribute, then the field's slot in the class, per field) and then
checks the fields (``CSTNode.__post_init__`` calls ``_validate``). That is right for
trees built by hand, but the parser's own output is valid by construction: libcst's own
source says so in a PERF note at that method, where the checks are about a fifth of the
parse.

For the parse only (:func:`unchecked`), under a lock, and put back after it whatever
happens:
- each common node class (:data:`COMMON`) gets an ``__init__`` generated here from its
  dataclass fields, with the same parameters and defaults, that sets each field through
  its slot's own descriptor and runs no checks;
- ``CSTNode.__post_init__`` is switched off, for the classes left out.
A class keeps its own ``__init__`` unless it is the plain case: every parameter of its
``__init__`` is a field, in order, and every field is a slot. Another libcst (no
``__post_init__`` on ``CSTNode``) is left alone entirely. The two together take about a
quarter off the parse.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import sys
import threading
import types
from typing import Any, Callable, Iterator

__all__ = ["unchecked"]

_lock = threading.Lock()

#: The node classes that get a quick ``__init__``: those of 99% of the nodes of typical
#: code (measured over the standard library, the dense benchmark and real ctypes code).
#: Putting an ``__init__`` on a class and back costs about 1.4 us (Python updates the
#: class's slots), so the few hundred rarer classes keep their own.
COMMON = frozenset({
    "Add", "And", "Arg", "Assign", "AssignEqual", "AssignTarget", "Attribute", "AugAssign",
    "BinaryOperation", "BooleanOperation", "Call", "ClassDef", "Colon", "Comma", "Comment",
    "Comparison", "ComparisonTarget", "ConcatenatedString", "DictElement", "Dot", "Element",
    "Else", "EmptyLine", "Equal", "ExceptHandler", "Expr", "Finally", "For",
    "FormattedStringText", "FunctionDef", "If", "Import", "ImportAlias", "IndentedBlock",
    "Index", "Integer", "Is", "LeftParen", "LeftSquareBracket", "List", "Minus", "Modulo",
    "Multiply", "Name", "Newline", "Not", "Param", "Parameters", "ParenthesizedWhitespace",
    "Raise", "Return", "RightParen", "RightSquareBracket", "SimpleStatementLine",
    "SimpleString", "SimpleWhitespace", "Slice", "Subscript", "SubscriptElement",
    "Subtract", "TrailingWhitespace", "Try", "Tuple", "UnaryOperation",
})
#: (class, its own ``__init__``, the quick one), made at the first parse.
_swaps: list[tuple[type, Any, Callable[..., None]]] | None = None


class _Factory:
    """The default of a parameter whose field has a default factory."""


_FACTORY = _Factory()


@contextlib.contextmanager
def unchecked() -> Iterator[None]:
    """libcst's node constructors without their checks, fields set through slots."""
    from libcst import CSTNode

    original = CSTNode.__dict__.get("__post_init__")
    if original is None:
        yield
        return
    with _lock:
        swaps = _quick_inits()
        CSTNode.__post_init__ = _no_checks  # type: ignore[method-assign]
        try:
            for kind, _, quick in swaps:
                kind.__init__ = quick  # type: ignore[misc]
            yield
        finally:
            for kind, own, _ in swaps:
                kind.__init__ = own  # type: ignore[misc]
            CSTNode.__post_init__ = original  # type: ignore[method-assign]


def _no_checks(self: object) -> None:
    """Stands for ``CSTNode.__post_init__`` during a parse (see :func:`unchecked`)."""


def _quick_inits() -> list[tuple[type, Any, Callable[..., None]]]:
    global _swaps
    if _swaps is None:
        from libcst import CSTNode

        from handlelint.syntax import subclasses

        found = []
        for kind in sorted(subclasses(CSTNode), key=lambda k: k.__qualname__):
            if kind.__name__ not in COMMON or getattr(
                    sys.modules.get(kind.__module__), kind.__qualname__, None) is not kind:
                continue  # (a class libcst's ``add_slots`` replaced, not yet collected)
            quick = _quick_init(kind)
            if quick is not None:
                found.append((kind, kind.__dict__["__init__"], quick))
        _swaps = found
    return _swaps


def _quick_init(kind: type) -> Callable[..., None] | None:
    """The quick ``__init__`` of ``kind``, or None where it is not the plain case."""
    own = kind.__dict__.get("__init__")
    if own is None or not dataclasses.is_dataclass(kind):
        return None
    fields = dataclasses.fields(kind)
    try:
        parameters = list(inspect.signature(own).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    if [p.name for p in parameters] != [f.name for f in fields] or any(
            p.kind is not p.POSITIONAL_OR_KEYWORD for p in parameters):
        return None
    names: dict[str, object] = {"_FACTORY": _FACTORY}
    signature: list[str] = []
    body: list[str] = []
    for number, f in enumerate(fields):
        if not f.init or f.name.startswith("_"):
            return None
        setter = _slot_setter(kind, f.name)
        if setter is None:
            return None
        if f.default is not dataclasses.MISSING:
            names[f"_default{number}"] = f.default
            signature.append(f"{f.name}=_default{number}")
        elif f.default_factory is not dataclasses.MISSING:
            names[f"_factory{number}"] = f.default_factory
            signature.append(f"{f.name}=_FACTORY")
            body.append(f"    if {f.name} is _FACTORY:\n"
                        f"        {f.name} = _factory{number}()")
        else:
            signature.append(f.name)
        names[f"_set{number}"] = setter
        body.append(f"    _set{number}(self, {f.name})")
    code = (f"def make({', '.join(names)}):\n"
            f"  def __init__(self, {', '.join(signature)}):\n"
            + "\n".join("  " + line for line in body or ["    pass"]) + "\n"
            "  return __init__\n")
    scope: dict[str, Any] = {}
    exec(compile(code, f"<handlelint quick __init__ of {kind.__qualname__}>", "exec"), scope)
    quick: Callable[..., None] = scope["make"](**names)
    quick.__qualname__ = f"{kind.__qualname__}.__init__"
    return quick


def _slot_setter(kind: type, name: str) -> Callable[[object, object], None] | None:
    """The ``__set__`` of the slot ``name`` of ``kind``, if that is what the name is."""
    for klass in kind.__mro__:
        if name in klass.__dict__:
            found = klass.__dict__[name]
            if isinstance(found, types.MemberDescriptorType):
                setter: Callable[[object, object], None] = found.__set__
                return setter
            return None
    return None
