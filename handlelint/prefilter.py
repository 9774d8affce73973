"""The prefilter: a file whose text mentions no tracked name is never parsed.

The question is answered by a few whole-text searches in C (``bytes.find`` over a fixed
vocabulary), never by a Python loop over every place a common word occurs, so a file
holding a million "cluster" words costs a few passes over its bytes:

1. "clus" in any case (the text lowered once): every name of the packaged table holds
   it, so without configured names most files stop here;
2. "clusapi" in any case: a DLL object, a ``PCLUSAPI_*`` typedef or a receiver such as
   ``self._clusapi`` (the resolver accepts it in any case);
3. the *anchors* of the vocabulary, case-sensitive, in one regular expression: the
   spellings of "clus" inside the names ("Clus" in ``OpenCluster``, "CLUS" in
   ``PCLUSTER_REG_CLOSE_BATCH``). API names are matched exactly by the resolver, so a
   lower-case "cluster" can never be one; only where an anchor occurs is the
   identifier around it compared with the names (a file full of ``ClusterManager``
   pays per occurrence, one full of "cluster" does not);
4. configured names that hold no "clus", by one word pattern.
"""

from __future__ import annotations

import functools
import re

from handlelint.rules import RuleTable

_IDENTIFIER = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@functools.lru_cache(maxsize=8)
def _vocabulary(names: frozenset[str]
                ) -> tuple[re.Pattern[bytes], frozenset[bytes], re.Pattern[bytes] | None]:
    """The anchors' pattern, the "clus" names (exact bytes), a word pattern for the others."""
    clus = frozenset(n.encode("utf-8") for n in names if "clus" in n.lower())
    anchors = sorted({word[word.lower().find(b"clus"):][:4] for word in clus})
    anchored = re.compile(b"|".join(re.escape(a) for a in anchors) or b"(?!)")
    others = sorted(n for n in names if "clus" not in n.lower())
    if not others:
        return anchored, clus, None
    alternation = b"|".join(re.escape(n.encode("utf-8")) for n in others)
    return anchored, clus, re.compile(rb"\b(?:" + alternation + rb")\b")


@functools.lru_cache(maxsize=8)
def _firsts(anchors: re.Pattern[bytes]) -> tuple[bytes, ...]:
    """The first bytes of the anchors ("C" for the packaged names): one ``memchr`` each
    tells whether the anchors' pass is needed at all."""
    return tuple(sorted({a[:1] for a in anchors.pattern.split(b"|")}))


def _anchored_word(data: bytes, anchors: re.Pattern[bytes], names: frozenset[bytes]) -> bool:
    """Is some identifier holding an anchor one of ``names``?"""
    size = len(data)
    end = 0
    for match in anchors.finditer(data):
        start = match.start()
        if start < end:
            continue  # inside the identifier just compared
        end = match.end()
        while start > 0 and data[start - 1] in _IDENTIFIER:
            start -= 1
        while end < size and data[end] in _IDENTIFIER:
            end += 1
        if data[start:end] in names:
            return True
    return False


def mentions_clus(data: bytes) -> bool:
    """The first, cheapest question: does "clus" appear at all, in any case?

    Every name of the packaged table contains it (``tests/test_prefilter.py`` checks),
    so without configured names a file that fails this test mentions nothing tracked.
    """
    return b"clus" in data.lower()


def mentions_tracked_name(data: bytes, table: RuleTable, extra: frozenset[str] = frozenset(),
                          *, lowered: bytes | None = None) -> bool:
    """Does ``data`` contain "clusapi" (any case) or a name the analysis tracks?

    ``lowered`` is ``data.lower()`` when the caller has it already.
    """
    anchors, clus, others = _vocabulary(table.tracked_names | extra)
    low = data.lower() if lowered is None else lowered
    if b"clusapi" in low:
        return True
    if (clus and b"clus" in low and any(a[:1] in data for a in _firsts(anchors))
            and _anchored_word(data, anchors, clus)):
        return True
    return others is not None and others.search(data) is not None
