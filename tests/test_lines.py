"""Statement lines from the text's logical lines (handlelint.lines), checked against ast."""

from __future__ import annotations

import ast
import sys
import textwrap

import libcst as cst
import pytest

from handlelint import lines
from handlelint.index import index_module
from handlelint.positions import _ast_statements

SAMPLES = {
    "decorators and strings": r'''
        """Module docstring
        spanning lines, with a # and a ( inside."""
        import os  # a comment with "quotes" and (brackets


        @decorator(
            "arg",
        )
        @other
        def f(a,
              b=(1, 2)):
            x = """text
            more text"""
            x += 1; y = 2
            s = 'it\'s' + "a \"quoted\" (" + r'\\' + '\\'
            if x:  # trailing comment
                return (
                    a
                    + b
                )
            elif y: pass
            elif b:
                z = [i for i in
                     range(3)]
            else:
                # only a comment

                raise ValueError(
                    f"{x!r} and {y}"
                )
            total = 1 + \
                2
            return total
        ''',
    "compound statements": r'''
        class A(Base):
            attr: int = 0

            async def run(self):
                async with lock as held, other:
                    pass
                async for item in things():
                    await item
                else:
                    del item
            def g(self): return 1
        try:
            import sys
        except (ImportError,
                OSError) as exc:
            raise
        except Exception:
            pass
        else:
            global sys
        finally:
            assert True, "message"
        while False:
            break
        else:
            continue_ = 1
        with open("f") as fh, \
                open("g") as gh:
            data = fh.read()
        lambda_ = lambda: (yield)
        ''',
    "windows line ends": "x = 1\r\nif x:\r\n    y = (1,\r\n         2)\r\n\r\n    z = 3\r\n",
}


def _ast_lines(source: str) -> list[int]:
    return [s.lineno for s in _ast_statements(ast.parse(source))]


def _our_lines(source: str) -> list[int] | None:
    module = cst.parse_module(source)
    layout = lines.scan(source)
    assert layout is not None
    found = lines.statement_lines(module, layout)
    if found is None:
        return None
    return [found[id(s)] for s in index_module(module).statements]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_statement_lines_are_those_of_python_s_own_parser(name: str) -> None:
    source = textwrap.dedent(SAMPLES[name]).lstrip("\n")
    assert _our_lines(source) == _ast_lines(source)


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match needs Python 3.10 for ast")
def test_match_statements() -> None:
    source = textwrap.dedent('''
        match command.split():
            case [action]:
                go(action)
            case [action, obj] if obj:
                go(action, obj)
            case _: pass
        ''').lstrip("\n")
    assert _our_lines(source) == _ast_lines(source)


@pytest.mark.parametrize("source", [
    # a header over several lines with its body after the colon: which line is it on?
    "def f(\n    a,\n) -> int: return a\n",
    # a second small statement after a statement over several lines
    "x = (1,\n     2); y = 3\n",
])
def test_lines_it_cannot_place_are_left_to_ast(source: str) -> None:
    assert _our_lines(source) is None


def test_a_mismatch_between_text_and_tree_is_detected() -> None:
    module = cst.parse_module("x = 1\nif x:\n    pass\n")
    layout = lines.scan("x = 1\ny = 2\nif x:\n    pass\n")  # another text
    assert layout is not None
    assert lines.statement_lines(module, layout) is None


@pytest.mark.parametrize("source", [
    "x = 1\ry = 2\n",  # a lone carriage return
    "x = 1\n\\\ny = 2\n",  # a line of only a backslash: y = 2 is on line 3 for Python
])
def test_what_the_scan_does_not_model_is_left_to_ast(source: str) -> None:
    assert lines.scan(source) is None


@pytest.mark.parametrize("source, shallow", [
    ("def f():\n    return g(h(1), [2, {3: 4}])\n", True),
    ("x = " + "(" * 150 + "1" + ")" * 150 + "\n", False),
    ("x = " + "+".join(["1"] * 400) + "\n", False),
    ("x = (\n" + "    1,\n" * 200 + ")\n", False),  # one logical line over 200 lines
    ("".join(" " * i + "if x:\n" for i in range(90)) + " " * 90 + "pass\n", False),
    ("if a:\n    pass\n" + "elif a:\n    pass\n" * 1100, False),
    ('def f():\n    """' + "word " * 400 + '"""\n', True),  # nothing nests in a docstring
    ('x = f"' + "{y}" * 400 + '"\n', False),  # an f-string's fields may nest
    ("x = " + '"a"' * 700 + "\n", False),  # libcst chains adjacent strings
    ('x = f"{' + "(" * 120 + "1" + ")" * 120 + '}"\n', False),  # brackets in a field
])
def test_shallow_bounds_how_deeply_a_text_can_nest(source: str, shallow: bool) -> None:
    layout = lines.scan(source)
    assert layout is not None
    assert layout.shallow is shallow


@pytest.fixture
def python_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts Python's own parser is asked to parse (by the engine or positions)."""
    from handlelint import positions, source as source_module

    calls: list[str] = []
    original = source_module.parse_python

    def counted(text: str) -> ast.Module:
        calls.append(text)
        return original(text)

    monkeypatch.setattr(source_module, "parse_python", counted)
    monkeypatch.setattr(positions, "parse_python", counted)
    return calls


def test_python_s_parse_runs_only_where_the_text_may_nest_deeply(
        python_parses: list[str]) -> None:
    from handlelint import source as source_module

    calls = python_parses
    parsed = source_module.parse("def f():\n    return 1\n")
    assert calls == [] and parsed.tree is None and parsed.layout is not None
    deep = "x = " + "[" * 120 + "]" * 120 + "\n"
    parsed = source_module.parse(deep)
    assert calls == [deep] and parsed.tree is not None
    with pytest.raises(source_module.SourceError) as error:  # Python's verdict, asked late
        source_module.parse("def f(:\n    pass\n")
    assert error.value.python_rejects


def test_a_file_without_findings_is_never_parsed_by_python(
        python_parses: list[str]) -> None:
    """Statement lines come from the text; Python's parse places a call only when a
    finding names it."""
    from handlelint.engine import check_source

    calls = python_parses
    clean = textwrap.dedent('''
        import contextlib
        import ctypes
        clusapi = ctypes.WinDLL("clusapi.dll")
        clusapi.OpenCluster.restype = ctypes.c_void_p
        clusapi.OpenClusterGroup.restype = ctypes.c_void_p
        for name in ("CloseCluster", "CloseClusterGroup", "GetClusterGroupState"):
            getattr(clusapi, name).argtypes = [ctypes.c_void_p]


        @contextlib.contextmanager
        def opened(name):
            h = clusapi.OpenCluster(name)
            if not h:
                raise OSError(name)
            try:
                yield h
            finally:
                clusapi.CloseCluster(h)


        class Groups:
            def state(self, name, group):
                with opened(name) as hc:
                    hg = clusapi.OpenClusterGroup(hc, group)
                    if hg is None: return None
                    try:
                        for i in range(3):
                            if clusapi.GetClusterGroupState(hg, None, None) == i:
                                return i
                        else:
                            return -1
                    except OSError as exc:
                        raise RuntimeError(group) from exc
                    finally:
                        clusapi.CloseClusterGroup(hg)
        ''')
    assert check_source(clean) == [] and calls == []
    leaky = clean + "\n\ndef leak(name):\n    h = clusapi.OpenCluster(name)\n    return 1\n"
    (finding,) = check_source(leaky)
    assert (finding.code, finding.line, finding.col) == ("HDL001", 40, 8)
    assert len(calls) == 1  # the finding's position
