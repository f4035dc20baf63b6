"""A node home on the Fabric engine: opening its ``FabricLedger``.

The home's ``fabric.json`` (``network.fabric.settings``) names the network folder and the
chaincode. The node's organisations sign Fabric proposals with their client identities
from the network's crypto folder (issued by their country roots, keys encrypted with the
home's passphrase).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

from ledger.fabric.engine import COMMIT_TIMEOUT, FabricLedger, config_from
from ledger.fabric.gateway import Signer
from ledger.interface import Identities
from network.fabric.layout import SPEC_FILE, Spec
from network.fabric.msp import msp_id
from network.fabric.settings import INDEX_FILE, fabric_settings
from network.home import Home, HomeError


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
            f"no Fabric network at {folder}: run tdx network fabric up --home {home.path} first"
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


__all__ = ["open_ledger"]
