"""Every ``[[acquire]]`` entry of the packaged rule table is tracked (issue 5, acceptance 1).

For each entry a leaking and a clean snippet are generated in the idiom its
``returns_via`` implies:

- ``return``: ``h = clusapi.F(...)``; the leak returns without releasing, the clean
  snippet checks for NULL and releases with the table's first release function;
- ``out_param``: ``status = clusapi.F(..., ctypes.byref(h), ...)`` with the handle at
  ``out_param_index``; the leak returns on the success path without releasing, the clean
  snippet releases there.

The leak must give exactly one HDL001, at the acquiring line; the clean snippet nothing.
Snippets create the DLL object in the file (``ctypes.windll.clusapi``) and give every
handle-returning function a pointer ``restype`` and every release its ``argtypes``, so
that HDL007 and HDL008 stay out of the way.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from handlelint.engine import check_source
from handlelint.packs import (MODELLED, MODULE_PACKS, WIN32_FILE, all_packs, engine_table,
                              pack_table, win32_pack_of)
from handlelint.packs import win32_rules
from handlelint.records import FlagCondition, ReleaseAlsoTakes
from handlelint.rules import CLUSAPI_FILE, AcquireRule, packaged_table, read_data
from handlelint.schema import RuleError, parse_rule_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

#: Parameter counts from clusapi.h, so the generated calls look like real ones. A
#: function missing here (a newer table entry) gets the handle argument and one more.
ARITY = {
    "OpenCluster": 1, "OpenClusterEx": 3, "CreateCluster": 3, "CreateClusterCNOless": 3,
    "GetClusterFromGroup": 1, "GetClusterFromNode": 1, "GetClusterFromResource": 1,
    "GetClusterFromNetwork": 1, "GetClusterFromNetInterface": 1,
    "GetClusterFromGroupSet": 1,
    "OpenClusterNode": 2, "OpenClusterNodeEx": 4, "OpenClusterNodeById": 2,
    "AddClusterNode": 4, "AddClusterNodeEx": 5,
    "OpenClusterGroup": 2, "OpenClusterGroupEx": 4, "CreateClusterGroup": 2,
    "CreateClusterGroupEx": 3,
    "OpenClusterResource": 2, "OpenClusterResourceEx": 4, "CreateClusterResource": 4,
    "CreateClusterResourceEx": 5,
    "OpenClusterNetwork": 2, "OpenClusterNetworkEx": 4,
    "OpenClusterNetInterface": 2, "OpenClusterNetInterfaceEx": 4,
    "CreateClusterGroupSet": 2, "OpenClusterGroupSet": 2, "CreateClusterAvailabilitySet": 3,
    "ClusterOpenEnum": 2, "ClusterOpenEnumEx": 3, "ClusterNodeOpenEnum": 2,
    "ClusterNodeOpenEnumEx": 3, "ClusterGroupOpenEnum": 2, "ClusterGroupOpenEnumEx": 6,
    "ClusterResourceOpenEnum": 2, "ClusterResourceOpenEnumEx": 6,
    "ClusterResourceTypeOpenEnum": 3, "ClusterNetworkOpenEnum": 2,
    "ClusterNetInterfaceOpenEnum": 3, "ClusterGroupSetOpenEnum": 1,
    "CreateClusterNotifyPort": 4, "CreateClusterNotifyPortV2": 5,
    "GetClusterKey": 2, "GetClusterGroupKey": 2, "GetClusterResourceKey": 2,
    "GetClusterNodeKey": 2, "GetClusterNetworkKey": 2, "GetClusterNetInterfaceKey": 2,
    "GetClusterResourceTypeKey": 3,
    "ClusterRegCreateKey": 7, "ClusterRegCreateKeyEx": 8, "ClusterRegOpenKey": 4,
    "ClusterRegCreateBatch": 2, "ClusterRegCreateBatchNotifyPort": 2,
    "ClusterRegGetBatchNotification": 2, "ClusterRegCreateReadBatch": 2,
    "ClusterRegCloseReadBatch": 2, "ClusterRegCloseReadBatchEx": 3,
}

#: Functions whose first argument must be INVALID_HANDLE_VALUE for a new handle.
NEW_PORT_SENTINEL = {"CreateClusterNotifyPort", "CreateClusterNotifyPortV2"}

HEADER = '''\
import ctypes

clusapi = ctypes.windll.clusapi
ERROR_SUCCESS = 0
'''

TABLE = packaged_table()
ENTRIES = sorted(TABLE.acquires.values(), key=lambda a: a.name)


def _args(rule: AcquireRule, out: str | None) -> list[str]:
    """The call's arguments: ``parent`` first (or the new-port sentinel), then dummies."""
    count = ARITY.get(rule.name, 2)
    if rule.out_param_index is not None:
        count = max(count, rule.out_param_index + 1)
    args = ["parent"] + ["0"] * (count - 1)
    if rule.name in NEW_PORT_SENTINEL:
        args[0] = "ctypes.c_void_p(-1)"
        args[1] = "parent"
    if out is not None:
        assert rule.out_param_index is not None
        args[rule.out_param_index] = f"ctypes.byref({out})"
    return args


