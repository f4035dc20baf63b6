"""The equivocation evidence a node holds, as the re-checkable documents it stores
(``tdx-equivocation/1``), each with the verdict of re-checking it against the peer's key as
this node knows it, and the disputes still waiting for a log's answer."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from ledger.tlog.equivocation import EvidenceReport, recheck
from network.home import Home
from network.witness.store import DisputeRow, WitnessStore


@dataclass(frozen=True)
class HeldEvidence:
    id: int
    origin: str
    peer: str | None
    kind: str
    detected_at: datetime.datetime
    document: dict[str, Any]
    report: EvidenceReport

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "peer": self.peer,
            "origin": self.origin,
            "kind": self.kind,
            "detectedAt": self.detected_at.isoformat(),
            "holds": self.report.valid,
            "evidence": self.document,
        }


@dataclass(frozen=True)
class EvidenceList:
    evidence: tuple[HeldEvidence, ...]
    disputes: tuple[DisputeRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "evidence": [e.to_json() for e in self.evidence],
            "openDisputes": [
                {
                    "id": d.id,
                    "origin": d.origin,
                    "since": datetime.datetime.fromtimestamp(
                        d.created_at, datetime.UTC
                    ).isoformat(),
                    "attempts": d.attempts,
                    "lastError": d.last_error,
                }
                for d in self.disputes
            ],
        }


def evidence_of(home: Home) -> EvidenceList:
    """Every piece of evidence this node holds, re-checked with its peers' keys."""
    store = WitnessStore.of_home(home.path)
    try:
        peers = {p.origin: p for p in store.peers()}
        rows, disputes = store.evidence(), store.disputes()
    finally:
        store.close()
    held = []
    for row in rows:
        document = json.loads(row.document)
        peer = peers.get(row.origin)
        report = recheck(document, peer.log_key if peer else None)
        held.append(
            HeldEvidence(
                row.id,
                row.origin,
                peer.name if peer else None,
                row.kind,
                datetime.datetime.fromtimestamp(row.detected_at, datetime.UTC),
                document,
                report,
            )
        )
    return EvidenceList(tuple(held), tuple(disputes))


__all__ = ["EvidenceList", "HeldEvidence", "evidence_of"]
