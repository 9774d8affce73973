"""What is valid Python is libcst's grammar, not the running interpreter's."""

from __future__ import annotations

from handlelint.engine import check_source

PEP_695 = """import ctypes
clusapi = ctypes.windll.clusapi
clusapi.OpenCluster.restype = ctypes.c_void_p
type Name = str


def first[T](items: list[T], name: Name) -> T:
    h = clusapi.OpenCluster(name)
    return items[0]
"""


def test_new_syntax_is_analysed_on_every_python() -> None:
    """PEP 695 (Python 3.12) is analysed on 3.9 to 3.11 too: libcst parses it."""
    findings = check_source(PEP_695)
    assert [(f.line, f.col, f.code) for f in findings] == [(8, 8, "HDL001")]


def test_new_syntax_positions_count_utf8_bytes() -> None:
    source = PEP_695.replace("    h = clusapi", "    ñ = 1; h = clusapi")
    assert [(f.line, f.col) for f in check_source(source)] == [(8, 16)]


def test_form_feed_in_indentation_names_its_line() -> None:
    source = "import clusapi\n\ndef f():\n    x = 1\n  \x0c  y = 2\n"
    findings = check_source(source)
    assert [(f.line, f.code) for f in findings] == [(5, "HDL000")]
    assert findings[0].col > 0


def test_syntax_error_names_line_and_column() -> None:
    findings = check_source("import clusapi\nx = (1,\ny = 2 +\n")
    assert [f.code for f in findings] == ["HDL000"]
    assert findings[0].line > 1
