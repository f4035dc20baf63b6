"""The inbox: what other countries' nodes delivered to this one, one copy per (sending
country, kind, key), each kept with the report of its verification on arrival.

An arrival is written durably (``synchronous=FULL``) before it is verified and before it
is acknowledged; a sender that retries after a crash of either side finds its copy here
and is acknowledged again, so an item is kept exactly once. Documents are verified by the
caller's handler for their kind (``document``: the node's verification, asking the issuing
node); an item whose handler has not run yet (a crash in between) is verified when it is
delivered again or when ``pending`` is worked through.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.sqlite_files import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    node TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    payload BLOB NOT NULL,
    received_at TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1,
    verdict TEXT,
    report TEXT,
    verified_at TEXT,
    UNIQUE (source, kind, key)
);
"""

# A handler verifies (or otherwise takes in) an arrived payload: its verdict and report.
Handler = Callable[[bytes], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Arrival:
    id: int
    source: str
    node: str
    kind: str
    key: str
    payload: bytes
    received_at: str
    deliveries: int
    verdict: str | None
    report: dict[str, Any] | None
    verified_at: str | None

    def to_json(self, with_payload: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "from": self.source,
            "node": self.node,
            "kind": self.kind,
            "key": self.key,
            "receivedAt": self.received_at,
            "deliveries": self.deliveries,
            "verdict": self.verdict,
            "verifiedAt": self.verified_at,
            "report": self.report,
        }
        if with_payload:
            out["payload"] = self.payload.decode("utf-8", "replace")
        return out


_COLUMNS = (
    "id, source, node, kind, key, payload, received_at, deliveries, verdict, report, verified_at"
)


def _arrival(row: Any) -> Arrival:
    return Arrival(
        int(row[0]),
        row[1],
        row[2],
        row[3],
        row[4],
        bytes(row[5]),
        row[6],
        int(row[7]),
        row[8],
        None if row[9] is None else json.loads(row[9]),
        row[10],
    )


class Inbox:
    def __init__(self, path: Path, clock: Callable[[], datetime.datetime]) -> None:
        self._path = path
        self._clock = clock
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.handlers: dict[str, Handler] = {}

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_database(self._path, _SCHEMA, synchronous="FULL")
        return self._db

    def on(self, kind: str, handler: Handler) -> None:
        """Verify (or take in) arrivals of ``kind`` with ``handler``."""
        self.handlers[kind] = handler

    def store(
        self, source: str, node: str, kind: str, key: str, payload: bytes
    ) -> tuple[Arrival, bool]:
        """Keep an arrival durably; (it, True) the first time, (the copy kept, False) after."""
        with self._lock:
            db = self._open()
            cursor = db.execute(
                "INSERT OR IGNORE INTO inbox (source, node, kind, key, payload, received_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (source, node, kind, key, payload, self._clock().isoformat()),
            )
            created = bool(cursor.rowcount)
            if not created:
                db.execute(
                    "UPDATE inbox SET deliveries = deliveries + 1 WHERE source = ? AND kind = ? "
                    "AND key = ?",
                    (source, kind, key),
                )
            row = db.execute(
                f"SELECT {_COLUMNS} FROM inbox WHERE source = ? AND kind = ? AND key = ?",  # noqa: S608
                (source, kind, key),
            ).fetchone()
        return _arrival(row), created

    def verify(self, arrival: Arrival) -> Arrival:
        """Run the kind's handler on an arrival not verified yet, and keep its report."""
        if arrival.verdict is not None:
            return arrival
        handler = self.handlers.get(arrival.kind)
        if handler is None:
            verdict, report = "RECEIVED", {"note": f"no verifier for kind {arrival.kind!r}"}
        else:
            verdict, report = handler(arrival.payload)
        with self._lock:
            self._open().execute(
                "UPDATE inbox SET verdict = ?, report = ?, verified_at = ? WHERE id = ?",
                (verdict, json.dumps(report), self._clock().isoformat(), arrival.id),
            )
        return self.get(arrival.id) or arrival

    def get(self, arrival_id: int) -> Arrival | None:
        with self._lock:
            row = (
                self._open()
                .execute(
                    f"SELECT {_COLUMNS} FROM inbox WHERE id = ?",  # noqa: S608
                    (arrival_id,),
                )
                .fetchone()
            )
        return None if row is None else _arrival(row)

    def arrivals(self) -> list[Arrival]:
        if self._db is None and not self._path.is_file():
            return []
        with self._lock:
            rows = self._open().execute(f"SELECT {_COLUMNS} FROM inbox ORDER BY id").fetchall()  # noqa: S608
        return [_arrival(r) for r in rows]

    def pending(self) -> list[Arrival]:
        return [a for a in self.arrivals() if a.verdict is None]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


__all__ = ["Arrival", "Handler", "Inbox"]
