"""Statement lines from the text and libcst's statement structure, without a second parse.

libcst's tree holds no positions, and its ``PositionProvider`` costs about two parses.
Python's ``ast`` has them, at a tenth of a parse. This module gets the line of every
statement for less: one scan of the text with a regular expression finds the *logical
lines*, as Python's tokenizer would:
- a physical line starts one unless it continues another (inside brackets, inside a
  string that spans lines, or after a backslash);
- it must not be blank or hold only a comment.
Each statement starts a logical line of its own, and so do a few other things:
- decorators, and clause headers (``else:``, ``except ...:``, ``finally:``, ``case ...:``);
- but small statements after a ``;``, and a body on its header's line (``if x: return``),
  share the line they are on.
A walk over libcst's statements in source order hands out the logical lines one by one.
Every line handed out is checked against the first word of the text there: ``def``,
``elif``, ``except``, ``return``, ``@``... An expression or assignment must not start with
a statement keyword. The count must come out even. On any mismatch the caller falls back
to ``ast`` (see :mod:`handlelint.positions`).

The scan also measures how deeply the file can nest: the deepest brackets, the widest
indentation, the longest logical line (strings without a brace left out: docstrings),
and the number of ``elif`` chains' links. Each nesting level of an expression takes at
least one character of its logical line outside such strings, so below the bounds of
:meth:`Layout.shallow` no tree can be too deep for Python's parser or slow for libcst's.
:func:`handlelint.source.parse` then skips Python's parse, which otherwise guards it
(see there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from typing import Optional, Sequence, Union

import libcst as cst

#: What the scan stops at: strings (which may hold anything), comments, brackets, a
#: backslash continuation, and line ends. A string's prefix letters need no matching.
#: No groups: ``findall`` then returns the matched texts, without match objects. Every
#: alternative starts with a literal character, so that the regular expression engine
#: looks for those characters first and skips the rest of the text at C speed.
_TOKENS = re.compile(r"""
    '''(?:\\.|[^\\])*?''' | \"\"\"(?:\\.|[^\\])*?\"\"\"
  | '(?:\\.|[^\\'\n])*' | "(?:\\.|[^\\"\n])*"
  | \#[^\n]* | \( | \) | \[ | \] | \{ | \} | \n | \\\r?\n
""", re.S | re.X)
_OPEN = frozenset("([{")
_CLOSE = frozenset(")]}")
#: Per physical line: its indentation and its first word ("" for a blank line or one
#: holding only a comment).
_LINE = re.compile(r"^([ \t\f]*)(\w+|[^\s#]|)", re.M)

#: Below these the file is :meth:`~Layout.shallow`. Python refuses 201 nested brackets,
#: 100 indentation levels, about 3,000 levels of any other nesting (150 nested f-strings
#: on 3.12), and libcst is quadratic in the length of a chain (a sum of 1,000 operands
#: takes it 0.4 s).
MAX_BRACKETS = 100
MAX_INDENT = 80
MAX_LOGICAL = 600
MAX_ELIFS = 1000


@dataclass
class Layout:
    """The logical lines of a text, and how deeply it can nest."""

    #: The physical line (1-based) each logical line starts on, in order.
    starts: list[int]
    #: The first word of each logical line (``@`` for a decorator).
    words: list[str]
    #: The physical line each logical line ends on.
    ends: list[int]
    deepest_brackets: int
    widest_indent: int
    longest_logical: int
    elifs: int

    @property
    def shallow(self) -> bool:
        """Is no tree of this text deep enough to need Python's parser as a guard?"""
        return (self.deepest_brackets <= MAX_BRACKETS and self.widest_indent <= MAX_INDENT
                and self.longest_logical <= MAX_LOGICAL and self.elifs <= MAX_ELIFS)


def scan(text: str) -> Layout | None:
    """The :class:`Layout` of ``text``; None for what the scan does not model: a line
    end other than ``\\n`` and ``\\r\\n`` (a lone ``\\r``), a line holding only a
    backslash."""
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None
    continued: set[int] = set()  # physical lines that continue the one before
    plain: dict[int, int] = {}  # line -> characters of brace-free strings starting there
    depth = deepest = 0
    line = 1
    for token in _TOKENS.findall(text):
        if token == "\n":
            line += 1
            if depth:
                continued.add(line)
        elif token in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
        elif token in _CLOSE:
            if depth:
                depth -= 1
        elif token[0] == "\\":  # a backslash continuation
            line += 1
            continued.add(line)
        elif token[0] != "#":  # a string
            if "{" not in token:  # nothing nests in it (an f-string's fields can); one
                # character stays, for the chain libcst makes of adjacent strings
                plain[line] = plain.get(line, 0) + len(token) - 1
            else:  # the brackets of an f-string's fields, counted as if all nested
                opened = depth + token.count("(") + token.count("[") + token.count("{")
                if opened > deepest:
                    deepest = opened
            inner = token.count("\n")
            if inner:
                continued.update(range(line + 1, line + inner + 1))
                line += inner
    lengths = [len(p) + 1 for p in text.split("\n")]
    offsets = list(accumulate(lengths, initial=0))
    starts: list[int] = []
    words: list[str] = []
    ends: list[int] = []
    widest = 0
    for number, (indent, word) in enumerate(_LINE.findall(text), 1):
        if number in continued:
            if ends:
                ends[-1] = number
            continue
        if not word:
            continue
        if word == "\\":  # a line of only a backslash: the next line's first token
            return None  # starts the logical line, which the scan does not model
        starts.append(number)
        ends.append(number)
        words.append(word)
        if len(indent) > widest:
            widest = len(indent)
    # The length of a logical line, brace-free strings (docstrings) left out.
    strings = [0] * (len(lengths) + 1)
    for number, size in plain.items():
        strings[number] = size
    strings = list(accumulate(strings))
    bounds = list(zip(starts, starts[1:]))
    if starts:
        bounds.append((starts[-1], len(lengths) + 1))
    longest = max((offsets[b - 1] - offsets[a - 1] - (strings[b - 1] - strings[a - 1])
                   for a, b in bounds), default=0)
    return Layout(starts, words, ends, deepest, widest, longest, words.count("elif"))


