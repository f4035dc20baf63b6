"""Both sides' audit log of verification queries: who asked (or whom this node asked),
about which document, when, and the answer given or received.

A SQLite table in the node's home (``queries.db``, WAL). Commits are ``synchronous=NORMAL``:
an entry survives a crash of the node's process, and the query path pays no fsync (a
power cut may lose the last entries, never corrupt the log).
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ledger.sqlite_files import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queries (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    direction TEXT NOT NULL,      -- 'asked': this node asked; 'answered': it answered
    peer TEXT NOT NULL,           -- the other node's country
    peer_node TEXT NOT NULL,      -- the other node's certificate fingerprint (or its URL)
    digest TEXT NOT NULL,
    issuer TEXT,
    status TEXT,                  -- the answer's status, when there was one
    outcome TEXT NOT NULL,        -- answered / believed / rejected / unreachable
    detail TEXT NOT NULL
);
"""

Direction = Literal["asked", "answered"]


@dataclass(frozen=True)
class QueryEntry:
    at: datetime.datetime
    direction: Direction
    peer: str
    peer_node: str
    digest: str
    issuer: str | None
    status: str | None
    outcome: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "direction": self.direction,
            "peer": self.peer,
            "peerNode": self.peer_node,
            "digest": self.digest,
            "issuer": self.issuer,
            "status": self.status,
            "outcome": self.outcome,
            "detail": self.detail,
        }


class QueryLog:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._db: Any = None
        self._lock = threading.Lock()

    def _open(self) -> Any:
        if self._db is None:
            db = open_database(self._path, _SCHEMA, synchronous="FULL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._db = db
        return self._db

    def record(self, entry: QueryEntry) -> None:
        with self._lock:
            self._open().execute(
                "INSERT INTO queries (at, direction, peer, peer_node, digest, issuer, status,"
                " outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.at.isoformat(),
                    entry.direction,
                    entry.peer,
                    entry.peer_node,
                    entry.digest,
                    entry.issuer,
                    entry.status,
                    entry.outcome,
                    entry.detail,
                ),
            )

    def entries(self, limit: int | None = None) -> list[QueryEntry]:
        """Oldest first; with ``limit``, the latest ``limit`` entries."""
        if not self._path.is_file():
            return []
        with self._lock:
            rows = (
                self._open()
                .execute(
                    "SELECT at, direction, peer, peer_node, digest, issuer, status, outcome, detail"
                    " FROM queries ORDER BY id DESC LIMIT ?",
                    (-1 if limit is None else limit,),
                )
                .fetchall()
            )
        return [
            QueryEntry(datetime.datetime.fromisoformat(r[0]), r[1], *r[2:]) for r in reversed(rows)
        ]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


__all__ = ["Direction", "QueryEntry", "QueryLog"]
