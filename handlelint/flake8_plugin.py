"""The flake8 plugin (entry point ``HDL``): flake8's lines in, the engine's findings out.

flake8 hands over the file's lines and its ``ast`` tree; the engine needs the text
(libcst keeps comments and layout), so the lines are joined and the tree is not used.
Files Python's own parser rejects are left to flake8, which reports them as E999, and
``# noqa``, ``--select`` and ``--ignore`` are flake8's own business.

Settings come from the ``[tool.handlelint]`` table of the nearest ``pyproject.toml``
from flake8's working folder upward (flake8 itself never reads that file), and the
``--handlelint-*`` options, given on the command line or in flake8's own configuration,
replace the file's value of the same setting; under ``flake8 --isolated`` the table is
not read. A plugin cannot make flake8 exit 2, so a configuration error becomes one HDL000
finding at line 1 of every file checked. A ``# handlelint: noqa`` line silences the
file, as ``# flake8: noqa`` does under flake8; columns are characters, as the command
line prints them.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import os
from typing import Any, Iterator, Sequence

from handlelint import __version__
from handlelint.config import ARGTYPES_CHECKS, UNKNOWN_CALLS, Config, ConfigError, KEYS
from handlelint.config import config_from_table
from handlelint.config import discover_config
from handlelint.engine import check_source
from handlelint.files import Exclude
from handlelint.places import char_column
from handlelint.selection import file_noqa

#: The keys of ``[tool.handlelint]`` that are flake8 options too (``--handlelint-KEY``):
#: all but those flake8 has its own options for, and the release entries.
PLUGIN_KEYS = tuple(key for key in KEYS if key not in (
    "exclude", "select", "ignore", "baseline", "cache-dir", "release"))

#: The plugin keys whose value is one word among a few.
_CHOICES = {"unknown-calls": UNKNOWN_CALLS, "argtypes-check": ARGTYPES_CHECKS}

#: Where flake8's options come from in error messages.
_OPTIONS_SOURCE = "flake8 options"


def _attr(suffix: str) -> str:
    return "handlelint_" + suffix.replace("-", "_")


def parse_pairs(items: Sequence[str]) -> dict[str, list[str]]:
    """``["open_w=close_w", "open_w=free_w"]`` -> ``{"open_w": ["close_w", "free_w"]}``."""
    pairs: dict[str, list[str]] = {}
    for item in items:
        acquirer, sep, release = (part.strip() for part in item.partition("="))
        if not sep or not acquirer or not release:
            raise ConfigError(_OPTIONS_SOURCE, f"--handlelint-acquire: {item!r} is not an "
                                               "acquire=release pair", "acquire")
        pairs.setdefault(acquirer, []).append(release)
    return pairs


def config_from_options(options: argparse.Namespace, base: Config) -> Config:
    """``base`` with the settings that ``--handlelint-*`` options give replaced."""
    table: dict[str, object] = {}
    for key in PLUGIN_KEYS:
        value = getattr(options, _attr(key), None)
        if value is None:
            continue
        if isinstance(value, list):
            value = [item for item in value if item]
        table[key] = parse_pairs(value) if key == "acquire" else value
    given = config_from_table(table, _OPTIONS_SOURCE)
    fields = {KEYS[key][0]: getattr(given, KEYS[key][0]) for key in table}
    return dataclasses.replace(base, **fields)


class Plugin:
    """flake8's view of handlelint."""

    name = "handlelint"
    version = __version__

    #: The settings of the run, set by :meth:`parse_options` (defaults until then).
    config: Config = Config()
    #: A configuration error, reported as HDL000 on every file instead of checking it.
    config_error: str | None = None

    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        # ``tree`` is requested only because flake8 requires a plugin to take one of
        # tree, logical_line or physical_line; the analysis works on the text.
        del tree
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, parser: Any) -> None:
        """Register one ``--handlelint-KEY`` option per key of :data:`PLUGIN_KEYS`."""
        for key in PLUGIN_KEYS:
            kwargs: dict[str, Any] = {"default": None, "parse_from_config": True}
            choices = _CHOICES.get(key)
            if choices is not None:
                kwargs.update(choices=choices,
                              help=f"{' or '.join(choices)}; replaces [tool.handlelint] {key}")
            elif key == "acquire":
                kwargs.update(comma_separated_list=True, metavar="PAIRS",
                              help="comma-separated acquire=release pairs (repeat an "
                                   "acquirer for several release names); replaces "
                                   "[tool.handlelint.acquire]")
            else:
                kwargs.update(comma_separated_list=True, metavar="NAMES",
                              help=f"comma-separated names; replaces [tool.handlelint] {key}")
            parser.add_option(f"--handlelint-{key}", **kwargs)

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """Read ``[tool.handlelint]`` from the working folder up, then apply the options."""
        try:
            # --isolated: flake8 reads no configuration file, and neither do we.
            base = Config() if getattr(options, "isolated", False) else discover_config(
                os.getcwd())
            cls.config = config_from_options(options, base)
            cls.config_error = None
        except ConfigError as exc:
            cls.config = Config()
            cls.config_error = f"configuration error: {exc}"

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        """Yield ``(line, col, "CODE message", type)`` per finding, ``col`` 0-based."""
        if self.config_error is not None:
            yield 1, 0, f"HDL000 {self.config_error}", type(self)
            return
        config = self.config
        if Exclude(config.exclude, config.root)(self.filename):
            return
        source = "".join(self.lines)
        if file_noqa(source.encode("utf-8", "surrogatepass")):
            return  # "# handlelint: noqa"; flake8 itself honours "# flake8: noqa"
        try:
            findings = check_source(source, self.filename, config, report_python_errors=False)
        except Exception as exc:  # flake8 would abort the whole run on a plugin error
            message = " ".join(f"internal error: {type(exc).__name__}: {exc}".split())
            yield 1, 0, f"HDL000 {message}", type(self)
            return
        for finding in findings:
            line = self.lines[finding.line - 1] if 1 <= finding.line <= len(self.lines) else ""
            yield finding.line, char_column(line, finding.col), finding.text, type(self)
