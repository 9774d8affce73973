"""HDL006: a handle stored on ``self.attr`` that no method of the class releases.

A handle kept on an instance outlives the method that acquired it, so the path analysis
treats the store as an escape; the class as a whole is then responsible. This check
reads each class that stores an acquired handle on ``self``: some method (``close``,
``stop``, ``__exit__``, ``__del__``, any other) must release ``self.attr``, directly,
through a helper or summary of the file, through a registered release, or through a
local name bound to ``self.attr`` (``port, self._port = self._port, None``).
Re-registering a notify port (``self.port = CreateClusterNotifyPort(self.port, ...)``)
is not a new acquisition.
"""

from __future__ import annotations

import libcst as cst

from handlelint.dataflow.calls import NOTIFY_PORTS, invalid_handle
from handlelint.findings import Finding
from handlelint.index import ModuleIndex
from handlelint.positions import Positions
from handlelint.resolve import CallInfo, CallKind, Resolver
from handlelint.syntax import dotted
from handlelint.summaries import Summaries
from handlelint.walk import preorder


class AttributeCheck:
    """Finds HDL006 in one module (see the module docstring)."""

    def __init__(self, index: ModuleIndex, resolver: Resolver, summaries: Summaries) -> None:
        self.index = index
        self.resolver = resolver
        self.summaries = summaries

    def findings(self, positions: Positions) -> list[Finding]:
        classes: dict[str, list[cst.FunctionDef]] = {}
        for (cls, _), method in self.summaries.methods.items():
            classes.setdefault(cls, []).append(method)
        out: list[Finding] = []
        for cls, methods in classes.items():
            stored: list[tuple[str, cst.Call, CallInfo]] = []
            released: set[str] = set()
            for method in methods:
                self._read_method(method, stored, released)
            for attr, call, info in stored:
                if attr in released or info.acquire is None:
                    continue
                line, col = positions.get(call) or (1, 0)
                rule = info.acquire
                release = " or ".join(f"{r}()" for r in rule.release)
                out.append(Finding(line, col, "HDL006",
                                   f"{rule.words} from {info.name}() is stored on self.{attr}, "
                                   f"but no method of {cls} releases it with {release}"))
        return out

    def _read_method(self, method: cst.FunctionDef,
                     stored: list[tuple[str, cst.Call, CallInfo]], released: set[str]) -> None:
        aliases: dict[str, str] = {}
        acquired: dict[str, tuple[cst.Call, CallInfo]] = {}
        for node in preorder(method.body):
            if isinstance(node, cst.Assign):
                self._read_assign(node, stored, aliases, acquired)
            elif isinstance(node, cst.Call):
                for arg in self._released_args(node):
                    name = dotted(arg)
                    if name.startswith("self.") and name.count(".") == 1:
                        released.add(name[5:])
                    elif name in aliases:
                        released.add(aliases[name])

    def _read_assign(self, node: cst.Assign, stored: list[tuple[str, cst.Call, CallInfo]],
                     aliases: dict[str, str],
                     acquired: dict[str, tuple[cst.Call, CallInfo]]) -> None:
        """Note ``self.x = <acquire>`` (directly or through a local) and ``y = self.x``."""
        value = node.value
        for target in node.targets:
            pairs: list[tuple[cst.BaseExpression, cst.BaseExpression]] = [(target.target, value)]
            if isinstance(target.target, cst.Tuple) and isinstance(value, cst.Tuple):
                pairs = [(t.value, v.value) for t, v in
                         zip(target.target.elements, value.elements)]
            for left, right in pairs:
                name, source = dotted(left), dotted(right)
                if source.startswith("self.") and isinstance(left, cst.Name):
                    aliases[name] = source[5:]
                on_self = name.startswith("self.") and name.count(".") == 1
                if on_self and source in acquired:
                    stored.append((name[5:], *acquired[source]))
                    continue
                if not isinstance(right, cst.Call):
                    continue
                info = self.resolver.classify(right)
                if info.kind is not CallKind.ACQUIRE or info.acquire is None:
                    continue
                if info.acquire.returns_via != "return":
                    continue
                args = [a.value for a in right.args if a.keyword is None]
                if info.name in NOTIFY_PORTS and args and not invalid_handle(args[0]):
                    continue
                if on_self:
                    stored.append((name[5:], right, info))
                elif isinstance(left, cst.Name):
                    acquired[name] = (right, info)

    def _released_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        info = self.resolver.classify(call)
        args = [a.value for a in call.args if a.keyword is None]
        if info.kind is CallKind.REGISTER:
            return args
        if info.kind is not CallKind.RELEASE:
            return []
        index = (info.release.arg_index if info.release is not None else 0)
        index += 1 if info.through else 0
        return args[index:index + 1]
