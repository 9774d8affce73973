"""The options for CI, legacy code and editors, through the command line with the real engine.

``--exit-zero``, ``--output-file``, ``--statistics``, ``--summary``, baselines, stdin
with ``--stdin-filename``, file-level ``# handlelint: noqa`` and ``# flake8: noqa`` (the
plugin alike), codes that do not exist, warnings about folders with nothing to check.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from handlelint import cli
from handlelint.flake8_plugin import Plugin

LEAK = """import ctypes

clusapi = ctypes.windll.clusapi
clusapi.OpenCluster.restype = ctypes.c_void_p


def old_leak(name):
    hc = clusapi.OpenCluster(name)
    if not hc:
        return None
    return 1
"""
NEW_LEAK = """

def new_leak(name):
    hn = clusapi.OpenCluster(name)
    return hn is not None
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(["--jobs", "1", *argv])
    except SystemExit as exc:  # argparse refuses the command line
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def leaky(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "app.py"
    path.write_text(LEAK)
    return path


# --- exit status, output file, statistics, summary ----------------------------------------


def test_exit_zero(leaky: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--exit-zero", "app.py")
    assert code == 0 and "HDL001" in out
    assert run(capsys, "--exit-zero", "--select", "HDL99", "app.py")[0] == 2


def test_output_file(leaky: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--format", "sarif", "--output-file", "out.sarif",
                         "--summary", "app.py")
    assert (code, out) == (1, "")
    log = json.loads((leaky.parent / "out.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["HDL001"]
    assert err.startswith("handlelint: 1 file checked")
    code, out, err = run(capsys, "--output-file", "no/such/folder/out.txt", "app.py")
    assert code == 2 and "cannot write no/such/folder/out.txt" in err


def test_statistics(leaky: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--statistics", "app.py")
    assert code == 1 and out.count("\n") == 1
    assert err == "1     HDL001 handle leaked on a normal path\n"


def test_summary_only_on_a_terminal_or_asked(leaky: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "app.py")[2] == ""  # pytest's stderr is no terminal
    assert run(capsys, "--summary", "app.py")[2].startswith("handlelint: 1 file checked")
    assert run(capsys, "--summary", "--quiet", "app.py")[2] == ""


def test_progress_line_is_erased(capsys: pytest.CaptureFixture[str]) -> None:
    stream = io.StringIO()
    line = cli._ProgressLine(stream, start=-100.0)
    line(3, 10)
    line.clear()
    assert stream.getvalue() == "\rhandlelint: 3 of 10 files checked\r\x1b[K"
    quiet = io.StringIO()
    fresh = cli._ProgressLine(quiet, start=1e12)  # a run that just started: nothing shown
    fresh(1, 2)
    fresh.clear()
    assert quiet.getvalue() == ""


# --- baseline ----------------------------------------------------------------------------


def test_baseline_survives_edits_above_and_reports_new_findings(
        leaky: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--write-baseline", "baseline.json", "app.py")
    assert (code, out) == (0, "")
    assert err == "handlelint: 1 finding recorded in baseline.json\n"
    recorded = json.loads((leaky.parent / "baseline.json").read_text())
    assert recorded["findings"] == [{
        "path": "app.py", "code": "HDL001", "function": "old_leak", "handle": "hc",
        "call": "clusapi.OpenCluster(name)", "count": 1}]
    assert run(capsys, "--baseline", "baseline.json", "app.py")[:2] == (0, "")
    # Lines added above the old leak move it; a new leak appears below.
    leaky.write_text(LEAK.replace("\n\ndef old_leak", "\nimport os\nimport sys\n\n\ndef old_leak")
                     + NEW_LEAK)
    code, out, err = run(capsys, "--baseline", "baseline.json", "--summary", "app.py")
    assert code == 1
    assert [line.split(": ", 1)[1][:6] for line in out.splitlines()] == ["HDL001"]
    assert "new_leak" not in out and ":18:10:" in out
    assert "(1 more in the baseline, 0 stale baseline entries)" in err
    # The old leak fixed: its entry is stale.
    fixed = "    clusapi.CloseCluster(ctypes.c_void_p(hc))\n"  # wrapped: no argtypes needed
    leaky.write_text(LEAK.replace("    return 1\n", fixed))
    code, out, err = run(capsys, "--baseline", "baseline.json", "--summary", "app.py")
    assert (code, out) == (0, "")
    assert "(0 more in the baseline, 1 stale baseline entry)" in err


def test_baseline_from_the_configuration(leaky: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--write-baseline", "legacy.json", ".")[0] == 0
    (leaky.parent / "pyproject.toml").write_text('[tool.handlelint]\nbaseline = "legacy.json"\n')
    assert run(capsys, ".")[:2] == (0, "")
    (leaky.parent / "pyproject.toml").write_text('[tool.handlelint]\nbaseline = "none.json"\n')
    code, _, err = run(capsys, ".")
    assert code == 2 and "none.json: cannot read the baseline" in err


def test_bad_baseline_file(leaky: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (leaky.parent / "b.json").write_text("[1, 2]")
    code, _, err = run(capsys, "--baseline", "b.json", "app.py")
    assert code == 2 and "not a baseline file" in err


# --- stdin -------------------------------------------------------------------------------


def stdin_run(source: str, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "handlelint", "--jobs", "1", *argv],
                          input=source, capture_output=True, text=True, cwd=cwd, timeout=120)


def test_stdin_with_a_filename(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.handlelint]\nexclude = ["generated"]\n')
    proc = stdin_run(LEAK, "-", "--stdin-filename", "pkg/app.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("pkg/app.py:8:10: HDL001 ")
    proc = stdin_run(LEAK, "-", cwd=tmp_path)
    assert proc.stdout.startswith("stdin:8:10: HDL001 ")
    # the path decides exclusion, as for a file on disk
    proc = stdin_run(LEAK, "-", "--stdin-filename", "generated/app.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "")
    proc = stdin_run(LEAK, "-", "other.py", cwd=tmp_path)
    assert proc.returncode == 2


# --- file-level noqa ---------------------------------------------------------------------


@pytest.mark.parametrize("comment", ["# handlelint: noqa", "# flake8: noqa", "#FLAKE8=NOQA"])
def test_file_level_noqa_in_the_cli_and_the_plugin(leaky: Path, comment: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    leaky.write_text(comment + "\n" + LEAK)
    assert run(capsys, "app.py")[:2] == (0, "")
    if "handlelint" in comment:  # flake8 honours its own comment itself
        assert list(Plugin(None, (comment + "\n" + LEAK).splitlines(True), "app.py").run()) == []


def test_file_level_noqa_with_codes_does_not_silence(leaky: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    leaky.write_text("# flake8: noqa: E501\n" + LEAK)  # as flake8: not a file-level noqa
    assert run(capsys, "app.py")[0] == 1


def test_non_ascii_text_before_a_finding_counts_characters(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "u.py"
    path.write_text("import ctypes\nclusapi = ctypes.windll.clusapi\n\n\ndef f(name):\n"
                    '    ñ = "日本語"; hc = clusapi.OpenCluster(name)\n    return 1\n',
                    encoding="utf-8")
    code, out, _ = run(capsys, "--ignore", "HDL007", str(path))
    assert out.startswith(f"{path}:6:21: HDL001 "), out
    plugin = Plugin(None, path.read_text(encoding="utf-8").splitlines(True), str(path))
    assert [(line, col) for line, col, text, _ in plugin.run() if "HDL001" in text] == [(6, 20)]


# --- codes that do not exist -------------------------------------------------------------


@pytest.mark.parametrize("argv", [["--select", "HDL999"], ["--ignore", "HDL01"],
                                  ["--select", "E,W"], ["--select", "HDL001,HLD002"]])
def test_unknown_codes_are_refused(leaky: Path, argv: list[str],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv, "app.py")
    assert (code, out) == (2, "")
    assert "unknown code" in err


def test_did_you_mean(leaky: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "(did you mean 'HDL002'?)" in run(capsys, "--select", "HLD002", "app.py")[2]
    (leaky.parent / "pyproject.toml").write_text('[tool.handlelint]\nselect = ["HDL0001"]\n')
    code, _, err = run(capsys, "app.py")
    assert code == 2 and "select" in err and "did you mean 'HDL001'" in err


# --- folders with nothing to check ---------------------------------------------------------


def test_empty_folder_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    code, out, err = run(capsys, str(tmp_path / "empty"))
    assert (code, out) == (0, "")
    assert err == f"handlelint: warning: no Python files to check in {tmp_path / 'empty'}\n"
    assert run(capsys, "--quiet", str(tmp_path / "empty"))[2] == ""


# --- flake8 --isolated -------------------------------------------------------------------


def test_flake8_isolated_reads_no_pyproject(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from handlelint.config import Config
    from handlelint.flake8_plugin import PLUGIN_KEYS

    (tmp_path / "pyproject.toml").write_text("[tool.handlelint]\nreleaser = ['x']\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Plugin, "config", Config())
    monkeypatch.setattr(Plugin, "config_error", None)
    given = {"handlelint_" + key.replace("-", "_"): None for key in PLUGIN_KEYS}
    Plugin.parse_options(argparse.Namespace(isolated=True, **given))
    assert (Plugin.config, Plugin.config_error) == (Config(), None)
    Plugin.parse_options(argparse.Namespace(isolated=False, **given))
    assert Plugin.config_error is not None and "releaser" in Plugin.config_error


def test_unreadable_folder_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import os

    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("x = 1\n")
    real_scandir = os.scandir

    def scandir(path: str = ".") -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = run(capsys, str(tmp_path))
    monkeypatch.undo()
    assert (code, out) == (0, "")
    assert err == (f"handlelint: warning: cannot read the folder {tmp_path / 'locked'}: "
                   "Permission denied\n")


@pytest.mark.parametrize("argv", [["--timeout", "0"], ["--timeout", "soon"],
                                  ["--max-memory", "0"], ["--max-memory", "1.5"]])
def test_bad_limits_are_usage_errors(leaky: Path, argv: list[str],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, *argv, "app.py")[0] == 2
