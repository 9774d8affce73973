"""Rule packs: the packaged tables split by DLL or Python module, and the engine's share.

``data/clusapi-handles.toml`` is the ``clusapi`` pack. ``data/win32-handles.toml`` is
split by where each entry's function comes from: a ctypes entry belongs to the pack of
its ``dll`` (``kernel32``, ``advapi32``, ...), every pywin32 entry to ``pywin32`` (the
``win32*`` modules and their objects), and a standard-library entry to the pack of its
module (``winreg``, with its ``HKEYType`` object, and ``_winapi``). ``win32`` names every
pack of that file at once. All packs are on unless ``rules`` narrows them.

Every pack is loaded, validated and documented. The engine models the ``clusapi`` pack
(:data:`MODELLED`), through :func:`engine_table`, the seam through which a pack of DLL
exports reaches the engine, and the packs of Python modules (:data:`MODULE_PACKS`:
``pywin32``, ``winreg``, ``_winapi``), through :mod:`handlelint.pywin32`. The Win32 file
is parsed only when a pack list is checked, the packs are listed, or a file imports a
module of those packs.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from dataclasses import dataclass
from typing import Mapping, Sequence

from handlelint.records import AcquireRule, ReleaseRule, RuleFile
from handlelint.schema import release_index, release_key
from handlelint.rules import CLUSAPI_FILE, RuleTable, build_table, final, load_rule_file
from handlelint.rules import packaged_table

#: The Win32 table, split into packs by :func:`win32_pack_of`.
WIN32_FILE = "win32-handles.toml"
#: The name that stands for every pack of :data:`WIN32_FILE`.
WIN32_GROUP = "win32"
#: Packs whose semantics the engine enforces today.
MODELLED = ("clusapi",)
#: Packs of Python modules (pywin32, winreg, _winapi), modelled by :mod:`handlelint.pywin32`
#: outside the table keyed by function name: their calls are found through imports.
MODULE_PACKS = ("pywin32", "winreg", "_winapi")
#: Standard-library modules (and objects) to their pack.
_STDLIB_PACKS = {"winreg": "winreg", "_winreg": "winreg", "HKEYType": "winreg",
                 "_winapi": "_winapi", "msvcrt": "msvcrt"}


def win32_pack_of(binding: str, dll: str | None, module: str | None, obj: str | None
                  ) -> str:
    """The pack of a Win32 entry: its DLL, ``pywin32``, or its standard-library module."""
    if binding == "pywin32":
        return "pywin32"
    if binding == "stdlib":
        return _STDLIB_PACKS.get(module or obj or "", module or obj or "stdlib")
    return (dll or "").lower()


@dataclass(frozen=True)
class Pack:
    """The entries of one pack, and where they come from."""

    name: str
    #: The data file the entries are read from.
    file: str
    #: The DLLs or Python modules (and objects) of the entries, in table order.
    sources: tuple[str, ...]
    acquires: tuple[AcquireRule, ...]
    releases: tuple[ReleaseRule, ...]

    @property
    def modelled(self) -> bool:
        """Does the engine enforce this pack today?"""
        return self.name in MODELLED or self.name in MODULE_PACKS


def _split(rules: RuleFile, file: str) -> list[Pack]:
    order: list[str] = []
    acquires: dict[str, list[AcquireRule]] = {}
    releases: dict[str, list[ReleaseRule]] = {}
    sources: dict[str, list[str]] = {}

    def note(pack: str, source: str | None) -> None:
        if pack not in sources:
            order.append(pack)
            sources[pack], acquires[pack], releases[pack] = [], [], []
        if source and source not in sources[pack]:
            sources[pack].append(source)

    for a in rules.acquires:
        note(a.pack, a.dll or a.module or a.object_type)
        acquires[a.pack].append(a)
    for r in rules.releases:
        note(r.pack, r.dll or r.module or r.object_type)
        releases[r.pack].append(r)
    return [Pack(name, file, tuple(sources[name]), tuple(acquires[name]),
                 tuple(releases[name])) for name in order]


@functools.lru_cache(maxsize=1)
def win32_rules() -> RuleFile:
    """The Win32 table, parsed and checked (once per process)."""
    return load_rule_file(WIN32_FILE, win32_pack_of)


@functools.lru_cache(maxsize=1)
def all_packs() -> tuple[Pack, ...]:
    """Every pack: ``clusapi`` first, then the Win32 packs in table order."""
    clusapi = load_rule_file(CLUSAPI_FILE)
    packs = [Pack("clusapi", CLUSAPI_FILE, ("clusapi",), clusapi.acquires, clusapi.releases)]
    return tuple(packs + _split(win32_rules(), WIN32_FILE))


def pack_names() -> tuple[str, ...]:
    """The names ``rules`` may hold, packs first, then the group :data:`WIN32_GROUP`."""
    return tuple(p.name for p in all_packs()) + (WIN32_GROUP,)


def expand(names: Sequence[str]) -> tuple[str, ...]:
    """The packs ``names`` select (``win32`` expanded), in catalogue order.

    Raises ValueError naming the first unknown name, with the closest known one.
    """
    packs = all_packs()
    known = {p.name for p in packs}
    wanted: set[str] = set()
    for name in names:
        if name == WIN32_GROUP:
            wanted |= {p.name for p in packs if p.file == WIN32_FILE}
        elif name in known:
            wanted.add(name)
        else:
            close = difflib.get_close_matches(name, pack_names(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{name!r} is no rule pack{hint}")
    return tuple(p.name for p in packs if p.name in wanted)


def engine_table(selected: Sequence[str] | None = None) -> RuleTable:
    """The rule table the engine gets for the ``selected`` packs (None: all of them).

    Only :data:`MODELLED` packs reach it; the others are left out until the engine
    models their fields, so selecting them changes no finding (and the prefilter, which
    reads the table's names, stays as it is).
    """
    modelled = tuple(name for name in MODELLED if selected is None or name in selected)
    if modelled == ("clusapi",):
        return packaged_table()
    return pack_table(modelled)


@functools.lru_cache(maxsize=4)
def pack_table(names: tuple[str, ...]) -> RuleTable:
    """The engine's table of the packs ``names``: one rule per name and alias.

    Each release an acquire names is taken from whichever pack defines it. The table is
    keyed by function name, so two packs with a function of the same name (``GetDC`` of
    ``user32`` and of ``pywin32``) need a key that tells them apart before both are
    modelled at once.
    """
    if not names:
        return build_table((), (), ())
    packs = [p for p in all_packs() if p.name in names]
    every = release_index([r for p in all_packs() for r in p.releases])
    acquires: list[AcquireRule] = []
    releases: dict[str, ReleaseRule] = {}
    for pack in packs:
        for rule in pack.acquires:
            acquires += [dataclasses.replace(rule, name=n, aliases=()) for n in rule.names]
            for name in rule.release:
                releases.setdefault(name, every[name])
        for release in pack.releases:
            for name in release.names:
                releases.setdefault(release_key(release, name), release)
    named = [dataclasses.replace(r, name=final(key), aliases=()) for key, r in releases.items()]
    dnc: list[str] = []
    if "clusapi" in names:
        dnc += packaged_table().does_not_close
    if any(p.file == WIN32_FILE for p in packs):
        dnc += [d.name for d in win32_rules().does_not_close]
    return build_table(acquires, named, dnc)


def configured_acquires(pairs: Mapping[str, Sequence[str]], entries: Sequence[AcquireRule],
                        releases: Sequence[ReleaseRule] = ()) -> list[AcquireRule]:
    """The configured acquires the engine is given: pairs, and entries it models.

    ``pairs`` maps every configured name (the shorthand pairs and each entry's name and
    aliases) to its releases; a name that is an entry's becomes that entry (one per alias),
    unless the entry has a field the engine does not enforce yet (:func:`unmodelled_fields`)
    or one of its ``releases`` takes no handle argument.
    """
    by_name = {name: rule for rule in entries for name in rule.names}
    no_argument = {r.name for r in releases if r.arg_index < 0}
    acquires = []
    for name, names in pairs.items():
        rule = by_name.get(name)
        if rule is None or rule.release != tuple(names):  # a flake8 option replaced it
            acquires.append(AcquireRule(name=name, handle_type=final(name), release=tuple(names),
                                        anywhere=True))
        elif not unmodelled_fields(rule) and not any(
                final(r) in no_argument for r in rule.release):
            acquires.append(AcquireRule(name=name, handle_type=rule.handle_type,
                                        release=rule.release, anywhere=True))
    return acquires


def unmodelled_fields(rule: AcquireRule) -> tuple[str, ...]:
    """The fields of ``rule`` whose meaning the engine does not enforce yet."""
    fields: list[str] = []
    if rule.returns_via != "return":
        fields.append(f"returns_via = {rule.returns_via!r}")
    if rule.failure_value not in (None, "NULL"):
        fields.append("failure_value")
    if rule.release_handle_arg_index < 0:
        fields.append("release_handle_arg_index")
    for name in ("success", "acquire_if_flag", "no_release_if_flag", "also_releases_if_flag",
                 "release_by_arg_value", "release_also_takes", "consumes_arg_index",
                 "new_handle_only_if_null_arg_index", "pair_key_arg_index"):
        if getattr(rule, name) is not None:
            fields.append(name)
    if rule.out_fields:
        fields.append("out_fields")
    for name in ("self_closing", "raises", "release_even_on_failure"):
        if getattr(rule, name):
            fields.append(name)
    return tuple(fields)
