"""The prefilter: what it lets through, and the property its fast path relies on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from handlelint.config import Config
from handlelint.engine import PREFILTER_ENFORCED, passes_prefilter, searched_packs, table_for
from handlelint.packs import MODELLED
from handlelint.prefilter import (
    LARGE, VOCABULARY_FILE, has_any, mentions, mentions_clus, mentions_tracked_name,
    packs_words, present_bytes, render_vocabulary, vocabulary)
from handlelint.rules import packaged_table


def test_every_packaged_name_contains_clus() -> None:
    """``engine.check_source`` skips files without "clus" before loading the table."""
    assert all("clus" in name.lower() for name in packaged_table().tracked_names)


def test_what_passes() -> None:
    table = table_for(Config())
    assert mentions_tracked_name(b"h = OpenCluster(None)", table)
    assert mentions_tracked_name(b"import ClusAPI", table)
    assert mentions_tracked_name(b"lib = ctypes.WinDLL('clusapi.dll')", table)
    assert not mentions_tracked_name(b"clustering = 1", table)
    assert not mentions_tracked_name(b"x = 1", table)
    assert not mentions_clus(b"x = 1")


def test_configured_names_need_no_clus() -> None:
    table = table_for(Config(acquire={"open_widget": ("close_widget",)}))
    assert mentions_tracked_name(b"w = open_widget()", table)
    assert not mentions_tracked_name(b"w = open_widgets()", table)
    assert mentions_tracked_name(b"close(h)", table, frozenset({"close"}))


def test_one_release_for_two_configured_acquires() -> None:
    """Two configured handle kinds may share a release function: neither is a wrong release."""
    from handlelint.engine import check_source

    config = Config(acquire={"open_a": ("close_any",), "open_b": ("close_any",)})
    source = "def f():\n    a = open_a()\n    b = open_b()\n    close_any(a)\n    close_any(b)\n"
    assert check_source(source, config=config) == []
    leaky = "def f():\n    a = open_a()\n    return 1\n"
    assert [f.code for f in check_source(leaky, config=config)] == ["HDL001"]


def test_api_names_are_matched_in_their_own_case() -> None:
    """The resolver matches API names exactly, so only "clusapi" is looked for in any case."""
    table = table_for(Config())
    assert not mentions_tracked_name(b"opencluster = 1", table)
    assert mentions_tracked_name(b"x = 1\nOPENCLUSTER = CLUSAPI.OpenCluster", table)
    assert mentions_tracked_name(b"ClusterManager()\nClusterRegOpenKey(k)", table)
    assert not mentions_tracked_name(b"ClusterManager()\nOpenClusterFoo()", table)


def test_a_text_full_of_cluster_words_is_skipped() -> None:
    table = table_for(Config())
    data = b"state = cluster_state(cluster, 'cluster')  # Cluster\n" * 20_000
    assert not mentions_tracked_name(data, table)
    assert mentions_tracked_name(data + b"h = OpenCluster(None)\n", table)


# -- the vocabulary of every pack ---------------------------------------------------------

VOCABULARY_PATH = Path(__file__).resolve().parent.parent / "handlelint" / "data" / VOCABULARY_FILE


def test_vocabulary_file_in_sync() -> None:
    """``data/vocabulary.txt`` is generated from the packs (``python -m tests.test_prefilter``
    writes it)."""
    assert VOCABULARY_PATH.read_text(encoding="utf-8") == render_vocabulary()


def test_every_pack_has_words() -> None:
    words = packs_words(None)
    assert {"clusapi", "kernel32", "advapi32", "ws2_32", "win32api", "winreg"} <= words.sources
    assert {"OpenCluster", "CreateFileW", "RegOpenKeyExW", "PyHANDLE", "OpenKey"} <= words.names
    assert not {"socket", "accept", "Close"} & words.names  # ordinary words need a source


@pytest.mark.parametrize("text", [
    b"k = ctypes.WinDLL('KERNEL32.DLL')",
    b"import win32api",
    b"from win32file import CreateFile",
    b"h = CreateFileW(path, 0, 0, None, 3, 0, None)",
    b"with winreg.OpenKey(root, sub) as key: pass",
    b"sock = ws2_32.socket(2, 1, 0)",
    b"self._ClusApi = lib",
    b"h: PyHANDLE",
])
def test_win32_words_pass(text: bytes) -> None:
    assert mentions_tracked_name(text)


@pytest.mark.parametrize("text", [
    b"s = socket.socket()\nconn, _ = s.accept()\n",
    b"f.Close()\n",
    b"create_file_w = 1\nkernel = 32\n",
    b"state = cluster_state(cluster, 'cluster')  # Cluster\n",
])
def test_ordinary_text_is_skipped(text: bytes) -> None:
    assert not mentions_tracked_name(text)


def test_rules_narrow_the_vocabulary() -> None:
    text = b"h = kernel32.CreateFileW(path)"
    assert mentions_tracked_name(text, packs=("kernel32",))
    assert not mentions_tracked_name(text, packs=("clusapi",))
    assert not passes_prefilter(text, Config(rules=("clusapi",)))


def test_the_engine_searches_every_enabled_pack() -> None:
    """The command line and the plugin look for the words of every enabled pack; the
    clusapi pack's alone is one switch away."""
    assert not PREFILTER_ENFORCED
    assert passes_prefilter(b"from winlib import CreateFileW\n", Config())
    assert not passes_prefilter(b"from winlib import CreateFileW\n", Config(rules=("clusapi",)))
    # A Win32 DLL name alone makes no call: only with ctypes (a DLL object) or an import.
    assert not passes_prefilter(b"# see kernel32 and win32api\n", Config())
    assert passes_prefilter(b"import ctypes\nk = ctypes.WinDLL('kernel32')\n", Config())
    assert searched_packs(None, enforced=False) is None
    assert searched_packs(("kernel32",), enforced=False) == ("kernel32",)
    assert searched_packs(None, enforced=True) == MODELLED[:1] == ("clusapi",)
    assert searched_packs(("kernel32",), enforced=True) == ()


