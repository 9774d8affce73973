"""Configuration: ``[tool.handlelint]`` in ``pyproject.toml`` for the CLI and the plugin.

Each key is read (in both spellings), reaches the engine and changes what it reports;
each kind of mistake exits 2 with one line that names the file and the key. The flake8
side runs flake8 itself, so its options are parsed as flake8 parses them.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from handlelint import checking, cli, flake8_plugin
from handlelint.config import Config, ConfigError, config_from_table, discover_config
from handlelint.config import find_config, load_config
from handlelint.engine import check_source
from handlelint.files import Exclude, discover
from handlelint.findings import Finding
from handlelint.flake8_plugin import Plugin, config_from_options, parse_pairs
from tests.fixture_marks import fixture_files
from tests.test_flake8_plugin import needs_install

#: A project with nothing to do with clusters: one widget leaks, one is closed.
WIDGETS = textwrap.dedent("""\
    def leaky(name):
        w = open_widget(name)
        if not w:
            return None
        if name == "x":
            return 1
        close_widget(w)
        return 0


    def tidy(name):
        w = open_widget(name)
        if not w:
            return None
        try:
            return len(name)
        finally:
            close_widget(w)
""")
WIDGET_LEAK = "HDL001 open_widget handle 'w' from open_widget() is not closed with " \
              "close_widget() on the path that returns at line 6"

#: A clusapi file whose findings depend on the settings.
CLUSTER = textwrap.dedent("""\
    import ctypes

    clusapi = ctypes.windll.clusapi
    clusapi.OpenCluster.restype = ctypes.c_void_p


    def shown(name):
        hc = clusapi.OpenCluster(name)
        if not hc:
            return
        show(hc)


    def closed_by_helper(name):
        hc = clusapi.OpenCluster(name)
        if not hc:
            return
        close_all(hc)
""")

SHARED_LIB = textwrap.dedent("""\
    import ctypes
    from w import w_lib

    lib = w_lib.get_shared_lib_handle()
    lib.OpenCluster.restype = ctypes.c_void_p


    def f(name):
        hc = lib.OpenCluster(name)
        if not hc:
            return
