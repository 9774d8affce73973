"""The one entry point of the analysis: source text in, findings out.

Pipeline, each step in its own module:

1. :mod:`~handlelint.prefilter`: a file that mentions no tracked name stops here;
2. :mod:`~handlelint.source`: decode, a scan of the logical lines
   (:mod:`~handlelint.lines`), Python's parse where the scan cannot bound the nesting
   (a depth pre-check), libcst's parse, all inside a worker thread with a large stack;
3. :mod:`~handlelint.index` and :mod:`~handlelint.positions`: one walk over the module,
   statement lines from the logical lines, calls' positions asked of ``ast`` when a
   finding names them;
4. :mod:`~handlelint.resolve`: which calls acquire and release handles, and
   :mod:`~handlelint.summaries`: what the file's own functions do with them;
5. per scope that acquires (every scope with ``force``): :mod:`~handlelint.cfg.builder`
   builds the CFG, :mod:`~handlelint.dataflow.partition` solves the handle states of
   :mod:`~handlelint.dataflow.transfer` to a fixpoint, and :mod:`~handlelint.report`
   turns the leaks into findings (:mod:`~handlelint.explain` adds the path);
6. per file: :mod:`~handlelint.restype` (HDL007) and :mod:`~handlelint.attributes`
   (HDL006).

Steps 2 to 6 live in :mod:`~handlelint.analysis`, imported (with libcst) only for files
that pass the prefilter.

Nothing escapes as an exception: a file that cannot be analysed gives HDL000.
"""

from __future__ import annotations

import functools
import os

from handlelint.config import Config
from handlelint.findings import Finding
from handlelint.prefilter import LARGE, present_bytes, tracked_vocabulary
from handlelint.prefilter import mentions as mentions_vocabulary
from handlelint.packs import (
    MODELLED, configured_acquires, engine_table, mentions_win32_dll, win32_dlls)
from handlelint.project.vocabulary import mentions, reachable_words
from handlelint.module_packs import mentions_module
from handlelint.records import AcquireRule, ReleaseRule
from handlelint.rules import RuleTable, with_configured
from handlelint.source import SourceError, decode, run_with_big_stack


#: The prefilter looks for the words of every enabled pack (False), or only for those of
#: the clusapi pack, whose names count alone (True; the other packs then through their
#: DLL names and imports only). See README, Performance, for the cost of each.
PREFILTER_ENFORCED = False


def table_for(config: Config, win32: bool = True) -> RuleTable:
    """The engine's table of the configured packs, with the configured rules added.

    :func:`handlelint.packs.engine_table` decides which packs the engine models; the
    configured pairs and entries are added in the forms it models
    (:func:`handlelint.packs.configured_acquires`). ``win32`` False leaves the Win32
    packs out: for a file that names none of their DLLs they can match nothing, and the
    Win32 table is then not even parsed.
    """
    packs = config.rules if win32 else _without_win32(config.rules)
    if not config.acquire:
        return engine_table(packs)
    pairs = tuple((k, tuple(v)) for k, v in sorted(config.acquire.items()))
    return _with_rules(packs, pairs, config.acquire_rules, config.release_rules)


def _without_win32(rules: tuple[str, ...] | None) -> tuple[str, ...]:
    dlls = win32_dlls(None)
    selected = rules if rules is not None else ("clusapi",)
    return tuple(name for name in selected if name not in dlls)


