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
from handlelint.syntax import dotted, final_name
from handlelint.summaries import Summaries
from handlelint.walk import preorder


class AttributeCheck:
    """Finds HDL006 in one module (see the module docstring)."""

    def __init__(self, index: ModuleIndex, resolver: Resolver, summaries: Summaries) -> None:
        self.index = index
        self.resolver = resolver
        self.summaries = summaries
        self._found: dict[str, list[tuple[str, cst.Call, CallInfo]]] | None = None
        #: The classes some method of which stores an acquired handle on ``self``.
        self._stores: set[str] = set()

    def unreleased(self) -> dict[str, set[str]]:
        """Per class of the file: the attributes it stores a handle on but never releases
        (HDL006 reports them; a constructor that raises after storing one is not blamed
        again for it, see :mod:`handlelint.analysis`)."""
        return {cls: {attr for attr, _, _ in stored}
                for cls, stored in self._unreleased().items() if stored}

    def constructor_releases(self) -> dict[int, dict[str, frozenset[str]]]:
        """Per ``__init__`` of a class that stores a handle on ``self`` (by ``id``): each
        method of the class and the ``self`` attributes it releases, itself or through
        the class's methods it calls, so that ``except BaseException: self.close();
        raise`` releases them in the constructor."""
        out: dict[int, dict[str, frozenset[str]]] = {}
        self._unreleased()
        by_class: dict[str, dict[str, cst.FunctionDef]] = {}
        for (cls, name), method in self.summaries.methods.items():
            if cls in self._stores:
                by_class.setdefault(cls, {})[name] = method
        for methods in by_class.values():
            init = methods.get("__init__")
            if init is None:
                continue
            direct: dict[str, set[str]] = {}
            calls: dict[str, set[str]] = {}
            for method_name, method in methods.items():
                if method_name == "__init__":
                    continue
                released: set[str] = set()
                self._read_method(method, [], released)
                direct[method_name] = released
                calls[method_name] = _self_calls(method)
            changed = True
            while changed:  # ``__exit__`` calls ``self.close()``, which releases
                changed = False
                for method_name, called in calls.items():
                    for callee in called:
                        extra = direct.get(callee, set()) - direct[method_name]
                        if extra:
                            direct[method_name] |= extra
                            changed = True
            out[id(init)] = {m: frozenset(r) for m, r in direct.items() if r}
        return out

    def findings(self, positions: Positions) -> list[Finding]:
        out: list[Finding] = []
        for cls, stored in self._unreleased().items():
            for attr, call, info in stored:
                assert info.acquire is not None
                line, col = positions.get(call) or (1, 0)
                rule = info.acquire
                release = " or ".join(f"{r}()" for r in rule.release)
                out.append(Finding(line, col, "HDL006",
                                   f"{rule.words} from {info.name}() is stored on self.{attr}, "
                                   f"but no method of {cls} releases it with {release}"))
        return out

    def _unreleased(self) -> dict[str, list[tuple[str, cst.Call, CallInfo]]]:
        """Per class: the stores (attribute, acquiring call) no method of its family
        releases (computed once; :meth:`unreleased` and :meth:`findings` both ask)."""
        if self._found is None:
            self._found = self._compute()
        return self._found

    def _compute(self) -> dict[str, list[tuple[str, cst.Call, CallInfo]]]:
        classes: dict[str, list[cst.FunctionDef]] = {}
        for (cls, _), method in self.summaries.methods.items():
            classes.setdefault(cls, []).append(method)
        stored_by: dict[str, list[tuple[str, cst.Call, CallInfo]]] = {}
        released_by: dict[str, set[str]] = {}
        for cls, methods in classes.items():
            stored = stored_by.setdefault(cls, [])
            released = released_by.setdefault(cls, set())
            for method in methods:
                self._read_method(method, stored, released)
            owned = self.summaries.ownership.get(cls)
            if owned is not None:  # through properties, getattr and aliases too
                released |= owned.released
        self._stores = {cls for cls, stored in stored_by.items() if stored}
        family = self._families(self._stores)
        out: dict[str, list[tuple[str, cst.Call, CallInfo]]] = {}
        for cls, stored in stored_by.items():
            if not stored:
                out[cls] = []
                continue
            released = set().union(*(released_by.get(c, set()) for c in family[cls]))
            out[cls] = [(attr, call, info) for attr, call, info in stored
                        if attr not in released and info.acquire is not None]
        return out

    def _families(self, classes: set[str]) -> dict[str, set[str]]:
        """Per class of ``classes``: itself, its bases and its subclasses among the file's
        classes (a release in any of them counts: inherited, or the base's contract).

        Subclasses come from an index built once from every class's ancestors, so the
        work is the size of the hierarchy, not the square of the number of classes."""
        bases: dict[str, set[str]] = {}
        for scope in self.index.scopes:
            if type(scope) is cst.ClassDef:
                bases.setdefault(scope.name.value, set()).update(
                    final_name(b.value) for b in scope.bases)

        def ancestors(cls: str) -> set[str]:
            found: set[str] = set()
            todo = [cls]
            while todo:
                for base in bases.get(todo.pop(), ()):
                    if base not in found:
                        found.add(base)
                        todo.append(base)
            return found

        up = {cls: ancestors(cls) for cls in bases}
        below: dict[str, set[str]] = {}
        for cls, above in up.items():
            for base in above:
                below.setdefault(base, set()).add(cls)
        return {cls: {cls} | up.get(cls, set()) | below.get(cls, set()) for cls in classes}

    def _read_method(self, method: cst.FunctionDef,
                     stored: list[tuple[str, cst.Call, CallInfo]], released: set[str]) -> None:
        aliases: dict[str, str] = {}
        acquired: dict[str, tuple[cst.Call, CallInfo]] = {}
        released_locals: set[str] = set()
        #: ``for h in (self.a, self.b):``: the loop variable stands for each item.
        loops: dict[str, list[str]] = {}
        for node in preorder(method.body):
            if type(node) is cst.Assign:
                self._read_assign(node, stored, aliases, acquired)
            elif type(node) is cst.For:
                items = _loop_items(node)
                if items is not None:
                    loops[dotted(node.target)] = items
            elif type(node) is cst.Call:
                for arg in self._released_args(node):
                    name = _self_attribute(arg) or dotted(arg)
                    for each in loops.get(name, [name]):
                        if each.startswith("self.") and each.count(".") == 1:
                            released.add(each[5:])
                        elif each in aliases:
                            released.add(aliases[each])
                        elif each:
                            released_locals.add(each)
        # ``hc = Open(); stack.callback(Close, hc); self._hc = hc``: the local released
        # (or registered) is the attribute's handle.
        for attr, local in self._stored_locals(method):
            if local in released_locals:
                released.add(attr)

    @staticmethod
    def _stored_locals(method: cst.FunctionDef) -> list[tuple[str, str]]:
        """``self.attr = local`` assignments of a method: (attr, local)."""
        found = []
        for node in preorder(method.body):
            if type(node) is cst.Assign and type(node.value) is cst.Name:
                for target in node.targets:
                    name = dotted(target.target)
                    if name.startswith("self.") and name.count(".") == 1:
                        found.append((name[5:], node.value.value))
        return found

    def _read_assign(self, node: cst.Assign, stored: list[tuple[str, cst.Call, CallInfo]],
                     aliases: dict[str, str],
                     acquired: dict[str, tuple[cst.Call, CallInfo]]) -> None:
        """Note ``self.x = <acquire>`` (directly or through a local) and ``y = self.x``."""
        value = node.value
        for target in node.targets:
            pairs: list[tuple[cst.BaseExpression, cst.BaseExpression]] = [(target.target, value)]
            if type(target.target) is cst.Tuple and type(value) is cst.Tuple:
                pairs = [(t.value, v.value) for t, v in
                         zip(target.target.elements, value.elements)]
            for left, right in pairs:
                name, source = dotted(left), _self_attribute(right) or dotted(right)
                if source.startswith("self.") and type(left) is cst.Name:
                    aliases[name] = source[5:]
                on_self = name.startswith("self.") and name.count(".") == 1
                if on_self and source in acquired:
                    stored.append((name[5:], *acquired[source]))
                    continue
                if type(right) is not cst.Call:
                    continue
                info = self.resolver.classify(right)
                if info.kind is not CallKind.ACQUIRE or info.acquire is None:
                    continue
                if info.acquire.returns_via != "return" or info.acquire.self_closing:
                    continue  # a self-closing object needs no release
                args = [a.value for a in right.args if a.keyword is None]
                if info.name in NOTIFY_PORTS and args and not invalid_handle(args[0]):
                    continue
                if on_self:
                    stored.append((name[5:], right, info))
                elif type(left) is cst.Name:
                    acquired[name] = (right, info)

    def _released_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        info = self.resolver.classify(call)
        args = [a.value for a in call.args if a.keyword is None]
        if info.kind is CallKind.REGISTER or info.kind is CallKind.DEFER:
            return args
        if info.kind is not CallKind.RELEASE:
            return []
        index = (info.release.arg_index if info.release is not None else 0)
        index += info.shift if info.through else 0
        return args[index:index + 1]


