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


@functools.lru_cache(maxsize=8)
def _all_say_clus(names: frozenset[str]) -> bool:
    return all("clus" in name.lower() for name in names)


def mentions_tracked_name(data: bytes, table: RuleTable, extra: frozenset[str] = frozenset()
                          ) -> bool:
    """Does ``data`` contain "clusapi" or any name the analysis tracks?

    Every name of the packaged table contains "clus" in some case, so one lower-case
    substring search settles most files; the full pattern runs only on a hit, and the
    configured names have a pattern of their own.
    """
    if _all_say_clus(table.tracked_names - extra) and b"clus" not in data.lower():
        return bool(extra) and _pattern(frozenset(extra)).search(data) is not None
    return _pattern(table.tracked_names | extra).search(data) is not None
