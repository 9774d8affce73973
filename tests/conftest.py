"""Test-suite settings: the ``slow`` mark, for tests ``.ci/run`` runs on one Python only.

``.ci/run`` runs the whole suite on every CPython 3.9-3.13 it finds, side by side; the
slowest tests, whose subject does not depend on the Python version (building the
pre-commit hook's environment, property-based fuzzing of the engine), run on the newest
one only. ``HANDLELINT_SLOW_TESTS=0`` skips them; by default they run.
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: slow and version-independent; skipped with HANDLELINT_SLOW_TESTS=0")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("HANDLELINT_SLOW_TESTS") != "0":
        return
    skip = pytest.mark.skip(reason="HANDLELINT_SLOW_TESTS=0: .ci/run runs it on one Python")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
