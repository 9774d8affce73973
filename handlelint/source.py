"""Reading a file safely: decoding, Python's own parse, a depth guard, and the libcst parse.

Every step that can fail on hostile input fails here, as a :class:`SourceError` the engine
turns into HDL000, so the later stages only ever see a decoded text, an ``ast`` tree
and a libcst tree of the same source.

What is valid Python is decided by libcst's parser, whose grammar (Python 3.0 to 3.14)
does not depend on the interpreter that runs the tool: a file with ``type X = int`` is
analysed on Python 3.11 as on 3.13. Where libcst rejects a file, the HDL000 names the
line and column at fault (Python's, when its parser rejects the file too, else libcst's).

Deep nesting is the dangerous input: libcst's parser and its tree walks recurse once per
nesting level and overflow Python's recursion limit (or the C stack), and libcst's
parser is quadratic in the length of a chain (``a.b.c...``, a sum). The guard is
threefold:
- a scan of the text (:mod:`handlelint.lines`) bounds how deeply the file can nest;
- where that bound is too high for comfort, Python's own parser runs first, under the
  ordinary recursion limit, so code too deep for Python itself is refused cheaply
  (HDL000) before libcst sees it; its tree then also gives positions
  (see :mod:`handlelint.positions`);
- :func:`~handlelint.bigstack.run_with_big_stack` runs the whole analysis of a file in a
  thread with a large stack and a raised recursion limit, so every depth Python accepts
  is safe for libcst and the analysis.
Below the bound (nearly every file) Python's parse is skipped: it would cost a tenth of
libcst's.
"""

from __future__ import annotations

import ast
import codecs
import io
import re
import sys
import tokenize
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlelint.bigstack import run_with_big_stack

if TYPE_CHECKING:
    import libcst as cst

    from handlelint.lines import Layout

__all__ = ["ParsedSource", "SourceError", "decode", "parse", "parse_python",
           "run_with_big_stack"]

#: Recursion limit under which Python's own parser checks a file: CPython's default.
PYTHON_LIMIT = 1000


