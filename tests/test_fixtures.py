"""Every fixture gives exactly the findings its ``# error:`` marks expect."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlelint.engine import check_source
from tests.fixture_marks import ROOT, expected_marks, fixture_files


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_fixture(path: Path) -> None:
    findings = check_source(path.read_bytes(), str(path), strict=True)
    got = {(f.line, f.code) for f in findings}
    assert sorted(got) == sorted(expected_marks(path))


def test_there_are_enough_cases() -> None:
    marks = sum(len(expected_marks(p)) for p in fixture_files())
    assert marks >= 80
