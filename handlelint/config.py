"""Settings of a run: extra rule pairs, known borrowers and releasers, DLL names, filters.

One :class:`Config` is shared by the command line and the flake8 plugin. The defaults
describe the packaged rule table with no additions. :func:`load_config` reads the
``[tool.handlelint]`` table of a ``pyproject.toml`` (keys in kebab-case, or their
snake_case spelling) and :func:`find_config` finds the file by walking up from a folder.
Every problem with a file is a :class:`ConfigError` whose text names the file and the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from handlelint.codes import code_problem, did_you_mean
from handlelint.packs import all_packs, expand
from handlelint.records import AcquireRule, ReleaseRule
from handlelint.schema import (RuleError, parse_acquire, parse_release, release_index,
                               resolve_references)
from handlelint.schema import type_name as _type_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

#: The file the configuration lives in, looked for in each folder walking up.
CONFIG_FILE = "pyproject.toml"
#: What ``unknown-calls`` may be.
UNKNOWN_CALLS = ("escape", "borrow")
#: What ``argtypes-check`` may be: every DLL object made in the file (the default), or
#: only those for which the file declares ``argtypes`` of some function.
ARGTYPES_CHECKS = ("all", "declared")

#: A function or object name: identifiers, optionally joined by dots.
_NAME_RE = re.compile(r"^[^\W\d]\w*(?:\.[^\W\d]\w*)*$")
#: flake8's pattern of a code or code prefix (as in handlelint.selection).
_CODE_PREFIX_RE = re.compile(r"^[A-Z]{1,3}[0-9]{0,3}$", re.ASCII)


@dataclass(frozen=True)
class Config:
    """What a run checks. Every field has a neutral default."""

    #: Extra ``acquire -> release names`` pairs, matched by the callee's final name: the
    #: shorthand pairs, and the name (and aliases) of each ``acquire_rules`` entry.
    acquire: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: The ``[[tool.handlelint.acquire]]`` entries, in the schema of the packaged tables.
    acquire_rules: tuple[AcquireRule, ...] = ()
    #: The ``[[tool.handlelint.release]]`` entries, then the packaged releases that
    #: ``acquire_rules`` name without defining them.
    release_rules: tuple[ReleaseRule, ...] = ()
    #: The rule packs in use (``win32`` expanded); None for all of them.
    rules: tuple[str, ...] | None = None
    #: Functions that release the handle passed as their first argument.
    releasers: tuple[str, ...] = ()
    #: Functions that only look at a handle (passing it there is no escape).
    borrowers: tuple[str, ...] = ()
    #: Helpers that call the function passed as their first argument.
    call_through: tuple[str, ...] = ()
    #: Names of objects (or factory calls) that yield the clusapi DLL.
    dll_names: tuple[str, ...] = ()
    #: How a call to an unknown function treats a handle argument: "escape" or "borrow".
    unknown_calls: str = "escape"
    #: Which DLL objects HDL008 checks: "all" made in the file, or "declared" (those with
    #: ``argtypes`` for some function in the file).
    argtypes_check: str = "all"
    #: Folders (relative to the project root) that hold the top-level packages.
    source_roots: tuple[str, ...] = ()
    #: The cache folder, relative to the project root.
    cache_dir: str = ".handlelint_cache"
    #: Keep each module's summaries and findings on disk (``--no-cache`` turns it off).
    use_cache: bool = True
    #: Glob patterns of paths the command line skips.
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    #: The baseline file of the command line, relative to ``root`` ("" for none).
    baseline: str = ""
    #: The file these settings were read from ("" for the defaults).
    source: str = ""
    #: The folder ``exclude`` patterns are relative to ("" for the current folder).
    root: str = ""


class ConfigError(Exception):
    """A configuration file that cannot be used; ``str()`` is the one-line message."""

    def __init__(self, path: str, problem: str, key: str | None = None) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
        self.key = key


# --- reading values ----------------------------------------------------------------------


class _Reader:
    """Checks the values of one table and raises :class:`ConfigError` naming the key."""

    def __init__(self, path: str, table: str) -> None:
        self.path = path
        self.table = table

    def fail(self, key: str | None, problem: str) -> ConfigError:
        where = f"[{self.table}]" if key is None else f"[{self.table}] {key!r}"
        return ConfigError(self.path, f"{where} {problem}", key)

    def names(self, key: str, value: object, dotted: bool = True) -> tuple[str, ...]:
        """A list of function or object names."""
        items = self.strings(key, value)
        for item in items:
            if not _NAME_RE.match(item) or (not dotted and "." in item):
                kind = "a name (like close_widget or lib.close_widget)" if dotted else (
                    "a plain function name (like close_widget)")
                raise self.fail(key, f"must hold names: {item!r} is not {kind}")
        return items

    def strings(self, key: str, value: object) -> tuple[str, ...]:
        """A list of strings."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            found = _type_name(value) if not isinstance(value, list) else (
                "an array holding " + next(_type_name(v) for v in value if not isinstance(v, str)))
            raise self.fail(key, f"must be an array of strings, not {found}")
        return tuple(value)

    def filename(self, key: str, value: object) -> str:
        """A file name (relative to the configuration's folder)."""
        if not isinstance(value, str) or not value.strip():
            found = repr(value) if isinstance(value, str) else _type_name(value)
            raise self.fail(key, f"must be a file name, not {found}")
        return value

    def choice(self, key: str, value: object, choices: tuple[str, ...]) -> str:
        """One string among ``choices``."""
        if not isinstance(value, str) or value not in choices:
            allowed = " or ".join(f'"{c}"' for c in choices)
            found = repr(value) if isinstance(value, str) else _type_name(value)
            raise self.fail(key, f"must be {allowed}, not {found}")
        return value

    def codes(self, key: str, value: object) -> tuple[str, ...]:
        """A list of codes or code prefixes, upper-cased."""
        codes = tuple(c.strip().upper() for c in self.strings(key, value))
        for code in codes:
            if not _CODE_PREFIX_RE.match(code):
                raise self.fail(key, f"must hold codes or code prefixes (like HDL001 or HDL): "
                                     f"{code!r} is not one"
                                     f"{did_you_mean(code) if code.isalnum() else ''}")
            problem = code_problem(code)
            if problem:
                raise self.fail(key, f"must hold codes of handlelint: {problem}")
        return codes

    def pairs(self, key: str, value: object) -> dict[str, tuple[str, ...]]:
        """The ``acquire`` table: name -> a release name or a list of them."""
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table (acquiring name = release name), "
                                 f"not {_type_name(value)}")
        sub = _Reader(self.path, f"{self.table}.{key}")
        pairs: dict[str, tuple[str, ...]] = {}
        for acquirer, releases in value.items():
            if not _NAME_RE.match(acquirer):
                raise sub.fail(acquirer, "is not a function name (like open_widget, or "
                                         "Utils.open_widget to match only that function)")
            if isinstance(releases, str):
                releases = [releases]
            if not isinstance(releases, list) or not all(isinstance(r, str) for r in releases):
                raise sub.fail(acquirer, f"must be a string or an array of strings, "
                                         f"not {_type_name(releases)}")
            if not releases:
                raise sub.fail(acquirer, "must name at least one release function")
            pairs[acquirer] = sub.names(acquirer, releases, dotted=False)
        return pairs


