"""``witness.db`` in the node's home: the durable state of both witnessing roles.

As a witness: the peers whose logs it witnesses (and their keys), the latest checkpoint it
cosigned per log (the tlog-witness state, updated atomically with the check), the recent
checkpoints it saw per log, disputes to settle with a log, and the equivocation evidence.
As a log: its checkpoints it published, the cosignatures its witnesses returned, and how
far each witness has got. SQLite in WAL mode with ``synchronous=FULL``: a cosignature is
only returned after the new state is on disk.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ledger.sqlite_files import open_database, write_transaction
from ledger.tlog.witness import Held

FILE = "witness.db"
# Recent checkpoints kept per log for same-size comparisons; older ones are settled by
# asking the log for a consistency proof instead.
SEEN_PER_LOG = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS peers (
    origin TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    log_key TEXT NOT NULL,
    witness_key TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS held (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seen (
    origin TEXT NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (origin, size, root)
);
CREATE TABLE IF NOT EXISTS disputes (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    held_note TEXT NOT NULL,
    other_note TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    UNIQUE (origin, held_note, other_note)
);
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    kind TEXT NOT NULL,
    first_note TEXT NOT NULL,
    second_note TEXT NOT NULL,
    document TEXT NOT NULL,
    detected_at INTEGER NOT NULL,
    UNIQUE (origin, first_note, second_note)
);
CREATE TABLE IF NOT EXISTS published (
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (size, root)
);
CREATE TABLE IF NOT EXISTS cosignatures (
    witness_key TEXT NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    line TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    PRIMARY KEY (witness_key, size, root)
);
CREATE TABLE IF NOT EXISTS submissions (
    witness_key TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    attempted_at INTEGER NOT NULL,
    cosigned_at INTEGER,
    error TEXT
);
"""


@dataclass(frozen=True)
class PeerRow:
    name: str
    url: str
    origin: str
    log_key: str
    witness_key: str


@dataclass(frozen=True)
class SeenRow:
    size: int
    root: bytes
    note: str
    source: str


@dataclass(frozen=True)
class DisputeRow:
    id: int
    origin: str
    held_note: str
    other_note: str
    source: str
    created_at: int
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class EvidenceRow:
    id: int
    origin: str
    kind: str
    document: str
    detected_at: int


@dataclass(frozen=True)
class CosignatureRow:
    witness_key: str
    size: int
    root: bytes
    line: str
    timestamp: int


@dataclass(frozen=True)
class SubmissionRow:
    witness_key: str
    size: int
    attempted_at: int
    cosigned_at: int | None
    error: str | None


