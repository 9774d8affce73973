"""Which Win32 DLL a ctypes DLL object expression denotes: the source of a pack's calls.

An entry of a Win32 ctypes pack (``kernel32``, ``advapi32``, ...) matches a call only when
the function is reached through a DLL object of the entry's DLL (SPEC section 2: names
alone never count):

* ``windll.kernel32``, ``ctypes.windll.kernel32``, ``oledll.ole32``, ``cdll.kernel32``;
* a loader call given the DLL's name: ``ctypes.WinDLL("kernel32", use_last_error=True)``,
  ``ctypes.windll.LoadLibrary("advapi32.dll")``, ``OleDLL("ole32")``, a path ending in
  the DLL's file name, or ``find_library("kernel32")`` as the argument;
* a name (or ``self.x``) bound in the file to one of those, in any scope.

The DLL is compared case-insensitively, without its ``.dll`` suffix or folder.
"""

from __future__ import annotations

import libcst as cst

from handlelint.index import ModuleIndex
from handlelint.syntax import dotted, final_name, string_value

#: ctypes' library loaders whose attributes are DLL objects (``windll.kernel32``).
_LOADER_OBJECTS = frozenset({"windll", "oledll", "cdll"})
#: Calls that load a DLL by name.
_LOADER_CALLS = frozenset({"WinDLL", "OleDLL", "CDLL", "LoadLibrary"})


class Libraries:
    """The Win32 DLL objects of one file, by the DLL they load."""

    def __init__(self, index: ModuleIndex, dlls: frozenset[str]) -> None:
        self._dlls = dlls
        self._bound: dict[str, str] = {}
        if not dlls:
            return
        for _ in range(2):  # ``k = windll.kernel32`` then ``k2 = k``, in any order
            for target, value in index.assigns:
                name = dotted(target)
                if name:
                    library = self.library(value)
                    if library is not None:
                        self._bound[name] = library

    def library(self, expr: cst.BaseExpression) -> str | None:
        """The Win32 pack DLL ``expr`` denotes as a ctypes DLL object, or None."""
        if not self._dlls:
            return None
        if type(expr) is cst.Call:
            if final_name(expr.func) not in _LOADER_CALLS or not expr.args:
                return None
            return self._known(_dll_literal(expr.args[0].value))
        if type(expr) is cst.Attribute and final_name(expr.value) in _LOADER_OBJECTS:
            return self._known(expr.attr.value)
        name = dotted(expr)
        return self._bound.get(name) if name else None

    def _known(self, name: str | None) -> str | None:
        if name is None:
            return None
        base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
        if base.endswith(".dll"):
            base = base[:-4]
        return base if base in self._dlls else None


def _dll_literal(expr: cst.BaseExpression) -> str | None:
    """``"kernel32"``, ``r"C:\\...\\kernel32.dll"`` or ``find_library("kernel32")``."""
    if type(expr) is cst.Call and expr.args:
        return _dll_literal(expr.args[0].value)
    return string_value(expr)
