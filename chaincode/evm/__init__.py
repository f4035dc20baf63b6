"""The chaincode rules as a Solidity contract, for the EVM ledger engine.

``TradeLedger.sol`` mirrors ``chaincode.lifecycle`` and ``chaincode.authority`` on a
permissioned EVM chain (Hyperledger Besu QBFT in production, anvil in tests): the country
registry and its 2/3 admission vote, organisations registered by their own country with
roles and a certificate digest, document issue / amend / replace / revoke, RFC 9162 batch
anchoring, eBL control and pickup rights. ``artifacts/TradeLedger.json`` is its committed
ABI and bytecode; ``chaincode.evm.build`` recompiles it with the pinned ``solc`` from npm
and gives the same bytes. Reading the artifact needs no node tools.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ARTIFACT = Path(__file__).with_name("artifacts") / "TradeLedger.json"
SOURCE = Path(__file__).with_name("TradeLedger.sol")


def artifact() -> dict[str, Any]:
    """The committed build: ``abi``, ``bytecode``, ``deployedBytecode`` and how they were made."""
    data: dict[str, Any] = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    return data


__all__ = ["ARTIFACT", "SOURCE", "artifact"]
