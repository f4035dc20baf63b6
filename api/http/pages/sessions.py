"""Signed-in sessions of the pages, kept on the server.

A session is a random 256-bit token in an httpOnly cookie; the node keeps only its SHA-256,
with the organisation it speaks for (as its certificate was verified at sign-in), a CSRF
token for its forms, and two expiries: it ends after ``IDLE`` without a request and after
``LIFETIME`` in any case. Signing out deletes it, so the cookie is worthless afterwards even
if a copy survives. The table is SQLite in the node home, shared by the server's worker
processes; writes are durable, so a sign-out survives a crash.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from chaincode.records import Actor
from identity.roles import Role
from ledger.sqlite_files import open_database

COOKIE = "tdx_session"
IDLE = datetime.timedelta(minutes=30)
LIFETIME = datetime.timedelta(hours=8)
# A session's idle expiry is pushed on at most this often (a write per request is waste).
TOUCH_EVERY = datetime.timedelta(minutes=1)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    country TEXT NOT NULL,
    roles TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created REAL NOT NULL,
    seen REAL NOT NULL,
    ends REAL NOT NULL
) WITHOUT ROWID;
"""


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    org: str
    country: str
    roles: frozenset[Role]
    csrf: str
    created: datetime.datetime
    expires: datetime.datetime

    @property
    def actor(self) -> Actor:
        return Actor(self.org, self.country, self.roles)


class SessionStore:
    def __init__(self, path: Path) -> None:
        self._db = open_database(path, _SCHEMA, synchronous="FULL")
        self._lock = threading.Lock()

    def create(self, actor: Actor, now: datetime.datetime) -> tuple[str, Session]:
        """A new session for ``actor``: its cookie token and the session."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        t = now.timestamp()
        roles = json.dumps(sorted(r.value for r in actor.roles))
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE ends < ? OR seen < ?", self._cut(now))
            self._db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (_key(token), actor.id, actor.country, roles, csrf, t, t, t + _s(LIFETIME)),
            )
        return token, self._session(actor.id, actor.country, roles, csrf, t, t, t + _s(LIFETIME))

    def get(self, token: str | None, now: datetime.datetime) -> Session | None:
        """The live session of a cookie token, its idle time restarted; None if there is
        none (never was, signed out, or expired)."""
        if not token or len(token) > 100:
            return None
        key = _key(token)
        with self._lock:
            row = self._db.execute(
                "SELECT org, country, roles, csrf, created, seen, ends FROM sessions WHERE id = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            org, country, roles, csrf, created, seen, ends = row
            t = now.timestamp()
            if t >= ends or t >= seen + _s(IDLE):
                self._db.execute("DELETE FROM sessions WHERE id = ?", (key,))
                return None
            if t - seen >= _s(TOUCH_EVERY):
                self._db.execute("UPDATE sessions SET seen = ? WHERE id = ?", (t, key))
                seen = t
        return self._session(org, country, roles, csrf, created, seen, ends)

    def end(self, token: str | None) -> None:
        """Sign out: the session is deleted on the server."""
        if token:
            with self._lock:
                self._db.execute("DELETE FROM sessions WHERE id = ?", (_key(token),))

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def _cut(now: datetime.datetime) -> tuple[float, float]:
        return now.timestamp(), now.timestamp() - _s(IDLE)

    @staticmethod
    def _session(
        org: str, country: str, roles: str, csrf: str, created: float, seen: float, ends: float
    ) -> Session:
        expires = min(ends, seen + _s(IDLE))
        return Session(
            org,
            country,
            frozenset(Role(r) for r in json.loads(roles)),
            csrf,
            datetime.datetime.fromtimestamp(created, datetime.UTC),
            datetime.datetime.fromtimestamp(expires, datetime.UTC),
        )


def _s(delta: datetime.timedelta) -> float:
    return delta.total_seconds()


__all__ = ["COOKIE", "IDLE", "LIFETIME", "Session", "SessionStore"]
