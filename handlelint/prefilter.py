"""The prefilter: a file whose text mentions no tracked name is never parsed.

Every name of the packaged rule table contains "clus" in some case, so the search is one
lower-case substring scan (C speed, about the cost of reading the file); only at each
"clus" found is the identifier around it compared with "clusapi" and the table's names.
Configured names, which need not contain "clus", get a word pattern of their own.
"""

from __future__ import annotations

import functools
import re

from handlelint.rules import RuleTable

_IDENTIFIER = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")


@functools.lru_cache(maxsize=8)
def _split(names: frozenset[str]) -> tuple[frozenset[bytes], re.Pattern[bytes] | None]:
    """The "clus" names in lower case, and a word pattern for the others (if any)."""
    clus = frozenset(n.lower().encode("utf-8") for n in names if "clus" in n.lower())
    others = sorted(n for n in names if "clus" not in n.lower())
    if not others:
        return clus, None
    alternation = b"|".join(re.escape(n.encode("utf-8")) for n in others)
    return clus, re.compile(rb"\b(?:" + alternation + rb")\b")


def _clus_words(data: bytes, names: frozenset[bytes]) -> bool:
    low = data.lower()
    at = low.find(b"clus")
    size = len(low)
    while at >= 0:
        start, end = at, at + 4
        while start > 0 and low[start - 1] in _IDENTIFIER:
            start -= 1
        while end < size and low[end] in _IDENTIFIER:
            end += 1
        word = low[start:end]
        if b"clusapi" in word or word in names:
            return True
        at = low.find(b"clus", end)
    return False


def mentions_clus(data: bytes) -> bool:
    """The first, cheapest question: does "clus" appear at all, in any case?

    Every name of the packaged table contains it (``tests/test_prefilter.py`` checks),
    so without configured names a file that fails this test mentions nothing tracked.
    """
    return b"clus" in data.lower()


def mentions_tracked_name(data: bytes, table: RuleTable, extra: frozenset[str] = frozenset()
                          ) -> bool:
    """Does ``data`` contain "clusapi" (any case) or a name the analysis tracks?"""
    clus, others = _split(table.tracked_names | extra)
    if _clus_words(data, clus):
        return True
    return others is not None and others.search(data) is not None
