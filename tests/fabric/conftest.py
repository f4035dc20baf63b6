"""The Fabric test session's network and per-test chaincode (see ``tests.fabric.fixtures``)."""

from pathlib import Path

import pytest

from tests.fabric.fixtures import fabric_chaincode, fabric_network  # noqa: F401

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One network per session: under xdist (--dist loadgroup), its tests share one worker.
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.xdist_group("fabric"))
