"""How a condition refines handle states: null checks, status checks and flag tests.

On the two edges of a condition atom:

* a null check of a name holding one site (``h``, ``not h``, ``h is None``,
  ``h == 0``, ``bool(h)``, ``h.value``, ``(h := F())``) makes a maybe-null site open on
  the non-null side and null on the other;
* a status check of an out-parameter acquire (``status``, ``status != 0``,
  ``F(...) == ERROR_SUCCESS``, ``(status := F(...)) != 0``) makes it owned (open) on the
  success side and null (nothing acquired) on the failure side;
* a bare test of a flag records the flag's value as a fact (see ``partition``);
* a bare test of a name assigned a null check (``ok = h is not None``) refines ``h``
  as the null check itself would.

A side on which the tested site has no state left, or that contradicts a known fact,
is infeasible: the refinement returns None.
"""

from __future__ import annotations

from typing import Callable, Optional

import libcst as cst

from handlelint.dataflow.lattice import Env, H, Origin
from handlelint.syntax import dotted, final_name

_NONE_LIKE = ("None", "NULL")


def refine(env: Env, test: cst.BaseExpression, side: bool, key: str | None,
           out_param_site: Callable[[cst.Call], int | None]) -> Env | None:
    """The state on the ``side`` edge of ``test`` (``key``: its predicate, if it is one)."""
    refined = _refine_handles(env, test, side, out_param_site)
    if refined is None or key is None:
        return refined
    if (key, not side) in refined.facts:
        return None
    out = refined.copy() if refined is env else refined
    out.facts = refined.facts | {(key, side)}
    return out


def _refine_handles(env: Env, test: cst.BaseExpression, side: bool,
                    out_param_site: Callable[[cst.Call], int | None]) -> Env | None:
    """The handle states on the ``side`` edge: null checks, derived flags, status checks."""
    if isinstance(test, cst.Name) and env.derived:
        links = [(site, positive) for name, site, positive in env.derived
                 if name == test.value]
        if len(links) == 1:
            site, positive = links[0]
            return _refine_site(env, site, positive == side)
    status = _tested_status(env, test, out_param_site)
    if status is not None:
        site, success = status
        return _refine_site(env, site, success == side)
    tested = _tested_name(test)
    if tested is None:
        return env
    name, positive = tested
    sites = env.names.get(name)
    if not sites or len(sites) != 1:
        return env
    (site,) = sites
    return _refine_site(env, site, positive == side)


def derived_null_check(env: Env, value: cst.BaseExpression) -> tuple[int, bool] | None:
    """For ``name = <null check of h>``: h's one site, and whether true means non-null."""
    if not isinstance(value, (cst.Comparison, cst.Call)):
        return None
    tested = _tested_name(value)
    if tested is None:
        return None
    sites = env.names.get(tested[0])
    if not sites or len(sites) != 1:
        return None
    (site,) = sites
    return site, tested[1]


def _tested_status(env: Env, test: cst.BaseExpression,
                   out_param_site: Callable[[cst.Call], int | None]) -> tuple[int, bool] | None:
    """The out-parameter site a status check decides, and whether true means success.

    ``status`` / ``F(...)`` alone is true on failure (a non-zero error code);
    ``== 0`` / ``== ERROR_SUCCESS`` is true on success, ``!=`` on failure.
    """
    subject: cst.BaseExpression = test
    success_when_true = False
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        if not _is_success_code(comp.comparator):
            return None
        subject = test.left
        if isinstance(subject, cst.NamedExpr):
            subject = subject.value
        if isinstance(comp.operator, (cst.Equal, cst.Is)):
            success_when_true = True
        elif not isinstance(comp.operator, (cst.NotEqual, cst.IsNot)):
            return None
    sites: frozenset[int] | None = None
    if isinstance(subject, cst.Name):
        sites = env.status.get(subject.value)
    elif isinstance(subject, cst.Call):
        site = out_param_site(subject)
        sites = frozenset({site}) if site is not None else None
    if not sites or len(sites) != 1:
        return None
    (site,) = sites
    return site, success_when_true


def _refine_site(env: Env, site: int, non_null: bool) -> Env | None:
    """``site`` known non-null (or null): None when that side is infeasible."""
    val = env.sites.get(site)
    if val is None:
        return env
    refined: dict[H, Optional[Origin]] = {}
    for st, origin in val.items():
        if st is H.MAYBE_NULL:
            refined[H.OPEN if non_null else H.NULL] = origin
        elif st is H.OPEN and not non_null or st is H.NULL and non_null:
            continue
        else:
            refined[st] = origin
    if not refined:
        return None
    out = env.copy()
    out.sites[site] = refined
    return out


def _is_success_code(expr: cst.BaseExpression) -> bool:
    """``0`` or a name like ``ERROR_SUCCESS``."""
    if isinstance(expr, cst.Integer):
        return expr.value == "0"
    return final_name(expr).endswith("SUCCESS")


def _tested_name(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """The name a condition tests for null, and whether true means non-null."""
    if isinstance(test, cst.Name):
        return test.value, True
    if isinstance(test, cst.NamedExpr) and isinstance(test.target, cst.Name):
        return test.target.value, True
    if isinstance(test, cst.Attribute) and test.attr.value == "value":
        return _tested_name(test.value)
    if (isinstance(test, cst.Call) and dotted(test.func) == "bool" and len(test.args) == 1):
        return _tested_name(test.args[0].value)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        other = comp.comparator
        null = (isinstance(other, cst.Name) and other.value in _NONE_LIKE
                or isinstance(other, cst.Integer) and other.value == "0")
        if not null:
            return None
        inner = _tested_name(test.left)
        if inner is None:
            return None
        if isinstance(comp.operator, (cst.Is, cst.Equal)):
            return inner[0], not inner[1]
        if isinstance(comp.operator, (cst.IsNot, cst.NotEqual)):
            return inner
    return None
