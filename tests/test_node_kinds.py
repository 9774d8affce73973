"""Node kinds are compared by exact type: no ABC instance check on the dense corpus."""

from __future__ import annotations

import abc
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any, Callable

import pytest

import handlelint
from handlelint.engine import check_source

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import corpus  # noqa: E402

_PACKAGE = str(Path(handlelint.__file__).resolve().parent)


def test_dense_code_asks_no_abc_instance_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every libcst class has ABCMeta as metaclass: ``isinstance`` against one runs
    ``ABCMeta.__instancecheck__`` in Python unless the type is that very class."""
    callers: Counter[str] = Counter()
    check: Callable[[type, Any], bool] = abc.ABCMeta.__instancecheck__

    def counted(cls: type, instance: Any) -> bool:
        frame: FrameType | None = sys._getframe(1)
        assert frame is not None
        filename = str(Path(frame.f_code.co_filename).resolve())
        if filename.startswith(_PACKAGE):
            module = Path(filename).relative_to(_PACKAGE).as_posix()
            callers[f"{module}:{frame.f_lineno}"] += 1
        return check(cls, instance)

    source = corpus.dense_module(0, 500)
    monkeypatch.setattr(abc.ABCMeta, "__instancecheck__", counted)
    findings = check_source(source)
    monkeypatch.undo()
    assert findings == []
    assert not callers, callers.most_common(10)
