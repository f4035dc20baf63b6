"""The rail operations of a node: what ``tdx rail ...`` and ``/v1/rail/...`` call.

Every write is one signed ledger transaction that the chaincode decides
(``chaincode.rail.operations``); every read goes through the node's read policy first (the
consignment's status); the release-time report is computed from the ledger's entries alone
(the registered routes and recorded events). Registering a consignment, and a departure from
a border station, push advance information to the next country's node (``Outbox``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from chaincode.documents.base import field_errors
from chaincode.documents.rail import RailConsignment
from chaincode.documents.registry import DocumentKind, validate_document
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.rail.consignment import RailRoute, RouteRecord
from chaincode.rail.custody import CustodyState, custody
from chaincode.rail.events import BorderEvent, EventType, RecordedEvent
from chaincode.rail.release import ReleaseAssessment, assess_release
from chaincode.rail.report import ReleaseTimeReport, release_time_report
from chaincode.rail.route import crossing_at, next_country, route_stations
from chaincode.read_policy import (
    Audience,
    Reader,
    ReadRefusal,
    ReadScope,
    may_read_document,
    require,
)
from chaincode.records import Actor
from chaincode.transactions import Op
from identity.roles import Role
from ledger.interface import RailRecords, Receipt
from network.node import DocumentStatus, Node, NotOffered
from network.rail.advance import (
    ADVANCE_INFORMATION,
    LocalOutbox,
    Outbox,
    Push,
    Reason,
    advance_information,
    encode,
)


class RailNotKept(NotOffered):
    """This node's ledger engine keeps no rail records."""

    def __init__(self, engine: str) -> None:
        super().__init__("rail records", engine)
        self.args = (
            f"rail records (routes and border events) are not kept by this node's {engine} ledger",
        )


@dataclass(frozen=True)
class SealReport:
    """One seal as a seal check found it: ``result`` is intact, broken, missing or replaced;
    a replaced seal names the new one (its type and sealing party default to the old seal's
    type and to customs when the recording organisation is customs, else the carrier)."""

    number: str
    result: str
    new_number: str | None = None
    new_type: str | None = None
    sealing_party: str | None = None


@dataclass(frozen=True)
class Registered:
    doc_id: str
    note_number: str
    issued: Receipt | None  # None when the consignment was on the ledger already
    registered: Receipt
    pushed: Push | None


@dataclass(frozen=True)
class Recorded:
    event: BorderEvent
    receipt: Receipt
    pushed: Push | None


@dataclass(frozen=True)
class Decided:
    assessment: ReleaseAssessment
    event: BorderEvent
    receipt: Receipt

    def as_recorded(self) -> Recorded:
        return Recorded(self.event, self.receipt, None)


@dataclass(frozen=True)
class RailStatus:
    """A consignment's journey as the ledger holds it: its record (None for a consignment
    held from another country's ledger, ``RAIL_IMPORT``, which has none here), route, events
    (the route so far), where its containers are and each seal's chain of custody, and per
    border crossing the release assessment as it stands and the decision taken, if any."""

    status: DocumentStatus | None
    route: RouteRecord
    events: tuple[RecordedEvent, ...]
    custody: CustodyState
    assessments: tuple[ReleaseAssessment, ...]


def _event(raw: Mapping[str, Any]) -> BorderEvent:
    """A border event from its JSON form; the first error names its field and rule."""
    try:
        return BorderEvent.model_validate(raw)
    except ValidationError as exc:
        first = field_errors(exc)[0]
        text = f"event{first.path[1:]}: {first.rule}: {first.message}"
        raise Refusal(RefusalKind.INVALID, text) from None


