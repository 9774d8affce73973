"""Bounded work and linear data flow: budgets, persistent tables, sparse liveness."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from handlelint.dataflow.table import FLAT_MAX, Table
from handlelint.engine import check_source

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import shapes  # noqa: E402


def test_finally_nested_20_deep_is_hdl000_for_its_scope_only() -> None:
    """The doubling of finally copies stops at the scope's budget; other scopes go on."""
    source = shapes.nested_finally(20) + (
        "\n\ndef leaky(name):\n    h = clusapi.OpenCluster(name)\n    return 1\n")
    start = time.perf_counter()
    findings = check_source(source)
    assert time.perf_counter() - start < 10
    by_code = {f.code: f for f in findings}
    assert by_code["HDL000"].line == source.splitlines().index("def nested(name):") + 1
    assert "too complex to analyse" in by_code["HDL000"].message
    assert "paths through nested finally at line" in by_code["HDL000"].message
    assert by_code["HDL001"].line == source.splitlines().index(
        "    h = clusapi.OpenCluster(name)", 40) + 1


def test_finally_nested_a_few_deep_is_analysed() -> None:
    assert check_source(shapes.nested_finally(4)) == []


def test_every_shape_is_analysed_without_findings() -> None:
    for name, (generate, n, force) in shapes.SHAPES.items():
        if "finally" in name:
            continue
        findings = check_source(generate(max(n // 10, 30)), force=force)
        assert findings == [], (name, findings)


def test_a_leak_at_the_end_of_an_alias_chain_is_reported() -> None:
    """Dead links of the chain are forgotten, the handle is not."""
    chain = "".join(f"    a{i + 1} = a{i}\n" for i in range(400))
    source = (shapes.PRELUDE + "def chain(name):\n    a0 = clusapi.OpenCluster(name)\n"
              + chain + "    return 0\n")
    findings = check_source(source)
    assert [(f.code, f.line) for f in findings] == [("HDL001", 7)]
    assert "'a0'" in findings[0].message


def test_many_open_handles_one_leaks() -> None:
    source = shapes.open_handles(300).replace("    clusapi.CloseCluster(h117)\n", "")
    findings = check_source(source)
    assert [(f.code, f.line) for f in findings] == [("HDL001", 7 + 117)]


def _dying_entries(source: str) -> int:
    """How many (node, dying name) pairs the liveness pass gives the file's function."""
    import libcst as cst

    from handlelint.cfg.builder import build_cfg
    from handlelint.dataflow.liveness import live_after
    from handlelint.index import index_module
    from handlelint.positions import Positions
    from handlelint.source import parse

    parsed = parse(source)
    index = index_module(parsed.module)
    positions = Positions(parsed.module, text=parsed.text, tree=parsed.tree,
                          layout=parsed.layout, statements=index.statements,
                          owned_calls=index.owned_calls, call_statement=index.call_statement)
    (function,) = [s for s in index.scopes if isinstance(s, cst.FunctionDef)]
    return sum(map(len, live_after(build_cfg("f", function, positions)).dying.values()))


def test_liveness_output_grows_linearly_with_far_joins() -> None:
    """Each branch's ``finally`` has an exceptional copy laid out after the whole
    function: a join far from its predecessor. The names dying there are those alive
    where the edge starts, not every name whose range ends in between."""
    small = _dying_entries(shapes.branches(100))
    big = _dying_entries(shapes.branches(800))
    assert big <= 9 * small, (small, big)


def test_table_is_persistent_and_canonical() -> None:
    a: Table[int, str] = Table()
    for i in range(FLAT_MAX * 8):
        a[i] = str(i)
    b = a.copy()
    b[5] = "five"
    del b[6]
    assert a[5] == "5" and 6 in a and b[5] == "five" and 6 not in b
    for i in range(FLAT_MAX * 8 - 1, 40, -1):
        b.pop(i)
    c: Table[int, str] = Table({i: str(i) for i in range(41)})
    c[5] = "five"
    del c[6]
    assert b == c and len(b) == 40
    merged = a.merged(b, lambda x, y: x + y)
    assert merged[5] == "5five" and merged[200] == "200" and merged[6] == "6"
    assert a.merged(a, lambda x, y: x) == a


def test_table_string_keys_and_collisions() -> None:
    t: Table[str, int] = Table()
    keys = [f"name_{i}" for i in range(500)]
    for i, key in enumerate(keys):
        t[key] = i
    assert all(t[key] == i for i, key in enumerate(keys))
    assert sorted(t.keys()) == sorted(keys)
    for key in keys[::2]:
        t.pop(key)
    assert len(t) == 250 and keys[1] in t and keys[0] not in t


def test_a_file_s_analysis_leaves_no_reference_cycle() -> None:
    """Everything an analysis builds is freed when it ends, not at the collector's next
    full run (which would walk the whole tree again, a few milliseconds per file)."""
    import gc

    import corpus

    source = corpus.dense_module(0, 200)
    check_source(source, "dense.py")
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        check_source(source, "dense.py")
        gc.collect()
        left = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
