"""The prefilter: what it lets through, and the property its fast path relies on."""

from __future__ import annotations

from handlelint.config import Config
from handlelint.engine import table_for
from handlelint.prefilter import mentions_clus, mentions_tracked_name
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
