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

Each acquire is checked against its own failure value (its rule, given by ``lookup``):
the NULL forms (``None``, ``NULL``, ``0``, falsiness) for every function, and the
INVALID_HANDLE_VALUE forms (``INVALID_HANDLE_VALUE``, ``-1``, ``c_void_p(-1).value``,
``HANDLE(-1)``, ``INVALID_SOCKET``, ``~0``) for those whose failure value is one; a
comparison with INVALID_HANDLE_VALUE says nothing about a function that fails with NULL.
A status means success when it is 0 (registry, HRESULT, NET_API_STATUS) unless the
rule's ``success`` is nonzero (a BOOL, a count); the handles one call acquires together
(``PROCESS_INFORMATION``'s ``hProcess`` and ``hThread``) are decided together.

A side on which the tested site has no state left, or that contradicts a known fact,
is infeasible: the refinement returns None.
"""

from __future__ import annotations

from typing import Callable, Optional

import libcst as cst

from handlelint.dataflow.lattice import H, MAYBE_NULL, NULL, OPEN, Env, Origin
from handlelint.records import AcquireRule
from handlelint.syntax import dotted, final_name

_NONE_LIKE = ("None", "NULL")
_INVALID_NAMES = frozenset({"INVALID_HANDLE_VALUE", "INVALID_SOCKET"})
_INVALID_WRAPPERS = frozenset({"c_void_p", "HANDLE", "c_ssize_t", "c_size_t", "SOCKET"})
_ALL_ONES = frozenset({"0xffffffff", "0xffffffffffffffff"})
#: A site's rule and the sites its call acquired together with it.
SiteLookup = Callable[[int], "tuple[AcquireRule, tuple[int, ...]]"]


def _fails_invalid(rule: AcquireRule) -> bool:
    """Does the function fail with INVALID_HANDLE_VALUE (or INVALID_SOCKET)?"""
    return "INVALID" in (rule.failure_value or "").upper()


def _nonzero_success(rule: AcquireRule) -> bool:
    """Is a nonzero result success (a BOOL, a count) rather than a zero status?"""
    success = (rule.success or "").lower()
    return "nonzero" in success or "number of" in success or "non-null" in success


def refine(env: Env, test: cst.BaseExpression, side: bool, key: str | None,
           out_param_site: Callable[[cst.Call], int | None],
           lookup: SiteLookup | None = None) -> Env | None:
    """The state on the ``side`` edge of ``test`` (``key``: its predicate, if it is one)."""
    refined = _refine_handles(env, test, side, out_param_site, lookup)
    if refined is None or key is None:
        return refined
    if (key, not side) in refined.facts:
        return None
    out = refined.copy() if refined is env else refined
    out.facts = refined.facts | {(key, side)}
    return out


def _refine_handles(env: Env, test: cst.BaseExpression, side: bool,
                    out_param_site: Callable[[cst.Call], int | None],
                    lookup: SiteLookup | None) -> Env | None:
    """The handle states on the ``side`` edge: null checks, derived flags, status checks."""
    if type(test) is cst.Name and env.derived:
        links = [(site, positive) for name, site, positive in env.derived
                 if name == test.value]
        if len(links) == 1:
            site, positive = links[0]
            return _refine_group(env, site, positive == side, lookup)
    status = status_outcomes(env, test, out_param_site, lookup)
    if status is not None:
        site, on_true, on_false = status
        success = on_true if side else on_false
        return env if success is None else _refine_group(env, site, success, lookup)
    tested = _tested_name(test)
    if tested is None:
        return env
    name, positive = tested
    sites = env.names.get(name)
    if not sites:
        return env
    if _against_invalid(test) and lookup is not None:
        sites = frozenset(s for s in sites if _fails_invalid(lookup(s)[0]))
        if not sites:
            return env  # NULL is these functions' failure: -1 tells nothing
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
                       out_param_site: Callable[[cst.Call], int | None] | None = None,
                       lookup: SiteLookup | None = None) -> tuple[int, bool] | None:
    """For ``name = <null check of h>``: h's one site, and whether true means non-null.

    ``ok = F(..., byref(hkey)) == ERROR_SUCCESS`` (a two-sided status check) counts
    too: true means the out-parameter handle is owned.
    """
    if type(value) is cst.UnaryOperation and type(value.operator) is cst.Not:
        inner = derived_null_check(env, value.expression, out_param_site, lookup)
        return None if inner is None else (inner[0], not inner[1])
    if out_param_site is not None and (type(value) is cst.Comparison or type(value) is cst.Name):
        status = status_outcomes(env, value, out_param_site, lookup)
        if status is not None and status[1] is not None and status[2] is not None:
            return status[0], bool(status[1])
    if type(value) is not cst.Comparison and type(value) is not cst.Call:
        return None
    tested = _tested_name(value)
    if tested is None:
        return None
    sites = env.names.get(tested[0])
    if not sites or len(sites) != 1:
        return None
    (site,) = sites
    if _against_invalid(value) and (lookup is None or not _fails_invalid(lookup(site)[0])):
        return None
    return site, tested[1]


def status_outcomes(env: Env, test: cst.BaseExpression,
                    out_param_site: Callable[[cst.Call], int | None],
                    lookup: SiteLookup | None = None
                    ) -> tuple[int, bool | None, bool | None] | None:
    """The out-parameter site a status check decides, and what each side means.

    Returns (site, on_true, on_false), each True (success: owned), False (failure:
    nothing acquired) or None (not known). ``status`` / ``F(...)`` alone is true on
    failure (a non-zero error code); ``== 0`` / ``== ERROR_SUCCESS`` is true on success,
    ``!=`` on failure; ``== ERROR_FILE_NOT_FOUND`` (any non-zero constant) is true only
    on failure; ``in (ERROR_SUCCESS, ERROR_MORE_DATA)`` is false only on failure.
    """
    if type(test) is cst.Comparison and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        subject, other = test.left, comp.comparator
        if (_status_sites(env, other, out_param_site) is not None
                and _status_sites(env, subject, out_param_site) is None):
            subject, other = other, subject  # ``ERROR_SUCCESS == status``
        sites = _status_sites(env, subject, out_param_site)
        if sites is None:
            return None
        op = comp.operator
        if lookup is not None and _nonzero_success(lookup(sites)[0]):
            return _bool_outcomes(sites, op, other)
        if type(op) is cst.In or type(op) is cst.NotIn:
            if (type(other) is not cst.Tuple and type(other) is not cst.List
                    and type(other) is not cst.Set):
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
            if type(op) is cst.NotIn:
                inside = (inside[1], inside[0])
            return sites, inside[0], inside[1]
        kind = _code_kind(other)
        if kind is None:
            return None
        if kind and type(op) is cst.LessThan:
            return sites, False, True  # ``hr < 0``: a failure HRESULT
        if kind and type(op) is cst.GreaterThanEqual:
            return sites, True, False  # ``hr >= 0``: S_OK or S_FALSE
        if type(op) is cst.Equal or type(op) is cst.Is:
            return (sites, True, False) if kind else (sites, False, None)
        if type(op) is cst.NotEqual or type(op) is cst.IsNot:
            return (sites, False, True) if kind else (sites, None, False)
        return None
    subject = test.value if type(test) is cst.NamedExpr else test
    sites = _status_sites(env, subject, out_param_site)
    if sites is None:
        return None
    if lookup is not None and _nonzero_success(lookup(sites)[0]):
        return sites, True, False  # ``if OpenProcessToken(...)``: true on success
    return sites, False, True


def _bool_outcomes(site: int, op: cst.BaseCompOp, other: cst.BaseExpression
                   ) -> tuple[int, bool | None, bool | None] | None:
    """A BOOL (or count) status compared: ``== 0``/``== FALSE`` is true on failure,
    ``!= 0`` on success; ``== TRUE``/``== 1`` is true on success."""
    zero = (type(other) is cst.Integer and other.value.strip("0_xXoObB") == ""
            or final_name(other) in ("FALSE", "None", "NULL"))
    one = (type(other) is cst.Integer and other.value == "1"
           or final_name(other) == "TRUE")
    if zero and type(op) is cst.GreaterThan:
        return site, True, False  # ``res > 0``
    if not (zero or one):
        return None
    success_if_equal = one
    if type(op) is cst.Equal or type(op) is cst.Is:
        return site, success_if_equal, not success_if_equal
    if type(op) is cst.NotEqual or type(op) is cst.IsNot:
        return site, not success_if_equal, success_if_equal
    return None


def _refine_group(env: Env, site: int, non_null: bool, lookup: SiteLookup | None
                  ) -> Env | None:
    """``site`` and the sites acquired with it, known owned (or not acquired)."""
    together = lookup(site)[1] if lookup is not None else ()
    out: Env | None = _refine_site(env, site, non_null)
    for other in together:
        if out is None:
            return None
        if other != site:
            out = _refine_site(out, other, non_null)
    return out


def _status_sites(env: Env, subject: cst.BaseExpression,
                  out_param_site: Callable[[cst.Call], int | None]) -> int | None:
    """The one out-parameter site whose status ``subject`` is (a name or the call)."""
    if type(subject) is cst.NamedExpr:
        subject = subject.value
    sites: frozenset[int] | None = None
    if type(subject) is cst.Name:
        sites = env.status.get(subject.value)
    elif type(subject) is cst.Call:
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
        if st is MAYBE_NULL:
            refined[OPEN if non_null else NULL] = origin
        elif st is OPEN and not non_null or st is NULL and non_null:
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
    if type(expr) is cst.Integer:
        return expr.value.strip("0_xXoObB") == ""
    if type(expr) is cst.UnaryOperation and type(expr.expression) is cst.Integer:
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
    # Exact types (``isinstance`` on libcst classes goes through the slow ABCs).
    kind = type(test)
    if kind is cst.Name:
        assert isinstance(test, cst.Name)
        return test.value, True
    if kind is cst.NamedExpr:
        assert isinstance(test, cst.NamedExpr)
        return (test.target.value, True) if type(test.target) is cst.Name else None
    if kind is cst.Attribute:
        assert isinstance(test, cst.Attribute)
        if test.attr.value == "value":
            return _tested_name(test.value)
        if dotted(test.value) == "self":
            return f"self.{test.attr.value}", True  # kept on ``self`` while constructing
        if type(test.value) is cst.Name:
            return dotted(test), True  # a structure member: ``pi.hProcess``
        return None
    if kind is cst.Call:
        assert isinstance(test, cst.Call)
        if dotted(test.func) == "bool" and len(test.args) == 1:
            return _tested_name(test.args[0].value)
        return None
    if type(test) is cst.Comparison and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        other = comp.comparator
        if type(comp.operator) is cst.In or type(comp.operator) is cst.NotIn:
            return _tested_in(test.left, comp.operator, other)
        null = (type(other) is cst.Name and other.value in _NONE_LIKE
                or type(other) is cst.Integer and other.value == "0"
                or _invalid_value(other))
        if not null:
            return None
        inner = _tested_name(test.left)
        if inner is None:
            return None
        if type(comp.operator) is cst.Is or type(comp.operator) is cst.Equal:
            return inner[0], not inner[1]
        if type(comp.operator) is cst.IsNot or type(comp.operator) is cst.NotEqual:
            return inner
    return None


def _tested_in(left: cst.BaseExpression, op: cst.BaseCompOp, other: cst.BaseExpression
               ) -> tuple[str, bool] | None:
    """``h in (None, INVALID_HANDLE_VALUE)``: true when the call failed."""
    if (type(other) is not cst.Tuple and type(other) is not cst.List
            and type(other) is not cst.Set) or not other.elements:
        return None
    if not all(_null_value(e.value) or _invalid_value(e.value) for e in other.elements):
        return None
    inner = _tested_name(left)
    if inner is None:
        return None
    return (inner[0], not inner[1]) if type(op) is cst.In else inner


def _null_value(expr: cst.BaseExpression) -> bool:
    return (type(expr) is cst.Name and expr.value in _NONE_LIKE
            or type(expr) is cst.Integer and expr.value == "0")


def _invalid_value(expr: cst.BaseExpression) -> bool:
    """``INVALID_HANDLE_VALUE``, ``-1``, ``~0``, ``c_void_p(-1).value``, ``HANDLE(-1)``,
    ``0xFFFFFFFF``."""
    if type(expr) is cst.Attribute and expr.attr.value == "value":
        expr = expr.value
    if (type(expr) is cst.Call and len(expr.args) == 1
            and final_name(expr.func) in _INVALID_WRAPPERS):
        expr = expr.args[0].value
    if type(expr) is cst.UnaryOperation and type(expr.expression) is cst.Integer:
        if type(expr.operator) is cst.Minus:
            return expr.expression.value == "1"
        return type(expr.operator) is cst.BitInvert and expr.expression.value == "0"
    if type(expr) is cst.Integer:
        return expr.value.lower() in _ALL_ONES
    return final_name(expr) in _INVALID_NAMES


def _against_invalid(test: cst.BaseExpression) -> bool:
    """Is ``test`` a comparison with an INVALID_HANDLE_VALUE form only?"""
    if not (type(test) is cst.Comparison and len(test.comparisons) == 1):
        return False
    comp = test.comparisons[0]
    if type(comp.operator) is cst.In or type(comp.operator) is cst.NotIn:
        elements = getattr(comp.comparator, "elements", ())
        return bool(elements) and not any(_null_value(e.value) for e in elements)
    return _invalid_value(comp.comparator)
