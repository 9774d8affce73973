"""The rule table the engine reads: which calls hand out a handle and which release it.

The packaged ``data/clusapi-handles.toml`` is parsed (and checked against the schema of
:mod:`handlelint.schema`) once per process into immutable records. Configured rules
(``[tool.handlelint.acquire]`` pairs and entries) are merged in by :func:`with_configured`;
they match by the callee's final name anywhere, while table entries match only when called
through a DLL object of their pack or a name bound to one. Which packs the engine is
given is decided by :mod:`handlelint.packs`.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, Mapping, Sequence

from handlelint.records import AcquireRule, ReleaseRule, RuleFile
from handlelint.schema import PackOf, parse_rule_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

__all__ = ["AcquireRule", "ReleaseRule", "RuleTable", "packaged_table", "parse_table",
           "with_configured", "with_extra_pairs", "load_rule_file"]

#: The table of the founding pack.
CLUSAPI_FILE = "clusapi-handles.toml"


@dataclass(frozen=True)
class RuleTable:
    """Acquire and release rules by function name, and typedef names to functions."""

    acquires: Mapping[str, AcquireRule]
    releases: Mapping[str, ReleaseRule]
    does_not_close: frozenset[str]
    typedefs: Mapping[str, str]
    #: Every name a file must mention for its calls to matter (the prefilter's words).
    tracked_names: frozenset[str] = field(default_factory=frozenset)
    #: The DLLs of the Win32 ctypes packs in the table (``kernel32``, ...): their entries
    #: match only through a DLL object of the entry's DLL, and a file that names none of
    #: them has nothing for those packs (the prefilter asks for these words instead).
    dlls: frozenset[str] = field(default_factory=frozenset)
    #: Functions of those DLLs whose entries the engine leaves out (a field it does not
    #: model): a call of one is an unknown call, so its handle arguments escape.
    skipped: frozenset[str] = field(default_factory=frozenset)


def build_table(acquires: Sequence[AcquireRule], releases: Sequence[ReleaseRule],
                does_not_close: Sequence[str]) -> RuleTable:
    """The engine's table of these rules, keyed by name."""
    typedefs: dict[str, str] = {}
    for a in acquires:
        if a.typedef:
            typedefs[a.typedef] = a.name
    for r in releases:
        if r.typedef:
            typedefs.setdefault(r.typedef, r.name)
    # A qualified configured name (``Utils.open_widget``) is mentioned by its final name.
    names = {final(a.name) for a in acquires} | {r.name for r in releases} | set(typedefs)
    return RuleTable(
        acquires={a.name: a for a in acquires},
        releases={r.name: r for r in releases},
        does_not_close=frozenset(does_not_close),
        typedefs=typedefs,
        tracked_names=frozenset(names),
    )


def _clusapi_pack(binding: str, dll: str | None, module: str | None, obj: str | None) -> str:
    return "clusapi"


def parse_table(data: Mapping[str, Any], path: str = CLUSAPI_FILE) -> RuleTable:
    """Turn the TOML document of the clusapi rule table into a :class:`RuleTable`."""
    rules = parse_rule_file(data, path, _clusapi_pack)
    return build_table(rules.acquires, rules.releases,
                       [d.name for d in rules.does_not_close])


def read_data(name: str) -> str:
    """The text of the packaged data file ``name``."""
    return resources.files("handlelint").joinpath(f"data/{name}").read_text("utf-8")


@functools.lru_cache(maxsize=4)
def load_rule_file(name: str, pack_of: PackOf = _clusapi_pack) -> RuleFile:
    """The packaged table ``name``, parsed and checked once per process."""
    return parse_rule_file(tomllib.loads(read_data(name)), f"handlelint/data/{name}", pack_of)


@functools.lru_cache(maxsize=1)
def packaged_table() -> RuleTable:
    """The founding pack's table (clusapi), shipped as package data, parsed once per process."""
    rules = load_rule_file(CLUSAPI_FILE)
    return build_table(rules.acquires, rules.releases,
                       [d.name for d in rules.does_not_close])


def final(name: str) -> str:
    """``win32api.CloseHandle`` -> ``CloseHandle``: what a call anywhere is matched by."""
    return name.rpartition(".")[2]


def with_configured(table: RuleTable, acquires: Sequence[AcquireRule],
                    releases: Sequence[ReleaseRule] = ()) -> RuleTable:
    """The table plus configured acquires (matched by final name anywhere).

    Each release an acquire names becomes an anywhere release of the handle types of the
    acquires naming it, taking the handle at the index of its entry in ``releases`` (0
    when it has none); it replaces a table release of the same name.
    """
    if not acquires:
        return table
    index = {final(r.name): r.arg_index for r in releases}
    merged = list(table.acquires.values())
    released_types: dict[str, list[str]] = {}
    for rule in acquires:
        names = tuple(final(r) for r in rule.release)
        merged.append(AcquireRule(name=rule.name, handle_type=rule.handle_type, release=names,
                                  anywhere=True, pack=rule.pack))
        for rel in names:
            types = released_types.setdefault(rel, [])
            if rule.handle_type not in types:
                types.append(rule.handle_type)
    kept = [r for r in table.releases.values() if r.name not in released_types]
    kept += [ReleaseRule(name=rel, handle_types=tuple(types), arg_index=index.get(rel, 0),
                         anywhere=True)
             for rel, types in released_types.items()]
    out = build_table(merged, kept, tuple(table.does_not_close))
    configured = {rule.name for rule in acquires} | set(released_types)
    return replace(out, tracked_names=table.tracked_names | configured, dlls=table.dlls,
                   skipped=table.skipped)


def pair_rules(pairs: Mapping[str, Sequence[str]]) -> list[AcquireRule]:
    """Shorthand ``acquire = release`` pairs as configured acquires (the type is the name)."""
    return [AcquireRule(name=acq, handle_type=acq, release=tuple(rels), anywhere=True)
            for acq, rels in pairs.items()]


def with_extra_pairs(table: RuleTable, pairs: Mapping[str, Sequence[str]]) -> RuleTable:
    """The table plus configured ``acquire -> release`` pairs matched by final name."""
    return with_configured(table, pair_rules(pairs))
