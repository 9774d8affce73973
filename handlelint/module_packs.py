"""The modules of the module packs (pywin32, winreg, _winapi), and the prefilter's search
for their imports: known without reading the Win32 table and without libcst, so that a
file importing none of them costs neither a parse nor the import of the parser.
"""

from __future__ import annotations

import functools
import re

#: The modules of the module packs, to their pack (a test keeps this in sync with the
#: Win32 table).
MODULES = {
    **dict.fromkeys((
        "win32api", "win32clipboard", "win32crypt", "win32event", "win32evtlog", "win32file",
        "win32gui", "win32inet", "win32job", "win32pipe", "win32process", "win32security",
        "win32service", "win32ts", "win32ui"), "pywin32"),
    "winreg": "winreg", "_winreg": "winreg", "_winapi": "_winapi",
}


def enabled_modules(selected: tuple[str, ...] | None) -> frozenset[str]:
    """The modules of the module packs among ``selected`` (None: all)."""
    return frozenset(m for m, pack in MODULES.items() if selected is None or pack in selected)


@functools.lru_cache(maxsize=8)
def _module_words(selected: tuple[str, ...] | None
                  ) -> tuple[re.Pattern[bytes], re.Pattern[bytes]] | None:
    """The two searches of :func:`mentions_module`: ``from MODULE``, and ``import``
    followed on its line by a module.

    Each begins with a literal word, so that the regular-expression engine skips to its
    occurrences in C, and the word boundary before it is checked behind it. The gap
    after ``import`` stops at the next ``import`` and at a module's name: a line holding
    many ``import`` words is read a bounded number of times, never once per word (a
    greedy ``[^\n]*`` took minutes on a 2 MB line of them), and the gap's runs of
    ordinary bytes are single repeats, not a nested ``(a|b)*``.
    """
    names = sorted(n.encode() for n in enabled_modules(selected))
    if not names:
        return None
    module = rb"\b" + _trie(names) + rb"\b"
    firsts = re.escape(bytes(sorted({n[0] for n in names} | {ord("i")})))
    plain = rb"[^\n" + firsts + rb"]*"
    gap = plain + rb"(?:(?!" + module + rb"|\bimport\b)[" + firsts + rb"]" + plain + rb")*"
    return (re.compile(rb"from(?<!\wfrom)\s+" + module),
            re.compile(rb"import(?<!\wimport)\b" + gap + module))


def _trie(words: list[bytes]) -> bytes:
    """An alternation of the distinct ``words`` factored by their first bytes, so that
    the engine tries one branch per byte, not every word."""
    groups: dict[bytes, list[bytes]] = {}
    for word in words:
        groups.setdefault(word[:1], []).append(word[1:])
    parts = [re.escape(first) + (_trie(rest) if rest != [b""] else b"")
             for first, rest in sorted(groups.items())]
    return parts[0] if len(parts) == 1 else b"(?:" + b"|".join(parts) + b")"


def mentions_module(data: bytes, selected: tuple[str, ...] | None = None) -> bool:
    """Does ``data`` import a module of the enabled module packs (the prefilter's share:
    a call of these packs needs an import naming its module, on the line of ``import``
    or after ``from``)? Linear in the text however its words repeat."""
    if b"win" not in data:  # every module of the packs holds it
        return False
    searches = _module_words(selected)
    return searches is not None and any(s.search(data) is not None for s in searches)
