"""Baselines: the findings a code base already had, so that only new ones are reported.

``--write-baseline FILE`` records every current finding; ``--baseline FILE`` (or the
configuration's ``baseline``) then leaves out each finding that matches a recorded one.
A finding is matched by its path (relative to the baseline file's folder), code,
enclosing function, handle name and the text of the reported expression (the acquiring
call), never by its line: adding or removing lines above a finding does not bring it
back. Identical findings are counted, so a second copy of a recorded leak in the same
function is new. Recorded entries that no longer match anything are *stale*; the
summary line counts them (rewrite the baseline to drop them).

The file is JSON, sorted, one entry per distinct finding, so that it diffs well.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from handlelint.output import Report

#: The format version written into (and required from) a baseline file.
VERSION = 1

Key = tuple[str, str, str, str, str]
_FIELDS = ("path", "code", "function", "handle", "call")


class BaselineError(Exception):
    """A baseline file that cannot be read; ``str()`` is the one-line message."""


def _relative(path: str, folder: str) -> str:
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, folder)
    except ValueError:  # another drive on Windows
        rel = full
    return rel.replace(os.sep, "/")


def report_key(report: Report, folder: str) -> Key:
    """What identifies ``report`` in a baseline kept in ``folder``."""
    place = report.place
    f = report.finding
    if place is None:  # reports made without places (tests): the message stands in
        return (_relative(report.path, folder), f.code, "", "", f.message)
    return (_relative(report.path, folder), f.code, place.function, place.handle,
            place.call)


@dataclass
class Baseline:
    """The recorded findings of one baseline file, and what matching them left."""

    folder: str
    counts: Counter[Key] = field(default_factory=Counter)
    #: After :meth:`filter`: findings left out, and recorded entries nothing matched.
    matched: int = 0
    stale: int = 0

    def filter(self, reports: Sequence[Report]) -> list[Report]:
        """The reports not recorded in the baseline (each record matches one report)."""
        left = Counter(self.counts)
        new = []
        for report in reports:
            key = report_key(report, self.folder)
            if left[key] > 0:
                left[key] -= 1
                self.matched += 1
            else:
                new.append(report)
        self.stale = sum(left.values())
        return new


def write_baseline(path: str, reports: Sequence[Report]) -> None:
    """Record ``reports`` in the baseline file ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    counts = Counter(report_key(r, folder) for r in reports)
    entries = [{**dict(zip(_FIELDS, key)), "count": count}
               for key, count in sorted(counts.items())]
    document = {"tool": "handlelint", "version": VERSION, "findings": entries}
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")


def load_baseline(path: str) -> Baseline:
    """The baseline recorded in ``path``; :class:`BaselineError` when it is unusable."""
    try:
        with open(path, encoding="utf-8") as fh:
            document = json.load(fh)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not a baseline file (not JSON: {exc})") from None
    if (not isinstance(document, dict) or document.get("tool") != "handlelint"
            or not isinstance(document.get("findings"), list)):
        raise BaselineError(f"{path}: not a baseline file (write one with --write-baseline)")
    if document.get("version") != VERSION:
        raise BaselineError(f"{path}: baseline version {document.get('version')!r} is not "
                            f"{VERSION}: write it again with --write-baseline")
    baseline = Baseline(os.path.dirname(os.path.abspath(path)))
    for entry in document["findings"]:
        try:
            key = tuple(str(entry[name]) for name in _FIELDS)
            count = int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{path}: a baseline entry lacks one of "
                                f"{', '.join(_FIELDS)}: {entry!r}") from None
        baseline.counts[key] += count  # type: ignore[index]
    return baseline
