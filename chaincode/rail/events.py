"""Border events of a rail consignment: arrival, seal check, transshipment, departure and
the customs release decision, as the ledger records them.

An event is validated like a document: every field error at once, with its path and rule.
Which fields an event needs depends on its type; a field that does not belong to the type is
refused too, so that nothing recorded is silently ignored.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field

from chaincode.documents.base import Part, RuleViolation, TradeDocument, list_entries
from chaincode.documents.codes import ContainerNumber, IsoDateTime, Text
from chaincode.documents.rail import SealingParty, SealType, StationCode, WagonNumber


class EventType(enum.StrEnum):
    ARRIVAL = "ARRIVAL"
    SEAL_CHECK = "SEAL_CHECK"
    TRANSSHIPMENT = "TRANSSHIPMENT"
    DEPARTURE = "DEPARTURE"
    RELEASE_DECISION = "RELEASE_DECISION"


class SealResult(enum.StrEnum):
    INTACT = "INTACT"
    BROKEN = "BROKEN"
    MISSING = "MISSING"  # the seal was not on the unit when checked
    REPLACED = "REPLACED"  # removed and a new seal put on; the new one is named


class Outcome(enum.StrEnum):
    DIRECT_RELEASE = "DIRECT_RELEASE"
    INSPECTION_REQUIRED = "INSPECTION_REQUIRED"


class NewSeal(Part):
    """The seal put on in place of a removed one."""

    number: Text
    type: SealType
    sealingParty: SealingParty  # noqa: N815


class SealObservation(Part):
    """One seal as found at a seal check."""

    sealNumber: Text  # noqa: N815
    result: Literal["INTACT", "BROKEN", "MISSING", "REPLACED"]
    newSeal: NewSeal | None = None  # noqa: N815


class ContainerMove(Part):
    """A container lifted from one wagon to another at a gauge change."""

    container: ContainerNumber
    fromWagon: WagonNumber  # noqa: N815
    toWagon: WagonNumber  # noqa: N815


# The fields each type carries besides type, station and time.
_TYPE_FIELDS: Mapping[EventType, str | None] = {
    EventType.ARRIVAL: None,
    EventType.DEPARTURE: None,
    EventType.SEAL_CHECK: "seals",
    EventType.TRANSSHIPMENT: "moves",
    EventType.RELEASE_DECISION: "decision",
}


class BorderEvent(TradeDocument):
    """One event at one station of the consignment's route, at one time."""

    kind: ClassVar[str] = "rail-event"

    type: Literal["ARRIVAL", "SEAL_CHECK", "TRANSSHIPMENT", "DEPARTURE", "RELEASE_DECISION"]
    station: StationCode
    time: IsoDateTime
    seals: list[SealObservation] = Field(default_factory=list, max_length=1000)
    moves: list[ContainerMove] = Field(default_factory=list, max_length=1000)
    # The outcome customs decides; the release rule may forbid a direct release.
    decision: Literal["DIRECT_RELEASE", "INSPECTION_REQUIRED"] | None = None

    @classmethod
    def document_rules(cls, raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
        value = raw.get("type")
        if not isinstance(value, str) or value not in EventType.__members__:
            return
        event_type = EventType(value)
        wanted = _TYPE_FIELDS[event_type]
        for name in ("seals", "moves", "decision"):
            present = raw.get(name) not in (None, [])
            if name == wanted and not present:
                yield RuleViolation(
                    (name,), "event_fields", f"a {event_type.value} event needs {name}"
                )
            elif name != wanted and present:
                yield RuleViolation(
                    (name,), "event_fields", f"a {event_type.value} event carries no {name}"
                )
        for i, seal in list_entries(raw, "seals"):
            replaced = seal.get("result") == SealResult.REPLACED.value
            if replaced and seal.get("newSeal") is None:
                yield RuleViolation(
                    ("seals", i, "newSeal"),
                    "replacement_names_new_seal",
                    "a replaced seal names the new seal (number, type, sealing party)",
                )
            if not replaced and seal.get("newSeal") is not None:
                yield RuleViolation(
                    ("seals", i, "newSeal"),
                    "replacement_names_new_seal",
                    "only a replaced seal names a new seal",
                )
        numbers = [s.get("sealNumber") for _, s in list_entries(raw, "seals")]
        for i, number in enumerate(numbers):
            if isinstance(number, str) and number in numbers[:i]:
                yield RuleViolation(
                    ("seals", i, "sealNumber"),
                    "one_observation_per_seal",
                    f"seal {number} is reported twice in one check",
                )
        moved = [m.get("container") for _, m in list_entries(raw, "moves")]
        for i, move in list_entries(raw, "moves"):
            container = move.get("container")
            if isinstance(container, str) and container in moved[:i]:
                yield RuleViolation(
                    ("moves", i, "container"),
                    "one_move_per_container",
                    f"container {container} is moved twice in one transshipment",
                )
            if move.get("fromWagon") is not None and move.get("fromWagon") == move.get("toWagon"):
                yield RuleViolation(
                    ("moves", i, "toWagon"),
                    "move_changes_wagon",
                    "a transshipment moves the container to another wagon",
                )


@dataclass(frozen=True)
class RecordedEvent:
    """An event as the ledger holds it: what happened, and which organisation said so."""

    event: BorderEvent
    by: str  # the recording organisation's id
