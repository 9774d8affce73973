"""Hostile inputs (SPEC section 7, issue 3): never a crash, never a hang.

Each input is written to a file and checked by the CLI in this process with ``--force``
and ``--jobs 1``. Every case asserts: no traceback in the output, exit status 0 or 1,
and the expected HDL000 (or finding) lines. None of them asserts a time, but each is
meant to finish in a few seconds.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from handlelint.syntax import subclasses

from handlelint.cli import main

LEAK = (
    "import ctypes\n"
    "clusapi = ctypes.windll.clusapi\n"
    "def f():\n"
    "    h = clusapi.OpenCluster(None)\n"
    "    return 1\n"
)


def run_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes,
            name: str = "hostile.py") -> tuple[int, list[str]]:
    path = tmp_path / name
    path.write_bytes(data)
    # The inputs set up ``clusapi`` without restypes or argtypes for brevity; HDL007 and
    # HDL008 are not their subject.
    code = main([str(path), "--force", "--jobs", "1", "--ignore", "HDL007,HDL008"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out and "Traceback" not in err, out + err
    assert code in (0, 1), (code, out, err)
    lines = out.splitlines()
    # exit status agrees with the output: 1 exactly when something was reported
    assert code == (1 if lines else 0), (code, out)
    return code, lines


def codes(lines: list[str]) -> list[str]:
    """The code of each ``path:line:col: CODE message`` line."""
    return [line.split(": ", 1)[1].split()[0] for line in lines]


def at(lines: list[str], code: str) -> list[int]:
    """Line numbers of the lines reporting ``code``."""
    result = []
    for line in lines:
        location, rest = line.split(": ", 1)
        if rest.split()[0] == code:
            result.append(int(location.rsplit(":", 2)[1]))
    return result


def only_hdl000(lines: list[str]) -> str:
    assert codes(lines) == ["HDL000"], lines
    return lines[0]


# --- encodings --------------------------------------------------------------------


def test_undecodable_bytes_without_bom(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run_cli(tmp_path, capsys, b"\xff\xfe\x00garbage")
    assert code == 1
    assert "decode" in only_hdl000(lines)


def test_latin1_bytes_in_utf8_file(tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    data = "# caf\xe9 cr\xe8me\nimport ctypes\nclusapi = ctypes.windll.clusapi\n".encode("latin-1")
    code, lines = run_cli(tmp_path, capsys, data)
    assert code == 1
    assert "decode" in only_hdl000(lines)


def test_wrong_encoding_cookie(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = b"# -*- coding: uft-8 -*-\nimport ctypes\nx = 1\n"
    code, lines = run_cli(tmp_path, capsys, data)
    assert code == 1
    assert "uft-8" in only_hdl000(lines)


def test_bom_and_crlf_with_a_real_leak(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    data = b"\xef\xbb\xbf" + LEAK.replace("\n", "\r\n").encode("utf-8")
    code, lines = run_cli(tmp_path, capsys, data)
    assert code == 1
    assert codes(lines) == ["HDL001"], lines
    assert at(lines, "HDL001") == [4]


def test_form_feeds_between_statements_with_a_real_leak(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = (
        "import ctypes\n"
        "\x0c\n"
        "clusapi = ctypes.windll.clusapi\n"
        "\x0c\n"
        "def f():\n"
        "    h = clusapi.OpenCluster(None)\n"
        "\x0c    return 1\n"
    )
    code, lines = run_cli(tmp_path, capsys, source.encode("utf-8"))
    assert code == 1
    assert codes(lines) == ["HDL001"], lines
    assert at(lines, "HDL001") == [6]


# --- what Python itself rejects ------------------------------------------------------


@pytest.mark.parametrize("data, where", [
    (b"import ctypes\nx = 1\x00\ny = 2\n", "2:6"),
    (b"import ctypes\nx = 1\ny = 'a\x00b'\nh = OpenCluster(None)\n", "3:7"),
    (b"import ctypes\r\nx = 1\ry = 2\r\nz = 'a\x00b'\nh = OpenCluster(None)\n", "4:7"),
    (b"x = 1\r\x00\r", "2:1"),
    ("import ctypes\ns = '\u00e9\u4e2d' + '\x00'\n".encode(), "2:13"),
])
def test_null_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes,
                   where: str) -> None:
    """Every Python rejects a null byte, in a string too: a plain HDL000 where it is
    (line, 1-based column; lines end at LF, CRLF or a lone CR)."""
    code, lines = run_cli(tmp_path, capsys, data)
    assert code == 1
    message = only_hdl000(lines)
    assert "null bytes" in message and "internal error" not in message, message
    assert message.split(": ", 1)[0].endswith(f":{where}"), message


@pytest.mark.parametrize("data, where", [
    ("import ctypes\nx = '\u00e9' $\n".encode(), "2:9"),
    ("import ctypes\nx = '\u00e9\u4e2d' + \x0b\n".encode(), "2:12"),
])
def test_syntax_error_column_counts_characters(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               data: bytes, where: str) -> None:
    """Python gives a syntax error's column in characters; the reported column is in
    characters too after non-ASCII text (findings carry byte offsets inside)."""
    code, lines = run_cli(tmp_path, capsys, data)
    assert code == 1
    assert only_hdl000(lines).split(": ", 1)[0].endswith(f":{where}"), lines


def test_syntax_error_reports_its_line(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    data = b"import ctypes\nx = 1\ndef f(:\n    pass\n"
    code, lines = run_cli(tmp_path, capsys, data)
    assert code == 1
    only_hdl000(lines)
    assert at(lines, "HDL000") == [3], lines


def test_1000_nested_parentheses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ("x = " + "(" * 1000 + "1" + ")" * 1000 + "\n").encode()
    code, lines = run_cli(tmp_path, capsys, data)
    assert code == 1
    only_hdl000(lines)


def test_100000_operand_sum(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ("a = 1\nx = " + " + ".join(["a"] * 100_000) + "\n").encode()
    code, lines = run_cli(tmp_path, capsys, data)
    assert code == 1
    only_hdl000(lines)


# --- big and deep, but valid -------------------------------------------------------


def test_10000_line_function_with_one_leak(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    body = []
    i = 0
    while len(body) < 10_000:
        if i % 10 == 0:
            body += [
                f"    h{i} = clusapi.OpenCluster(None)",
                f"    if h{i}:",
                f"        clusapi.CloseCluster(h{i})",
            ]
        else:
            body.append(f"    x{i} = {i} * 2")
        i += 1
    body += ["    leaked = clusapi.OpenCluster(None)", "    return x1"]
    header = "import ctypes\nclusapi = ctypes.windll.clusapi\n\n\ndef big():\n"
    source = header + "\n".join(body) + "\n"
    assert source.count("\n") > 10_000
    leak_line = source.splitlines().index("    leaked = clusapi.OpenCluster(None)") + 1
    code, lines = run_cli(tmp_path, capsys, source.encode())
    assert code == 1
    assert codes(lines) == ["HDL001"], lines[:5]
    assert at(lines, "HDL001") == [leak_line]


def test_5000_branch_elif_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    branches = "".join(f"    elif x == {i}:\n        y = {i}\n" for i in range(1, 5000))
    source = "def f(x):\n    if x == 0:\n        y = 0\n" + branches + "    return y\n"
    code, lines = run_cli(tmp_path, capsys, source.encode())
    # HDL000 "too deeply nested", or analysed: either way no traceback, exit 0 or 1
    assert set(codes(lines)) <= {"HDL000"}, lines


def test_150_nested_calls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ("def f(x):\n    return x\n\nx = " + "f(" * 150 + "1" + ")" * 150 + "\n").encode()
    code, lines = run_cli(tmp_path, capsys, data)
    assert "internal error" not in "\n".join(lines), lines


def test_50_nested_function_defs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = "import ctypes\nclusapi = ctypes.windll.clusapi\ndef f0():\n"
    for depth in range(1, 50):
        source += "    " * depth + f"def f{depth}():\n"
    source += "    " * 50 + "h = clusapi.OpenCluster(None)\n"
    source += "    " * 50 + "clusapi.CloseCluster(h)\n"
    code, lines = run_cli(tmp_path, capsys, source.encode())
    assert "internal error" not in "\n".join(lines), lines
    assert code == 0, lines


# --- the flake8 plugin leaves syntax errors to E999 -------------------------------------


def _plugin_registered() -> bool:
    eps = metadata.entry_points()
    group = (eps.select(group="flake8.extension") if hasattr(eps, "select")
             else eps.get("flake8.extension", []))  # type: ignore[attr-defined]
    return any(ep.name == "HDL" for ep in group)


@pytest.mark.skipif(not _plugin_registered(), reason="flake8 HDL plugin not registered")
def test_flake8_plugin_syntax_error_is_e999_only(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("import ctypes\nclusapi = ctypes.windll.clusapi\ndef f(:\n    pass\n")
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select=HDL,E999", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output
    assert "E999" in proc.stdout, output
    assert "HDL000" not in proc.stdout, output


def test_libcst_checks_are_back_after_every_parse() -> None:
    """The parse switches libcst's node checks off for itself only, even when it fails."""
    import libcst as cst

    from handlelint.source import SourceError, parse

    original = cst.CSTNode.__dict__["__post_init__"]
    inits = {kind: kind.__dict__.get("__init__") for kind in subclasses(cst.CSTNode)}
    assert parse("x = 1\n").module.body
    with pytest.raises(SourceError):
        parse("def (:\n")
    assert cst.CSTNode.__dict__["__post_init__"] is original
    assert {kind: kind.__dict__.get("__init__") for kind in inits} == inits
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def test_the_parse_s_own_constructors_build_the_same_trees() -> None:
    """The quick constructors of a parse set the same fields as libcst's own."""
    import libcst as cst

    from handlelint.constructors import _quick_inits
    from handlelint.source import parse

    text = (Path(__file__).parent.parent / "handlelint" / "dataflow" / "transfer.py").read_text()
    ours = parse(text).module
    assert ours.deep_equals(cst.parse_module(text)) and ours.code == text
    from handlelint.constructors import COMMON

    assert {kind.__name__ for kind, _, _ in _quick_inits()} == COMMON  # all plain cases
