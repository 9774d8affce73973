"""The schema of rule tables and configured rules: TOML entries checked into records.

One reader serves the packaged tables (``data/*.toml``, ``strict``: every documented
field that a table must give is required) and the ``[[tool.handlelint.acquire]]`` /
``[[tool.handlelint.release]]`` entries of a configuration (lenient: ``handle_type``
defaults to the name, ``returns_via`` to "return", handle indexes to the release's).
Every problem is a :class:`RuleError` whose text names the file, the entry and the field.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from typing import Any, Callable, Mapping

from handlelint.records import (AcquireRule, DoesNotClose, FlagCondition, LifetimeRule,
                                NonOwning, ReleaseAlsoTakes, ReleaseByArgValue, ReleaseRule,
                                RuleFile)

#: The largest argument index a table may name (no Win32 function takes more arguments).
MAX_ARG_INDEX = 31
BINDINGS = ("ctypes", "pywin32", "stdlib")
RETURNS_VIA = ("return", "out_param", "paired")
#: How a fact was re-read while the table was compiled.
CHECKED = ("doc-text", "source")
_NAME_RE = re.compile(r"^[^\W\d]\w*(?:\.[^\W\d]\w*)?$")
_IDENT_RE = re.compile(r"^[^\W\d]\w*$")

#: Decides the pack of an entry from ``binding``, ``dll``, ``module`` and ``object``.
PackOf = Callable[[str, "str | None", "str | None", "str | None"], str]


class RuleError(Exception):
    """A rule table or configured rule that cannot be used; ``str()`` is the message."""

    def __init__(self, path: str, problem: str, key: str | None = None) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
        self.key = key


def type_name(value: object) -> str:
    """How a message names the TOML type of ``value``: ``an array``."""
    return {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


class _Entry:
    """The fields of one entry; each reader method raises naming file, entry and field."""

    def __init__(self, path: str, table: str, index: int, data: Mapping[str, Any],
                 fields: tuple[str, ...]) -> None:
        self.path = path
        self.data = data
        self.table = table
        name = data.get("name", data.get("rule"))
        label = f" {name!r}" if isinstance(name, str) else ""
        self.where = f"[[{table}]] #{index + 1}{label}"
        for key in data:
            if key not in fields:
                close = difflib.get_close_matches(key, fields, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise RuleError(path, f"{self.where}: unknown field {key!r}{hint}", key)

    def fail(self, key: str, problem: str) -> RuleError:
        return RuleError(self.path, f"{self.where}: {key!r} {problem}", key)

    def _get(self, key: str, required: bool) -> Any:
        if key not in self.data:
            if required:
                raise RuleError(self.path, f"{self.where}: the field {key!r} is required", key)
            return None
        return self.data[key]

    def text(self, key: str, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is not None and not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {type_name(value)}")
        return value

    def name(self, key: str, required: bool = False, dotted: bool = False) -> str | None:
        value = self.text(key, required)
        pattern = _NAME_RE if dotted else _IDENT_RE
        if value is not None and not pattern.match(value):
            kind = "a name (like CloseHandle or win32api.CloseHandle)" if dotted else (
                "a plain name (like CloseHandle)")
            raise self.fail(key, f"must be {kind}, not {value!r}")
        return value

    def flag(self, key: str) -> bool | None:
        value = self._get(key, False)
        if value is not None and not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {type_name(value)}")
        return value

    def index(self, key: str, low: int = 0, value: Any = None, required: bool = False
              ) -> int | None:
        if value is None:
            value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, f"must be an integer, not {type_name(value)}")
        if not low <= value <= MAX_ARG_INDEX:
            raise self.fail(key, f"must be an argument index from {low} to {MAX_ARG_INDEX}, "
                                 f"not {value}")
        return value

    def array(self, key: str, value: Any = None) -> list[Any] | None:
        if value is None:
            value = self._get(key, False)
        if value is not None and not isinstance(value, list):
            raise self.fail(key, f"must be an array, not {type_name(value)}")
        return value

    def names(self, key: str, required: bool = False, dotted: bool = False,
              non_empty: bool = False) -> tuple[str, ...]:
        value = self.strings(key, required)
        pattern = _NAME_RE if dotted else _IDENT_RE
        for item in value:
            if not pattern.match(item):
                kind = "a name (like CloseHandle or win32api.CloseHandle)" if dotted else (
                    "a plain name (like CloseHandle)")
                raise self.fail(key, f"must hold names: {item!r} is not {kind}")
        if non_empty and not value:
            raise self.fail(key, "must name at least one function")
        return value

    def strings(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self._get(key, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            found = type_name(value) if not isinstance(value, list) else (
                "an array holding " + next(type_name(v) for v in value if not isinstance(v, str)))
            raise self.fail(key, f"must be an array of strings, not {found}")
        return tuple(value)

    def choice(self, key: str, choices: tuple[str, ...], default: str | None) -> str:
        value = self._get(key, default is None)
        if value is None:
            assert default is not None
            return default
        if not isinstance(value, str) or value not in choices:
            allowed = " or ".join(f'"{c}"' for c in choices)
            found = repr(value) if isinstance(value, str) else type_name(value)
            raise self.fail(key, f"must be {allowed}, not {found}")
        return value

    def optional_choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        """One string among ``choices``, or None when the field is not given."""
        return self.choice(key, choices, None) if key in self.data else None

    def inline(self, key: str, fields: tuple[str, ...], required: tuple[str, ...],
               open_keys: bool = False) -> dict[str, Any] | None:
        """An inline table with ``fields`` (``open_keys``: other keys are allowed too)."""
        value = self._get(key, False)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, f"must be an inline table, not {type_name(value)}")
        for field in required:
            if field not in value:
                raise self.fail(key, f"must give {field!r}")
        if not open_keys:
            for field in value:
                if field not in fields:
                    close = difflib.get_close_matches(field, fields, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    raise self.fail(key, f"has an unknown field {field!r}{hint}")
        return value

    def flag_condition(self, key: str, releases: bool = False) -> FlagCondition | None:
        fields = ("arg_index", "flag", "name", "field") + (
            ("releases_arg_index",) if releases else ())
        need = ("arg_index", "flag", "name") + (("releases_arg_index",) if releases else ())
        value = self.inline(key, fields, need)
        if value is None:
            return None
        flag, name, field = value["flag"], value["name"], value.get("field")
        if not isinstance(flag, int) or isinstance(flag, bool) or flag <= 0:
            raise self.fail(key, f"must give 'flag' as a positive integer, not {flag!r}")
        if not isinstance(name, str):
            raise self.fail(key, f"must give 'name' as a string, not {type_name(name)}")
        if field is not None and (not isinstance(field, str) or not _IDENT_RE.match(field)):
            raise self.fail(key, f"must give 'field' as a member name, not {field!r}")
        arg = self.index(f"{key}.arg_index", value=value["arg_index"])
        released = (self.index(f"{key}.releases_arg_index", value=value["releases_arg_index"])
                    if releases else None)
        assert arg is not None
        return FlagCondition(arg, flag, name, field, released)


# --- the entries -----------------------------------------------------------------------------

_ACQUIRE_FIELDS = (
    "name", "aliases", "dll", "module", "object", "binding", "handle_type", "python_type",
    "release", "release_handle_arg_index", "returns_via", "out_param_index",
    "out_param_indexes", "out_fields", "failure_value", "failure", "success", "self_closing",
    "raises", "pair_key_arg_index", "acquire_if_flag", "no_release_if_flag",
    "also_releases_if_flag", "release_by_arg_value", "release_also_takes",
    "consumes_arg_index", "new_handle_only_if_null_arg_index", "release_even_on_failure",
    "typedef", "parent_arg", "doc_status", "checked", "source_doc", "source_code", "notes",
)
_RELEASE_FIELDS = (
    "name", "aliases", "dll", "module", "object", "binding", "handle_types",
    "handle_arg_index", "handle_is_receiver", "takes_no_handle", "disarms_self_closing",
    "typedef", "returns", "notes", "source_doc",
)
_DOES_NOT_CLOSE_FIELDS = ("name", "handle_arg", "still_release_with", "documented", "notes")
_NON_OWNING_FIELDS = ("name", "kind", "uncertain", "notes", "source_doc", "checked")
_LIFETIME_FIELDS = ("rule", "documented", "text", "checked", "source_doc")


def _owner(entry: _Entry) -> tuple[str | None, str | None, str | None]:
    dll, module = entry.name("dll"), entry.name("module")
    obj = entry.name("object")
    if dll is not None and module is not None:
        raise entry.fail("module", "cannot be given with 'dll': a function comes from a DLL "
                                   "(ctypes) or from a Python module")
    return dll, module, obj


def _by_arg_value(entry: _Entry) -> ReleaseByArgValue | None:
    value = entry.inline("release_by_arg_value", ("arg_index",), ("arg_index",), True)
    if value is None:
        return None
    arg = entry.index("release_by_arg_value.arg_index", value=value["arg_index"])
    assert arg is not None
    pairs = []
    for key, release in value.items():
        if key == "arg_index":
            continue
        if not isinstance(release, str) or not _NAME_RE.match(release):
            raise entry.fail("release_by_arg_value",
                             f"must map argument values to release names: {key!r} = "
                             f"{release!r} does not")
        pairs.append((key, release))
    if not pairs:
        raise entry.fail("release_by_arg_value", "must map at least one argument value")
    return ReleaseByArgValue(arg, tuple(pairs))


def _also_takes(entry: _Entry) -> ReleaseAlsoTakes | None:
    key = "release_also_takes"
    value = entry.inline(key, ("release_arg_index", "acquire_arg_index"),
                         ("release_arg_index", "acquire_arg_index"))
    if value is None:
        return None
    release = entry.index(f"{key}.release_arg_index", value=value["release_arg_index"])
    acquire = entry.index(f"{key}.acquire_arg_index", value=value["acquire_arg_index"])
    assert release is not None and acquire is not None
    return ReleaseAlsoTakes(release, acquire)


def parse_acquire(data: Mapping[str, Any], path: str, table: str, index: int, *,
                  strict: bool, pack: str) -> AcquireRule:
    """One ``[[acquire]]`` entry (``strict`` for packaged tables)."""
    entry = _Entry(path, table, index, data, _ACQUIRE_FIELDS)
    name = entry.name("name", required=True, dotted=not strict)
    assert name is not None
    dll, module, obj = _owner(entry)
    returns_via = entry.choice("returns_via", RETURNS_VIA, None if strict else "return")
    out_index = entry.index("out_param_index")
    out_indexes = tuple(entry.index("out_param_indexes", value=v) or 0
                        for v in entry.array("out_param_indexes") or ())
    if returns_via == "out_param" and out_index is None and not out_indexes:
        raise entry.fail("out_param_index", 'is required when \'returns_via\' is "out_param"')
    if returns_via != "out_param" and (out_index is not None or out_indexes):
        key = "out_param_index" if out_index is not None else "out_param_indexes"
        raise entry.fail(key, 'is given only when \'returns_via\' is "out_param"')
    if out_index is None and out_indexes:
        out_index = out_indexes[0]
    handle_type = entry.text("handle_type", required=strict) or name
    arg_index = entry.index("release_handle_arg_index", low=-1, required=strict)
    return AcquireRule(
        name=name, handle_type=handle_type,
        release=entry.names("release", required=True, dotted=True, non_empty=True),
        returns_via=returns_via, out_param_index=out_index,
        typedef=entry.text("typedef"), parent_arg=entry.text("parent_arg"),
        anywhere=not strict, pack=pack, aliases=entry.names("aliases"),
        binding=entry.choice("binding", BINDINGS, "ctypes"), dll=dll, module=module,
        object_type=obj, python_type=entry.text("python_type"),
        # -2: not given; resolve_references puts the first release's index there.
        release_handle_arg_index=-2 if arg_index is None else arg_index,
        out_param_indexes=out_indexes, out_fields=entry.names("out_fields"),
        failure_value=entry.text("failure_value"), failure=entry.text("failure"),
        success=entry.text("success"), self_closing=bool(entry.flag("self_closing")),
        raises=bool(entry.flag("raises")),
        pair_key_arg_index=entry.index("pair_key_arg_index"),
        acquire_if_flag=entry.flag_condition("acquire_if_flag"),
        no_release_if_flag=entry.flag_condition("no_release_if_flag"),
        also_releases_if_flag=entry.flag_condition("also_releases_if_flag", releases=True),
        release_by_arg_value=_by_arg_value(entry), release_also_takes=_also_takes(entry),
        consumes_arg_index=entry.index("consumes_arg_index"),
        new_handle_only_if_null_arg_index=entry.index("new_handle_only_if_null_arg_index"),
        release_even_on_failure=bool(entry.flag("release_even_on_failure")),
        doc_status=entry.text("doc_status"), checked=entry.optional_choice("checked", CHECKED),
        source_doc=entry.text("source_doc"), source_code=entry.text("source_code"),
        notes=entry.text("notes"),
    )


def parse_release(data: Mapping[str, Any], path: str, table: str, index: int, *,
                  strict: bool, pack: str) -> ReleaseRule:
    """One ``[[release]]`` entry (``strict`` for packaged tables)."""
    entry = _Entry(path, table, index, data, _RELEASE_FIELDS)
    name = entry.name("name", required=True)
    assert name is not None
    dll, module, obj = _owner(entry)
    arg_index = entry.index("handle_arg_index", low=-1, required=strict)
    receiver = bool(entry.flag("handle_is_receiver"))
    no_handle = bool(entry.flag("takes_no_handle"))
    if receiver and no_handle:
        raise entry.fail("takes_no_handle", "cannot be true with 'handle_is_receiver'")
    if (receiver or no_handle) and arg_index not in (-1, None):
        raise entry.fail("handle_arg_index", f"must be -1 when the handle is no argument "
                                             f"(handle_is_receiver or takes_no_handle), "
                                             f"not {arg_index}")
    if arg_index == -1 and not (receiver or no_handle):
        raise entry.fail("handle_arg_index", "is -1 only for a release with "
                                             "'handle_is_receiver' or 'takes_no_handle'")
    if arg_index is None:
        arg_index = -1 if receiver or no_handle else 0
    return ReleaseRule(
        name=name, handle_types=entry.strings("handle_types", required=strict),
        arg_index=arg_index, typedef=entry.text("typedef"), anywhere=not strict, pack=pack,
        aliases=entry.names("aliases"), binding=entry.choice("binding", BINDINGS, "ctypes"),
        dll=dll, module=module, object_type=obj, handle_is_receiver=receiver,
        takes_no_handle=no_handle, disarms_self_closing=entry.flag("disarms_self_closing"),
        returns=entry.text("returns"), notes=entry.text("notes"),
        source_doc=entry.text("source_doc"),
    )


def _does_not_close(data: Mapping[str, Any], path: str, index: int) -> DoesNotClose:
    entry = _Entry(path, "does_not_close", index, data, _DOES_NOT_CLOSE_FIELDS)
    name = entry.text("name", required=True)
    assert name is not None
    return DoesNotClose(name, entry.text("handle_arg"), entry.text("still_release_with"),
                        entry.flag("documented"), entry.text("notes"))


def _non_owning(data: Mapping[str, Any], path: str, index: int) -> NonOwning:
    entry = _Entry(path, "non_owning_or_ambiguous", index, data, _NON_OWNING_FIELDS)
    name, kind = entry.text("name", required=True), entry.text("kind", required=True)
    uncertain = entry.flag("uncertain")
    if uncertain is None:
        raise RuleError(path, f"{entry.where}: the field 'uncertain' is required", "uncertain")
    assert name is not None and kind is not None
    return NonOwning(name, kind, uncertain, entry.text("notes"), entry.text("source_doc"),
                     entry.optional_choice("checked", CHECKED))


def _lifetime(data: Mapping[str, Any], path: str, index: int) -> LifetimeRule:
    entry = _Entry(path, "lifetime_rules", index, data, _LIFETIME_FIELDS)
    rule, text = entry.text("rule", required=True), entry.text("text", required=True)
    documented = entry.flag("documented")
    if documented is None:
        raise RuleError(path, f"{entry.where}: the field 'documented' is required",
                        "documented")
    assert rule is not None and text is not None
    return LifetimeRule(rule, documented, text, entry.optional_choice("checked", CHECKED),
                        entry.text("source_doc"))


# --- whole files ------------------------------------------------------------------------------


def _entries(data: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RuleError(path, f"[[{key}]] must be an array of tables, not {type_name(value)}",
                        key)
    return value


def _note_table(key: str, value: object, path: str
                ) -> tuple[str, tuple[tuple[str, str | tuple[str, ...]], ...]]:
    if not isinstance(value, dict):
        raise RuleError(path, f"unknown top-level key {key!r} (not a table of notes)", key)
    items: list[tuple[str, str | tuple[str, ...]]] = []
    for name, text in value.items():
        if isinstance(text, list) and all(isinstance(t, str) for t in text):
            items.append((name, tuple(text)))
        elif isinstance(text, str):
            items.append((name, text))
        else:
            raise RuleError(path, f"[{key}] {name!r} must be a string or an array of strings, "
                                  f"not {type_name(text)}", name)
    return key, tuple(items)


def _pack(pack_of: PackOf, rule: AcquireRule | ReleaseRule, path: str, where: str) -> str:
    pack = pack_of(rule.binding, rule.dll, rule.module, rule.object_type)
    if not pack:
        raise RuleError(path, f"{where}: needs 'dll', 'module' or 'object' to be placed in "
                              f"a rule pack", "dll")
    return pack


_SECTIONS = ("acquire", "release", "does_not_close", "non_owning_or_ambiguous",
             "lifetime_rules")


def parse_rule_file(data: Mapping[str, Any], path: str, pack_of: PackOf) -> RuleFile:
    """A packaged table document, every entry checked, every reference resolved."""
    acquires = []
    for i, e in enumerate(_entries(data, "acquire", path)):
        rule = parse_acquire(e, path, "acquire", i, strict=True, pack="")
        pack = _pack(pack_of, rule, path, f"[[acquire]] #{i + 1} {rule.name!r}")
        acquires.append(dataclasses.replace(rule, pack=pack))
    releases = []
    for i, e in enumerate(_entries(data, "release", path)):
        release = parse_release(e, path, "release", i, strict=True, pack="")
        pack = _pack(pack_of, release, path, f"[[release]] #{i + 1} {release.name!r}")
        releases.append(dataclasses.replace(release, pack=pack))
    return RuleFile(
        path=path, acquires=resolve_references(acquires, releases, (), path, ""),
        releases=tuple(releases),
        does_not_close=tuple(_does_not_close(e, path, i)
                             for i, e in enumerate(_entries(data, "does_not_close", path))),
        non_owning=tuple(_non_owning(e, path, i) for i, e in
                         enumerate(_entries(data, "non_owning_or_ambiguous", path))),
        lifetime_rules=tuple(_lifetime(e, path, i)
                             for i, e in enumerate(_entries(data, "lifetime_rules", path))),
        notes=tuple(_note_table(k, v, path) for k, v in data.items() if k not in _SECTIONS),
    )


def release_key(release: ReleaseRule, name: str) -> str:
    """How an acquire's ``release`` names ``release`` (called ``name``)."""
    return f"{release.qualifier}.{name}" if release.qualifier else name


