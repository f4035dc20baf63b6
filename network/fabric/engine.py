"""A node home on the Fabric engine: opening its ``FabricLedger``.

``<home>/fabric.json`` names the network folder and the chaincode (written by ``up``; by
default the network is ``<home>/fabric`` and the chaincode ``tdx``). The node's
organisations sign Fabric proposals with their client identities from the network's
crypto folder (issued by their country roots, keys encrypted with the home's passphrase).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

from ledger.fabric.engine import COMMIT_TIMEOUT, FabricLedger, config_from
from ledger.fabric.gateway import Signer
from ledger.interface import Identities
from network.fabric.layout import CHAINCODE_NAME, SPEC_FILE, Spec
from network.fabric.msp import msp_id
from network.home import Home, HomeError

FABRIC_FILE = "fabric.json"
INDEX_FILE = "fabric-index.db"


def record(home: Home, network: Path, chaincode: str = CHAINCODE_NAME) -> None:
    """Point the home at a network and chaincode; a new chaincode starts a new index."""
    previous = fabric_settings(home)
    (home.path / FABRIC_FILE).write_text(
        json.dumps({"network": str(network), "chaincode": chaincode}, indent=2) + "\n"
    )
    if previous != (network, chaincode):
        for suffix in ("", "-wal", "-shm"):
            (home.path / (INDEX_FILE + suffix)).unlink(missing_ok=True)


def fabric_settings(home: Home) -> tuple[Path, str]:
    try:
        data = json.loads((home.path / FABRIC_FILE).read_text())
    except FileNotFoundError:
        return home.path / "fabric", CHAINCODE_NAME
    return Path(data["network"]), str(data["chaincode"])


def open_ledger(
    home: Home,
    identities: Identities,
    clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    network: Path | None = None,
    chaincode: str | None = None,
    commit_timeout: float = COMMIT_TIMEOUT,
) -> FabricLedger:
    """The home's Fabric ledger: its index in the home, its organisations' Fabric keys."""
    folder, name = fabric_settings(home)
    folder = network or folder
    if not (folder / SPEC_FILE).is_file():
        raise HomeError(
            f"no Fabric network at {folder}: run `python -m network.fabric up --home {home.path}`"
        )
    spec = Spec.load(folder)
    roots = b"".join(spec.crypto(c).ca.read_bytes() for c in spec.countries)
    orgs = home.org_ids()
    passphrase = home.passphrase()

    def signer(org_id: str) -> Signer | None:
        if org_id not in orgs:
            return None
        country = home.credentials(org_id).organisation.country
        client = spec.crypto(country).client(org_id)
        if not client.cert.is_file():
            return None
        return Signer.load(
            msp_id(country), client.cert.read_bytes(), client.key.read_bytes(), passphrase
        )

    return FabricLedger(
        config_from(spec.to_json(), roots, chaincode or name),
        home.path / INDEX_FILE,
        identities,
        orgs,
        signer,
        clock,
        commit_timeout=commit_timeout,
    )


__all__ = ["FABRIC_FILE", "INDEX_FILE", "fabric_settings", "open_ledger", "record"]
