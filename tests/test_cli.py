"""The command line's plumbing, with a stand-in engine so no test depends on the analysis.

The stand-in reports a finding wherever a line has ``HDLnnn(``: code ``HDLnnn`` at that
column. Its findings come back in reverse order so the tests see the CLI's own sorting.
With it the prefilter lets every file through, as the stand-in has no tracked names.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

import pytest

import handlelint
from handlelint import checking, cli
from handlelint.config import Config
from handlelint.findings import Finding
from handlelint.selection import Selection, parse_codes

MARK = re.compile(r"\b(HDL\d{3})\(")
LINE_END = re.compile(r"\r\n|\r|\n")
#: The summary line the command prints last on stderr.
SUMMARY = re.compile(r"^handlelint: (\d+) files? checked \((\d+) skipped by the prefilter\), "
                     r"(\d+) findings?, \d+\.\d\d s$")


def fake_check_source(source: str | bytes, path: str = "<string>",
                      config: Config | None = None, *, force: bool = False,
                      report_python_errors: bool = True, strict: bool = False,
                      explain: bool = False) -> list[Finding]:
    text = source.decode("utf-8") if isinstance(source, bytes) else source
    found = [
        Finding(lineno, m.start(), m.group(1), f"fake finding in {Path(path).name}")
        for lineno, line in enumerate(LINE_END.split(text), 1)
        for m in MARK.finditer(line)
    ]
    return found[::-1]


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checking, "check_source", fake_check_source)
    monkeypatch.setattr(checking, "passes_prefilter", lambda data, config: True)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    """Exit status, stdout's lines, and stderr less the summary line (checked to be last)."""
    code = cli.main(["--summary", *argv])
    out, err = capsys.readouterr()
    if code != 2:
        *rest, last = err.splitlines(keepends=True)
        assert SUMMARY.match(last.rstrip("\n")), f"no summary line last on stderr: {err!r}"
        err = "".join(rest)
    return code, out.splitlines(), err


# --- exit codes and the output line -------------------------------------------------


def test_clean_file_exits_0_silently(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path / "clean.py", "import ctypes\nx = 1\n")
    assert run(capsys, str(f)) == (0, [], "")


