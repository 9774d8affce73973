"""SARIF for GitHub code scanning: what its "SARIF support for code scanning" page requires.

The SARIF of the examples and of every fixture is checked three ways:

- against the SARIF 2.1.0 JSON schema, vendored in ``tests/data/sarif/`` with its licence;
- for the properties GitHub requires or uses (help, fingerprints, regions with end
  positions, columnKind, invocations);
- against the subset of the schema we mean to emit: every object may carry only the
  properties listed in :data:`SCHEMA`, so a new property is a deliberate change.

When ``HANDLELINT_SARIF_MULTITOOL`` names the SARIF Multitool executable (the validator
GitHub's documentation points to; npm package ``@microsoft/sarif-multitool``), the same
logs also go through ``validate --rule-kind Gh`` and must draw no result.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from handlelint import cli
from handlelint.codes import CODES
from handlelint.output import help_page
from tests.fixture_marks import ROOT

#: SARIF 2.1.0 objects we emit: the properties the schema allows on each, and the
#: object kind of each nested property (None: a value checked by TYPES).
SCHEMA: dict[str, dict[str, str | None]] = {
    "log": {"$schema": None, "version": None, "runs": "run[]"},
    "run": {"tool": "tool", "results": "result[]", "originalUriBaseIds": "baseIds",
            "columnKind": None, "invocations": "invocation[]"},
    "tool": {"driver": "component"},
    "component": {"name": None, "version": None, "informationUri": None, "rules": "rule[]"},
    "rule": {"id": None, "name": None, "shortDescription": "mfmessage",
             "fullDescription": "mfmessage", "help": "mfmessage", "helpUri": None,
             "defaultConfiguration": "configuration", "properties": "properties"},
    "mfmessage": {"text": None, "markdown": None},
    "configuration": {"level": None},
    "properties": {"tags": None, "precision": None, "problem.severity": None},
    "result": {"ruleId": None, "ruleIndex": None, "level": None, "message": "message",
               "locations": "location[]", "partialFingerprints": None,
               "codeFlows": "codeFlow[]"},
    "message": {"text": None},
    "location": {"physicalLocation": "physical", "message": "message"},
    "physical": {"artifactLocation": "artifact", "region": "region"},
    "artifact": {"uri": None, "uriBaseId": None},
    "region": {"startLine": None, "startColumn": None, "endLine": None, "endColumn": None},
    "codeFlow": {"threadFlows": "threadFlow[]"},
    "threadFlow": {"locations": "flowLocation[]"},
    "flowLocation": {"location": "location"},
    "invocation": {"executionSuccessful": None, "workingDirectory": "artifact",
                   "toolExecutionNotifications": "notification[]"},
    "notification": {"level": None, "message": "message", "descriptor": "descriptorRef",
                     "locations": "location[]"},
    "descriptorRef": {"id": None},
}
ENUMS = {
    "level": {"none", "note", "warning", "error"},
    "columnKind": {"utf16CodeUnits", "unicodeCodePoints"},
    "precision": {"very-high", "high", "medium", "low"},
    "problem.severity": {"error", "warning", "recommendation"},
}
INTEGERS_FROM_1 = {"startLine", "startColumn", "endLine", "endColumn"}


def validate(value: Any, kind: str, where: str = "$") -> None:
    """Check ``value`` as the SARIF object ``kind`` of :data:`SCHEMA`."""
    if kind == "baseIds":
        for name, location in value.items():
            validate(location, "artifact", f"{where}.{name}")
        return
    assert isinstance(value, dict), where
    allowed = SCHEMA[kind]
    assert set(value) <= set(allowed), (where, set(value) - set(allowed))
    for name, item in value.items():
        here = f"{where}.{name}"
        nested = allowed[name]
        if nested is None:
            if name in ENUMS:
                assert item in ENUMS[name], (here, item)
            if name in INTEGERS_FROM_1:
                assert isinstance(item, int) and item >= 1, (here, item)
            if name == "partialFingerprints":
                assert item and all(isinstance(v, str) and v for v in item.values()), here
            continue
        if nested.endswith("[]"):
            assert isinstance(item, list), here
            for i, element in enumerate(item):
                validate(element, nested[:-2], f"{here}[{i}]")
        else:
            validate(item, nested, here)


SCHEMA_FILE = ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"


@functools.lru_cache(maxsize=1)
def schema_validator() -> Any:
    """A validator of the vendored SARIF 2.1.0 schema (itself checked against its metaschema)."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(log: dict[str, Any]) -> list[str]:
    """Every violation of the SARIF 2.1.0 schema in ``log``, as path: message."""
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in schema_validator().iter_errors(log)]


