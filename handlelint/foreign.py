"""ctypes foreign functions of every DLL, for the exception model (SPEC section 3).

ctypes itself never raises when it calls a foreign function: only an ``errcheck`` hook
assigned in Python can. So a call through a DLL object of any library
(``windll.kernel32.Sleep``, ``WinDLL("advapi32").RegFlushKey``, a name bound to such an
object or function, ``getattr(dll, "F")``, a prototype ``PROTO(("F", dll))``) does not
raise unless the file assigns an ``errcheck`` to that function (directly, or in a loop
over a tuple of functions or names). Constructors of the file's own
``ctypes.Structure``/``Union`` subclasses only fill memory and do not raise either.
"""

from __future__ import annotations

from typing import Callable

import libcst as cst

from handlelint.index import ModuleIndex
from handlelint.syntax import dotted, final_name, string_value
from handlelint.walk import preorder

#: Calls that load a DLL: ``WinDLL("x")``, ``windll.LoadLibrary("x")``.
LOADERS = frozenset({"WinDLL", "CDLL", "OleDLL", "PyDLL", "LoadLibrary", "LoadLibraryEx"})
#: ctypes' library loaders as attributes of ``ctypes``: ``windll.kernel32`` is a DLL object.
_LIBRARY_LOADERS = frozenset({"windll", "oledll", "cdll", "pydll"})
#: ctypes base classes whose subclasses' constructors only fill memory.
_AGGREGATES = frozenset({
    "Structure", "Union", "BigEndianStructure", "LittleEndianStructure",
    "BigEndianUnion", "LittleEndianUnion",
})


class ForeignFunctions:
    """The DLL objects, foreign functions, ``errcheck`` hooks and structures of a file."""

    def __init__(self, index: ModuleIndex, is_clusapi_dll: Callable[[cst.BaseExpression], bool],
                 clusapi_names: set[str]) -> None:
        self._is_clusapi_dll = is_clusapi_dll
        self._clusapi_names = clusapi_names
        self._dlls: set[str] = set()
        self._functions: set[str] = set()
        self._errcheck: set[str] = set()
        self._structures: set[str] = set()
        for stmt in index.statements:  # ``for f in (dll.A, dll.B): f.errcheck = check``
            if (type(stmt) is cst.For
                    and (type(stmt.iter) is cst.Tuple or type(stmt.iter) is cst.List)):
                if any(type(n) is cst.Attribute and n.attr.value == "errcheck"
                       for n in preorder(stmt.body)):
                    for element in stmt.iter.elements:
                        named = string_value(element.value) or final_name(element.value)
                        if named:
                            self._errcheck.add(named)
        for target, value in index.assigns:
            name = dotted(target)
            if type(target) is cst.Attribute and target.attr.value == "errcheck":
                self._errcheck.add(final_name(target.value))
            elif name and self.is_any_dll(value):
                self._dlls.add(name)
        for target, value in index.assigns:
            name = dotted(target)
            if name and self.foreign_function(value):
                self._functions.add(name)
        found = True
        while found:  # subclasses of subclasses, in any order
            found = False
            for scope in index.scopes:
                if (type(scope) is cst.ClassDef and scope.name.value not in self._structures
                        and any(final_name(b.value) in _AGGREGATES
                                or final_name(b.value) in self._structures
                                for b in scope.bases)):
                    self._structures.add(scope.name.value)
                    found = True

    def is_any_dll(self, expr: cst.BaseExpression) -> bool:
        """Does ``expr`` denote a ctypes DLL object of any library (``windll.kernel32``,
        ``WinDLL("advapi32")``, a name bound to one, the clusapi DLL)?"""
        if type(expr) is cst.Call:
            return ((final_name(expr.func) in LOADERS and bool(expr.args))
                    or self._is_clusapi_dll(expr))
        name = dotted(expr)
        if not name:
            return False
        parts = name.split(".")
        if len(parts) >= 2 and parts[-2] in _LIBRARY_LOADERS and parts[-1] not in LOADERS:
            return True
        return name in self._dlls or name in self._clusapi_names

    def foreign_function(self, expr: cst.BaseExpression) -> bool:
        """Is ``expr`` a function of a ctypes DLL object (``dll.F``, a name bound to one,
        ``getattr(dll, "F")``, a prototype ``PROTO(("F", dll))``)?"""
        if type(expr) is cst.Attribute:
            return self.is_any_dll(expr.value) and expr.attr.value not in LOADERS
        if type(expr) is cst.Name:
            return expr.value in self._functions
        if type(expr) is cst.Call:
            args = expr.args
            if final_name(expr.func) == "getattr" and len(args) >= 2:
                return self.is_any_dll(args[0].value)
            if args and type(args[0].value) is cst.Tuple and len(args[0].value.elements) >= 2:
                return self.is_any_dll(args[0].value.elements[1].value)
        return False

    def has_errcheck(self, func: cst.BaseExpression) -> bool:
        """Is an ``errcheck`` (which may raise) assigned to this function in the file?"""
        return final_name(func) in self._errcheck

    def is_structure(self, name: str) -> bool:
        """Is ``name`` a ``ctypes.Structure``/``Union`` subclass of the file?"""
        return name in self._structures
