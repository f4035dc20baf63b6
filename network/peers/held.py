"""The last checkpoint this node holds from each peer: what the next answer's checkpoint
must extend (an RFC 9162 consistency proof), so that a node cannot show one history today
and another tomorrow without being caught.

Kept in ``peers.db`` (durable), and only ever replaced by a larger checkpoint that was
proven consistent with it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ledger.sqlite_files import open_database, write_transaction
from ledger.tlog import checkpoint
from network.peers.answers import Held

_SCHEMA = """
CREATE TABLE IF NOT EXISTS held (
    country TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL
);
"""


class HeldCheckpoints:
    def __init__(self, path: Path) -> None:
        self._db = open_database(path, _SCHEMA, synchronous="FULL")
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, Held]] = {}

    def get(self, country: str, origin: str) -> Held | None:
        """The checkpoint held from ``country``'s node (of its log ``origin``), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT origin, size, root FROM held WHERE country = ?", (country,)
            ).fetchone()
        if row is None or row[0] != origin:
            return None  # a new log for that country: nothing held of it
        return Held(int(row[1]), bytes(row[2]))

    def advance(self, country: str, cp: checkpoint.Checkpoint, note: str) -> None:
        """Hold ``cp`` if it is larger than what is held (the caller proved it consistent)."""
        with write_transaction(self._db, self._lock) as db:
            row = db.execute(
                "SELECT origin, size FROM held WHERE country = ?", (country,)
            ).fetchone()
            if row is None or row[0] != cp.origin or int(row[1]) < cp.size:
                db.execute(
                    "INSERT OR REPLACE INTO held VALUES (?, ?, ?, ?, ?)",
                    (country, cp.origin, cp.size, cp.root, note),
                )

    def note(self, country: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT note FROM held WHERE country = ?", (country,)).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        self._db.close()


__all__ = ["HeldCheckpoints"]
