"""Writers that turn the findings of a run into one output format each.

A writer takes the run's reports, already filtered and sorted, a text stream, and
whether ``--explain`` asked for the steps of each leaking path. Formats, by the name
``--format`` takes (see ``docs/output-formats.md``):

- ``text``: flake8's ``path:line:col: CODE message``, steps indented below;
- ``json``: a list of objects with path, line, col, code, message and steps;
- ``sarif``: SARIF 2.1.0 for code scanning: one run, one rule per code with its help
  page, regions with end positions, ``partialFingerprints``, ``codeFlows`` for the steps,
  and HDL000 also as a tool notification;
- ``github``: GitHub Actions workflow commands (``::error file=...::...``).

Columns are 1-based in every format. ``text``, ``json`` and ``github`` count characters
(code points), as flake8 does; ``sarif`` counts UTF-16 code units and says so in
``columnKind`` (see :mod:`handlelint.places`).
"""

from __future__ import annotations

import functools
import json
import os
import urllib.parse
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, Protocol, Sequence, TextIO

from handlelint import __version__
from handlelint.codes import CODES
from handlelint.findings import Finding, Step
from handlelint.places import Place, fingerprint

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


#: The ``partialFingerprints`` key of SARIF results.
FINGERPRINT_KEY = "handlelint/v1"
#: SARIF rule properties per code: GitHub shows ``tags`` and ``precision``.
TAGS = ("reliability", "correctness", "resource-leak")
#: How often a finding of a code is right (SARIF ``precision``).
PRECISION = {"HDL000": "very-high", "HDL003": "very-high", "HDL007": "very-high",
             "HDL006": "medium"}


class Report(NamedTuple):
    """One finding with the path of its file, and its place when it was computed."""

    path: str
    finding: Finding
    place: Place | None = None


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


@functools.lru_cache(maxsize=None)
def help_page(code: str) -> str:
    """The documentation page of ``code`` (``docs/codes/CODE.md``, shipped in the package)."""
    try:
        return resources.files("handlelint").joinpath(f"data/help/{code}.md").read_text(
            encoding="utf-8")
    except (OSError, ValueError):
        return ""


def sarif_rules() -> list[dict[str, Any]]:
    """One ``reportingDescriptor`` per code of :data:`handlelint.codes.CODES`, in order.

    ``help`` carries the code's documentation page (``markdown``) and its description
    with the page's address (``text``), as GitHub code scanning shows them.
    """
    rules = []
    for c in CODES.values():
        uri = f"{DOCS_URL}codes/{c.code}.md"
        markdown = help_page(c.code) or f"**{c.code}: {c.title}**\n\n{c.description}"
        rules.append({
            "id": c.code,
            "name": _rule_name(c.title),
            "shortDescription": {"text": c.title},
            "fullDescription": {"text": c.description},
            "help": {"text": f"{c.description} See {uri}", "markdown": markdown},
            "helpUri": uri,
            "defaultConfiguration": {"level": level(c.code)},
            "properties": {
                "tags": list(TAGS),
                "precision": PRECISION.get(c.code, "high"),
                "problem.severity": "error" if c.code in ERROR_CODES else "warning",
            },
        })
    return rules


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


def sarif_region(report: Report) -> dict[str, int]:
    """The region of a finding, columns 1-based in UTF-16 code units, end exclusive."""
    f, place = report.finding, report.place
    if place is None:
        return {"startLine": f.line, "startColumn": f.col + 1,
                "endLine": f.line, "endColumn": f.col + 2}
    return {"startLine": f.line, "startColumn": place.utf16_col + 1,
            "endLine": place.end_line, "endColumn": place.utf16_end_col + 1}


def result_fingerprint(report: Report) -> str:
    """A hash of what identifies the finding apart from its line number.

    The path, the code, the handle's name, the enclosing function and the reported
    line's text: stable when lines are added or removed elsewhere in the file.
    """
    f, place = report.finding, report.place
    path = relative_posix(report.path) or report.path
    if place is None:
        return fingerprint(path, f.code, f.message)
    return fingerprint(path, f.code, place.handle, place.function, place.line_text)


def sarif_result(report: Report, rule_index: dict[str, int],
                 explain: bool = False) -> dict[str, Any]:
    """One SARIF ``result``; with ``explain`` and steps, a ``codeFlows`` entry for the path."""
    f = report.finding
    location = artifact_location(report.path)
    result: dict[str, Any] = {
        "ruleId": f.code,
        "level": level(f.code),
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {"artifactLocation": location,
                                            "region": sarif_region(report)}}],
        "partialFingerprints": {FINGERPRINT_KEY: result_fingerprint(report)},
    }
    if f.code in rule_index:
        result["ruleIndex"] = rule_index[f.code]
    steps = _steps(report, explain)
    if steps:
        flow = [{"location": {**_physical(location, s.line), "message": {"text": s.text}}}
                for s in steps]
        result["codeFlows"] = [{"threadFlows": [{"locations": flow}]}]
    return result


def _notification(report: Report) -> dict[str, Any]:
    """An HDL000 as a tool execution notification: the file was not checked."""
    return {
        "level": "error",
        "message": {"text": f"{report.path}: {report.finding.message}"},
        "descriptor": {"id": report.finding.code},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(report.path),
                                            "region": sarif_region(report)}}],
    }


def sarif_log(reports: Sequence[Report], explain: bool = False) -> dict[str, Any]:
    """The whole SARIF 2.1.0 log of a run, as a JSON-ready dict."""
    rules = sarif_rules()
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [sarif_result(r, rule_index, explain) for r in reports]
    seen: dict[str, int] = {}
    for result in results:  # identical findings in one file stay distinct
        prints = result["partialFingerprints"]
        value = prints[FINGERPRINT_KEY]
        seen[value] = seen.get(value, 0) + 1
        prints[FINGERPRINT_KEY] = f"{value}:{seen[value]}"
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
            "columnKind": "utf16CodeUnits",
            "invocations": [{
                "executionSuccessful": True,
                "workingDirectory": {"uri": Path.cwd().as_uri().rstrip("/") + "/"},
                "toolExecutionNotifications": [
                    _notification(r) for r in reports if r.finding.code in ERROR_CODES],
            }],
            "results": results,
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