""")


def project(root: Path, config: str, files: dict[str, str] | None = None) -> Path:
    """A folder with a ``pyproject.toml`` holding ``config`` and the given files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(textwrap.dedent(config), encoding="utf-8")
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    """Exit status, stdout's lines and stderr's lines of the command line (``--quiet``)."""
    code = cli.main(["--jobs", "1", "--quiet", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def codes(lines: list[str]) -> list[str]:
    return [line.split()[1] for line in lines]


# --- reading the table ---------------------------------------------------------------------


def test_defaults() -> None:
    assert config_from_table({}) == Config(source="pyproject.toml")
    assert Config().unknown_calls == "escape"
    assert Config().argtypes_check == "all"
    assert config_from_table({"argtypes-check": "declared"}).argtypes_check == "declared"


def test_every_key_kebab_case() -> None:
    config = config_from_table({
        "acquire": {"open_widget": "close_widget", "lease": ["release", "abandon"]},
        "releasers": ["close_all"],
        "borrowers": ["show", "log.debug"],
        "call-through": ["run_in_pool"],
        "dll-names": ["w_lib.get_shared_lib_handle"],
        "unknown-calls": "borrow",
        "exclude": ["build", "tests/*.py"],
        "select": ["hdl00"],
        "ignore": ["HDL007"],
    }, "p/pyproject.toml", "/p")
    assert config == Config(
        acquire={"open_widget": ("close_widget",), "lease": ("release", "abandon")},
        releasers=("close_all",), borrowers=("show", "log.debug"),
        call_through=("run_in_pool",), dll_names=("w_lib.get_shared_lib_handle",),
        unknown_calls="borrow", exclude=("build", "tests/*.py"), select=("HDL00",),
        ignore=("HDL007",), source="p/pyproject.toml", root="/p")


def test_snake_case_spelling_is_accepted() -> None:
    config = config_from_table({"call_through": ["helper"], "dll_names": ["lib"],
                                "unknown_calls": "borrow"})
    assert (config.call_through, config.dll_names, config.unknown_calls) == (
        ("helper",), ("lib",), "borrow")


def test_qualified_acquire_names_are_accepted() -> None:
    """A qualified name matches only the calls that resolve to that function."""
    config = config_from_table({"acquire": {"ClusApiUtils.open_cluster": "close_cluster",
                                            "pkg.mod.open_widget": ["close_widget"]}},
                               "pyproject.toml")
    assert config.acquire == {"ClusApiUtils.open_cluster": ("close_cluster",),
                              "pkg.mod.open_widget": ("close_widget",)}


@pytest.mark.parametrize(("table", "message"), [
    ({"releaser": ["x"]},
     "[tool.handlelint] unknown key 'releaser' (did you mean 'releasers'?)"),
    ({"colour": "red"}, "[tool.handlelint] unknown key 'colour'"),
    ({"call-through": ["a"], "call_through": ["b"]},
     "[tool.handlelint] 'call_through' is the same key as 'call-through': keep one"),
    ({"releasers": "close_all"},
     "[tool.handlelint] 'releasers' must be an array of strings, not a string"),
    ({"borrowers": ["show", 3]},
     "[tool.handlelint] 'borrowers' must be an array of strings, not an array holding an "
     "integer"),
    ({"call-through": {"a": 1}},
     "[tool.handlelint] 'call-through' must be an array of strings, not a table"),
    ({"dll-names": ["w lib"]},
     "[tool.handlelint] 'dll-names' must hold names: 'w lib' is not a name (like "
     "close_widget or lib.close_widget)"),
    ({"exclude": "build"},
     "[tool.handlelint] 'exclude' must be an array of strings, not a string"),
    ({"unknown-calls": "keep"},
     "[tool.handlelint] 'unknown-calls' must be \"escape\" or \"borrow\", not 'keep'"),
    ({"unknown_calls": True},
     "[tool.handlelint] 'unknown_calls' must be \"escape\" or \"borrow\", not a boolean"),
    ({"argtypes-check": "typed"},
     "[tool.handlelint] 'argtypes-check' must be \"all\" or \"declared\", not 'typed'"),
    ({"argtypes_check": ["all"]},
     "[tool.handlelint] 'argtypes_check' must be \"all\" or \"declared\", not an array"),
    ({"select": ["HDL-1"]},
     "[tool.handlelint] 'select' must hold codes or code prefixes (like HDL001 or HDL): "
     "'HDL-1' is not one"),
    ({"ignore": "HDL001"},
     "[tool.handlelint] 'ignore' must be an array of strings, not a string"),
    ({"acquire": ["open_widget"]},
     "[tool.handlelint] 'acquire' must be a table (acquiring name = release name) or an "
     "array of tables ([[tool.handlelint.acquire]] entries), not an array holding a string"),
    ({"acquire": {"open_widget": 1}},
     "[tool.handlelint.acquire] 'open_widget' must be a string or an array of strings, "
     "not an integer"),
    ({"acquire": {"open_widget": []}},
     "[tool.handlelint.acquire] 'open_widget' must name at least one release function"),
    ({"acquire": {"lib.open widget": "close_widget"}},
     "[tool.handlelint.acquire] 'lib.open widget' is not a function name (like open_widget, "
     "or Utils.open_widget to match only that function)"),
    ({"acquire": {"open_widget": "lib.close_widget"}},
     "[tool.handlelint.acquire] 'open_widget' must hold names: 'lib.close_widget' is not a "
     "plain function name (like close_widget)"),
])
def test_bad_tables(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        config_from_table(table, "pyproject.toml")
    assert str(exc.value) == f"pyproject.toml: {message}"
    assert exc.value.path == "pyproject.toml"


# --- finding the file ----------------------------------------------------------------------


def test_found_walking_up_past_files_without_the_table(tmp_path: Path) -> None:
    project(tmp_path, '[tool.handlelint]\nreleasers = ["close_all"]\n')
    inner = tmp_path / "pkg" / "sub"
    inner.mkdir(parents=True)
    (tmp_path / "pkg" / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    # Another tool's broken file, not mentioning handlelint, is passed over unparsed.
    (inner / "pyproject.toml").write_text("[tool.other\nbroken = \n")
    (inner / "m.py").write_text("x = 1\n")
    assert find_config(str(inner / "m.py")) == str(tmp_path / "pyproject.toml")
    assert find_config(str(inner)) == str(tmp_path / "pyproject.toml")
    config = discover_config(str(inner))
    assert config.releasers == ("close_all",)
    assert config.root == str(tmp_path)


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    if find_config(str(tmp_path.parent)) is not None:
        pytest.skip("a pyproject.toml with [tool.handlelint] above the temporary folder")
    assert find_config(str(tmp_path)) is None
    assert discover_config(str(tmp_path)) == Config()


def test_load_config_of_a_file_without_the_table(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text("[tool.black]\nline-length = 100\n")
    assert load_config(str(path)).releasers == ()


# --- the command line: errors ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("[tool.handlelint]\nreleaser = ['x']\n",
     "handlelint: error: pyproject.toml: [tool.handlelint] unknown key 'releaser' "
     "(did you mean 'releasers'?)"),
    ("[tool.handlelint]\nborrowers = 'show'\n",
     "handlelint: error: pyproject.toml: [tool.handlelint] 'borrowers' must be an array "
     "of strings, not a string"),
    ("[tool.handlelint.acquire]\nopen_widget = 3\n",
     "handlelint: error: pyproject.toml: [tool.handlelint.acquire] 'open_widget' must be "
     "a string or an array of strings, not an integer"),
    ("[tool.handlelint]\nunknown-calls = 'maybe'\n",
     "handlelint: error: pyproject.toml: [tool.handlelint] 'unknown-calls' must be "
     "\"escape\" or \"borrow\", not 'maybe'"),
    ("[tool]\nhandlelint = 3\n",
     "handlelint: error: pyproject.toml: [tool.handlelint] must be a table, not an "
     "integer"),
    ("[tool.handlelint]\nreleasers = [\n",
     "handlelint: error: pyproject.toml: cannot parse the file as TOML: "),
    ("[tool.handlelint]\nselect = [1]\n",
     "handlelint: error: pyproject.toml: [tool.handlelint] 'select' must be an array of "
     "strings, not an array holding an integer"),
])
def test_cli_config_errors_exit_2(text: str, expected: str, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, text, {"m.py": "import ctypes\nclusapi = ctypes.windll.clusapi\n"})
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "m.py")
    assert (code, out) == (2, [])
    assert len(err) == 1, err
    assert err[0].startswith(expected)
    assert "Traceback" not in err[0]


def test_cli_config_error_names_the_file_as_found(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path / "proj", "[tool.handlelint]\nexclude = 'x'\n", {"pkg/m.py": "x = 1\n"})
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, os.path.join("proj", "pkg"))
    assert code == 2
    assert err == [f"handlelint: error: {os.path.join('proj', 'pyproject.toml')}: "
                   "[tool.handlelint] 'exclude' must be an array of strings, not a string"]


