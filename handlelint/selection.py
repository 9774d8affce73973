"""Which findings the command line prints: ``--select``/``--ignore`` and ``# noqa`` comments.

Both follow flake8. A code is chosen by prefix (``HDL00`` selects HDL000 to HDL009);
when a code matches both lists the longer prefix wins, and a tie ignores it. A
``# noqa`` comment on the reported line suppresses every finding there, and
``# noqa: HDL001,HDL002`` only the codes it lists (again by prefix). A line
``# handlelint: noqa`` or ``# flake8: noqa`` silences the whole file. Under flake8 the
plugin leaves all of this to flake8 itself, but for ``# handlelint: noqa``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from handlelint.codes import code_problem, did_you_mean
from handlelint.findings import Finding
from handlelint.source import SourceError, decode

#: flake8's own pattern for inline ``# noqa`` comments (flake8/defaults.py).
NOQA_RE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
#: What a ``--select`` or ``--ignore`` entry may look like (flake8's VALID_CODE_PREFIX).
CODE_PREFIX_RE = re.compile(r"^[A-Z]{1,3}[0-9]{0,3}$", re.ASCII)
#: flake8's file-level ``# flake8: noqa`` (flake8/defaults.py NOQA_FILE), and ours: a
#: comment alone on its line, with no codes after it.
FILE_NOQA_RE = re.compile(rb"^[ \t\f]*#[ \t]*(?:flake8|handlelint)[:=][ \t]*noqa(?:\s|$)",
                          re.IGNORECASE | re.MULTILINE)
_LIST_SEP_RE = re.compile(r"[,\s]")
#: Line ends as Python's tokenizer counts them (str.splitlines also splits on \f and more).
_LINE_END_RE = re.compile(r"\r\n|\r|\n")


def parse_codes(value: str) -> tuple[str, ...]:
    """Split a comma-separated list of codes or prefixes; raise ValueError on a bad entry.

    An entry must be a code of the table or a prefix of one (see
    :func:`handlelint.codes.code_problem`).
    """
    codes = tuple(item.strip().upper() for item in _LIST_SEP_RE.split(value) if item.strip())
    for code in codes:
        if not CODE_PREFIX_RE.match(code):
            raise ValueError(f"{code!r} is not a code or code prefix (like HDL001 or HDL)"
                             f"{did_you_mean(code) if code.isalnum() else ''}")
        problem = code_problem(code)
        if problem:
            raise ValueError(problem)
    return codes


def _longest(code: str, prefixes: Sequence[str]) -> int:
    """Length of the longest prefix of ``code`` among ``prefixes``, or -1."""
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


@dataclass(frozen=True)
class Selection:
    """The ``--select`` and ``--ignore`` lists; an empty select list selects every code."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def wants(self, code: str) -> bool:
        """True when ``code`` is to be reported."""
        selected = _longest(code, self.select) if self.select else 0
        if selected < 0:
            return False
        return selected > _longest(code, self.ignore)


def file_noqa(data: bytes) -> bool:
    """True when a line of the file is ``# handlelint: noqa`` or ``# flake8: noqa``.

    As in flake8, the comment stands alone on its line and lists no codes
    (``# flake8: noqa: E501`` does not silence the file).
    """
    return b"noqa" in data.lower() and FILE_NOQA_RE.search(data) is not None


def source_lines(data: bytes) -> list[str]:
    """The physical lines of a file, numbered as Python numbers them (line 1 at index 0)."""
    try:
        text = decode(data)
    except SourceError:
        text = data.decode("utf-8", "replace")
    return _LINE_END_RE.split(text)


def suppressed(finding: Finding, lines: Sequence[str]) -> bool:
    """True when the finding's line carries a ``# noqa`` comment that covers its code."""
    if not 1 <= finding.line <= len(lines):
        return False
    match = NOQA_RE.search(lines[finding.line - 1])
    if match is None:
        return False
    codes_text = match.group("codes")
    if codes_text is None:
        return True
    codes = tuple(c.strip().upper() for c in _LIST_SEP_RE.split(codes_text) if c.strip())
    return finding.code.startswith(codes)


def without_noqa(findings: Iterable[Finding], data: bytes) -> list[Finding]:
    """The findings not suppressed by a ``# noqa`` comment in the file's bytes ``data``."""
    kept = list(findings)
    if not kept:
        return kept
    lines = source_lines(data)
    return [f for f in kept if not suppressed(f, lines)]