def _self_calls(method: cst.FunctionDef) -> set[str]:
    """The names of the methods ``method`` calls on ``self`` (``self.close()``)."""
    return {node.func.attr.value for node in preorder(method.body)
            if type(node) is cst.Call and type(node.func) is cst.Attribute
            and type(node.func.value) is cst.Name and node.func.value.value == "self"}


def _loop_items(loop: cst.For) -> list[str] | None:
    """The dotted names a ``for`` over a tuple or list literal of them binds its (single
    name) target to: ``for h in (self.a, self.b, hc):`` gives ``self.a, self.b, hc``."""
    if type(loop.target) is not cst.Name or (type(loop.iter) is not cst.Tuple
                                             and type(loop.iter) is not cst.List):
        return None
    items = [dotted(e.value) for e in loop.iter.elements if type(e) is cst.Element]
    if not items or not all(items) or len(items) != len(loop.iter.elements):
        return None
    return items


def _self_attribute(expr: cst.BaseExpression) -> str:
    """``self.x`` for ``getattr(self, "x")`` / ``getattr(self, "x", None)``, else ""."""
    if (type(expr) is cst.Call and final_name(expr.func) == "getattr"
            and len(expr.args) >= 2 and dotted(expr.args[0].value) == "self"
            and type(expr.args[1].value) is cst.SimpleString):
        value = expr.args[1].value.evaluated_value
        if isinstance(value, str) and value.isidentifier():
            return f"self.{value}"
    return ""
