"""The code table: every finding code, its title and its one-paragraph description.

This one mapping is read by the flake8 plugin, the command line, the SARIF writer,
the documentation test and the fixture test, so a code exists in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    """One finding code of the table."""

    code: str
    title: str
    description: str


CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code(
            "HDL000",
            "file could not be analysed",
            "The file could not be analysed: a syntax error, undecodable bytes, nesting too "
            "deep for the parser, or an internal error. The message says which.",
        ),
        Code(
            "HDL001",
            "handle leaked on a normal path",
            "A handle can reach the end of its scope unreleased on a path that needs no "
            "unexpected exception: a return, falling off the end, an explicit raise, a "
            "break/continue past the release, the variable rebound or deleted while it holds "
            "an open handle, or the call's result thrown away.",
        ),
        Code(
            "HDL002",
            "handle leaked when an exception is raised",
            "The handle is released on every normal path, but an exception raised between "
            "the acquire and the release (by a call, await, yield or assert) leaves the scope "
            "without releasing it: no finally, no catch-all handler that releases.",
        ),
        Code(
            "HDL003",
            "handle released with the wrong function",
            "The handle is passed to the release function of another handle type, for "
            "example CloseClusterGroup on a cluster handle.",
        ),
        Code(
            "HDL004",
            "handle released twice",
            "The handle is released a second time on some path.",
        ),
        Code(
            "HDL005",
            "handle used after release",
            "The handle is used after its release, or a child handle is used after the "
            "cluster handle it was opened from was closed.",
        ),
        Code(
            "HDL006",
            "handle stored on an attribute that is never released",
            "The handle is stored on an attribute (self.h = ...) that no method of the class "
            "releases.",
        ),
        Code(
            "HDL007",
            "handle-returning function without a pointer restype",
            "A handle-returning function is called through a ctypes DLL object set up in the "
            "same file without a pointer-sized restype: the default c_int truncates 64-bit "
            "handles.",
        ),
        Code(
            "HDL008",
            "handle passed to a ctypes function without argtypes",
            "A handle is passed to a function of a ctypes DLL object set up in the same file "
            "whose argtypes do not cover that position: ctypes converts a plain int as a C "
            "int, so a 64-bit handle raises ArgumentError or is truncated.",
        ),
    )
}


def code_problem(code: str) -> str | None:
    """Why ``code`` (upper case) cannot be a ``select`` or ``ignore`` entry, or None.

    An entry must be a code of :data:`CODES` or a prefix of one (``HDL``, ``HDL00``), so
    a typo cannot silently select nothing; the message suggests the nearest code.
    """
    if any(known.startswith(code) for known in CODES) and code:
        return None
    return (f"unknown code {code!r}: codes are HDL000 to {max(CODES)} or their prefixes"
            f"{did_you_mean(code)}")


def did_you_mean(code: str) -> str:
    """`` (did you mean 'HDL001'?)`` for the code nearest ``code``, or ""."""
    import difflib

    close = difflib.get_close_matches(code, list(CODES), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""
