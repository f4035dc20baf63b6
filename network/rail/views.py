"""The JSON forms of a consignment's journey and of the release-time report, as
``tdx rail status --json`` prints them and ``/v1/rail/...`` answers them (one shape for
both)."""

from __future__ import annotations

from typing import Any

from chaincode.rail.custody import SealChain
from chaincode.rail.events import EventType, RecordedEvent
from chaincode.rail.release import ReleaseAssessment
from chaincode.rail.route import crossing_at, crossing_label
from network.rail.desk import RailStatus


def event_json(recorded: RecordedEvent) -> dict[str, Any]:
    return {"by": recorded.by, **recorded.event.model_dump(mode="json", exclude_defaults=True)}


def chain_json(chain: SealChain) -> dict[str, Any]:
    """A seal's chain of custody: the note's seal, and each replacement (who, where, when)."""
    return {
        "original": chain.original.number,
        "on": chain.unit,
        "current": chain.current,
        "replacements": [
            {
                "old": link.old,
                "new": link.new,
                "newType": link.new_type,
                "sealingParty": link.sealing_party,
                "by": link.by,
                "station": link.station,
                "time": link.time.isoformat(),
            }
            for link in chain.links
        ],
    }


def _crossing_json(status: RailStatus, assessment: ReleaseAssessment) -> dict[str, Any]:
    route = status.route.route
    crossing = route.borderCrossings[assessment.crossing]
    decisions = [
        event_json(r)
        for r in status.events
        if r.event.type == EventType.RELEASE_DECISION
        and crossing_at(route, r.event.station) == assessment.crossing
    ]
    return {
        "pair": crossing_label(crossing),
        "stations": [crossing.exitStation.code, crossing.entryStation.code],
        "assessment": assessment.outcome.value,
        "findings": [
            {"subject": f.subject, "reason": f.reason, "detail": f.detail}
            for f in assessment.findings
        ],
        "decisions": decisions,
    }


def rail_status_json(status: RailStatus) -> dict[str, Any]:
    """The route so far, wagons and containers, seal history, and release decisions."""
    record = status.status.record if status.status is not None else None
    route = status.route.route
    return {
        "id": status.route.doc,
        "noteNumber": route.noteNumber,
        "issuer": status.route.issuer,
        # HELD: registered on another country's ledger and held on this one (RAIL_IMPORT).
        "state": record.state.value if record is not None else "HELD",
        "registeredAt": status.route.registered_at.isoformat(),
        "from": route.departureStation.model_dump(mode="json", exclude_defaults=True),
        "to": route.destinationStation.model_dump(mode="json", exclude_defaults=True),
        "stationsSoFar": list(dict.fromkeys(r.event.station for r in status.events)),
        "events": [event_json(r) for r in status.events],
        "containers": dict(sorted(status.custody.wagon_of.items())),
        "seals": [chain_json(c) for c in status.custody.chains],
        "crossings": [_crossing_json(status, a) for a in status.assessments],
    }


__all__ = ["chain_json", "event_json", "rail_status_json"]
