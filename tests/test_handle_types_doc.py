"""The handle-type pages: docs/handle-types.md (the index) and one page per rule pack.

The pages are generated from the packaged tables by :func:`render_pages`; the test keeps
them in sync and prints the expected text of the first page that is not.
``python -m tests.test_handle_types_doc`` writes them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from handlelint.packs import MODELLED, MODULE_PACKS, WIN32_GROUP, Pack, all_packs
from handlelint.packs import unmodelled_fields
from handlelint.packs import win32_rules
from handlelint.pywin32 import PARTIAL_FIELDS, partial_fields, untracked_reason
from handlelint.records import AcquireRule, ReleaseRule
from handlelint.rules import RuleTable, packaged_table

DOCS = Path(__file__).resolve().parent.parent / "docs"
DOC = DOCS / "handle-types.md"
GENERATED = ("<!-- generated from handlelint/data/{file} by tests/test_handle_types_doc.py "
             "(render_pages); do not edit by hand -->")


def _acquirer(name: str, returns_via: str, out_param_index: int | None) -> str:
    if returns_via == "out_param":
        return f"`{name}` (out-parameter, argument {out_param_index})"
    return f"`{name}`"


def _text(text: str) -> str:
    """Free text on one line, with Markdown's special characters shown as they are."""
    return " ".join(text.split()).replace("*", "\\*").replace("<", "&lt;")


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|")


def render_handle_types(table: RuleTable) -> list[str]:
    """The clusapi pack's rows: one per handle type, in the order of the rule table."""
    order: list[str] = []
    acquirers: dict[str, list[str]] = {}
    releasers: dict[str, list[str]] = {}
    for rule in table.acquires.values():
        if rule.handle_type not in acquirers:
            order.append(rule.handle_type)
            acquirers[rule.handle_type] = []
            releasers[rule.handle_type] = []
        acquirers[rule.handle_type].append(
            _acquirer(rule.name, rule.returns_via, rule.out_param_index))
        for release in rule.release:
            if release not in releasers[rule.handle_type]:
                releasers[rule.handle_type].append(release)
    for release_rule in table.releases.values():
        for handle_type in release_rule.handle_types:
            names = releasers.setdefault(handle_type, [])
            if handle_type not in order:
                order.append(handle_type)
                acquirers[handle_type] = []
            if release_rule.name not in names:
                names.append(release_rule.name)
    lines = [
        "A handle written through an out-parameter is owned only when the call returns 0",
        "(ERROR_SUCCESS); its argument is counted from 0. Releasing a handle with a function",
        "of another row is HDL003.",
        "",
        "| handle type | acquired by | released by |",
        "|---|---|---|",
    ]
    for handle_type in order:
        acquired = ", ".join(acquirers[handle_type]) or "-"
        released = ", ".join(f"`{name}`" for name in releasers[handle_type]) or "-"
        lines.append(f"| {handle_type} | {acquired} | {released} |")
    lines += [
        "",
        "## Calls that do not release",
        "",
        "These calls leave their handle open; it still needs its release function:",
        "",
    ]
    lines += [f"- `{name}`" for name in sorted(table.does_not_close)]
    return lines


def _origin(rule: AcquireRule | ReleaseRule) -> str:
    if rule.object_type:
        return f"`{rule.object_type}` method" + (f" ({rule.module})" if rule.module else "")
    if rule.module:
        return f"`{rule.module}`"
    return f"`{rule.dll}.dll`" if rule.dll else "-"


def _returned(rule: AcquireRule) -> str:
    if rule.returns_via == "out_param":
        indexes = rule.out_param_indexes or (rule.out_param_index,)
        text = "out-parameter, argument " + " and ".join(str(i) for i in indexes)
        if rule.out_fields:
            text += " (members " + ", ".join(f"`{f}`" for f in rule.out_fields) + ")"
    elif rule.returns_via == "paired":
        text = "paired call, no handle"
        if rule.pair_key_arg_index is not None:
            text += f" (the partner gets argument {rule.pair_key_arg_index} again)"
    else:
        text = "return value"
    if rule.python_type:
        text += f"; Python type {rule.python_type}"
    return _cell(text)


