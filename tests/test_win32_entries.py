"""Every ctypes entry of every Win32 pack, and each alias, checked in its own idiom.

For each name a leaking and a clean snippet are generated from the entry's fields: the
DLL object of its DLL, how the handle is handed out (returned, written to one or more
out-parameters or structure members, or a paired call with no handle), the failure
check its failure value or success result implies, and the release with the handle at
its argument index (and the release's own DLL). The leak must give HDL001 and nothing
else; the clean form nothing. Entries with a field the engine does not model yet are
skipped by name (:data:`SKIPPED`, listed on the packs' pages as well).
"""

from __future__ import annotations

import pytest

from handlelint.engine import check_source
from handlelint.packs import WIN32_FILE, all_packs, engine_entry, unmodelled_fields, win32_rules
from handlelint.records import AcquireRule

#: The ctypes entries left out, with the field the engine does not model yet.
SKIPPED = {
    "GetModuleHandleExW": "no_release_if_flag",
    "GlobalLock": "pair_key_arg_index",
    "FormatMessageW": "acquire_if_flag",
    "DuplicateHandle": "also_releases_if_flag",
    "CreateIoCompletionPort": "new_handle_only_if_null_arg_index",
    "CryptAcquireContextW": "no_release_if_flag",
    "BeginPaint": "pair_key_arg_index",
    "RegisterHotKey": "pair_key_arg_index",
    "LoadImageW": "no_release_if_flag",
    "CreateIconFromResourceEx": "no_release_if_flag",
    "AddFontResourceExW": "pair_key_arg_index",
    "ShellExecuteExW": "acquire_if_flag",
    "SHGetFileInfoW": "acquire_if_flag",
    "CertEnumCertificatesInStore": "consumes_arg_index",
    "CertFindCertificateInStore": "consumes_arg_index",
    "SymInitialize": "pair_key_arg_index",
}


def _entries() -> list[AcquireRule]:
    return [rule for pack in all_packs() if pack.file == WIN32_FILE
            for rule in pack.acquires if rule.binding == "ctypes"]


def _cases() -> list[tuple[AcquireRule, str]]:
    return [(rule, name) for rule in _entries() if engine_entry(rule) for name in rule.names]


def test_the_skipped_entries_are_the_unmodelled_ones() -> None:
    skipped = {rule.name: unmodelled_fields(rule) for rule in _entries()
               if not engine_entry(rule)}
    assert set(skipped) == set(SKIPPED)
    for name, field in SKIPPED.items():
        assert field in skipped[name], name
    assert len(_cases()) > 250


def _release_dll(name: str) -> str:
    for release in win32_rules().releases:
        if release.binding == "ctypes" and name in release.names:
            assert release.dll is not None
            return release.dll.lower()
    raise AssertionError(name)


def _args(count: int, out: dict[int, str]) -> str:
    return ", ".join(out.get(i, "None") for i in range(count))


def _snippets(rule: AcquireRule, name: str) -> tuple[str, str]:
    """(leaking, clean) source for one entry's name."""
    assert rule.dll is not None
    dll, release = rule.dll.lower(), rule.release[0]
    head = ["import ctypes", "from ctypes import byref, wintypes",
            f'acq = ctypes.WinDLL("{dll}", use_last_error=True)',
            f'rel = ctypes.WinDLL("{_release_dll(release)}")',
            "INVALID_HANDLE_VALUE = wintypes.HANDLE(-1).value", "", "def f():"]
    nonzero = "nonzero" in (rule.success or "") or "number of" in (rule.success or "")
    status_fails = "    if not status:" if nonzero else "    if status != 0:"
    handles: list[str] = []
    body: list[str] = []
    if rule.returns_via == "return":
        body.append(f"    h = acq.{name}(None, None, None)")
        fails = ("    if h == INVALID_HANDLE_VALUE:" if "INVALID" in (rule.failure_value or "")
                 else "    if not h:")
        body += [fails, "        raise OSError()"]
        handles.append("h")
    elif rule.returns_via == "paired":
        body += [f"    status = acq.{name}(None, None)", status_fails, "        raise OSError()"]
    else:
        indexes = rule.out_param_indexes or (rule.out_param_index or 0,)
        out: dict[int, str] = {}
        for i in indexes:
            var = f"out{i}"
            body.append(f"    {var} = wintypes.HANDLE()")
            out[i] = f"byref({var})"
            if rule.out_fields and i == rule.out_param_index:
                handles += [f"{var}.{field}" for field in rule.out_fields]
            else:
                handles.append(var)
        body.append(f"    status = acq.{name}({_args(max(indexes) + 1, out)})")
        if not rule.release_even_on_failure:
            body += [status_fails, "        raise OSError()"]
    released = []
    index = rule.release_handle_arg_index
    for handle in handles or [None]:
        if handle is None:
            released.append(f"    rel.{release}()")
        else:
            args = _args(index + 1, {index: handle})
            released.append(f"    rel.{release}({args})")
    leak = head + body
    if rule.release_even_on_failure:  # the buffer is owned whatever the status says
        leak += ["    if status != 0:", "        raise OSError()"] + released
    else:
        leak += ["    if ready():", "        return 0"] + released
    clean = head + body + released
    return "\n".join(leak) + "\n", "\n".join(clean) + "\n"


@pytest.mark.parametrize(("rule", "name"), _cases(), ids=lambda x: x if isinstance(x, str) else "")
def test_entry(rule: AcquireRule, name: str) -> None:
    leak, clean = _snippets(rule, name)
    found = check_source(leak, "leak.py", strict=True)
    assert found and {f.code for f in found} == {"HDL001"}, (leak, found)
    assert all(f"from {name}()" in f.message for f in found), found
    assert check_source(clean, "clean.py", strict=True) == [], clean
