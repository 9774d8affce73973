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

A result that holds several handles (``hp, ht, pid, tid = win32process.CreateProcess(...)``,
``r, w = _winapi.CreatePipe(...)``) gives one handle per position the entry's
``python_type`` names; unpacking it binds each name to its own handle. A call that also
closes one of its arguments when a flag is set (``DuplicateHandle(..., options)`` with
``DUPLICATE_CLOSE_SOURCE``) releases that argument.
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from handlelint.dataflow.calls import EMPTY, CallEffects, LeakEvent, Site, Work, first_state
from handlelint.dataflow.lattice import RELEASED, leak_origin
from handlelint.pywin32 import also_released, detached_rule, handle_positions, method_release
from handlelint.records import ReleaseRule
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

    def _acquire_call(self, call: cst.Call, info: CallInfo, positional: list[frozenset[int]],
                      shift: int, work: Work) -> frozenset[int]:
        """A result holding several handles (``hp, ht, pid, tid = CreateProcess(...)``):
        one handle per position, each acquired on its own; the tuple holds them all."""
        rule = info.acquire
        if rule is None or rule.binding not in _MODULE_BINDINGS:
            return super()._acquire_call(call, info, positional, shift, work)
        closed = also_released(rule, [a.value for a in call.args if a.keyword is None])
        if closed is not None and closed < len(positional):
            self._close_source(call, info, positional[closed], work)
        if (rule.also_releases_if_flag or rule.no_release_if_flag
                or rule.new_handle_only_if_null_arg_index is not None):
            # Decided here and by the resolver (``gives_nothing_new``), not again by the
            # ctypes model, which leaves a flag it cannot read untracked.
            rule = replace(rule, also_releases_if_flag=None, no_release_if_flag=None,
                           new_handle_only_if_null_arg_index=None)
            info = replace(info, acquire=rule)
        positions = handle_positions(rule)
        if len(positions) < 2:
            return super()._acquire_call(call, info, positional, shift, work)
        slots = self._result_slots()
        found = []
        for position in positions:
            key = (id(call), position)
            site = slots.get(key)
            if site is None:
                site = len(self.sites)
                self.sites.append(Site(site, call, rule, self._line, info.name, self.pos))
                slots[key] = site
            old = work.env.sites.get(site)
            if old is not None:
                leaky, origin = leak_origin(old)
                if leaky:
                    self._record_leak(LeakEvent(site, "reacquire", self._line, origin,
                                                self._node))
            work.env.sites[site] = {first_state(rule): None}
            work.fresh.add(site)
            self.acquired_at.setdefault(site, set()).add(self._node)
            found.append(site)
        return frozenset(found)

    def _close_source(self, call: cst.Call, info: CallInfo, target: frozenset[int],
                      work: Work) -> None:
        """``DuplicateHandle(..., DUPLICATE_CLOSE_SOURCE)`` closes its source argument
        whatever the call returns: on its exception path too."""
        source = ReleaseRule(name=info.name, handle_types=(), arg_index=-1)
        self._release(call, CallInfo(CallKind.RELEASE, info.name, release=source), target,
                      work)
        if work.exc is not None and len(target) == 1:
            for site in target:
                if site in work.exc.sites:
                    work.exc.sites[site] = {RELEASED: None}

    def _result_slots(self) -> dict[tuple[int, int], int]:
        """(id(call), position) -> the site of that handle of the call's result."""
        slots: dict[tuple[int, int], int] | None = self.__dict__.get("_slots_of_results")
        if slots is None:
            slots = self.__dict__["_slots_of_results"] = {}
        return slots

    def unpacked_result(self, value: cst.BaseExpression, size: int
                        ) -> list[frozenset[int]] | None:
        """For ``a, b, c, d = F(...)`` of a several-handle result: each name's handle."""
        if type(value) is not cst.Call:
            return None
        slots = self._result_slots()
        if not any(key[0] == id(value) for key in slots):
            return None
        return [frozenset({slots[(id(value), i)]}) if (id(value), i) in slots else EMPTY
                for i in range(size)]

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
                    and RELEASED not in work.env.sites.get(site, {})):
                self._call_finding(call, "HDL004", site,
                                   f"is closed by {info.name}(), which leaves the object "
                                   f"armed: it is closed again when collected")
                work.env.sites[site] = {RELEASED: None}
                return
        super()._release(call, info, target, work)

    def _eval_arguments(self, call: cst.Call, work: Work) -> None:
        """Arguments of a method of a handle object escape, as for any unknown call."""
        for arg in call.args:
            value = self.eval(arg.value, work)
            if not self.borrow_unknown:
                self._escape(value, work)
