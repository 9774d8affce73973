"""Turning leak events into findings: one per (code, acquire site), with a message.

A site with any event whose path needed no unexpected exception gets HDL001; a site
whose every leaking path went through an unexpected exception gets HDL002. Among the
events of a code the earliest line is reported, so output is deterministic.
"""

from __future__ import annotations

from typing import Sequence

from handlelint.dataflow.calls import LeakEvent, Site
from handlelint.findings import Finding


def _clean(event: LeakEvent) -> bool:
    return event.origin is None or event.origin.rank == 0


def _ending(event: LeakEvent, name: str | None) -> str:
    if not _clean(event):
        assert event.origin is not None
        return f"if {event.origin.what} raises at line {event.origin.line}"
    kind, line = event.kind, event.line
    if kind == "return":
        return f"on the path that returns at line {line}"
    if kind == "end":
        return f"on the path that reaches the end of the scope at line {line}"
    if kind == "raise":
        return f"on the path that raises at line {line}"
    if kind == "del":
        return f"before it is deleted at line {line}"
    if kind == "reacquire":
        return f"before it is acquired again at line {line}"
    if kind == "discard":
        return f"(the result is thrown away at line {line})"
    who = f"'{name}'" if name else "its variable"
    return f"before {who} is rebound at line {line}"


def leak_findings(sites: Sequence[Site], names: dict[int, str],
                  events: Sequence[LeakEvent]) -> list[Finding]:
    """HDL001/HDL002 findings for the leak events of one scope."""
    by_site: dict[int, list[LeakEvent]] = {}
    for event in events:
        by_site.setdefault(event.site, []).append(event)
    findings = []
    for site_index, site_events in by_site.items():
        site = sites[site_index]
        clean = [e for e in site_events if _clean(e)]
        code = "HDL001" if clean else "HDL002"
        if clean:
            chosen = min(clean, key=lambda e: (e.line, e.kind))
        else:
            chosen = min(site_events, key=lambda e: (e.origin or e.line, e.kind))
        name = names.get(site_index)
        var = f" '{name}'" if name else ""
        release = " or ".join(f"{r}()" for r in site.rule.release)
        message = (f"{site.rule.words}{var} from {site.source}() is not closed with "
                   f"{release} {_ending(chosen, name)}")
        findings.append(Finding(site.line, site.col, code, message))
    return findings
