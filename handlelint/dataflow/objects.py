"""Methods called on handle objects of the module packs: ``h.Close()``, ``h.Detach()``.

pywin32 and winreg hand out objects (``PyHANDLE``, ``PyHKEY``, ``HKEYType``, ...) whose
methods the resolver cannot see from syntax alone: ``h.Close()`` is a release only when
``h`` holds such an object. So the transfer function asks here, for a call ``x.m(...)``
whose receiver is a name holding handles of the module packs (and only those):

* a release method of the entry (``PyHANDLE.Close`` and its synonym ``close``,
  ``HKEYType.Close``, ``PyCDC.DeleteDC``...) releases the object: a second close is
  HDL004, a use afterwards HDL005. A release that leaves a self-closing object armed
  (``disarms_self_closing = false``: ``PyHDESK.CloseDesktop``) closes the value a second
  time when the object is collected: HDL004 at the call;
* ``Detach()`` on a self-closing object hands back a plain handle that nothing closes:
  a new handle, acquired at that call and tracked like any other, released by the
  entry's module functions (``win32api.CloseHandle(raw)``);
* ``GetHandle()`` returns the handle the object wraps (the same handle);
* any other method only looks at the object, and may raise; its arguments escape as
  for any unknown call.
"""

from __future__ import annotations

import libcst as cst

from handlelint.dataflow.calls import EMPTY, CallEffects, Work
from handlelint.dataflow.lattice import H
from handlelint.pywin32 import detached_rule, method_release
from handlelint.resolve import CallInfo, CallKind
from handlelint.syntax import dotted

_MODULE_BINDINGS = frozenset({"pywin32", "stdlib"})


class ObjectMethods(CallEffects):
    """The handle-object half of the call interpretation (see the module docstring)."""

    def _object_method(self, call: cst.Call, info: CallInfo, work: Work
                       ) -> frozenset[int] | None:
        assert isinstance(call.func, cst.Attribute)
        receiver = call.func.value
        name = dotted(receiver)
        sites = work.env.names.get(name) if name else None
        if type(receiver) is cst.Call and self._module_acquire(receiver):
            sites, name = self.eval(receiver, work), self.resolver.classify(receiver).name
        if not sites or not all(self.sites[s].rule.binding in _MODULE_BINDINGS
                                for s in sites):
            return None
        rules = self.resolver.modules.rules
        method = call.func.attr.value
        if len(sites) == 1:
            (site,) = sites
            rule = self.sites[site].rule
            release = method_release(rule, method, rules)
            if release is not None:
                self._eval_arguments(call, work)
                made = CallInfo(CallKind.RELEASE, method, release=release)
                self._release(call, made, sites, work)
                return EMPTY
            if method == "Detach":
                plain = detached_rule(rule, rules)
                if plain is not None:
                    self._eval_arguments(call, work)
                    made = CallInfo(CallKind.ACQUIRE, "Detach", acquire=plain)
                    return frozenset({self._acquire(call, made, work)})
        if method in ("GetHandle",):
            self._eval_arguments(call, work)
            return sites
        self._eval_arguments(call, work)
        self._may_raise(work, f"{name}.{method}()")
        return EMPTY

    def _module_acquire(self, call: cst.Call) -> bool:
        """Does ``call`` hand out a handle object of a module pack
        (``win32file.CreateFile(...).Detach()``)?"""
        info = self.resolver.classify(call)
        return (info.kind is CallKind.ACQUIRE and info.acquire is not None
                and info.acquire.binding in _MODULE_BINDINGS and not info.summary)

    def _release(self, call: cst.Call, info: CallInfo, target: frozenset[int],
                 work: Work) -> None:
        """A release that leaves a self-closing object armed closes it twice (HDL004)."""
        release = info.release
        if len(target) == 1 and release is not None and release.disarms_self_closing is False:
            (site,) = target
            if (self.sites[site].rule.self_closing
                    and H.RELEASED not in work.env.sites.get(site, {})):
                self._call_finding(call, "HDL004", site,
                                   f"is closed by {info.name}(), which leaves the object "
                                   f"armed: it is closed again when collected")
                work.env.sites[site] = {H.RELEASED: None}
                return
        super()._release(call, info, target, work)

    def _eval_arguments(self, call: cst.Call, work: Work) -> None:
        """Arguments of a method of a handle object escape, as for any unknown call."""
        for arg in call.args:
            value = self.eval(arg.value, work)
            if not self.borrow_unknown:
                self._escape(value, work)