def test_cli_config_error_in_a_subprocess_has_no_traceback(tmp_path: Path) -> None:
    project(tmp_path, "[tool.handlelint]\nreleaser = ['x']\n", {"m.py": "x = 1\n"})
    proc = subprocess.run([sys.executable, "-m", "handlelint", "m.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == ("handlelint: error: pyproject.toml: [tool.handlelint] unknown "
                           "key 'releaser' (did you mean 'releasers'?)\n")


def test_explicit_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, "[tool.handlelint]\nreleaser = ['x']\n", {"w.py": WIDGETS})
    (tmp_path / "widgets.toml").write_text(
        '[tool.handlelint.acquire]\nopen_widget = "close_widget"\n')
    monkeypatch.chdir(tmp_path)
    # --config wins over the (broken) pyproject.toml that would be found.
    code, out, _ = run(capsys, "--config", "widgets.toml", "w.py")
    assert (code, out) == (1, [f"w.py:2:9: {WIDGET_LEAK}"])
    code, out, err = run(capsys, "--config", "missing.toml", "w.py")
    assert (code, out, err) == (2, [], ["handlelint: error: missing.toml: no such file"])


# --- the command line: every key changes what is reported ------------------------------------


def test_acquire_pair_in_a_project_without_clusters(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    """Acceptance 4, command line: a custom pair is enforced where clusters never appear."""
    project(tmp_path, '[tool.handlelint.acquire]\nopen_widget = "close_widget"\n',
            {"widgets.py": WIDGETS})
    monkeypatch.chdir(tmp_path)
    assert run(capsys, ".") == (1, [f"{os.path.join('.', 'widgets.py')}:2:9: {WIDGET_LEAK}"],
                                [])
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'widgets'\n")
    assert run(capsys, ".") == (0, [], [])


def test_acquire_with_several_release_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, '[tool.handlelint.acquire]\nopen_widget = ["close_widget", "drop"]\n',
            {"w.py": WIDGETS.replace("close_widget(w)\n    return 0", "drop(w)\n    return 0")})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "w.py")
    assert code == 1
    assert out[0].startswith("w.py:2:9: HDL001 open_widget handle 'w' from open_widget() is "
                             "not closed with close_widget() or drop()")


@pytest.mark.parametrize(("settings", "expected"), [
    ("", []),
    ("borrowers = ['show']", [("shown", "HDL001")]),
    ("unknown-calls = 'borrow'", [("shown", "HDL001"), ("closed_by_helper", "HDL001")]),
    ("unknown_calls = 'borrow'\nreleasers = ['close_all']", [("shown", "HDL001")]),
])
def test_borrowers_releasers_unknown_calls(settings: str, expected: list[tuple[str, str]],
                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, f"[tool.handlelint]\n{settings}\n", {"c.py": CLUSTER})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "c.py")
    lines = {8: "shown", 15: "closed_by_helper"}
    assert [(lines[int(o.split(":")[1])], o.split()[1]) for o in out] == expected
    assert code == (1 if expected else 0)


def test_dll_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, "[tool.handlelint]\n", {"s.py": SHARED_LIB})
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "s.py") == (0, [], [])
    (tmp_path / "pyproject.toml").write_text(
        "[tool.handlelint]\ndll-names = ['w_lib.get_shared_lib_handle']\n")
    code, out, _ = run(capsys, "s.py")
    assert (code, codes(out)) == (1, ["HDL001"])


def test_every_setting_reaches_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[Config] = []

    def spy(source: str | bytes, path: str = "<string>", config: Config | None = None,
            **kwargs: Any) -> list[Finding]:
        assert config is not None
        seen.append(config)
        return []

    monkeypatch.setattr(checking, "check_source", spy)
    project(tmp_path, """\
        [tool.handlelint]
        releasers = ["close_all"]
        borrowers = ["show"]
        call-through = ["run_in_pool"]
        dll-names = ["w_lib.get_shared_lib_handle"]
        unknown-calls = "borrow"

        [tool.handlelint.acquire]
        open_widget = "close_widget"
        """, {"m.py": "clusapi = 1\n"})
    monkeypatch.chdir(tmp_path)
    run(capsys, "m.py")
    [config] = seen
    assert (config.acquire, config.releasers, config.borrowers, config.call_through,
            config.dll_names, config.unknown_calls) == (
        {"open_widget": ("close_widget",)}, ("close_all",), ("show",), ("run_in_pool",),
        ("w_lib.get_shared_lib_handle",), "borrow")