class WitnessStore:
    """One connection to ``witness.db``; its writes are serialised by a lock in-process and
    by SQLite's ``BEGIN IMMEDIATE`` across processes."""

    def __init__(self, path: Path) -> None:
        self._db = open_database(path, SCHEMA, synchronous="FULL")
        self._lock = threading.RLock()

    @classmethod
    def of_home(cls, home_path: Path) -> WitnessStore:
        return cls(home_path / FILE)

    def close(self) -> None:
        self._db.close()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction, taken before the first read: what is read in it is still
        true when it commits (tlog-witness: the size check and update are atomic)."""
        return write_transaction(self._db, self._lock)

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")

    # --- peers --------------------------------------------------------------------------

    def set_peers(self, peers: list[PeerRow], replace: bool) -> None:
        with self.transaction() as db:
            if replace:
                db.execute("DELETE FROM peers")
            db.executemany(
                "INSERT OR REPLACE INTO peers VALUES (?, ?, ?, ?, ?)",
                [(p.origin, p.name, p.url, p.log_key, p.witness_key) for p in peers],
            )

    def peers(self) -> list[PeerRow]:
        with self.reading() as db:
            return peers_in(db)

    # --- the witness role ---------------------------------------------------------------

    def evidence(self) -> list[EvidenceRow]:
        with self.reading() as db:
            return [
                EvidenceRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]))
                for r in db.execute(
                    "SELECT id, origin, kind, document, detected_at FROM evidence ORDER BY id"
                )
            ]

    def disputes(self) -> list[DisputeRow]:
        with self.reading() as db:
            return disputes_in(db)

    def held(self, origin: str) -> Held | None:
        with self.reading() as db:
            return held_in(db, origin)

    def held_all(self) -> dict[str, tuple[Held, int]]:
        with self.reading() as db:
            return {
                str(r[0]): (Held(int(r[1]), bytes(r[2]), str(r[3])), int(r[4]))
                for r in db.execute("SELECT origin, size, root, note, cosigned_at FROM held")
            }

    # --- the log role -------------------------------------------------------------------

    def cosignatures(self, size: int, root: bytes) -> list[CosignatureRow]:
        with self.reading() as db:
            return cosignatures_in(db, size, root)

    def latest_cosigned(self) -> tuple[int, bytes, str] | None:
        """The largest published checkpoint that has at least one cosignature."""
        with self.reading() as db:
            row = db.execute(
                "SELECT p.size, p.root, p.note FROM published p WHERE EXISTS "
                "(SELECT 1 FROM cosignatures c WHERE c.size = p.size AND c.root = p.root) "
                "ORDER BY p.size DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]), str(row[2]))

    def submissions(self) -> dict[str, SubmissionRow]:
        with self.reading() as db:
            return {
                str(r[0]): SubmissionRow(str(r[0]), int(r[1]), int(r[2]), r[3], r[4])
                for r in db.execute("SELECT * FROM submissions")
            }

    def record_published(self, size: int, root: bytes, note: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO published VALUES (?, ?, ?)", (size, root, note))

    def record_cosignature(self, row: CosignatureRow, at: int) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO cosignatures VALUES (?, ?, ?, ?, ?)",
                (row.witness_key, row.size, row.root, row.line, row.timestamp),
            )
            db.execute(
                "INSERT OR REPLACE INTO submissions VALUES (?, ?, ?, ?, NULL)",
                (row.witness_key, row.size, at, at),
            )

    def record_failure(self, witness_key: str, size: int | None, at: int, error: str) -> None:
        """A submission that failed; ``size`` is what the witness holds, when it said so."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT size, cosigned_at FROM submissions WHERE witness_key = ?", (witness_key,)
            ).fetchone()
            known = size if size is not None else (int(row[0]) if row else 0)
            db.execute(
                "INSERT OR REPLACE INTO submissions VALUES (?, ?, ?, ?, ?)",
                (witness_key, known, at, row[1] if row else None, error),
            )


def peers_in(db: sqlite3.Connection) -> list[PeerRow]:
    return [
        PeerRow(str(r[1]), str(r[2]), str(r[0]), str(r[3]), str(r[4]))
        for r in db.execute(
            "SELECT origin, name, url, log_key, witness_key FROM peers ORDER BY name"
        )
    ]


def held_in(db: sqlite3.Connection, origin: str) -> Held | None:
    row = db.execute("SELECT size, root, note FROM held WHERE origin = ?", (origin,)).fetchone()
    return None if row is None else Held(int(row[0]), bytes(row[1]), str(row[2]))


def seen_in(db: sqlite3.Connection, origin: str, size: int) -> list[SeenRow]:
    return [
        SeenRow(size, bytes(r[0]), str(r[1]), str(r[2]))
        for r in db.execute(
            "SELECT root, note, source FROM seen WHERE origin = ? AND size = ?", (origin, size)
        )
    ]


def add_seen(db: sqlite3.Connection, origin: str, row: SeenRow, at: int) -> None:
    db.execute(
        "INSERT OR IGNORE INTO seen VALUES (?, ?, ?, ?, ?, ?)",
        (origin, row.size, row.root, row.note, row.source, at),
    )
    db.execute(
        "DELETE FROM seen WHERE origin = ? AND size < (SELECT MIN(size) FROM "
        "(SELECT size FROM seen WHERE origin = ? ORDER BY size DESC LIMIT ?))",
        (origin, origin, SEEN_PER_LOG),
    )


def disputes_in(db: sqlite3.Connection) -> list[DisputeRow]:
    return [
        DisputeRow(
            int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]), int(r[6]), r[7]
        )
        for r in db.execute("SELECT * FROM disputes ORDER BY id")
    ]


def cosignatures_in(db: sqlite3.Connection, size: int, root: bytes) -> list[CosignatureRow]:
    return [
        CosignatureRow(str(r[0]), size, root, str(r[1]), int(r[2]))
        for r in db.execute(
            "SELECT witness_key, line, timestamp FROM cosignatures WHERE size = ? AND root = ? "
            "ORDER BY witness_key",
            (size, root),
        )
    ]


__all__ = [
    "FILE",
    "CosignatureRow",
    "DisputeRow",
    "EvidenceRow",
    "PeerRow",
    "SeenRow",
    "SubmissionRow",
    "WitnessStore",
]
