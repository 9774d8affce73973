"""Writers that turn the findings of a run into one output format each.

A writer takes the run's reports, already filtered and sorted, and a text stream.
Only ``text`` exists today; ``json``, ``sarif`` and ``github`` are planned as further
writer functions registered in :data:`WRITERS`, so the command line needs no change.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence, TextIO

from handlelint.findings import Finding


class Report(NamedTuple):
    """One finding together with the path of the file it was found in."""

    path: str
    finding: Finding


def sort_key(report: Report) -> tuple[str, int, int, str]:
    """The order of the output: path, then line, then column, then code."""
    f = report.finding
    return (report.path, f.line, f.col, f.code)


def format_text(report: Report) -> str:
    """``path:line:col: CODE message``, the column 1-based as flake8 prints it."""
    f = report.finding
    return f"{report.path}:{f.line}:{f.col + 1}: {f.text}"


def write_text(reports: Sequence[Report], out: TextIO) -> None:
    """One flake8-style line per finding."""
    for report in reports:
        out.write(format_text(report) + "\n")


Writer = Callable[[Sequence[Report], TextIO], None]

#: Output formats by the name ``--format`` takes.
WRITERS: dict[str, Writer] = {
    "text": write_text,
}
