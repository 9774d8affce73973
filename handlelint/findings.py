"""What the analysis reports: a finding with its place, code, message and path steps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One step of a leaking path, for ``--explain``: a line and what happens there."""

    line: int
    text: str


@dataclass(frozen=True, order=True)
class Finding:
    """One finding. ``line`` is 1-based, ``col`` 0-based (flake8's convention)."""

    line: int
    col: int
    code: str
    message: str
    steps: tuple[Step, ...] = ()

    @property
    def text(self) -> str:
        """``CODE message``, as flake8 and the text format print it."""
        return f"{self.code} {self.message}"
