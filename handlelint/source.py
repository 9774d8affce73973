"""Reading a file safely: decoding, Python's own parse, a depth guard, and the libcst parse.

Every step that can fail on hostile input fails here, as a :class:`SourceError` the engine
turns into HDL000, so the later stages only ever see a decoded text, an ``ast`` tree
and a libcst tree of the same source.

Deep nesting is the dangerous input: libcst's parser and its tree walks recurse once per
nesting level and overflow Python's recursion limit (or the C stack). The guard is
twofold: Python's own parser runs first under the ordinary recursion limit, so code too
deep for Python itself is refused cheaply (HDL000), and :func:`run_with_big_stack` runs
the whole analysis of a file in a worker thread with a large stack and a raised
recursion limit, so every depth Python accepts is safe for libcst and the analysis.
"""

from __future__ import annotations

import ast
import codecs
import io
import re
import sys
import threading
import tokenize
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, TypeVar

if TYPE_CHECKING:
    import libcst as cst

#: Recursion limit under which Python's own parser checks a file: CPython's default.
PYTHON_LIMIT = 1000
#: Stack of the worker thread and recursion limit inside it.
_STACK_BYTES = 512 * 1024 * 1024
_RECURSION_LIMIT = 60_000

T = TypeVar("T")


class SourceError(Exception):
    """The file cannot be analysed; ``line`` is where the problem is (1 when unknown)."""

    def __init__(self, message: str, line: int = 1, *, python_rejects: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        #: True when Python's own parser rejects the file (flake8 reports E999 for it).
        self.python_rejects = python_rejects


@dataclass(frozen=True)
class ParsedSource:
    """The decoded text of a file with both of its trees."""

    text: str
    tree: ast.Module
    module: cst.Module


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
        raise SourceError(f"syntax error: {exc.msg}", exc.lineno or 1,
                          python_rejects=True) from exc
    except RecursionError as exc:
        raise SourceError("too deeply nested: Python's own parser gives up",
                          python_rejects=True) from exc
    except (ValueError, MemoryError) as exc:
        raise SourceError(f"Python cannot parse the file: {exc or type(exc).__name__}",
                          python_rejects=True) from exc
    finally:
        sys.setrecursionlimit(limit)


def parse(text: str) -> ParsedSource:
    """Parse ``text`` with Python's parser (a pre-check) and then with libcst."""
    tree = parse_python(text)
    import libcst as cst

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        where = _LIBCST_WHERE.search(exc.message)
        line, column = (int(where[1]), int(where[2])) if where else (exc.raw_line, 0)
        raise SourceError(f"libcst cannot parse line {line}, column {column}, which Python "
                          f"accepts", line) from exc
    except RecursionError as exc:
        raise SourceError("too deeply nested for libcst") from exc
    return ParsedSource(text, tree, module)


def run_with_big_stack(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a thread with a large stack and recursion limit; re-raise its error."""
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # handed back to the caller below
            error.append(exc)

    old_size = threading.stack_size()
    old_limit = sys.getrecursionlimit()
    with _stack_lock:
        sys.setrecursionlimit(max(old_limit, _RECURSION_LIMIT))
        threading.stack_size(_STACK_BYTES)
        try:
            thread = threading.Thread(target=target, name="handlelint-worker")
            thread.start()
            thread.join()
        finally:
            threading.stack_size(old_size)
            sys.setrecursionlimit(old_limit)
    if error:
        raise error[0]
    return result[0]


_stack_lock = threading.Lock()
#: libcst's native parser says where it stopped as "error at LINE:COLUMN".
_LIBCST_WHERE = re.compile(r"error at (\d+):(\d+)")
