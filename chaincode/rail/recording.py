"""Which border events may be recorded, by whom, and when.

``check_event`` is the rule the ledger runs for a rail event: a pure function of the
consignment, the events already recorded for it (in ledger order), the new event and the
acting organisation. It returns the event as recorded, or raises ``EventRefusal`` naming the
broken rule. Every rule has a name, so a refusal reads ``station_on_route: ...``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chaincode.rail.custody import custody
from chaincode.rail.events import BorderEvent, EventType, Outcome, RecordedEvent, SealResult
from chaincode.rail.release import assess_release
from chaincode.rail.route import Consignment, crossing_at, route_stations
from chaincode.records import Actor
from chaincode.state import Refusal, RefusalKind
from identity.roles import Role

# Rail operators and customs record what happens to the train; only customs decides release.
RECORDER_ROLES: Mapping[EventType, frozenset[Role]] = {
    EventType.ARRIVAL: frozenset({Role.RAIL, Role.CUSTOMS}),
    EventType.SEAL_CHECK: frozenset({Role.RAIL, Role.CUSTOMS}),
    EventType.TRANSSHIPMENT: frozenset({Role.RAIL, Role.CUSTOMS}),
    EventType.DEPARTURE: frozenset({Role.RAIL, Role.CUSTOMS}),
    EventType.RELEASE_DECISION: frozenset({Role.CUSTOMS}),
}
# Seal checks, transshipments and release decisions happen at a border crossing.
_AT_BORDER = frozenset({EventType.SEAL_CHECK, EventType.TRANSSHIPMENT, EventType.RELEASE_DECISION})


class EventRefusal(Refusal):
    """A refused rail event; ``name`` is the rule, ``message`` says what broke it."""

    def __init__(self, kind: RefusalKind, name: str, message: str) -> None:
        super().__init__(kind, f"{name}: {message}")
        self.name = name
        self.message = message


def _refuse(kind: RefusalKind, name: str, message: str) -> EventRefusal:
    return EventRefusal(kind, name, message)


def check_event(
    consignment: Consignment,
    history: Sequence[RecordedEvent],
    event: BorderEvent,
    actor: Actor,
) -> RecordedEvent:
    """The event as recorded by ``actor``, or EventRefusal."""
    event_type = EventType(event.type)
    station = route_stations(consignment).get(event.station)
    if station is None:
        raise _refuse(
            RefusalKind.INVALID,
            "station_on_route",
            f"station {event.station} is not on the route of consignment note "
            f"{consignment.noteNumber}",
        )
    crossing = crossing_at(consignment, event.station)
    if event_type in _AT_BORDER and crossing is None:
        raise _refuse(
            RefusalKind.INVALID,
            "at_border_crossing",
            f"a {event_type.value} happens at a border crossing, not at {station.name}",
        )
    allowed = RECORDER_ROLES[event_type]
    if not actor.roles & allowed:
        needed = " or ".join(sorted(r.value for r in allowed))
        raise _refuse(
            RefusalKind.FORBIDDEN,
            "recorder_role",
            f"role {needed} required to record a {event_type.value}",
        )
    if actor.country != station.country:
        raise _refuse(
            RefusalKind.FORBIDDEN,
            "recorder_country",
            f"an event at {station.name} is recorded by an organisation of {station.country}, "
            f"not {actor.country}",
        )
    if history and event.time < history[-1].event.time:
        raise _refuse(
            RefusalKind.INVALID,
            "events_in_time_order",
            f"the event's time {event.time.isoformat()} is before the last recorded event's "
            f"{history[-1].event.time.isoformat()}",
        )
    if crossing is not None:
        _crossing_rules(consignment, history, event_type, crossing)
    if event_type == EventType.SEAL_CHECK:
        _seal_rules(consignment, history, event, actor)
    if event_type == EventType.TRANSSHIPMENT:
        _move_rules(consignment, history, event)
    if event_type == EventType.RELEASE_DECISION and crossing is not None:
        assessment = assess_release(consignment, history, crossing)
        if event.decision == Outcome.DIRECT_RELEASE and assessment.outcome != event.decision:
            reasons = "; ".join(str(f) for f in assessment.findings)
            raise _refuse(
                RefusalKind.CONFLICT,
                "direct_release_needs_unchanged_seals",
                f"inspection required: {reasons}",
            )
    return RecordedEvent(event, actor.id)


def _crossing_rules(
    consignment: Consignment,
    history: Sequence[RecordedEvent],
    event_type: EventType,
    crossing: int,
) -> None:
    here = [r.event for r in history if crossing_at(consignment, r.event.station) == crossing]
    if event_type != EventType.ARRIVAL and not any(e.type == EventType.ARRIVAL for e in here):
        raise _refuse(
            RefusalKind.CONFLICT,
            "arrival_first",
            f"the train has not arrived at this crossing; a {event_type.value} comes after "
            f"the arrival",
        )
    decided = any(e.type == EventType.RELEASE_DECISION for e in here)
    if decided and event_type != EventType.DEPARTURE:
        raise _refuse(
            RefusalKind.CONFLICT,
            "decision_final",
            f"release was decided at this crossing; only the departure may follow, not a "
            f"{event_type.value}",
        )


def _seal_rules(
    consignment: Consignment,
    history: Sequence[RecordedEvent],
    event: BorderEvent,
    actor: Actor,
) -> None:
    state = custody(consignment, history)
    used = {number for chain in state.chains for number in chain.numbers}
    for seal in event.seals:
        if state.chain_index(seal.sealNumber) is None:
            replaced = next((c for c in state.chains if seal.sealNumber in c.numbers), None)
            hint = f" (it was replaced by {replaced.current})" if replaced else ""
            raise _refuse(
                RefusalKind.INVALID,
                "seal_known",
                f"seal {seal.sealNumber} is on none of the consignment's units now{hint}",
            )
        new = seal.newSeal
        if seal.result == SealResult.REPLACED and new is not None:
            if new.number in used:
                raise _refuse(
                    RefusalKind.INVALID,
                    "new_seal_number_unique",
                    f"seal number {new.number} is already in the consignment's custody chain",
                )
            used.add(new.number)
            if new.sealingParty == "CUSTOMS" and Role.CUSTOMS not in actor.roles:
                raise _refuse(
                    RefusalKind.FORBIDDEN,
                    "customs_seal_by_customs",
                    "only a customs organisation puts on a customs seal",
                )


def _move_rules(
    consignment: Consignment, history: Sequence[RecordedEvent], event: BorderEvent
) -> None:
    wagon_of = custody(consignment, history).wagon_of
    for move in event.moves:
        current = wagon_of.get(move.container)
        if current is None:
            raise _refuse(
                RefusalKind.INVALID,
                "container_in_consignment",
                f"container {move.container} is not in consignment note {consignment.noteNumber}",
            )
        if current != move.fromWagon:
            raise _refuse(
                RefusalKind.CONFLICT,
                "container_on_wagon",
                f"container {move.container} is on wagon {current}, not {move.fromWagon}",
            )