def test_stub_free_run_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The real engine on ordinary code: nothing printed, exit 0, stderr silent."""
    write(tmp_path / "a.py", "def f():\n    return 1\n")
    write(tmp_path / "b.py", "this is not python (\n")
    code, out, err = run(capsys, "--select", "HDL001", str(tmp_path))
    assert (code, out, err) == (0, [], "")


@pytest.mark.usefixtures("fake_engine")
def test_findings_exit_1_flake8_format(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path / "leak.py", "g = 1\nh = HDL001(g)\n")
    code, out, err = run(capsys, str(f))
    assert code == 1
    assert out == [f"{f}:2:5: HDL001 fake finding in leak.py"]  # column printed 1-based
    assert err == ""


@pytest.mark.usefixtures("fake_engine")
def test_sorted_by_path_line_col_code(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "b.py", "HDL002(x)\n")
    write(tmp_path / "a.py", "x = HDL004(HDL003(1)); HDL001(2)\nHDL002(y)\n")
    code, out, _ = run(capsys, str(tmp_path / "b.py"), str(tmp_path))
    assert code == 1
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    assert [line.split(" fake")[0] for line in out] == [
        f"{a}:1:5: HDL004",
        f"{a}:1:12: HDL003",
        f"{a}:1:24: HDL001",
        f"{a}:2:1: HDL002",
        f"{b}:1:1: HDL002",
    ]


@pytest.mark.usefixtures("fake_engine")
def test_default_path_is_current_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "pkg" / "m.py", "HDL001()\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys)
    assert code == 1
    assert out == [f"{os.path.join('.', 'pkg', 'm.py')}:1:1: HDL001 fake finding in m.py"]


def test_nonexistent_path_is_usage_error(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a.py", "x = 1\n")
    gone = tmp_path / "no-such-thing"
    code, out, err = run(capsys, str(tmp_path / "a.py"), str(gone))
    assert code == 2
    assert out == []
    assert err.count("\n") == 1
    assert str(gone) in err and "no such file or directory" in err


@pytest.mark.parametrize("argv", [
    ["--jobs", "0"],
    ["--jobs", "many"],
    ["--select", "HDL-1"],
    ["--ignore", "not a code"],
    ["--format", "xml"],
    ["--no-such-option"],
])
def test_bad_options_exit_2(argv: list[str], tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main([*argv, str(tmp_path)])
    assert exc.value.code == 2
    assert capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"handlelint {handlelint.__version__}"


@pytest.mark.usefixtures("fake_engine")
def test_format_text_is_the_default(tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path / "a.py", "HDL001()\n")
    assert run(capsys, str(f)) == run(capsys, "--format", "text", str(f))


def test_force_reaches_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[object, bool]] = []

    def spy(source: str | bytes, path: str = "<string>", config: Config | None = None, *,
            force: bool = False, report_python_errors: bool = True,
            explain: bool = False) -> list[Finding]:
        seen.append((source, force))
        return []

    monkeypatch.setattr(checking, "check_source", spy)
    f = write(tmp_path / "a.py", "x = 1\n")
    g = write(tmp_path / "g.py", "h = clusapi.OpenCluster(None)\n")
    run(capsys, str(f))  # no tracked name: the prefilter skips it, the engine is not asked
    run(capsys, str(g))
    run(capsys, "--force", str(f))
    # Bytes, so the engine decodes them the way Python does.
    assert seen == [(b"h = clusapi.OpenCluster(None)\n", False), (b"x = 1\n", True)]


# --- --select and --ignore -------------------------------------------------------------

SELECT_SOURCE = "HDL000()\nHDL001()\nHDL002()\nHDL007()\n"


@pytest.mark.usefixtures("fake_engine")
@pytest.mark.parametrize(("argv", "codes"), [
    ([], ["HDL000", "HDL001", "HDL002", "HDL007"]),
    (["--select", "HDL001"], ["HDL001"]),
    (["--select", "HDL001,HDL007"], ["HDL001", "HDL007"]),
    (["--select", "hdl00"], ["HDL000", "HDL001", "HDL002", "HDL007"]),
    (["--select", "HDL"], ["HDL000", "HDL001", "HDL002", "HDL007"]),
    (["--ignore", "HDL002"], ["HDL000", "HDL001", "HDL007"]),
    (["--ignore", "HDL00"], []),
    (["--ignore", "HDL001, HDL000"], ["HDL002", "HDL007"]),
    (["--select", "HDL", "--ignore", "HDL001"], ["HDL000", "HDL002", "HDL007"]),
    # flake8's rule: the longer prefix wins, a tie ignores.
    (["--select", "HDL001", "--ignore", "HDL"], ["HDL001"]),
    (["--select", "HDL001", "--ignore", "HDL001"], []),
])
def test_select_ignore(argv: list[str], codes: list[str], tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path / "a.py", SELECT_SOURCE)
    code, out, _ = run(capsys, *argv, str(f))
    assert [line.split()[1] for line in out] == codes
    assert code == (1 if codes else 0)


def test_parse_codes() -> None:
    assert parse_codes("HDL001, hdl002,,HDL") == ("HDL001", "HDL002", "HDL")
    with pytest.raises(ValueError, match="HDL0001"):
        parse_codes("HDL0001")


def test_selection_wants() -> None:
    assert Selection().wants("HDL001")
    assert not Selection(select=("E",)).wants("HDL001")
    assert Selection(select=("HDL00",), ignore=("HDL",)).wants("HDL003")


# --- # noqa ----------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_engine")
@pytest.mark.parametrize(("line", "reported"), [
    ("h = HDL001(g)", ["HDL001"]),
    ("h = HDL001(g)  # noqa", []),
    ("h = HDL001(g)  # NOQA", []),
    ("h = HDL001(g)  # noqa: HDL001", []),
    ("h = HDL001(g)  # noqa:HDL001", []),
    ("h = HDL001(g)  # noqa: hdl001", []),
    ("h = HDL001(g)  # noqa: HDL00", []),
    ("h = HDL001(g)  # noqa: HDL", []),
    ("h = HDL001(g)  # noqa: HDL002", ["HDL001"]),
    ("h = HDL001(g)  # noqa: E501", ["HDL001"]),
    ("h = HDL001(g)  # noqa: E501,HDL001", []),
    ("h = HDL001(HDL003(g))  # noqa: HDL003", ["HDL001"]),
    ("h = HDL001(HDL003(g))  # noqa: HDL001, HDL003", []),
    ("h = HDL001(g)  # some comment # noqa", []),
    ("h = HDL001(g)  #noqa", ["HDL001"]),  # flake8 needs the space too
])
def test_noqa(line: str, reported: list[str], tmp_path: Path,
              capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path / "a.py", f"g = 1\n{line}\n")
    code, out, _ = run(capsys, str(f))
    assert [o.split()[1] for o in out] == reported
    assert code == (1 if reported else 0)


@pytest.mark.usefixtures("fake_engine")
def test_noqa_only_on_the_reported_line(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path / "a.py", "# noqa\nh = HDL001(g)\nx = 1  # noqa\n")
    code, out, _ = run(capsys, str(f))
    assert code == 1
    assert [o.split(":")[1] for o in out] == ["2"]


@pytest.mark.usefixtures("fake_engine")
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_noqa_line_numbers_as_python_counts_them(newline: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # A form feed is no line end for Python (str.splitlines would count it as one).
    text = newline.join(["x = 1 \x0c", "a = HDL001(g)  # noqa", "b = HDL002(g)", ""])
    f = tmp_path / "a.py"
    f.write_bytes(text.encode())
    code, out, _ = run(capsys, str(f))
    assert code == 1
    assert [o.split(":", 1)[1] for o in out] == ["3:5: HDL002 fake finding in a.py"]


# --- which files are checked -----------------------------------------------------------


@pytest.mark.usefixtures("fake_engine")
def test_discovery_skips_non_project_folders(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    body = "HDL001()\n"
    wanted = [
        write(tmp_path / "top.py", body),
        write(tmp_path / "src" / "pkg" / "mod.py", body),
        write(tmp_path / "src" / "pkg" / "sub" / "deep.py", body),
        write(tmp_path / "builder" / "ok.py", body),
    ]
    for skipped in [".git", ".hg", ".tox", ".nox", ".venv", "venv", "build", "dist",
                    "__pycache__", "node_modules", "handlelint.egg-info",
                    os.path.join("src", "pkg", "__pycache__")]:
        write(tmp_path / skipped / "skipped.py", body)
    write(tmp_path / "myenv" / "pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path / "myenv" / "lib" / "site.py", body)
    write(tmp_path / "notes.txt", body)
    write(tmp_path / "script", body)
    write(tmp_path / "types.pyi", body)
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1
    assert [o.split(":")[0] for o in out] == sorted(str(p) for p in wanted)


@pytest.mark.usefixtures("fake_engine")
def test_explicit_file_checked_whatever_its_suffix(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    script = write(tmp_path / "bin" / "cluster-tool", "HDL001()\n")
    code, out, _ = run(capsys, str(script))
    assert code == 1
    assert out == [f"{script}:1:1: HDL001 fake finding in cluster-tool"]


@pytest.mark.usefixtures("fake_engine")
def test_explicit_folder_entered_whatever_its_name(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path / "build" / "gen.py", "HDL001()\n")
    code, out, _ = run(capsys, str(tmp_path / "build"))
    assert (code, [o.split(":")[0] for o in out]) == (1, [str(f)])


@pytest.mark.usefixtures("fake_engine")
def test_file_named_twice_checked_once(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path / "a.py", "HDL001()\n")
    code, out, _ = run(capsys, str(f), str(tmp_path), str(f))
    assert (code, len(out)) == (1, 1)


# --- one file's failure does not end the run ----------------------------------------


def test_engine_exception_becomes_hdl000(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    def flaky(source: str | bytes, path: str = "<string>", config: Config | None = None, *,
              force: bool = False, report_python_errors: bool = True,
              explain: bool = False) -> list[Finding]:
        if path.endswith("bad.py"):
            raise RuntimeError("boom\nwith a second line")
        return fake_check_source(source, path)

    monkeypatch.setattr(checking, "check_source", flaky)
    monkeypatch.setattr(checking, "passes_prefilter", lambda data, config: True)
    bad = write(tmp_path / "bad.py", "x = 1\n")
    good = write(tmp_path / "good.py", "HDL001()\n")
    code, out, err = run(capsys, str(tmp_path))
    assert code == 1
    assert out == [
        f"{bad}:1:1: HDL000 internal error: RuntimeError: boom with a second line",
        f"{good}:1:1: HDL001 fake finding in good.py",
    ]
    assert err == ""


def test_unreadable_file_becomes_hdl000(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path / "a.py", "x = 1\n")
    real_open = open

    def patched_open(file: str, *args: Any, **kwargs: Any) -> Any:
        if file == str(f):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", patched_open)
    code, out, _ = run(capsys, str(f))
    monkeypatch.undo()
    assert code == 1
    assert out == [f"{f}:1:1: HDL000 cannot read the file: Permission denied"]


# --- --jobs ----------------------------------------------------------------------------


def make_tree(root: Path, count: int = 12) -> None:
    for i in range(count):
        lines = [f"x{j} = HDL00{(i + j) % 8}(g)" if j % 3 == 0 else "pass" for j in range(i + 2)]
        write(root / f"d{i % 3}" / f"m{i:02}.py", "\n".join(lines) + "\n")
    write(root / "d0" / "quiet.py", "h = HDL001(g)  # noqa\n")


def test_jobs_without_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path)
    assert run(capsys, "--jobs", "2", str(tmp_path)) == run(capsys, "--jobs", "1", str(tmp_path))


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                    reason="the stand-in engine reaches worker processes only by fork")
@pytest.mark.usefixtures("fake_engine")
def test_jobs_2_output_equals_jobs_1(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path)
    serial = run(capsys, "--jobs", "1", str(tmp_path))
    parallel = run(capsys, "--jobs", "2", str(tmp_path))
    assert serial[0] == 1 and len(serial[1]) > 12
    assert parallel == serial


@pytest.mark.usefixtures("fake_engine")
def test_jobs_uses_a_pool_and_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path)
    serial = run(capsys, "--jobs", "1", str(tmp_path))
    calls: list[int] = []

    def no_pool(files: Sequence[str], options: cli.Options, jobs: int, *args: Any) -> Any:
        calls.append(jobs)
        raise OSError("no worker processes here")

    monkeypatch.setattr(cli, "check_in_workers", no_pool)
    assert run(capsys, "--jobs", "2", str(tmp_path)) == serial
    assert calls == [2]
    calls.clear()
    run(capsys, "--jobs", "2", str(tmp_path / "d0" / "quiet.py"))  # one file: no pool
    assert calls == []


def test_run_exits_with_main_status(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "main", lambda argv=None: 1)
    with pytest.raises(SystemExit) as exc:
        cli.run()
    assert exc.value.code == 1


def test_run_survives_a_closed_pipe(tmp_path: Path) -> None:
    """The reader of stdout goes away: exit 1, nothing on stderr (in a child process, as
    the fix points the process's own stdout at devnull)."""
    for i in range(200):
        write(tmp_path / f"m{i:03}.py", "".join(f"x{j} = 1\n" for j in range(5)))
    script = ("import sys\n"
              "from handlelint import cli, checking\n"
              "from handlelint.findings import Finding\n"
              "checking.passes_prefilter = lambda data, config: True\n"
              "checking.check_source = lambda *a, **k: [Finding(1, 0, 'HDL001', 'x' * 500)]\n"
              "sys.argv = ['handlelint', '--jobs', '1', sys.argv[1]]\n"
              "cli.run()\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the first finding is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert err == ""


# --- the installed command ---------------------------------------------------------------


def python(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_import_does_not_need_flake8() -> None:
    proc = python("-c", "import sys, handlelint.cli; print('flake8' in sys.modules)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_python_m_handlelint(tmp_path: Path) -> None:
    write(tmp_path / "a.py", "x = 1\n")
    proc = python("-m", "handlelint", "--jobs", "1", "--summary", ".", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert SUMMARY.match(proc.stderr.rstrip("\n")), proc.stderr
    proc = python("-m", "handlelint", "--jobs", "1", "--quiet", ".", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    proc = python("-m", "handlelint", "missing.py", cwd=tmp_path)
    assert proc.returncode == 2 and "missing.py" in proc.stderr
