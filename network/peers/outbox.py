"""The durable outbox: what this node must deliver to another country's node, kept until
that node acknowledges it.

``push(destination_country, kind, payload, key)`` is the one narrow entry point other
features use (a document for its importing country, a rail consignment's advance
information): it returns once the item is on disk (``synchronous=FULL``), and is
idempotent by (destination, kind, key), the key being the document's digest or, by default,
the payload's SHA-256. ``OutboxSender`` delivers the items in a thread, signed (the
caller's ``deliver``), retrying each with exponential backoff (0.2 s doubling to 60 s, with
jitter) until it is acknowledged. Across a crash of either side an item is delivered
exactly once: it stays here until acknowledged, and the receiver keeps one copy per key.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ledger.sqlite_files import open_database
from network.peers import failpoints

log = logging.getLogger("tdx.outbox")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0,
    delivered_at TEXT,
    last_error TEXT,
    ack TEXT,
    UNIQUE (destination, kind, key)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (delivered_at, next_at);
"""
FIRST_RETRY = 0.2
MAX_RETRY = 60.0
LEASE = 30.0  # an item being delivered is another sender's only after this
# A receiving node takes request bodies up to 5 MiB (api.http.app.MAX_BODY); a payload goes
# in base64 (4/3) inside JSON, so anything larger than this could never be acknowledged and
# would be retried for ever: it is refused when pushed instead.
MAX_PAYLOAD = 3 * 1024 * 1024
MAX_KEY = 200  # the receiver's limit on a delivery's key


class OutboxError(ValueError):
    """A push that is refused; the message names the field and the rule."""


@dataclass(frozen=True)
class Pushed:
    """What ``push`` did: queued it, found it queued already, or nothing (the destination
    is this node's own country)."""

    status: Literal["queued", "duplicate", "local"]
    destination: str
    kind: str
    key: str


