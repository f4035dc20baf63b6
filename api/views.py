"""The JSON both faces (the command line and the HTTP API) show for the node's results, in
one place so that they cannot drift."""

from __future__ import annotations

from typing import Any

from ledger.interface import LogCheck
from network.node import DocumentStatus


def status_json(status: DocumentStatus) -> dict[str, Any]:
    doc = status.record
    out: dict[str, Any] = {
        "id": doc.id,
        "kind": doc.kind.value,
        "state": doc.state.value,
        "issuer": doc.issuer,
        "issuedAt": doc.issued_at.isoformat(),
        "historyLength": status.history_length,
    }
    for key, value in (
        ("holder", doc.holder),
        ("endorsee", doc.endorsee),
        ("supersededBy", doc.superseded_by),
        ("supersedes", doc.supersedes),
        ("batch", doc.batch),
        # Control on another platform (chaincode.external_control).
        ("away", doc.away.value if doc.away else None),
        ("awayAt", doc.away_at),
        ("carrierPlatform", doc.carrier_platform),
        ("surrenderedFrom", doc.surrendered_from),
    ):
        if value:
            out[key] = value
    if doc.containers:
        out["containers"] = list(doc.containers)
    if status.links:
        out["links"] = list(status.links)
    return out


def log_check_json(result: LogCheck) -> dict[str, Any]:
    return {
        "ok": result.valid,
        **result.facts.to_json(),
        "problems": [c.reason for c in result.failures()],
        "checks": [c.to_json() for c in result.checks],
    }


__all__ = ["log_check_json", "status_json"]
