"""Each file checked with its own project's configuration (``handlelint projA/x.py projB/y.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlelint import cli
from handlelint.settings import Settings

#: Calls both projects' configured openers and closes neither.
CODE = "def f(x):\n    h = open_w(x)\n    g = open_v(x)\n    return 1\n"


def _projects(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "projA", tmp_path / "projB"
    for folder, name, extra in ((a, "open_w", ""), (b, "open_v", 'select = ["HDL001"]\n')):
        (folder / "pkg").mkdir(parents=True)
        (folder / "pyproject.toml").write_text(
            f'[tool.handlelint]\n{extra}exclude = ["generated"]\n'
            f'[tool.handlelint.acquire]\n{name} = "close_{name[-1]}"\n')
        (folder / "pkg" / "x.py").write_text(CODE)
        (folder / "pkg" / "generated").mkdir()
        (folder / "pkg" / "generated" / "g.py").write_text(CODE)
    return a, b


def _lines(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    cli.main(["--jobs", "1", *argv])
    return capsys.readouterr().out.splitlines()


def test_each_project_uses_its_own_configuration(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _projects(tmp_path)
    monkeypatch.chdir(tmp_path)
    expected = ["projA/pkg/x.py:2:9: HDL001", "projB/pkg/x.py:3:9: HDL001"]
    for argv in (["projA/pkg/x.py", "projB/pkg/x.py"], ["projB/pkg/x.py", "projA/pkg/x.py"],
                 ["projA", "projB"], ["."]):
        lines = _lines(capsys, *argv)
        # Each project's exclude applies below it: generated/ is never checked.
        shown = [line.split(" open_")[0].replace("\\", "/") for line in lines]
        assert [s[2:] if s.startswith("./") else s for s in shown] == expected
        assert "open_w" in lines[0] and "open_v" in lines[1]


def test_command_line_config_applies_to_every_file(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _projects(tmp_path)
    monkeypatch.chdir(tmp_path)
    lines = _lines(capsys, "--config", str(a / "pyproject.toml"), "projA/pkg/x.py",
                   "projB/pkg/x.py")
    assert [line.split(":")[0].replace("\\", "/") for line in lines] == [
        "projA/pkg/x.py", "projB/pkg/x.py"]
    assert all("open_w handle" in line for line in lines)


def test_command_line_lists_replace_each_projects(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _projects(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert _lines(capsys, "--ignore", "HDL001", "projA", "projB") == []


def test_settings_read_each_file_once_and_group_files(tmp_path: Path) -> None:
    a, b = _projects(tmp_path)
    outside = tmp_path / "loose.py"
    outside.write_text(CODE)
    settings = Settings(no_cache=True)
    files = [str(a / "pkg" / "x.py"), str(b / "pkg" / "x.py"), str(a / "pkg" / "generated"
                                                                   / "g.py"), str(outside)]
    groups = settings.groups(files)
    assert [indexes for _, indexes in groups] == [[0, 2], [1], [3]]
    assert [set(config.acquire) for config, _ in groups] == [{"open_w"}, {"open_v"}, set()]
    assert all(not config.use_cache for config, _ in groups)
    assert settings.excluded(files[2]) and not settings.excluded(files[0])
    assert settings.selection(groups[1][0]).wants("HDL001")
    assert not settings.selection(groups[1][0]).wants("HDL002")
