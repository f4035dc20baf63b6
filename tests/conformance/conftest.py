"""One node per scenario, on each engine: ``embedded`` (SQLite), ``evm`` (a real anvil) and
``fabric`` (a real Fabric network of native processes, one per session, with a fresh
chaincode per test).

The home is the demo network plus the organisations the audit's attacks need
(``tests.conformance.attackers``): ``demo_home`` here is that home.
"""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from network.evm.home import deploy
from network.home import Home
from network.node import Node
from tests.conformance.attackers import add_attackers
from tests.evm.conftest import anvil  # noqa: F401 (the session's anvil node, reused)

ENGINES = ["embedded", "evm", "fabric"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The fabric engine's cases are marked ``fabric`` (see tests/fabric/conftest.py).
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("engine") == "fabric":
            item.add_marker(pytest.mark.fabric)


@pytest.fixture(scope="session")
def _attack_home_template(_demo_home_template: Path, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("attack-template") / "home"
    shutil.copytree(_demo_home_template, path)
    add_attackers(Home(path), datetime.datetime.now(datetime.UTC))
    return path


@pytest.fixture
def demo_home(_attack_home_template: Path, tmp_path: Path) -> Home:
    """A private copy per test of the demo home with the attackers' organisations."""
    path = tmp_path / "home"
    shutil.copytree(_attack_home_template, path)
    return Home(path)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def node(engine: str, request: pytest.FixtureRequest, demo_home: Home) -> Iterator[Node]:
    if engine == "evm":
        url = request.getfixturevalue("anvil")
        deploy(url, demo_home)  # a fresh contract per test: scenarios start from nothing
        built = Node(demo_home, engine="evm", rpc=url)
    elif engine == "fabric":
        request.getfixturevalue("fabric_chaincode")  # the network, and a fresh chaincode
        built = Node(demo_home, engine="fabric")
    else:
        built = Node(demo_home)
    with built:
        yield built
