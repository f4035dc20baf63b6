"""The rail corridor pages (signed in), for rail operators and customs officers: the board
of the consignments the organisation may read with the release-time report as a chart (dwell
from arrival to decision per border pair, p50 and p90, SVG drawn on the server), and one
consignment's journey: its route with the gauge-change crossings, the wagons and containers
(where each container is now), every seal's chain of custody and latest check, the border
events, and per crossing the release decision, ``DIRECT_RELEASE`` or
``INSPECTION_REQUIRED`` naming each seal and why.

What is shown is what ``RailDesk.status`` returns under the node's read policy (the
consignment's status); the board lists only the consignments the reader may read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from api.http.pages.dwell_chart import dwell_chart
from api.http.pages.site import PageContext, PageRoute, Site, context_of, signed_in, site_of
from api.http.rail import desk_of
from chaincode.documents.rail import Station
from chaincode.identifiers import DOC_ID_PATTERN
from chaincode.rail.custody import SealChain
from chaincode.rail.events import EventType, RecordedEvent
from chaincode.rail.release import Finding
from chaincode.rail.route import crossing_at, crossing_label, route_stations
from chaincode.read_policy import Reader, ReadRefusal
from ledger.interface import RailRecords
from network.rail import RailDesk, RailNotKept, RailStatus

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Ctx = Annotated[PageContext, Depends(context_of)]
SiteDep = Annotated[Site, Depends(site_of)]
DocPath = Annotated[str, Path(pattern=DOC_ID_PATTERN)]

BOARD_LIMIT = 200  # the most recent consignments the board lists


@dataclass(frozen=True)
class EventRow:
    time: datetime.datetime
    type: str
    station: str
    station_name: str
    by: str
    by_name: str
    details: tuple[str, ...]  # seal results, container moves, the decision
    decision: str | None


@dataclass(frozen=True)
class SealRow:
    """A seal of the note, followed through its replacements: where it is, what the last
    check found, and the custody links (who replaced it, where, when)."""

    original: str
    current: str
    unit: str
    wagon: str | None
    kind: str
    sealing_party: str
    last_result: str | None
    last_station: str | None
    replacements: tuple[str, ...]


@dataclass(frozen=True)
class CrossingView:
    label: str
    exit: Station
    entry: Station
    gauge_change: bool
    assessment: str
    findings: tuple[Finding, ...]
    decision: str | None  # the recorded decision, if customs took one
    decided_by: str | None
    decided_at: datetime.datetime | None
    events: tuple[EventRow, ...]


@dataclass(frozen=True)
class BoardRow:
    doc: str
    note_number: str
    departure: str
    destination: str
    last_event: EventRow | None
    decisions: tuple[str, ...]


def _name(site: Site, org_id: str) -> str:
    org = site.organisation(org_id)
    return org.name if org else org_id


def _row(site: Site, stations: dict[str, Station], recorded: RecordedEvent) -> EventRow:
    event = recorded.event
    details = [
        f"{s.sealNumber}: {s.result}" + (f" → {s.newSeal.number}" if s.newSeal else "")
        for s in event.seals
    ]
    details += [f"{m.container}: {m.fromWagon} → {m.toWagon}" for m in event.moves]
    where = stations.get(event.station)
    return EventRow(
        event.time,
        event.type,
        event.station,
        where.name if where else event.station,
        recorded.by,
        _name(site, recorded.by),
        tuple(details),
        event.decision,
    )


def _seal(chain: SealChain, events: tuple[RecordedEvent, ...], wagons: dict[str, str]) -> SealRow:
    result = station = None
    for recorded in events:
        for seen in recorded.event.seals:
            if seen.sealNumber in chain.numbers:
                result, station = seen.result, recorded.event.station
    unit = chain.unit
    return SealRow(
        chain.original.number,
        chain.current,
        unit,
        wagons.get(unit, chain.original.wagonNumber),
        chain.original.type,
        chain.original.sealingParty,
        result,
        station,
        tuple(
            f"{link.old} → {link.new} ({link.sealing_party}, {link.station}, {link.by})"
            for link in chain.links
        ),
    )


def journey_view(site: Site, status: RailStatus) -> dict[str, Any]:
    """What the journey page shows, from the consignment's status."""
    route = status.route.route
    stations = route_stations(route)
    rows = [_row(site, stations, r) for r in status.events]
    crossings = []
    for assessment in status.assessments:
        crossing = route.borderCrossings[assessment.crossing]
        here = [
            row
            for row, r in zip(rows, status.events, strict=True)
            if crossing_at(route, r.event.station) == assessment.crossing
        ]
        decided = [row for row in here if row.type == EventType.RELEASE_DECISION]
        last = decided[-1] if decided else None
        crossings.append(
            CrossingView(
                crossing_label(crossing),
                crossing.exitStation,
                crossing.entryStation,
                crossing.gaugeChange,
                assessment.outcome.value,
                assessment.findings,
                last.decision if last else None,
                last.by_name if last else None,
                last.time if last else None,
                tuple(here),
            )
        )
    seen = {r.event.station for r in status.events}
    record = status.status.record if status.status is not None else None
    return {
        "doc": status.route.doc,
        # Held from another country's ledger (RAIL_IMPORT): no document record here.
        "held": record is None,
        "route": route,
        "issuer": _name(site, status.route.issuer),
        "state": record.state.value if record is not None else "HELD",
        "registered_at": status.route.registered_at,
        "stations": [(s, s.code in seen) for s in stations.values()],
        "wagons": [(w.number, list(w.containers)) for w in route.wagons],
        "now_on": dict(sorted(status.custody.wagon_of.items())),
        "seals": [_seal(c, status.events, status.custody.wagon_of) for c in status.custody.chains],
        "crossings": crossings,
        "events": rows,
    }


def _board(site: Site, desk: RailDesk, reader: Reader) -> list[BoardRow]:
    ledger = site.node.ledger
    if not isinstance(ledger, RailRecords):
        raise RailNotKept(site.node.engine.value)
    journeys = ledger.rail_journeys()
    out = []
    for journey in reversed(journeys[-BOARD_LIMIT:]):
        try:  # the desk's read (a consignment held from another ledger has no record here)
            desk.journey(journey.consignment_id, reader)
        except ReadRefusal:
            continue
        route = journey.consignment
        stations = route_stations(route)
        last = _row(site, stations, journey.events[-1]) if journey.events else None
        decisions = tuple(
            str(r.event.decision)
            for r in journey.events
            if r.event.type == EventType.RELEASE_DECISION
        )
        out.append(
            BoardRow(
                journey.consignment_id,
                route.noteNumber,
                route.departureStation.name,
                route.destinationStation.name,
                last,
                decisions,
            )
        )
    return out


@router.get("/rail")
def board_page(request: Request, ctx: Ctx, site: SiteDep) -> Response:
    who = signed_in(ctx)
    desk = desk_of(request, site.node)
    rows = _board(site, desk, who)
    chart = dwell_chart(desk.report(who))
    return site.render(ctx, "rail_board.html", rows=rows, chart=chart)


@router.get("/rail/{doc_id}")
def journey_page(request: Request, doc_id: DocPath, ctx: Ctx, site: SiteDep) -> Response:
    who = signed_in(ctx)
    status = desk_of(request, site.node).status(doc_id, who)
    return site.render(ctx, "rail.html", **journey_view(site, status))


__all__ = ["journey_view", "router"]
