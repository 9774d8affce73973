"""Where each name is read for the last time: a sparse backward pass that keeps states small.

A name that no later node mentions can be forgotten once its handle can no longer leak
(released, null or escaped), or once another name holds the same handle: nothing after
it can use, release or lose that handle through this name. Forgetting such names keeps
each state as small as the handles live at that point (a function with 2,000 branches,
each opening and closing its own handle, would otherwise carry 2,000 names through every
later node), and collapses chains of aliases (``a1 = a0``, ``a2 = a1``, ...) to the
last link.

The pass is sparse. Only *candidates* are followed: names a node of the graph may bind
to a handle (assignment, walrus, ``for``, ``with ... as``, ``except ... as`` and ``case``
targets, and names passed to a call, which an out-parameter acquire binds); other
names never hold a handle, and a name the pass does not know is simply never forgotten.
Each candidate gets an *interval* of the nodes in reverse postorder, from its first to
its last mention, stretched over the loops it is mentioned in, and dies where an edge
leaves it. No set of live names is kept per node: the work is one scan of the graph
plus, at each join, the span of the nodes it joins (linear for code of bounded nesting).

Every name mentioned in a node's own part counts as read (for a loop header its target,
for an ``except`` clause its name, for a nested ``def`` its decorators and name), and no
assignment ends an interval early, so the pass keeps names too long rather than too
short.
"""

from __future__ import annotations

import libcst as cst

from handlelint.cfg.model import CFG, Node, NodeKind
from handlelint.dataflow.lattice import LEAKY, Env
from handlelint.syntax import parameter_names, target_names
from handlelint.walk import preorder

# The nodes that bind every name they mention (a loop target, an ``except`` name, a
# ``case`` pattern), compared by exact type: ``isinstance`` against a libcst class goes
# through the slow ABC machinery whenever the answer is False.
_BIND_MENTIONED = frozenset({cst.For, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase})

#: Graphs at least this large forget dead names as they go (small ones need not pay).
LIVENESS_MIN_NODES = 200


def _parts(node: Node) -> list[cst.CSTNode]:
    element = node.element
    if element is None or node.kind is NodeKind.ENTRY:
        return []
    if type(element) is cst.For:
        return [element.target]
    if type(element) is cst.ExceptHandler or type(element) is cst.ExceptStarHandler:
        return [element.name] if element.name is not None else []
    if type(element) is cst.MatchCase:
        return [element.pattern] + ([element.guard] if element.guard is not None else [])
    if type(element) is cst.FunctionDef or type(element) is cst.ClassDef:
        return [element.name, *element.decorators]
    return [element]


def _scan(node: Node) -> tuple[set[str], set[str]]:
    """The names a node mentions, and those it may bind to a handle."""
    mentions: set[str] = set()
    binds: set[str] = set()
    for part in _parts(node):
        for sub in preorder(part):
            kind = type(sub)
            if kind is cst.Name:
                mentions.add(sub.value)  # type: ignore[attr-defined]
            elif kind is cst.NamedExpr:
                binds.update(target_names(sub.target))  # type: ignore[attr-defined]
            elif kind is cst.Call:
                for arg in sub.args:  # type: ignore[attr-defined]
                    value = arg.value
                    if type(value) is cst.Call and value.args:
                        value = value.args[0].value  # byref(x), pointer(x)
                    if type(value) is cst.Name:
                        binds.add(value.value)
    element = node.element
    if type(element) is cst.Assign:
        for target in element.targets:
            binds.update(target_names(target.target))
    elif type(element) is cst.AnnAssign:
        binds.update(target_names(element.target))
    elif type(element) is cst.WithItem and element.asname is not None:
        binds.update(target_names(element.asname.name))
    elif type(element) in _BIND_MENTIONED:
        binds |= mentions
    return mentions, binds


class Liveness:
    """Per node, the candidate names whose live range ends there (see the module)."""

    __slots__ = ("dying",)

    def __init__(self, dying: dict[int, list[str]]) -> None:
        self.dying = dying

    def forget(self, env: Env, node: int) -> None:
        """Drop from ``env`` the names that die at ``node`` and may be dropped.

        A dying name goes when none of its handles can leak any more, or when each
        handle that can is held by another name as well (an alias: the handle is not
        lost, and the later name reports it).
        """
        dying = self.dying.get(node)
        if not dying:
            return
        names = env.names
        holders: dict[int, int] | None = None
        for name in dying:
            sites = names.get(name)
            if sites is None:
                continue
            leaky = [s for s in sites if env.sites.get(s, {}).keys() & LEAKY]
            if leaky:
                if holders is None:
                    holders = {}
                    for held in names.values():
                        for site in held:
                            holders[site] = holders.get(site, 0) + 1
                if any(holders.get(s, 0) < 2 for s in leaky):
                    continue
                for site in sites:
                    holders[site] -= 1
            del names[name]


