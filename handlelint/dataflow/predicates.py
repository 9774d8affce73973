"""Which conditions are worth remembering: predicates over local names, tested twice.

A *predicate* is a condition atom built only of local names, constants and operators
(``flag``, ``mode == "full"``, ``count > 0``): nothing in it can change without one of
its names being rebound. A predicate tested by two condition nodes of a scope, or a bare
name tested once and assigned a constant, gets a key (its structure as text); the analysis
then keeps states apart by the known truth of each key (see ``partition``), and forgets
a key's truth when one of its names is rebound. Attributes, subscripts and calls are
left out: a method call between two tests could change them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import libcst as cst

from handlelint.cfg.model import CFG, NodeKind
from handlelint.syntax import constant_truth


@dataclass(frozen=True)
class Predicates:
    """The remembered predicates of one graph."""

    #: Condition node id -> its predicate key.
    key_of: dict[int, str] = field(default_factory=dict)
    #: Name -> the keys of the predicates that mention it.
    keys_of_name: dict[str, frozenset[str]] = field(default_factory=dict)


def _key(atom: cst.CSTNode, names: set[str]) -> str | None:
    """A structural key of a predicate atom (collecting its names), or None."""
    kind = type(atom)
    if kind is cst.Name:
        names.add(atom.value)  # type: ignore[attr-defined]
        return atom.value  # type: ignore[attr-defined,no-any-return]
    if kind is cst.Integer or kind is cst.Float or kind is cst.SimpleString:
        return atom.value  # type: ignore[attr-defined,no-any-return]
    if kind is cst.Comparison:
        assert isinstance(atom, cst.Comparison)
        parts = [_key(atom.left, names)]
        for target in atom.comparisons:
            parts += [type(target.operator).__name__, _key(target.comparator, names)]
        return None if None in parts else " ".join(p for p in parts if p is not None)
    if kind is cst.BinaryOperation:
        assert isinstance(atom, cst.BinaryOperation)
        left, right = _key(atom.left, names), _key(atom.right, names)
        if left is None or right is None:
            return None
        return f"({left} {type(atom.operator).__name__} {right})"
    if kind is cst.UnaryOperation:
        assert isinstance(atom, cst.UnaryOperation)
        inner = _key(atom.expression, names)
        return None if inner is None else f"{type(atom.operator).__name__} {inner}"
    return None


def find_predicates(cfg: CFG) -> Predicates:
    """The predicates of ``cfg`` worth keeping states apart for."""
    found: dict[int, tuple[str, frozenset[str]]] = {}
    tested: Counter[str] = Counter()
    constant: set[str] = set()
    for node in cfg.nodes:
        element = node.element
        if node.kind is NodeKind.TEST and element is not None:
            names: set[str] = set()
            key = _key(element, names)
            if key is not None:
                found[node.id] = (key, frozenset(names))
                tested[key] += 1
        elif node.kind is NodeKind.STMT and type(element) is cst.Assign:
            assert isinstance(element, cst.Assign)
            if constant_truth(element.value) is not None:
                constant.update(t.target.value for t in element.targets
                                if type(t.target) is cst.Name)
    kept = {k for k, count in tested.items() if count >= 2 or k in constant}
    key_of = {nid: key for nid, (key, _) in found.items() if key in kept}
    keys_of_name: dict[str, set[str]] = {}
    for key, mentioned in {found[nid] for nid in key_of}:
        for name in mentioned:
            keys_of_name.setdefault(name, set()).add(key)
    return Predicates(key_of, {n: frozenset(k) for n, k in keys_of_name.items()})
