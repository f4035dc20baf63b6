"""One Fabric network per test session, and a fresh chaincode per test.

The network (4 peers, 4 BFT orderers, 4 chaincode servers) is started once from the
session's demo home template, in a folder of its own, and stopped by PID at the end; its
start-up time is printed. Each test that needs a clean ledger gets its own chaincode name
on both channels (approved and committed by every member, its organisations registered),
served by the same chaincode servers: a new namespace of the world state, so scenarios
start from nothing as they do on a fresh contract. An organisation of the test's home that
the network's crypto does not know yet (the conformance suite's attackers) gets its Fabric
client identity from its country root first, as ``msp.generate`` would have issued it.
Without Go, or when Fabric cannot be
built here, every Fabric test is skipped with one loud line saying why.
"""

from __future__ import annotations

import datetime
import itertools
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from network.fabric import binaries, deploy, msp
from network.fabric.engine import record
from network.fabric.layout import Spec
from network.fabric.network import down, up
from network.home import Home

_names = itertools.count(1)
_skip_reason: list[str] = []


@dataclass(frozen=True)
class FabricNet:
    folder: Path
    home: Home  # the template home the network's MSPs were issued from
    startup_seconds: float

    @property
    def spec(self) -> Spec:
        return Spec.load(self.folder)


def _loud(config: pytest.Config, line: str) -> None:
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\n{line}", file=sys.stderr, flush=True)
    else:
        print(f"\n{line}", file=sys.stderr, flush=True)


def fabric_unavailable() -> str | None:
    """Why the Fabric tests cannot run here, or None."""
    if binaries.present():
        return None
    if binaries.go_available() is None:
        return "Go is not installed, so Fabric's peer and orderer cannot be built"
    try:
        binaries.build()
    except binaries.BuildError as exc:
        return f"Fabric could not be built: {exc}"
    return None


@pytest.fixture(scope="session")
def fabric_network(
    request: pytest.FixtureRequest,
    _demo_home_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FabricNet]:
    if _skip_reason:
        pytest.skip(_skip_reason[0])
    reason = fabric_unavailable()
    if reason is not None:
        _skip_reason.append(f"FABRIC TESTS SKIPPED: {reason}")
        _loud(request.config, _skip_reason[0])
        pytest.skip(_skip_reason[0])
    folder = tmp_path_factory.mktemp("fabric") / "network"
    home = Home(_demo_home_template)
    started = time.monotonic()
    try:
        report = up(home, folder)
        seconds = time.monotonic() - started
        _loud(
            request.config,
            f"Fabric network started in {seconds:.1f} s (4 peers, 4 BFT orderers, "
            f"2 channels, chaincode deployed): "
            + ", ".join(f"{name} at {at:.1f} s" for name, at in report.steps),
        )
        yield FabricNet(folder, home, seconds)
    finally:
        down(folder)


@pytest.fixture
def fabric_chaincode(fabric_network: FabricNet, demo_home: Home) -> str:
    """A fresh chaincode name for this test, recorded in the test's home."""
    name = f"tdx-t{next(_names)}"
    spec = fabric_network.spec
    now = datetime.datetime.now(datetime.UTC)
    for org in demo_home.organisations():
        client = spec.crypto(org.country).client(org.id)
        if not client.cert.is_file():
            msp.issue_client(demo_home, org, client.folder, now)
    deploy.define(spec, name)
    deploy.register(demo_home, spec, name)
    record(demo_home, fabric_network.folder, name)
    return name


__all__ = ["FabricNet", "fabric_chaincode", "fabric_network", "fabric_unavailable"]
