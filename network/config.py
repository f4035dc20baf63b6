"""A node's configuration, as values passed in (never read from the environment here):
which home, which ledger engine and where, the audience its bearer tokens must name, and
whether it submits its checkpoints to its witnesses while it serves.
The command line builds it from its options; ``tdx serve`` hands it to each worker."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class LedgerEngine(enum.StrEnum):
    EMBEDDED = "embedded"
    EVM = "evm"
    FABRIC = "fabric"


@dataclass(frozen=True)
class LedgerConfig:
    engine: LedgerEngine = LedgerEngine.EMBEDDED
    # The EVM engine's JSON-RPC URL; None: the URL recorded by ``tdx evm deploy``. (The
    # fabric engine's network and chaincode are named in the home's ``fabric.json``.)
    rpc: str | None = None


@dataclass(frozen=True)
class NodeConfig:
    home: Path
    ledger: LedgerConfig = LedgerConfig()
    # The audience bearer tokens must name; None: the home's log origin.
    audience: str | None = None
    # Submit this node's checkpoints to its witnesses (and gossip) while it serves, when
    # the home has witness peers. Off for tests and tools that drive the rounds themselves.
    witnessing: bool = True


__all__ = ["LedgerConfig", "LedgerEngine", "NodeConfig"]