def release_index(releases: tuple[ReleaseRule, ...] | list[ReleaseRule]
                  ) -> dict[str, ReleaseRule]:
    """Every name an acquire may use for a release (with its qualifier), to its entry."""
    index: dict[str, ReleaseRule] = {}
    for release in releases:
        for name in release.names:
            index.setdefault(release_key(release, name), release)
    return index


def resolve_references(acquires: list[AcquireRule] | tuple[AcquireRule, ...],
                       releases: list[ReleaseRule] | tuple[ReleaseRule, ...],
                       known: tuple[ReleaseRule, ...], path: str, prefix: str
                       ) -> tuple[AcquireRule, ...]:
    """``acquires`` checked: each release they name is defined, at the index they say.

    An acquire that gives no ``release_handle_arg_index`` gets its first release's.

    ``known`` are releases defined elsewhere (the packs, for a configuration); ``prefix``
    is put before the table names in messages ("tool.handlelint." in a configuration).
    """
    defined = release_index(list(known) + list(releases))
    own = release_index(releases)
    seen: dict[tuple[str | None, str], int] = {}
    for i, release in enumerate(releases):
        for name in release.names:
            where = (release.dll or release.qualifier, name)
            if where in seen:
                raise RuleError(path, f"[[{prefix}release]] #{i + 1} {release.name!r}: defined "
                                      f"again (first as #{seen[where] + 1})", "name")
            seen[where] = i
    seen = {}
    resolved = []
    for i, rule in enumerate(acquires):
        where_entry = f"[[{prefix}acquire]] #{i + 1} {rule.name!r}"
        for name in rule.names:
            key = (rule.dll or rule.module or rule.object_type, name)
            if key in seen and rule.object_type is None:
                raise RuleError(path, f"{where_entry}: defined again (first as "
                                      f"#{seen[key] + 1})", "name")
            seen[key] = i
        named = list(rule.release)
        if rule.release_by_arg_value is not None:
            named += [r for _, r in rule.release_by_arg_value.releases]
        for name in named:
            if name not in defined:
                close = difflib.get_close_matches(name, list(own) or list(defined), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise RuleError(path, f"{where_entry}: 'release' names {name!r}, which no "
                                      f"[[{prefix}release]] entry defines{hint}", "release")
        first = defined[rule.release[0]]
        if rule.release_handle_arg_index != -2 and \
                rule.release_handle_arg_index != first.arg_index:
            raise RuleError(path, f"{where_entry}: 'release_handle_arg_index' is "
                                  f"{rule.release_handle_arg_index} but "
                                  f"{rule.release[0]!r} takes the handle at "
                                  f"{first.arg_index}", "release_handle_arg_index")
        resolved.append(dataclasses.replace(rule, release_handle_arg_index=first.arg_index))
    return tuple(resolved)
