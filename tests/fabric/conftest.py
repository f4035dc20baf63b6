"""The Fabric tests share one network per session (``tests.fabric.fixtures``, through the
root conftest, so that the conformance suite uses the same one)."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Marked ``fabric``: `make test` runs them in a pytest of their own, without xdist, so
    # that one network serves them all (each xdist worker would start its own).
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.fabric)
