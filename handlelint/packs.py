"""Rule packs: the packaged tables split by DLL or Python module, and the engine's share.

``data/clusapi-handles.toml`` is the ``clusapi`` pack. ``data/win32-handles.toml`` is
split by where each entry's function comes from: a ctypes entry belongs to the pack of
its ``dll`` (``kernel32``, ``advapi32``, ...), every pywin32 entry to ``pywin32`` (the
``win32*`` modules and their objects), and a standard-library entry to the pack of its
module (``winreg``, with its ``HKEYType`` object, and ``_winapi``). ``win32`` names every
pack of that file at once. All packs are on unless ``rules`` narrows them.

Every pack is loaded, validated and documented. The engine enforces the ``clusapi`` pack
and the ctypes entries of the Win32 packs (:data:`MODELLED`), each entry only when the
engine models every field it carries (:func:`unmodelled_fields`; the others are listed on
the pack's page and left out). :func:`engine_table` is the one seam through which a pack
of DLL exports reaches the engine. The packs of Python modules (:data:`MODULE_PACKS`:
``pywin32``, ``winreg``, ``_winapi``) are enforced through :mod:`handlelint.pywin32`. The
Win32 file is parsed only when a file mentions a DLL of an enabled Win32 pack
(:func:`mentions_win32_dll`) or imports a module of those packs, a pack list is checked or
the packs are listed.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
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
#: Packs whose semantics the engine enforces (the Win32 ones for their ctypes entries).
MODELLED = ("clusapi", "kernel32", "advapi32", "userenv", "user32", "gdi32", "setupapi",
            "wtsapi32", "shell32", "ole32", "ws2_32", "winhttp", "wininet", "crypt32",
            "netapi32", "dbghelp", "iphlpapi")
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

    Only :data:`MODELLED` packs reach it, and of a Win32 pack only the ctypes entries
    whose every field the engine models; the Win32 table is parsed only when a selected
    pack needs it.
    """
    modelled = tuple(name for name in MODELLED if selected is None or name in selected)
    if modelled == ("clusapi",):
        return packaged_table()
    return pack_table(modelled)


@functools.lru_cache(maxsize=4)
def pack_table(names: tuple[str, ...]) -> RuleTable:
    """The engine's table of the packs ``names``: one rule per name and alias.

    A Win32 pack gives its ctypes entries the engine models (:func:`engine_entry`) and
    the releases they name. A release of the Win32 table releases the handle types of
    every ctypes acquire naming it (its own ``handle_types`` are prose), so another
    handle passed to it is a wrong release (HDL003). The table is keyed by function
    name: the ctypes names of the packs are distinct, and a call matches an entry only
    through a DLL object of the entry's DLL (see :mod:`handlelint.resolve`).
    """
    if not names:
        return build_table((), (), ())
    packs = [p for p in all_packs() if p.name in names]
    every = release_index([r for p in all_packs() for r in p.releases])
    types = _win32_release_types()
    acquires: list[AcquireRule] = []
    releases: dict[str, ReleaseRule] = {}
    for pack in packs:
        win32 = pack.file == WIN32_FILE
        for rule in pack.acquires:
            if win32 and not engine_entry(rule):
                continue
            acquires += [dataclasses.replace(rule, name=n, aliases=()) for n in rule.names]
            for name in rule.release:
                release = every[name]
                if win32:
                    release = dataclasses.replace(
                        release, handle_types=types[name],
                        keyed=rule.pair_key_arg_index is not None)
                releases.setdefault(name, release)
        if not win32:
            for release in pack.releases:
                for name in release.names:
                    releases.setdefault(release_key(release, name), release)
    named = [dataclasses.replace(r, name=n, aliases=())
             for key, r in releases.items() for n in _release_names(key, r)]
    dnc: list[str] = []
    if "clusapi" in names:
        dnc += packaged_table().does_not_close
    if any(p.file == WIN32_FILE for p in packs):
        dnc += [d.name for d in win32_rules().does_not_close]
    table = build_table(acquires, named, dnc)
    win32_names = {n for p in packs if p.file == WIN32_FILE
                   for r in p.acquires + p.releases for n in r.names}
    # A file must name a Win32 entry's DLL for the entry to match, so the Win32 names
    # are no prefilter words: the DLL names are (``dlls``).
    return dataclasses.replace(
        table, tracked_names=frozenset(n for n in table.tracked_names if n not in win32_names),
        dlls=win32_dlls(names),
        skipped=frozenset(n for p in packs if p.file == WIN32_FILE for r in p.acquires
                          if r.binding == "ctypes" and not engine_entry(r) for n in r.names))


@functools.lru_cache(maxsize=8)
def win32_dlls(selected: Sequence[str] | None) -> frozenset[str]:
    """The DLLs of the modelled Win32 ctypes packs among ``selected`` (None: all), known
    without parsing the Win32 table (a ctypes pack is named after its DLL)."""
    return frozenset(name for name in MODELLED[1:] if selected is None or name in selected)