def _release_lines(handle: str, release: str, indent: str) -> list[str]:
    """Statements releasing ``handle`` with ``release``, in the shape that function takes.

    ``ClusterRegCloseReadBatch(Ex)`` releases the read batch and hands out a reply
    handle, which is closed in turn so that the snippet stays clean.
    """
    rule = TABLE.releases[release]
    if release in ("ClusterRegCloseBatch", "ClusterRegCloseBatchEx"):
        return [f"{indent}failed = ctypes.c_long(-1)",
                f"{indent}clusapi.{release}({handle}, 1, ctypes.byref(failed))"]
    if release in ("ClusterRegCloseReadBatch", "ClusterRegCloseReadBatchEx"):
        flags = ", 0" if release.endswith("Ex") else ""
        return [f"{indent}reply = ctypes.c_void_p()",
                f"{indent}rc = clusapi.{release}({handle}{flags}, ctypes.byref(reply))",
                f"{indent}if rc == ERROR_SUCCESS:",
                f"{indent}    clusapi.ClusterRegCloseReadBatchReply(reply)"]
    args = ["0"] * (rule.arg_index + 1)
    args[rule.arg_index] = handle
    return [f"{indent}clusapi.{release}({', '.join(args)})"]


def _argtypes_lines(release: str) -> list[str]:
    """``argtypes`` of the functions :func:`_release_lines` calls (else HDL008)."""
    if release in ("ClusterRegCloseBatch", "ClusterRegCloseBatchEx"):
        types = ["ctypes.c_void_p", "ctypes.c_int", "ctypes.c_void_p"]
    elif release in ("ClusterRegCloseReadBatch", "ClusterRegCloseReadBatchEx"):
        types = ["ctypes.c_void_p", "ctypes.c_ulong", "ctypes.c_void_p"]
        if not release.endswith("Ex"):
            types.pop(1)
        return [f"clusapi.{release}.argtypes = [{', '.join(types)}]",
                "clusapi.ClusterRegCloseReadBatchReply.argtypes = [ctypes.c_void_p]"]
    else:
        types = ["ctypes.c_void_p"] * (TABLE.releases[release].arg_index + 1)
    return [f"clusapi.{release}.argtypes = [{', '.join(types)}]"]


def snippet(rule: AcquireRule, leak: bool) -> tuple[str, int]:
    """A module using ``rule`` once, and the line of the acquiring call."""
    lines = HEADER.splitlines() + _argtypes_lines(rule.release[0])
    if rule.returns_via == "return":
        lines.append(f"clusapi.{rule.name}.restype = ctypes.c_void_p")
        lines += ["", "", "def use(parent):"]
        acquire_line = len(lines) + 1
        lines.append(f"    h = clusapi.{rule.name}({', '.join(_args(rule, None))})")
        lines += ["    if not h:", "        return False"]
        if not leak:
            lines += _release_lines("h", rule.release[0], "    ")
        lines.append("    return True")
    else:
        lines += ["", "", "def use(parent):", "    h = ctypes.c_void_p()"]
        acquire_line = len(lines) + 1
        lines.append(f"    status = clusapi.{rule.name}({', '.join(_args(rule, 'h'))})")
        lines += ["    if status != ERROR_SUCCESS:", "        return False"]
        if not leak:
            lines += _release_lines("h", rule.release[0], "    ")
        lines.append("    return True")
    return "\n".join(lines) + "\n", acquire_line


def _findings(source: str, name: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_source(source, f"<{name}>", strict=True)]


def test_the_table_has_every_entry() -> None:
    assert len(ENTRIES) >= 60
    assert {a.returns_via for a in ENTRIES} == {"return", "out_param"}
    for rule in ENTRIES:
        assert rule.release, rule.name
        for release in rule.release:
            assert release in TABLE.releases, (rule.name, release)
        if rule.returns_via == "out_param":
            assert rule.out_param_index is not None, rule.name


