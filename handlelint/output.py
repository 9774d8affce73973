"""Writers that turn the findings of a run into one output format each.

A writer takes the run's reports, already filtered and sorted, a text stream, and
whether ``--explain`` asked for the steps of each leaking path. Formats, by the name
``--format`` takes (see ``docs/output-formats.md``):

- ``text``: flake8's ``path:line:col: CODE message``, steps indented below;
- ``json``: a list of objects with path, line, col, code, message and steps;
- ``sarif``: SARIF 2.1.0, one run, one rule per code, ``codeFlows`` for the steps;
- ``github``: GitHub Actions workflow commands (``::error file=...::...``).

Columns are 1-based in every format, as flake8 prints them.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path
from typing import Any, NamedTuple, Protocol, Sequence, TextIO

from handlelint import __version__
from handlelint.codes import CODES
from handlelint.findings import Finding, Step

#: Where the project lives; SARIF's ``informationUri``.
PROJECT_URL = "https://github.com/handlelint/handlelint"
#: The base of every code's documentation page: ``DOCS_URL + "codes/HDL001.md"`` is
#: the ``helpUri`` of HDL001's SARIF rule (the page is ``docs/codes/HDL001.md``).
DOCS_URL = PROJECT_URL + "/blob/main/docs/"
#: The SARIF schema the ``sarif`` format follows.
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
#: SARIF's name for the folder relative ``uri`` values start from (the current folder).
SRCROOT = "%SRCROOT%"
#: HDL000 means the file was not checked at all; every other code is a finding in it.
ERROR_CODES = frozenset({"HDL000"})


class Report(NamedTuple):
    """One finding together with the path of the file it was found in."""

    path: str
    finding: Finding


class Writer(Protocol):
    """Writes ``reports`` to ``out``; with ``explain``, each finding's steps too."""

    def __call__(self, reports: Sequence[Report], out: TextIO, explain: bool = False) -> None:
        ...


def sort_key(report: Report) -> tuple[str, int, int, str]:
    """The order of the output: path, then line, then column, then code."""
    f = report.finding
    return (report.path, f.line, f.col, f.code)


def _steps(report: Report, explain: bool) -> tuple[Step, ...]:
    return report.finding.steps if explain else ()


def step_line(step: Step) -> str:
    """One step as ``--explain`` prints it under the finding: ``    line 12: text``."""
    return f"    line {step.line}: {step.text}"


# --- text --------------------------------------------------------------------------------


def format_text(report: Report) -> str:
    """``path:line:col: CODE message``, the column 1-based as flake8 prints it."""
    f = report.finding
    return f"{report.path}:{f.line}:{f.col + 1}: {f.text}"


def write_text(reports: Sequence[Report], out: TextIO, explain: bool = False) -> None:
    """One flake8-style line per finding, and with ``explain`` its steps indented below."""
    for report in reports:
        out.write(format_text(report) + "\n")
        for step in _steps(report, explain):
            out.write(step_line(step) + "\n")


# --- json --------------------------------------------------------------------------------


def json_object(report: Report, explain: bool = False) -> dict[str, Any]:
    """The JSON object of one finding; ``steps`` is empty without ``explain``."""
    f = report.finding
    return {
        "path": report.path,
        "line": f.line,
        "col": f.col + 1,
        "code": f.code,
        "message": f.message,
        "steps": [{"line": s.line, "text": s.text} for s in _steps(report, explain)],
    }


def write_json(reports: Sequence[Report], out: TextIO, explain: bool = False) -> None:
    """A JSON list with one object per finding (``[]`` when there is none)."""
    json.dump([json_object(r, explain) for r in reports], out, indent=2, ensure_ascii=False)
    out.write("\n")


# --- sarif -------------------------------------------------------------------------------


def _rule_name(title: str) -> str:
    """SARIF's ``name`` of a rule: its title in PascalCase (``HandleReleasedTwice``)."""
    words = "".join(c if c.isalnum() else " " for c in title).split()
    return "".join(w[:1].upper() + w[1:] for w in words)


def level(code: str) -> str:
    """SARIF's level of a code: ``error`` for HDL000 (file not checked), else ``warning``."""
    return "error" if code in ERROR_CODES else "warning"


