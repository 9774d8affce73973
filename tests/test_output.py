"""Output formats: text, JSON, SARIF 2.1.0 and GitHub workflow commands, with ``--explain``.

The writers are tested on hand-made reports (the steps of ``--explain`` included), the
command line end to end with a stand-in engine that returns steps, and ``--jobs 2``
against ``--jobs 1`` on the fixtures with the real engine, in every format.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any, Sequence

import pytest

import handlelint
from handlelint import checking, cli
from handlelint.codes import CODES
from handlelint.config import Config
from handlelint.findings import Finding, Step
from handlelint.output import DOCS_URL, WRITERS, Report, escape_data, escape_property
from handlelint.output import sarif_log
from tests.fixture_marks import ROOT

STEPS = (Step(3, "'hc' acquired by OpenCluster()"), Step(4, "if not hc: false branch"),
         Step(6, "return"))
LEAK = Finding(3, 9, "HDL001", "cluster handle 'hc' ... returns at line 6", STEPS)
BROKEN = Finding(1, 0, "HDL000", "cannot analyse the file: syntax error")


def reports(base: Path) -> list[Report]:
    return [Report(str(base / "pkg" / "a b.py"), LEAK),
            Report(str(base / "pkg" / "z.py"), BROKEN)]


def write(name: str, items: Sequence[Report], explain: bool = False) -> str:
    out = io.StringIO()
    WRITERS[name](items, out, explain)
    return out.getvalue()


def test_formats() -> None:
    assert list(WRITERS) == ["text", "json", "sarif", "github"]


# --- text --------------------------------------------------------------------------------


def test_text(tmp_path: Path) -> None:
    items = reports(tmp_path)
    a, z = items[0].path, items[1].path
    assert write("text", items) == (
        f"{a}:3:10: HDL001 cluster handle 'hc' ... returns at line 6\n"
        f"{z}:1:1: HDL000 cannot analyse the file: syntax error\n")
    assert write("text", items, explain=True) == (
        f"{a}:3:10: HDL001 cluster handle 'hc' ... returns at line 6\n"
        "    line 3: 'hc' acquired by OpenCluster()\n"
        "    line 4: if not hc: false branch\n"
        "    line 6: return\n"
        f"{z}:1:1: HDL000 cannot analyse the file: syntax error\n")


# --- json --------------------------------------------------------------------------------


def test_json(tmp_path: Path) -> None:
    items = reports(tmp_path)
    plain = json.loads(write("json", items))
    assert plain == [
        {"path": items[0].path, "line": 3, "col": 10, "code": "HDL001",
         "message": "cluster handle 'hc' ... returns at line 6", "steps": []},
        {"path": items[1].path, "line": 1, "col": 1, "code": "HDL000",
         "message": "cannot analyse the file: syntax error", "steps": []},
    ]
    explained = json.loads(write("json", items, explain=True))
    assert explained[0]["steps"] == [
        {"line": 3, "text": "'hc' acquired by OpenCluster()"},
        {"line": 4, "text": "if not hc: false branch"},
        {"line": 6, "text": "return"},
    ]
    assert explained[1]["steps"] == []
    assert json.loads(write("json", [])) == []


# --- sarif -------------------------------------------------------------------------------


def check_sarif_shape(log: dict[str, Any]) -> None:
    """The parts of SARIF 2.1.0 a consumer needs, checked structurally."""
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "handlelint"
    assert driver["version"] == handlelint.__version__
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == list(CODES)
    for rule in rules:
        code = CODES[rule["id"]]
        assert rule["shortDescription"] == {"text": code.title}
        assert rule["fullDescription"] == {"text": code.description}
        assert rule["helpUri"] == f"{DOCS_URL}codes/{code.code}.md"
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["name"])
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    for result in run["results"]:
        assert set(result) <= {"ruleId", "ruleIndex", "level", "message", "locations",
                               "codeFlows", "partialFingerprints"}
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning")
        assert isinstance(result["message"]["text"], str) and result["message"]["text"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["region"]["startLine"] >= 1
        assert physical["region"]["startColumn"] >= 1
        assert "\\" not in physical["artifactLocation"]["uri"]
        for flow in result.get("codeFlows", []):
            [thread] = flow["threadFlows"]
            for step in thread["locations"]:
                assert step["location"]["physicalLocation"]["artifactLocation"] == \
                    physical["artifactLocation"]
                assert step["location"]["physicalLocation"]["region"]["startLine"] >= 1
                assert step["location"]["message"]["text"]


def test_sarif(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    log = json.loads(write("sarif", reports(tmp_path)))
    check_sarif_shape(log)
    [run] = log["runs"]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.as_uri() + "/"}}
    leak, broken = run["results"]
    fingerprint = leak.pop("partialFingerprints")["handlelint/v1"]
    assert re.fullmatch(r"[0-9a-f]{32}:1", fingerprint)
    assert leak == {
        "ruleId": "HDL001",
        "ruleIndex": 1,
        "level": "warning",
        "message": {"text": "cluster handle 'hc' ... returns at line 6"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": "pkg/a%20b.py", "uriBaseId": "%SRCROOT%"},
            # a report without its place (made by hand) spans one column
            "region": {"startLine": 3, "startColumn": 10, "endLine": 3, "endColumn": 11},
        }}],
    }
    assert (broken["ruleId"], broken["level"]) == ("HDL000", "error")
    assert "codeFlows" not in broken


def test_sarif_code_flows_with_explain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    log = json.loads(write("sarif", reports(tmp_path), explain=True))
    check_sarif_shape(log)
    leak, broken = log["runs"][0]["results"]
    [flow] = leak["codeFlows"]
    [thread] = flow["threadFlows"]
    artifact = {"uri": "pkg/a%20b.py", "uriBaseId": "%SRCROOT%"}
    assert thread["locations"] == [
        {"location": {"physicalLocation": {"artifactLocation": artifact,
                                           "region": {"startLine": line}},
                      "message": {"text": text}}}
        for line, text in ((3, "'hc' acquired by OpenCluster()"),
                           (4, "if not hc: false branch"), (6, "return"))]
    assert "codeFlows" not in broken  # no steps, no flow


def test_sarif_path_outside_the_current_folder(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    log = sarif_log([Report(str(tmp_path / "there" / "m.py"), BROKEN)])
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": (tmp_path / "there" / "m.py").as_uri()}


def test_sarif_relative_input_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    log = sarif_log([Report(os.path.join(".", "pkg", "m.py"), BROKEN)])
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "pkg/m.py"


def test_sarif_without_results() -> None:
    log = sarif_log([])
    check_sarif_shape(log)
    assert log["runs"][0]["results"] == []


# --- github ------------------------------------------------------------------------------

_COMMAND = re.compile(r"^::(?P<kind>\w+) (?P<props>[^:]*)::(?P<message>.*)$")


def unescape(text: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","),
                          ("%25", "%")):
        text = text.replace(escaped, char)
    return text


def parse_github(line: str) -> tuple[str, dict[str, str], str]:
    """One workflow command parsed back as GitHub's runner reads it."""
    match = _COMMAND.match(line)
    assert match, line
    props = dict(item.split("=", 1) for item in match["props"].split(","))
    return match["kind"], {k: unescape(v) for k, v in props.items()}, unescape(
        match["message"])


