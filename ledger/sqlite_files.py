"""Opening a SQLite file that several processes open at once (``tdx serve``'s workers).

Two connections switching a new file to WAL and creating its schema at the same moment
can deadlock inside SQLite, which then answers "database is locked" at once instead of
waiting; it stopped a freshly started node. The set-up therefore runs under an exclusive
file lock, one process after the other.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal


def open_database(
    path: Path,
    schema: str,
    synchronous: Literal["FULL", "OFF"],
    upgrade: Callable[[sqlite3.Connection], None] | None = None,
) -> sqlite3.Connection:
    """An autocommit connection, usable from any thread, to ``path`` in WAL mode with
    ``schema`` applied (after ``upgrade``, which brings an older layout up to date).
    Writers that find the file locked wait up to 30 s."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    with open(path.with_name(path.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            if upgrade is not None:
                upgrade(db)
            db.executescript(schema)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    db.execute(f"PRAGMA synchronous={synchronous}")
    return db


@contextmanager
def write_transaction(
    db: sqlite3.Connection, lock: threading.Lock | threading.RLock
) -> Iterator[sqlite3.Connection]:
    """One write transaction on an autocommit connection, taken before its first read
    (``BEGIN IMMEDIATE``: what it reads is still true when it commits, and writers in other
    processes wait); ``lock`` serialises this process's users of ``db``. Any exception
    rolls it back, so nothing of a failed write is kept."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