def sarif_rules() -> list[dict[str, Any]]:
    """One ``reportingDescriptor`` per code of :data:`handlelint.codes.CODES`, in order."""
    return [
        {
            "id": c.code,
            "name": _rule_name(c.title),
            "shortDescription": {"text": c.title},
            "fullDescription": {"text": c.description},
            "helpUri": f"{DOCS_URL}codes/{c.code}.md",
            "defaultConfiguration": {"level": level(c.code)},
        }
        for c in CODES.values()
    ]


def relative_posix(path: str) -> str | None:
    """``path`` relative to the current folder with forward slashes, or None if outside it."""
    try:
        return Path(os.path.abspath(path)).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return None


def artifact_location(path: str) -> dict[str, str]:
    """``path`` as a SARIF ``artifactLocation``: relative to the current folder when inside it.

    Relative URIs use POSIX slashes and ``uriBaseId`` ``%SRCROOT%``; a path outside the
    current folder becomes an absolute ``file:`` URI.
    """
    rel = relative_posix(path)
    if rel is None:
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    return {"uri": urllib.parse.quote(rel), "uriBaseId": SRCROOT}


def _physical(location: dict[str, str], line: int, column: int | None = None
              ) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": line}
    if column is not None:
        region["startColumn"] = column
    return {"physicalLocation": {"artifactLocation": location, "region": region}}


def sarif_result(report: Report, rule_index: dict[str, int],
                 explain: bool = False) -> dict[str, Any]:
    """One SARIF ``result``; with ``explain`` and steps, a ``codeFlows`` entry for the path."""
    f = report.finding
    location = artifact_location(report.path)
    result: dict[str, Any] = {
        "ruleId": f.code,
        "level": level(f.code),
        "message": {"text": f.message},
        "locations": [_physical(location, f.line, f.col + 1)],
    }
    if f.code in rule_index:
        result["ruleIndex"] = rule_index[f.code]
    steps = _steps(report, explain)
    if steps:
        flow = [{"location": {**_physical(location, s.line), "message": {"text": s.text}}}
                for s in steps]
        result["codeFlows"] = [{"threadFlows": [{"locations": flow}]}]
    return result


def sarif_log(reports: Sequence[Report], explain: bool = False) -> dict[str, Any]:
    """The whole SARIF 2.1.0 log of a run, as a JSON-ready dict."""
    rules = sarif_rules()
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "handlelint",
                "version": __version__,
                "informationUri": PROJECT_URL,
                "rules": rules,
            }},
            "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
            "results": [sarif_result(r, rule_index, explain) for r in reports],
        }],
    }


def write_sarif(reports: Sequence[Report], out: TextIO, explain: bool = False) -> None:
    """A SARIF 2.1.0 log with one run."""
    json.dump(sarif_log(reports, explain), out, indent=2, ensure_ascii=False)
    out.write("\n")


# --- github ------------------------------------------------------------------------------


def escape_data(text: str) -> str:
    """Escape a workflow command's message, as GitHub's ``@actions/core`` does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: the message's escapes, ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(report: Report, explain: bool = False) -> str:
    """``::error file=PATH,line=L,col=C,title=CODE::MESSAGE``, steps as further lines.

    ``PATH`` is relative to the current folder (the repository root in a workflow) with
    forward slashes, as GitHub needs to place the annotation.
    """
    f = report.finding
    path = relative_posix(report.path) or report.path
    message = "\n".join([f.message, *(step_line(s) for s in _steps(report, explain))])
    props = ",".join(f"{name}={escape_property(value)}" for name, value in (
        ("file", path), ("line", str(f.line)), ("col", str(f.col + 1)),
        ("title", f.code)))
    return f"::error {props}::{escape_data(message)}"


def write_github(reports: Sequence[Report], out: TextIO, explain: bool = False) -> None:
    """One GitHub Actions ``::error`` workflow command per finding."""
    for report in reports:
        out.write(format_github(report, explain) + "\n")


#: Output formats by the name ``--format`` takes.
WRITERS: dict[str, Writer] = {
    "text": write_text,
    "json": write_json,
    "sarif": write_sarif,
    "github": write_github,
}
