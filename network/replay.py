"""The node's cache of token ids (``jti``) already seen, shared by its worker processes.

A SQLite table in the node home: a token id is accepted once, until its expiry. Durability
is not needed here (an expired token is refused anyway), so the writes do not fsync.

Every request inserts here, from every worker, and the HTTP API's async routes do it on
their event loop. Writers take turns on a file lock first: the kernel wakes the next one
the moment an insert ends, where SQLite's own busy handler, finding the file locked, would
sleep a millisecond or more (stalling the loop) before trying again.
"""

from __future__ import annotations

import datetime
import fcntl
import sqlite3
import threading
from pathlib import Path

from ledger.sqlite_files import open_database


class ReplayCache:
    def __init__(self, path: Path) -> None:
        self._db = open_database(
            path,
            "CREATE TABLE IF NOT EXISTS seen (jti TEXT PRIMARY KEY, expires REAL NOT NULL);",
            synchronous="OFF",
        )
        self._turns = open(path.with_name(path.name + ".lock"), "a+b")  # noqa: SIM115
        self._lock = threading.Lock()
        self._last_purge = 0.0

    def first_use(self, jti: str, expires: datetime.datetime, now: datetime.datetime) -> bool:
        """True the first time a token id is presented; False on every replay."""
        with self._lock:
            fcntl.flock(self._turns, fcntl.LOCK_EX)
            try:
                if now.timestamp() - self._last_purge > 60:
                    self._db.execute("DELETE FROM seen WHERE expires < ?", (now.timestamp() - 120,))
                    self._last_purge = now.timestamp()
                try:
                    self._db.execute("INSERT INTO seen VALUES (?, ?)", (jti, expires.timestamp()))
                except sqlite3.IntegrityError:
                    return False
                return True
            finally:
                fcntl.flock(self._turns, fcntl.LOCK_UN)

    def close(self) -> None:
        self._db.close()
        self._turns.close()
