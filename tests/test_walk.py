"""The generated per-type child accessors of ``walk`` against a plain field-by-field walk."""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from handlelint.walk import NODE_CLASSES, child_fields, children, preorder

ROOT = Path(__file__).resolve().parent.parent

#: Most of the grammar libcst knows, in one module (parsed, never run).
ZOO = '''
from . import a as b, c
from .. import *
import x.y as z, w
type Alias[T: int = str, *Ts, **P] = list[T]
def f[T](a, /, b: int = 1, *args: "x", c, d=2, **kw) -> T | None: pass
class C[T](B, metaclass=M): pass
async def g():
    async with a as (b, c), d: pass
    async for i in j: await k
    x = [i async for i in j if i if not i]
    y = yield
    yy = yield from z
    lambda *, a=1: a
    print(f"{a!r:>{w}} {b=} {{}}" "x" 'y' f'{c}')
match p:
    case [1, *rest] | (2 | 3) if rest: pass
    case {"k": v, **kw}: pass
    case Point(x=0, y=_) as pt: pass
    case None | True | -1 | 1+2j | a.b: pass
try:
    pass
except* (E, F) as e:
    pass
else: pass
finally: pass
with (a as b, c): del a[1:2:3, ...], b.c
x: int = (y := 3) if z else w
x += 1; global q; nonlocal r
assert a, "m"
raise E from F
while 1:
    break
else:
    continue
for a, *b in c: pass
{**a, 'b': 1}; {a, *b}; (a, *b); a[b]; ~a; not a; a < b <= c is not d not in e
@dec.x(1)
@dec
class D: x = 1; y = 2
'''


def _reference(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Children by testing every value of every child field."""
    out: list[cst.CSTNode] = []
    for name in child_fields(type(node)):
        value = getattr(node, name)
        if type(value) in NODE_CLASSES:
            out.append(value)
        elif type(value) in (list, tuple):
            out += [item for item in value if type(item) in NODE_CLASSES]
    return out


def _modules() -> list[cst.Module]:
    """The zoo, the fixtures and the package's own modules, parsed."""
    sources = [ZOO, *(p.read_text(encoding="utf-8") for p in sorted(
        (ROOT / "fixtures").rglob("*.py")))]
    sources += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "handlelint").rglob("*.py"))]
    modules = []
    for source in sources:
        try:
            modules.append(cst.parse_module(source))
        except cst.ParserSyntaxError:  # the fixtures of unparsable files
            continue
    return modules


def test_children_match_a_field_by_field_walk() -> None:
    seen: set[type] = set()
    for module in _modules():
        for node in preorder(module):
            seen.add(type(node))
            got, want = children(node), _reference(node)
            assert len(got) == len(want) and all(a is b for a, b in zip(got, want)), node
    assert len(seen) > 90  # the zoo reaches most node types


def test_children_in_source_order() -> None:
    module = cst.parse_module("@d\ndef f(a, /, b, *c, d, **e) -> r: x if t else y; g(k=v)\n")
    names = [n.value for n in preorder(module) if type(n) is cst.Name]
    assert names == ["d", "f", "a", "b", "c", "d", "e", "r", "x", "t", "y", "g", "k", "v"]
