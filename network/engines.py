"""Opening a home's ledger engine, in one place: the embedded Merkle log (which is also a
``ProvableLedger``), the EVM contract or the Fabric chaincode (plain ``Ledger``s). The node
holds the result typed by what the engine offers, so nothing above asks which engine class
it has."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from ledger.embedded import CheckpointSigner, EmbeddedLedger
from ledger.interface import Identities, Ledger, ProvableLedger
from ledger.tlog import checkpoint
from network.config import LedgerConfig, LedgerEngine
from network.home import Home


@dataclass(frozen=True)
class Engine:
    name: LedgerEngine
    ledger: Ledger
    # The same engine, if it proves its history with signed checkpoints; else None.
    provable: ProvableLedger | None
    # The key its checkpoints verify with, if it has checkpoints.
    checkpoint_key: str | None


def open_engine(
    home: Home,
    identities: Identities,
    config: LedgerConfig,
    clock: Callable[[], datetime.datetime],
) -> Engine:
    if config.engine is LedgerEngine.EVM:
        # Imported only on that engine: web3 and eth_account cost seconds of start-up.
        from network.evm import home as evm_home

        chain = evm_home.open_ledger(home, identities, config.rpc, clock)
        return Engine(config.engine, chain, None, None)
    if config.engine is LedgerEngine.FABRIC:
        # Imported only on that engine: grpc and the Fabric stubs are heavy.
        from network.fabric.engine import open_ledger as open_fabric_ledger

        return Engine(config.engine, open_fabric_ledger(home, identities, clock), None, None)
    origin = home.setting("origin")
    key = home.checkpoint_key()
    verifier_key = home.setting("checkpointKey")
    log = EmbeddedLedger(
        home.path / "ledger.db",
        identities,
        CheckpointSigner(origin, origin, lambda cp: checkpoint.sign(cp, origin, key), verifier_key),
        clock,
    )
    return Engine(config.engine, log, log, verifier_key)


__all__ = ["Engine", "open_engine"]
