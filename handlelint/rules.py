"""The rule table: which calls hand out a handle and which calls release it.

The packaged ``data/clusapi-handles.toml`` is parsed once per process into immutable
records. Configured pairs (``[tool.handlelint.acquire]``) are merged in by
:func:`with_extra_pairs`; they match by the callee's final name anywhere, while table
entries match only when called through a clusapi DLL object or a name bound to one.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Mapping, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

#: Human words for the handle types of the table, used in messages.
_TYPE_WORDS = {
    "HCLUSTER": "cluster handle",
    "HNODE": "node handle",
    "HGROUP": "group handle",
    "HRESOURCE": "resource handle",
    "HNETWORK": "network handle",
    "HNETINTERFACE": "network interface handle",
    "HGROUPSET": "group set handle",
    "HCHANGE": "notify port",
    "HKEY (cluster database key)": "cluster key",
    "HREGBATCH": "registry batch",
    "HREGBATCHPORT": "batch notify port",
    "HREGBATCHNOTIFICATION": "batch notification",
    "HREGREADBATCH": "read batch",
    "HREGREADBATCHREPLY": "read batch reply",
}


@dataclass(frozen=True)
class AcquireRule:
    """A function that hands out a handle which ``release`` must close."""

    name: str
    handle_type: str
    release: tuple[str, ...]
    returns_via: str = "return"
    out_param_index: int | None = None
    typedef: str | None = None
    parent_arg: str | None = None
    #: Configured pairs match by final name anywhere; table pairs need a DLL receiver.
    anywhere: bool = False

    @property
    def words(self) -> str:
        """How a message names this handle: ``cluster handle``."""
        if self.handle_type in _TYPE_WORDS:
            return _TYPE_WORDS[self.handle_type]
        if self.handle_type.startswith("H") and self.handle_type.endswith("ENUM"):
            return "enumeration handle"
        if self.handle_type.startswith("H") and self.handle_type.endswith("ENUMEX"):
            return "enumeration handle"
        return f"{self.handle_type} handle" if self.anywhere else "handle"


@dataclass(frozen=True)
class ReleaseRule:
    """A function that releases handles of ``handle_types`` passed at ``arg_index``."""

    name: str
    handle_types: tuple[str, ...]
    arg_index: int = 0
    typedef: str | None = None
    anywhere: bool = False


@dataclass(frozen=True)
class RuleTable:
    """Acquire and release rules by function name, and typedef names to functions."""

    acquires: Mapping[str, AcquireRule]
    releases: Mapping[str, ReleaseRule]
    does_not_close: frozenset[str]
    typedefs: Mapping[str, str]
    #: Every name a file must mention for its calls to matter (the prefilter's words).
    tracked_names: frozenset[str] = field(default_factory=frozenset)


def _build(acquires: Sequence[AcquireRule], releases: Sequence[ReleaseRule],
           does_not_close: Sequence[str]) -> RuleTable:
    typedefs: dict[str, str] = {}
    for a in acquires:
        if a.typedef:
            typedefs[a.typedef] = a.name
    for r in releases:
        if r.typedef:
            typedefs.setdefault(r.typedef, r.name)
    names = {a.name for a in acquires} | {r.name for r in releases} | set(typedefs)
    return RuleTable(
        acquires={a.name: a for a in acquires},
        releases={r.name: r for r in releases},
        does_not_close=frozenset(does_not_close),
        typedefs=typedefs,
        tracked_names=frozenset(names),
    )


def parse_table(data: Mapping[str, Any]) -> RuleTable:
    """Turn the TOML document of the rule table into a :class:`RuleTable`."""
    acquires = [
        AcquireRule(
            name=e["name"],
            handle_type=e["handle_type"],
            release=tuple(e["release"]),
            returns_via=e.get("returns_via", "return"),
            out_param_index=e.get("out_param_index"),
            typedef=e.get("typedef"),
            parent_arg=e.get("parent_arg"),
        )
        for e in data.get("acquire", ())
    ]
    releases = [
        ReleaseRule(
            name=e["name"],
            handle_types=tuple(e["handle_types"]),
            arg_index=e.get("handle_arg_index", 0),
            typedef=e.get("typedef"),
        )
        for e in data.get("release", ())
    ]
    dnc = [e["name"] for e in data.get("does_not_close", ())]
    return _build(acquires, releases, dnc)


@functools.lru_cache(maxsize=1)
def packaged_table() -> RuleTable:
    """The rule table shipped as package data, parsed once per process."""
    text = resources.files("handlelint").joinpath("data/clusapi-handles.toml").read_text("utf-8")
    return parse_table(tomllib.loads(text))


def with_extra_pairs(table: RuleTable, pairs: Mapping[str, Sequence[str]]) -> RuleTable:
    """The table plus configured ``acquire -> release`` pairs matched by final name."""
    if not pairs:
        return table
    acquires = list(table.acquires.values())
    released_types: dict[str, list[str]] = {}
    for acq, rels in pairs.items():
        acquires.append(AcquireRule(name=acq, handle_type=acq, release=tuple(rels),
                                    anywhere=True))
        for rel in rels:
            released_types.setdefault(rel, []).append(acq)
    releases = [r for r in table.releases.values() if r.name not in released_types]
    releases += [ReleaseRule(name=rel, handle_types=tuple(types), anywhere=True)
                 for rel, types in released_types.items()]
    return _build(acquires, releases, tuple(table.does_not_close))
