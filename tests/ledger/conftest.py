import pytest

from network.node import Node


@pytest.fixture
def node(demo_home):
    with Node(demo_home) as n:
        yield n