def table_for_source(config: Config, data: str | bytes) -> RuleTable:
    """The table for one file: the Win32 packs only when it names one of their DLLs."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return table_for(config, mentions_win32_dll(raw.lower(), win32_dlls(config.rules)))


@functools.lru_cache(maxsize=8)
def _with_rules(packs: tuple[str, ...] | None, pairs: tuple[tuple[str, tuple[str, ...]], ...],
                entries: tuple[AcquireRule, ...], releases: tuple[ReleaseRule, ...]
                ) -> RuleTable:
    return with_configured(engine_table(packs), configured_acquires(dict(pairs), entries, releases),
                           releases)


def passes_prefilter(data: bytes, config: Config, path: str = "") -> bool:
    """Does ``data`` mention a word of the enabled packs (a DLL or module name in any
    case, a function or type name), a configured name, or, for a file of a project, a
    name its handle code defines (see :mod:`~handlelint.prefilter` and
    :mod:`~handlelint.project.vocabulary`)?"""
    return _mentions_tracked(data, config) or in_project_vocabulary(data, config, path)


def in_project_vocabulary(data: bytes, config: Config, path: str) -> bool:
    """Does the file ``path`` of a project mention a name the handle code it reaches
    through its imports defines?"""
    if not path or not os.path.isfile(path):
        return False
    words = reachable_words(path, data, repr(config),
                            lambda text: _mentions_tracked(text, config, enforced=True),
                            config.source_roots)
    return mentions(data, words)


def searched_packs(selected: tuple[str, ...] | None, enforced: bool = PREFILTER_ENFORCED
                   ) -> tuple[str, ...] | None:
    """The packs whose words the prefilter looks for: the enabled ones (``selected``,
    None: all), or only the enforced pack whose names count alone (clusapi: the Win32
    ctypes packs match only through a DLL object, :func:`handlelint.packs.mentions_win32_dll`)."""
    if not enforced:
        return selected
    return tuple(p for p in MODELLED[:1] if selected is None or p in selected)


def _mentions_tracked(data: bytes, config: Config, enforced: bool = PREFILTER_ENFORCED
                      ) -> bool:
    extra = frozenset(config.releasers) | frozenset(config.dll_names)
    # The rule table is loaded only for configured rules; the packs' words come from
    # the prefilter's own generated list.
    table = table_for(config, False) if config.acquire else None
    # The names of every enabled pack and the clusapi DLL names (found anywhere); the
    # other packs' DLL and module names count only where they can make a call, looked
    # for around this (imports first, DLL objects last).
    words = tracked_vocabulary(table, extra, packs=searched_packs(config.rules, enforced),
                               sources_of=MODELLED[:1])
    # In a large text, the bytes each search below needs are looked for in one pass
    # first (a text without "w" imports no pywin32, winreg or _winapi module, one
    # without "y" names no "ctypes"), however often the words occur.
    present = present_bytes(data, b"wy" + words.needed) if len(data) >= LARGE else None

    def holds(byte: bytes) -> bool:
        return byte in data if present is None else byte in present

    if holds(b"w") and mentions_module(data, config.rules):
        return True
    if mentions_vocabulary(data, words, present=present):
        return True
    # A Win32 ctypes entry matches only through a DLL object of its DLL, made in the file
    # with ctypes.
    dlls = win32_dlls(config.rules)
    return (bool(dlls) and holds(b"y") and b"ctypes" in data
            and mentions_win32_dll(data.lower(), dlls))


def check_source(source: str | bytes, path: str = "<string>", config: Config | None = None,
                 *, force: bool = False, report_python_errors: bool = True,
                 strict: bool = False, explain: bool = False) -> list[Finding]:
    """Analyse one file's source and return its findings sorted by position.

    ``force`` analyses every scope even when the file mentions no tracked name.
    ``report_python_errors`` False leaves files Python's own parser rejects to the
    caller (flake8 reports those as E999). ``strict`` (for tests) makes an unmodelled
    statement kind an error instead of an opaque statement. ``explain`` fills each leak
    finding's ``steps`` with one leaking path.
    """
    config = config or Config()
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    if not force and not passes_prefilter(data, config, path):
        return []
    table = table_for_source(config, data)
    try:
        text = decode(data) if isinstance(source, bytes) else source
        from handlelint.analysis import analyse  # libcst is imported only from here on
        return run_with_big_stack(lambda: analyse(
            text, table, config, force, strict, explain, path,
            lambda other: table_for_source(config, other)))
    except SourceError as exc:
        if exc.python_rejects and not report_python_errors:
            return []
        return [Finding(exc.line, exc.column, "HDL000",
                        f"cannot analyse the file: {exc.message}")]
    except Exception as exc:  # per-file isolation: any bug becomes HDL000
        if strict:
            raise
        return [Finding(1, 0, "HDL000", f"internal error: {type(exc).__name__}: {exc}")]
