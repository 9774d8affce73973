"""The flake8 plugin (entry point ``HDL``): flake8's lines in, the engine's findings out.

flake8 hands over the file's lines and its ``ast`` tree; the engine needs the text
(libcst keeps comments and layout), so the lines are joined and the tree is not used.
Files Python's own parser rejects are left to flake8, which reports them as E999, and
``# noqa``, ``--select`` and ``--ignore`` are flake8's own business.
"""

from __future__ import annotations

import ast
from typing import Iterator

from handlelint import __version__
from handlelint.engine import check_source


class Plugin:
    """flake8's view of handlelint."""

    name = "handlelint"
    version = __version__

    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        # ``tree`` is requested only because flake8 requires a plugin to take one of
        # tree, logical_line or physical_line; the analysis works on the text.
        del tree
        self.lines = lines
        self.filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        """Yield ``(line, col, "CODE message", type)`` per finding, ``col`` 0-based."""
        source = "".join(self.lines)
        try:
            findings = check_source(source, self.filename, report_python_errors=False)
        except Exception as exc:  # flake8 would abort the whole run on a plugin error
            message = " ".join(f"internal error: {type(exc).__name__}: {exc}".split())
            yield 1, 0, f"HDL000 {message}", type(self)
            return
        for finding in findings:
            yield finding.line, finding.col, finding.text, type(self)
