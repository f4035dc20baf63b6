"""A node's status as ``tdx network status`` and ``GET /v1/network/status`` show it: its
country, log origin and latest checkpoint size, outbox depth, inbox size, peers, and its
witnesses.

The witnesses come from the witness feature (C2SP tlog-witness, branch ``witness``): it
offers ``network.witness.witnesses(node) -> list[str]``, the countries whose nodes
co-signed this node's latest checkpoint. Until that module exists, the column says
``none yet``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from network.node import Node

NONE_YET = "none yet"


def _witness_function() -> Callable[[Node], list[str]] | None:
    try:
        module = importlib.import_module("network.witness")
    except ImportError:
        return None
    found = getattr(module, "witnesses", None)
    return found if callable(found) else None


def witnesses(node: Node) -> list[str] | str:
    """The countries whose nodes co-signed the latest checkpoint, or ``none yet``."""
    function = _witness_function()
    if function is None:
        return NONE_YET
    return list(function(node))


def node_status(node: Node) -> dict[str, Any]:
    size: int | None = None
    if node.provable is not None:
        size = int(node.provable.checkpoint().split("\n")[1])
    peers = node.peers
    return {
        "country": peers.country if peers is not None else None,
        "origin": node.home.setting("origin"),
        "engine": node.engine.value,
        "entries": node.ledger.size(),
        "checkpointSize": size,
        "outboxDepth": node.outbox.depth(),
        "inbox": len(peers.inbox.arrivals()) if peers is not None else 0,
        "peers": sorted(c for c in peers.descriptors() if c != peers.country) if peers else [],
        "witnesses": witnesses(node),
    }


__all__ = ["NONE_YET", "node_status", "witnesses"]
