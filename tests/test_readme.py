"""The README stays true to the code: its codes table, its pack table and its opening
commands."""

from __future__ import annotations

from pathlib import Path

from handlelint.codes import CODES
from handlelint.packs import all_packs

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
        "python3 -m venv .venv && . .venv/bin/activate",
        "pip install . && handlelint examples/",
        "pip install -e '.[test]' && python -m pytest",
    ]


def test_ci_runs_the_readme_test_command() -> None:
    """``.ci/run`` runs the README's test command on each Python it finds."""
    text = README.read_text(encoding="utf-8")
    command = text.split("```\n", 2)[1].splitlines()[-1].split(" && ")[-1]
    assert command == "python -m pytest"
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert f"{command} < /dev/null" in ci


def test_readme_shows_what_the_example_run_prints() -> None:
    """The findings the README shows for ``handlelint examples/``, line for line."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "handlelint", "--jobs", "1", "examples/"],
                          capture_output=True, text=True, cwd=README.parent, timeout=300)
    assert proc.returncode == 1
    text = README.read_text(encoding="utf-8")
    shown = text.split("exits with status **1**", 1)[1].split("```\n", 2)[1]
    assert shown.splitlines() == proc.stdout.splitlines()


def test_the_readme_lists_every_rule_pack() -> None:
    """The README's pack table names every pack with its page and its acquire count."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| pack | calls from | acquiring entries |"):]
    table = table[:table.index("\n\n")]
    rows = {line.split("|")[1].strip(): line.split("|")[3].strip()
            for line in table.splitlines()[2:]}
    assert rows == {f"[{p.name}](docs/packs/{p.name}.md)": str(len(p.acquires))
                    for p in all_packs()}