def test_escaping() -> None:
    assert escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert escape_property("100% a\r\nb: c, d") == "100%25 a%0D%0Ab%3A c%2C d"


def test_github_parsed_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    odd = Report(os.path.join("we,ird:dir", "100%.py"),
                 Finding(7, 4, "HDL002", "handle 'h' leaks if f() raises: 50% of\nthe time"))
    lines = write("github", [*reports(tmp_path), odd]).splitlines()
    assert len(lines) == 3
    parsed = [parse_github(line) for line in lines]
    assert parsed == [
        ("error", {"file": "pkg/a b.py", "line": "3", "col": "10", "title": "HDL001"},
         "cluster handle 'hc' ... returns at line 6"),
        ("error", {"file": "pkg/z.py", "line": "1", "col": "1", "title": "HDL000"},
         "cannot analyse the file: syntax error"),
        ("error", {"file": "we,ird:dir/100%.py", "line": "7", "col": "5", "title": "HDL002"},
         "handle 'h' leaks if f() raises: 50% of\nthe time"),
    ]
    assert "\n" not in lines[2] and "%0A" in lines[2]


def test_github_explain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    [line, _] = write("github", reports(tmp_path), explain=True).splitlines()
    _, _, message = parse_github(line)
    assert message.splitlines() == [
        "cluster handle 'hc' ... returns at line 6",
        "    line 3: 'hc' acquired by OpenCluster()",
        "    line 4: if not hc: false branch",
        "    line 6: return",
    ]


# --- the command line ----------------------------------------------------------------------


