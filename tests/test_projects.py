"""The project as the unit: fixture projects, summaries of any depth, no import cycles."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from handlelint.cli import main
from handlelint.engine import check_source
from tests.fixture_marks import ROOT, project_dirs, project_marks

_LINE = re.compile(r"^(?:\./)?(.+?):(\d+):\d+: (HDL\d{3}) ")


def _parse(output: str) -> set[tuple[str, int, str]]:
    found = set()
    for line in output.splitlines():
        match = _LINE.match(line)
        if match:
            found.add((match.group(1).replace(os.sep, "/"), int(match.group(2)),
                       match.group(3)))
    return found


@pytest.mark.parametrize("root", project_dirs(), ids=lambda p: p.name)
def test_project_cli(root: Path, capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    main([".", "--jobs", "1", "--quiet"])
    assert sorted(_parse(capsys.readouterr().out)) == sorted(project_marks(root))


@pytest.mark.parametrize("root", project_dirs(), ids=lambda p: p.name)
def test_project_flake8(root: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select=HDL", "."],
                          capture_output=True, text=True, cwd=root)
    assert sorted(_parse(proc.stdout)) == sorted(project_marks(root)), proc.stderr


def test_there_are_fixture_projects_for_each_reduction() -> None:
    names = {p.name for p in project_dirs()}
    assert {"wrapper_module", "context_manager", "owning_object", "del_property",
            "partial_construction", "mock_assertions", "imports_and_types"} <= names
    # Qualified configured names, nested functions, closures over ``self``, factories
    # imported from other modules, ExitStack owners, a DLL object from a factory.
    assert {"qualified_names", "nested_functions", "closure_self", "imported_return_types",
            "exit_stack_owner", "dll_factory"} <= names


def _chain(depth: int, callers_first: bool) -> str:
    functions = ["def w0(name):\n    return clusapi.OpenCluster(name)\n"]
    functions += [f"def w{i}(name):\n    return w{i - 1}(name)\n" for i in range(1, depth)]
    if callers_first:
        functions.reverse()
    use = (f"def use(name):\n    hc = w{depth - 1}(name)\n    print(hc)\n")
    return "import ctypes\nclusapi = ctypes.windll.clusapi\n\n" + "\n".join(functions) + use


@pytest.mark.parametrize("callers_first", [True, False])
def test_wrapper_chain_forty_deep(callers_first: bool) -> None:
    source = _chain(40, callers_first)
    findings = check_source(source, strict=True)
    line = source.splitlines().index("    hc = w39(name)") + 1
    assert [(f.line, f.code) for f in findings if f.code == "HDL001"] == [(line, "HDL001")]


def test_recursive_wrappers_terminate() -> None:
    source = (
        "import ctypes\nclusapi = ctypes.windll.clusapi\n\n"
        "def a(name, n):\n    if n:\n        return b(name, n - 1)\n"
        "    return clusapi.OpenCluster(name)\n\n"
        "def b(name, n):\n    return a(name, n)\n\n"
        "def use():\n    hc = b('c', 3)\n    print(hc)\n")
    findings = check_source(source, strict=True)
    assert [(f.line, f.code) for f in findings if f.code == "HDL001"] == [(13, "HDL001")]


def _imports(path: Path, package: str) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    parts = path.relative_to(ROOT).with_suffix("").parts
    module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                if parts[-1] != "__init__":
                    anchor = anchor[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {name for name in found if name == package or name.startswith(package + ".")}


def test_the_package_has_no_import_cycles() -> None:
    """Every import counts, those under ``TYPE_CHECKING`` and inside functions too."""
    files = {}
    for path in sorted((ROOT / "handlelint").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {name: {m for m in _imports(path, "handlelint") if m in files and m != name}
             for name, path in files.items()}
    # A package's ``__init__`` is imported with any of its modules: count it as a node.
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                cycle = trail[trail.index(other):] + [other] if other in trail else [other]
                raise AssertionError(" -> ".join(cycle))
            if other not in state:
                visit(other, [*trail, other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_prefilter_reads_the_project_vocabulary() -> None:
    """A file calling a project wrapper is parsed; one mentioning nothing is not."""
    from handlelint.config import Config
    from handlelint.engine import passes_prefilter

    pkg = ROOT / "fixtures" / "projects" / "wrapper_module" / "pkg"
    for name, wanted in (("session.py", True), ("plain.py", False), ("ops.py", True)):
        path = pkg / name
        assert passes_prefilter(path.read_bytes(), Config(), str(path)) is wanted, name
    # Outside a project the plain prefilter decides alone.
    assert not passes_prefilter((pkg / "session.py").read_bytes(), Config())


def _write_project(root: Path, opener_body: str) -> None:
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n", "utf-8")
    (root / "pkg").mkdir(exist_ok=True)
    (root / "pkg" / "__init__.py").write_text("", "utf-8")
    (root / "pkg" / "opener.py").write_text(
        "import ctypes\nclusapi = ctypes.windll.clusapi\n\n\ndef get(name):\n"
        f"    {opener_body}\n", "utf-8")
    (root / "pkg" / "user.py").write_text(
        "from pkg.opener import get\n\n\ndef use():\n    hc = get('c')\n    print(hc)\n",
        "utf-8")


def _run_cli(root: Path, capsys: pytest.CaptureFixture[str], *extra: str
             ) -> set[tuple[str, int, str]]:
    capsys.readouterr()
    main([str(root), "--jobs", "1", "--quiet", "--select", "HDL001", *extra])
    return {(Path(p).name, line, code) for p, line, code in _parse(capsys.readouterr().out)}


def test_cache_is_used_and_follows_dependencies(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from handlelint.project import store

    _write_project(tmp_path, "return clusapi.OpenCluster(name)")
    leak = {("user.py", 5, "HDL001")}
    assert _run_cli(tmp_path, capsys) == leak
    assert (tmp_path / ".handlelint_cache").is_dir()
    store._PROJECTS.clear()  # a new run: only the disk remains
    assert _run_cli(tmp_path, capsys) == leak
    assert sum(p.built for p in store._PROJECTS.values()) == 0  # all from the cache
    # The opener changes: the user's entry, which depends on its summaries, is stale.
    _write_project(tmp_path, "return None")
    store._PROJECTS.clear()
    assert _run_cli(tmp_path, capsys) == set()
    store._PROJECTS.clear()
    assert _run_cli(tmp_path / "pkg" / "user.py", capsys, "--no-cache") == set()


def test_no_cache_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_project(tmp_path, "return clusapi.OpenCluster(name)")
    assert _run_cli(tmp_path, capsys, "--no-cache") == {("user.py", 5, "HDL001")}
    assert not (tmp_path / ".handlelint_cache").exists()


def test_prefilter_reads_only_the_modules_a_file_reaches(tmp_path: Path) -> None:
    """The project prefilter reads the modules reachable through the checked file's
    imports (wrappers of wrappers included), never the rest of the checkout."""
    from handlelint.config import Config
    from handlelint.engine import passes_prefilter
    from handlelint.project import vocabulary

    (tmp_path / ".git").mkdir()
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", "utf-8")
    (pkg / "low.py").write_text("import ctypes\nclusapi = ctypes.windll.clusapi\n\n\n"
                                "def open_it(name):\n    return clusapi.OpenCluster(name)\n")
    (pkg / "mid.py").write_text("from .low import (\n    open_it,\n)\n\n\n"
                                "def open_twice(name):\n    return open_it(name)\n")
    (pkg / "top.py").write_text("from pkg import mid as m\n\n\ndef use():\n"
                                "    h = m.open_twice('c')\n    return h\n")
    (pkg / "alone.py").write_text("def use(m):\n    return m.open_twice('c')\n")
    (pkg / "plain.py").write_text("import os\nfrom pkg import other0\n\n\n"
                                  "def f():\n    return os.sep\n")
    for i in range(20):
        (pkg / f"other{i}.py").write_text(f"def open_twice{i}():\n    return {i}\n")
    vocabulary.clear()
    config = Config()
    for name, wanted in (("top.py", True), ("alone.py", False), ("plain.py", False)):
        path = pkg / name
        assert passes_prefilter(path.read_bytes(), config, str(path)) is wanted, name
    read = {Path(p).name for p in vocabulary._TEXTS}
    assert read == {"__init__.py", "low.py", "mid.py", "other0.py"}


def test_cache_journals_survive_cut_lines_and_are_compacted(tmp_path: Path) -> None:
    """Each process appends to a journal of its own; a line cut short is a miss, a
    later line wins, and many journals are merged into one when read."""
    from handlelint.findings import Finding
    from handlelint.project import cache

    folder = str(tmp_path / ".handlelint_cache")
    entry = cache.Entry("c1", {"pkg.b": "-"}, None, (Finding(3, 4, "HDL001", "leak"),))
    writer = cache.DiskCache(folder, "settings")
    writer.store("pkg.a", entry, "null")
    journals = [n for n in os.listdir(folder) if n.endswith(".jsonl")]
    assert len(journals) == 1 and os.path.exists(os.path.join(folder, ".gitignore"))
    with open(os.path.join(folder, journals[0]), "ab") as stream:
        stream.write(b'pkg.b\t{"settings": "')  # a worker killed mid-line
    reader = cache.DiskCache(folder, "settings")
    assert reader.load("pkg.a", "c1") == entry
    assert reader.load("pkg.a", "c2") is None and reader.load("pkg.b", "c1") is None
    assert cache.DiskCache(folder, "other settings").load("pkg.a", "c1") is None
    for i in range(cache.COMPACT_AFTER):
        newer = cache.Entry(f"c{i}", {}, None, ())
        with open(os.path.join(folder, f"99999999999999999{i:03d}-9.jsonl"), "w") as stream:
            stream.write(f"pkg.a\t{{\"settings\": \"{reader.settings}\", "
                         f"\"content\": \"{newer.content}\", \"deps\": {{}}, "
                         f"\"facts\": null, \"findings\": []}}\n")
    last = f"c{cache.COMPACT_AFTER - 1}"
    merged = cache.DiskCache(folder, "settings")
    assert merged.load("pkg.a", "c1") is None  # the journal written last wins
    assert merged.load("pkg.a", last) is not None
    left = [n for n in os.listdir(folder) if n.endswith(".jsonl")]
    assert len(left) == 1
    assert cache.DiskCache(folder, "settings").load("pkg.a", last) is not None


def test_imported_modules_are_read_from_import_lines(tmp_path: Path) -> None:
    """Every form of import names the project modules it loads, packages included."""
    from handlelint.project.layout import Layout
    from handlelint.project.vocabulary import imported_modules

    for name in ("a/__init__.py", "a/b.py", "a/c/__init__.py", "a/c/d.py", "a/c/g.py", "e.py",
                 "f.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    text = (b"import os, e as x\n"
            b"if True:\n    from a.c import (\n        d as dd,  # note\n        g,\n    )\n"
            b"from . import b\n"
            b"from .c.d import thing; import f\n"
            b'"""An important word, not an import."""\n')
    found = imported_modules(text, "a.b", Layout(str(tmp_path)))
    assert sorted(found) == ["a", "a.b", "a.c", "a.c.d", "a.c.g", "e", "f"]
    assert imported_modules(b"from . import b\n", None, Layout(str(tmp_path))) == []


def test_mentioned_elsewhere_counts_once_after_many_searches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``SEARCHES_BEFORE_COUNT`` names the project's words are counted in one pass;
    the answers are those of the name-by-name search."""
    from handlelint.project import vocabulary

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "a.py").write_text(
        "def used():\n    pass\n\n\ndef alone():\n    pass\n\n\nclass Twice:\n    pass\n"
        "\n\nasync def later():\n    pass\n")
    (tmp_path / "b.py").write_text("from a import used\nused()\nlater_not = 1\n")
    (tmp_path / "c.py").write_text("class Twice:\n    pass\n")
    names = ["used", "alone", "Twice", "later", "missing"]
    root = str(tmp_path)
    answers = []
    for limit in (100, 0):
        vocabulary.clear()
        monkeypatch.setattr(vocabulary, "SEARCHES_BEFORE_COUNT", limit)
        answers.append([vocabulary.mentioned_elsewhere(root, n) for n in names])
    vocabulary.clear()
    assert answers[0] == answers[1] == [True, False, False, False, False]