def _outcome(rule: AcquireRule) -> str:
    parts = []
    if rule.failure_value:
        parts.append(f"fails: {rule.failure_value}")
    if rule.success:
        parts.append(f"owned when it {rule.success}")
    if rule.release_even_on_failure:
        parts.append("released even on failure")
    return _cell("; ".join(parts)) or "-"


def _conditions(rule: AcquireRule) -> str:
    parts = []
    if rule.self_closing:
        parts.append("self-closing object")
    if rule.raises:
        parts.append("raises on failure")
    also = rule.also_releases_if_flag
    closes = f"also closes argument {also.releases_arg_index if also else 0} with"
    for label, flag in (("acquires only with", rule.acquire_if_flag),
                        ("nothing to release with", rule.no_release_if_flag),
                        (closes, also)):
        if flag is not None:
            field = f".{flag.field}" if flag.field else ""
            parts.append(f"{label} {flag.name} in argument {flag.arg_index}{field}")
    if rule.release_by_arg_value is not None:
        choices = ", ".join(f"{v}: `{r}`" for v, r in rule.release_by_arg_value.releases)
        parts.append(f"release by argument {rule.release_by_arg_value.arg_index} ({choices})")
    if rule.release_also_takes is not None:
        takes = rule.release_also_takes
        parts.append(f"the release also gets this call's argument {takes.acquire_arg_index}, "
                     f"as its argument {takes.release_arg_index}")
    if rule.consumes_arg_index is not None:
        parts.append(f"frees argument {rule.consumes_arg_index}")
    if rule.new_handle_only_if_null_arg_index is not None:
        parts.append(f"new handle only when argument "
                     f"{rule.new_handle_only_if_null_arg_index} is NULL")
    return _cell("; ".join(parts)) or "-"


def _release_argument(release: ReleaseRule) -> str:
    if release.handle_is_receiver:
        return "the object (`h.Close()`)"
    if release.takes_no_handle:
        return "none"
    return str(release.arg_index)


