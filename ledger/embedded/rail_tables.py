"""The embedded ledger's rail tables: each consignment's registered route and the border
events recorded on it, written in the same SQLite transaction as the entry that made them.

Like every state table they are derived from the log: the route and event are the signed
transaction's own ``route`` and ``event``, stored as their JSON and the entry's index.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterator, Sequence

from chaincode.lifecycle import Effects
from chaincode.rail.consignment import RailRoute, RouteRecord
from chaincode.rail.events import BorderEvent, RecordedEvent
from chaincode.rail.report import Journey

SCHEMA = """
CREATE TABLE IF NOT EXISTS rail_routes (
    doc TEXT PRIMARY KEY, issuer TEXT NOT NULL, route TEXT NOT NULL,
    registered_at TEXT NOT NULL, entry INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rail_events (
    doc TEXT NOT NULL, entry INTEGER NOT NULL, by TEXT NOT NULL, event TEXT NOT NULL,
    PRIMARY KEY (doc, entry)) WITHOUT ROWID;
"""


def _json(model: RailRoute | BorderEvent) -> str:
    return model.model_dump_json(exclude_defaults=True)


def store(db: sqlite3.Connection, effects: Effects, index: int) -> None:
    route = effects.rail_route
    if route is not None:
        db.execute(
            "INSERT INTO rail_routes VALUES (?, ?, ?, ?, ?)",
            (route.doc, route.issuer, _json(route.route), route.registered_at.isoformat(), index),
        )
    db.executemany(
        "INSERT INTO rail_events VALUES (?, ?, ?, ?)",
        [(e.doc, index, e.recorded.by, _json(e.recorded.event)) for e in effects.rail_events],
    )


def _route(row: Sequence[str]) -> RouteRecord:
    doc, issuer, route, registered_at = row
    return RouteRecord(
        str(doc),
        str(issuer),
        RailRoute.model_validate_json(route),
        datetime.datetime.fromisoformat(registered_at),
    )


def route_of(db: sqlite3.Connection, doc_id: str) -> RouteRecord | None:
    row = db.execute(
        "SELECT doc, issuer, route, registered_at FROM rail_routes WHERE doc = ?", (doc_id,)
    ).fetchone()
    return None if row is None else _route(row)


def events_of(db: sqlite3.Connection, doc_id: str) -> list[RecordedEvent]:
    return [
        RecordedEvent(BorderEvent.model_validate_json(event), str(by))
        for by, event in db.execute(
            "SELECT by, event FROM rail_events WHERE doc = ? ORDER BY entry", (doc_id,)
        )
    ]


def journeys(db: sqlite3.Connection) -> Iterator[Journey]:
    """Every registered consignment with its events, in the order they were registered."""
    routes = db.execute(
        "SELECT doc, issuer, route, registered_at FROM rail_routes ORDER BY entry"
    ).fetchall()
    events: dict[str, list[RecordedEvent]] = {}
    for doc, by, event in db.execute("SELECT doc, by, event FROM rail_events ORDER BY entry"):
        events.setdefault(str(doc), []).append(
            RecordedEvent(BorderEvent.model_validate_json(event), str(by))
        )
    for row in routes:
        record = _route(row)
        yield Journey(record.doc, record.route, tuple(events.get(record.doc, ())))


__all__ = ["SCHEMA", "events_of", "journeys", "route_of", "store"]
