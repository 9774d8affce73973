"""The prefilter: a file whose text mentions none of the vocabulary is never parsed.

The vocabulary is the union, over the enabled rule packs (all of them by default), of

* their **sources**: the DLL and module names (``clusapi``, ``kernel32``, ``win32api``,
  ``winreg``, ...), found in any case and anywhere (``self._clusapi``,
  ``"KERNEL32.DLL"``), as the resolver finds DLL objects;
* their **names**: every acquire and release function (aliases included), typedef, and
  the Python types of pywin32 and winreg objects (``PyHANDLE``), found as whole
  identifiers in their own case, as the resolver matches API names. A name that is an
  ordinary word (no capital, digit or underscore after its first letter: ``socket``,
  ``accept``, the ``Close`` method) counts only through its pack's source, which every
  call of it needs (names alone never make a tracked call);

plus the configured names (acquires, releases, releasers, DLL names), as whole identifiers.
The words of every pack are generated into ``data/vocabulary.txt`` (``tests/test_prefilter.py``
keeps it in sync), so checking a file never parses the Win32 table.

Every step is a whole-text operation in C, never a Python loop over the places a word
occurs, so a file holding a million "cluster" words costs about two reads of it:

1. in a text of 64 KB or more, the bytes one of which every word holds (the capitals
   the names need, "C" alone for the clusapi names, and the bytes of step 2 in both
   cases) are looked for (:func:`present_bytes`: one ``memchr`` per byte, a chunk of
   the text at a time, so that the text comes from memory once whatever the number of
   bytes); a text holding none mentions no word, which settles most large files of
   ordinary words;
2. one lower-case copy of the text; the sources, in groups under the rarest byte each
   of them holds (``3`` for ``kernel32`` and the other ``...32`` names, ``p`` for
   ``clusapi``, ``w`` for ``winreg``, ...): one ``memchr`` per group in the copy, and a
   substring search per source only in a group whose byte occurs;
3. the capitalised names, only where the text has a capital letter at all (the copy
   differs from the text: one ``memcmp``): one ``bytes.translate`` pass turns every byte
   that cannot be in an identifier into a space, ``split()`` gives the words, and a set
   intersection (in C) compares them with the names;
4. the other configured names, by one word-bounded pattern.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from handlelint.rules import RuleTable, read_data

#: The generated file of every pack's words (see :func:`render_vocabulary`).
VOCABULARY_FILE = "vocabulary.txt"
#: Every byte that cannot be part of an identifier becomes a space: ``split()`` of the
#: translated text gives the identifiers (and numbers), compared with the names as a set.
_WORDS = bytes(b if chr(b).isalnum() and b < 128 or b == 95 else 32 for b in range(256))
_CAPITALISED_NAME = re.compile(r"[A-Z][A-Za-z0-9_]*\Z")
#: Texts from this size on have their needed bytes looked for first (step 1): on a
#: smaller one it costs more than it can save.
LARGE = 1 << 16
#: :func:`present_bytes` searches a text this many bytes at a time: the first search of
#: a chunk brings it into the processor's cache, where the others read it.
_CHUNK = 1 << 17
#: Bytes to group the sources under, rarest in Python code first.
_RARITY = b"qzjx9876540321kvwybgfmpucdhlrsianote_"


def is_ordinary_word(name: str) -> bool:
    """``socket``, ``Close``: no capital, digit or underscore after the first letter."""
    return name[1:].isalpha() and name[1:].islower()


@dataclass(frozen=True)
class PackWords:
    """The words one pack contributes to the vocabulary."""

    sources: frozenset[str]
    names: frozenset[str]


def pack_words(sources: Iterable[str], names: Iterable[str]) -> PackWords:
    """A pack's words from its DLL or module names and its function and type names."""
    found_sources: set[str] = set()
    found_names: set[str] = set()
    for source in sources:
        if source.islower() or not any(c.isalpha() for c in source):
            found_sources.add(source.lower())
        else:  # a Python type of the pack's objects: a name, in its own case
            found_names.add(source)
    for name in names:
        final = name.rsplit(".", 1)[-1]
        if final and not is_ordinary_word(final):
            found_names.add(final)
    return PackWords(frozenset(found_sources), frozenset(found_names))


