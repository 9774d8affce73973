"""A generic forward worklist solver over a control-flow graph.

The analysis supplies a join and a transfer function that maps a node and its input
state to one output state per edge kind (``None`` means "no path leaves this way").
Nodes are processed in sweeps in reverse postorder, states are compared by equality
(never by hash or identity), results live in a map from node id to input state, and
the number of node visits is bounded so no input can make the solver spin: past the
bound :class:`SolverLimit` is raised and the engine reports HDL000 for the scope.
"""

from __future__ import annotations

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
        """Input states of every reachable node at the fixpoint.

        Sweeps the nodes in reverse postorder, visiting those whose input changed; a
        change that flows back along a loop's back edge is picked up by the next
        sweep. Each sweep is linear in the graph, and sweeps are few (about the depth
        of loop nesting times the lattice height a loop climbs), so there is no
        priority queue and no log factor.
        """
        cfg = self.cfg
        order = cfg.reachable()
        rank = {nid: i for i, nid in enumerate(order)}
        result = self.result = {cfg.entry: initial}
        nodes = cfg.nodes
        transfer, join = self.transfer, self.join
        dirty = bytearray(len(order))
        dirty[rank[cfg.entry]] = 1
        budget = VISITS_PER_NODE * max(1, len(order))
        again = True
        while again:
            again = False
            for position, nid in enumerate(order):
                if not dirty[position]:
                    continue
                dirty[position] = 0
                budget -= 1
                if budget < 0:
                    raise SolverLimit(f"no fixpoint after {VISITS_PER_NODE} visits per node")
                node = nodes[nid]
                outs = transfer(node, result[nid])
                for dst, kind in node.succ:
                    out = outs.get(kind)
                    if out is None:
                        continue
                    old = result.get(dst)
                    if old is None:
                        new = out
                    else:
                        new = join(old, out)
                        if new == old:
                            continue
                    result[dst] = new
                    target = rank[dst]
                    dirty[target] = 1
                    if target <= position:
                        again = True
        return self.result