def _folder(reader: _Reader, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise reader.fail(key, f"must be a non-empty string (a folder), not {_type_name(value)}")
    return value


# --- the [tool.handlelint] table -----------------------------------------------------------

_Parse = Callable[[_Reader, str, object], Any]

#: Every key of ``[tool.handlelint]`` in its documented (kebab-case) spelling, with the
#: :class:`Config` field it sets and how its value is read.
KEYS: dict[str, tuple[str, _Parse]] = {
    "acquire": ("acquire", lambda r, k, v: _acquire(r, k, v)),
    "release": ("release_rules", lambda r, k, v: _releases(r, k, v)),
    "rules": ("rules", lambda r, k, v: _packs(r, k, v)),
    "releasers": ("releasers", lambda r, k, v: r.names(k, v)),
    "borrowers": ("borrowers", lambda r, k, v: r.names(k, v)),
    "call-through": ("call_through", lambda r, k, v: r.names(k, v)),
    "dll-names": ("dll_names", lambda r, k, v: r.names(k, v)),
    "unknown-calls": ("unknown_calls", lambda r, k, v: r.choice(k, v, UNKNOWN_CALLS)),
    "argtypes-check": ("argtypes_check", lambda r, k, v: r.choice(k, v, ARGTYPES_CHECKS)),
    "source-roots": ("source_roots", lambda r, k, v: r.strings(k, v)),
    "cache-dir": ("cache_dir", lambda r, k, v: _folder(r, k, v)),
    "exclude": ("exclude", lambda r, k, v: r.strings(k, v)),
    "select": ("select", lambda r, k, v: r.codes(k, v)),
    "ignore": ("ignore", lambda r, k, v: r.codes(k, v)),
    "baseline": ("baseline", lambda r, k, v: r.filename(k, v)),
}


def config_from_table(table: Mapping[str, object], path: str = CONFIG_FILE,
                      root: str = "") -> Config:
    """The :class:`Config` of a ``[tool.handlelint]`` table; ``path`` names it in errors."""
    reader = _Reader(path, "tool.handlelint")
    values: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in table.items():
        canonical = key.replace("_", "-")
        if canonical not in KEYS:
            close = difflib.get_close_matches(canonical, KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(path, f"[tool.handlelint] unknown key {key!r}{hint}", key)
        if canonical in spelled:
            raise reader.fail(key, f"is the same key as {spelled[canonical]!r}: keep one")
        spelled[canonical] = key
        name, parse = KEYS[canonical]
        values[name] = parse(reader, key, value)
    _resolve_rules(values, path)
    return dataclasses.replace(Config(), source=path, root=root, **values)


# --- rules: the acquire, release and rules keys ----------------------------------------------


def _acquire(reader: _Reader, key: str, value: object
             ) -> dict[str, tuple[str, ...]] | tuple[AcquireRule, ...]:
    """``[tool.handlelint.acquire]`` pairs, or ``[[tool.handlelint.acquire]]`` entries."""
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        table = f"{reader.table}.{key}"
        try:
            return tuple(parse_acquire(e, reader.path, table, i, strict=False, pack="")
                         for i, e in enumerate(value))
        except RuleError as exc:
            raise ConfigError(exc.path, exc.problem, exc.key) from None
    if not isinstance(value, dict):
        found = _type_name(value) if not isinstance(value, list) else (
            "an array holding " + next(_type_name(v) for v in value if not isinstance(v, dict)))
        raise reader.fail(key, f"must be a table (acquiring name = release name) or an array "
                               f"of tables ([[{reader.table}.{key}]] entries), not {found}")
    return reader.pairs(key, value)


def _releases(reader: _Reader, key: str, value: object) -> tuple[ReleaseRule, ...]:
    """The ``[[tool.handlelint.release]]`` entries."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        found = _type_name(value) if not isinstance(value, list) else (
            "an array holding " + next(_type_name(v) for v in value if not isinstance(v, dict)))
        raise reader.fail(key, f"must be an array of tables ([[{reader.table}.{key}]] "
                               f"entries), not {found}")
    table = f"{reader.table}.{key}"
    try:
        return tuple(parse_release(e, reader.path, table, i, strict=False, pack="")
                     for i, e in enumerate(value))
    except RuleError as exc:
        raise ConfigError(exc.path, exc.problem, exc.key) from None


def _packs(reader: _Reader, key: str, value: object) -> tuple[str, ...]:
    """The ``rules`` key: pack names (``win32`` for every Win32 pack), expanded."""
    try:
        return expand(reader.strings(key, value))
    except ValueError as exc:
        raise reader.fail(key, f"must hold rule pack names: {exc}") from None


def _resolve_rules(values: dict[str, Any], path: str) -> None:
    """Check the configured entries against each other and the packs; fill ``acquire``.

    A release an entry names must be defined by a ``[[tool.handlelint.release]]`` entry
    or by a packaged pack; the packaged ones are added to ``release_rules``.
    """
    entries = values.get("acquire")
    releases: tuple[ReleaseRule, ...] = values.get("release_rules", ())
    if not isinstance(entries, tuple):
        entries = ()
        if not releases:
            return
    own = {r for rule in entries for r in rule.release}
    defined = set(release_index(releases))
    known: tuple[ReleaseRule, ...] = ()
    if not own <= defined:  # only then is the Win32 table loaded
        known = tuple(r for p in all_packs() for r in p.releases)
    try:
        rules = resolve_references(entries, releases, known, path, "tool.handlelint.")
    except RuleError as exc:
        raise ConfigError(exc.path, exc.problem, exc.key) from None
    packaged = release_index(known)
    borrowed = [packaged[name] for name in sorted(own - defined)]
    values["acquire_rules"] = rules
    values["release_rules"] = releases + tuple(
        dataclasses.replace(r, anywhere=True) for r in dict.fromkeys(borrowed))
    if rules:
        values["acquire"] = {name: tuple(rule.release) for rule in rules for name in rule.names}


def _display(path: str) -> str:
    """``path`` relative to the current folder when it lies below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith(os.pardir) else rel


def read_table(path: str) -> Mapping[str, object] | None:
    """The ``[tool.handlelint]`` table of the TOML file ``path``, or None when it has none."""
    shown = _display(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(shown, f"cannot read the file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        message = " ".join(str(exc).split())
        raise ConfigError(shown, f"cannot parse the file as TOML: {message}") from None
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(shown, f"[tool] must be a table, not {_type_name(tool)}", "tool")
    table = tool.get("handlelint")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(shown, f"[tool.handlelint] must be a table, not {_type_name(table)}",
                          "handlelint")
    return table


def load_config(path: str) -> Config:
    """The settings of the TOML file ``path`` (defaults when it has no ``[tool.handlelint]``)."""
    table = read_table(path)
    root = os.path.dirname(os.path.abspath(path))
    return config_from_table(table or {}, _display(path), root)


def find_config(start: str) -> str | None:
    """The nearest ``pyproject.toml`` with a ``[tool.handlelint]`` table, from ``start`` up.

    ``start`` is a file or a folder. A ``pyproject.toml`` whose text does not contain
    ``handlelint`` is passed over unparsed, so a broken file of another tool is no error.
    """
    folder = os.path.abspath(start)
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    while True:
        candidate = os.path.join(folder, CONFIG_FILE)
        if os.path.isfile(candidate) and _mentions_us(candidate):
            if read_table(candidate) is not None:
                return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _mentions_us(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return b"handlelint" in fh.read()
    except OSError:
        return True  # read_table reports it


def discover_config(start: str) -> Config:
    """The settings found from ``start`` upward, or the defaults when there are none."""
    path = find_config(start)
    return load_config(path) if path is not None else Config()
