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


PROJECTS = FIXTURES / "projects"


def fixture_files() -> list[Path]:
    """Every single-file fixture and example file, in a stable order (the fixture
    projects under ``fixtures/projects`` are checked as projects)."""
    return sorted(p for p in FIXTURES.rglob("*.py") if PROJECTS not in p.parents) + sorted(
        EXAMPLES.rglob("*.py"))


def project_dirs() -> list[Path]:
    """The fixture projects: each folder of ``fixtures/projects`` with its own layout."""
    return sorted(p for p in PROJECTS.iterdir() if p.is_dir())


#: Fixture projects whose marks hold only under their own ``[tool.handlelint]`` table
#: (configured names): checked from their own folder, not in a run over every fixture.
OWN_CONFIGURATION = frozenset({"dll_factory", "qualified_names"})


def project_marks(root: Path) -> set[tuple[str, int, str]]:
    """(path relative to the project, line, code) for every mark of a fixture project."""
    return {(p.relative_to(root).as_posix(), line, code)
            for p in sorted(root.rglob("*.py")) for line, code in expected_marks(p)}
