"""Reading the expected findings written into fixture files as ``# error: HDL001`` marks."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EXAMPLES = ROOT / "examples"

_MARK = re.compile(r"#\s*error:\s*(HDL\d{3}(?:\s*,\s*HDL\d{3})*)")


def expected_marks(path: Path) -> set[tuple[int, str]]:
    """The (line, code) pairs a fixture file expects."""
    found = set()
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        match = _MARK.search(line)
        if match:
            for code in match.group(1).split(","):
                found.add((number, code.strip()))
    return found


def fixture_files() -> list[Path]:
    """Every fixture and example file, in a stable order."""
    return sorted(FIXTURES.rglob("*.py")) + sorted(EXAMPLES.rglob("*.py"))
