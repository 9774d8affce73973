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
    steps = _steps("fixtures/core/loops.py", 48)
    assert [s.text for s in steps] == [
        "group handle acquired by OpenClusterGroup()",
        "`hg` is true",
        "enters the loop",
        "the handle is acquired again before the previous one was closed",
    ]


def test_no_steps_without_explain() -> None:
    findings = check_source((ROOT / "examples/cluster_maintenance.py").read_bytes())
    assert all(f.steps == () for f in findings)
