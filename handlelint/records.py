"""Immutable records of the rule-table schema: one entry of a table or a configuration.

The packaged tables (``data/*.toml``) and ``[tool.handlelint]`` share one schema; each
``[[acquire]]`` entry becomes an :class:`AcquireRule`, each ``[[release]]`` entry a
:class:`ReleaseRule`, and so on. Only a few fields are read by the engine today (the
first ones of each record); the others are carried so that every fact of the tables is
typed, validated and documented in one place. Argument indexes are 0-based.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Human words for the handle types of the clusapi table, used in messages.
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
class FlagCondition:
    """``{ arg_index, flag, name }``: the bit ``flag`` of argument ``arg_index``.

    ``field`` names the member of a structure argument holding the flags
    (``SHELLEXECUTEINFO.fMask``); ``releases_arg_index`` is set for
    ``also_releases_if_flag`` (the argument the call closes when the flag is set).
    """

    arg_index: int
    flag: int
    name: str
    field: str | None = None
    releases_arg_index: int | None = None


@dataclass(frozen=True)
class ReleaseByArgValue:
    """``{ arg_index, "<value>" = "<release>" }``: the release depends on an argument."""

    arg_index: int
    #: ``(value, release name)`` pairs in table order.
    releases: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ReleaseAlsoTakes:
    """The release must also get, at ``release_arg_index``, the acquire's ``acquire_arg_index``."""

    release_arg_index: int
    acquire_arg_index: int


@dataclass(frozen=True)
class AcquireRule:
    """A function that hands out a handle (or opens a paired state) ``release`` must end."""

    name: str
    handle_type: str
    release: tuple[str, ...]
    #: "return", "out_param" or "paired".
    returns_via: str = "return"
    out_param_index: int | None = None
    typedef: str | None = None
    parent_arg: str | None = None
    #: Configured pairs match by final name anywhere; table pairs need a DLL receiver.
    anywhere: bool = False
    #: The rule pack the entry belongs to ("clusapi", "kernel32", "pywin32", ...).
    pack: str = ""
    aliases: tuple[str, ...] = ()
    #: "ctypes", "pywin32" or "stdlib".
    binding: str = "ctypes"
    dll: str | None = None
    module: str | None = None
    #: The Python type whose method acquires (``object`` in the TOML).
    object_type: str | None = None
    python_type: str | None = None
    release_handle_arg_index: int = 0
    out_param_indexes: tuple[int, ...] = ()
    out_fields: tuple[str, ...] = ()
    failure_value: str | None = None
    failure: str | None = None
    success: str | None = None
    self_closing: bool = False
    raises: bool = False
    pair_key_arg_index: int | None = None
    acquire_if_flag: FlagCondition | None = None
    no_release_if_flag: FlagCondition | None = None
    also_releases_if_flag: FlagCondition | None = None
    release_by_arg_value: ReleaseByArgValue | None = None
    release_also_takes: ReleaseAlsoTakes | None = None
    consumes_arg_index: int | None = None
    new_handle_only_if_null_arg_index: int | None = None
    release_even_on_failure: bool = False
    doc_status: str | None = None
    checked: str | None = None
    source_doc: str | None = None
    source_code: str | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        """Rebuild nested records and tuples from their JSON forms (the project cache
        stores rules as ``dataclasses.asdict`` dictionaries)."""
        for name in ("release", "aliases", "out_param_indexes", "out_fields"):
            value = getattr(self, name)
            if type(value) is not tuple:
                object.__setattr__(self, name, tuple(value))
        for name in ("acquire_if_flag", "no_release_if_flag", "also_releases_if_flag"):
            value = getattr(self, name)
            if isinstance(value, dict):
                object.__setattr__(self, name, FlagCondition(**value))
        by_value = self.release_by_arg_value
        if isinstance(by_value, dict):
            object.__setattr__(self, "release_by_arg_value", ReleaseByArgValue(
                by_value["arg_index"], tuple((v, r) for v, r in by_value["releases"])))
        if isinstance(self.release_also_takes, dict):
            object.__setattr__(self, "release_also_takes",
                               ReleaseAlsoTakes(**self.release_also_takes))

    @property
    def words(self) -> str:
        """How a message names this handle: ``cluster handle``."""
        if self.handle_type in _TYPE_WORDS:
            return _TYPE_WORDS[self.handle_type]
        if self.handle_type.startswith("H") and self.handle_type.endswith("ENUM"):
            return "enumeration handle"
        if self.handle_type.startswith("H") and self.handle_type.endswith("ENUMEX"):
            return "enumeration handle"
        if self.returns_via == "paired" and not self.anywhere:  # no handle: the state
            return self.handle_type.split(" (")[0]
        return f"{self.handle_type} handle" if self.anywhere else "handle"

    @property
    def names(self) -> tuple[str, ...]:
        """The name and every alias."""
        return (self.name,) + self.aliases


@dataclass(frozen=True)
class ReleaseRule:
    """A function that releases handles of ``handle_types`` passed at ``arg_index``.

    ``arg_index`` is -1 when the handle is no argument: the release is a method of the
    handle object (``handle_is_receiver``) or takes no handle at all (``takes_no_handle``).
    """

    name: str
    handle_types: tuple[str, ...]
    arg_index: int = 0
    typedef: str | None = None
    anywhere: bool = False
    pack: str = ""
    aliases: tuple[str, ...] = ()
    binding: str = "ctypes"
    dll: str | None = None
    module: str | None = None
    object_type: str | None = None
    handle_is_receiver: bool = False
    takes_no_handle: bool = False
    #: Set by the engine's table: the release ends the state a paired call opened for the
    #: same key (its argument at ``arg_index``: ``GlobalUnlock(hmem)`` after
    #: ``GlobalLock(hmem)``) and releases no handle.
    keyed: bool = False
    disarms_self_closing: bool | None = None
    returns: str | None = None
    notes: str | None = None
    source_doc: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The name and every alias."""
        return (self.name,) + self.aliases

    @property
    def qualifier(self) -> str | None:
        """What an acquire's ``release`` puts before the name: module or object type."""
        return self.module or self.object_type


@dataclass(frozen=True)
class DoesNotClose:
    """A call that looks final but leaves the handle open."""

    name: str
    handle_arg: str | None = None
    still_release_with: str | None = None
    documented: bool | None = None
    notes: str | None = None


@dataclass(frozen=True)
class NonOwning:
    """Calls whose handles must not be released, or whose ownership is unclear."""

    name: str
    kind: str
    uncertain: bool
    notes: str | None = None
    source_doc: str | None = None
    checked: str | None = None


@dataclass(frozen=True)
class LifetimeRule:
    """A cross-cutting rule of a table, in words."""

    rule: str
    documented: bool
    text: str
    checked: str | None = None
    source_doc: str | None = None


@dataclass(frozen=True)
class RuleFile:
    """One parsed table file (or the entries of one configuration)."""

    path: str
    acquires: tuple[AcquireRule, ...] = ()
    releases: tuple[ReleaseRule, ...] = ()
    does_not_close: tuple[DoesNotClose, ...] = ()
    non_owning: tuple[NonOwning, ...] = ()
    lifetime_rules: tuple[LifetimeRule, ...] = ()
    #: The free-text tables (``[python_ctypes]``, ``[pywin32]``...): name -> key -> text.
    notes: tuple[tuple[str, tuple[tuple[str, str | tuple[str, ...]], ...]], ...] = ()
