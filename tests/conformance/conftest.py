"""One node per scenario, on each engine: ``embedded`` (SQLite), ``evm`` (a real anvil) and
``fabric`` (a real Fabric network of native processes, one per session, with a fresh
chaincode per test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from network.evm.home import deploy
from network.home import Home
from network.node import Node
from tests.evm.conftest import anvil  # noqa: F401 (the session's anvil node, reused)

ENGINES = ["embedded", "evm", "fabric"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The fabric engine's cases are marked ``fabric`` (see tests/fabric/conftest.py).
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("node") == "fabric":
            item.add_marker(pytest.mark.fabric)


@pytest.fixture(params=ENGINES)
def node(request: pytest.FixtureRequest, demo_home: Home) -> Iterator[Node]:
    if request.param == "evm":
        url = request.getfixturevalue("anvil")
        deploy(url, demo_home)  # a fresh contract per test: scenarios start from nothing
        built = Node(demo_home, engine="evm", rpc=url)
    elif request.param == "fabric":
        request.getfixturevalue("fabric_chaincode")  # the network, and a fresh chaincode
        built = Node(demo_home, engine="fabric")
    else:
        built = Node(demo_home)
    with built:
        yield built


@pytest.fixture
def engine(node: Node) -> str:
    names = {"EvmLedger": "evm", "FabricLedger": "fabric"}
    return names.get(type(node.ledger).__name__, "embedded")
