"""Functions that cannot raise: no may-raise point on any path of their body.

The path analysis counts only these as exception points: a call that may raise, an
``await``, a ``yield`` (the generator's consumer may throw into it), ``raise`` and
``assert``. A project function whose own body has none of them, enters no ``with`` and
calls only functions that cannot raise (a foreign function without ``errcheck``, a clock,
another such project function) cannot raise either, and calling it is no exception point.
The set is the least fixpoint over the module's call graph: a recursion is never proven
(it may end in ``RecursionError``). Bodies of nested functions and classes do not run
when the function does and are left out; a ``lambda``'s calls count, to be safe.
"""

from __future__ import annotations

from typing import Callable, Iterator, Optional

import libcst as cst

from handlelint.walk import children

#: Syntax that may raise by itself (``with`` runs ``__enter__``/``__exit__``); compared
#: by exact type, as the walk is over every node of the module's functions.
_RAISING = frozenset({cst.Raise, cst.Assert, cst.Await, cst.Yield, cst.With})
_NOT_RUN = frozenset({cst.FunctionDef, cst.ClassDef})


def _body_nodes(function: cst.FunctionDef) -> Iterator[cst.CSTNode]:
    """The nodes of ``function``'s body that run when it is called (the meaningful
    nodes of :mod:`handlelint.walk`), one at a time in source order: the walk stops at
    the first may-raise point (often a ``raise`` right after an acquire), so most bodies
    are not walked to their end."""
    todo: list[cst.CSTNode] = [function.body]
    not_run = _NOT_RUN
    while todo:
        node = todo.pop()
        yield node
        kids = [child for child in children(node) if type(child) not in not_run]
        kids.reverse()
        todo += kids


def cannot_raise(functions: list[cst.FunctionDef],
                 local_callee: Callable[[cst.Call], Optional[int]],
                 quiet: Callable[[cst.Call], bool]) -> set[int]:
    """The ids of ``functions`` that cannot raise. ``local_callee`` gives the id of the
    function of this module a call runs (None: another kind of call), ``quiet`` whether
    any other call cannot raise."""
    pending: dict[int, list[int]] = {}
    for function in functions:
        callees: list[int] = []
        for node in _body_nodes(function):
            kind = type(node)
            if kind in _RAISING:
                break
            if kind is cst.Call:
                assert isinstance(node, cst.Call)
                callee = local_callee(node)
                if callee is not None:
                    callees.append(callee)
                elif not quiet(node):
                    break
        else:
            pending[id(function)] = callees
    proven: set[int] = set()
    changed = True
    while changed:
        changed = False
        for key, callees in pending.items():
            if key not in proven and all(c in proven for c in callees):
                proven.add(key)
                changed = True
    return proven