def live_after(cfg: CFG) -> Liveness:
    """The names that die at each reachable node of ``cfg`` (see the module docstring).

    Nodes are numbered in reverse postorder; a candidate's *interval* runs from its
    first to its last mention, stretched over every loop it is mentioned in (a back
    edge ``u -> h`` with ``h`` inside the interval stretches its end to ``u``, and one
    with ``u`` inside it stretches its start to ``h``: the value may be read again on
    the next iteration, or still be held from the last). A function's parameters are
    held from its entry. Past its interval a name is dead, since only a back edge leads
    to a lower number, and before it the name holds nothing. A name is looked at where
    an edge leaves its interval: along an edge ``p -> y``, the names whose interval
    holds ``p`` and ends before ``y``.

    Each node ``y`` takes the cheaper of two ways to find them: the names whose interval
    ends between its lowest forward predecessor and ``y`` (the span of the nodes it
    joins), or, edge by edge, either that span from the edge's source or the names alive
    at the source (kept by a sweep over the order), whichever is fewer. A join far from
    its predecessors (the exceptional copy of a ``finally`` laid out after the whole
    function) then costs the few names alive where the edge starts, and a node entered
    from everywhere (the exit) one span.
    """
    order = cfg.reachable()
    size = len(order)
    rank = {nid: i for i, nid in enumerate(order)}
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    candidates: set[str] = set()
    # reach[i]: the highest source of a back edge whose header is at i or before;
    # back[i]: the lowest header of a back edge whose source is at i or after.
    reach = list(range(size))
    back = list(range(size))
    lowest: list[int] = list(range(size))
    preds: list[list[int]] = [[] for _ in range(size)]
    for i, nid in enumerate(order):
        node = cfg.nodes[nid]
        for succ, _ in node.succ:
            j = rank.get(succ)
            if j is None:
                continue
            if j <= i:
                reach[j] = max(reach[j], i)
                back[i] = min(back[i], j)
            else:
                preds[j].append(i)
                if i < lowest[j]:
                    lowest[j] = i
        named, binds = _scan(node)
        candidates |= binds
        for name in named:
            last[name] = i
            first.setdefault(name, i)
    for name in _parameters(cfg):
        first[name] = 0
    for i in range(1, size):
        reach[i] = max(reach[i], reach[i - 1])
    for i in range(size - 2, -1, -1):
        back[i] = min(back[i], back[i + 1])
    ends: dict[int, list[str]] = {}
    starts: dict[int, list[str]] = {}
    end_of: dict[str, int] = {}
    start_of: dict[str, int] = {}
    for name in candidates:
        end = last.get(name)
        if end is None:
            continue
        while reach[end] > end:
            end = reach[end]
        start = first[name]
        while back[start] < start:
            start = back[start]
        ends.setdefault(end, []).append(name)
        starts.setdefault(start, []).append(name)
        end_of[name] = end
        start_of[name] = start
    # How many names are alive at each node (a difference array over the intervals).
    alive = [0] * (size + 1)
    for name, start in start_of.items():
        alive[start] += 1
        alive[end_of[name] + 1] -= 1
    for i in range(1, size + 1):
        alive[i] += alive[i - 1]
    found: dict[int, set[str]] = {}
    # requests[p]: the nodes y that want the names alive at p that end before y.
    requests: dict[int, list[int]] = {}
    for y in range(size):
        if lowest[y] >= y:
            continue
        by_edge = sum(min(y - p, alive[p]) for p in preds[y])
        if y - lowest[y] <= by_edge:
            for j in range(lowest[y], y):
                found.setdefault(y, set()).update(ends.get(j, ()))
            continue
        for p in preds[y]:
            if y - p <= alive[p]:
                for j in range(p, y):
                    found.setdefault(y, set()).update(
                        n for n in ends.get(j, ()) if start_of[n] <= p)
            else:
                requests.setdefault(p, []).append(y)
    if requests:
        active: dict[str, int] = {}
        for p in range(size):
            for name in starts.get(p, ()):
                active[name] = end_of[name]
            for y in requests.get(p, ()):
                found.setdefault(y, set()).update(n for n, end in active.items() if end < y)
            for name in ends.get(p, ()):
                active.pop(name, None)
    return Liveness({order[y]: sorted(names) for y, names in found.items() if names})


def _parameters(cfg: CFG) -> list[str]:
    """The parameters of the function ``cfg`` is the graph of (held from its entry)."""
    scope = cfg.nodes[cfg.entry].element
    if type(scope) is not cst.FunctionDef:
        return []
    return parameter_names(scope.params)
