import datetime
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.http.app import create_app
from api.http.serving import serving
from network.home import Home, init_demo
from network.node import Node
from network.witness import WitnessPeer, descriptor_fields, register_peers

NAMES = ("CN", "RU", "KZ")


@pytest.fixture(scope="session")
def _home_templates(tmp_path_factory) -> dict[str, Path]:
    """Three homes with their own log origins and keys (copies of one home would share them)."""
    base = tmp_path_factory.mktemp("witness-templates")
    now = datetime.datetime.now(datetime.UTC)
    paths = {}
    for name in NAMES:
        init_demo(base / name, now)
        paths[name] = base / name
    return paths


@pytest.fixture
def homes(_home_templates, tmp_path) -> dict[str, Home]:
    out = {}
    for name, template in _home_templates.items():
        shutil.copytree(template, tmp_path / name)
        out[name] = Home(tmp_path / name)
    return out


@dataclass
class RunningNode:
    name: str
    home: Home
    node: Node
    url: str

    def peer(self) -> WitnessPeer:
        return WitnessPeer.from_descriptor(
            {"name": self.name, "baseUrl": self.url, **descriptor_fields(self.home)}
        )


@contextmanager
def running(homes: dict[str, Home], names=NAMES) -> Iterator[dict[str, RunningNode]]:
    """The nodes served by uvicorn on loopback ports, each the peer of every other. The
    tests drive witnessing rounds themselves: the nodes start none in the background."""
    with ExitStack() as stack:
        nodes = {}
        for name in names:
            node = stack.enter_context(Node(homes[name], witnessing=False))
            url = stack.enter_context(serving(create_app(node, log_level="WARNING")))
            nodes[name] = RunningNode(name, homes[name], node, url)
        for name, me in nodes.items():
            register_peers(me.home, [n.peer() for n in nodes.values() if n.name != name])
        yield nodes
