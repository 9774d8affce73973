"""Configured names written qualified: ``ClusApiUtils.open_cluster``, ``pkg.mod.open_widget``.

A plain configured name (``open_widget``) matches a call by the callee's final name,
anywhere. A qualified one matches only the calls that resolve to the function it
names: the call runs the project function whose stable name (``pkg.mod:Class.method``,
read as ``pkg.mod.Class.method``) is the configured name or ends with it at a dot
(``ClusApiUtils.open_cluster`` names ``pkg.utils:ClusApiUtils.open_cluster``), or the
callee is written exactly as configured (``lib.open_widget(...)`` for code the project
cannot see). Acquires, ``releasers`` and ``borrowers`` may be qualified.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

from handlelint.records import AcquireRule

#: What a matched name makes of the call.
ACQUIRE, RELEASE, BORROW = "acquire", "release", "borrow"


def denotes(name: str, key: str) -> bool:
    """Does the qualified ``name`` denote the project function ``key`` (``mod:qual``)?"""
    full = key.replace(":", ".")
    return full == name or full.endswith("." + name)


class QualifiedNames:
    """The qualified names of a configuration, and what each makes of a call."""

    def __init__(self, acquires: Mapping[str, AcquireRule], releasers: Sequence[str],
                 borrowers: Sequence[str]) -> None:
        self._names: list[tuple[str, str, Optional[AcquireRule]]] = [
            (name, ACQUIRE, rule) for name, rule in sorted(acquires.items())
            if rule.anywhere and "." in name]
        self._names += [(name, RELEASE, None) for name in releasers if "." in name]
        self._names += [(name, BORROW, None) for name in borrowers if "." in name]

    def __bool__(self) -> bool:
        return bool(self._names)

    def match(self, key: Optional[str], callee: str
              ) -> Optional[tuple[str, str, Optional[AcquireRule]]]:
        """(name, what, rule) of the first configured name the call matches: ``key`` is
        the project function it runs (None if none), ``callee`` its dotted callee text."""
        for name, what, rule in self._names:
            if callee == name or key is not None and denotes(name, key):
                return name, what, rule
        return None
