"""HDL007: handle-returning functions called through a DLL object without a pointer restype.

ctypes gives every foreign function the result type ``c_int`` unless told otherwise, so a
64-bit handle comes back truncated. This is a per-file check, not a path analysis: a
function of the table that returns its handle, called through a clusapi DLL object
created in this file (``ctypes.WinDLL("clusapi")``, ``ctypes.windll.clusapi``), needs a
``F.restype = <pointer type>`` somewhere in the file, on the DLL attribute or on a name
bound to it. A call through a ctypes prototype (``WINFUNCTYPE(restype, ...)``) takes its
result type from the prototype. One finding per function, at its first call.
"""

from __future__ import annotations

import libcst as cst

from handlelint.findings import Finding
from handlelint.index import ModuleIndex
from handlelint.positions import Positions
from handlelint.resolve import CallKind, Resolver
from handlelint.syntax import dotted, final_name

_POINTER_TYPES = frozenset({
    "c_void_p", "HANDLE", "LPVOID", "PVOID", "HKEY", "c_size_t", "c_ssize_t", "c_uint64",
    "c_ulonglong", "HCLUSTER", "HNODE", "HGROUP", "HRESOURCE", "HNETWORK", "HNETINTERFACE",
    "HGROUPSET", "HCHANGE", "HCLUSENUM", "HCLUSENUMEX", "HNODEENUM", "HNODEENUMEX",
    "HGROUPENUM", "HGROUPENUMEX", "HRESENUM", "HRESENUMEX", "HRESTYPEENUM", "HNETWORKENUM",
    "HNETINTERFACEENUM", "HGROUPSETENUM",
})
_PROTOTYPES = frozenset({"WINFUNCTYPE", "CFUNCTYPE", "PYFUNCTYPE"})
_LOADED = ("windll.clusapi", "cdll.clusapi", "oledll.clusapi")


class RestypeCheck:
    """Finds HDL007 in one module (see the module docstring)."""

    def __init__(self, index: ModuleIndex, resolver: Resolver, positions: Positions) -> None:
        self.index = index
        self.resolver = resolver
        self.pos = positions
        self.pointer_names = set(_POINTER_TYPES)
        self.created: set[str] = set()
        self.ok: set[str] = set()
        #: Prototype objects and names bound through them: name -> restype is a pointer.
        self.prototypes: dict[str, bool] = {}
        self.via_prototype: dict[str, bool] = {}
        self._scan()

    def _scan(self) -> None:
        for scope in self.index.scopes:
            if isinstance(scope, cst.ClassDef) and any(
                    final_name(b.value) in self.pointer_names for b in scope.bases):
                self.pointer_names.add(scope.name.value)
        for target, value in self.index.assigns:
            name = dotted(target)
            if name and self._is_pointer(value):
                self.pointer_names.add(name.rsplit(".", 1)[-1])
        for target, value in self.index.assigns:
            name = dotted(target)
            if not name:
                continue
            if self._creates_dll(value):
                self.created.add(name)
            elif isinstance(value, cst.Call) and final_name(value.func) in _PROTOTYPES:
                self.prototypes[name] = bool(value.args) and self._is_pointer(value.args[0].value)
            proto = self._prototype_of(value)
            if proto is not None:
                self.via_prototype[name] = proto
            if isinstance(target, cst.Attribute) and target.attr.value == "restype":
                func = self.resolver.api_function(target.value)
                if func is not None and self._is_pointer(value):
                    self.ok.add(func)

    def _is_pointer(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Call):
            return final_name(expr.func) == "POINTER"
        return final_name(expr) in self.pointer_names

    def _creates_dll(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Call):
            return self.resolver.is_dll(expr)
        return dotted(expr).endswith(_LOADED)

    def _prototype_of(self, value: cst.BaseExpression) -> bool | None:
        """For ``PROTO(("F", dll))``: whether PROTO's restype is a pointer; else None."""
        if not isinstance(value, cst.Call) or not value.args:
            return None
        if not isinstance(value.args[0].value, cst.Tuple):
            return None
        func = value.func
        if isinstance(func, cst.Call) and final_name(func.func) in _PROTOTYPES:
            return bool(func.args) and self._is_pointer(func.args[0].value)
        name = dotted(func)
        if name in self.prototypes:
            return self.prototypes[name]
        return True  # a prototype defined elsewhere: its restype is not ours to judge

    def _through_created_dll(self, call: cst.Call) -> bool | None:
        """None when the call is not through a DLL made here; else whether restype is ok."""
        func = call.func
        if isinstance(func, cst.Attribute):
            receiver = func.value
            made_here = (dotted(receiver) in self.created
                         or self._creates_dll(receiver))
            return None if not made_here else func.attr.value in self.ok
        name = dotted(func)
        if name in self.via_prototype:
            return self.via_prototype[name]
        for target, value in self.index.assigns:
            if dotted(target) == name and isinstance(value, cst.Attribute):
                if dotted(value.value) in self.created or self._creates_dll(value.value):
                    return value.attr.value in self.ok
        return None

    def findings(self) -> list[Finding]:
        """HDL007 at the first call of each handle-returning function lacking a restype."""
        if not self.created and not self.via_prototype:
            return []
        reported: set[str] = set()
        out = []
        for call in self.index.calls:
            info = self.resolver.classify(call)
            if info.kind is not CallKind.ACQUIRE or info.through or info.acquire is None:
                continue
            if info.acquire.returns_via != "return" or info.name in reported:
                continue
            verdict = self._through_created_dll(call)
            if verdict is None or verdict:
                continue
            reported.add(info.name)
            line, col = self.pos.get(call) or (1, 0)
            out.append(Finding(line, col, "HDL007",
                               f"{info.name}() returns a handle but has no pointer restype: "
                               f"ctypes' default c_int truncates 64-bit handles "
                               f"(set {info.name}.restype = ctypes.c_void_p)"))
        return out