def test_configured_names_pass_the_prefilter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A file mentioning only a configured name is analysed, not skipped."""
    project(tmp_path, '[tool.handlelint.acquire]\nopen_widget = "close_widget"\n',
            {"w.py": WIDGETS, "other.py": "x = 1\n"})
    monkeypatch.chdir(tmp_path)
    code = cli.main(["--jobs", "1", "--summary", "."])
    err = capsys.readouterr().err
    assert code == 1
    assert "2 files checked (1 skipped by the prefilter), 1 finding," in err


@pytest.mark.parametrize("config", [
    Config(),
    Config(acquire={"open_widget": ("close_widget",)}, releasers=("close_all",),
           dll_names=("w_lib.get_shared_lib_handle",)),
])
def test_prefilter_skips_only_what_the_engine_skips(config: Config) -> None:
    """The command line's own prefilter never skips a file the engine would report on."""
    sources = [p.read_bytes() for p in fixture_files()] + [
        s.encode() for s in (WIDGETS, CLUSTER, SHARED_LIB, "x = 1\n")]
    for data in sources:
        if not cli.passes_prefilter(data, config):
            assert check_source(data, "m.py", config) == []
    assert cli.passes_prefilter(WIDGETS.encode(), config) == bool(config.acquire)


@pytest.mark.parametrize(("settings", "argv", "expected"), [
    ("select = ['HDL002']", [], ["HDL002"]),
    ("ignore = ['HDL002']", [], ["HDL001"]),
    ("select = ['HDL002']", ["--select", "HDL001"], ["HDL001"]),
    ("ignore = ['HDL00']", ["--ignore", "HDL001"], ["HDL002"]),
    ("select = ['HDL001']\nignore = ['HDL001']", ["--ignore", "HDL007"], ["HDL001"]),
])
def test_select_ignore_from_config(settings: str, argv: list[str], expected: list[str],
                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    def two(source: str | bytes, path: str = "<string>", config: Config | None = None,
            **kwargs: Any) -> list[Finding]:
        return [Finding(1, 0, "HDL001", "a"), Finding(2, 0, "HDL002", "b")]

    monkeypatch.setattr(checking, "check_source", two)
    project(tmp_path, f"[tool.handlelint]\n{settings}\n", {"m.py": "clusapi\nclusapi\n"})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, *argv, "m.py")
    assert codes(out) == expected


# --- exclude ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "path", "excluded"), [
    ("build", "build/x.py", True),
    ("build", "src/build/x.py", True),
    ("build", "src/builder.py", False),
    ("*_pb2.py", "api/service_pb2.py", True),
    ("*_pb2.py", "api/service.py", False),
    ("tests/fixtures", "tests/fixtures/a/b.py", True),
    ("tests/fixtures", "src/tests/fixtures/b.py", False),
    ("./tests/fixtures/", "tests/fixtures/b.py", True),
    ("src/*/generated", "src/pkg/generated/m.py", True),
    ("src/*.py", "src/pkg/m.py", True),  # * crosses slashes, as in fnmatch
    ("legacy.py", "legacy.py", True),
    ("", "a.py", False),
])
def test_exclude_patterns(pattern: str, path: str, excluded: bool, tmp_path: Path) -> None:
    exclude = Exclude((pattern,), str(tmp_path))
    assert exclude(str(tmp_path / path)) is excluded


def test_exclude_is_relative_to_the_config_folder(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    exclude = Exclude(("pkg/gen",), str(tmp_path / "proj"))
    monkeypatch.chdir(tmp_path)
    assert exclude(os.path.join("proj", "pkg", "gen", "m.py"))
    assert not exclude(os.path.join("pkg", "gen", "m.py"))  # outside the config's folder
    assert Exclude(("gen",), str(tmp_path / "proj"))(os.path.join("pkg", "gen", "m.py"))


def test_discover_prunes_excluded_folders(tmp_path: Path) -> None:
    for name in ("a.py", "gen/b.py", "gen/deep/c.py", "pkg/d_pb2.py", "pkg/e.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    exclude = Exclude(("gen", "*_pb2.py"), str(tmp_path))
    found = discover([str(tmp_path)], exclude)
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found] == ["a.py", "pkg/e.py"]
    # Named files are excluded too: pre-commit names every file it checks.
    assert discover([str(tmp_path / "gen" / "b.py"), str(tmp_path / "a.py")], exclude) == [
        str(tmp_path / "a.py")]


def test_cli_exclude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, """\
        [tool.handlelint]
        exclude = ["legacy"]

        [tool.handlelint.acquire]
        open_widget = "close_widget"
        """, {"legacy/old.py": WIDGETS, "new.py": WIDGETS})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, ".", os.path.join("legacy", "old.py"))
    assert (code, [o.split(":")[0] for o in out]) == (1, [os.path.join(".", "new.py")])


# --- the flake8 plugin -------------------------------------------------------------------


