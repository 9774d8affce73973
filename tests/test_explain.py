"""``explain=True``: each leak finding carries the steps of one leaking path."""

from __future__ import annotations

from pathlib import Path

from handlelint.engine import check_source
from handlelint.findings import Step

ROOT = Path(__file__).resolve().parent.parent


def _steps(path: str, line: int) -> tuple[Step, ...]:
    findings = check_source((ROOT / path).read_bytes(), path, explain=True)
    (finding,) = [f for f in findings if f.line == line]
    return finding.steps


def test_early_return_path() -> None:
    assert _steps("examples/cluster_maintenance.py", 138) == (
        Step(138, "cluster handle acquired by GetClusterFromGroup()"),
        Step(139, "`hc` is true"),
        Step(143, "`rc not in (ERROR_SUCCESS, ERROR_MORE_DATA)` is true"),
        Step(145, "`return None`"),
        Step(145, "returns with the handle open"),
    )


def test_exception_path_goes_through_the_named_call() -> None:
    """The named call is the most plausible raiser (the sleep), not the clock read."""
    steps = _steps("examples/cluster_maintenance.py", 185)
    assert steps[0] == Step(185, "node handle acquired by OpenClusterNode()")
    assert Step(198, "`time.sleep(5)` raises") in steps
    assert steps[-1] == Step(
        198, "time.sleep() raises and leaves the scope by an exception with the handle open")


def test_loop_back_to_a_second_acquire() -> None:
    steps = _steps("fixtures/core/loops.py", 62)
    assert [s.text for s in steps] == [
        "group handle acquired by OpenClusterGroup()",
        "`hg` is true",
        "next iteration of the loop at line 61",
        "the handle is acquired again before the previous one was closed",
    ]


def test_no_steps_without_explain() -> None:
    findings = check_source((ROOT / "examples/cluster_maintenance.py").read_bytes())
    assert all(f.steps == () for f in findings)


def _precision_steps(function: str) -> list[str]:
    """The step texts of the one leak finding of ``function`` in explain_paths.py."""
    path = ROOT / "fixtures" / "precision" / "explain_paths.py"
    lines = path.read_text("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines, 1) if line.startswith(f"def {function}("))
    findings = [f for f in check_source(path.read_bytes(), str(path), explain=True)
                if f.line > start and f.steps]
    finding = min(findings, key=lambda f: f.line)
    return [f"{s.line - start}: {s.text}" for s in finding.steps]


def test_raise_inside_if_call_is_the_condition_then_the_raise() -> None:
    assert _precision_steps("raise_when_check_fails") == [
        "1: group handle acquired by OpenClusterGroup()",
        "2: `hg` is true",
        "4: `is_protected(name)` is true",
        "5: `raise PermissionError(name)`",
        "5: leaves the scope by an exception with the handle open",
    ]


def test_while_back_edge_is_the_next_iteration() -> None:
    assert _precision_steps("reopen_in_while") == [
        "3: group handle acquired by OpenClusterGroup()",
        "2: next iteration of the loop at line 28",
        "2: `i < len(names)` is true",
        "3: the handle is acquired again before the previous one was closed",
    ]


def test_multi_item_with_names_the_item() -> None:
    steps = _precision_steps("second_with_item_raises")
    assert "4: `open_audit_log(name) as log` raises" in steps
    assert steps[-1] == (
        "4: open_audit_log() raises and leaves the scope by an exception with the handle open")


def test_message_names_the_exit_of_the_explained_path() -> None:
    path = ROOT / "fixtures" / "precision" / "explain_paths.py"
    for finding in check_source(path.read_bytes(), str(path), explain=True):
        if finding.code == "HDL001" and "returns at line" in finding.message:
            line = int(finding.message.rsplit(" ", 1)[-1])
            assert finding.steps[-1] == Step(line, "returns with the handle open")


def test_except_clause_is_entered_at_its_own_line() -> None:
    assert _precision_steps("handler_returns") == [
        "1: group handle acquired by OpenClusterGroup()",
        "2: `hg` is true",
        "5: `is_protected(name)` raises",
        "7: enters the except clause",
        "7: `return None`",
        "7: is_protected() raises and returns with the handle open",
    ]
