"""The CFG builder: compact dumps of small graphs, and every statement kind modelled."""

from __future__ import annotations

import ast
import inspect
import textwrap

import libcst as cst
import pytest

from handlelint.cfg.builder import MODELLED, UnsupportedNode, build_cfg
from handlelint.positions import Positions


def dump(source: str) -> str:
    source = textwrap.dedent(source)
    module = cst.parse_module(source)
    function = module.body[0]
    assert isinstance(function, cst.FunctionDef)
    graph = build_cfg(function.name.value, function, Positions(module, tree=ast.parse(source)),
                      strict=True)
    return graph.dump()


def test_finally_is_copied_per_exit() -> None:
    """The return, the exception and the fall-through each get their own close(h)."""
    assert dump('''
        def f(h):
            try:
                if h:
                    return 1
                work()
            finally:
                close(h)
    ''') == textwrap.dedent('''\
        b0 entry@2 'def f(h):' -> b1 normal
        b1 test@4 'h' -> b2 exc, b6 true, b9 false
        b2 nop@0 'cleanup on exception' -> b3 normal
        b3 stmt@8 'close(h)' -> b4 exc, b5 normal
        b4 raise_exit@0 'raise'
        b5 nop@8 're-raise' -> b4 reraise
        b6 return@5 'return 1' -> b2 exc, b7 normal
        b7 stmt@8 'close(h)' -> b4 exc, b8 normal
        b8 return_exit@5 'return'
        b9 stmt@6 'work()' -> b2 exc, b10 normal
        b10 stmt@8 'close(h)' -> b4 exc, b11 normal
        b11 end_exit@8 'end\'''')


def test_break_skips_loop_else_and_not_splits_edges() -> None:
    assert dump('''
        def g(xs):
            for x in xs:
                if not x:
                    continue
                break
            else:
                done()
    ''') == textwrap.dedent('''\
        b0 entry@2 'def g(xs):' -> b1 normal
        b1 eval@3 'xs' -> b2 exc, b3 normal
        b2 raise_exit@0 'raise'
        b3 for@3 'for x in xs:' -> b4 true, b5 false
        b4 test@4 'x' -> b2 exc, b3 false, b6 true
        b5 stmt@8 'done()' -> b2 exc, b6 normal
        b6 end_exit@8 'end\'''')


def test_while_true_without_break_has_no_normal_exit() -> None:
    text = dump('''
        def h():
            while True:
                poll()
    ''')
    assert "end_exit" not in text


def test_catch_all_handler_stops_the_exception() -> None:
    text = dump('''
        def k():
            try:
                work()
            except Exception:
                pass
    ''')
    assert "reraise" not in text
    text = dump('''
        def k():
            try:
                work()
            except OSError:
                pass
    ''')
    assert "no handler matched" in text


def _statement_classes() -> list[type[cst.CSTNode]]:
    return [cls for _, cls in inspect.getmembers(cst, inspect.isclass)
            if issubclass(cls, (cst.BaseSmallStatement, cst.BaseCompoundStatement))
            and not inspect.isabstract(cls) and not cls.__name__.startswith("Base")]


@pytest.mark.parametrize("kind", _statement_classes(), ids=lambda c: c.__name__)
def test_every_libcst_statement_kind_is_modelled(kind: type[cst.CSTNode]) -> None:
    """A new libcst statement class must be modelled, not silently skipped."""
    assert kind in MODELLED


def test_strict_mode_rejects_unmodelled_statements() -> None:
    class Unknown(cst.Pass):
        pass

    module = cst.parse_module("def f():\n    pass\n")
    function = module.body[0]
    assert isinstance(function, cst.FunctionDef)
    body = function.body.with_changes(body=[cst.SimpleStatementLine([Unknown()])])
    function = function.with_changes(body=body)
    positions = Positions(module, tree=ast.parse("def f():\n    pass\n"))
    with pytest.raises(UnsupportedNode):
        build_cfg("f", function, positions, strict=True)
