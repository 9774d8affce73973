"""Which names may still be read after each node: a backward pass that keeps states small.

A name that no later node mentions can be forgotten once its handle can no longer leak
(released, null or escaped): nothing after it can use, release or lose that handle
through this name. Forgetting such names keeps each state as small as the handles live
at that point, which is what makes long functions linear (a function with 2,000
branches, each opening and closing its own handle, would otherwise carry 2,000 names
through every later node).

Every name mentioned in a node's own part counts as read (for a loop header its target,
for an ``except`` clause its name, for a nested ``def`` its decorators and name), so
the pass keeps too much rather than too little; only a plain ``name = ...`` assignment
kills, as the assigned name's earlier value cannot be read past it.
"""

from __future__ import annotations

import libcst as cst

from handlelint.cfg.model import CFG, Node, NodeKind
from handlelint.walk import preorder

#: Graphs at least this large forget dead names as they go (small ones need not pay).
LIVENESS_MIN_NODES = 200


def _parts(node: Node) -> list[cst.CSTNode]:
    element = node.element
    if element is None or node.kind is NodeKind.ENTRY:
        return []
    if isinstance(element, cst.For):
        return [element.target]
    if isinstance(element, (cst.ExceptHandler, cst.ExceptStarHandler)):
        return [element.name] if element.name is not None else []
    if isinstance(element, cst.MatchCase):
        return [element.pattern] + ([element.guard] if element.guard is not None else [])
    if isinstance(element, (cst.FunctionDef, cst.ClassDef)):
        return [element.name, *element.decorators]
    return [element]


def _mentions(node: Node) -> frozenset[str]:
    names = set()
    for part in _parts(node):
        for sub in preorder(part):
            if isinstance(sub, cst.Name):
                names.add(sub.value)
    return frozenset(names)


def _kills(node: Node) -> frozenset[str]:
    element = node.element
    if isinstance(element, cst.Assign):
        targets = [t.target for t in element.targets]
        value_names = {n.value for n in preorder(element.value) if isinstance(n, cst.Name)}
        return frozenset(t.value for t in targets
                         if isinstance(t, cst.Name) and t.value not in value_names)
    return frozenset()


def live_after(cfg: CFG) -> dict[int, frozenset[str]]:
    """For each reachable node, the names some node after it may read."""
    order = cfg.reachable()
    mentions = {nid: _mentions(cfg.nodes[nid]) for nid in order}
    kills = {nid: _kills(cfg.nodes[nid]) for nid in order}
    live_in: dict[int, frozenset[str]] = {nid: mentions[nid] for nid in order}
    live_out: dict[int, frozenset[str]] = {nid: frozenset() for nid in order}
    changed = True
    while changed:
        changed = False
        for nid in reversed(order):
            out: frozenset[str] = frozenset()
            for succ, _ in cfg.nodes[nid].succ:
                out |= live_in.get(succ, frozenset())
            if out != live_out[nid]:
                live_out[nid] = out
                live_in[nid] = (out - kills[nid]) | (mentions[nid] - kills[nid])
                changed = True
    return live_out
