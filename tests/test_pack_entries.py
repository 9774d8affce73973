"""Every acquire entry of the module packs (pywin32, winreg, _winapi), and each alias.

For each, snippets in the idiom its fields imply: the call through its module, the
handle at the release's argument index (the other arguments the ones the release must
also get), a leak on an early return (HDL001) and the same code releasing in ``finally``
(nothing). Self-closing objects: dropped without a release (nothing), closed explicitly
(nothing, or HDL004 where that close leaves the object armed, ``disarms_self_closing =
false``), and a plain handle from ``Detach()`` leaked (HDL001) or released (nothing).
Entries the engine does not track yet are skipped by name, with the reason the pack's
page lists (:func:`handlelint.pywin32.untracked_reason`).
"""

from __future__ import annotations

import pytest

from handlelint.engine import check_source
from handlelint.packs import MODULE_PACKS, all_packs
from handlelint.pywin32 import detached_rule, handle_positions, module_rules, untracked_reason
from handlelint.records import AcquireRule

RULES = module_rules()
ENTRIES = [(rule, name) for pack in all_packs() if pack.name in MODULE_PACKS
           for rule in pack.acquires for name in rule.names]
TRACKED = [(rule, name) for rule, name in ENTRIES if not untracked_reason(rule)]
#: Self-closing types without ``Detach`` (not PyHANDLE subclasses): nothing to detach.
NO_DETACH = {(r.module, n) for r, n in TRACKED
             if r.self_closing and detached_rule(r, RULES) is None}


def _id(entry: tuple[AcquireRule, str]) -> str:
    return f"{entry[0].module}.{entry[1]}"


def _call(rule: AcquireRule, name: str) -> str:
    args = [f"a{i}" for i in range(6)]
    if rule.new_handle_only_if_null_arg_index is not None:
        args[rule.new_handle_only_if_null_arg_index] = "None"
    call = f"{rule.module}.{name}({', '.join(args)})"
    positions = handle_positions(rule)
    if positions:
        size = len((rule.python_type or "").split(" or ")[0].split(","))
        names = [_handle_name(positions.index(i)) if i in positions else f"_x{i}"
                 for i in range(size)]
        return f"{', '.join(names)} = {call}"
    return f"h = {call}"


def _handle_name(number: int) -> str:
    return "h" if number == 0 else f"h{number}"


def _releases(rule: AcquireRule, indent: str) -> tuple[str, str]:
    """Release statements for every handle of the result (one per line)."""
    count = max(len(handle_positions(rule)), 1)
    found = [_release(rule, _handle_name(i)) for i in range(count)]
    return "\n".join(indent + text for text, _ in found), found[0][1]


def _release(rule: AcquireRule, handle: str) -> tuple[str, str]:
    """The release statement of ``handle`` and the module it needs imported."""
    qualified = rule.release[0]
    qualifier, _, function = qualified.rpartition(".")
    found = RULES.releases.get((qualifier, function))
    if found is None:  # a method of the object
        return f"{handle}.{function}()", ""
    args = [f"a{i}" for i in range(max(found.arg_index, 0) + 1)]
    if rule.returns_via == "paired":  # ``CloseClipboard()``, ``EndPaint(hwnd, ...)``
        if found.arg_index < 0:
            return f"{qualifier}.{function}()", qualifier
        assert rule.pair_key_arg_index is not None
        args[found.arg_index] = f"a{rule.pair_key_arg_index}"
        return f"{qualifier}.{function}({', '.join(args)})", qualifier
    also = rule.release_also_takes
    if also is not None and also.release_arg_index < len(args):
        args[also.release_arg_index] = f"a{also.acquire_arg_index}"
    args[found.arg_index] = handle
    return f"{qualifier}.{function}({', '.join(args)})", qualifier


def _disarms(rule: AcquireRule) -> bool | None:
    """Does the entry's first release disarm the self-closing object?"""
    qualifier, _, function = rule.release[0].rpartition(".")
    found = RULES.releases.get((qualifier, function)) or RULES.methods.get((qualifier, function))
    return None if found is None else found.disarms_self_closing


def _snippet(rule: AcquireRule, name: str, body: str, module: str) -> str:
    imports = {rule.module or "", module} - {""}
    header = "".join(f"import {m}\n" for m in sorted(imports))
    return (f"{header}\n\ndef f(a0, a1, a2, a3, a4, a5, flag):\n"
            f"    {_call(rule, name)}\n{body}")


def _codes(source: str) -> list[str]:
    return [f.code for f in check_source(source, "entry.py")]


@pytest.mark.parametrize("entry", TRACKED, ids=_id)
def test_entry(entry: tuple[AcquireRule, str]) -> None:
    rule, name = entry
    if rule.self_closing:
        dropped = _snippet(rule, name, "    if flag:\n        return None\n    return a0\n", "")
        assert _codes(dropped) == [], dropped
        release, module = _releases(rule, "    ")
        closed = _snippet(rule, name, f"{release}\n", module)
        # A close that leaves the object armed is repeated at collection (HDL004).
        armed = _disarms(rule) is False
        assert _codes(closed) == (["HDL004"] if armed else []), closed
        return
    release, module = _releases(rule, "    ")
    leak = _snippet(rule, name, f"    if flag:\n        return None\n{release}\n", module)
    assert "HDL001" in _codes(leak), leak
    release, module = _releases(rule, "        ")
    clean = _snippet(rule, name, f"    try:\n        if flag:\n            return None\n"
                                 f"    finally:\n{release}\n", module)
    assert _codes(clean) == [], clean


DETACHABLE = [entry for entry in TRACKED
              if entry[0].self_closing and (entry[0].module, entry[1]) not in NO_DETACH]


@pytest.mark.parametrize("entry", DETACHABLE, ids=_id)
def test_detached(entry: tuple[AcquireRule, str]) -> None:
    rule, name = entry
    plain = detached_rule(rule, RULES)
    assert plain is not None
    release, module = _release(plain, "raw")
    leak = _snippet(rule, name, f"    raw = h.Detach()\n    if flag:\n        return None\n"
                                f"    {release}\n", module)
    assert _codes(leak) == ["HDL001"], leak
    clean = _snippet(rule, name, f"    raw = h.Detach()\n    try:\n        if flag:\n"
                                 f"            return None\n    finally:\n        {release}\n",
                     module)
    assert _codes(clean) == [], clean


def test_the_skipped_entries_are_named() -> None:
    """Skipped entries: the untracked ones (listed on the pack pages) and the
    self-closing types that have no ``Detach``."""
    skipped = {f"{r.module or r.object_type}.{n}" for r, n in ENTRIES if untracked_reason(r)}
    assert skipped == {
        "win32gui.ExtractIconEx", "win32ui.CreateCompatibleDC",
    }
    assert {f"{m}.{n}" for m, n in NO_DETACH} == {
        "win32service.OpenInputDesktop", "win32service.OpenDesktop",
        "win32service.CreateDesktop", "win32crypt.CertOpenStore",
        "win32crypt.CertOpenSystemStore", "win32crypt.CryptAcquireContext",
    }
    assert len(TRACKED) + len(skipped) == len(ENTRIES)
