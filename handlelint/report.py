"""Turning leak events into findings: one per (code, acquire site), with a message.

A site with any event whose path needed no unexpected exception gets HDL001; a site
whose every leaking path went through an unexpected exception gets HDL002. Among the
events of a code the earliest line is reported, so output is deterministic.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from handlelint.dataflow.calls import LeakEvent, Site
from handlelint.findings import Finding, Step


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


def choose(events: Sequence[LeakEvent]) -> dict[int, tuple[str, LeakEvent]]:
    """Per site, its code and the event its message describes."""
    by_site: dict[int, list[LeakEvent]] = {}
    for event in events:
        by_site.setdefault(event.site, []).append(event)
    chosen: dict[int, tuple[str, LeakEvent]] = {}
    for site, site_events in by_site.items():
        clean = [e for e in site_events if _clean(e)]
        if clean:
            chosen[site] = ("HDL001", min(clean, key=lambda e: (e.line, e.kind)))
        else:
            # Every event here went through an unexpected exception: it has an origin.
            chosen[site] = ("HDL002", min(site_events, key=lambda e: (e.origin, e.kind)))
    return chosen


def leak_findings(sites: Sequence[Site], names: dict[int, str],
                  chosen: dict[int, tuple[str, LeakEvent]],
                  steps: Mapping[int, tuple[Step, ...]] | None = None) -> list[Finding]:
    """HDL001/HDL002 findings for the chosen leak events of one scope."""
    findings = []
    for site_index, (code, event) in chosen.items():
        site = sites[site_index]
        name = names.get(site_index)
        var = f" '{name}'" if name else ""
        release = " or ".join(f"{r}()" for r in site.rule.release)
        message = (f"{site.rule.words}{var} from {site.source}() is not closed with "
                   f"{release} {_ending(event, name)}")
        path = steps.get(site_index, ()) if steps else ()
        findings.append(Finding(site.line, site.col, code, message, path))
    return findings
