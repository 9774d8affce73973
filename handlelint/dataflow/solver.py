"""A generic forward worklist solver over a control-flow graph.

The analysis supplies a join and a transfer function that maps a node and its input
state to one output state per edge kind (``None`` means "no path leaves this way").
Nodes are processed in reverse postorder priority, states are compared by equality
(never by hash or identity), results live in a map from node id to input state, and
the number of node visits is bounded so no input can make the solver spin: past the
bound :class:`SolverLimit` is raised and the engine reports HDL000 for the scope.
"""

from __future__ import annotations

import heapq
from typing import Callable, Generic, Mapping, Optional, TypeVar

from handlelint.cfg.model import CFG, EdgeKind, Node

S = TypeVar("S")

Transfer = Callable[[Node, S], Mapping[EdgeKind, Optional[S]]]

#: Visits allowed per node before the solver gives up.
VISITS_PER_NODE = 50


class SolverLimit(Exception):
    """The fixpoint was not reached within the visit bound."""


class Solver(Generic[S]):
    """Runs ``transfer`` to a fixpoint; ``result[node id]`` is the node's input state."""

    def __init__(self, cfg: CFG, join: Callable[[S, S], S], transfer: Transfer[S]) -> None:
        self.cfg = cfg
        self.join = join
        self.transfer = transfer
        self.result: dict[int, S] = {}

    def solve(self, initial: S) -> dict[int, S]:
        cfg = self.cfg
        order = cfg.reachable()
        rank = {nid: i for i, nid in enumerate(order)}
        self.result = {cfg.entry: initial}
        queue = [(rank[cfg.entry], cfg.entry)]
        queued = {cfg.entry}
        budget = VISITS_PER_NODE * max(1, len(order))
        while queue:
            budget -= 1
            if budget < 0:
                raise SolverLimit(f"no fixpoint after {VISITS_PER_NODE} visits per node")
            _, nid = heapq.heappop(queue)
            queued.discard(nid)
            node = cfg.nodes[nid]
            outs = self.transfer(node, self.result[nid])
            for dst, kind in node.succ:
                out = outs.get(kind)
                if out is None:
                    continue
                old = self.result.get(dst)
                new = out if old is None else self.join(old, out)
                if old is None or new != old:
                    self.result[dst] = new
                    if dst not in queued:
                        queued.add(dst)
                        heapq.heappush(queue, (rank[dst], dst))
        return self.result