def _release_names(key: str, release: ReleaseRule) -> tuple[str, ...]:
    """The names a release is called by: its key's final name, and for a Win32 ctypes
    release its aliases (``EndUpdateResourceA``)."""
    if release.binding == "ctypes" and release.pack != "clusapi" and key == release.name:
        return release.names
    return (final(key),)


@functools.lru_cache(maxsize=1)
def _win32_release_types() -> dict[str, tuple[str, ...]]:
    """Each ctypes release of the Win32 table: the handle types of the acquires naming it."""
    types: dict[str, list[str]] = {}
    for rule in win32_rules().acquires:
        if rule.binding != "ctypes":
            continue
        for name in rule.release:
            known = types.setdefault(name, [])
            if rule.handle_type not in known:
                known.append(rule.handle_type)
    return {name: tuple(t) for name, t in types.items()}


def engine_entry(rule: AcquireRule) -> bool:
    """Does the engine enforce this Win32 entry (a ctypes one, every field modelled)?"""
    return rule.binding == "ctypes" and not unmodelled_fields(rule)


def mentions_win32_dll(lowered: bytes, dlls: frozenset[str]) -> bool:
    """Does a file's lowered text name one of ``dlls`` after a "dll" (``windll.kernel32``,
    ``WinDLL("kernel32")``, ``kernel32.dll``)? A Win32 entry matches only through a DLL
    object of its DLL, so a file that names none has nothing for those packs."""
    if not dlls or b"dll" not in lowered:
        return False
    return _dll_pattern(dlls).search(lowered) is not None


@functools.lru_cache(maxsize=4)
def _dll_pattern(dlls: frozenset[str]) -> re.Pattern[bytes]:
    return re.compile(b"|".join(re.escape(d.encode("ascii")) for d in sorted(dlls)))


def configured_acquires(pairs: Mapping[str, Sequence[str]], entries: Sequence[AcquireRule],
                        releases: Sequence[ReleaseRule] = ()) -> list[AcquireRule]:
    """The configured acquires the engine is given: pairs, and entries it models.

    ``pairs`` maps every configured name (the shorthand pairs and each entry's name and
    aliases) to its releases; a name that is an entry's becomes that entry (one per alias),
    unless the entry has a field beyond a plain pair (:func:`_beyond_pairs`: configured
    entries are matched by name anywhere, with the semantics of a pair) or one of its
    ``releases`` takes no handle argument.
    """
    by_name = {name: rule for rule in entries for name in rule.names}
    no_argument = {r.name for r in releases if r.arg_index < 0}
    acquires = []
    for name, names in pairs.items():
        rule = by_name.get(name)
        if rule is None or rule.release != tuple(names):  # a flake8 option replaced it
            acquires.append(AcquireRule(name=name, handle_type=final(name), release=tuple(names),
                                        anywhere=True))
        elif not _beyond_pairs(rule) and not any(
                final(r) in no_argument for r in rule.release):
            acquires.append(AcquireRule(name=name, handle_type=rule.handle_type,
                                        release=rule.release, anywhere=True))
    return acquires


def _beyond_pairs(rule: AcquireRule) -> tuple[str, ...]:
    """The fields of a configured entry beyond what a plain pair means."""
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


#: Fields of a ctypes entry the engine does not enforce yet.
_UNMODELLED: tuple[str, ...] = ()


def unmodelled_fields(rule: AcquireRule) -> tuple[str, ...]:
    """The fields of a table entry whose meaning the engine does not enforce yet.

    Modelled for ctypes entries: ``returns_via`` (return, out-parameter, paired call with
    no handle), ``out_param_index(es)``, ``out_fields``, ``failure_value``, ``success``
    (status 0 or nonzero), ``release_handle_arg_index``, ``release_even_on_failure``,
    ``consumes_arg_index``, ``new_handle_only_if_null_arg_index``,
    ``pair_key_arg_index`` (the partner ends the state opened for the same argument),
    ``also_releases_if_flag`` (``DuplicateHandle``: the duplicate is owned only when the
    target process is ``GetCurrentProcess()``), and
    ``acquire_if_flag``/``no_release_if_flag`` (on an argument, or on a member of a
    structure argument as the file sets it). ``release_also_takes`` and
    ``release_by_arg_value`` are not checked (the release is matched by its handle
    argument, and any listed release ends the handle) and do not change which paths
    leak, so they do not keep an entry out.
    pywin32 and standard-library entries are not modelled yet: for them, the fields
    beyond a plain pair.
    """
    if rule.binding != "ctypes":
        return _beyond_pairs(rule)
    return tuple(name for name in _UNMODELLED if getattr(rule, name) is not None)
