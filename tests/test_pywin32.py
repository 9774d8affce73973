"""The module packs (pywin32, winreg, _winapi): where their calls come from, and their rules."""

from __future__ import annotations

from handlelint.engine import check_source
from handlelint.packs import MODULE_PACKS, all_packs
from handlelint.module_packs import MODULES
from handlelint.pywin32 import handle_positions, module_rules


def _codes(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_source(source, "m.py")]


def test_the_module_list_matches_the_packs() -> None:
    """:data:`MODULES` (known without reading the table) names every module of the packs."""
    modules = {r.module for p in all_packs() if p.name in MODULE_PACKS
               for r in (*p.acquires, *p.releases) if r.module}
    assert set(MODULES) == modules | {"_winreg"}
    assert {MODULES[m] for m in modules} == set(MODULE_PACKS)


def test_names_alone_never_count() -> None:
    source = ("def f(api, path):\n"
              "    h = api.LoadLibraryEx(path, 0, 2)\n"
              "    k = OpenKey(None, 'x')\n")
    assert _codes(source) == []
    assert _codes("import win32api\n" + source) == []


def test_every_import_form() -> None:
    leak = "def f(path):\n    h = {call}(path, 0, 2)\n    return 1\n"
    for header, call in (("import win32api\n", "win32api.LoadLibraryEx"),
                         ("import win32api as w\n", "w.LoadLibraryEx"),
                         ("from win32api import LoadLibraryEx\n", "LoadLibraryEx"),
                         ("from win32api import LoadLibraryEx as load\n", "load"),
                         ("import _winapi as api\n", "api.CreateFile")):
        assert _codes(header + leak.format(call=call)) == [(3, "HDL001")], header


def test_old_winreg_name() -> None:
    source = ("try:\n    import winreg\nexcept ImportError:\n    import _winreg as winreg\n"
              "def f():\n    k = winreg.OpenKey(winreg.HKEY_CURRENT_USER, 'x')\n"
              "    k.Close()\n    k.Close()\n")
    assert _codes(source) == [(8, "HDL004")]


def test_packs_narrow_the_modules() -> None:
    from handlelint.config import Config
    source = "import win32api\ndef f(p):\n    h = win32api.LoadLibraryEx(p, 0, 2)\n"
    assert [f.code for f in check_source(source, "m.py")] == ["HDL001"]
    assert check_source(source, "m.py", Config(rules=("winreg",))) == []


def test_tuple_results() -> None:
    rules = {(r.module, r.name): r for p in all_packs() if p.name in MODULE_PACKS
             for r in p.acquires}
    assert handle_positions(rules["win32process", "CreateProcess"]) == (0, 1)
    assert handle_positions(rules["_winapi", "CreatePipe"]) == (0, 1)
    assert handle_positions(rules["win32api", "RegCreateKeyEx"]) == (0,)
    assert handle_positions(rules["win32gui", "GetIconInfo"]) == (3, 4)
    assert handle_positions(rules["win32api", "LoadLibraryEx"]) == ()
    assert ("win32process", "CreateProcess") in module_rules().acquires
    assert ("win32gui", "ExtractIconEx") in module_rules().untracked


def test_the_prefilter_wants_an_import() -> None:
    from handlelint.module_packs import mentions_module
    assert mentions_module(b"import os, win32api\n")
    assert mentions_module(b"from win32file import (\n    CreateFile,\n)\n")
    assert mentions_module(b"    import _winreg as winreg\n")
    assert mentions_module(b"from PyInstaller.compat import pywintypes, win32api\n")
    assert not mentions_module(b"# win32api is not used here\nx = 'winreg'\n")
    assert not mentions_module(b"import winregistry\n")
    assert not mentions_module(b"import winreg\n", ("clusapi",))


def test_the_import_search_agrees_with_the_plain_pattern() -> None:
    """The import search is linear however its words repeat; on short texts it answers
    as the plain (backtracking) pattern it replaced: ``import`` followed on its line by a
    module, or ``from`` and a module."""
    import random
    import re

    from handlelint.module_packs import enabled_modules, mentions_module

    names = b"|".join(re.escape(m.encode()) for m in sorted(enabled_modules(None)))
    plain = re.compile(rb"\bimport\b[^\n]*\b(?:" + names + rb")\b|\bfrom\s+(?:"
                       + names + rb")\b")
    pieces = [b"import", b"from", b" ", b"\n", b"\r", b"\t", b",", b".", b"#", b"_", b"w",
              b"i", b"x", b"win32api", b"winreg", b"_winreg", b"_winapi", b"win32", b"ximport",
              b"importx", b"fromwinreg", b"win32apix", b"a_winreg", b"from\n", b"win32file"]
    rng = random.Random(11)
    for _ in range(20_000):
        text = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert mentions_module(text) == (plain.search(text) is not None), text