@pytest.mark.parametrize("rule", ENTRIES, ids=lambda a: f"{a.name}-{a.returns_via}")
def test_leak_is_reported(rule: AcquireRule) -> None:
    source, line = snippet(rule, leak=True)
    assert _findings(source, rule.name) == [(line, "HDL001")], source


@pytest.mark.parametrize("rule", ENTRIES, ids=lambda a: f"{a.name}-{a.returns_via}")
def test_clean_is_silent(rule: AcquireRule) -> None:
    source, _ = snippet(rule, leak=False)
    assert _findings(source, rule.name) == [], source


# --- the packaged tables: the contract's copies, checked by the schema, split into packs ----

ROOT = Path(__file__).resolve().parent.parent
#: The contract the package's copies follow (next to the checkout).
CONTRACT = ROOT.parent / "shared"


@pytest.mark.parametrize("name", [CLUSAPI_FILE, WIN32_FILE])
def test_packaged_tables_are_the_contract(name: str) -> None:
    contract = CONTRACT / name
    if not contract.exists():
        pytest.skip(f"no contract copy at {contract}")
    assert (ROOT / "handlelint" / "data" / name).read_bytes() == contract.read_bytes(), (
        f"handlelint/data/{name} differs from {contract}: copy it over")


def test_every_pack_loads() -> None:
    packs = {p.name: p for p in all_packs()}
    win32 = win32_rules()
    assert len(win32.acquires) == 202
    assert sum(len(p.acquires) for p in packs.values()) == 202 + len(packaged_table().acquires)
    for name in ("clusapi", "kernel32", "advapi32", "user32", "gdi32", "setupapi", "wtsapi32",
                 "winhttp", "wininet", "crypt32", "ws2_32", "pywin32", "winreg"):
        assert packs[name].acquires, name
    for pack in packs.values():
        assert {r.pack for r in pack.acquires} | {r.pack for r in pack.releases} == {pack.name}
    assert {p.name for p in all_packs() if p.modelled} == set(MODELLED) | set(MODULE_PACKS)
    assert {p.name for p in all_packs() if not p.modelled} == set()


def test_pack_mapping() -> None:
    assert win32_pack_of("ctypes", "Kernel32", None, None) == "kernel32"
    assert win32_pack_of("pywin32", None, "win32gui", None) == "pywin32"
    assert win32_pack_of("pywin32", None, None, "PyHANDLE") == "pywin32"
    assert win32_pack_of("stdlib", None, "winreg", None) == "winreg"
    assert win32_pack_of("stdlib", None, "_winreg", None) == "winreg"
    assert win32_pack_of("stdlib", None, None, "HKEYType") == "winreg"
    assert win32_pack_of("stdlib", None, "_winapi", None) == "_winapi"


def test_extended_fields_are_typed() -> None:
    rules = {(r.module or r.dll, r.name): r for r in win32_rules().acquires}
    create_file = rules["kernel32", "CreateFileW"]
    assert create_file.aliases == ("CreateFileA", "CreateFile2")
    assert create_file.failure_value == "INVALID_HANDLE_VALUE"
    get_dc = rules["user32", "GetDC"]
    assert get_dc.release_handle_arg_index == 1
    assert get_dc.release_also_takes == ReleaseAlsoTakes(0, 0)
    process = rules["kernel32", "CreateProcessW"]
    assert process.out_fields == ("hProcess", "hThread")
    load_image = rules["user32", "LoadImageW"]
    assert load_image.no_release_if_flag == FlagCondition(5, 0x8000, "LR_SHARED")
    assert load_image.release_by_arg_value is not None
    assert load_image.release_by_arg_value.releases[0] == ("0", "DeleteObject")
    open_key = rules["winreg", "OpenKey"]
    assert (open_key.binding, open_key.self_closing, open_key.raises) == ("stdlib", True, True)
    clipboard = rules["user32", "OpenClipboard"]
    assert clipboard.returns_via == "paired"
    releases = {(r.qualifier or r.dll, r.name): r for r in win32_rules().releases}
    assert releases["PyHANDLE", "Close"].handle_is_receiver
    assert releases["user32", "CloseClipboard"].takes_no_handle
    assert releases["user32", "CloseClipboard"].arg_index == -1


