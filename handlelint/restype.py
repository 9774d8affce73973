"""HDL007: handle-returning functions called through a DLL object without a pointer restype.

ctypes gives every foreign function the result type ``c_int`` unless told otherwise, so a
64-bit handle comes back truncated. This is a per-file check, not a path analysis: a
function of the table that returns its handle, called through a clusapi DLL object
created in this file (``ctypes.WinDLL("clusapi")``, ``ctypes.windll.clusapi``), needs a
``F.restype = <pointer type>`` somewhere in the file, on the DLL attribute or on a name
bound to it. A call through a ctypes prototype (``WINFUNCTYPE(restype, ...)``) takes its
result type from the prototype. A function handed to a call-through helper
(``self._run_and_check_output(clusapi.OpenCluster, name)``, ``asyncio.to_thread``) is
called all the same. One finding per function, at its first call (direct or through a
helper).
"""

from __future__ import annotations

import libcst as cst

from handlelint.findings import Finding
from handlelint.index import ModuleIndex
from handlelint.positions import Positions
from handlelint.resolve import CallKind, Resolver
from handlelint.syntax import constant_truth, dotted, final_name, string_value
from handlelint.walk import preorder

_POINTER_TYPES = frozenset({
    "c_void_p", "HANDLE", "LPVOID", "PVOID", "HKEY", "c_size_t", "c_ssize_t", "c_uint64",
    "c_ulonglong", "HCLUSTER", "HNODE", "HGROUP", "HRESOURCE", "HNETWORK", "HNETINTERFACE",
    "HGROUPSET", "HCHANGE", "HCLUSENUM", "HCLUSENUMEX", "HNODEENUM", "HNODEENUMEX",
    "HGROUPENUM", "HGROUPENUMEX", "HRESENUM", "HRESENUMEX", "HRESTYPEENUM", "HNETWORKENUM",
    "HNETINTERFACEENUM", "HGROUPSETENUM",
    # ctypes.wintypes handle types (all c_void_p) and pointer-sized integers
    "HACCEL", "HBITMAP", "HBRUSH", "HCOLORSPACE", "HCURSOR", "HDC", "HDESK", "HDWP",
    "HENHMETAFILE", "HFONT", "HGDIOBJ", "HGLOBAL", "HHOOK", "HICON", "HINSTANCE", "HKL",
    "HLOCAL", "HMENU", "HMETAFILE", "HMODULE", "HMONITOR", "HPALETTE", "HPEN", "HRGN",
    "HRSRC", "HSTR", "HTASK", "HWINSTA", "HWND", "SC_HANDLE", "SERVICE_STATUS_HANDLE",
    "HINTERNET", "HCERTSTORE", "HCRYPTPROV", "HCRYPTKEY", "HCRYPTHASH", "SOCKET",
    "WPARAM", "LPARAM", "LRESULT", "c_int64", "c_longlong", "ULONG_PTR", "UINT_PTR",
    "INT_PTR", "LONG_PTR", "DWORD_PTR", "SIZE_T",
})
_PROTOTYPES = frozenset({"WINFUNCTYPE", "CFUNCTYPE", "PYFUNCTYPE"})
_LOADED = ("windll.clusapi", "cdll.clusapi", "oledll.clusapi")


_LOADER_ATTRS = frozenset({"windll", "cdll", "oledll"})
#: The attributes of foreign functions the scan records: HDL007's and HDL008's.
_SCANNED = ("restype", "argtypes")
#: ``function.<attribute> = value``, with the loop variables bound to strings there.
_Setting = tuple[cst.BaseExpression, cst.BaseExpression, "dict[str, str] | None"]


def _scanned_string(expr: cst.BaseExpression) -> str | None:
    """``"restype"`` or ``"argtypes"`` when ``expr`` is that string literal."""
    if type(expr) is cst.SimpleString:
        assert isinstance(expr, cst.SimpleString)
        value = expr.evaluated_value
        if value in _SCANNED:
            return str(value)
    return None


