"""Path-sensitivity where it pays: states kept apart by what is known of predicates.

Merging every path at every join (the plain lattice) loses correlations such as

    ok = False
    h = OpenCluster(None)
    if h:
        ok = True
    ...
    if ok:
        CloseCluster(h)

This module keeps, at each node, one state per combination of *facts* (a predicate
known true or false), as ESP-style property simulation does: states with the same facts
are joined as before, states with different facts stay apart, and a test of a predicate
whose value is known on some state sends that state down one side only. Only the
predicates of :mod:`.predicates` (over local names, tested twice, or a flag assigned a
constant) get facts, so code without such correlations keeps exactly one state per node.
At most :data:`MAX_PARTS` states are kept; past that they are merged into one (their
facts intersected), so the cost stays linear.
"""

from __future__ import annotations

from typing import Mapping, Optional

from handlelint.cfg.model import CFG, EdgeKind, Node
from handlelint.dataflow.lattice import Env, join
from handlelint.dataflow.predicates import find_predicates
from handlelint.dataflow.quiet import Names, is_quiet, quiet_names
from handlelint.dataflow.solver import Solver
from handlelint.dataflow.transfer import HandleTransfer

#: States kept apart at one node before they are merged.
MAX_PARTS = 8


class Split:
    """A few environments, one per set of facts. Treated as immutable."""

    __slots__ = ("parts",)

    def __init__(self, parts: dict[frozenset[tuple[str, bool]], Env]) -> None:
        self.parts = parts

    @staticmethod
    def of(env: Env) -> Split:
        return Split({env.facts: env})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Split) and self.parts == other.parts

    def __hash__(self) -> int:  # pragma: no cover - never hashed
        raise TypeError("Split is not hashable")

    def merged(self) -> Env:
        """All parts joined into one environment (facts kept only where all agree)."""
        envs = list(self.parts.values())
        out = envs[0]
        for env in envs[1:]:
            out = join(out, env)
        return out


def join_split(a: Split, b: Split) -> Split:
    """Join part by part; too many parts collapse into one."""
    parts = dict(a.parts)
    for facts, env in b.parts.items():
        mine = parts.get(facts)
        parts[facts] = env if mine is None else join(mine, env)
    if len(parts) > MAX_PARTS:
        return Split.of(Split(parts).merged())
    return Split(parts)


class PlainTransfer:
    """A :class:`HandleTransfer` on bare environments, quiet statements passed over.

    Used alone where the graph has no predicate (then every :class:`Split` would hold
    one part), and by :class:`PartitionedTransfer` for each of its parts.
    """

    def __init__(self, inner: HandleTransfer) -> None:
        self.inner = inner
        self._quiet: dict[int, Names | None] = {}
        self._flags = frozenset(inner.predicates.keys_of_name)
        self._known = inner.resolver.index.quiet

    def quiet(self, node: Node) -> Names | None:
        """The names of ``node`` if it may be quiet and no name dies there, else None."""
        names = self._quiet.get(node.id, _UNSEEN)
        if names is _UNSEEN:
            names = quiet_names(node, self._known)
            live = self.inner.live
            if live is not None and node.id in live.dying:
                names = None
            self._quiet[node.id] = names
        return names

    def __call__(self, node: Node, env: Env) -> Mapping[EdgeKind, Optional[Env]]:
        self.inner.begin(node.id)
        names = self.quiet(node)
        if names is not None and is_quiet(names, env, self._flags):
            return {EdgeKind.NORMAL: env}
        return self.inner(node, env)


class PartitionedTransfer(PlainTransfer):
    """Runs a :class:`HandleTransfer` on each part and regroups the results by facts."""

    def __call__(self, node: Node, state: Split  # type: ignore[override]
                 ) -> Mapping[EdgeKind, Optional[Split]]:
        self.inner.begin(node.id)
        names = self.quiet(node)
        parts = state.parts
        if names is not None and all(is_quiet(names, env, self._flags)
                                     for env in parts.values()):
            return {EdgeKind.NORMAL: state}
        if len(parts) == 1:
            (env,) = parts.values()
            return {kind: Split.of(out) for kind, out in self.inner(node, env).items()
                    if out is not None}
        grouped: dict[EdgeKind, Split] = {}
        for env in parts.values():
            for kind, out in self.inner(node, env).items():
                if out is None:
                    continue
                mine = grouped.get(kind)
                grouped[kind] = Split.of(out) if mine is None else join_split(mine, Split.of(out))
        return grouped


#: Marks a node whose quiet names are not computed yet.
_UNSEEN: Names = (frozenset(), frozenset())


def solve(cfg: CFG, transfer: HandleTransfer, initial: Env) -> dict[int, Split]:
    """Solve ``cfg`` with its predicates; ``transfer`` keeps what it recorded.

    A graph without predicates gets no facts, so each of its Splits would hold one
    part, keyed by the initial state's facts, at every node: it is solved on the
    environments themselves (the same joins, comparisons and visits) and the results
    wrapped at the end.

    Raises :class:`~handlelint.dataflow.solver.SolverLimit` past the visit bound.
    """
    transfer.predicates = find_predicates(cfg)
    if transfer.predicates.key_of:
        return Solver(cfg, join_split, PartitionedTransfer(transfer)).solve(Split.of(initial))
    states = Solver(cfg, join, PlainTransfer(transfer)).solve(initial)
    return {nid: Split.of(env) for nid, env in states.items()}
