"""Which calls are API calls: DLL objects, API function aliases, and call kinds.

A call is classified once, from syntax and the bindings of its module (SPEC section 2):

* ``X.F(...)`` where ``X`` is a clusapi DLL object: ``ctypes.windll.clusapi``,
  ``WinDLL("clusapi.dll")`` and friends, a name bound to one, any receiver chain with an
  identifier containing "clusapi", or a configured DLL name;
* ``F(...)`` where ``F`` is bound to such a function: ``F = dll.F``,
  ``from m import F``, ``getattr(dll, "F")``, ``PROTO(("F", dll))``, or a call of a
  ``PCLUSAPI_*`` typedef of the table;
* ``X.F(...)`` where ``X`` is a DLL object of a Win32 ctypes pack's DLL
  (:mod:`handlelint.libraries`), or ``F`` bound to such a function: an entry matches
  only through its own DLL, and any other function of the DLL borrows its arguments
  and does not raise (but for the entries the engine leaves out and the calls that take
  ownership of a handle, which are unknown calls);
* configured acquire/release names, which match by final name anywhere, or, written
  qualified (``ClusApiUtils.open_cluster``), only the calls that resolve to that
  function (:mod:`handlelint.project.qualified`).

Names alone do not count: ``stub.CreateCluster(req)`` on an RPC client is an unknown call.
Everything else is sorted into borrowers, ctypes helpers, transparent wrappers, sinks
and unknown calls, which is what the transfer function needs to know.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from typing import Any, Callable, ClassVar, TypeVar

import libcst as cst

from handlelint.config import Config
from handlelint.constants import Constant
from handlelint.foreign import LOADERS as _LOADERS, ForeignFunctions
from handlelint.index import ModuleIndex
from handlelint.libraries import Libraries
from handlelint.project.model import CONSTRUCTOR, FUNCTION, Resolved, SummaryLookup
from handlelint.project.qualified import ACQUIRE, BORROW, QualifiedNames
from handlelint.pywin32 import ModuleCalls, gives_nothing_new
from handlelint.rules import AcquireRule, ReleaseRule, RuleTable
from handlelint.syntax import dotted, final_name, string_value
from handlelint.walk import preorder


class CallKind(Constant):
    """How a call treats handles passed to it, and whether it may raise."""

    __slots__ = ()
    ACQUIRE: ClassVar[CallKind]   # returns a fresh handle
    RELEASE: ClassVar[CallKind]   # releases its handle argument
    API: ClassVar[CallKind]       # another clusapi function: borrows, does not raise
    BORROW: ClassVar[CallKind]    # only looks at its arguments, does not raise
    WRAP: ClassVar[CallKind]      # ctypes wrapper: its result is its first argument
    SAFE: ClassVar[CallKind]      # ctypes helper: borrows, does not raise
    SINK: ClassVar[CallKind]      # ends the program: no leak past it
    REGISTER: ClassVar[CallKind]  # registers a release for later (ExitStack.callback, atexit)
    DEFER: ClassVar[CallKind]     # binds a release for later (functools.partial): nothing yet
    UNKNOWN: ClassVar[CallKind]   # may raise; handle arguments escape


CallKind.define(*((name, name.lower()) for name in (
    "ACQUIRE", "RELEASE", "API", "BORROW", "WRAP", "SAFE", "SINK", "REGISTER", "DEFER",
    "UNKNOWN")))


@dataclass(frozen=True)
class CallInfo:
    """The classification of one call."""

    kind: CallKind
    name: str
    acquire: AcquireRule | None = None
    release: ReleaseRule | None = None
    #: Called through a helper (``helper(clusapi.F, ...)``): arguments shift by one,
    #: and the helper itself may raise.
    through: bool = False
    #: For a call through a helper: how many positional arguments come before the
    #: function's own (1, or 2 for ``run_in_executor(None, F, ...)``).
    shift: int = 0
    #: A function of this file, known by its summary: it may raise.
    summary: bool = False
    #: For an unknown call: argument positions it only borrows.
    borrowed: frozenset[int] = frozenset()
    #: For an unknown call: whether it may raise (a ctypes foreign function without
    #: ``errcheck`` and a constructor of the file's ctypes structures do not).
    raises: bool = True
    #: For a clusapi call: an ``errcheck`` assigned to it in the file may raise.
    errcheck: bool = False
    #: Argument positions an owning object takes over (they escape, without a leak).
    takes: frozenset[int] = frozenset()
    #: Every call raises (the arguments do not fit the signature): why.
    always_raises: str = ""
    #: The object the call gives is released when a ``with`` over it ends.
    exits: bool = False
    #: Fresh handles the called method leaves on ``self`` (attribute, rule).
    stores: tuple[tuple[str, AcquireRule], ...] = ()


_WRAPPERS = frozenset({
    "c_void_p", "c_size_t", "c_ssize_t", "c_uint64", "c_ulonglong", "c_int64",
    "c_longlong", "HANDLE", "LPVOID", "PVOID", "HKEY", "HCLUSTER", "HNODE", "HGROUP",
    "HRESOURCE", "HNETWORK", "HNETINTERFACE", "HGROUPSET", "HCHANGE", "HCLUSENUM",
    "HCLUSENUMEX", "HNODEENUM", "HNODEENUMEX", "HGROUPENUM", "HGROUPENUMEX", "HRESENUM",
    "HRESENUMEX", "HRESTYPEENUM", "HNETWORKENUM", "HNETINTERFACEENUM", "HGROUPSETENUM",
    "HREGBATCH", "HREGBATCHPORT", "HREGBATCHNOTIFICATION", "HREGREADBATCH",
    "HREGREADBATCHREPLY", "cast",
})
_CTYPES_SAFE = frozenset({
    "byref", "pointer", "sizeof", "create_unicode_buffer", "create_string_buffer",
    "c_ulong", "c_long", "c_uint", "c_int", "c_ushort", "c_short", "c_ubyte", "c_byte",
    "c_uint32", "c_int32", "c_uint16", "c_char", "c_wchar", "c_bool", "c_char_p",
    "c_wchar_p", "DWORD", "BOOL", "ULONG", "LONG", "WORD", "BYTE", "LPWSTR", "LPCWSTR",
    "LPDWORD", "POINTER", "WinError", "get_last_error", "GetLastError", "FormatError",
    "WINFUNCTYPE", "CFUNCTYPE", "addressof", "string_at", "wstring_at", "resize",
    "memmove", "memset", "set_last_error", "alignment", "FILETIME", "SYSTEMTIME",
    "LARGE_INTEGER", "ULARGE_INTEGER", "c_uint8", "c_int8", "c_int16", "c_float",
    "c_double", "HWND", "LPCVOID",
})
_BORROWERS = frozenset({
    "print", "str", "repr", "int", "hex", "bool", "id", "isinstance", "format", "len",
})
_LOG_METHODS = frozenset({
    "debug", "info", "warning", "warn", "error", "exception", "critical", "log",
})
_SINKS = frozenset({"sys.exit", "os._exit", "os.abort", "_exit"})
#: Release functions of other APIs: on a cluster handle they are wrong releases (HDL003).
_FOREIGN_RELEASES = {
    name: ReleaseRule(name=name, handle_types=("<not a cluster handle>",))
    for name in ("RegCloseKey", "CloseKey", "CloseHandle")
}
#: Calls that register a release to run later: the handle stays usable until then.
_REGISTRARS = frozenset({"callback", "push_async_callback", "register", "finalize"})
#: Builtins that take a function as first argument without calling it.
_NOT_CALLERS = frozenset({
    "setattr", "getattr", "hasattr", "delattr", "isinstance", "callable", "id", "repr",
    "str", "print", "type", "vars", "dir",
})
#: Standard context managers whose construction does not raise.
_QUIET_CONSTRUCTORS = frozenset({
    "contextlib.suppress", "suppress", "contextlib.ExitStack", "ExitStack",
    "contextlib.AsyncExitStack", "AsyncExitStack", "contextlib.nullcontext", "nullcontext",
})
#: Helpers that take the function as their second argument.
_SECOND_ARGUMENT_CALLERS = frozenset({"finalize", "run_in_executor"})
#: Calls that bind a function to its arguments for later: ``functools.partial``.
_DEFERRERS = frozenset({"partial", "partialmethod"})
_CONTEXT_MANAGERS = frozenset({"contextmanager", "asynccontextmanager"})
#: Win32 functions that take over (or may close) a handle passed to them: unknown calls,
#: so the handle escapes (the Win32 table's ``ownership_transfer_to_system``).
_OWNERSHIP_TAKERS = frozenset({
    "SetClipboardData", "SetWindowRgn", "CertDeleteCertificateFromStore",
    "CertAddCertificateContextToStore", "_open_osfhandle",
})


def _mentions_clusapi(expr: cst.BaseExpression) -> bool:
    # Exact types: ``isinstance`` on libcst classes goes through the slow ABC machinery.
    while type(expr) is cst.Attribute:
        assert isinstance(expr, cst.Attribute)
        if "clusapi" in expr.attr.value.lower():
            return True
        expr = expr.value
    return type(expr) is cst.Name and "clusapi" in expr.value.lower()


class Resolver:
    """Classifies the calls of one module (see the module docstring)."""

    def __init__(self, index: ModuleIndex, table: RuleTable, config: Config) -> None:
        self.index = index
        self.table = table
        self.config = config
        self._dll_names: set[str] = set(config.dll_names)
        self._aliases: dict[str, str] = {}
        self._cache: dict[int, CallInfo] = {}
        #: The calls whose classification read a project function's summary (which
        #: :meth:`forget` drops), and whether the one being classified did.
        self._by_summary: set[int] = set()
        self._consulted = False
        #: Names bound to an instance of a class of the file (``clusapi = RestClient()``):
        #: whatever they are called, they are not DLL objects.
        classes = {s.name.value for s in index.scopes if type(s) is cst.ClassDef}
        #: Names bound to a mock (``self._clusapi = mock.patch.object(m, "clusapi").start()``)
        #: are not DLL objects either.
        self._instances = {
            dotted(target) for target, value in index.assigns
            if type(value) is cst.Call and dotted(target)
            and (final_name(value.func) in classes or _is_mock(value))}
        #: The file patches a DLL object (``mock.patch.object(lowlevel, "clusapi")``): the
        #: project's wrappers hand it mocks, not handles (see :meth:`_classify`).
        self._patches_dll = any(
            final_name(call.func) in ("patch", "object") and "patch" in _chain_names(call.func)
            and any(_literal_mentions_clusapi(arg.value) for arg in call.args)
            for call in index.calls)
        #: Win32 DLL objects of the file, by DLL (see :mod:`handlelint.libraries`).
        self.libraries = Libraries(index, table.dlls)
        for bound, imported in index.imports:
            rule = table.acquires.get(imported) or table.releases.get(imported)
            if rule is not None and rule.pack not in table.dlls:  # Win32: DLL objects only
                self._aliases[bound] = imported
        defined = {s.name.value for s in index.scopes}
        #: Classes of the file whose instances are called (``__call__``): ``safe_close =
        #: CheckedCall(user32.CloseClipboard)`` wraps the function it is given.
        callers = {s.name.value for s in index.scopes if type(s) is cst.ClassDef
                   and any(type(f) is cst.FunctionDef and f.name.value == "__call__"
                           for f in s.body.body)}
        #: (Making such a wrapper calls nothing: it is no call-through acquire.)
        self._wrapper_classes = frozenset(callers)
        for _ in range(2):  # a second round sees names bound after their use
            for target, value in index.assigns:
                name = dotted(target)
                if not name:
                    continue
                func = self.api_function(value)
                if (func is None and callers and type(value) is cst.Call
                        and final_name(value.func) in callers and len(value.args) == 1):
                    func = self.api_function(value.args[0].value)
                if func is not None:
                    if (name in defined
                            and type(index.assign_scope.get(id(target))) is cst.FunctionDef):
                        continue  # a local alias does not rename the file's function
                    self._aliases[name] = func
                elif self.is_dll(value):
                    self._dll_names.add(name)
        self._releasers = frozenset(config.releasers)
        #: The project's answer to "which project function does this call run?".
        self.summaries: SummaryLookup | None = None
        self._borrowers = frozenset(config.borrowers)
        self._qualified = QualifiedNames(table.acquires, config.releasers, config.borrowers)
        self._call_scope = index.call_scope
        #: (id(function), name) -> the API function a local name is bound to there
        #: (``close = clusapi.CloseClusterNode`` inside a function), "" for another value.
        self._local_aliases: dict[tuple[int, str], str] = {}
        for target, value in index.assigns:
            scope = index.assign_scope.get(id(target))
            if type(target) is cst.Name and type(scope) is cst.FunctionDef:
                key = (id(scope), target.value)
                func = self.api_function(value)
                if func:
                    self._local_aliases[key] = func
                else:
                    self._local_aliases.setdefault(key, "")
        #: ``sei.fMask = ...`` and ``sei = SHELLEXECUTEINFO(fMask=...)`` anywhere in the
        #: file: the values a member of a structure variable is given (for flags).
        self.member_values: dict[str, list[cst.BaseExpression]] = {}
        #: Names bound to ``GetCurrentProcess()`` anywhere in the file.
        self.current_process = frozenset(
            dotted(target) for target, value in index.assigns
            if type(value) is cst.Call and final_name(value.func) == "GetCurrentProcess")
        for target, value in index.assigns:
            if type(target) is cst.Attribute and type(target.value) is cst.Name:
                self.member_values.setdefault(dotted(target), []).append(value)
            elif type(target) is cst.Name and type(value) is cst.Call:
                for arg in value.args:
                    if arg.keyword is not None:
                        member = f"{target.value}.{arg.keyword.value}"
                        self.member_values.setdefault(member, []).append(arg.value)
        #: ``closer = close_cluster`` for a function of the file: calls of ``closer`` are
        #: calls of ``close_cluster``.
        self._helper_aliases = {
            target.value: value.value for target, value in index.assigns
            if type(target) is cst.Name and type(value) is cst.Name
            and value.value in defined and target.value not in defined}
        self._cm_names = set(_CONTEXT_MANAGERS) | {
            bound for bound, imported in index.imports if imported in _CONTEXT_MANAGERS}
        self._loop_releases = self._releases_bound_by_loops(index)
        #: ctypes functions of every DLL, for the exception model. It is handed a weak
        #: form of ``is_dll``: a bound method would make a reference cycle through this
        #: resolver, which holds the index and so the whole tree, and a cycle waits for
        #: a full run of the garbage collector (a few milliseconds per file) to be freed.
        is_dll = weakref.WeakMethod(self.is_dll)
        self.ctypes = ForeignFunctions(index, lambda expr: _alive(is_dll)(expr),
                                       self._dll_names)
        #: Functions of pywin32 modules, winreg and _winapi, through the file's imports.
        self.modules = ModuleCalls(index, config.rules)

    def _releases_bound_by_loops(self, index: ModuleIndex) -> dict[int, ReleaseRule]:
        """``for h, close in ((hn, clusapi.CloseClusterNode), (hg, ...)): close(h)``: each
        ``close(...)`` call of the body releases a handle of any of the listed functions'
        types (the loop is unrolled, so each pass releases its own handle)."""
        found: dict[int, ReleaseRule] = {}
        for stmt in index.statements:
            if not (type(stmt) is cst.For
                    and type(stmt.target) is cst.Tuple
                    and (type(stmt.iter) is cst.Tuple or type(stmt.iter) is cst.List)):
                continue
            rows = [e.value for e in stmt.iter.elements if type(e.value) is cst.Tuple]
            if not rows or len(rows) != len(stmt.iter.elements):
                continue
            rules: dict[str, ReleaseRule] = {}
            for i, element in enumerate(stmt.target.elements):
                if type(element.value) is not cst.Name:
                    continue
                funcs = [self.api_function(r.elements[i].value) if i < len(r.elements)
                         else None for r in rows]
                releases = [self.table.releases[f] for f in funcs
                            if f and f in self.table.releases]
                if len(releases) == len(rows):
                    types = tuple(t for r in releases for t in r.handle_types)
                    rules[element.value.value] = ReleaseRule(element.value.value, types)
            for node in preorder(stmt.body) if rules else ():
                if type(node) is cst.Call and type(node.func) is cst.Name:
                    rule = rules.get(node.func.value)
                    if rule is not None:
                        found[id(node)] = rule
        return found

    def is_context_manager(self, decorator: cst.BaseExpression) -> bool:
        """Is ``decorator`` ``contextlib.contextmanager`` (or async), under any alias
        (``from contextlib import contextmanager as cm``, ``import contextlib as cl``)?"""
        return final_name(decorator) in self._cm_names

    def _function_of_call(self, call: cst.Call) -> str | None:
        """The API function a call's callee denotes, a function's own locals first."""
        if type(call.func) is cst.Name:
            scope = self._call_scope.get(id(call))
            local = self._local_aliases.get((id(scope), call.func.value))
            if local is not None:
                return local or None
        return self.api_function(call.func)

    def _array_type(self, func: cst.BaseExpression) -> bool:
        """``(CLUSPROP_VALUE * 4)`` or ``(c_wchar * 256)``: a ctypes array type."""
        if not (type(func) is cst.BinaryOperation and type(func.operator) is cst.Multiply):
            return False
        name = final_name(func.left)
        return self.ctypes.is_structure(name) or name in _CTYPES_SAFE or name in _WRAPPERS

    def is_dll(self, expr: cst.BaseExpression) -> bool:
        """Does ``expr`` denote the clusapi DLL object?"""
        kind = type(expr)  # exact types: isinstance goes through libcst's ABCs
        if kind is cst.Call:
            assert isinstance(expr, cst.Call)
            func = dotted(expr.func)
            if func in self._dll_names or func.rsplit(".", 1)[-1] in _LOADERS and any(
                _literal_mentions_clusapi(arg.value) for arg in expr.args
            ):
                return True
            return False
        if type(expr) is cst.Attribute and expr.attr.value in self.table.tracked_names:
            return False  # ``clusapi.OpenCluster`` is a function of the DLL, not the DLL
        if self._instances and self._is_instance(expr):
            return False
        if _mentions_clusapi(expr):
            return True
        name = dotted(expr)
        return bool(name) and name in self._dll_names

    def _is_instance(self, expr: cst.BaseExpression) -> bool:
        """Is ``expr`` (or an object it is an attribute of) an instance of a file class?"""
        while type(expr) is cst.Attribute or type(expr) is cst.Name:
            if dotted(expr) in self._instances:
                return True
            if type(expr) is not cst.Attribute:
                return False
            expr = expr.value
        return False

    def _win32_function(self, name: str, library: str | None) -> str | None:
        """``name`` as a function of the Win32 DLL ``library``: an entry of another DLL's
        pack, an entry the engine leaves out, or a function that takes ownership of its
        handle argument is none (an unknown call)."""
        if library is None or name in self.table.skipped or name in _OWNERSHIP_TAKERS:
            return None
        rule = self.table.acquires.get(name) or self.table.releases.get(name)
        if rule is not None and rule.dll is not None and rule.dll.lower() != library:
            return None
        if rule is None and not name[:1].isupper():
            return None  # ``ws2_32.send``: not known to borrow only
        return name

    def api_function(self, expr: cst.BaseExpression) -> str | None:
        """The API function ``expr`` denotes (``dll.F``, an alias, a prototype)."""
        kind = type(expr)  # exact types: isinstance goes through libcst's ABCs
        if kind is cst.Attribute:
            assert isinstance(expr, cst.Attribute)
            library = self.libraries.library(expr.value)
            if library:
                return self._win32_function(expr.attr.value, library)
            if self.is_dll(expr.value):
                name = expr.attr.value
                rule = self.table.acquires.get(name) or self.table.releases.get(name)
                return None if rule is not None and rule.pack in self.table.dlls else name
        if kind is cst.Name or kind is cst.Attribute:
            return self._aliases.get(dotted(expr))
        if kind is cst.Call:
            assert isinstance(expr, cst.Call)
            callee = final_name(expr.func)
            args = expr.args
            if callee == "getattr" and len(args) >= 2 and self.is_dll(args[0].value):
                return string_value(args[1].value)
            if callee == "getattr" and len(args) >= 2:
                named = string_value(args[1].value)
                library = self.libraries.library(args[0].value)
                return None if named is None else self._win32_function(named, library)
            if callee in self.table.typedefs:
                return self.table.typedefs[callee]
            if args and type(args[0].value) is cst.Tuple and args[0].value.elements:
                first = string_value(args[0].value.elements[0].value)
                if first is not None and first in self.table.tracked_names:
                    return first
                if first is not None and len(args[0].value.elements) >= 2:
                    library = self.libraries.library(args[0].value.elements[1].value)
                    return self._win32_function(first, library)
        return None

    def classify(self, call: cst.Call) -> CallInfo:
        """The :class:`CallInfo` of ``call`` (memoized)."""
        found = self._cache.get(id(call))
        if found is None:
            self._consulted = self.summaries is None  # classified before summaries exist
            found = self._classify(call)
            if (found.raises and not (found.always_raises or found.through)
                    and self._cannot_raise(call)):
                found = replace(found, raises=False)
            self._cache[id(call)] = found
            if self._consulted:
                self._by_summary.add(id(call))
        return found

    def _cannot_raise(self, call: cst.Call) -> bool:
        """Does ``call`` run a project function that cannot raise (not a constructor)?"""
        if self.summaries is None:
            return False
        found = self.summaries.of_call(call)
        self._consulted = self._consulted or found is not None
        return (found is not None and found.summary.cannot_raise
                and found.summary.kind != CONSTRUCTOR)

    def _module_call(self, call: cst.Call) -> CallInfo | None:
        """A call of a function of a module pack (see :mod:`handlelint.pywin32`)."""
        found = self.modules.function_of(call.func)
        if found is None:
            return None
        rules = self.modules.rules
        rule = rules.acquires.get(found)
        if rule is not None and not gives_nothing_new(
                rule, [a.value for a in call.args if a.keyword is None]):
            return CallInfo(CallKind.ACQUIRE, found[1], acquire=rule, errcheck=rule.raises,
                            exits=rule.self_closing)
        release = rules.releases.get(found)
        if release is not None:
            return CallInfo(CallKind.RELEASE, found[1], release=release)
        if found[1].startswith("_"):  # ``win32file._open_osfhandle`` takes the handle over
            return None
        return CallInfo(CallKind.API, found[1], errcheck=True)  # borrows, may raise

    def _classify(self, call: cst.Call) -> CallInfo:
        table = self.table
        if self.modules.modules or self.modules.functions:
            module_call = self._module_call(call)
            if module_call is not None:
                return module_call
        func = self._function_of_call(call)
        looped = self._loop_releases.get(id(call)) if func is None else None
        if looped is not None:
            return CallInfo(CallKind.RELEASE, looped.name, release=looped)
        if func is not None:
            checked = self.ctypes.has_errcheck(call.func)
            # (a configured name, matched anywhere, matches through a DLL object too)
            rule = table.acquires.get(func)
            if rule is not None:
                return CallInfo(CallKind.ACQUIRE, func, acquire=rule, errcheck=checked)
            release = table.releases.get(func)
            if release is not None:
                return CallInfo(CallKind.RELEASE, func, release=release)
            if func[:1].isupper():
                return CallInfo(CallKind.API, func, errcheck=checked)
        through = self._call_through(call)
        if through is not None:
            return through
        name = final_name(call.func)
        found: Resolved | None = None
        if self.summaries is not None and not self.ctypes.is_structure(name):
            found = self.summaries.of_call(call)
            real = self._helper_aliases.get(name) if type(call.func) is cst.Name else None
            if found is None and real is not None:  # ``closer = close_cluster``
                found = self.summaries.of_call(call.with_changes(func=cst.Name(real)))
            self._consulted = found is not None
        named = self._qualified.match(found.key if found else None, dotted(call.func)) if (
            self._qualified) else None
        if named is not None and not (named[1] == ACQUIRE and found and self._patches_dll):
            # (A test that patches the DLL object gets mocks from the project's wrappers.)
            _, what, acquire = named
            if what == ACQUIRE:
                return CallInfo(CallKind.ACQUIRE, name, acquire=acquire)
            return CallInfo(CallKind.BORROW if what == BORROW else CallKind.RELEASE, name)
        if found is not None:
            info = _from_summary(found, call)
            if (info is not None and info.kind is CallKind.ACQUIRE and self._patches_dll
                    and not info.takes):
                # A test that patches the DLL object gets mocks from the wrappers.
                return CallInfo(CallKind.UNKNOWN, info.name, summary=True,
                                borrowed=frozenset(range(len(call.args))))
            if info is not None:
                return info
        rule = table.acquires.get(name)
        if rule is not None and rule.anywhere:
            return CallInfo(CallKind.ACQUIRE, name, acquire=rule)
        release = table.releases.get(name)
        if release is not None and release.anywhere:
            return CallInfo(CallKind.RELEASE, name, release=release)
        if name in self._releasers:
            return CallInfo(CallKind.RELEASE, name)
        if name in _FOREIGN_RELEASES:
            return CallInfo(CallKind.RELEASE, name, release=_FOREIGN_RELEASES[name])
        full = dotted(call.func)
        if full in _SINKS:
            return CallInfo(CallKind.SINK, full)
        if name in _WRAPPERS:
            return CallInfo(CallKind.WRAP, name)
        if name in _CTYPES_SAFE:
            return CallInfo(CallKind.SAFE, name)
        if type(call.func) is cst.Name and name in _BORROWERS or name in self._borrowers:
            return CallInfo(CallKind.BORROW, name)
        if type(call.func) is cst.Attribute:
            receiver = call.func.value
            if name in _LOG_METHODS and "log" in dotted(receiver).rsplit(".", 1)[-1].lower():
                return CallInfo(CallKind.BORROW, name)
            if name == "format" and (type(receiver) is cst.SimpleString
                                     or type(receiver) is cst.ConcatenatedString):
                return CallInfo(CallKind.BORROW, name)
        if self.ctypes.foreign_function(call.func):
            # ctypes itself never raises; only an ``errcheck`` hook can.
            checked = self.ctypes.has_errcheck(call.func)
            return CallInfo(CallKind.UNKNOWN, full or name, raises=checked)
        if self._array_type(call.func):
            return CallInfo(CallKind.UNKNOWN, "array", raises=False)
        if (type(call.func) is cst.Name and self.ctypes.is_structure(name)
                or name in _LOADERS and self.ctypes.is_any_dll(call)
                or full in _QUIET_CONSTRUCTORS):
            return CallInfo(CallKind.UNKNOWN, name, raises=False)
        return CallInfo(CallKind.UNKNOWN, full or name or "call")

    def forget(self) -> None:
        """Drop the memoized classifications that read a project function's summary
        (summaries changed); the others depend on syntax and bindings alone."""
        for key in self._by_summary:
            self._cache.pop(key, None)
        self._by_summary.clear()

    def _call_through(self, call: cst.Call) -> CallInfo | None:
        """``helper(clusapi.F, *args)``: the helper calls F, so acquires or releases.

        An acquire through a helper may raise (the helper may check the result); a
        release through one releases the argument after the function.
        """
        helper = final_name(call.func)
        if helper in _NOT_CALLERS or helper.startswith("assert") or helper == "call":
            return None  # mock assertions (``assert_called_once_with``) call nothing
        if helper in self._wrapper_classes and type(call.func) is cst.Name:
            return None  # ``Checked(user32.F)`` makes a wrapper, calls it later
        position = 1 if helper in _SECOND_ARGUMENT_CALLERS else 0
        if len(call.args) <= position or call.args[position].keyword is not None:
            return None
        first = call.args[position].value
        if type(first) is not cst.Name and type(first) is not cst.Attribute:
            return None
        func = self.api_function(first)
        if func is None:
            return None
        if func in self.table.releases and final_name(call.func) in _DEFERRERS:
            return CallInfo(CallKind.DEFER, func, release=self.table.releases[func])
        if func in self.table.releases and final_name(call.func) in _REGISTRARS:
            return CallInfo(CallKind.REGISTER, func, release=self.table.releases[func])
        rule = self.table.acquires.get(func)
        if rule is not None:
            return CallInfo(CallKind.ACQUIRE, func, acquire=rule, through=True,
                            shift=position + 1)
        release = self.table.releases.get(func)
        if release is not None:
            return CallInfo(CallKind.RELEASE, func, release=release, through=True,
                            shift=position + 1)
        if func[:1].isupper():  # another API function: the helper may raise, args are lent
            lent = frozenset(range(position + 1, len(call.args)))
            return CallInfo(CallKind.UNKNOWN, func, through=True, borrowed=lent,
                            shift=position + 1)
        return None

    def is_acquire(self, call: cst.Call) -> bool:
        """Cheap question for the engine: does this call hand out a handle (or leave one
        on ``self``)?"""
        info = self.classify(call)
        return info.kind is CallKind.ACQUIRE or bool(info.stores)


#: Names in a callee chain that make its result a mock.
_MOCK_NAMES = frozenset({"Mock", "MagicMock", "AsyncMock", "NonCallableMock",
                         "NonCallableMagicMock", "create_autospec", "patch"})


def _chain_names(expr: cst.BaseExpression) -> set[str]:
    """Every name along a callee chain: ``mock.patch.object(m, "x").start`` ->
    ``{"mock", "patch", "object", "start"}``."""
    names: set[str] = set()
    while True:
        if type(expr) is cst.Call:
            expr = expr.func
        elif type(expr) is cst.Attribute:
            names.add(expr.attr.value)
            expr = expr.value
        elif type(expr) is cst.Name:
            names.add(expr.value)
            return names
        else:
            return names


def _is_mock(value: cst.Call) -> bool:
    """Is ``value`` a call that makes a mock (``mock.Mock()``, ``patch(...).start()``)?"""
    return bool(_chain_names(value.func) & _MOCK_NAMES)


def _literal_mentions_clusapi(expr: cst.BaseExpression) -> bool:
    if type(expr) is cst.SimpleString:
        return "clusapi" in expr.value.lower()
    if type(expr) is cst.Call:
        return any(_literal_mentions_clusapi(arg.value) for arg in expr.args)
    return False


def _from_summary(found: Resolved, call: cst.Call) -> CallInfo | None:
    """How a call of a summarised project function treats handles (None: nothing known)."""
    summary, offset = found.summary, found.offset
    name = found.key.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    if summary.kind in (FUNCTION, CONSTRUCTOR) and not any(a.star for a in call.args):
        positional = sum(1 for a in call.args if a.keyword is None)
        if (summary.max_args is not None and positional > summary.max_args
                or len(call.args) < summary.min_args):
            return CallInfo(CallKind.UNKNOWN, name, summary=True,
                            borrowed=frozenset(range(len(call.args))),
                            always_raises=f"{name}() raises TypeError")
    if summary.kind == CONSTRUCTOR:
        if summary.owner:
            closers = summary.closers or ("close",)
            owned = AcquireRule(name=name, handle_type=f"{name} object",
                                release=(*closers, "__exit__") if summary.exits else closers)
            return CallInfo(CallKind.ACQUIRE, name, acquire=owned, summary=True,
                            takes=summary.takes, exits=summary.exits)
        if summary.drops or summary.takes:
            return CallInfo(CallKind.UNKNOWN, name, summary=True, exits=summary.exits)
        return CallInfo(CallKind.UNKNOWN, name, summary=True, borrowed=summary.borrows)
    released = sorted(i - offset for i in summary.releases if i >= offset)
    if released and summary.deferred:
        # A generator (a context manager) releases when it is run or left, not now.
        return CallInfo(CallKind.REGISTER, name, summary=True)
    if summary.context_manager:
        return CallInfo(CallKind.UNKNOWN, name, summary=True,
                        borrowed=frozenset(range(len(call.args))))
    if summary.cached:
        return CallInfo(CallKind.UNKNOWN, name, summary=True,
                        borrowed=frozenset(range(len(call.args))))
    if summary.closes_self and offset:
        rule = ReleaseRule(name=name, handle_types=(), arg_index=-1)
        return CallInfo(CallKind.RELEASE, name, release=rule, summary=True)
    if summary.returns is not None:
        return CallInfo(CallKind.ACQUIRE, name, acquire=summary.returns, summary=True,
                        exits="__exit__" in summary.returns.release)
    if released:
        rule = ReleaseRule(name=name, handle_types=(), arg_index=released[0])
        return CallInfo(CallKind.RELEASE, name, release=rule, summary=True)
    if summary.stores:
        return CallInfo(CallKind.UNKNOWN, name, summary=True, stores=summary.stores)
    borrowed = frozenset(i - offset for i in summary.borrows if i >= offset)
    if not borrowed and not summary.known:
        return None
    return CallInfo(CallKind.UNKNOWN, name, summary=True, borrowed=borrowed)


_M = TypeVar("_M", bound=Callable[..., Any])


def _alive(method: weakref.WeakMethod[_M]) -> _M:
    """The method behind a weak reference (its resolver is in use whenever it is called)."""
    found = method()
    assert found is not None
    return found
