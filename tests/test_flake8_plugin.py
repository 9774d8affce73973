"""The flake8 plugin: its plumbing in-process, its registration through flake8 itself."""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import handlelint
from handlelint import flake8_plugin
from handlelint.config import Config
from handlelint.findings import Finding
from handlelint.flake8_plugin import Plugin

SOURCE = "import ctypes\n\nh = 1\nx = 2  # noqa: HDL001\n"
LINES = SOURCE.splitlines(keepends=True)


def registered() -> bool:
    """True when the package is installed so flake8 can find the ``HDL`` entry point."""
    eps: Any = importlib.metadata.entry_points()
    # Python 3.10+ selects by group; 3.9 returns a dict of groups.
    group = (eps.select(group="flake8.extension") if hasattr(eps, "select")
             else eps.get("flake8.extension", []))
    return any(ep.name == "HDL" and ep.value == "handlelint.flake8_plugin:Plugin"
               for ep in group)


needs_install = pytest.mark.skipif(
    not registered(),
    reason="handlelint is not installed here (no flake8.extension entry point HDL): "
           "run `pip install -e .` first",
)


class Recorder:
    """A stand-in for the engine that records its call and returns fixed findings."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.calls: list[tuple[str | bytes, str, dict[str, Any]]] = []

    def __call__(self, source: str | bytes, path: str = "<string>",
                 config: Config | None = None, **kwargs: Any) -> list[Finding]:
        self.calls.append((source, path, kwargs))
        return self.findings


def test_attributes() -> None:
    assert Plugin.name == "handlelint"
    assert Plugin.version == handlelint.__version__


def test_run_yields_flake8_tuples(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Recorder([Finding(3, 4, "HDL001", "cluster handle 'h' leaks"),
                       Finding(4, 0, "HDL004", "released twice")])
    monkeypatch.setattr(flake8_plugin, "check_source", engine)
    results = list(Plugin(ast.parse(SOURCE), LINES, "pkg/mod.py").run())
    assert results == [
        (3, 4, "HDL001 cluster handle 'h' leaks", Plugin),  # col stays 0-based
        (4, 0, "HDL004 released twice", Plugin),
    ]
    # The lines joined back into the text; files Python rejects are left to flake8 (E999).
    assert engine.calls == [(SOURCE, "pkg/mod.py", {"report_python_errors": False})]


def test_run_does_not_parse_again(monkeypatch: pytest.MonkeyPatch) -> None:
    tree = ast.parse(SOURCE)

    def no_parse(*args: Any, **kwargs: Any) -> ast.Module:
        raise AssertionError("the plugin parsed the source again")

    monkeypatch.setattr(flake8_plugin, "check_source", Recorder([]))
    monkeypatch.setattr(ast, "parse", no_parse)
    assert list(Plugin(tree, LINES, "m.py").run()) == []


def test_engine_error_becomes_hdl000(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> list[Finding]:
        raise RuntimeError("boom\nagain")

    monkeypatch.setattr(flake8_plugin, "check_source", broken)
    assert list(Plugin(ast.parse(SOURCE), LINES, "m.py").run()) == [
        (1, 0, "HDL000 internal error: RuntimeError: boom again", Plugin),
    ]


def test_import_does_not_import_cli() -> None:
    proc = subprocess.run(
        [sys.executable, "-c",
         "import sys, handlelint.flake8_plugin; print('handlelint.cli' in sys.modules)"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


# --- through flake8 ---------------------------------------------------------------------


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flake8", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


@needs_install
def test_flake8_lists_the_plugin(tmp_path: Path) -> None:
    proc = flake8("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # flake8 lists plugins by distribution name and version.
    assert f"handlelint: {handlelint.__version__}" in proc.stdout


@needs_install
def test_flake8_select_hdl_on_clean_file(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("import ctypes\n\n\ndef f():\n    return 1\n")
    proc = flake8("--select=HDL", "clean.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


@needs_install
def test_flake8_leaves_syntax_errors_to_e999(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    proc = flake8("--select=HDL,E999", "broken.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert [line.split()[1] for line in proc.stdout.splitlines()] == ["E999"]


@needs_install
def test_flake8_noqa_applies_to_plugin_findings(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from flake8.api import legacy  # type: ignore[import-untyped,unused-ignore]

    monkeypatch.setattr(flake8_plugin, "check_source", Recorder([
        Finding(3, 0, "HDL001", "leak"),
        Finding(4, 0, "HDL001", "suppressed"),
        Finding(4, 4, "HDL002", "other code on a noqa: HDL001 line"),
    ]))
    (tmp_path / "m.py").write_text(SOURCE)
    monkeypatch.chdir(tmp_path)
    report = legacy.get_style_guide(select=["HDL"]).check_files(["m.py"])
    assert report.total_errors == 2
    assert capsys.readouterr().out.splitlines() == [
        "m.py:3:1: HDL001 leak",
        "m.py:4:5: HDL002 other code on a noqa: HDL001 line",
    ]
