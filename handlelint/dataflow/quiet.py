"""Statements that cannot change a handle state, so the solver passes their state on.

Most statements of a function that handles handles do not touch one: ``index += 1``,
``label = "state-%d" % state``, a docstring. A statement is *quiet* when it calls
nothing, awaits and yields nothing, builds no lambda or comprehension and binds no
walrus (nothing in it can raise into a handler, acquire, release or capture), and,
on the state at hand, none of the names it mentions holds a handle, a status, a
null-check alias or a closed parameter, and none it binds is a flag whose truth is
tracked. Its output state is then its input state, the same object, which also
makes the joins after it free.

The module's index records, for each assignment and expression statement, the names it
mentions and whether something in it makes it loud (:attr:`ModuleIndex.quiet
<handlelint.index.ModuleIndex.quiet>`), so the statement is not walked again here; a
statement the index does not know (another tree) is walked.
"""

from __future__ import annotations

from typing import AbstractSet, Mapping, Optional

import libcst as cst

from handlelint.cfg.model import Node, NodeKind
from handlelint.dataflow.lattice import Env
from handlelint.index import LOUD, MAY_BE_QUIET
from handlelint.syntax import target_names
from handlelint.walk import preorder

#: (names a statement mentions, names it binds).
Names = tuple[AbstractSet[str], AbstractSet[str]]

_UNKNOWN: set[str] = set()  # a marker, never filled


def quiet_names(node: Node, known: Mapping[int, Optional[set[str]]] | None = None
                ) -> Names | None:
    """For a statement that may be quiet: (names it mentions, names it binds).

    ``known``: the index's record of mentioned names per statement (None: loud), if
    the statement comes from the indexed module.
    """
    element = node.element
    if node.kind is not NodeKind.STMT or type(element) not in MAY_BE_QUIET:
        return None
    assert element is not None
    mentioned = _UNKNOWN if known is None else known.get(id(element), _UNKNOWN)
    if mentioned is _UNKNOWN:
        mentioned = _mentioned(element)
    if mentioned is None:
        return None
    bound: list[str] = []
    if type(element) is cst.Assign:
        for target in element.targets:
            bound += target_names(target.target)
    elif type(element) is not cst.Expr:
        bound = target_names(element.target)  # type: ignore[attr-defined]
    return mentioned, frozenset(bound)


def _mentioned(element: cst.CSTNode) -> set[str] | None:
    """The names under ``element`` (attribute names included), None if it is loud."""
    mentioned: set[str] = set()
    for sub in preorder(element):
        kind = type(sub)
        if kind in LOUD:
            return None
        if kind is cst.Name:
            mentioned.add(sub.value)  # type: ignore[attr-defined]
    return mentioned


def is_quiet(names: Names, env: Env, flags: frozenset[str]) -> bool:
    """Is the statement with these ``names`` quiet on ``env`` (``flags``: tracked ones)?"""
    mentioned, bound = names
    held = env.names
    if any(name in held for name in mentioned):
        return False
    if env.status and any(name in env.status for name in mentioned):
        return False
    if env.closed and not env.closed.isdisjoint(mentioned):
        return False
    if env.derived and any(d[0] in mentioned for d in env.derived):
        return False
    return flags.isdisjoint(bound)
