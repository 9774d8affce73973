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
def _module_words(selected: tuple[str, ...] | None) -> re.Pattern[bytes] | None:
    names = sorted(enabled_modules(selected))
    if not names:
        return None
    alternation = b"|".join(re.escape(n.encode()) for n in names)
    return re.compile(rb"\bimport\b[^\n]*\b(?:" + alternation + rb")\b|\bfrom\s+(?:"
                      + alternation + rb")\b")


def mentions_module(data: bytes, selected: tuple[str, ...] | None = None) -> bool:
    """Does ``data`` import a module of the enabled module packs (the prefilter's share:
    a call of these packs needs an import naming its module, on the line of ``import``
    or after ``from``)?"""
    if b"win" not in data:  # every module of the packs holds it
        return False
    words = _module_words(selected)
    return words is not None and words.search(data) is not None
