"""A node looks its peers up in the network folder: a country without a node is not read
again and again (an outbox item for it asks on every retry), but a node that joins later
is found at the next lookup (two, then three country homes of one folder, in process)."""

from __future__ import annotations

import datetime

import pytest

from network.home import Home, init_country
from network.network_folder import NetworkFolder
from network.node import Node


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@pytest.fixture
def ru_node(tmp_path):
    net = tmp_path / "net"
    init_country(tmp_path / "CN", "CN", net, "http://127.0.0.1:9", _now())
    ru = init_country(tmp_path / "RU", "RU", net, "http://127.0.0.1:10", _now())
    with Node(Home(ru.path)) as node:
        yield node, tmp_path, net


def test_a_country_without_a_node_does_not_read_the_folder_each_time(ru_node, monkeypatch):
    node, _, _ = ru_node
    assert node.peers is not None
    reads = []
    real = NetworkFolder.descriptors

    def counted(self):
        reads.append(1)
        return real(self)

    monkeypatch.setattr(NetworkFolder, "descriptors", counted)
    for _ in range(5):
        assert node.peers.descriptor("SG") is None
    assert node.peers.descriptor("CN") is not None
    assert reads == []


def test_a_node_that_joins_later_is_found_at_the_next_lookup(ru_node):
    node, tmp_path, net = ru_node
    assert node.peers is not None
    assert node.peers.descriptor("SG") is None
    init_country(tmp_path / "SG", "SG", net, "http://127.0.0.1:11", _now())
    found = node.peers.descriptor("SG")
    assert found is not None
    assert found.base_url == "http://127.0.0.1:11"
