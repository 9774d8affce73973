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
SKIPPED: dict[str, str] = {}


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
            "INVALID_HANDLE_VALUE = wintypes.HANDLE(-1).value", "", "def f(key):"]
    success = (rule.success or "").lower()
    nonzero = "nonzero" in success or "number of" in success or "non-null" in success
    status_fails = "    if not status:" if nonzero else "    if status != 0:"
    handles: list[str] = []
    body: list[str] = []
    flags: dict[int, str] = {}  # the flag that makes the call hand out a handle
    member = ""  # a flag in a member of a structure argument: set before the call
    if rule.acquire_if_flag is not None and rule.acquire_if_flag.field is not None:
        member = f"{rule.acquire_if_flag.field} = {rule.acquire_if_flag.name}"
    elif rule.acquire_if_flag is not None:
        flags[rule.acquire_if_flag.arg_index] = rule.acquire_if_flag.name
    if rule.no_release_if_flag is not None:
        flags[rule.no_release_if_flag.arg_index] = "0"
    if rule.also_releases_if_flag is not None:  # DuplicateHandle: into this process
        flags[2] = "acq.GetCurrentProcess()"
    index = rule.release_handle_arg_index
    # else HDL008: the handle is passed to the release (at its index)
    count = 0 if rule.returns_via == "paired" and rule.pair_key_arg_index is None else index + 1
    head.insert(4, f"rel.{release}.argtypes = [{', '.join(['wintypes.HANDLE'] * count)}]")
    if rule.returns_via == "return":
        head.insert(4, f"acq.{name}.restype = wintypes.HANDLE")  # else HDL007
        body.append(f"    h = acq.{name}({_args(max([3, *flags]) + 1, flags)})")
        fails = ("    if h == INVALID_HANDLE_VALUE:" if "INVALID" in (rule.failure_value or "")
                 else "    if not h:")
        body += [fails, "        raise OSError()"]
        handles.append("h")
    elif rule.returns_via == "paired":
        key = {rule.pair_key_arg_index: "key"} if rule.pair_key_arg_index is not None else {}
        body += [f"    status = acq.{name}({_args(4, key)})", status_fails,
                 "        raise OSError()"]
        if key:
            handles.append("key")  # the partner gets the same argument
    else:
        indexes = rule.out_param_indexes or (rule.out_param_index or 0,)
        out: dict[int, str] = dict(flags)
        for i in indexes:
            var = f"out{i}"
            body.append(f"    {var} = wintypes.HANDLE()")
            if member and rule.acquire_if_flag and i == rule.acquire_if_flag.arg_index:
                body.append(f"    {var}.{member}")
            out[i] = f"byref({var})"
            if rule.out_fields and i == rule.out_param_index:
                handles += [f"{var}.{field}" for field in rule.out_fields]
            else:
                handles.append(var)
        body.append(f"    status = acq.{name}({_args(max([*indexes, *flags]) + 1, out)})")
        if not rule.release_even_on_failure:
            body += [status_fails, "        raise OSError()"]
    released = []
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


@pytest.mark.parametrize(("rule", "name"), [
    (rule, rule.name) for rule in _entries() if engine_entry(rule)
    and (rule.acquire_if_flag or rule.no_release_if_flag)],
    ids=lambda x: x if isinstance(x, str) else "")
def test_without_the_flag_nothing_is_handed_out(rule: AcquireRule, name: str) -> None:
    """The flag turned the other way (or a variable): no handle, so no finding."""
    leak, _ = _snippets(rule, name)
    condition = rule.acquire_if_flag or rule.no_release_if_flag
    assert condition is not None
    flag = condition.name if rule.acquire_if_flag else "0"
    other = "0" if rule.acquire_if_flag else f"{condition.name} | 1"
    for value in (other, "flags"):
        changed = leak.replace(f"({flag}, ", f"({value}, ").replace(f", {flag})", f", {value})")
        changed = changed.replace(f", {flag}, ", f", {value}, ")
        changed = changed.replace(f"= {flag}\n", f"= {value}\n")
        assert changed != leak
        assert check_source(changed, "flags.py", strict=True) == [], changed
