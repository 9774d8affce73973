"""The docs stay complete and true: a page, a SARIF rule and a fixture for every code.

Each code's page (``docs/codes/HDLnnn.md``) carries a bad and a good example, each a
complete module in a fenced ``python`` block preceded by ``<!-- bad -->`` or
``<!-- good -->``: the engine must report exactly that code for the bad one and nothing
for the good one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handlelint.codes import CODES
from handlelint.config import KEYS
from handlelint.engine import check_source
from handlelint.output import DOCS_URL, WRITERS, sarif_rules
from tests.fixture_marks import ROOT, expected_marks, fixture_files

DOCS = ROOT / "docs"
CODE_PAGES = DOCS / "codes"
_EXAMPLE = re.compile(r"^<!-- (bad|good) -->\n```python\n(.*?)^```$", re.M | re.S)


def page(code: str) -> Path:
    return CODE_PAGES / f"{code}.md"


def examples(code: str) -> dict[str, list[str]]:
    """The page's examples by kind (``bad``, ``good``)."""
    found: dict[str, list[str]] = {"bad": [], "good": []}
    for kind, body in _EXAMPLE.findall(page(code).read_text(encoding="utf-8")):
        found[kind].append(body)
    return found


@pytest.mark.parametrize("code", list(CODES))
def test_every_code_has_a_page(code: str) -> None:
    assert page(code).is_file(), f"{code} has no page: write docs/codes/{code}.md"
    text = page(code).read_text(encoding="utf-8")
    assert text.startswith(f"# {code}: {CODES[code].title}\n")
    for section in ("## Why it matters", "## Example", "## How to suppress"):
        assert f"\n{section}\n" in text, f"{code}: no '{section}' section"
    assert f"# noqa: {code}" in text
    found = examples(code)
    assert (len(found["bad"]), len(found["good"])) == (1, 1), (
        f"{code}: one bad and one good example, each marked <!-- bad --> / <!-- good -->")


@pytest.mark.parametrize("code", [c for c in CODES if c != "HDL000"])
def test_pages_cite_the_win32_documentation(code: str) -> None:
    text = page(code).read_text(encoding="utf-8")
    assert "https://learn.microsoft.com/en-us/windows/win32/api/clusapi/" in text


def test_no_page_for_an_unknown_code() -> None:
    assert sorted(p.stem for p in CODE_PAGES.glob("*.md")) == sorted(CODES)


def _example_params() -> list[object]:
    return [pytest.param(code, kind, id=f"{code}-{kind}")
            for code in CODES for kind in ("bad", "good")]


@pytest.mark.parametrize(("code", "kind"), _example_params())
def test_examples(code: str, kind: str) -> None:
    [source] = examples(code)[kind]
    findings = check_source(source, f"docs/codes/{code}.md", strict=False)
    got = [f"{f.line}: {f.code} {f.message}" for f in findings]
    if kind == "bad":
        assert [f.code for f in findings] == [code], got
    else:
        assert findings == [], got


@pytest.mark.parametrize("code", list(CODES))
def test_every_code_has_a_sarif_rule(code: str) -> None:
    rules = {rule["id"]: rule for rule in sarif_rules()}
    assert code in rules
    assert rules[code]["helpUri"] == f"{DOCS_URL}codes/{code}.md"
    # The helpUri's page is the one in this repository.
    assert page(code).relative_to(ROOT).as_posix() == "docs/" + rules[code]["helpUri"][
        len(DOCS_URL):]


def test_every_code_has_a_fixture() -> None:
    marked = {code for path in fixture_files() for _, code in expected_marks(path)}
    assert sorted(set(CODES) - marked) == [], "codes without a '# error: CODE' fixture mark"


def test_configuration_reference_documents_every_key() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for key in KEYS:
        assert f"| `{key}` |" in text, f"docs/configuration.md: no row for {key!r}"
    for option in ("acquire", "releasers", "borrowers", "call-through", "dll-names",
                   "unknown-calls"):
        assert f"`--handlelint-{option}=" in text


def test_output_formats_documents_every_format() -> None:
    text = (DOCS / "output-formats.md").read_text(encoding="utf-8")
    for name in WRITERS:
        assert f"\n## `{name}`\n" in text, f"docs/output-formats.md: no section for {name}"


def test_readme_links_the_docs() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in ("docs/configuration.md", "docs/output-formats.md", "docs/codes/"):
        assert f"]({target}" in text, f"README.md does not link {target}"
