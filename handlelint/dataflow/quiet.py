"""Statements that cannot change a handle state, so the solver passes their state on.

Most statements of a function that handles handles do not touch one: ``index += 1``,
``label = "state-%d" % state``, a docstring. A statement is *quiet* when it calls
nothing, awaits and yields nothing, builds no lambda or comprehension and binds no
walrus (nothing in it can raise into a handler, acquire, release or capture), and,
on the state at hand, none of the names it mentions holds a handle, a status, a
null-check alias or a closed parameter, and none it binds is a flag whose truth is
tracked. Its output state is then its input state, the same object, which also
makes the joins after it free.
"""

from __future__ import annotations

import libcst as cst

from handlelint.cfg.model import Node, NodeKind
from handlelint.dataflow.lattice import Env
from handlelint.syntax import target_names
from handlelint.walk import preorder

_STATEMENTS = frozenset({cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Expr})
_LOUD = frozenset({
    cst.Call, cst.Await, cst.Yield, cst.Lambda, cst.NamedExpr, cst.ListComp, cst.SetComp,
    cst.GeneratorExp, cst.DictComp,
})


def quiet_names(node: Node) -> tuple[frozenset[str], frozenset[str]] | None:
    """For a statement that may be quiet: (names it mentions, names it binds)."""
    element = node.element
    if node.kind is not NodeKind.STMT or type(element) not in _STATEMENTS:
        return None
    assert element is not None
    mentioned: set[str] = set()
    for sub in preorder(element):
        kind = type(sub)
        if kind in _LOUD:
            return None
        if kind is cst.Name:
            mentioned.add(sub.value)  # type: ignore[attr-defined]
    bound: set[str] = set()
    if isinstance(element, cst.Assign):
        for target in element.targets:
            bound.update(target_names(target.target))
    elif isinstance(element, (cst.AnnAssign, cst.AugAssign)):
        bound.update(target_names(element.target))
    return frozenset(mentioned), frozenset(bound)


def is_quiet(names: tuple[frozenset[str], frozenset[str]], env: Env,
             flags: frozenset[str]) -> bool:
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