def render_vocabulary() -> str:
    """The text of ``data/vocabulary.txt``: one ``pack kind word`` line per word."""
    from handlelint.packs import all_packs  # parses the Win32 table: only to generate

    lines = ["# The prefilter's words of every rule pack: pack, kind (source or name), word.",
             "# Generated from the packaged tables by tests/test_prefilter.py; do not edit."]
    for pack in all_packs():
        names: list[str] = []
        for acquire in pack.acquires:
            names += [*acquire.names, *acquire.release]
            names += [acquire.typedef] if acquire.typedef else []
        for release in pack.releases:
            names += list(release.names)
            names += [release.typedef] if release.typedef else []
        words = pack_words(pack.sources, names)
        lines += [f"{pack.name} source {w}" for w in sorted(words.sources)]
        lines += [f"{pack.name} name {w}" for w in sorted(words.names)]
    return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=1)
def _packaged_words() -> dict[str, PackWords]:
    """Every pack's words, read from the generated file."""
    sources: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    for line in read_data(VOCABULARY_FILE).splitlines():
        if not line or line.startswith("#"):
            continue
        pack, kind, word = line.split()
        sources.setdefault(pack, set())
        names.setdefault(pack, set())
        (sources if kind == "source" else names)[pack].add(word)
    return {p: PackWords(frozenset(sources[p]), frozenset(names[p])) for p in sources}


def packs_words(packs: tuple[str, ...] | None) -> PackWords:
    """The words of the packs ``packs`` (None: every pack)."""
    every = _packaged_words()
    chosen = [w for p, w in every.items() if packs is None or p in packs]
    return PackWords(frozenset().union(*(w.sources for w in chosen)),
                     frozenset().union(*(w.names for w in chosen)))


@dataclass(frozen=True)
class Vocabulary:
    """The words, prepared for the search of the module docstring."""

    #: (a byte, the lower-case sources holding it): a group is searched only where its
    #: byte occurs.
    groups: tuple[tuple[bytes, tuple[bytes, ...]], ...]
    #: Names that are capitalised identifiers, matched exactly.
    capitalised: frozenset[bytes]
    #: Every other name, as one word-bounded pattern (None: no such name).
    others: re.Pattern[bytes] | None
    #: Lower-case substrings one of which every capitalised name holds ("clus" for the
    #: clusapi names), searched before the identifiers are collected (None: too many).
    name_gate: tuple[bytes, ...] | None
    #: Bytes one of which every word holds (the groups' bytes in both cases, the
    #: capitals, the other names' first bytes): a text holding none mentions no word.
    needed: bytes


def _groups(sources: Iterable[str]) -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
    """Group the sources under the rarest byte (in Python code) each of them holds, so
    that a text lacking that byte skips the whole group with one ``memchr``."""
    groups: dict[bytes, list[bytes]] = {}
    for source in sorted({s.lower().encode("utf-8") for s in sources}):
        held = [b for b in _RARITY if b in source]
        key = bytes([min(held, key=_RARITY.index)]) if held else source[:1]
        groups.setdefault(key, []).append(source)
    return tuple((key, tuple(group)) for key, group in groups.items())


@functools.lru_cache(maxsize=16)
def vocabulary(sources: frozenset[str], names: frozenset[str]) -> Vocabulary:
    """The :class:`Vocabulary` of these sources and names (cached)."""
    capitalised = frozenset(n.encode("utf-8") for n in names if _CAPITALISED_NAME.match(n))
    others = sorted(n.encode("utf-8") for n in names if not _CAPITALISED_NAME.match(n))
    pattern = None
    if others:
        alternation = b"|".join(re.escape(n) for n in others)
        pattern = re.compile(rb"(?<![\w.])(?:" + alternation + rb")(?![\w])")
    groups = _groups(sources)
    needed = {b for key, _ in groups for b in (key.lower() + key.upper())}
    needed |= _capitals(capitalised)
    needed |= {b for n in others for b in (n[:1].lower() + n[:1].upper())}
    return Vocabulary(groups, capitalised, pattern, _cover(capitalised), bytes(sorted(needed)))


def _capitals(names: frozenset[bytes]) -> set[int]:
    """Capital letters one of which every name holds (greedy: "C" for the clusapi names)."""
    todo = set(names)
    chosen: set[int] = set()
    while todo:
        counts: dict[int, int] = {}
        for name in todo:
            for b in set(name):
                if 65 <= b <= 90:
                    counts[b] = counts.get(b, 0) + 1
        best = max(sorted(counts), key=lambda b: counts[b])
        chosen.add(best)
        todo = {n for n in todo if best not in n}
    return chosen