class SourceError(Exception):
    """The file cannot be analysed; ``line`` and ``column`` say where, if known (the
    column 0-based, in UTF-8 bytes, as a finding's)."""

    def __init__(self, message: str, line: int = 1, *, python_rejects: bool = False,
                 column: int = 0, too_deep: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        #: True when Python's own parser rejects the file (flake8 reports E999 for it).
        self.python_rejects = python_rejects
        #: True when the nesting is too deep to hand the file to libcst at all.
        self.too_deep = too_deep


@dataclass(frozen=True)
class ParsedSource:
    """The decoded text of a file with both of its trees."""

    text: str
    #: Python's tree, where Python's parser ran (files not shallow) and accepted the file.
    tree: ast.Module | None
    module: cst.Module
    #: The logical lines of the text (None where the scan does not model it: see
    #: :func:`handlelint.lines.scan`).
    layout: Layout | None = None


def decode(data: bytes) -> str:
    """Decode bytes as Python does: BOM, then the coding cookie, then UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        codecs.lookup(encoding)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot decode the file: {exc}", python_rejects=True) from exc
    return text[1:] if text.startswith("\ufeff") else text


def parse_python(text: str) -> ast.Module:
    """Python's own parse of ``text`` under the default recursion limit, or an error."""
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(PYTHON_LIMIT)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except SyntaxError as exc:
        deep = any(word in (exc.msg or "") for word in _TOO_DEEP)
        line = exc.lineno or 1
        column = byte_column(text, line, max((exc.offset or 1) - 1, 0))
        raise SourceError(f"syntax error: {exc.msg}", line, column=column,
                          python_rejects=True, too_deep=deep) from exc
    except RecursionError as exc:
        raise SourceError("too deeply nested: Python's own parser gives up",
                          python_rejects=True, too_deep=True) from exc
    except (ValueError, MemoryError) as exc:
        raise SourceError(f"Python cannot parse the file: {exc or type(exc).__name__}",
                          python_rejects=True, too_deep=True) from exc
    finally:
        sys.setrecursionlimit(limit)


def parse(text: str) -> ParsedSource:
    """Parse ``text`` with libcst, Python's parser first where the file may nest deeply.

    libcst decides what is valid: a file Python's grammar rejects but libcst accepts
    (newer syntax on an older interpreter) is analysed, without an ``ast`` tree.
    """
    from handlelint.lines import scan

    nul = text.find("\0")
    if nul >= 0:  # every Python rejects it; libcst would hand it on to literal_eval
        before = text[:nul]  # lines end at "\n", "\r\n" or "\r", as for Python
        line = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
        start = max(before.rfind("\n"), before.rfind("\r")) + 1
        raise SourceError("syntax error: source code cannot contain null bytes", line,
                          column=byte_column(text, line, nul - start), python_rejects=True)
    layout = scan(text)
    tree: ast.Module | None = None
    #: Where Python's parser stopped, when it rejects the file (only the position is
    #: kept: the error itself, held here, would make a cycle with this frame through
    #: its traceback, and keep the libcst tree alive until the collector's next run).
    python_error: tuple[int, int] | None = None
    checked = layout is None or not layout.shallow
    if checked:
        tree, python_error = _python_verdict(text)
    import libcst as cst

    from handlelint.constructors import unchecked

    try:
        with unchecked():
            module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        if not checked:
            _, python_error = _python_verdict(text)
        where = _LIBCST_WHERE.search(exc.message)
        if python_error is not None:  # both reject: Python's position is the sharper
            line, column = python_error
        elif where:
            line, column = int(where[1]), int(where[2])
        else:
            line, column = exc.raw_line, exc.raw_column
        if python_error is not None:
            raise SourceError(f"syntax error: {_reason(exc.message)}", line, column=column,
                              python_rejects=True) from exc
        raise SourceError(f"libcst cannot parse line {line}, column {column + 1}, which "
                          f"Python accepts", line,
                          column=byte_column(text, line, column)) from exc
    except RecursionError as exc:
        raise SourceError("too deeply nested for libcst") from exc
    return ParsedSource(text, tree, module, layout)


def _python_verdict(text: str) -> tuple[ast.Module | None, tuple[int, int] | None]:
    """Python's tree of ``text``, or where its parser rejects it; too deep: an error."""
    try:
        return parse_python(text), None
    except SourceError as exc:
        if exc.too_deep:
            raise
        return None, (exc.line, exc.column)


def _reason(message: str) -> str:
    """libcst's reason without its position, shortened: "expected one of ...", ..."""
    reason = _LIBCST_WHERE.sub("", message.splitlines()[0] if message else "")
    reason = reason.replace("parser error: ", "").replace("tokenizer error: ", "").strip(": ")
    return reason if len(reason) <= 80 else reason[:77] + "..."


#: Words of Python's messages for nesting its parser cannot take (not grammar errors).
_TOO_DEEP = ("too many nested", "too deeply nested", "too complex", "overflow",
             "too many statically nested")


#: libcst's native parser says where it stopped as "error at LINE:COLUMN".
_LIBCST_WHERE = re.compile(r"error at (\d+):(\d+):?")
_LINE_END = re.compile(r"\r\n|\r|\n")


def byte_column(text: str, line: int, column: int) -> int:
    """The UTF-8 byte offset of the character column ``column`` of line ``line``
    (1-based) of ``text``: Python's and libcst's syntax errors count characters, a
    finding's column counts bytes, as Python's ``ast`` does."""
    if text.isascii():
        return column
    lines = _LINE_END.split(text, maxsplit=line)
    if not 1 <= line <= len(lines):
        return column
    return len(lines[line - 1][:column].encode("utf-8", "surrogatepass"))
