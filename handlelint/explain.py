"""``--explain``: one leaking path, step by step, recovered from the solved states.

The solver keeps no paths (that is what keeps it linear), so a witness is rebuilt after
the fact: a backward breadth-first search from the node where the handle was lost,
through nodes whose input state still has the handle open or maybe-null, until a node
that acquired it. Read forwards, the edges of that path are the steps: each condition
with the side taken, each loop entered or left, each ``except`` clause entered, each
exception raised, and the exit. The search is linear in the graph and runs only for
reported leaks when an explanation is asked for.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Mapping

import libcst as cst

from handlelint.cfg.model import CFG, EdgeKind, Node, NodeKind
from handlelint.dataflow.calls import LeakEvent, Site
from handlelint.dataflow.transfer import HandleTransfer as Transfer
from handlelint.dataflow.lattice import LEAKY, Env
from handlelint.findings import Step

_ENDINGS = {
    "return": "returns with the handle open",
    "end": "reaches the end of the scope with the handle open",
    "raise": "leaves the scope by an exception with the handle open",
    "rebind": "the variable is rebound while the handle is open",
    "reacquire": "the handle is acquired again before the previous one was closed",
    "del": "the variable is deleted while the handle is open",
    "discard": "the result is thrown away",
}


def _code(element: cst.CSTNode | None) -> str:
    if element is None:
        return ""
    if type(element) is cst.WithItem:  # one item of a ``with``: no trailing comma
        item = element.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return _code(item.item) + (f" as {_code(item.asname.name)}" if item.asname else "")
    try:
        text = cst.Module(body=[]).code_for_node(element).strip()
    except Exception:  # an element that cannot print on its own
        return type(element).__name__
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= 60 else first[:57] + "..."


def _describe(node: Node, kind: EdgeKind) -> str | None:
    if node.kind is NodeKind.TEST and kind in (EdgeKind.TRUE, EdgeKind.FALSE):
        element = node.element
        if type(element) is cst.Assert:
            return f"assert {_code(element.test)!s} holds"
        return f"`{_code(element)}` is {'true' if kind is EdgeKind.TRUE else 'false'}"
    if node.kind is NodeKind.FOR_NEXT:
        return "enters the loop" if kind is EdgeKind.TRUE else "leaves the loop"
    if node.kind is NodeKind.HANDLER and kind in (EdgeKind.TRUE, EdgeKind.NORMAL):
        return "enters the except clause"
    if node.kind is NodeKind.CASE and kind is EdgeKind.TRUE:
        return "takes this case"
    if kind is EdgeKind.EXC:
        return f"`{_code(node.element)}` raises"
    if kind is EdgeKind.RAISE:
        return f"`{_code(node.element)}`"
    if node.kind is NodeKind.RETURN:
        return f"`{_code(node.element)}`"
    return None


def _is_loop_head(node: Node) -> bool:
    """A ``for`` head or the join at the top of a ``while`` loop."""
    return node.kind is NodeKind.FOR_NEXT or node.kind is NodeKind.NOP and node.label == "loop"


OutStates = Callable[[int], Mapping[EdgeKind, "Env | None"]]


def leak_steps(cfg: CFG, states: Mapping[int, Env], outs: OutStates, site: Site,
               acquired: set[int], event: LeakEvent) -> tuple[Step, ...]:
    """The steps of one path on which ``site`` is lost as ``event`` says.

    For an exception leak the path is found in two legs: from the loss back to the
    exception edge of the named call, then from there back to the acquire.
    """
    preds: dict[int, list[tuple[int, EdgeKind]]] = {}
    for nid in states:
        for dst, kind in cfg.nodes[nid].succ:
            preds.setdefault(dst, []).append((nid, kind))

    def open_at(nid: int, kind: EdgeKind) -> bool:
        """Does the state leaving ``nid`` along a ``kind`` edge still hold the handle open?"""
        out = outs(nid).get(kind) if nid in states else None
        val = out.sites.get(site.index) if out is not None else None
        return bool(val and val.keys() & LEAKY)

    def back(start: int, goal: Callable[[int, EdgeKind], bool], quiet: bool = True
             ) -> tuple[int | None, dict[int, tuple[int, EdgeKind]]]:
        """Breadth-first back from ``start`` to a ``goal`` edge; ``quiet`` paths take no
        unexpected exception on the way (a path that needs none must not show one)."""
        following: dict[int, tuple[int, EdgeKind]] = {}
        seen = {start}
        queue = deque([start])
        while queue:
            nid = queue.popleft()
            for src, kind in preds.get(nid, ()):
                if goal(src, kind):
                    following[src] = (nid, kind)
                    return src, following
                if src in seen or quiet and kind is EdgeKind.EXC:
                    continue
                if not open_at(src, kind):
                    continue
                seen.add(src)
                following[src] = (nid, kind)
                queue.append(src)
        return None, following

    def is_acquire(src: int, kind: EdgeKind) -> bool:
        return src in acquired and open_at(src, kind)

    legs: list[tuple[int | None, dict[int, tuple[int, EdgeKind]]]] = []
    start = event.node
    origin = event.origin
    if origin is not None and origin.rank >= 1:
        def raises_here(src: int, kind: EdgeKind) -> bool:
            """The exception edge that gave the handle the event's origin (the named
            call, or the named item of a ``with``), not another one on the same line."""
            if kind is not EdgeKind.EXC or cfg.nodes[src].line != origin.line:
                return False
            out = outs(src).get(kind) if src in states else None
            val = out.sites.get(site.index) if out is not None else None
            return val is not None and any(st in LEAKY and o == origin
                                           for st, o in val.items())

        raiser, following = back(start, raises_here)
        if raiser is not None:
            legs.append((raiser, following))
            start = raiser
    settled = start in acquired and event.kind != "reacquire"
    if settled:
        legs.insert(0, (start, {}))
    else:
        found, following = back(start, is_acquire)
        if found is None:  # no path without another exception: allow them
            found, following = back(start, is_acquire, quiet=False)
        legs.insert(0, (found, following))
    steps = [Step(site.line, f"{site.rule.words} acquired by {site.source}()")]
    previous: int | None = None
    for first, following in legs:
        here: int | None = first
        while here is not None and here in following:
            nxt, kind = following.pop(here)
            node = cfg.nodes[here]
            text = _describe(node, kind)
            if previous is not None and previous > here and _is_loop_head(node):
                # A back edge: the path goes round the loop once more.
                text = f"next iteration of the loop at line {node.line}"
            if text is not None:
                steps.append(Step(node.line or site.line, text))
            previous, here = here, nxt
    steps.append(Step(event.line, _ending(event)))
    return tuple(steps)


def _ending(event: LeakEvent) -> str:
    if event.origin is not None and event.origin.rank >= 1:
        return f"{event.origin.what} raises and {_ENDINGS[event.kind]}"
    return _ENDINGS[event.kind]


def explain_all(cfg: CFG, states: Mapping[int, Env], transfer: Transfer,
                chosen: Mapping[int, LeakEvent]) -> dict[int, tuple[Step, ...]]:
    """Steps for the chosen event of each reported site (``transfer`` gives edge states)."""
    cache: dict[int, Mapping[EdgeKind, Env | None]] = {}
    transfer.recording = False

    def outs(nid: int) -> Mapping[EdgeKind, Env | None]:
        if nid not in cache:
            cache[nid] = transfer(cfg.nodes[nid], states[nid])
        return cache[nid]

    try:
        return {site: leak_steps(cfg, states, outs, transfer.sites[site],
                                 transfer.acquired_at.get(site, set()), event)
                for site, event in chosen.items()}
    finally:
        transfer.recording = True