def _cover(names: frozenset[bytes], size: int = 4, most: int = 4
           ) -> tuple[bytes, ...] | None:
    """At most ``most`` lower-case substrings of ``size`` bytes, one of which every name
    holds (greedy set cover), or None when more are needed."""
    todo = {n.lower() for n in names}
    chosen: list[bytes] = []
    while todo:
        counts: dict[bytes, int] = {}
        for name in todo:
            for gram in {name[i:i + size] for i in range(max(1, len(name) - size + 1))}:
                counts[gram] = counts.get(gram, 0) + 1
        if len(chosen) == most:
            return None
        best = max(sorted(counts), key=lambda g: counts[g])
        chosen.append(best)
        todo = {n for n in todo if best not in n}
    return tuple(chosen)


def _found(data: bytes, candidates: bytes) -> Iterator[int]:
    """Each byte of ``candidates`` that occurs in ``data``, as it is found."""
    todo = [candidates[i:i + 1] for i in range(len(candidates))]
    find = data.find
    for start in range(0, len(data), _CHUNK):
        end = start + _CHUNK
        hits = [b for b in todo if find(b, start, end) >= 0]
        if hits:
            yield from (b[0] for b in hits)
            todo = [b for b in todo if b not in hits]
            if not todo:
                return


def present_bytes(data: bytes, candidates: bytes) -> bytes:
    """The bytes of ``candidates`` that occur in ``data``.

    Each is looked for with one ``memchr`` a chunk of the text at a time (128 KB), and no
    more once found. The first search of a chunk brings it from memory and the others
    read it from the processor's cache, so the cost is about one pass over the text
    however many bytes are asked for and however often they occur: 15 bytes absent from
    20 MB take 5 ms, against 23 ms searched one whole text at a time and 14 ms for one
    ``bytes.translate`` pass deleting every other byte.
    """
    return bytes(_found(data, candidates))


def has_any(data: bytes, candidates: bytes) -> bool:
    """Does a byte of ``candidates`` occur in ``data`` (as :func:`present_bytes`)?"""
    return next(_found(data, candidates), None) is not None


def mentions(data: bytes, words: Vocabulary, *, lowered: bytes | None = None,
             present: bytes | None = None) -> bool:
    """Does ``data`` mention a word of ``words``? ``lowered``: ``data.lower()`` if known;
    ``present``: the bytes of ``words.needed`` that ``data`` holds, if known."""
    if len(data) >= LARGE and not (
            has_any(data, words.needed) if present is None
            else any(b in present for b in words.needed)):
        return False
    low = data.lower() if lowered is None else lowered
    for byte, group in words.groups:
        if byte in low and any(source in low for source in group):
            return True
    if (words.capitalised and low != data
            and (words.name_gate is None or any(g in low for g in words.name_gate))
            and not words.capitalised.isdisjoint(data.translate(_WORDS).split())):
        return True
    return words.others is not None and words.others.search(data) is not None


def mentions_clus(data: bytes) -> bool:
    """Does "clus" appear at all, in any case (every clusapi name holds it)?"""
    return b"clus" in data.lower()


def mentions_tracked_name(data: bytes, table: RuleTable | None = None,
                          extra: frozenset[str] = frozenset(), *,
                          lowered: bytes | None = None,
                          packs: tuple[str, ...] | None = None,
                          sources_of: tuple[str, ...] | None = None) -> bool:
    """Does ``data`` mention a word of the packs ``packs`` (None: all), a name of
    ``table`` (its configured names) or one of ``extra`` (releasers, DLL names)?

    ``sources_of`` (None: every pack of ``packs``) limits the DLL and module names
    searched here to those packs: the engine looks for the others where alone they can
    make a call (a DLL name in a text that names ``ctypes``, a module in an import).
    """
    return mentions(data, tracked_vocabulary(table, extra, packs=packs, sources_of=sources_of),
                    lowered=lowered)


def tracked_vocabulary(table: RuleTable | None = None, extra: frozenset[str] = frozenset(), *,
                       packs: tuple[str, ...] | None = None,
                       sources_of: tuple[str, ...] | None = None) -> Vocabulary:
    """The :class:`Vocabulary` :func:`mentions_tracked_name` searches (cached)."""
    names = table.tracked_names if table is not None else frozenset()
    return _assembled(packs, extra, names, sources_of)


@functools.lru_cache(maxsize=16)
def _assembled(packs: tuple[str, ...] | None, extra: frozenset[str],
               names: frozenset[str], sources_of: tuple[str, ...] | None = None
               ) -> Vocabulary:
    words = packs_words(packs)
    sources = words.sources if sources_of is None else packs_words(
        tuple(p for p in sources_of if packs is None or p in packs)).sources
    return vocabulary(sources, words.names | extra | names)