def github_requirements(log: dict[str, Any]) -> None:
    """The properties GitHub's "SARIF support for code scanning" marks required or uses."""
    assert log["$schema"] and log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "handlelint"
    assert [rule["id"] for rule in driver["rules"]] == list(CODES)
    for rule in driver["rules"]:
        assert 0 < len(rule["shortDescription"]["text"]) <= 1024
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
        assert all(isinstance(tag, str) for tag in rule["properties"]["tags"])
    assert run["columnKind"] == "utf16CodeUnits"
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["workingDirectory"]["uri"].startswith("file://")
    prints = []
    for result in run["results"]:
        assert result["ruleId"] and result["message"]["text"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        region = physical["region"]
        start = (region["startLine"], region["startColumn"])
        assert (region["endLine"], region["endColumn"]) > start
        prints.append(result["partialFingerprints"]["handlelint/v1"])
    assert len(prints) == len(set(prints)), "fingerprints must tell results apart"
    broken = [r["locations"] for r in run["results"] if r["ruleId"] == "HDL000"]
    notified = [n["locations"] for n in invocation["toolExecutionNotifications"]]
    assert notified == broken


def sarif_of(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    cli.main(["--format", "sarif", "--jobs", "1", *argv])
    log: dict[str, Any] = json.loads(capsys.readouterr().out)
    return log


def test_sarif_of_the_examples_and_fixtures(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for argv in (["examples"], ["fixtures", "--explain"]):
        log = sarif_of(capsys, *argv)
        assert schema_errors(log) == []
        validate(log, "log")
        github_requirements(log)
        assert len(log["runs"][0]["results"]) >= 3


def test_the_schema_check_can_fail(capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The vendored schema rejects what SARIF 2.1.0 forbids (so a pass means something)."""
    monkeypatch.chdir(ROOT)
    log = sarif_of(capsys, "examples")
    log["runs"][0]["results"][0]["level"] = "fatal"
    log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    del log["runs"][0]["tool"]["driver"]["name"]
    errors = schema_errors(log)
    assert len(errors) == 3, errors


@pytest.mark.skipif(not os.environ.get("HANDLELINT_SARIF_MULTITOOL"),
                    reason="HANDLELINT_SARIF_MULTITOOL does not name the SARIF Multitool")
def test_sarif_multitool_finds_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``Sarif.Multitool validate --rule-kind Gh``, GitHub's own checks (GH1001-GH2012)."""
    monkeypatch.chdir(ROOT)
    for name, argv in (("examples", ["examples"]), ("fixtures", ["fixtures", "--explain"])):
        log_file = tmp_path / f"{name}.sarif"
        log_file.write_text(json.dumps(sarif_of(capsys, *argv)), encoding="utf-8")
        report = tmp_path / f"{name}.validation.sarif"
        subprocess.run([os.environ["HANDLELINT_SARIF_MULTITOOL"], "validate", "--rule-kind",
                        "Gh", "-o", str(report), str(log_file)], check=True,
                       capture_output=True, timeout=300)
        results = json.loads(report.read_text(encoding="utf-8"))["runs"][0]["results"]
        assert [(r["ruleId"], r["message"].get("text")) for r in results] == []


def test_hdl000_is_a_notification_too(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text("import clusapi\ndef f(:\n")
    log = sarif_of(capsys, "broken.py")
    assert schema_errors(log) == []
    validate(log, "log")
    github_requirements(log)
    [note] = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["descriptor"] == {"id": "HDL000"} and note["level"] == "error"


def test_utf16_columns(capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An emoji (2 UTF-16 units) and three CJK characters before the finding."""
    monkeypatch.chdir(ROOT)
    path = "fixtures/core/non_ascii_columns.py"
    line = Path(path).read_text(encoding="utf-8").splitlines()[14]
    chars = line.index("clusapi.OpenCluster") + 1
    assert chars == 21
    [result] = sarif_of(capsys, path, "--select", "HDL001")["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 15, "startColumn": chars + 1,
                      "endLine": 15, "endColumn": chars + 1 + len("clusapi.OpenCluster(name)")}
    cli.main(["--jobs", "1", "--select", "HDL001", path])
    assert capsys.readouterr().out.startswith(f"{path}:15:{chars}: HDL001 ")
    cli.main(["--jobs", "1", "--select", "HDL001", "--format", "json", path])
    assert json.loads(capsys.readouterr().out)[0]["col"] == chars


def test_fingerprints_survive_edits_elsewhere(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = (ROOT / "examples" / "cluster_maintenance.py").read_text(encoding="utf-8")
    (tmp_path / "m.py").write_text(source, encoding="utf-8")
    before = sarif_of(capsys, "m.py")["runs"][0]["results"]
    (tmp_path / "m.py").write_text("import os\n\n\n" + source, encoding="utf-8")
    after = sarif_of(capsys, "m.py")["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in after] == [
        r["partialFingerprints"] for r in before]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after]
    assert lines == [r["locations"][0]["physicalLocation"]["region"]["startLine"] + 3
                     for r in before]


@pytest.mark.parametrize("code", list(CODES))
def test_help_is_the_docs_page(code: str) -> None:
    """The package ships a copy of each docs/codes page as the SARIF rule's help."""
    page = (ROOT / "docs" / "codes" / f"{code}.md").read_text(encoding="utf-8")
    assert help_page(code) == page, (
        f"handlelint/data/help/{code}.md differs from docs/codes/{code}.md: copy it again")


def test_no_help_page_without_a_docs_page() -> None:
    shipped = {p.stem for p in (ROOT / "handlelint" / "data" / "help").glob("*.md")}
    assert shipped == set(CODES)
