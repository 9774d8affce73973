"""Settings of a run: extra rule pairs, known borrowers and releasers, DLL names, filters.

One :class:`Config` is shared by the command line and the flake8 plugin. The defaults
describe the packaged rule table with no additions.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Config:
    """What a run checks. Every field has a neutral default."""

    #: Extra ``acquire -> release names`` pairs, matched by the callee's final name.
    acquire: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Functions that release the handle passed as their first argument.
    releasers: tuple[str, ...] = ()
    #: Functions that only look at a handle (passing it there is no escape).
    borrowers: tuple[str, ...] = ()
    #: Helpers that call the function passed as their first argument.
    call_through: tuple[str, ...] = ()
    #: Names of objects (or factory calls) that yield the clusapi DLL.
    dll_names: tuple[str, ...] = ()
    #: How a call to an unknown function treats a handle argument: "escape" or "borrow".
    unknown_calls: str = "escape"
    #: Glob patterns of paths the command line skips.
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
