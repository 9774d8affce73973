"""Calls of Python modules that hand out handles: pywin32 (``win32api``, ...), winreg, _winapi.

The ``pywin32``, ``winreg`` and ``_winapi`` packs name Python functions, not DLL exports,
so their calls are found through imports, never by name alone (SPEC section 2):
``import win32api`` (or ``import win32api as w``, ``import _winreg as winreg``) makes
``win32api.F(...)`` a call of that module's ``F``, and ``from win32file import CreateFile``
makes ``CreateFile(...)`` one. A file that imports none of these modules has no such call.

What the entries' fields mean for the engine:

* ``raises``: the call raises (``pywintypes.error``, ``OSError``) instead of returning a
  failure value, so it is a point where an exception may leave *before* the handle
  exists, and the handle it returns is open (there is no null branch);
* ``self_closing``: the returned object (``PyHANDLE`` and its subclasses, ``PyHKEY``,
  winreg's ``HKEYType``) closes the handle when it is collected, so dropping it is no
  leak and ``with`` over the call is fine; its explicit closes (``h.Close()``,
  ``win32api.CloseHandle(h)``) are still releases, so a second close is HDL004 and a use
  after one HDL005. ``h.Detach()`` hands back a plain integer nobody closes: from there
  it is tracked as an ordinary handle, released by the entry's module-level releases;
* plain-integer results (``python_type = "int"``) are ordinary handles, released by the
  module function at its handle argument (``win32gui.ReleaseDC(hwnd, hdc)``: index 1);
* ``no_release_if_flag`` (``LR_SHARED``) and ``new_handle_only_if_null_arg_index`` (an
  existing completion port) make a call that hands out nothing new;
* a result holding several handles (``python_type = "(PyHANDLE hProcess, PyHANDLE
  hThread, int pid, int tid)"``) gives one handle per position (see
  :mod:`handlelint.dataflow.objects`);
* ``also_releases_if_flag``: ``DuplicateHandle(..., DUPLICATE_CLOSE_SOURCE)`` also closes
  its source handle argument;
* every other function of these modules only looks at its arguments and may raise.

Entries :func:`untracked_reason` names (lists of handles, paired calls, acquires that are
methods of an object) are not tracked yet: their calls count as calls that only look at
their arguments and may raise.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Mapping, Sequence, cast

import libcst as cst

from handlelint.index import ModuleIndex
from handlelint.module_packs import enabled_modules
from handlelint.packs import MODULE_PACKS, all_packs
from handlelint.records import AcquireRule, ReleaseRule
from handlelint.syntax import dotted

#: Other names under which a module of the packs is imported.
_MODULE_ALIASES = {"_winreg": "winreg"}
#: Object types whose ``Detach()`` hands back the handle as a plain integer.
DETACHABLE = frozenset({
    "PyHANDLE", "PyHKEY", "PyGdiHANDLE", "PySC_HANDLE", "PyLSA_HANDLE", "PyTS_HANDLE",
    "PyHINTERNET", "PyEVTLOG_HANDLE", "winreg.HKEYType",
})
#: Methods of the object types that return the handle they wrap (``bmp.GetHandle()``).
_HANDLE_GETTERS = frozenset({"GetHandle"})
#: Values that say "no handle" as an argument.
_NULL_NAMES = frozenset({"None", "NULL"})


def untracked_reason(rule: AcquireRule) -> str:
    """Why the engine does not track ``rule`` yet ("" when it does)."""
    if rule.object_type is not None:
        return "object (an acquire that is a method of an object)"
    if (rule.python_type or "").startswith("(["):
        return "python_type (lists of handles)"
    return ""


#: Fields the engine enforces only in part, and what it leaves out.
PARTIAL_FIELDS = {
    "release_also_takes": "the handle is released at its index; the other argument the "
                          "release must get (the same window or process) is not compared",
    "release_by_arg_value": "every release listed is accepted, whatever the argument",
}


def partial_fields(rule: AcquireRule) -> tuple[str, ...]:
    """The fields of ``rule`` the engine enforces only in part (see :data:`PARTIAL_FIELDS`)."""
    return tuple(name for name in PARTIAL_FIELDS if getattr(rule, name) is not None)


def handle_positions(rule: AcquireRule) -> tuple[int, ...]:
    """The positions of the handles in a tuple result (``(PyHANDLE, int tid)`` -> 0)."""
    text = (rule.python_type or "").split(" or ")[0].split(", or ")[0].strip()
    if not text.startswith("("):
        return ()
    parts = [p.strip() for p in text.strip("()").split(",")]
    found = []
    for i, part in enumerate(parts):
        words = part.split()
        kind = words[0] if words else ""
        name = words[1] if len(words) > 1 else ""
        if kind.startswith("Py") or (kind == "int" and (not name or name.startswith("h"))):
            found.append(i)
    return tuple(found)


@dataclass(frozen=True)
class ModuleRules:
    """The acquire and release rules of the module packs, by (module, function)."""

    #: (module, name or alias) -> the rule, named by that name.
    acquires: Mapping[tuple[str, str], AcquireRule]
    #: (module, name) -> the release, with the handle types of the acquires naming it.
    releases: Mapping[tuple[str, str], ReleaseRule]
    #: (object type, method) -> the release of an object's own method (``PyHANDLE.Close``).
    methods: Mapping[tuple[str, str], ReleaseRule]
    #: Every module of the packs (what ``import`` must name).
    modules: frozenset[str]
    #: Acquire entries not tracked yet, to the reason (by module and name).
    untracked: Mapping[tuple[str, str], str]


@functools.lru_cache(maxsize=8)
def module_rules(selected: tuple[str, ...] | None = None) -> ModuleRules:
    """The rules of the module packs among ``selected`` (None: all of them)."""
    packs = [p for p in all_packs()
             if p.name in MODULE_PACKS and (selected is None or p.name in selected)]
    every = {_key(r, n): r for p in all_packs() if p.name in MODULE_PACKS
             for r in p.releases for n in r.names}
    acquires: dict[tuple[str, str], AcquireRule] = {}
    untracked: dict[tuple[str, str], str] = {}
    types: dict[str, list[str]] = {}
    keyed: set[str] = set()
    modules: set[str] = set()
    for pack in packs:
        for rule in pack.acquires:
            module = rule.module or ""
            modules.add(module)
            reason = untracked_reason(rule)
            for name in rule.names:
                if reason:
                    untracked[module, name] = reason
                    continue
                acquires[module, name] = dataclasses.replace(rule, name=name, aliases=())
            for released in rule.release:
                known = types.setdefault(released, [])
                if rule.handle_type not in known:
                    known.append(rule.handle_type)
                if rule.pair_key_arg_index is not None:  # ``EndPaint(hwnd, ps)``
                    keyed.add(released)
        for entry in pack.releases:
            if entry.module:
                modules.add(entry.module)
    releases: dict[tuple[str, str], ReleaseRule] = {}
    methods: dict[tuple[str, str], ReleaseRule] = {}
    for key, entry in every.items():
        qualifier, _, name = key.rpartition(".")
        if key not in types:
            continue
        named = dataclasses.replace(entry, name=name, aliases=(),
                                    handle_types=tuple(types[key]), keyed=key in keyed)
        if entry.module:
            releases[qualifier, name] = named
        else:
            methods[qualifier, name] = named
    modules |= {alias for alias, real in _MODULE_ALIASES.items() if real in modules}
    return ModuleRules(acquires, releases, methods, frozenset(modules), untracked)


def _key(release: ReleaseRule, name: str) -> str:
    return f"{release.qualifier}.{name}" if release.qualifier else name


def object_type(rule: AcquireRule) -> str:
    """The Python type of the handle object a call returns (in a tuple: the handle's)."""
    text = (rule.python_type or "").strip()
    positions = handle_positions(rule)
    if positions:
        text = text.strip("()").split(",")[positions[0]].strip()
    return text.split(" ")[0].rstrip(",")


def detached_rule(rule: AcquireRule, rules: ModuleRules) -> AcquireRule | None:
    """The rule of the plain handle ``Detach()`` hands back from a ``rule`` object, or
    None when its type has no ``Detach`` or no module function can release the integer."""
    if not rule.self_closing or object_type(rule) not in DETACHABLE:
        return None
    plain = tuple(r for r in rule.release if (r.rpartition(".")[0], r.rpartition(".")[2])
                  in rules.releases)
    if not plain:
        return None
    return dataclasses.replace(rule, self_closing=False, raises=True, release=plain,
                               release_handle_arg_index=0, python_type="int")


def method_release(rule: AcquireRule, method: str, rules: ModuleRules) -> ReleaseRule | None:
    """The release ``h.method()`` is on an object of ``rule`` (``Close``, ``close``,
    ``CertCloseStore``...), or None."""
    for name in rule.release:
        qualifier, _, release = name.rpartition(".")
        if release == method or release == "Close" and method == "close":
            found = rules.methods.get((qualifier, release))
            if found is not None:
                return found
    return None


class ModuleCalls:
    """The module-pack calls of one file: which names its imports bind."""

    def __init__(self, index: ModuleIndex, selected: tuple[str, ...] | None) -> None:
        self._selected = selected
        self._known = enabled_modules(selected)
        #: Local name (or dotted path) -> module.
        self.modules: dict[str, str] = {}
        #: Local name -> (module, function) imported from a module of the packs.
        self.functions: dict[str, tuple[str, str]] = {}
        if not self._known:
            return
        for stmt in index.statements:
            if type(stmt) is cst.Import:
                assert isinstance(stmt, cst.Import)
                self._import(stmt)
            elif type(stmt) is cst.ImportFrom:
                assert isinstance(stmt, cst.ImportFrom)
                self._import_from(stmt)

    @property
    def rules(self) -> ModuleRules:
        """The rules of the enabled module packs (the Win32 table is read on first use)."""
        return module_rules(self._selected)

    def _module(self, name: str) -> str | None:
        last = name.rpartition(".")[2]
        if last not in self._known:
            return None
        return _MODULE_ALIASES.get(last, last)

    def _import(self, stmt: cst.Import) -> None:
        for alias in stmt.names:
            full = dotted(alias.name)
            module = self._module(full)
            if module is None:
                continue
            if alias.asname is not None and type(alias.asname.name) is cst.Name:
                self.modules[alias.asname.name.value] = module
            else:
                self.modules[full] = module

    def _import_from(self, stmt: cst.ImportFrom) -> None:
        if stmt.relative or stmt.module is None or type(stmt.names) is cst.ImportStar:
            return
        source = self._module(dotted(stmt.module))
        for alias in cast(Sequence[cst.ImportAlias], stmt.names):
            name = dotted(alias.name)
            bound = name
            if alias.asname is not None and type(alias.asname.name) is cst.Name:
                bound = alias.asname.name.value
            if source is not None:
                self.functions[bound] = (source, name)
            elif self._module(name) is not None:  # ``from win32 import win32api``
                self.modules[bound] = self._module(name) or name

    def function_of(self, func: cst.BaseExpression) -> tuple[str, str] | None:
        """(module, function) that a callee denotes, if it is a function of the packs."""
        if type(func) is cst.Attribute:
            module = self.modules.get(dotted(func.value))
            return (module, func.attr.value) if module else None
        if type(func) is cst.Name:
            return self.functions.get(func.value)
        return None


def gives_nothing_new(rule: AcquireRule, args: list[cst.BaseExpression]) -> bool:
    """Does this call of ``rule`` hand out no new handle (a flag or argument says so)?"""
    flag = rule.no_release_if_flag
    if flag is not None and flag.arg_index < len(args) and _has_flag(args[flag.arg_index], flag):
        return True
    index = rule.new_handle_only_if_null_arg_index
    return index is not None and index < len(args) and not _is_null(args[index])


def also_released(rule: AcquireRule, args: list[cst.BaseExpression]) -> int | None:
    """The argument this call of ``rule`` also closes (its flag is set), or None."""
    flag = rule.also_releases_if_flag
    if flag is None or flag.arg_index >= len(args) or not _has_flag(args[flag.arg_index], flag):
        return None
    return flag.releases_arg_index


def _has_flag(expr: cst.BaseExpression, flag: object) -> bool:
    name, bit = getattr(flag, "name"), getattr(flag, "flag")
    for node in _operands(expr):
        if ((type(node) is cst.Name or type(node) is cst.Attribute)
                and dotted(node).rpartition(".")[2] == name):
            return True
        if type(node) is cst.Integer:
            try:
                if int(node.value.replace("_", ""), 0) & bit:
                    return True
            except ValueError:
                continue
    return False


def _operands(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    if type(expr) is cst.BinaryOperation:
        return _operands(expr.left) + _operands(expr.right)
    return [expr]


def _is_null(expr: cst.BaseExpression) -> bool:
    if type(expr) is cst.Name and expr.value in _NULL_NAMES:
        return True
    return type(expr) is cst.Integer and expr.value.strip("0_xX") == ""