def test_every_word_holds_a_needed_byte() -> None:
    """Step 1 skips a large text holding none of the needed bytes: every word holds one,
    and is found alone and at the end of a large text of other bytes."""
    words = packs_words(None)
    vocab = vocabulary(words.sources, words.names | {"open_widget", "w_lib.get_handle"})
    padding = b"state = cluster_state(cluster)  # the cluster\n" * 3000
    assert len(padding) >= LARGE and not has_any(padding, vocab.needed)
    assert not mentions(padding, vocab)
    forms = [form for source in words.sources
             for form in (source, source.upper(), source.capitalize())]
    for word in [*forms, *words.names, "open_widget", "w_lib.get_handle"]:
        assert set(word.encode()) & set(vocab.needed), word
        assert mentions(word.encode(), vocab), word
        assert mentions(padding + word.encode() + b"\n", vocab), word


def test_present_bytes_searches_every_chunk() -> None:
    """The single-byte search goes a chunk at a time: a byte is found in any chunk, at
    its edges, and only bytes that occur are reported."""
    size = 5 * (1 << 17) + 11
    for where in (0, (1 << 17) - 1, 1 << 17, 3 * (1 << 17) + 5, size - 1):
        data = bytearray(b"a" * size)
        data[where] = ord("Q")
        assert present_bytes(bytes(data), b"zQy") == b"Q", where
        assert has_any(bytes(data), b"Qz") and not has_any(bytes(data), b"zy")
    assert present_bytes(b"", b"ab") == b"" and not has_any(b"abc", b"")
    assert sorted(present_bytes(b"xyz" * 100_000, b"zwx")) == sorted(b"zx")


@pytest.mark.parametrize("tail", [
    b"import win32file\n", b"import ctypes\nk = ctypes.WinDLL('kernel32')\n",
    b"h = OpenCluster(None)\n", b"from winlib import CreateFileW\n"])
def test_a_large_text_passes_by_its_last_line(tail: bytes) -> None:
    padding = b"state = cluster_state(cluster)  # the cluster\n" * 3000
    assert not passes_prefilter(padding, Config())
    assert passes_prefilter(padding + tail, Config())


if __name__ == "__main__":
    VOCABULARY_PATH.write_text(render_vocabulary(), encoding="utf-8")


def test_the_prefilter_imports_no_parser() -> None:
    """Checking a file that mentions nothing must not import libcst (about 0.6 s)."""
    code = ("import sys\nimport handlelint.flake8_plugin, handlelint.cli\n"
            "from handlelint.engine import check_source\n"
            "assert check_source('import os\\n', 'm.py') == []\n"
            "print('libcst' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
