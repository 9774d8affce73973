"""The README stays true to the code: its codes table and its opening commands."""

from __future__ import annotations

from pathlib import Path

from handlelint.codes import CODES

README = Path(__file__).resolve().parent.parent / "README.md"
TABLE_START = "<!-- codes table: generated from handlelint.codes.CODES"
TABLE_END = "<!-- end of codes table -->"


def render_codes_table() -> str:
    """The README's table of codes, as generated from the code table."""
    rows = ["| code | title | description |", "|---|---|---|"]
    rows += [f"| {c.code} | {c.title} | {c.description} |" for c in CODES.values()]
    return "\n".join(rows)


def test_codes_table_in_sync() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n", text.index(TABLE_START)) + 1
    table = text[start:text.index(TABLE_END)].strip()
    assert table == render_codes_table(), (
        "README.md's codes table is out of date; replace it with:\n" + render_codes_table())


def test_readme_opens_with_the_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```\n", 2)[1]
    assert first_block.splitlines() == [
        "pip install . && handlelint examples/",
        "pip install -e '.[test]' && python -m pytest",
    ]