class RestypeCheck:
    """Finds HDL007 in one module (see the module docstring).

    The scan of ``F.<attribute> = value`` assignments (direct, through ``setattr``,
    in loops over names or functions) is shared with HDL008, which reads ``argtypes``:
    it records the settings of both attributes at once, and each check then reads its
    own (:meth:`_note`) once the whole module is scanned.
    """

    #: The attribute of a foreign function whose assignments the scan records.
    ATTRIBUTE = "restype"

    def __init__(self, index: ModuleIndex, resolver: Resolver, positions: Positions,
                 shared: RestypeCheck | None = None) -> None:
        """Scan the module, or take the scan of ``shared`` (the other check's)."""
        self.index = index
        self.resolver = resolver
        self.pos = positions
        self.pointer_names = set(_POINTER_TYPES)
        self.created: set[str] = set()
        #: (DLL object key, function): a pointer restype is set there. A key of None
        #: (a function whose DLL object is not known) matches every object.
        self.ok: set[tuple[str | None, str]] = set()
        #: Prototype objects and names bound through them: name -> restype is a pointer.
        self.prototypes: dict[str, bool] = {}
        self.via_prototype: dict[str, bool] = {}
        #: Names bound once to another expression (for DLL objects and function aliases).
        self._bound: dict[str, cst.BaseExpression] = {}
        #: Per attribute (:data:`_SCANNED`), the ``F.<attribute> = value`` settings the
        #: scan found: (function, value, loop names), applied by :meth:`_note`.
        self._settings: dict[str, list[_Setting]] = {a: [] for a in _SCANNED}
        #: Attributes the file hands to code that sets them (``restype=`` passed to a
        #: factory): which functions get one is not known, so nothing is reported.
        self._dynamic: set[str] = set()
        if shared is None:
            self._scan()
        else:  # one scan serves both checks: the facts it gathered are the same
            self.pointer_names = shared.pointer_names
            self.created = shared.created
            self.prototypes = shared.prototypes
            self.via_prototype = shared.via_prototype
            self._bound = shared._bound
            self._settings = shared._settings
            self._dynamic = shared._dynamic
        self.dynamic = self.ATTRIBUTE in self._dynamic
        for function, value, names in self._settings[self.ATTRIBUTE]:
            self._note(function, value, names)

    def _scan(self) -> None:
        for scope in self.index.scopes:
            if type(scope) is cst.ClassDef and any(
                    final_name(b.value) in self.pointer_names for b in scope.bases):
                self.pointer_names.add(scope.name.value)
        for target, value in self.index.assigns:
            name = dotted(target)
            if name and self._is_pointer(value):
                self.pointer_names.add(name.rsplit(".", 1)[-1])
            if name and constant_truth(value) is None:  # ``lib = None`` first: no binding
                self._bound.setdefault(name, value)
        for target, value in self.index.assigns:
            name = dotted(target)
            if not name:
                if type(target) is cst.Attribute and target.attr.value in _SCANNED:
                    self._settings[target.attr.value].append((target.value, value, None))
                continue
            if self._creates_dll(value):
                self.created.add(name)
            elif type(value) is cst.Call and final_name(value.func) in _PROTOTYPES:
                self.prototypes[name] = bool(value.args) and self._is_pointer(value.args[0].value)
            proto = self._prototype_of(value)
            if proto is not None:
                self.via_prototype[name] = proto
            if type(target) is cst.Attribute and target.attr.value in _SCANNED:
                self._settings[target.attr.value].append((target.value, value, None))
        for call in self.index.calls:
            args = call.args
            if not args:
                continue
            callee = final_name(call.func)
            if callee not in _PROTOTYPES:
                for arg in args:
                    if arg.keyword is not None and arg.keyword.value in _SCANNED:
                        # ``factory(dll, "F", restype=HWND)``: set by code not followed.
                        self._dynamic.add(arg.keyword.value)
            if callee == "setattr" and len(args) == 3:
                attribute = _scanned_string(args[1].value)
                if attribute is not None:
                    self._settings[attribute].append((args[0].value, args[2].value, None))
        self._scan_loops()

    def _note(self, function: cst.BaseExpression, restype: cst.BaseExpression,
              names: dict[str, str] | None = None) -> None:
        """``function.restype = restype``: record it for the function's DLL object."""
        found = self._function_key(function, names or {})
        if found is not None and self._is_pointer(restype):
            self.ok.add(found)

    def _scan_loops(self) -> None:
        """``for name in NAMES: getattr(dll, name).restype = c_void_p`` (or ``setattr``,
        or ``dll[name]``): the restype is set for every string the loop goes over, also
        ``for name, restype in {"F": c_void_p}.items()``."""
        for stmt in self.index.statements:
            if type(stmt) is not cst.For:  # exact type: isinstance goes through the ABCs
                continue
            assert isinstance(stmt, cst.For)
            self._scan_function_loop(stmt)
            pairs = self._loop_strings(stmt)
            if not pairs:
                continue
            for node in preorder(stmt.body):
                if type(node) is cst.Assign:
                    assert isinstance(node, cst.Assign)
                    for target in node.targets:
                        if (type(target.target) is cst.Attribute
                                and target.target.attr.value in _SCANNED):
                            self._loop_restype(target.target.attr.value, target.target.value,
                                               node.value, stmt, pairs)
                elif (type(node) is cst.Call and final_name(node.func) == "setattr"
                        and len(node.args) == 3):
                    assert isinstance(node, cst.Call)
                    attribute = _scanned_string(node.args[1].value)
                    if attribute is not None:
                        self._loop_restype(attribute, node.args[0].value, node.args[2].value,
                                           stmt, pairs)

    def _scan_function_loop(self, loop: cst.For) -> None:
        """``for f in (dll.OpenCluster, dll.OpenClusterGroup): f.restype = c_void_p``."""
        if type(loop.target) is not cst.Name:
            return
        source = loop.iter
        if type(source) is cst.Name and source.value in self._bound:
            source = self._bound[source.value]
        if type(source) is not cst.Tuple and type(source) is not cst.List:
            return
        var = loop.target.value
        for node in preorder(loop.body):
            if type(node) is not cst.Assign:
                continue
            assert isinstance(node, cst.Assign)
            for target in node.targets:
                if (type(target.target) is cst.Attribute
                        and target.target.attr.value in _SCANNED
                        and dotted(target.target.value) == var):
                    for element in source.elements:
                        self._settings[target.target.attr.value].append(
                            (element.value, node.value, None))

    def _loop_restype(self, attribute: str, function: cst.BaseExpression,
                      restype: cst.BaseExpression, loop: cst.For,
                      pairs: list[tuple[str, cst.BaseExpression | None]]) -> None:
        names = _loop_names(loop.target)
        if not names:
            return
        for string, value in pairs:
            bound = {names[0]: string}
            chosen = restype
            if value is not None and len(names) == 2 and dotted(restype) == names[1]:
                chosen = value
            self._settings[attribute].append((function, chosen, bound))

    def _loop_strings(self, loop: cst.For) -> list[tuple[str, cst.BaseExpression | None]]:
        """The strings a loop goes over (with their dict values, for ``.items()``)."""
        source = loop.iter
        items = False
        if (type(source) is cst.Call and type(source.func) is cst.Attribute
                and source.func.attr.value == "items" and not source.args):
            source, items = source.func.value, True
        if type(source) is cst.Name and source.value in self._bound:
            source = self._bound[source.value]
        out: list[tuple[str, cst.BaseExpression | None]] = []
        if items and type(source) is cst.Dict:
            for element in source.elements:
                if type(element) is cst.DictElement:
                    key = string_value(element.key)
                    if key is not None:
                        out.append((key, element.value))
        elif not items and (type(source) is cst.Tuple or type(source) is cst.List
                            or type(source) is cst.Set):
            for item in source.elements:
                key = string_value(item.value)
                if key is not None:
                    out.append((key, None))
        return out

    def _function_key(self, expr: cst.BaseExpression, names: dict[str, str],
                      depth: int = 0) -> tuple[str | None, str] | None:
        """(DLL object key, function name) that ``expr`` denotes, if it is a function."""
        if depth > 8:
            return None
        if type(expr) is cst.Attribute:
            if self._is_dll_object(expr.value):
                return self._dll_key(expr.value), expr.attr.value
            func = self.resolver.api_function(expr)
            return (None, func) if func else None
        if type(expr) is cst.Subscript and len(expr.slice) == 1:
            index = expr.slice[0].slice
            if type(index) is cst.Index and self._is_dll_object(expr.value):
                key = string_value(index.value) or names.get(dotted(index.value))
                return (self._dll_key(expr.value), key) if key else None
            return None
        if type(expr) is cst.Call:
            args = expr.args
            if final_name(expr.func) == "getattr" and len(args) >= 2:
                if not self._is_dll_object(args[0].value):
                    return None
                key = string_value(args[1].value) or names.get(dotted(args[1].value))
                return (self._dll_key(args[0].value), key) if key else None
            if len(args) == 1 and args[0].keyword is None:
                # ``CheckedCall(user32.F)``: a wrapper object given the function, whose
                # ``restype`` is the function's (it forwards attributes, or it is not
                # called the same way).
                return self._function_key(args[0].value, names, depth + 1)
            return None
        name = dotted(expr)
        if name and name in self._bound:
            return self._function_key(self._bound[name], names, depth + 1)
        func = self.resolver.api_function(expr)
        return (None, func) if func else None

    def _is_dll_object(self, expr: cst.BaseExpression) -> bool:
        return self.resolver.is_dll(expr) or dotted(expr) in self.created

    def _dll_key(self, expr: cst.BaseExpression, depth: int = 0) -> str:
        """Which DLL object ``expr`` is: ``windll.clusapi`` and ``ctypes.windll.clusapi``
        are one cached object; each ``WinDLL(...)`` call makes a new one, known by the
        first name bound to it; a name bound to another DLL name is that object."""
        name = dotted(expr)
        if not name:
            return f"<object at {id(expr)}>"
        parts = name.split(".")
        if len(parts) >= 2 and parts[-2] in _LOADER_ATTRS:
            return f"{parts[-2]}.{parts[-1].lower()}"
        value = self._bound.get(name)
        if value is not None and depth < 8 and type(value) is not cst.Call:
            if dotted(value):
                return self._dll_key(value, depth + 1)
        return name

    def _is_pointer(self, expr: cst.BaseExpression) -> bool:
        if type(expr) is cst.Call:
            return final_name(expr.func) == "POINTER"
        return final_name(expr) in self.pointer_names

    def _creates_dll(self, expr: cst.BaseExpression) -> bool:
        """A DLL object of any library: ``WinDLL("kernel32")``, ``windll.user32``."""
        if type(expr) is cst.Call:
            # A configured factory (``dll-names``) hands out a DLL object set up elsewhere,
            # restypes included: it is not made here.
            if dotted(expr.func) in self.resolver.config.dll_names:
                return False
            return self.resolver.is_dll(expr) or (
                self.resolver.ctypes.is_any_dll(expr)
                and self.resolver.modules.function_of(expr.func) is None)
        parts = dotted(expr).split(".")
        return dotted(expr).endswith(_LOADED) or len(parts) >= 2 and parts[-2] in _LOADER_ATTRS

    def _prototype_of(self, value: cst.BaseExpression) -> bool | None:
        """For ``PROTO(("F", dll))``: whether PROTO's restype is a pointer; else None."""
        if type(value) is not cst.Call or not value.args:
            return None
        if type(value.args[0].value) is not cst.Tuple:
            return None
        func = value.func
        if type(func) is cst.Call and final_name(func.func) in _PROTOTYPES:
            return bool(func.args) and self._is_pointer(func.args[0].value)
        name = dotted(func)
        if name in self.prototypes:
            return self.prototypes[name]
        return True  # a prototype defined elsewhere: its restype is not ours to judge

    def _has_restype(self, dll: cst.BaseExpression, func: str) -> bool:
        return (self._dll_key(dll), func) in self.ok or (None, func) in self.ok

    def _through_created_dll(self, call: cst.Call) -> bool | None:
        """None when the call is not through a DLL made here; else whether restype is ok."""
        func = call.func
        if type(func) is cst.Attribute:
            receiver = func.value
            made_here = (dotted(receiver) in self.created or self._creates_dll(receiver)
                         or self._dll_key(receiver) in self.created)
            return None if not made_here else self._has_restype(receiver, func.attr.value)
        name = dotted(func)
        if name in self.via_prototype:
            return self.via_prototype[name]
        found = self._function_key(func, {})
        if found is not None and (found in self.ok or (None, found[1]) in self.ok):
            return True
        if found is not None and found[0] is not None and found[0] in self.created:
            return False  # ``checked = Checked(dll.F)``: a function of a DLL made here
        for target, value in self.index.assigns:
            if dotted(target) == name and type(value) is cst.Attribute:
                if dotted(value.value) in self.created or self._creates_dll(value.value):
                    return self._has_restype(value.value, value.attr.value)
        return None

    def truncates(self, call: cst.Call) -> bool:
        """Whether ``call`` returns its handle through a DLL object of this file without a
        pointer restype (what HDL007 reports): the value is then already a C ``int``."""
        info = self.resolver.classify(call)
        if info.kind is not CallKind.ACQUIRE or info.acquire is None or info.through:
            return False
        return info.acquire.returns_via == "return" and self._through_created_dll(call) is False

    def findings(self) -> list[Finding]:
        """HDL007 at the first call of each handle-returning function lacking a restype,
        per DLL object."""
        if self.dynamic or not self.created and not self.via_prototype:
            return []
        reported: set[tuple[str, str]] = set()
        out = []
        for call in self.index.calls:
            info = self.resolver.classify(call)
            if info.kind is not CallKind.ACQUIRE or info.acquire is None:
                continue
            if info.acquire.returns_via != "return":
                continue
            called = call
            if info.through:  # ``helper(clusapi.F, ...)``: the helper calls F
                if not 0 < info.shift <= len(call.args):
                    continue
                called = cst.Call(func=call.args[info.shift - 1].value)
            func = called.func
            receiver = func.value if type(func) is cst.Attribute else func
            key = (self._dll_key(receiver), info.name)
            if key in reported:
                continue
            verdict = self._through_created_dll(called)
            if verdict is None or verdict:
                continue
            reported.add(key)
            line, col = self.pos.get(call) or (1, 0)
            out.append(Finding(line, col, "HDL007",
                               f"{info.name}() returns a handle but has no pointer restype: "
                               f"ctypes' default c_int truncates 64-bit handles "
                               f"(set {info.name}.restype = ctypes.c_void_p)"))
        return out


def _loop_names(target: cst.BaseExpression) -> list[str]:
    if type(target) is cst.Name:
        return [target.value]
    if type(target) is cst.Tuple or type(target) is cst.List:
        return [e.value.value for e in target.elements if type(e.value) is cst.Name]
    return []