#: The word a statement kind's line starts with (several for ``async``).
_KEYWORDS: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.Return: ("return",), cst.Raise: ("raise",), cst.Pass: ("pass",),
    cst.Break: ("break",), cst.Continue: ("continue",), cst.Del: ("del",),
    cst.Global: ("global",), cst.Nonlocal: ("nonlocal",), cst.Assert: ("assert",),
    cst.Import: ("import",), cst.ImportFrom: ("from",),
    cst.If: ("if",), cst.While: ("while",), cst.For: ("for", "async"),
    cst.With: ("with", "async"), cst.Try: ("try",), cst.FunctionDef: ("def", "async"),
    cst.ClassDef: ("class",), cst.Else: ("else",), cst.Finally: ("finally",),
    cst.ExceptHandler: ("except",), cst.Decorator: ("@",),
}
for _name, _words in (("TryStar", ("try",)), ("ExceptStarHandler", ("except",)),
                      ("Match", ("match",)), ("MatchCase", ("case",)),
                      ("TypeAlias", ("type",))):
    if hasattr(cst, _name):  # older libcst has no such node
        _KEYWORDS[getattr(cst, _name)] = _words
#: Words no expression statement or assignment starts with.
_STATEMENT_WORDS = frozenset(w for ws in _KEYWORDS.values() for w in ws
                             if w not in ("match", "case", "type")) | {"elif"}

_Item = Union[cst.CSTNode, tuple[str, cst.CSTNode]]  # a node, or ("elif", If)


def statement_lines(module: cst.Module, layout: Layout) -> dict[int, int] | None:
    """id(statement) -> its line, for every small and compound statement of ``module``
    (and clause), or None when the layout and the tree do not agree."""
    starts, words = layout.starts, layout.words
    out: dict[int, int] = {}
    taken = 0
    todo: list[_Item] = list(reversed(module.body))
    while todo:
        item = todo.pop()
        expected: Sequence[str]
        if isinstance(item, tuple):  # (not a libcst class: a fast check)
            node: cst.CSTNode = item[1]
            expected = ("elif",)
        else:
            node = item
            expected = _KEYWORDS.get(type(node), ())
        if type(node) is cst.SimpleStatementLine:
            if taken >= len(starts):
                return None
            line, word = starts[taken], words[taken]
            one_line = line == layout.ends[taken]
            taken += 1
            body = node.body
            first = _KEYWORDS.get(type(body[0]))
            if (word not in first) if first else (word in _STATEMENT_WORDS):
                return None
            if len(body) > 1 and not one_line:  # where does the second one start?
                return None
            for small in body:
                out[id(small)] = line
            continue
        for decorator in getattr(node, "decorators", ()):
            if taken >= len(starts) or words[taken] != "@":
                return None
            out[id(decorator)] = starts[taken]
            taken += 1
        if taken >= len(starts) or words[taken] not in expected:
            return None
        line = starts[taken]
        one_line = line == layout.ends[taken]
        taken += 1
        out[id(node)] = line
        nested = _nested(node, line if one_line else 0, out)
        if nested is None:
            return None
        nested.reverse()
        todo.extend(nested)
    return out if taken == len(starts) else None


def _nested(node: cst.CSTNode, line: int, out: dict[int, int]) -> Optional[list[_Item]]:
    """What follows a header in source order: its body's statements, then its clauses.
    A body on the header's own line takes that line; None where that line is not known
    (``line`` 0: the header spans several lines, and the body starts on the one with
    the colon)."""
    found: list[_Item] = []
    body = getattr(node, "body", None)
    if type(body) is cst.IndentedBlock:
        found.extend(body.body)
    elif type(body) is cst.SimpleStatementSuite:
        if not line:
            return None
        for small in body.body:
            out[id(small)] = line
    elif body is not None:
        return None
    found.extend(getattr(node, "cases", ()))
    for handler in getattr(node, "handlers", ()):
        found.append(handler)
    orelse = getattr(node, "orelse", None)
    if type(orelse) is cst.If:
        found.append(("elif", orelse))
    elif orelse is not None:
        found.append(orelse)
    final = getattr(node, "finalbody", None)
    if final is not None:
        found.append(final)
    return found
