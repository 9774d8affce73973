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
    status = status_outcomes(env, test, out_param_site)
    if status is not None:
        site, on_true, on_false = status
        success = on_true if side else on_false
        return env if success is None else _refine_site(env, site, success)
    tested = _tested_name(test)
    if tested is None:
        return env
    name, positive = tested
    sites = env.names.get(name)
    if not sites:
        return env
    if len(sites) == 1:
        (site,) = sites
        return _refine_site(env, site, positive == side)
    # A name that may hold several sites (``a() if p else b()``, a loop that reopens
    # it): the check refines each; the side is infeasible only if it is for all.
    out: Env | None = None
    for site in sorted(sites):
        current = env if out is None else out
        refined = _refine_site(current, site, positive == side)
        if refined is not None:
            out = refined
        elif not any(site in held for other, held in current.names.items() if other != name):
            # On this side the name cannot hold this site, and nothing else does: the
            # path on which the site exists is not this one.
            out = current.copy()
            del out.sites[site]
            out.names[name] = out.names[name] - {site}
    if out is not None and not out.names.get(name, True):
        return None
    return out


def derived_null_check(env: Env, value: cst.BaseExpression,
                       out_param_site: Callable[[cst.Call], int | None] | None = None
                       ) -> tuple[int, bool] | None:
    """For ``name = <null check of h>``: h's one site, and whether true means non-null.

    ``ok = F(..., byref(hkey)) == ERROR_SUCCESS`` (a two-sided status check) counts
    too: true means the out-parameter handle is owned.
    """
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Not):
        inner = derived_null_check(env, value.expression, out_param_site)
        return None if inner is None else (inner[0], not inner[1])
    if out_param_site is not None and isinstance(value, (cst.Comparison, cst.Name)):
        status = status_outcomes(env, value, out_param_site)
        if status is not None and status[1] is not None and status[2] is not None:
            return status[0], bool(status[1])
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


def status_outcomes(env: Env, test: cst.BaseExpression,
                    out_param_site: Callable[[cst.Call], int | None]
                    ) -> tuple[int, bool | None, bool | None] | None:
    """The out-parameter site a status check decides, and what each side means.

    Returns (site, on_true, on_false), each True (success: owned), False (failure:
    nothing acquired) or None (not known). ``status`` / ``F(...)`` alone is true on
    failure (a non-zero error code); ``== 0`` / ``== ERROR_SUCCESS`` is true on success,
    ``!=`` on failure; ``== ERROR_FILE_NOT_FOUND`` (any non-zero constant) is true only
    on failure; ``in (ERROR_SUCCESS, ERROR_MORE_DATA)`` is false only on failure.
    """
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        subject, other = test.left, comp.comparator
        if (_status_sites(env, other, out_param_site) is not None
                and _status_sites(env, subject, out_param_site) is None):
            subject, other = other, subject  # ``ERROR_SUCCESS == status``
        sites = _status_sites(env, subject, out_param_site)
        if sites is None:
            return None
        op = comp.operator
        if isinstance(op, (cst.In, cst.NotIn)):
            if not isinstance(other, (cst.Tuple, cst.List, cst.Set)):
                return None
            codes = [_code_kind(e.value) for e in other.elements]
            if None in codes or not codes:
                return None
            if all(codes):  # only success codes
                inside: tuple[bool | None, bool | None] = (True, False)
            elif any(codes):  # success among error codes: outside is failure
                inside = (None, False)
            else:  # error codes only
                inside = (False, None)
            if isinstance(op, cst.NotIn):
                inside = (inside[1], inside[0])
            return sites, inside[0], inside[1]
        kind = _code_kind(other)
        if kind is None:
            return None
        if isinstance(op, (cst.Equal, cst.Is)):
            return (sites, True, False) if kind else (sites, False, None)
        if isinstance(op, (cst.NotEqual, cst.IsNot)):
            return (sites, False, True) if kind else (sites, None, False)
        return None
    subject = test.value if isinstance(test, cst.NamedExpr) else test
    sites = _status_sites(env, subject, out_param_site)
    return None if sites is None else (sites, False, True)


def _status_sites(env: Env, subject: cst.BaseExpression,
                  out_param_site: Callable[[cst.Call], int | None]) -> int | None:
    """The one out-parameter site whose status ``subject`` is (a name or the call)."""
    if isinstance(subject, cst.NamedExpr):
        subject = subject.value
    sites: frozenset[int] | None = None
    if isinstance(subject, cst.Name):
        sites = env.status.get(subject.value)
    elif isinstance(subject, cst.Call):
        site = out_param_site(subject)
        sites = frozenset({site}) if site is not None else None
    if not sites or len(sites) != 1:
        return None
    (site,) = sites
    return site


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


_SUCCESS_NAMES = frozenset({"NO_ERROR", "S_OK", "STATUS_SUCCESS"})


def _code_kind(expr: cst.BaseExpression) -> bool | None:
    """True for a success code (``0``, ``ERROR_SUCCESS``), False for another constant
    (``ERROR_FILE_NOT_FOUND``, ``2``, ``winerror.ERROR_MORE_DATA``), None otherwise."""
    if isinstance(expr, cst.Integer):
        return expr.value.strip("0_xXoObB") == ""
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.expression, cst.Integer):
        return False
    name = final_name(expr)
    if not name:
        return None
    if name.endswith("SUCCESS") or name in _SUCCESS_NAMES:
        return True
    if name.isupper() and name[:1].isalpha():
        return False
    return None


def _tested_name(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """The name a condition tests for null, and whether true means non-null."""
    if isinstance(test, cst.Name):
        return test.value, True
    if isinstance(test, cst.NamedExpr) and isinstance(test.target, cst.Name):
        return test.target.value, True
    if isinstance(test, cst.Attribute) and test.attr.value == "value":
        return _tested_name(test.value)
    if isinstance(test, cst.Attribute) and dotted(test.value) == "self":
        return f"self.{test.attr.value}", True  # kept on ``self`` while constructing
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
