"""``handlelint --force`` over Python's own standard library: no crash, no traceback.

CI checks a deterministic sample (every Nth file); ``HANDLELINT_STDLIB=all`` checks all.
HDL000 is allowed only for files that Python's parser or libcst cannot parse.
"""

from __future__ import annotations

import ast
import os
import sysconfig
import warnings
from pathlib import Path

import libcst as cst
import pytest

from handlelint.cli import main

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def stdlib_files() -> list[Path]:
    files = sorted(p for p in STDLIB.rglob("*.py") if "site-packages" not in p.parts)
    step = 1 if os.environ.get("HANDLELINT_STDLIB") == "all" else 15
    return files[::step]


def _parses(path: Path) -> bool:
    try:
        data = path.read_bytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)
        cst.parse_module(data)
    except Exception:
        return False
    return True


def test_force_over_the_standard_library(capsys: pytest.CaptureFixture[str]) -> None:
    files = stdlib_files()
    assert len(files) > 50
    code = main([str(p) for p in files] + ["--force", "--jobs", "2"])
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert "Traceback" not in out + err
    assert "internal error" not in out
    unanalysed = {line.split(":", 1)[0] for line in out.splitlines() if " HDL000 " in line}
    for path in unanalysed:
        assert not _parses(Path(path)), f"HDL000 for a file both parsers accept: {path}"