def render_pack(pack: Pack) -> str:
    """The page of one pack."""
    lines = [f"# Rule pack `{pack.name}`", "", GENERATED.format(file=pack.file), "",
             "[All packs](../handle-types.md). From: "
             + ", ".join(f"`{s}`" for s in pack.sources) + ".", ""]
    if pack.name == "clusapi":
        lines += ["The engine checks this pack.", ""]
        lines += render_handle_types(packaged_table())
        return "\n".join(lines) + "\n"
    if pack.modelled:
        lines += [
            "The engine checks this pack: its functions are calls where the file imports",
            "their module (`import win32api`, `from win32file import CreateFile`,",
            "`import _winreg as winreg`). Entries listed under *Entries not tracked yet*",
            "are not: their calls count as calls that only look at their arguments and",
            "may raise.",
        ] if pack.name in MODULE_PACKS else [
            "The engine checks the entries of this pack called through a ctypes DLL object",
            "of their DLL (`windll.x`, `WinDLL(\"x\")`, a name bound to one), except the",
            "entries with a field it does not model yet: those are listed at the end and",
            "left out (a call of one is an unknown call). `release_also_takes` is not",
            "checked: the release is matched by its handle argument alone (see",
            "[configuration](../configuration.md#rule-packs)).",
        ]
    else:
        lines += [
            "The engine does not check this pack yet: its entries are loaded, validated and",
            "listed here, and `rules` may name it, but no finding comes from it until the",
            "engine models the fields below (see",
            "[configuration](../configuration.md#rule-packs)).",
        ]
    lines += [
        "Argument indexes count from 0.",
        "",
        "## Acquire",
        "",
        "| function | from | handle type | handed out by | failure and success | conditions "
        "| released by |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in pack.acquires:
        name = f"`{rule.name}`"
        if rule.aliases:
            name += " (also " + ", ".join(f"`{a}`" for a in rule.aliases) + ")"
        released = ", ".join(f"`{r}`" for r in rule.release)
        released += f" (handle at argument {rule.release_handle_arg_index})" \
            if rule.release_handle_arg_index >= 0 else ""
        lines.append(f"| {name} | {_origin(rule)} | {_cell(rule.handle_type)} | "
                     f"{_returned(rule)} | {_outcome(rule)} | {_conditions(rule)} | "
                     f"{released} |")
    if pack.releases:
        lines += ["", "## Release", "", "| function | from | handle argument | handle types |",
                  "|---|---|---|---|"]
        for release in pack.releases:
            name = f"`{release.name}`"
            if release.aliases:
                name += " (also " + ", ".join(f"`{a}`" for a in release.aliases) + ")"
            types = "; ".join(_cell(t) for t in release.handle_types)
            lines.append(f"| {name} | {_origin(release)} | {_release_argument(release)} | "
                         f"{types} |")
    if pack.name in MODULE_PACKS:
        lines += ["", "## Entries not tracked yet", "", "| entry | from | field |",
                  "|---|---|---|"]
        for rule in pack.acquires:
            reason = untracked_reason(rule)
            if reason:
                lines.append(f"| `{rule.name}` | {_origin(rule)} | `{reason}` |")
        partly = [(rule, field) for rule in pack.acquires for field in partial_fields(rule)]
        if partly:
            lines += ["", "## Fields enforced in part", "", "| entry | field | left out |",
                      "|---|---|---|"]
            for rule, field in partly:
                lines.append(f"| `{rule.name}` | `{field}` | {PARTIAL_FIELDS[field]} |")
        return "\n".join(lines) + "\n"
    title = ("Entries left out: fields the engine does not model yet" if pack.modelled
             else "Fields the engine does not enforce yet")
    affected: dict[str, list[str]] = {}
    for rule in pack.acquires:
        for field in unmodelled_fields(rule):
            key = field.split(" = ")[0] if "returns_via" not in field else field
            affected.setdefault(key, []).append(f"`{rule.name}`")
    lines += ["", f"## {title}", ""]
    if not affected:
        lines.append("None: the engine checks every entry of this pack.")
        return "\n".join(lines) + "\n"
    lines += ["| field | entries |", "|---|---|"]
    for field, names in affected.items():
        lines.append(f"| `{field}` | {', '.join(names)} |")
    return "\n".join(lines) + "\n"


def render_win32_notes() -> str:
    """The page of the Win32 table's entries that belong to no pack."""
    rules = win32_rules()
    lines = ["# Win32 table: notes across packs", "",
             GENERATED.format(file="win32-handles.toml"), "",
             "[All packs](../handle-types.md).", "",
             "## Calls that do not release", "",
             "| call | handle argument | still release with | documented | notes |",
             "|---|---|---|---|---|"]
    for d in rules.does_not_close:
        lines.append(f"| `{d.name}` | {d.handle_arg or '-'} | {d.still_release_with or '-'} | "
                     f"{'yes' if d.documented else 'no'} | {_cell(d.notes or '')} |")
    lines += ["", "## Handles not to release, or of unclear ownership", "",
              "| calls | kind | uncertain | notes |", "|---|---|---|---|"]
    for n in rules.non_owning:
        lines.append(f"| {_cell(n.name)} | {_cell(n.kind)} | {'yes' if n.uncertain else 'no'} "
                     f"| {_cell(n.notes or '')} |")
    lines += ["", "## Lifetime rules", ""]
    for rule in rules.lifetime_rules:
        where = "documented" if rule.documented else "not stated on a reference page"
        lines.append(f"- **{rule.rule}** ({where}): {_text(rule.text)}")
    for table, items in rules.notes:
        lines += ["", f"## Notes: `{table}`", ""]
        for key, text in items:
            shown = text if isinstance(text, str) else ", ".join(f"`{t}`" for t in text)
            lines.append(f"- **{key}**: {_text(shown)}")
    return "\n".join(lines) + "\n"


def render_index(packs: tuple[Pack, ...]) -> str:
    """docs/handle-types.md: the packs, what they cover and where each page is."""
    lines = [
        "# Handle types and rule packs",
        "",
        GENERATED.format(file="*.toml"),
        "",
        "What handlelint knows about Windows handles comes in rule packs, shipped as package",
        "data: `handlelint/data/clusapi-handles.toml` is the `clusapi` pack, and",
        "`handlelint/data/win32-handles.toml` is split into one pack per DLL (ctypes",
        "entries), `pywin32` (every pywin32 module and object) and one pack per",
        "standard-library module (`winreg` with its `HKEYType` objects, `_winapi`).",
        f"`{WIN32_GROUP}` names every pack of the Win32 table. All packs are on by default;",
        "`rules` in `[tool.handlelint]` narrows them (see",
        "[configuration](configuration.md#rule-packs)).",
        "",
        "| pack | from | acquire entries | release entries | checked by the engine |",
        "|---|---|---|---|---|",
    ]
    for pack in packs:
        sources = ", ".join(f"`{s}`" for s in pack.sources)
        checked = ("yes" if pack.name == "clusapi" or pack.name in MODULE_PACKS else
                   f"yes, {sum(1 for r in pack.acquires if not unmodelled_fields(r))} of "
                   f"{len(pack.acquires)}" if pack.name in MODELLED else "not yet")
        lines.append(f"| [{pack.name}](packs/{pack.name}.md) | {sources} | "
                     f"{len(pack.acquires)} | {len(pack.releases)} | {checked} |")
    lines += ["", "Calls of the Win32 table that do not release, handles that must not be",
              "released, and the rules that cross packs: [Win32 notes](packs/win32-notes.md).",
              "A function with aliases counts once."]
    return "\n".join(lines) + "\n"


def render_pages() -> dict[Path, str]:
    """Every generated page, by path."""
    packs = all_packs()
    pages = {DOC: render_index(packs), DOCS / "packs" / "win32-notes.md": render_win32_notes()}
    for pack in packs:
        pages[DOCS / "packs" / f"{pack.name}.md"] = render_pack(pack)
    return pages


PAGES = render_pages()


@pytest.mark.parametrize("path", sorted(PAGES), ids=lambda p: p.name)
def test_pages_in_sync(path: Path) -> None:
    expected = PAGES[path]
    actual = path.read_text(encoding="utf-8") if path.exists() else ""
    assert actual == expected, (
        f"{path.relative_to(DOCS.parent)} is out of date (python -m "
        f"tests.test_handle_types_doc writes it); expected:\n{expected}")


def test_no_stale_pack_page() -> None:
    pages = {p.name for p in (DOCS / "packs").glob("*.md")}
    assert pages == {p.name for p in PAGES if p.parent.name == "packs"}


def test_every_handle_function_is_listed() -> None:
    for pack in all_packs():
        text = (DOCS / "packs" / f"{pack.name}.md").read_text(encoding="utf-8")
        for rule in pack.acquires:
            for name in rule.names:
                assert f"`{name}`" in text, (pack.name, name)
        for release in pack.releases:
            assert f"`{release.name}`" in text, (pack.name, release.name)
    text = (DOCS / "packs" / "clusapi.md").read_text(encoding="utf-8")
    for name in packaged_table().does_not_close:
        assert f"`{name}`" in text, name
    notes = (DOCS / "packs" / "win32-notes.md").read_text(encoding="utf-8")
    for d in win32_rules().does_not_close:
        assert f"`{d.name}`" in notes, d.name


if __name__ == "__main__":
    for page, text in PAGES.items():
        page.parent.mkdir(exist_ok=True)
        page.write_text(text, encoding="utf-8")
        print(page)
