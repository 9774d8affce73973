"""The handle-state lattice: what each acquire site may be, and which names hold it.

An :class:`Env` maps variable names to the acquire sites they may hold, and each site
to the set of states it may be in (Clang's fuchsia.HandleChecker keeps the same small
state machine):

``maybe-null`` just acquired, not yet checked; ``open`` checked non-null; ``null``
checked null (the call failed: nothing to release); ``released``; ``escaped`` (returned,
stored, passed on: no longer this scope's business).

Each state carries the *origin* of the path that brought it there: ``None`` for a path
that needed no exception, or the exception (explicit ``raise`` ranks before an
unexpected one) that the path went through. A leak found with origin ``None`` or an
explicit raise is HDL001; one whose every path needed an unexpected exception is HDL002.

Joins are unions, keeping the best origin per state, so the lattice is finite and the
solver terminates. Names and sites live in persistent tables (:mod:`.table`) that
copies share, so a node costs what it changes. Sites no name refers to are dropped
once they cannot leak, which keeps each state as small as the live handles of the
function.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

from handlelint.dataflow.table import _MISSING, Table

_new = object.__new__


class H(enum.Enum):
    """The states of one acquire site."""

    # Members are singletons: hash by identity (Enum's own hash is a Python-level call,
    # and these are dictionary keys on every edge the solver follows).
    __hash__ = object.__hash__

    MAYBE_NULL = "maybe-null"
    OPEN = "open"
    NULL = "null"
    RELEASED = "released"
    ESCAPED = "escaped"


#: The states as module names: on Python 3.9 to 3.11, reading ``H.OPEN`` goes through the
#: enum metaclass's ``__getattr__`` hook (about 150 ns against 10 for a global).
MAYBE_NULL, OPEN, NULL, RELEASED, ESCAPED = (
    H.MAYBE_NULL, H.OPEN, H.NULL, H.RELEASED, H.ESCAPED)

LEAKY = frozenset({MAYBE_NULL, OPEN})


@dataclass(frozen=True, order=True)
class Origin:
    """The exception a path went through: rank 0 explicit raise, 1 unexpected."""

    rank: int
    line: int
    what: str


def better(a: Optional[Origin], b: Optional[Origin]) -> Optional[Origin]:
    """The origin to keep when two paths meet: clean beats raise beats exception."""
    if a is None or b is None:
        return None
    return a if a <= b else b


SiteVal = Mapping[H, Optional[Origin]]


_NO_SITES: frozenset[int] = frozenset()
_NO_NAMES: frozenset[str] = frozenset()


def _or(a: frozenset[Any], b: frozenset[Any]) -> frozenset[Any]:
    return a if a is b or b <= a else a | b


class Names(Table[str, frozenset[int]]):
    """Names -> the sites they may hold; past the flat size, with a reverse index.

    While the table is one small dict, "does any name still hold this site?" is a look
    at every name, as cheap as keeping an index. Once it is a trie, the reverse index
    site -> names answers it, and ``lost`` records the sites that lost their last name
    since this handle was made: the only sites a node can have orphaned.
    """

    __slots__ = ("_rev", "lost")

    def __init__(self, items: dict[str, frozenset[int]] | None = None) -> None:
        super().__init__()
        self._rev: Table[int, frozenset[str]] | None = None
        self.lost: set[int] = set()
        for name, sites in (items or {}).items():
            self[name] = sites

    def _to_trie(self) -> None:
        super()._to_trie()
        self._rev = _reverse(self)

    def copy(self) -> Names:
        out: Names = _new(Names)
        if self._flat:
            out._flat = True
            out._root = dict(self._root)
            out._rev = None
        else:
            out._flat = False
            out._root = self._root
            assert self._rev is not None
            out._rev = self._rev.copy()
        out.lost = set()
        return out

    def holds(self, site: int) -> bool:
        """Does some name hold ``site``?"""
        if self._rev is None:
            return any(site in sites for sites in self._root.values())
        return site in self._rev

    def orphans(self, sites: Table[int, Any], fresh: set[int]) -> list[int]:
        """The sites of ``sites`` no name holds (see :meth:`Env.orphans`)."""
        if self._rev is None:
            held: set[int] = set()
            for value in self._root.values():
                held.update(value)
            return [s for s in sites if s not in held]
        return [s for s in sorted(self.lost | fresh) if s in sites and s not in self._rev]

    def __setitem__(self, name: str, sites: frozenset[int]) -> None:
        if self._rev is None:
            super().__setitem__(name, sites)  # may turn into a trie, with its index
            return
        old = self.get(name, _NO_SITES)
        if old == sites:
            return
        super().__setitem__(name, sites)
        self._relink(name, old, sites)

    def pop(self, name: str, default: Any = None) -> Any:
        old = super().pop(name, _MISSING)
        if old is _MISSING:
            return default
        if self._rev is not None:
            self._relink(name, old, _NO_SITES)
        return old

    def _relink(self, name: str, old: frozenset[int], new: frozenset[int]) -> None:
        rev = self._rev
        assert rev is not None
        for site in old - new:
            holders = rev.get(site, _NO_NAMES) - {name}
            if holders:
                rev[site] = holders
            else:
                rev.pop(site)
                self.lost.add(site)
        for site in new - old:
            rev[site] = rev.get(site, _NO_NAMES) | {name}

    def merged(self, other: Table[str, frozenset[int]],
               fn: Callable[[frozenset[int], frozenset[int]], frozenset[int]]) -> Names:
        assert isinstance(other, Names)
        out = super().merged(other, fn)
        assert isinstance(out, Names)
        if out._flat:
            out._rev = None
        else:  # a flat side has few names: its index is cheap to make
            mine = self._rev if self._rev is not None else _reverse(self)
            theirs = other._rev if other._rev is not None else _reverse(other)
            out._rev = mine.merged(theirs, _or)
        return out


def _reverse(names: Table[str, frozenset[int]]) -> Table[int, frozenset[str]]:
    """The index site -> names holding it."""
    rev: dict[int, frozenset[str]] = {}
    for name, sites in names.items():
        for site in sites:
            rev[site] = rev.get(site, _NO_NAMES) | {name}
    return Table(rev)


def _states(a: dict[H, Optional[Origin]], b: dict[H, Optional[Origin]]
            ) -> dict[H, Optional[Origin]]:
    """One site's states on two paths: the union, the better origin per state."""
    if a == b:
        return a
    merged = dict(a)
    for st, origin in b.items():
        merged[st] = better(merged[st], origin) if st in merged else origin
    return merged