def test_rules_survive_a_json_round_trip() -> None:
    """The project cache stores rules as ``dataclasses.asdict`` JSON."""
    rules = list(win32_rules().acquires) + list(packaged_table().acquires.values())
    for rule in rules:
        data = json.loads(json.dumps(dataclasses.asdict(rule)))
        again = AcquireRule(**data)
        assert again == rule and hash(again) == hash(rule), rule.name


def test_the_engine_gets_clusapi_and_the_modelled_ctypes_entries() -> None:
    assert engine_table(("clusapi",)) is packaged_table()
    assert engine_table(("clusapi", "pywin32", "winreg")) is packaged_table()
    table = engine_table()
    assert set(packaged_table().acquires) < set(table.acquires)
    assert {"CreateFileW", "CreateFileA", "OpenProcessToken", "OpenClipboard",
            "CreateProcessW", "GetDC"} <= set(table.acquires)
    assert table.skipped == set()
    assert not table.skipped & set(table.acquires)
    assert all(rule.binding == "ctypes" for rule in table.acquires.values())
    kernel32 = engine_table(("kernel32",))
    assert kernel32.dlls == {"kernel32"} and "CreateFileW" in kernel32.acquires
    assert "RegOpenKeyExW" not in kernel32.acquires
    # A Win32 entry matches only through a DLL object: its name is no prefilter word.
    assert all("clus" in name.lower() for name in table.tracked_names)
    assert table.dlls == set(MODELLED) - {"clusapi"}
    # Each release releases the handle types of the acquires naming it.
    assert table.acquires["CreateFileW"].handle_type in table.releases["CloseHandle"].handle_types
    assert table.releases["ReleaseDC"].arg_index == 1
    assert table.releases["CloseClipboard"].takes_no_handle


def test_the_seam_builds_a_table_of_any_pack() -> None:
    """What the engine will get once it models a Win32 pack (MODELLED grows)."""
    table = pack_table(("kernel32", "user32"))
    assert table.acquires["CreateFileA"].handle_type == table.acquires["CreateFileW"].handle_type
    assert table.releases["ReleaseDC"].arg_index == 1
    assert table.releases["CloseHandle"].pack == "kernel32"
    assert "TerminateProcess" in table.does_not_close
    assert "CloseClipboard" in table.releases
    clusapi = pack_table(("clusapi",))
    assert clusapi.acquires == packaged_table().acquires
    assert clusapi.does_not_close == packaged_table().does_not_close


def _broken(name: str, section: str, index: int, **change: object) -> dict[str, Any]:
    data = tomllib.loads(read_data(name))
    entry = dict(data[section][index])
    for key, value in change.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    entries = list(data[section])
    entries[index] = entry
    data[section] = entries
    return data


@pytest.mark.parametrize(("section", "index", "change", "message"), [
    ("acquire", 0, {"handle_type": None},
     "[[acquire]] #1 'CreateFileW': the field 'handle_type' is required"),
    ("acquire", 0, {"release_handle_arg_index": 1},
     "[[acquire]] #1 'CreateFileW': 'release_handle_arg_index' is 1 but 'CloseHandle' "
     "takes the handle at 0"),
    ("acquire", 0, {"self_closng": True},
     "[[acquire]] #1 'CreateFileW': unknown field 'self_closng' (did you mean "
     "'self_closing'?)"),
    ("acquire", 0, {"release": ["CloseHandel"]},
     "[[acquire]] #1 'CreateFileW': 'release' names 'CloseHandel', which no [[release]] "
     "entry defines (did you mean 'CloseHandle'?)"),
    ("acquire", 0, {"dll": None},
     "[[acquire]] #1 'CreateFileW': needs 'dll', 'module' or 'object' to be placed in a "
     "rule pack"),
    ("acquire", 0, {"checked": "yes"},
     "[[acquire]] #1 'CreateFileW': 'checked' must be \"doc-text\" or \"source\", not 'yes'"),
    ("release", 0, {"handle_arg_index": "0"},
     "[[release]] #1 'CloseHandle': 'handle_arg_index' must be an integer, not a string"),
    ("does_not_close", 0, {"documented": "no"},
     "[[does_not_close]] #1 'TerminateProcess': 'documented' must be true or false, not a "
     "string"),
])
def test_packaged_table_errors_name_file_entry_and_field(
        section: str, index: int, change: dict[str, object], message: str) -> None:
    data = _broken(WIN32_FILE, section, index, **change)
    with pytest.raises(RuleError) as exc:
        parse_rule_file(data, "handlelint/data/win32-handles.toml", win32_pack_of)
    assert str(exc.value) == f"handlelint/data/win32-handles.toml: {message}"
