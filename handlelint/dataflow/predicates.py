"""Which conditions are worth remembering: predicates over local names, tested twice.

A *predicate* is a condition atom built only of local names, constants and operators
(``flag``, ``mode == "full"``, ``count > 0``): nothing in it can change without one of
its names being rebound. A predicate tested by two condition nodes of a scope, or a bare
name tested once and assigned a constant, gets a key (its source text); the analysis
then keeps states apart by the known truth of each key (see ``partition``), and forgets
a key's truth when one of its names is rebound. Attributes, subscripts and calls are
left out: a method call between two tests could change them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import libcst as cst

from handlelint.cfg.model import CFG, NodeKind
from handlelint.dataflow.conditions import constant_truth
from handlelint.walk import preorder

_ALLOWED = frozenset({
    cst.Name, cst.Integer, cst.Float, cst.SimpleString, cst.Comparison,
    cst.ComparisonTarget, cst.BinaryOperation, cst.UnaryOperation,
})


@dataclass(frozen=True)
class Predicates:
    """The remembered predicates of one graph."""

    #: Condition node id -> its predicate key.
    key_of: dict[int, str] = field(default_factory=dict)
    #: Name -> the keys of the predicates that mention it.
    keys_of_name: dict[str, frozenset[str]] = field(default_factory=dict)


def _key(atom: cst.CSTNode) -> tuple[str, frozenset[str]] | None:
    """The key and names of a predicate atom, or None when it is not one."""
    names = set()
    for node in preorder(atom):
        kind = type(node)
        if kind not in _ALLOWED and not isinstance(node, (cst.BaseCompOp, cst.BaseBinaryOp,
                                                          cst.BaseUnaryOp)):
            return None
        if kind is cst.Name:
            names.add(node.value)  # type: ignore[attr-defined]
    if isinstance(atom, cst.Name):
        return atom.value, frozenset(names)
    code = " ".join(cst.Module(body=[]).code_for_node(atom).split())
    return code, frozenset(names)


def find_predicates(cfg: CFG) -> Predicates:
    """The predicates of ``cfg`` worth keeping states apart for."""
    found: dict[int, tuple[str, frozenset[str]]] = {}
    tested: Counter[str] = Counter()
    constant: set[str] = set()
    for node in cfg.nodes:
        element = node.element
        if node.kind is NodeKind.TEST and isinstance(element, cst.BaseExpression):
            keyed = _key(element)
            if keyed is not None:
                found[node.id] = keyed
                tested[keyed[0]] += 1
        elif node.kind is NodeKind.STMT and isinstance(element, cst.Assign):
            if constant_truth(element.value) is not None:
                constant.update(t.target.value for t in element.targets
                                if isinstance(t.target, cst.Name))
    kept = {k for k, count in tested.items() if count >= 2 or k in constant}
    key_of = {nid: key for nid, (key, _) in found.items() if key in kept}
    keys_of_name: dict[str, set[str]] = {}
    for key, names in {found[nid] for nid in key_of}:
        for name in names:
            keys_of_name.setdefault(name, set()).add(key)
    return Predicates(key_of, {n: frozenset(k) for n, k in keys_of_name.items()})
