"""A node's witnessing at a glance, for ``tdx network status`` and ``GET /v1/witness/status``:
who witnesses its log and how far, which peer logs it witnesses, and how much equivocation
evidence it holds. ``witnesses(node)`` is the one name ``tdx network status`` (branch nodes,
``network.peers.status``) looks up: the peers that cosigned this node's log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from network.home import Home
from network.witness.peers import WitnessedLog, WitnessState, witnessed_logs, witnesses_of
from network.witness.store import WitnessStore
from network.witness.view import latest_witnessed

if TYPE_CHECKING:
    from network.node import Node


@dataclass(frozen=True)
class WitnessingStatus:
    witnesses: tuple[WitnessState, ...]
    witnessed: tuple[WitnessedLog, ...]

    @property
    def evidence(self) -> int:
        """Pieces of equivocation evidence held against peer logs."""
        return sum(log.evidence for log in self.witnessed)

    @property
    def cosigned_size(self) -> int | None:
        """The largest size of this log that at least one witness cosigned."""
        sizes = [w.cosigned_size for w in self.witnesses if w.cosigned_size is not None]
        return max(sizes) if sizes else None

    def to_json(self) -> dict[str, Any]:
        return {
            "witnesses": [w.to_json() for w in self.witnesses],
            "witnessed": [log.to_json() for log in self.witnessed],
            "cosignedSize": self.cosigned_size,
            "evidence": self.evidence,
        }


def witnessing_status(home: Home) -> WitnessingStatus:
    """The witnessing status of the node in ``home`` (read from its witness.db; a home with
    no peers has empty lists)."""
    return WitnessingStatus(tuple(witnesses_of(home)), tuple(witnessed_logs(home)))


def witnesses(node: Node) -> list[str]:
    """The names (countries, as the peers were registered) of the witnesses whose
    cosignatures are on this node's latest cosigned checkpoint; empty if none yet. Right
    after a commit the very latest checkpoint may still wait for them: this is the latest
    one they cosigned."""
    store = WitnessStore.of_home(node.home.path)
    try:
        found = latest_witnessed(store)
    finally:
        store.close()
    return sorted(w.name for w in found.witnesses) if found is not None else []


__all__ = ["WitnessingStatus", "witnesses", "witnessing_status"]