class Env:
    """Names -> sites, and sites -> states with origins. Treated as immutable.

    ``names`` and ``sites`` are persistent tables (:mod:`.table`): a copy shares
    them, so a state costs what it changes, not what it holds.
    """

    __slots__ = ("names", "sites", "status", "closed", "facts", "derived")

    def __init__(self, names: dict[str, frozenset[int]] | Names | None = None,
                 sites: dict[int, dict[H, Optional[Origin]]] | Table[int, dict[
                     H, Optional[Origin]]] | None = None,
                 status: dict[str, frozenset[int]] | None = None,
                 closed: frozenset[str] = frozenset(),
                 facts: frozenset[tuple[str, bool]] = frozenset(),
                 derived: frozenset[tuple[str, int, bool]] = frozenset()) -> None:
        self.names: Names = names if isinstance(names, Names) else Names(names)
        self.sites: Table[int, dict[H, Optional[Origin]]] = (
            sites if isinstance(sites, Table) else Table(sites))
        #: Status variables of out-parameter acquires: 0 (ERROR_SUCCESS) means owned.
        self.status: dict[str, frozenset[int]] = status if status is not None else {}
        #: Untracked names (parameters) that may have been passed to CloseCluster.
        self.closed = closed
        #: Flag names known true or false on this state (see ``partition``).
        self.facts = facts
        #: ``ok = h is not None``: (name, site, whether a true name means non-null).
        self.derived = derived

    def copy(self) -> Env:
        """A copy whose tables may be changed (inner state dicts are replaced, not edited)."""
        out: Env = _new(Env)
        out.names = self.names.copy()
        out.sites = self.sites.copy()
        out.status = dict(self.status) if self.status else {}
        out.closed = self.closed
        out.facts = self.facts
        out.derived = self.derived
        return out

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Env) and self.names == other.names
                and self.sites == other.sites and self.status == other.status
                and self.closed == other.closed and self.facts == other.facts
                and self.derived == other.derived)

    def __hash__(self) -> int:  # pragma: no cover - environments are never hashed
        raise TypeError("Env is not hashable")

    def __repr__(self) -> str:
        sites = {s: sorted(st.value for st in v) for s, v in self.sites.items()}
        return f"Env(names={dict(self.names.items())!r}, sites={sites!r})"

    def orphans(self, fresh: set[int]) -> list[int]:
        """Sites no name holds among those that could have lost their last name here.

        Those are the sites whose last name was rebound or dropped since this state
        was copied, and the ``fresh`` sites acquired meanwhile.
        """
        return self.names.orphans(self.sites, fresh)

    def with_origin(self, origin: Origin) -> Env:
        """This state on a path that now carries ``origin`` (where it has none yet)."""
        out = self.copy()
        for site, val in self.sites.items():
            if any(st in LEAKY and o is None for st, o in val.items()):
                out.sites[site] = {st: (origin if (o is None and st in LEAKY) else o)
                                   for st, o in val.items()}
        return out


def join(a: Env, b: Env) -> Env:
    """The union of two states, keeping the better origin per site state."""
    if a is b:
        return a
    names = a.names.merged(b.names, _or)
    sites = a.sites.merged(b.sites, _states)
    status = _union(a.status, b.status) if b.status else dict(a.status)
    return Env(names, sites, status, a.closed | b.closed, a.facts & b.facts,
               a.derived & b.derived)


def _union(a: dict[str, frozenset[int]], b: dict[str, frozenset[int]]
           ) -> dict[str, frozenset[int]]:
    out = dict(a)
    for name, sites in b.items():
        mine = out.get(name)
        out[name] = sites if mine is None else mine | sites
    return out


def leak_origin(val: SiteVal) -> tuple[bool, Optional[Origin]]:
    """Whether a site state can leak, and the best origin among its leaky states."""
    leaky = False
    best: Optional[Origin] = None
    for st, origin in val.items():
        if st in LEAKY:
            best = origin if not leaky else better(best, origin)
            leaky = True
    return leaky, best
