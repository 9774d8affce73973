"""The prefilter: a file whose text mentions no tracked name is never parsed.

It is a plain byte search (one compiled pattern per rule table), which costs about as
much as reading the file. "clusapi" matches in any case; the table's function and
typedef names and configured names match as written.
"""

from __future__ import annotations

import functools
import re

from handlelint.rules import RuleTable


@functools.lru_cache(maxsize=8)
def _pattern(names: frozenset[str]) -> re.Pattern[bytes]:
    words = sorted(names, key=lambda n: (-len(n), n))
    alternation = b"|".join(re.escape(w.encode("utf-8")) for w in words)
    return re.compile(b"(?i:clusapi)" + (b"|" + alternation if alternation else b""))


def mentions_tracked_name(data: bytes, table: RuleTable, extra: frozenset[str] = frozenset()
                          ) -> bool:
    """Does ``data`` contain "clusapi" or any name the analysis tracks?"""
    return _pattern(table.tracked_names | extra).search(data) is not None
