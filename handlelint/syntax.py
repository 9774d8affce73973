"""Small questions about libcst nodes, asked by every stage: names, constants, classes."""

from __future__ import annotations

import libcst as cst


def dotted(expr: cst.BaseExpression) -> str:
    """``a.b.c`` for a name/attribute chain, else ""."""
    parts: list[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return ""
    parts.append(expr.value)
    return ".".join(reversed(parts))


def final_name(expr: cst.BaseExpression) -> str:
    """The last identifier of a name or attribute: ``f`` for ``a.b.f`` and ``f``."""
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Name):
        return expr.value
    return ""


def constant_truth(expr: cst.BaseExpression) -> bool | None:
    """The truth of a constant (True, False, None, a number, a string), else None."""
    if isinstance(expr, cst.Name) and expr.value in ("True", "False", "None"):
        return expr.value == "True"
    if isinstance(expr, cst.Integer):
        return expr.value.strip("0_xXoObB") != ""
    if isinstance(expr, cst.SimpleString):
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
    if isinstance(expr, cst.SimpleString):
        try:
            value = expr.evaluated_value
        except Exception:
            return None
        return value if isinstance(value, str) else None
    return None


def target_names(target: cst.CSTNode) -> list[str]:
    """The names an assignment target binds (tuples, lists and starred included)."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in target_names(e.value)]
    if isinstance(target, cst.StarredElement):
        return target_names(target.value)
    return []
