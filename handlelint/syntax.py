"""Small questions about libcst nodes, asked by every stage: names, constants, classes."""

from __future__ import annotations

import libcst as cst

# Compared by exact type (these classes have no subclasses): ``isinstance`` against a
# libcst class goes through the ABC machinery, and these helpers run for every name.
_NAME = cst.Name
_ATTRIBUTE = cst.Attribute


def dotted(expr: cst.BaseExpression) -> str:
    """``a.b.c`` for a name/attribute chain, else ""."""
    kind = type(expr)
    if kind is _NAME:
        return expr.value  # type: ignore[attr-defined,no-any-return]
    parts: list[str] = []
    while kind is _ATTRIBUTE:
        parts.append(expr.attr.value)  # type: ignore[attr-defined]
        expr = expr.value  # type: ignore[attr-defined]
        kind = type(expr)
    if kind is not _NAME:
        return ""
    parts.append(expr.value)  # type: ignore[attr-defined]
    return ".".join(reversed(parts))


def final_name(expr: cst.BaseExpression) -> str:
    """The last identifier of a name or attribute: ``f`` for ``a.b.f`` and ``f``."""
    kind = type(expr)
    if kind is _ATTRIBUTE:
        return expr.attr.value  # type: ignore[attr-defined,no-any-return]
    if kind is _NAME:
        return expr.value  # type: ignore[attr-defined,no-any-return]
    return ""


def constant_truth(expr: cst.BaseExpression) -> bool | None:
    """The truth of a constant (True, False, None, a number, a string), else None."""
    kind = type(expr)
    if kind is _NAME:
        assert isinstance(expr, cst.Name)
        return expr.value == "True" if expr.value in ("True", "False", "None") else None
    if kind is cst.Integer:
        assert isinstance(expr, cst.Integer)
        return expr.value.strip("0_xXoObB") != ""
    if kind is cst.SimpleString:
        assert isinstance(expr, cst.SimpleString)
        return len(expr.evaluated_value or "") > 0
    return None


def subclasses(base: type) -> frozenset[type]:
    """Every class below ``base``, so that ``type(x) in ...`` can replace a slow
    ``isinstance`` against libcst's abstract base classes."""
    found: set[type] = set()
    todo: list[type] = [base]
    while todo:
        sub: type
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return frozenset(found)


def string_value(expr: cst.BaseExpression) -> str | None:
    """The text of a plain string literal (``"kernel32"``), else None (bytes, f-strings,
    and literals Python itself would reject)."""
    if type(expr) is cst.SimpleString:
        try:
            value = expr.evaluated_value
        except Exception:
            return None
        return value if isinstance(value, str) else None
    return None


def target_names(target: cst.CSTNode) -> list[str]:
    """The names an assignment target binds (tuples, lists and starred included)."""
    kind = type(target)
    if kind is _NAME:
        return [target.value]  # type: ignore[attr-defined]
    if kind is cst.Tuple or kind is cst.List:
        return [n for e in target.elements  # type: ignore[attr-defined]
                for n in target_names(e.value)]
    if kind is cst.StarredElement:
        return target_names(target.value)  # type: ignore[attr-defined]
    return []


def parameter_names(params: cst.Parameters) -> list[str]:
    """Every name a parameter list binds, ``*args`` and ``**kwargs`` included."""
    every = (*params.posonly_params, *params.params, *params.kwonly_params)
    found = [p.name.value for p in every]
    for star in (params.star_arg, params.star_kwarg):
        if type(star) is cst.Param:
            found.append(star.name.value)
    return found
