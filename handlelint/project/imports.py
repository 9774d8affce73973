"""The names a module's imports bind, as project modules (``a.b``) or their members (``a.b:c``).

Read from the module's top-level statements (also inside ``if``/``try`` blocks, where
optional imports live): ``import a.b`` binds ``a``, ``import a.b as m`` binds ``m`` to
``a.b``, ``from a.b import c`` binds ``c`` to the module ``a.b.c`` when there is one,
else to the member ``a.b:c``; relative imports are made absolute first. Names that the
project does not hold (the standard library, third-party packages) are left out.
"""

from __future__ import annotations

from typing import Callable, Iterator, Optional, Sequence, cast

import libcst as cst

from handlelint.syntax import dotted

#: ``(importer, name, level) -> absolute module name`` and ``name -> is a project module``.
Absolute = Callable[[str, str, int], Optional[str]]
IsModule = Callable[[str], bool]


def _top_statements(body: Sequence[cst.BaseStatement]) -> Iterator[cst.BaseSmallStatement]:
    for stmt in body:
        if type(stmt) is cst.SimpleStatementLine:
            yield from stmt.body
        elif type(stmt) is cst.If or type(stmt) is cst.Try:
            blocks: list[cst.BaseSuite] = [stmt.body]
            if type(stmt) is cst.If and stmt.orelse is not None:
                blocks.append(stmt.orelse.body)
            if type(stmt) is cst.Try:
                blocks.extend(h.body for h in stmt.handlers)
                if stmt.orelse is not None:
                    blocks.append(stmt.orelse.body)
            for block in blocks:
                if type(block) is cst.IndentedBlock:
                    yield from _top_statements(block.body)


def import_bindings(module: cst.Module, name: str, absolute: Absolute,
                    is_module: IsModule) -> dict[str, str]:
    """Bound name -> ``pkg.mod`` (a module) or ``pkg.mod:member``, for project imports."""
    bound: dict[str, str] = {}
    for stmt in _top_statements(module.body):
        if type(stmt) is cst.Import:
            for alias in stmt.names:
                full = dotted(alias.name)
                if alias.asname is not None and type(alias.asname.name) is cst.Name:
                    if is_module(full):
                        bound[alias.asname.name.value] = full
                else:
                    head = full.split(".")[0]
                    if is_module(head):
                        bound[head] = head
        elif type(stmt) is cst.ImportFrom and type(stmt.names) is not cst.ImportStar:
            source = dotted(stmt.module) if stmt.module is not None else ""
            base = absolute(name, source, len(stmt.relative))
            if base is None:
                continue
            for alias in cast(Sequence[cst.ImportAlias], stmt.names):
                if type(alias.name) is not cst.Name:
                    continue
                member = alias.name.value
                local = member
                if alias.asname is not None and type(alias.asname.name) is cst.Name:
                    local = alias.asname.name.value
                if is_module(f"{base}.{member}"):
                    bound[local] = f"{base}.{member}"
                elif is_module(base):
                    bound[local] = f"{base}:{member}"
    return bound