def stepping_engine(source: str | bytes, path: str = "<string>",
                    config: Config | None = None, **kwargs: Any) -> list[Finding]:
    """A stand-in engine: one HDL001 with steps on every line that says ``leak``."""
    text = source.decode() if isinstance(source, bytes) else source
    return [Finding(n, 4, "HDL001", f"leak in {Path(path).name}",
                    (Step(n, "acquired"), Step(n + 1, "return")))
            for n, line in enumerate(text.splitlines(), 1) if "leak" in line]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(checking, "check_source", stepping_engine)
    monkeypatch.setattr(checking, "passes_prefilter", lambda data, config: True)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("x = 1\nh = leak()\n")
    (tmp_path / "clean.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["--jobs", "1", "--quiet", *argv])
    return code, capsys.readouterr().out


@pytest.mark.usefixtures("project")
def test_cli_explain_text(capsys: pytest.CaptureFixture[str]) -> None:
    m = os.path.join(".", "pkg", "m.py")
    assert main(capsys, ".") == (1, f"{m}:2:5: HDL001 leak in m.py\n")
    assert main(capsys, "--explain", ".") == (
        1, f"{m}:2:5: HDL001 leak in m.py\n    line 2: acquired\n    line 3: return\n")


@pytest.mark.usefixtures("project")
def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = main(capsys, "--format", "json", "--explain", ".")
    assert code == 1
    assert json.loads(out) == [{
        "path": os.path.join(".", "pkg", "m.py"), "line": 2, "col": 5, "code": "HDL001",
        "message": "leak in m.py",
        "steps": [{"line": 2, "text": "acquired"}, {"line": 3, "text": "return"}]}]
    assert main(capsys, "--format", "json", "clean.py") == (0, "[]\n")


@pytest.mark.usefixtures("project")
def test_cli_sarif(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = main(capsys, "--format", "sarif", ".")
    log = json.loads(out)
    check_sarif_shape(log)
    [result] = log["runs"][0]["results"]
    assert code == 1
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/m.py"
    assert "codeFlows" not in result
    code, out = main(capsys, "--format", "sarif", "--explain", ".")
    [result] = json.loads(out)["runs"][0]["results"]
    locations = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [(s["location"]["physicalLocation"]["region"]["startLine"],
             s["location"]["message"]["text"]) for s in locations] == [
        (2, "acquired"), (3, "return")]


@pytest.mark.usefixtures("project")
def test_cli_github(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = main(capsys, "--format", "github", ".")
    assert (code, out) == (1, "::error file=pkg/m.py,line=2,col=5,title=HDL001::leak in m.py\n")


@pytest.mark.usefixtures("project")
def test_summary_line_on_stderr(capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checking, "passes_prefilter", lambda data, config: b"leak" in data)
    assert cli.main(["--jobs", "1", "--summary", "--format", "json", "."]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)[0]["code"] == "HDL001"  # stdout holds only the findings
    assert re.fullmatch(r"handlelint: 2 files checked \(1 skipped by the prefilter\), "
                        r"1 finding, \d+\.\d\d s\n", err), err
    cli.main(["--jobs", "1", "--summary", "--force", "clean.py"])
    assert re.fullmatch(r"handlelint: 1 file checked \(0 skipped by the prefilter\), "
                        r"0 findings, \d+\.\d\d s\n", capsys.readouterr().err)


def test_explain_reaches_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[bool] = []

    def spy(source: str | bytes, path: str = "<string>", config: Config | None = None, *,
            explain: bool = False, **kwargs: Any) -> list[Finding]:
        seen.append(explain)
        return []

    monkeypatch.setattr(checking, "check_source", spy)
    (tmp_path / "m.py").write_text("clusapi\n")
    monkeypatch.chdir(tmp_path)
    main(capsys, "m.py")
    main(capsys, "--explain", "m.py")
    assert seen == [False, True]


def test_explain_with_the_real_engine(capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out = main(capsys, "--explain", "examples/cluster_maintenance.py")
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith("examples/cluster_maintenance.py:138:10: HDL001 ")
    assert re.fullmatch(r"    line 138: \S.*", lines[1]), lines[1]
    code, out = main(capsys, "--explain", "--format", "sarif",
                     "examples/cluster_maintenance.py")
    log = json.loads(out)
    check_sarif_shape(log)
    flows = [r["codeFlows"] for r in log["runs"][0]["results"] if "codeFlows" in r]
    assert flows, "no codeFlows in the SARIF log of --explain"
    first = flows[0][0]["threadFlows"][0]["locations"][0]["location"]
    assert first["physicalLocation"]["region"]["startLine"] == 138


# --- --jobs 2 equals --jobs 1 on the fixtures, in every format --------------------------------


@pytest.mark.parametrize("fmt", [  # the pool does not depend on the format: one on every Python
    fmt if fmt == "text" else pytest.param(fmt, marks=pytest.mark.slow) for fmt in WRITERS])
def test_jobs_2_equals_jobs_1_on_the_fixtures(fmt: str, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    outputs = []
    for jobs in ("1", "2"):
        code = cli.main(["fixtures", "examples", "--jobs", jobs, "--format", fmt, "--explain",
                         "--summary"])
        out, err = capsys.readouterr()
        outputs.append((code, out))
        assert re.fullmatch(r"handlelint: \d+ files checked .*\n", err), err
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 1 and outputs[0][1].count("HDL001") > 10


def test_pool_is_really_used() -> None:
    """The equality above means something only if ``--jobs 2`` can start workers here."""
    files = sorted(str(p) for p in (ROOT / "fixtures").rglob("*.py"))
    assert len(files) > cli.SERIAL_MAX
    try:
        parallel = cli._check_parallel(files, cli.Options(), 2)
    except OSError as exc:  # pragma: no cover - a sandbox without semaphores
        pytest.skip(f"no process pool here: {exc}")
    assert parallel == cli._check_serial(files, cli.Options())