def options(**given: Any) -> argparse.Namespace:
    names = ("acquire", "releasers", "borrowers", "call_through", "dll_names",
             "unknown_calls", "argtypes_check")
    return argparse.Namespace(**{f"handlelint_{n}": given.get(n) for n in names})


def test_plugin_options_replace_the_file() -> None:
    base = config_from_table({"releasers": ["a"], "borrowers": ["b"],
                              "acquire": {"open_x": "close_x"}})
    config = config_from_options(options(releasers=["r1", "r2"], unknown_calls="borrow",
                                         acquire=["open_w=close_w", "open_w=drop_w"]), base)
    assert config.releasers == ("r1", "r2")
    assert config.borrowers == ("b",)
    assert config.unknown_calls == "borrow"
    assert config.acquire == {"open_w": ("close_w", "drop_w")}
    assert config_from_options(options(), base) == base
    assert config_from_options(options(call_through=["run"], dll_names=["a.b"]),
                               base).call_through == ("run",)
    assert config_from_options(options(argtypes_check="declared"),
                               base).argtypes_check == "declared"


@pytest.mark.parametrize("bad", ["open_w", "open_w=", "=close_w"])
def test_plugin_bad_acquire_option(bad: str) -> None:
    with pytest.raises(ConfigError, match="--handlelint-acquire: .* is not an "
                                          "acquire=release pair"):
        parse_pairs([bad])


