"""One node per scenario, on each engine: ``embedded`` (SQLite) and ``evm`` (a real anvil)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from network.evm.home import deploy
from network.home import Home
from network.node import Node
from tests.evm.conftest import anvil  # noqa: F401 (the session's anvil node, reused)

ENGINES = ["embedded", "evm"]


@pytest.fixture(params=ENGINES)
def node(request: pytest.FixtureRequest, demo_home: Home) -> Iterator[Node]:
    if request.param == "evm":
        url = request.getfixturevalue("anvil")
        deploy(url, demo_home)  # a fresh contract per test: scenarios start from nothing
        built = Node(demo_home, engine="evm", rpc=url)
    else:
        built = Node(demo_home)
    with built:
        yield built


@pytest.fixture
def engine(node: Node) -> str:
    return "evm" if type(node.ledger).__name__ == "EvmLedger" else "embedded"
