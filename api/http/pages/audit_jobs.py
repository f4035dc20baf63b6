"""The Ledger page's "verify the whole log": the node's log audit run in the background,
its progress kept where every worker process of the server can read it.

An organisation runs one audit at a time: asking again while its audit runs answers with
the running one, so repeated clicks cannot pile up work. A job is read only by the
organisation that started it. Progress and results live in a SQLite table in the node home;
an audit interrupted by a restart never finishes, and after ``STALE`` a new one may start.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.views import log_check_json
from chaincode.records import Actor
from ledger.interface import LogCheck
from ledger.sqlite_files import open_database

# A job that has not finished after this long is taken as dead (its process was stopped).
STALE = datetime.timedelta(hours=2)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audits (
    id TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started REAL NOT NULL,
    done INTEGER NOT NULL,
    total INTEGER NOT NULL,
    finished REAL,
    result TEXT
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class AuditJob:
    id: str
    org: str
    started: datetime.datetime
    done: int
    total: int
    finished: datetime.datetime | None
    result: dict[str, Any] | None

    @property
    def percent(self) -> int:
        if self.finished is not None:
            return 100
        return min(99, 100 * self.done // self.total) if self.total else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "finished": self.finished is not None,
            **({"result": self.result} if self.result is not None else {}),
        }


Audit = Callable[[Actor, Callable[[int, int], None]], LogCheck]


class AuditJobs:
    def __init__(self, path: Path) -> None:
        self._db = open_database(path, _SCHEMA, synchronous="OFF")
        self._lock = threading.Lock()
        self._ended: dict[str, threading.Event] = {}  # the jobs this process runs

    def start(self, reader: Actor, audit: Audit, now: datetime.datetime) -> AuditJob:
        """Start ``audit`` for ``reader`` in a thread, unless ``reader`` has one running
        (then that one is returned)."""
        with self._lock:
            running = self._db.execute(
                "SELECT id FROM audits WHERE finished IS NULL AND started > ? AND org = ?",
                (now.timestamp() - STALE.total_seconds(), reader.id),
            ).fetchone()
            if running is not None:
                job = self.get(str(running[0]), reader.id)
                assert job is not None
                return job
            job_id = secrets.token_urlsafe(16)
            self._db.execute(
                "INSERT INTO audits VALUES (?, ?, ?, ?, 0, 0, NULL, NULL)",
                (job_id, reader.id, os.getpid(), now.timestamp()),
            )
        self._ended[job_id] = threading.Event()
        thread = threading.Thread(
            target=self._run, args=(job_id, reader, audit), name=f"audit-{job_id}", daemon=True
        )
        thread.start()
        job = self.get(job_id, reader.id)
        assert job is not None
        return job

    def _run(self, job_id: str, reader: Actor, audit: Audit) -> None:
        def progress(done: int, total: int) -> None:
            with self._lock:
                self._db.execute(
                    "UPDATE audits SET done = ?, total = ? WHERE id = ?", (done, total, job_id)
                )

        try:
            result: dict[str, Any] = log_check_json(audit(reader, progress))
        except Exception as exc:  # the page shows why, and the job ends
            result = {"ok": False, "problems": [f"{type(exc).__name__}: {exc}"], "checks": []}
        entries = int(result.get("entries", 0))
        now = datetime.datetime.now(datetime.UTC).timestamp()
        with self._lock:
            self._db.execute(
                "UPDATE audits SET done = ?, total = ?, finished = ?, result = ? WHERE id = ?",
                (entries, entries, now, json.dumps(result), job_id),
            )
        self._ended[job_id].set()

    def wait(self, job_id: str, timeout: float) -> bool:
        """Wait for a job this process runs to end; False if it did not in time."""
        ended = self._ended.get(job_id)
        return ended is not None and ended.wait(timeout)

    def get(self, job_id: str, org: str) -> AuditJob | None:
        """The job, if ``org`` started it."""
        row = self._db.execute(
            "SELECT id, org, started, done, total, finished, result FROM audits "
            "WHERE id = ? AND org = ?",
            (job_id, org),
        ).fetchone()
        if row is None:
            return None
        job_id, org, started, done, total, finished, result = row
        return AuditJob(
            job_id,
            org,
            datetime.datetime.fromtimestamp(started, datetime.UTC),
            int(done),
            int(total),
            datetime.datetime.fromtimestamp(finished, datetime.UTC) if finished else None,
            json.loads(result) if result else None,
        )

    def close(self) -> None:
        self._db.close()


__all__ = ["AuditJob", "AuditJobs"]
