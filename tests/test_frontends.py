"""The command line and the flake8 plugin report exactly the fixtures' marks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from handlelint.cli import main
from tests.fixture_marks import (
    OWN_CONFIGURATION, ROOT, expected_marks, fixture_files, project_dirs, project_marks)
from tests.test_flake8_plugin import needs_install

_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) ")


def _expected() -> set[tuple[str, int, str]]:
    """The marks of the single-file fixtures and of the fixture projects (those that
    need their own configuration are checked from their folder, in test_projects)."""
    single = {(str(p.relative_to(ROOT)), line, code)
              for p in fixture_files() for line, code in expected_marks(p)}
    return single | {(str((root / path).relative_to(ROOT)), line, code)
                     for root in project_dirs() if root.name not in OWN_CONFIGURATION
                     for path, line, code in project_marks(root)}


def _parse(output: str) -> set[tuple[str, int, str]]:
    """The findings printed, but those in fixture projects that need their own
    configuration (their marks do not hold under another one)."""
    found = set()
    own = tuple(str(p.relative_to(ROOT)) + os.sep for p in project_dirs()
                if p.name in OWN_CONFIGURATION)
    for text in output.splitlines():
        match = _LINE.match(text)
        assert match, f"not a finding line: {text!r}"
        path = str(Path(match["path"]).resolve().relative_to(ROOT))
        if not path.startswith(own):
            found.add((path, int(match["line"]), match["code"]))
    return found


def test_cli_reports_every_mark(capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["fixtures", "examples", "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 1
    assert sorted(_parse(out)) == sorted(_expected())


def _python_rejects(path: Path) -> bool:
    """True when the running Python cannot parse ``path`` (``match`` before 3.10, ...)."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(path.read_bytes())
    except SyntaxError:
        return True
    return False


@needs_install
def test_flake8_reports_every_mark() -> None:
    """flake8 runs plugins only on files the running Python parses; the others are E999."""
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select=HDL,E9", "fixtures",
         "examples"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1, proc.stderr
    rejected = {str(p.relative_to(ROOT)) for p in fixture_files() if _python_rejects(p)}
    found = _parse(proc.stdout)
    assert {path for path, _, code in found if code == "E999"} == rejected
    assert sorted(f for f in found if f[0] not in rejected) == sorted(
        f for f in _expected() if f[0] not in rejected)


def test_message_in_full(capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    main(["examples/cluster_maintenance.py", "--jobs", "1"])
    first = capsys.readouterr().out.splitlines()[0]
    assert first == (
        "examples/cluster_maintenance.py:138:10: HDL001 cluster handle 'hc' from "
        "GetClusterFromGroup() is not closed with CloseCluster() on the path that "
        "returns at line 145"
    )


def test_hdl002_message_in_full(capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    main(["fixtures/core/hdl002.py", "--select", "HDL002", "--jobs", "1"])
    first = capsys.readouterr().out.splitlines()[0]
    assert first == (
        "fixtures/core/hdl002.py:41:10: HDL002 group handle 'hg' from OpenClusterGroup() "
        "is not closed with CloseClusterGroup() if notify_operator() raises at line 45"
    )


def test_jobs_2_equals_jobs_1_on_the_fixtures(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    main(["fixtures", "examples", "--jobs", "1"])
    serial = capsys.readouterr().out
    main(["fixtures", "examples", "--jobs", "2"])
    parallel = capsys.readouterr().out
    assert serial.count("\n") > 100
    assert parallel == serial


def test_sarif_carries_the_explained_path(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.chdir(ROOT)
    main(["examples/cluster_maintenance.py", "--format", "sarif", "--explain", "--jobs", "1"])
    log = json.loads(capsys.readouterr().out)
    (run,) = log["runs"]
    first = run["results"][0]
    assert first["ruleId"] == "HDL001"
    region = first["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (138, 10)
    flow = first["codeFlows"][0]["threadFlows"][0]["locations"]
    lines = [step["location"]["physicalLocation"]["region"]["startLine"] for step in flow]
    assert lines == [138, 139, 143, 145, 145]
