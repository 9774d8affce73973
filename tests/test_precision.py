"""Messages of the precision fixtures (``fixtures/precision``): what each finding names."""

from __future__ import annotations

from handlelint.engine import check_source
from tests.fixture_marks import FIXTURES


def _messages(name: str) -> dict[int, str]:
    path = FIXTURES / "precision" / name
    return {f.line: f"{f.code} {f.message}" for f in check_source(path.read_bytes(), str(path))}


def _line_of(name: str, text: str) -> int:
    lines = (FIXTURES / "precision" / name).read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_hdl002_names_the_most_plausible_raising_call() -> None:
    name = "exception_model.py"
    start = _line_of(name, "def monotonic_then_project_call")
    line = start + 2
    assert _messages(name)[line] == (
        "HDL002 group handle 'hg' from OpenClusterGroup() is not closed with "
        f"CloseClusterGroup() if record_state() raises at line {line + 4}")


def test_hdl002_names_the_errcheck_function() -> None:
    name = "exception_model.py"
    line = _line_of(name, "def errcheck_may_raise") + 2
    assert _messages(name)[line].endswith(f"if ReadFile() raises at line {line + 3}")


def test_hdl002_passes_over_a_sort_for_the_project_call() -> None:
    name = "exception_model.py"
    line = _line_of(name, "def sort_then_project_call") + 2
    assert _messages(name)[line].endswith(f"if record_state() raises at line {line + 4}")
