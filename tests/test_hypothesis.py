"""Property test: ``--force`` analysis never raises, on any program hypothesmith makes.

``from_grammar()`` gives syntactically valid source from Python's grammar (odd, but it
parses); ``from_node()`` gives source printed from libcst trees. Bounded to a few dozen
examples each so the suite stays fast in CI.
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # from generated programs

hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from handlelint.engine import check_source  # noqa: E402
from handlelint.findings import Finding  # noqa: E402

#: Raise locally for a longer hunt:
#: HANDLELINT_HYPOTHESIS_EXAMPLES=500 pytest tests/test_hypothesis.py
MAX_EXAMPLES = int(os.environ.get("HANDLELINT_HYPOTHESIS_EXAMPLES", "30"))

SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
)


def _never_raises(source: str) -> None:
    findings = check_source(source, "generated.py", force=True)
    assert isinstance(findings, list)
    assert all(isinstance(f, Finding) for f in findings)
    # an internal error would be isolated as HDL000; it must not hide a crash either
    assert not any("internal error" in f.message for f in findings), findings


@pytest.mark.slow
@SETTINGS
@given(hypothesmith.from_grammar())
def test_from_grammar_never_raises(source: str) -> None:
    _never_raises(source)


@pytest.mark.slow
@SETTINGS
@given(hypothesmith.from_node())
def test_from_node_never_raises(source: str) -> None:
    _never_raises(source)


@pytest.mark.slow
@SETTINGS
@given(hypothesmith.from_grammar())
def test_from_grammar_with_tracked_prefix_never_raises(source: str) -> None:
    """The same, after a prelude that makes ``clusapi`` a tracked DLL object."""
    prelude = "import ctypes\nclusapi = ctypes.windll.clusapi\nh = clusapi.OpenCluster(None)\n"
    _never_raises(prelude + source)
