"""A node's witnessing at a glance, for ``tdx network status`` and ``GET /v1/witness/status``:
who witnesses its log and how far, which peer logs it witnesses, and how much equivocation
evidence it holds. One function, so the status command needs nothing else of this package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from network.home import Home
from network.witness.peers import WitnessedLog, WitnessState, witnessed_logs, witnesses_of


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


__all__ = ["WitnessingStatus", "witnessing_status"]