@dataclass(frozen=True)
class OutboxItem:
    id: int
    destination: str
    kind: str
    key: str
    payload: bytes
    created_at: str
    attempts: int
    delivered_at: str | None
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "destination": self.destination,
            "kind": self.kind,
            "key": self.key,
            "createdAt": self.created_at,
            "attempts": self.attempts,
            "deliveredAt": self.delivered_at,
            "lastError": self.last_error,
        }


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones (jittered by +-20%)."""
    # The exponent is capped: 2.0 ** 1100 overflows, and 60 s is reached at the 10th try.
    delay: float = min(MAX_RETRY, FIRST_RETRY * 2.0 ** min(max(0, attempts - 1), 32))
    return delay * float(random.uniform(0.8, 1.2))  # noqa: S311 (spreading retries, not secrecy)


_COLUMNS = "id, destination, kind, key, payload, created_at, attempts, delivered_at, last_error"


def _item(row: Any) -> OutboxItem:
    return OutboxItem(
        int(row[0]), row[1], row[2], row[3], bytes(row[4]), row[5], int(row[6]), row[7], row[8]
    )


class Outbox:
    def __init__(
        self,
        path: Path,
        local_countries: frozenset[str],
        clock: Callable[[], datetime.datetime],
    ) -> None:
        self._path = path
        self._local = local_countries
        self._clock = clock
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.wake = threading.Event()

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_database(self._path, _SCHEMA, synchronous="FULL")
        return self._db

    def push(
        self, destination_country: str, kind: str, payload: bytes, key: str | None = None
    ) -> Pushed:
        """Queue ``payload`` for ``destination_country``'s node, durably, once per key."""
        if not (len(destination_country) == 2 and destination_country.isupper()):
            raise OutboxError(f"destination_country {destination_country!r}: ISO 3166 alpha-2")
        if not kind or len(kind) > 64 or not kind.replace("-", "").isalnum():
            raise OutboxError(f"kind {kind!r}: 1 to 64 letters, digits and '-'")
        if not isinstance(payload, bytes):
            raise OutboxError("payload: bytes")
        if len(payload) > MAX_PAYLOAD:
            raise OutboxError(f"payload: {len(payload)} bytes, at most {MAX_PAYLOAD}")
        key = key or "sha256:" + hashlib.sha256(payload).hexdigest()
        if not 1 <= len(key) <= MAX_KEY:
            raise OutboxError(f"key: 1 to {MAX_KEY} characters")
        if destination_country in self._local:
            return Pushed("local", destination_country, kind, key)
        with self._lock:
            cursor = self._open().execute(
                "INSERT OR IGNORE INTO outbox (destination, kind, key, payload, created_at, "
                "next_at) VALUES (?, ?, ?, ?, ?, ?)",
                (destination_country, kind, key, payload, self._clock().isoformat(), 0.0),
            )
        self.wake.set()
        status: Literal["queued", "duplicate"] = "queued" if cursor.rowcount else "duplicate"
        return Pushed(status, destination_country, kind, key)

    def depth(self) -> int:
        """Items not yet acknowledged."""
        if self._db is None and not self._path.is_file():
            return 0
        with self._lock:
            row = (
                self._open()
                .execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL")
                .fetchone()
            )
        return int(row[0])

    def items(self) -> list[OutboxItem]:
        if self._db is None and not self._path.is_file():
            return []
        with self._lock:
            rows = self._open().execute(f"SELECT {_COLUMNS} FROM outbox ORDER BY id").fetchall()  # noqa: S608
        return [_item(r) for r in rows]

    def claim(self, now: float, limit: int = 16) -> tuple[list[OutboxItem], float | None]:
        """Items due now, leased to the caller; and when the next one falls due."""
        db = self._open()
        with self._lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute(
                    f"SELECT {_COLUMNS} FROM outbox WHERE delivered_at IS NULL "  # noqa: S608
                    "AND next_at <= ? AND lease_until <= ? ORDER BY id LIMIT ?",
                    (now, now, limit),
                ).fetchall()
                db.executemany(
                    "UPDATE outbox SET lease_until = ? WHERE id = ?",
                    [(now + LEASE, r[0]) for r in rows],
                )
                nxt = db.execute(
                    "SELECT MIN(MAX(next_at, lease_until)) FROM outbox WHERE delivered_at IS NULL"
                ).fetchone()[0]
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return [_item(r) for r in rows], (None if nxt is None else float(nxt))

    def delivered(self, item_id: int, ack: str) -> None:
        with self._lock:
            self._open().execute(
                "UPDATE outbox SET delivered_at = ?, ack = ?, lease_until = 0, last_error = NULL "
                "WHERE id = ?",
                (self._clock().isoformat(), ack, item_id),
            )

    def failed(self, item_id: int, error: str, now: float) -> None:
        with self._lock:
            db = self._open()
            (attempts,) = db.execute(
                "SELECT attempts FROM outbox WHERE id = ?", (item_id,)
            ).fetchone()
            db.execute(
                "UPDATE outbox SET attempts = ?, next_at = ?, lease_until = 0, last_error = ? "
                "WHERE id = ?",
                (attempts + 1, now + backoff(attempts + 1), error[:500], item_id),
            )

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class DeliveryError(Exception):
    """A delivery that was not acknowledged; the item stays and is retried."""


class OutboxSender:
    """Delivers the outbox's items in one thread until stopped."""

    def __init__(
        self, outbox: Outbox, deliver: Callable[[OutboxItem], str], idle: float = 1.0
    ) -> None:
        """``deliver(item)`` returns the receiver's acknowledgement (its JSON text) or
        raises; ``idle`` bounds the wait between looks at the table, which items pushed by
        another process (``tdx issue`` on the command line) need."""
        self.outbox = outbox
        self._deliver = deliver
        self._idle = idle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tdx-outbox", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.outbox.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> float | None:
        """Deliver what is due; when the next item falls due (epoch seconds), or None."""
        items, next_due = self.outbox.claim(time.time())
        for item in items:
            if self._stop.is_set():
                break
            try:
                ack = self._deliver(item)
            except Exception as exc:  # any failure: keep it and try again later
                log.info("delivery %s to %s failed: %s", item.key, item.destination, exc)
                self.outbox.failed(item.id, f"{type(exc).__name__}: {exc}", time.time())
                continue
            failpoints.reached("outbox-after-ack")
            self.outbox.delivered(item.id, ack)
        return next_due

    def _run(self) -> None:
        while not self._stop.is_set():
            self.outbox.wake.clear()
            try:
                next_due = self.run_once()
            except Exception:
                log.exception("the outbox sender failed; trying again")
                next_due = None
            wait = self._idle if next_due is None else max(0.0, next_due - time.time())
            self.outbox.wake.wait(min(wait, self._idle))


__all__ = [
    "MAX_PAYLOAD",
    "DeliveryError",
    "Outbox",
    "OutboxError",
    "OutboxItem",
    "OutboxSender",
    "Pushed",
    "backoff",
]
