"""Each checked file's settings on the command line: its own project's configuration.

Like ruff's and flake8's hierarchical configuration, every file is checked with the
nearest ``pyproject.toml`` holding a ``[tool.handlelint]`` table from the file's folder
upward (the defaults when there is none), so ``handlelint projA/x.py projB/y.py``
checks each file with its own project's settings. ``--config FILE`` names one file for
every checked file instead. The command line's ``--select``, ``--ignore`` and
``--no-cache`` replace the value of each file's configuration; ``exclude`` applies to
the paths below the configuration that sets it. A configuration is read once per run
and one :class:`~handlelint.config.Config` object stands for each file read, so that
the files of one project form one group (:meth:`Settings.groups`).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Sequence

from handlelint.config import Config, find_config, load_config
from handlelint.files import Exclude
from handlelint.selection import Selection


class Settings:
    """The configuration of each path of a run (see the module docstring).

    ``explicit`` is the ``--config`` file's settings (None: look up each file's);
    ``select`` and ``ignore`` the command line's lists (None: the configuration's).
    Looking up a configuration may raise :class:`~handlelint.config.ConfigError`.
    """

    def __init__(self, explicit: Config | None = None, *, no_cache: bool = False,
                 select: tuple[str, ...] | None = None,
                 ignore: tuple[str, ...] | None = None) -> None:
        self._explicit = self._adjust(explicit, no_cache) if explicit is not None else None
        self._no_cache = no_cache
        self._select = select
        self._ignore = ignore
        self._by_folder: dict[str, Config] = {}
        self._by_file: dict[str | None, Config] = {}

    @staticmethod
    def _adjust(config: Config, no_cache: bool) -> Config:
        return dataclasses.replace(config, use_cache=False) if no_cache else config

    def config(self, path: str) -> Config:
        """The settings of ``path`` (a file, or a folder: then its own)."""
        if self._explicit is not None:
            return self._explicit
        full = os.path.abspath(path)
        folder = full if os.path.isdir(full) else os.path.dirname(full)
        found = self._by_folder.get(folder)
        if found is None:
            source = find_config(folder)
            found = self._by_file.get(source)
            if found is None:
                loaded = load_config(source) if source is not None else Config()
                found = self._by_file[source] = self._adjust(loaded, self._no_cache)
            self._by_folder[folder] = found
        return found

    def selection(self, config: Config) -> Selection:
        """The codes reported for files with ``config``: the command line's lists
        replace the configuration's."""
        return Selection(config.select if self._select is None else self._select,
                         config.ignore if self._ignore is None else self._ignore)

    def excluded(self, path: str) -> bool:
        """Is ``path`` excluded by the ``exclude`` patterns of its own configuration?"""
        config = self.config(path)
        return Exclude(config.exclude, config.root)(path)

    def groups(self, files: Sequence[str]) -> list[tuple[Config, list[int]]]:
        """The indexes of ``files`` by configuration, in the order first met."""
        groups: dict[int, tuple[Config, list[int]]] = {}
        for i, path in enumerate(files):
            config = self.config(path)
            groups.setdefault(id(config), (config, []))[1].append(i)
        return list(groups.values())