class RailDesk:
    def __init__(self, node: Node, outbox: Outbox | None = None) -> None:
        """``outbox`` by default is the node's own (``node.outbox``, the country nodes'
        durable outbox) when it has one, else a ``LocalOutbox``."""
        self.node = node
        if outbox is None:
            outbox = getattr(node, "outbox", None) or LocalOutbox()
        self.outbox: Outbox = outbox
        # The advance information other nodes push here is taken in by the node itself from
        # start-up (``network.rail.holding``), not only once a rail command has run.

    @property
    def delivers(self) -> bool:
        """Whether pushes leave this home (False for a ``LocalOutbox``)."""
        return not isinstance(self.outbox, LocalOutbox)

    # --- the ledger's rail records ------------------------------------------------------

    def _records(self) -> RailRecords:
        ledger = self.node.ledger
        if not isinstance(ledger, RailRecords):
            raise RailNotKept(self.node.engine.value)
        return ledger

    def _route(self, doc_id: str) -> RouteRecord:
        route = self._records().rail_route(doc_id)
        if route is not None:
            return route
        record = self.node.require(doc_id)
        if record.kind is not DocumentKind.RAIL:
            raise Refusal(RefusalKind.INVALID, f"{doc_id} is a {record.kind.value}, not a rail "
                          "consignment")  # fmt: skip
        raise Refusal(
            RefusalKind.CONFLICT,
            f"consignment {doc_id} has no registered route yet (tdx rail register)",
        )

    # --- writes -------------------------------------------------------------------------

    def register(self, data: bytes | Mapping[str, Any], org_id: str) -> Registered:
        """Issue the consignment note (unless ``org_id`` issued it already) and register its
        route, wagons and seals; then push it to the first country ahead."""
        self._records()  # before anything is issued: an engine without rail records writes nothing
        doc = validate_document(DocumentKind.RAIL, data)
        assert isinstance(doc.model, RailConsignment)
        route = RailRoute.of(doc.model)
        existing = self.node.ledger.document(doc.digest)
        issued = None
        if existing is None or existing.issuer != org_id:
            issued = self.node.issue(DocumentKind.RAIL, data, org_id).receipt
        receipt = self.node.submit(org_id, Op.RAIL_REGISTER, doc=doc.digest, route=route)
        pushed = self._push(doc.digest, "registered", route.departureStation.code)
        return Registered(doc.digest, route.noteNumber, issued, receipt, pushed)

    def record(
        self,
        doc_id: str,
        org_id: str,
        event_type: EventType,
        station: str,
        seals: Sequence[SealReport] = (),
        moves: Sequence[tuple[str, str, str]] = (),
        at: datetime.datetime | None = None,
    ) -> Recorded:
        """Record a border event (not a release decision: ``release`` takes it). ``moves``
        are (container, from wagon, to wagon)."""
        if event_type is EventType.RELEASE_DECISION:
            raise Refusal(RefusalKind.INVALID, "a release decision is taken with tdx rail release")
        route = self._route(doc_id)
        actor = self._actor(org_id)
        raw: dict[str, Any] = {
            "type": event_type.value,
            "station": station,
            "time": (at or self.node.clock()).isoformat(),
        }
        if seals:
            raw["seals"] = [self._observation(s, route, actor) for s in seals]
        if moves:
            raw["moves"] = [{"container": c, "fromWagon": f, "toWagon": t} for c, f, t in moves]
        event = _event(raw)
        receipt = self.node.submit(org_id, Op.RAIL_EVENT, doc=doc_id, event=event)
        pushed = None
        if event_type is EventType.DEPARTURE and crossing_at(route.route, station) is not None:
            pushed = self._push(doc_id, "departed", station)
        return Recorded(event, receipt, pushed)

    def record_event(self, doc_id: str, org_id: str, raw: Mapping[str, Any]) -> Recorded:
        """Record an event given in its JSON form (``chaincode.rail.events.BorderEvent``)."""
        event = _event(raw)
        if event.type == EventType.RELEASE_DECISION:
            return self._decide(doc_id, org_id, event.station, event.time).as_recorded()
        seals = [
            SealReport(
                s.sealNumber,
                s.result,
                s.newSeal.number if s.newSeal else None,
                s.newSeal.type if s.newSeal else None,
                s.newSeal.sealingParty if s.newSeal else None,
            )
            for s in event.seals
        ]
        moves = [(m.container, m.fromWagon, m.toWagon) for m in event.moves]
        return self.record(
            doc_id, org_id, EventType(event.type), event.station, seals, moves, event.time
        )

    def release(
        self, doc_id: str, station: str, org_id: str, at: datetime.datetime | None = None
    ) -> Decided:
        """Customs' decision at a border station (at ``at``, by default now): the release
        rule's outcome on the events recorded so far (direct release when every seal is
        unchanged), signed by ``org_id``."""
        return self._decide(doc_id, org_id, station, at)

    def _decide(
        self, doc_id: str, org_id: str, station: str, at: datetime.datetime | None
    ) -> Decided:
        route = self._route(doc_id)
        crossing = crossing_at(route.route, station)
        if crossing is None:
            where = route_stations(route.route).get(station)
            name = f"{where.name} ({station})" if where else station
            raise Refusal(
                RefusalKind.INVALID,
                f"at_border_crossing: release is decided at a border station, not at {name}",
            )
        assessment = assess_release(route.route, self._records().rail_events(doc_id), crossing)
        event = _event(
            {
                "type": EventType.RELEASE_DECISION.value,
                "station": station,
                "time": (at or self.node.clock()).isoformat(),
                "decision": assessment.outcome.value,
            }
        )
        receipt = self.node.submit(org_id, Op.RAIL_EVENT, doc=doc_id, event=event)
        return Decided(assessment, event, receipt)

    def _actor(self, org_id: str) -> Actor:
        actor = self.node.identities.party(org_id)
        if actor is None:
            raise Refusal(RefusalKind.INVALID, f"unknown organisation {org_id}")
        return actor

    @staticmethod
    def _observation(seal: SealReport, route: RouteRecord, actor: Actor) -> dict[str, Any]:
        result = seal.result.upper()
        out: dict[str, Any] = {"sealNumber": seal.number, "result": result}
        if result != "REPLACED":
            return out
        original = next((s for s in route.route.seals if s.number == seal.number), None)
        party = seal.sealing_party or ("CUSTOMS" if Role.CUSTOMS in actor.roles else "CARRIER")
        out["newSeal"] = {
            "number": seal.new_number,
            "type": seal.new_type or (original.type if original else "MECHANICAL"),
            "sealingParty": party.upper(),
        }
        return out

    # --- advance information --------------------------------------------------------------

    def _push(self, doc_id: str, reason: Reason, station: str) -> Push | None:
        records = self._records()
        route = records.rail_route(doc_id)
        if route is None:
            return None
        country = next_country(route.route, station)
        if country is None:
            return None
        document = self.node.store.get(doc_id)
        payload = advance_information(route, records.rail_events(doc_id), document, reason, station)
        # Once per consignment, reason and station: a retried command pushes nothing twice.
        key = f"{doc_id}:{reason}:{station}"
        done = self.outbox.push(country, ADVANCE_INFORMATION, encode(payload), key)
        status = str(getattr(done, "status", "local"))
        return Push(country, ADVANCE_INFORMATION, payload, key, status)

    # --- reads ----------------------------------------------------------------------------

    def status(self, doc_id: str, reader: Reader) -> RailStatus:
        """The consignment's journey, if the read policy lets ``reader`` read its status."""
        status = self._readable(doc_id, reader)
        route = self._route(doc_id)
        events = tuple(self._records().rail_events(doc_id))
        assessments = tuple(
            assess_release(route.route, events, i) for i in range(len(route.route.borderCrossings))
        )
        return RailStatus(status, route, events, custody(route.route, events), assessments)

    def _readable(self, doc_id: str, reader: Reader) -> DocumentStatus | None:
        """The consignment's status as ``reader`` may read it (ReadRefusal if not). A
        consignment held from another ledger has no record here: its status is read by the
        node's operator, its issuer of record, those who recorded its events on this ledger
        and auditors (the read policy's status rule, on what this ledger knows of it)."""
        route = self._records().rail_route(doc_id)
        if route is None or self.node.ledger.document(doc_id) is not None:
            return self.node.status(doc_id, reader)
        recorders = frozenset(r.by for r in self._records().rail_events(doc_id))
        audience = Audience(route.issuer, participants=recorders)
        require(ReadScope.STATUS, may_read_document(reader, ReadScope.STATUS, audience))
        return None

    def report(
        self,
        reader: Reader,
        border: str | None = None,
        since: datetime.datetime | None = None,
        until: datetime.datetime | None = None,
    ) -> ReleaseTimeReport:
        """The release-time report over the consignments ``reader`` may read the status of,
        from the ledger's routes and events alone."""
        journeys = self._records().rail_journeys()
        readable = [j for j in journeys if self._may_read(j.consignment_id, reader)]
        return release_time_report(readable, border, since, until)

    def _may_read(self, doc_id: str, reader: Reader) -> bool:
        try:
            self._readable(doc_id, reader)
        except ReadRefusal:
            return False
        return True

    def journey(self, doc_id: str, reader: Reader) -> tuple[RouteRecord, list[RecordedEvent]]:
        """The route and events (for EDIFACT and advance information), as the policy allows."""
        self._readable(doc_id, reader)
        return self._route(doc_id), self._records().rail_events(doc_id)


__all__ = [
    "Decided",
    "RailDesk",
    "RailNotKept",
    "RailStatus",
    "Recorded",
    "Registered",
    "SealReport",
]
