import datetime
import shutil
from pathlib import Path

import pytest

from network.home import Home, init_demo
from tests.fabric.fixtures import fabric_chaincode, fabric_network  # noqa: F401 (one network per session)

EXAMPLES = Path(__file__).resolve().parent.parent / "network" / "examples"


@pytest.fixture(scope="session")
def _demo_home_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "home"
    init_demo(path, datetime.datetime.now(datetime.UTC))
    return path


@pytest.fixture
def demo_home(_demo_home_template, tmp_path) -> Home:
    """A private copy of one demo home per test: tests may revoke and change it."""
    path = tmp_path / "home"
    shutil.copytree(_demo_home_template, path)
    return Home(path)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One loud line when the pages' browser tests were skipped for want of Chromium (here,
    in the root conftest, so that pytest-xdist's controller prints it too)."""
    from tests.pages import chromium

    skipped = terminalreporter.stats.get("skipped", [])
    if any(chromium.ABSENT in str(getattr(r, "longrepr", "")) for r in skipped):
        terminalreporter.write_line(chromium.ABSENT, red=True, bold=True)