def test_plugin_parse_options_reads_pyproject(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, '[tool.handlelint.acquire]\nopen_widget = "close_widget"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Plugin, "config", Config())
    monkeypatch.setattr(Plugin, "config_error", None)
    Plugin.parse_options(options())
    assert Plugin.config.acquire == {"open_widget": ("close_widget",)}
    lines = WIDGETS.splitlines(keepends=True)
    found = list(Plugin(None, lines, "w.py").run())  # type: ignore[arg-type]
    assert found == [(2, 8, WIDGET_LEAK, Plugin)]


def test_plugin_config_error_is_hdl000_on_every_file(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, "[tool.handlelint]\nreleaser = ['x']\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Plugin, "config", Config())
    monkeypatch.setattr(Plugin, "config_error", None)
    Plugin.parse_options(options())
    message = ("HDL000 configuration error: pyproject.toml: [tool.handlelint] unknown key "
               "'releaser' (did you mean 'releasers'?)")
    for name in ("a.py", "b.py"):
        assert list(Plugin(None, ["x = 1\n"], name).run()) == [  # type: ignore[arg-type]
            (1, 0, message, Plugin)]
    (tmp_path / "pyproject.toml").write_text("[tool.handlelint]\n")
    Plugin.parse_options(options(acquire=["nonsense"]))
    assert Plugin.config_error == ("configuration error: flake8 options: "
                                   "--handlelint-acquire: 'nonsense' is not an "
                                   "acquire=release pair")


def test_plugin_skips_excluded_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine_calls: list[str] = []

    def spy(source: str | bytes, path: str = "<string>", config: Config | None = None,
            **kwargs: Any) -> list[Finding]:
        engine_calls.append(path)
        return []

    monkeypatch.setattr(flake8_plugin, "check_source", spy)
    monkeypatch.setattr(Plugin, "config", Config(exclude=("gen",), root=str(tmp_path)))
    monkeypatch.setattr(Plugin, "config_error", None)
    monkeypatch.chdir(tmp_path)
    assert list(Plugin(None, ["x\n"], "gen/m.py").run()) == []  # type: ignore[arg-type]
    assert list(Plugin(None, ["x\n"], "src/m.py").run()) == []  # type: ignore[arg-type]
    assert engine_calls == ["src/m.py"]


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flake8", "--select=HDL", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


@needs_install
def test_flake8_enforces_a_configured_pair(tmp_path: Path) -> None:
    """Acceptance 4, flake8: the pair of pyproject.toml, and the same pair as an option."""
    project(tmp_path, '[tool.handlelint.acquire]\nopen_widget = "close_widget"\n',
            {"widgets.py": WIDGETS})
    proc = flake8("widgets.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, f"widgets.py:2:9: {WIDGET_LEAK}\n"), \
        proc.stderr
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'widgets'\n")
    proc = flake8("widgets.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stderr
    proc = flake8("--handlelint-acquire=open_widget=close_widget", "widgets.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, f"widgets.py:2:9: {WIDGET_LEAK}\n"), \
        proc.stderr


@needs_install
def test_flake8_options_from_its_config_file_override_pyproject(tmp_path: Path) -> None:
    project(tmp_path, "[tool.handlelint]\nborrowers = []\n", {"c.py": CLUSTER})
    assert flake8("c.py", cwd=tmp_path).stdout == ""
    (tmp_path / "setup.cfg").write_text(
        "[flake8]\nhandlelint-borrowers = show\nhandlelint-unknown-calls = escape\n")
    proc = flake8("c.py", cwd=tmp_path)
    assert [line.split()[1] for line in proc.stdout.splitlines()] == ["HDL001"], proc.stderr
    proc = flake8("--handlelint-unknown-calls=borrow", "c.py", cwd=tmp_path)
    assert len(proc.stdout.splitlines()) == 2, proc.stderr


@needs_install
def test_flake8_config_error_is_hdl000(tmp_path: Path) -> None:
    project(tmp_path, "[tool.handlelint]\nreleaser = ['x']\n", {"a.py": "x = 1\n",
                                                                "b.py": "y = 2\n"})
    proc = flake8("a.py", "b.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{name}:1:1: HDL000 configuration error: pyproject.toml: [tool.handlelint] "
        "unknown key 'releaser' (did you mean 'releasers'?)" for name in ("a.py", "b.py")]


# --- rules: [[tool.handlelint.acquire]], [[tool.handlelint.release]] and the packs ---------

#: The widget pair of WIDGETS in the schema of the packaged tables.
WIDGET_ENTRIES = """\
    [[tool.handlelint.acquire]]
    name = "open_widget"
    handle_type = "widget"
    release = ["close_widget"]
    returns_via = "return"
    release_handle_arg_index = 0
    failure_value = "NULL"

    [[tool.handlelint.release]]
    name = "close_widget"
    handle_types = ["widget"]
    handle_arg_index = 0
    """
WIDGET_ENTRY_LEAK = WIDGET_LEAK.replace("open_widget handle", "widget handle")


def _acq(**fields: Any) -> dict[str, Any]:
    return {"name": "open_w", "release": ["close_w"], **fields}


_REL = {"name": "close_w", "handle_arg_index": 0}


@pytest.mark.parametrize(("table", "message"), [
    # wrong type
    ({"acquire": [_acq(release="close_w")], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'release' must be an array of strings, not a "
     "string"),
    ({"acquire": [_acq(self_closing="yes")], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'self_closing' must be true or false, not a "
     "string"),
    ({"acquire": [_acq(returns_via="out")], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'returns_via' must be \"return\" or "
     "\"out_param\" or \"paired\", not 'out'"),
    ({"acquire": [_acq(release_handle_arg_index="0")], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'release_handle_arg_index' must be an "
     "integer, not a string"),
    ({"acquire": [_acq(acquire_if_flag={"arg_index": 0, "flag": 1})], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'acquire_if_flag' must give 'name'"),
    ({"acquire": [_acq(dll="kernel32", module="win32api")], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'module' cannot be given with 'dll': a "
     "function comes from a DLL (ctypes) or from a Python module"),
    ({"acquire": [{"release": ["close_w"]}], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1: the field 'name' is required"),
    ({"acquire": [_acq(name="lib open")], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'lib open': 'name' must be a name (like "
     "CloseHandle or win32api.CloseHandle), not 'lib open'"),
    ({"release": {"close_w": 0}},
     "[tool.handlelint] 'release' must be an array of tables ([[tool.handlelint.release]] "
     "entries), not a table"),
    ({"acquire": [_acq()], "release": [{"name": "close_w", "handle_types": "widget"}]},
     "[[tool.handlelint.release]] #1 'close_w': 'handle_types' must be an array of strings, "
     "not a string"),
    # unknown field
    ({"acquire": [_acq(relase_handle_arg_index=0)], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': unknown field 'relase_handle_arg_index' (did "
     "you mean 'release_handle_arg_index'?)"),
    ({"acquire": [_acq()], "release": [{**_REL, "handle_index": 1}]},
     "[[tool.handlelint.release]] #1 'close_w': unknown field 'handle_index' (did you mean "
     "'handle_arg_index'?)"),
    ({"acquire": [_acq(release_also_takes={"release_arg": 1, "acquire_arg_index": 0,
                                           "release_arg_index": 1})], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'release_also_takes' has an unknown field "
     "'release_arg' (did you mean 'release_arg_index'?)"),
    # index out of range
    ({"acquire": [_acq(returns_via="out_param", out_param_index=40)], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'out_param_index' must be an argument index "
     "from 0 to 31, not 40"),
    ({"acquire": [_acq(pair_key_arg_index=-1)], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'pair_key_arg_index' must be an argument "
     "index from 0 to 31, not -1"),
    ({"acquire": [_acq(no_release_if_flag={"arg_index": 32, "flag": 2, "name": "F"})],
      "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'no_release_if_flag.arg_index' must be an "
     "argument index from 0 to 31, not 32"),
    ({"acquire": [_acq()], "release": [{"name": "close_w", "handle_arg_index": -2}]},
     "[[tool.handlelint.release]] #1 'close_w': 'handle_arg_index' must be an argument index "
     "from -1 to 31, not -2"),
    ({"acquire": [_acq()], "release": [{"name": "close_w", "handle_arg_index": -1}]},
     "[[tool.handlelint.release]] #1 'close_w': 'handle_arg_index' is -1 only for a release "
     "with 'handle_is_receiver' or 'takes_no_handle'"),
    # fields that contradict each other
    ({"acquire": [_acq(returns_via="out_param")], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'out_param_index' is required when "
     "'returns_via' is \"out_param\""),
    ({"acquire": [_acq(release_handle_arg_index=1)], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'release_handle_arg_index' is 1 but 'close_w' "
     "takes the handle at 0"),
    # references
    ({"acquire": [_acq(release=["close_wx"])], "release": [_REL]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'release' names 'close_wx', which no "
     "[[tool.handlelint.release]] entry defines (did you mean 'close_w'?)"),
    ({"acquire": [_acq(release=["close_widget_for_good"])]},
     "[[tool.handlelint.acquire]] #1 'open_w': 'release' names 'close_widget_for_good', which "
     "no [[tool.handlelint.release]] entry defines"),
    ({"acquire": [_acq(), _acq()], "release": [_REL]},
     "[[tool.handlelint.acquire]] #2 'open_w': defined again (first as #1)"),
    ({"acquire": {"open_w": "close_w"}, "release": [_REL, _REL]},
     "[[tool.handlelint.release]] #2 'close_w': defined again (first as #1)"),
    # packs
    ({"rules": ["clusapi", "kernel23"]},
     "[tool.handlelint] 'rules' must hold rule pack names: 'kernel23' is no rule pack (did "
     "you mean 'kernel32'?)"),
    ({"rules": "win32"},
     "[tool.handlelint] 'rules' must be an array of strings, not a string"),
])
def test_bad_rule_entries(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        config_from_table(table, "pyproject.toml")
    assert str(exc.value) == f"pyproject.toml: {message}"
    assert exc.value.path == "pyproject.toml"


def test_rule_entries_are_read() -> None:
    config = config_from_table({
        "acquire": [_acq(aliases=["open_w2"], handle_type="W", dll="wlib"),
                    _acq(name="get_dc", release=["CloseHandle"])],
        "release": [{"name": "close_w", "handle_types": ["W"], "handle_arg_index": 1}],
        "rules": ["clusapi", "win32"]})
    assert config.acquire == {"open_w": ("close_w",), "open_w2": ("close_w",),
                              "get_dc": ("CloseHandle",)}
    first, second = config.acquire_rules
    assert (first.handle_type, first.dll, first.release_handle_arg_index) == ("W", "wlib", 1)
    assert (second.handle_type, second.release_handle_arg_index) == ("get_dc", 0)
    # A release defined by a pack only is taken from there.
    assert [(r.name, r.pack) for r in config.release_rules] == [
        ("close_w", ""), ("CloseHandle", "kernel32")]
    assert config.rules is not None and config.rules[:3] == ("clusapi", "kernel32", "advapi32")
    assert "pywin32" in config.rules and "winreg" in config.rules
    assert config_from_table({"rules": ["user32", "kernel32"]}).rules == ("kernel32", "user32")
    assert config_from_table({"rules": []}).rules == ()
    assert config_from_table({}).rules is None


#: One configuration file per kind of mistake in the rules, and its message.
RULE_ERROR_FILES = [
    ("[tool.handlelint]\nrules = ['clusapi', 'kernel23']\n",
     "handlelint: error: pyproject.toml: [tool.handlelint] 'rules' must hold rule pack names: "
     "'kernel23' is no rule pack (did you mean 'kernel32'?)"),
    ("[[tool.handlelint.acquire]]\nname = 'open_w'\nrelease = ['close_w']\ncolour = 1\n",
     "handlelint: error: pyproject.toml: [[tool.handlelint.acquire]] #1 'open_w': unknown "
     "field 'colour'"),
    ("[[tool.handlelint.acquire]]\nname = 'open_w'\nrelease = ['close_w']\n",
     "handlelint: error: pyproject.toml: [[tool.handlelint.acquire]] #1 'open_w': 'release' "
     "names 'close_w', which no [[tool.handlelint.release]] entry defines"),
    ("[[tool.handlelint.release]]\nname = 'close_w'\nhandle_arg_index = 99\n",
     "handlelint: error: pyproject.toml: [[tool.handlelint.release]] #1 'close_w': "
     "'handle_arg_index' must be an argument index from -1 to 31, not 99"),
    ("[[tool.handlelint.acquire]]\nname = 'open_w'\nrelease = 'close_w'\n",
     "handlelint: error: pyproject.toml: [[tool.handlelint.acquire]] #1 'open_w': 'release' "
     "must be an array of strings, not a string"),
]


@pytest.mark.parametrize(("text", "expected"), RULE_ERROR_FILES)
def test_cli_rule_errors_exit_2(text: str, expected: str, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, text, {"m.py": "import ctypes\nclusapi = ctypes.windll.clusapi\n"})
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "m.py") == (2, [], [expected])


@pytest.mark.parametrize(("text", "expected"), RULE_ERROR_FILES)
def test_plugin_rule_errors_are_hdl000(text: str, expected: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Plugin, "config", Config())
    monkeypatch.setattr(Plugin, "config_error", None)
    Plugin.parse_options(options())
    message = expected.replace("handlelint: error: ", "HDL000 configuration error: ")
    assert list(Plugin(None, ["x = 1\n"], "a.py").run()) == [  # type: ignore[arg-type]
        (1, 0, message, Plugin)]


def test_configured_entries_work_like_pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """``[[tool.handlelint.acquire]]`` in the forms the engine models, end to end."""
    project(tmp_path, WIDGET_ENTRIES, {"widgets.py": WIDGETS, "other.py": "x = 1\n"})
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "widgets.py", "other.py") == (1, [f"widgets.py:2:9: {WIDGET_ENTRY_LEAK}"],
                                                     [])
    # The same pair as shorthand gives the same finding, but for the handle's words.
    project(tmp_path, '[tool.handlelint.acquire]\nopen_widget = "close_widget"\n')
    assert run(capsys, "widgets.py") == (1, [f"widgets.py:2:9: {WIDGET_LEAK}"], [])


def test_configured_release_takes_the_handle_at_its_index(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    """``release_dc(window, dc)``: the handle is the second argument."""
    source = WIDGETS.replace("close_widget(w)", "release_dc(name, w)")
    project(tmp_path, """\
        [[tool.handlelint.acquire]]
        name = "open_widget"
        release = ["release_dc"]

        [[tool.handlelint.release]]
        name = "release_dc"
        handle_arg_index = 1
        """, {"w.py": source})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "w.py")
    assert (code, [o.split(":")[1] for o in out]) == (1, ["2"])
    (tmp_path / "pyproject.toml").write_text(
        (tmp_path / "pyproject.toml").read_text().replace("= 1", "= 0"))
    code, out, _ = run(capsys, "w.py")
    assert (code, [o.split(":")[1] for o in out]) == (1, ["2", "12"])


def test_each_alias_of_an_entry_is_tracked() -> None:
    config = config_from_table({"acquire": [_acq(name="open_widget", aliases=["open_w_ex"],
                                                 release=["close_widget"])],
                                "release": [{"name": "close_widget"}]})
    assert config.acquire == {"open_widget": ("close_widget",),
                              "open_w_ex": ("close_widget",)}
    source = WIDGETS.replace("w = open_widget(name)", "w = open_w_ex(name)")
    assert [(f.line, f.code) for f in check_source(source, "w.py", config)] == [(2, "HDL001")]


def test_entries_the_engine_does_not_model_yet_give_no_finding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An entry with a field the engine does not enforce is checked, not applied (yet)."""
    project(tmp_path, WIDGET_ENTRIES.replace('"NULL"', '"INVALID_HANDLE_VALUE"'),
            {"w.py": WIDGETS})
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "w.py") == (0, [], [])


@pytest.mark.parametrize(("rules", "findings"), [
    (None, 2), (["clusapi"], 2), (["clusapi", "kernel32"], 2), (["win32"], 0),
    (["kernel32", "pywin32"], 0), ([], 0),
])
def test_rules_narrow_the_packs(rules: list[str] | None, findings: int) -> None:
    config = config_from_table({} if rules is None else {"rules": rules})
    config = dataclasses.replace(config, unknown_calls="borrow")
    assert len(check_source(CLUSTER, "c.py", config)) == findings


def test_win32_packs_change_no_finding_yet() -> None:
    """Every fixture gives the same findings with every pack on as with clusapi alone."""
    everything = config_from_table({"rules": ["clusapi", "win32"]})
    for path in fixture_files():
        data = path.read_bytes()
        assert check_source(data, str(path), everything) == check_source(data, str(path))


def test_checking_files_does_not_load_the_win32_table() -> None:
    code = ("from handlelint.engine import check_source\n"
            "from handlelint.packs import win32_rules\n"
            "check_source('import ctypes\\nclusapi = ctypes.windll.clusapi\\n'\n"
            "             'h = clusapi.OpenCluster(None)\\n', 'm.py')\n"
            "check_source('x = 1\\n', 'n.py')\n"
            "assert win32_rules.cache_info().currsize == 0\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_plugin_rules_option() -> None:
    options = argparse.Namespace(handlelint_rules=["kernel32", "clusapi"])
    config = config_from_options(options, Config())
    assert config.rules == ("clusapi", "kernel32")
    with pytest.raises(ConfigError, match="'kernel23' is no rule pack"):
        config_from_options(argparse.Namespace(handlelint_rules=["kernel23"]), Config())


def test_plugin_acquire_option_replaces_the_entries() -> None:
    base = config_from_table({"acquire": [_acq(name="open_widget", release=["close_w"])],
                              "release": [{"name": "close_w", "handle_arg_index": 1}]})
    options = argparse.Namespace(handlelint_acquire=["open_widget=close_widget"])
    config = config_from_options(options, base)
    assert [(f.line, f.code) for f in check_source(WIDGETS, "w.py", config)] == [(2, "HDL001")]


@needs_install
def test_flake8_enforces_configured_entries(tmp_path: Path) -> None:
    project(tmp_path, WIDGET_ENTRIES, {"widgets.py": WIDGETS})
    proc = flake8("widgets.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, f"widgets.py:2:9: {WIDGET_ENTRY_LEAK}\n"), \
        proc.stderr


@needs_install
def test_flake8_rule_error_is_hdl000(tmp_path: Path) -> None:
    broken = WIDGET_ENTRIES.replace("    handle_arg_index = 0", "    handle_arg_index = 40")
    project(tmp_path, broken, {"a.py": "x = 1\n"})
    proc = flake8("a.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == (
        "a.py:1:1: HDL000 configuration error: pyproject.toml: [[tool.handlelint.release]] #1 "
        "'close_widget': 'handle_arg_index' must be an argument index from -1 to 31, not 40\n")
