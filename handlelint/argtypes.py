"""HDL008: a handle passed to a ctypes function whose ``argtypes`` do not cover its position.

Without ``argtypes`` ctypes converts a Python int argument as a C ``int``: a 64-bit
handle then raises ``ctypes.ArgumentError: int too long to convert`` or, where it fits,
is passed truncated. This is a per-file check, like HDL007 (whose scan of
``F.argtypes = [...]`` assignments it shares, see :mod:`handlelint.restype`): a call of
a function of a ctypes DLL object set up in this file (``ctypes.WinDLL("kernel32")``,
``ctypes.windll.user32``, a name bound to one or to one of its functions) that is given,
at some position, a name holding a handle acquired in the same scope (or at module
level), needs an ``argtypes`` sequence of the function that reaches that position. With
``argtypes-check = "declared"`` only DLL objects for which the file declares
``argtypes`` of some function are checked: one none of whose functions get
``argtypes`` is used untyped throughout, and is then left alone (HDL007 still checks
its handle-returning functions). An
``argtypes`` that is not a literal list or tuple is taken to cover every position; a
prototype (``WINFUNCTYPE(restype, *argtypes)``) carries its own argument types, and a
handle wrapped at the call (``c_void_p(h)``, ``wintypes.HANDLE(h)``) is converted as
written. One finding per function and DLL object, at its first such call.
"""

from __future__ import annotations

import libcst as cst

from handlelint.findings import Finding
from handlelint.index import ModuleIndex
from handlelint.positions import Positions
from handlelint.resolve import CallKind, Resolver
from handlelint.restype import RestypeCheck
from handlelint.syntax import dotted

#: Stands for "every position is covered" (``argtypes`` that is not a literal sequence).
_ALL = -1


class ArgtypesCheck(RestypeCheck):
    """Finds HDL008 in one module (see the module docstring)."""

    ATTRIBUTE = "argtypes"

    def __init__(self, index: ModuleIndex, resolver: Resolver, positions: Positions,
                 restype: RestypeCheck | None = None) -> None:
        #: (DLL object key, function) -> positions its argtypes cover (:data:`_ALL`).
        self.counts: dict[tuple[str | None, str], int] = {}
        #: The file's HDL007 check: a handle from a call it reports is no HDL008.
        self.restype = restype
        super().__init__(index, resolver, positions, restype)

    def _note(self, function: cst.BaseExpression, restype: cst.BaseExpression,
              names: dict[str, str] | None = None) -> None:
        """``function.argtypes = value``: how many positions it covers (:data:`_ALL`)."""
        found = self._function_key(function, names or {})
        if found is None:
            return
        count = _ALL
        if (type(restype) is cst.List or type(restype) is cst.Tuple) and not any(
                type(e) is cst.StarredElement for e in restype.elements):
            count = len(restype.elements)
        known = self.counts.get(found)
        self.counts[found] = _ALL if _ALL in (known, count) else max(known or 0, count)

    def _covered(self, key: tuple[str, str]) -> int | None:
        """How many positions the argtypes of ``key`` cover; None when it has none."""
        return self.counts.get(key, self.counts.get((None, key[1])))

    def _created_key(self, call: cst.Call) -> tuple[str, str] | None:
        """(DLL object key, function) when ``call`` calls a function of a DLL made here."""
        func = call.func
        for _ in range(8):
            if type(func) is cst.Attribute:
                receiver = func.value
                if (dotted(receiver) in self.created or self._creates_dll(receiver)
                        or self._dll_key(receiver) in self.created):
                    return self._dll_key(receiver), func.attr.value
                return None
            name = dotted(func)
            if not name or name in self.via_prototype or name not in self._bound:
                return None
            func = self._bound[name]
        return None

    def _handle_names(self) -> dict[int, dict[str, str]]:
        """Per scope (id), the names bound there to a handle, to its acquiring function."""
        found: dict[int, dict[str, str]] = {}
        module = id(self.index.module)
        for target, value in self.index.assigns:
            if type(value) is not cst.Call:
                continue
            info = self.resolver.classify(value)
            rule = info.acquire
            if info.kind is not CallKind.ACQUIRE or rule is None or rule.self_closing:
                continue
            scope = self.index.assign_scope.get(id(target), self.index.module)
            name = dotted(target)
            if rule.returns_via != "return" or (
                    self.restype is not None and self.restype.truncates(value)):
                # An out-parameter handle lives in a ctypes object (``wintypes.HKEY()``),
                # which ctypes passes at its own size: only a returned plain int is at risk;
                # and one returned without a pointer restype is already a C int (HDL007).
                continue
            if name:
                key = module if name.startswith("self.") else id(scope)
                found.setdefault(key, {})[name] = info.name
        return found

    def findings(self) -> list[Finding]:
        """HDL008 at the first call of each function given a handle it has no type for."""
        if self.dynamic or not self.created:
            return []
        handles = self._handle_names()
        if not handles:
            return []
        module = handles.get(id(self.index.module), {})
        # "declared": only DLL objects with argtypes of some function in the file.
        typed = {dll for dll, _ in self.counts} if (
            self.resolver.config.argtypes_check == "declared") else None
        reported: set[tuple[str, str]] = set()
        out: list[Finding] = []
        for call in self.index.calls:
            key = self._created_key(call)
            if key is None or key in reported or typed is not None and not (
                    key[0] in typed or None in typed):
                continue
            scope = self.index.call_scope.get(id(call))
            local = handles.get(id(scope), {}) if scope is not None else {}
            covered = self._covered(key)
            position = 0
            for arg in call.args:
                if arg.keyword is not None or arg.star:
                    break
                kind = type(arg.value)
                name = dotted(arg.value) if kind is cst.Name or kind is cst.Attribute else ""
                source = local.get(name) or module.get(name) if name else None
                if source and (covered is None or covered != _ALL and position >= covered):
                    reported.add(key)
                    line, col = self.pos.get(call) or (1, 0)
                    plural = "" if covered == 1 else "s"
                    where = ("has no argtypes" if covered is None
                             else f"has argtypes for {covered} argument{plural} only")
                    out.append(Finding(
                        line, col, "HDL008",
                        f"handle '{name}' from {source}() is passed to {key[1]}() as argument "
                        f"{position}, which {where}: ctypes converts a plain int as a C int "
                        f"(set {key[1]}.argtypes)"))
                    break
                position += 1
        return out
