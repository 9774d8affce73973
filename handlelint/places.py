"""Where a finding is, in the terms each consumer counts, and what identifies it across edits.

The engine gives a finding's column as a UTF-8 byte offset from the start of the line
(the convention of Python's ``ast``). Every output of the command line and the flake8
plugin prints **character** columns instead (code points, 1-based, as flake8 counts
pycodestyle's and editors count); SARIF counts **UTF-16 code units** and says so with
``columnKind``. The two differ only on lines with non-ASCII text before the finding.

A :class:`Place` also carries what identifies a finding without its line number, for
baselines and SARIF's ``partialFingerprints``: the enclosing function (found by
indentation, so the same on every Python), the handle's name, and the source text of
the reported expression (the acquiring call), whose end gives the region's end.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Sequence

from handlelint.findings import Finding

_DEF_RE = re.compile(r"(?:async\s+)?(?:def|class)\s+([^\W\d]\w*)")
_HANDLE_RE = re.compile(r"'([^']+)'")
_NAME_CHARS = re.compile(r"[\w.]")
#: How many lines an expression's end is looked for after its start.
_MAX_EXPRESSION_LINES = 50


@dataclass(frozen=True)
class Place:
    """A finding's region and identity. Columns are 0-based; ``end_col`` is exclusive."""

    #: Character columns of the start and end.
    col: int
    end_line: int
    end_col: int
    #: The same columns in UTF-16 code units (SARIF).
    utf16_col: int
    utf16_end_col: int
    #: Dotted name of the enclosing functions and classes ("" at module level).
    function: str
    #: The name of the handle the message is about ("" when it names none).
    handle: str
    #: The reported expression's text, white space collapsed (the acquiring call).
    call: str
    #: The reported line's text, stripped.
    line_text: str


def char_column(line: str, byte_col: int) -> int:
    """The character column of the UTF-8 byte offset ``byte_col`` into ``line``."""
    if line.isascii():
        return byte_col
    prefix = line.encode("utf-8", "surrogatepass")[:byte_col]
    return len(prefix.decode("utf-8", "ignore"))


def utf16_column(line: str, col: int) -> int:
    """The UTF-16 code unit column of the character column ``col`` into ``line``."""
    return col + sum(1 for c in line[:col] if ord(c) > 0xFFFF)


def _indent(line: str) -> int:
    return len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())


def enclosing_function(lines: Sequence[str], line: int) -> str:
    """The dotted names of the ``def`` and ``class`` blocks around 1-based ``line``.

    Read from indentation alone: walking up, each less indented ``def`` or ``class``
    line encloses the ones below it.
    """
    if not 1 <= line <= len(lines):
        return ""
    current = lines[line - 1]
    level = _indent(current)
    match = _DEF_RE.match(current.strip())
    names = [match.group(1)] if match else []
    for number in range(line - 1, 0, -1):
        if level == 0:
            break
        text = lines[number - 1]
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = _indent(text)
        if indent < level:
            level = indent
            match = _DEF_RE.match(stripped)
            if match:
                names.append(match.group(1))
    return ".".join(reversed(names))


def expression_end(lines: Sequence[str], line: int, col: int) -> tuple[int, int]:
    """Where the expression starting at (``line``, character ``col``) ends (exclusive).

    A dotted name and the brackets that follow it (``clusapi.OpenCluster(name)``),
    across lines when the brackets span them; string literals and comments are skipped.
    Without any, the end of the line's text.
    """
    depth = 0
    quote = ""
    last = min(len(lines), line + _MAX_EXPRESSION_LINES)
    for number in range(line, last + 1):
        text = lines[number - 1]
        i = col if number == line else 0
        while i < len(text):
            ch = text[i]
            if quote:
                if ch == "\\":
                    i += 2
                    continue
                if text.startswith(quote, i):
                    i += len(quote)
                    quote = ""
                    continue
            elif ch in "\"'":
                quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else ch
                i += len(quote)
                continue
            elif ch == "#":
                break
            elif ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth <= 0:
                    return number, i + (depth == 0)
            elif depth == 0 and not _NAME_CHARS.match(ch):
                return number, i
            i += 1
        if depth == 0 and not quote:
            return number, len(text.rstrip())
    start = lines[line - 1] if 1 <= line <= len(lines) else ""
    return line, max(col, len(start.rstrip()))


def _text_between(lines: Sequence[str], line: int, col: int, end_line: int, end_col: int
                  ) -> str:
    if end_line == line:
        text = lines[line - 1][col:end_col]
    else:
        text = "\n".join([lines[line - 1][col:], *lines[line:end_line - 1],
                          lines[end_line - 1][:end_col]])
    return " ".join(text.split())


def place(finding: Finding, lines: Sequence[str]) -> Place:
    """The :class:`Place` of ``finding`` (its column a byte offset) in the file's ``lines``."""
    line = finding.line
    text = lines[line - 1] if 1 <= line <= len(lines) else ""
    col = min(char_column(text, finding.col), len(text))
    if 1 <= line <= len(lines):
        end_line, end_col = expression_end(lines, line, col)
    else:
        end_line, end_col = line, col
    if (end_line, end_col) <= (line, col):
        end_line, end_col = line, max(col + 1, len(text.rstrip()))
    end_text = lines[end_line - 1] if 1 <= end_line <= len(lines) else ""
    handle = _HANDLE_RE.search(finding.message)
    return Place(
        col=col, end_line=end_line, end_col=end_col,
        utf16_col=utf16_column(text, col), utf16_end_col=utf16_column(end_text, end_col),
        function=enclosing_function(lines, line),
        handle=handle.group(1) if handle else "",
        call=_text_between(lines, line, col, end_line, end_col) if text else "",
        line_text=text.strip(),
    )


def fingerprint(*parts: str) -> str:
    """A stable hex digest of ``parts`` (SARIF's ``partialFingerprints`` value)."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]
