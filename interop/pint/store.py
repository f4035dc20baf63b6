"""A platform's durable PINT memory (SQLite, WAL, fsync on every commit).

It keeps, per eBL, the transport document and the transfer chain this platform knows
(every entry verbatim, as received or as signed here), the entries this platform signed,
the additional documents by checksum, the envelopes it is receiving (pending, accepted,
rejected) and the envelopes it is sending (in flight, transferred, rejected, disputed,
cancelled), with each signed answer exactly as it came.

Two unique indexes carry the rules that must hold even against concurrent writers and
restarts: one pending inbound envelope per eBL, and one active (in flight or disputed)
outbound envelope per eBL, which is how a platform refuses to send one eBL twice.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaincode.canonical import canonical_bytes, parse_json
from interop.pint.checks import History
from interop.pint.checksums import sha256_hex, signed_content_checksum
from interop.pint.ledger_port import LocalControl
from interop.pint.signatures import payload_bytes
from ledger.sqlite_files import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS transport_documents (
    td_checksum TEXT PRIMARY KEY,
    canonical BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS chain_entries (
    td_checksum TEXT NOT NULL,
    position INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (td_checksum, position)
);
CREATE TABLE IF NOT EXISTS own_entries (
    checksum TEXT PRIMARY KEY,
    td_checksum TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    checksum TEXT PRIMARY KEY,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS inbound (
    reference TEXT PRIMARY KEY,
    td_checksum TEXT NOT NULL,
    last_checksum TEXT NOT NULL,
    payload_checksum TEXT NOT NULL,
    last_entry TEXT NOT NULL,
    envelope TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected', 'superseded')),
    response TEXT,
    response_status INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS inbound_one_pending ON inbound (td_checksum)
    WHERE state = 'pending';
CREATE UNIQUE INDEX IF NOT EXISTS inbound_one_acceptance ON inbound (last_checksum)
    WHERE state = 'accepted';
CREATE TABLE IF NOT EXISTS final_answers (
    envelope_checksum TEXT PRIMARY KEY,
    last_checksum TEXT NOT NULL,
    response TEXT NOT NULL,
    status INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbound (
    last_checksum TEXT PRIMARY KEY,
    td_checksum TEXT NOT NULL,
    peer_platform TEXT NOT NULL,
    peer_url TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    recipient TEXT NOT NULL,
    envelope TEXT NOT NULL,
    documents TEXT NOT NULL,
    reference TEXT,
    state TEXT NOT NULL
        CHECK (state IN ('in_flight', 'transferred', 'rejected', 'disputed', 'cancelled')),
    response TEXT,
    response_code TEXT,
    reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS outbound_one_active ON outbound (td_checksum)
    WHERE state IN ('in_flight', 'disputed');
"""

ACTIVE_OUTBOUND = ("in_flight", "disputed")


class AlreadyActiveError(Exception):
    """Another envelope for this eBL is already in flight (or disputed) from here."""

    def __init__(self, td_checksum: str, peer_platform: str, state: str) -> None:
        super().__init__(f"eBL {td_checksum} is {state.replace('_', ' ')} to {peer_platform}")
        self.td_checksum = td_checksum
        self.peer_platform = peer_platform
        self.state = state


@dataclass(frozen=True)
class InboundRecord:
    reference: str
    td_checksum: str
    last_checksum: str
    envelope: dict[str, Any]
    state: str
    response: str | None
    response_status: int | None


@dataclass(frozen=True)
class OutboundRecord:
    last_checksum: str
    td_checksum: str
    peer_platform: str
    peer_url: str
    actor: str
    action: str
    recipient: dict[str, Any]
    envelope: str  # the request body exactly as sent, every retry
    documents: tuple[str, ...]
    reference: str | None
    state: str
    response: str | None
    response_code: str | None
    reason: str | None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_OUTBOUND


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


class PintStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_database(path, SCHEMA, synchronous="FULL")
        self._lock = threading.RLock()
        self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> PintStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One atomic write transaction (``BEGIN IMMEDIATE``: other writers, in this process
        or another, wait). Nested uses join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    # --- documents ------------------------------------------------------------------------

    def put_document(self, checksum: str, content: bytes) -> None:
        with self.writing():
            self._db.execute(
                "INSERT OR IGNORE INTO documents (checksum, content) VALUES (?, ?)",
                (checksum, content),
            )

    def has_document(self, checksum: str) -> bool:
        return bool(self._rows("SELECT 1 FROM documents WHERE checksum = ?", (checksum,)))

    def document(self, checksum: str) -> bytes | None:
        rows = self._rows("SELECT content FROM documents WHERE checksum = ?", (checksum,))
        return bytes(rows[0][0]) if rows else None

    # --- what this platform knows of each eBL ---------------------------------------------

    def remember(self, td_checksum: str, transport_document: Any, chain: Sequence[str]) -> None:
        """Keep the transport document and ``chain`` as this platform's knowledge of the eBL.

        The chain replaces what was known only if it extends it: a platform never forgets an
        entry it has seen (that is what ``DISE`` is judged against).
        """
        with self.writing():
            self._db.execute(
                "INSERT OR IGNORE INTO transport_documents (td_checksum, canonical) VALUES (?, ?)",
                (td_checksum, canonical_bytes(transport_document)),
            )
            known = self.known_checksums(td_checksum)
            sums = [signed_content_checksum(e) for e in chain]
            if sums[: len(known)] != list(known):
                raise ValueError(f"the chain of {td_checksum} does not extend the known chain")
            self._db.executemany(
                "INSERT INTO chain_entries (td_checksum, position, checksum, entry) "
                "VALUES (?, ?, ?, ?)",
                [(td_checksum, i, sums[i], chain[i]) for i in range(len(known), len(chain))],
            )

    def remember_own(self, td_checksum: str, entry: str) -> None:
        with self.writing():
            self._db.execute(
                "INSERT OR IGNORE INTO own_entries (checksum, td_checksum, entry) VALUES (?, ?, ?)",
                (signed_content_checksum(entry), td_checksum, entry),
            )

    def transport_document(self, td_checksum: str) -> Any | None:
        rows = self._rows(
            "SELECT canonical FROM transport_documents WHERE td_checksum = ?", (td_checksum,)
        )
        return parse_json(bytes(rows[0][0])) if rows else None

    def chain(self, td_checksum: str) -> tuple[str, ...]:
        rows = self._rows(
            "SELECT entry FROM chain_entries WHERE td_checksum = ? ORDER BY position",
            (td_checksum,),
        )
        return tuple(str(r[0]) for r in rows)

    def known_checksums(self, td_checksum: str) -> tuple[str, ...]:
        rows = self._rows(
            "SELECT checksum FROM chain_entries WHERE td_checksum = ? ORDER BY position",
            (td_checksum,),
        )
        return tuple(str(r[0]) for r in rows)

    def history(self, td_checksum: str, control: LocalControl) -> History:
        accepted = self._rows(
            "SELECT last_checksum, payload_checksum, last_entry FROM inbound "
            "WHERE td_checksum = ? AND state = 'accepted'",
            (td_checksum,),
        )
        own = self._rows("SELECT checksum FROM own_entries WHERE td_checksum = ?", (td_checksum,))
        return History(
            known=self.known_checksums(td_checksum),
            accepted={str(r[0]): str(r[2]) for r in accepted},
            accepted_payloads={str(r[1]): str(r[2]) for r in accepted},
            own=frozenset(str(r[0]) for r in own),
            control=control,
        )

    # --- envelopes being received ---------------------------------------------------------

    def _inbound(self, row: tuple[Any, ...]) -> InboundRecord:
        return InboundRecord(
            reference=str(row[0]),
            td_checksum=str(row[1]),
            last_checksum=str(row[2]),
            envelope=json.loads(row[3]),
            state=str(row[4]),
            response=row[5],
            response_status=row[6],
        )

    _INBOUND = (
        "SELECT reference, td_checksum, last_checksum, envelope, state, response, "
        "response_status FROM inbound"
    )

    def inbound(self, reference: str) -> InboundRecord | None:
        rows = self._rows(self._INBOUND + " WHERE reference = ?", (reference,))
        return self._inbound(rows[0]) if rows else None

    def pending_inbound(self, td_checksum: str) -> InboundRecord | None:
        rows = self._rows(
            self._INBOUND + " WHERE td_checksum = ? AND state = 'pending'", (td_checksum,)
        )
        return self._inbound(rows[0]) if rows else None

    def accepted_inbound(self, last_checksum: str) -> InboundRecord | None:
        rows = self._rows(
            self._INBOUND + " WHERE last_checksum = ? AND state = 'accepted'", (last_checksum,)
        )
        return self._inbound(rows[0]) if rows else None

    def open_inbound(
        self, reference: str, td_checksum: str, envelope: dict[str, Any], state: str = "pending"
    ) -> None:
        """A new envelope transfer; a pending one for the same eBL is superseded (DCSA: a
        new start for an eBL with an active transfer is the sender retrying)."""
        chain = envelope["envelopeTransferChain"]
        now = _now()
        with self.writing():
            self._db.execute(
                "UPDATE inbound SET state = 'superseded', updated_at = ? "
                "WHERE td_checksum = ? AND state = 'pending'",
                (now, td_checksum),
            )
            self._db.execute(
                "INSERT INTO inbound (reference, td_checksum, last_checksum, payload_checksum, "
                "last_entry, envelope, state, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    reference,
                    td_checksum,
                    signed_content_checksum(chain[-1]),
                    sha256_hex(payload_bytes(chain[-1])),
                    chain[-1],
                    json.dumps(envelope, ensure_ascii=False),
                    state,
                    now,
                    now,
                ),
            )

    def close_inbound(self, reference: str, state: str, response: str, status: int) -> None:
        with self.writing():
            self._db.execute(
                "UPDATE inbound SET state = ?, response = ?, response_status = ?, updated_at = ? "
                "WHERE reference = ?",
                (state, response, status, _now(), reference),
            )

    def final_answer(self, envelope_checksum: str) -> tuple[str, int] | None:
        """The signed rejection (BENV, BSIG) or dispute (DISE) this exact envelope got: it
        is final, so a replay of the envelope can never be accepted later."""
        rows = self._rows(
            "SELECT response, status FROM final_answers WHERE envelope_checksum = ?",
            (envelope_checksum,),
        )
        return (str(rows[0][0]), int(rows[0][1])) if rows else None

    def keep_final_answer(
        self, envelope_checksum: str, last_checksum: str, response: str, status: int
    ) -> None:
        with self.writing():
            self._db.execute(
                "INSERT OR IGNORE INTO final_answers (envelope_checksum, last_checksum, "
                "response, status) VALUES (?, ?, ?, ?)",
                (envelope_checksum, last_checksum, response, status),
            )

    def count_accepted(self, td_checksum: str) -> int:
        rows = self._rows(
            "SELECT COUNT(*) FROM inbound WHERE td_checksum = ? AND state = 'accepted'",
            (td_checksum,),
        )
        return int(rows[0][0])

    # --- envelopes being sent -------------------------------------------------------------

    _OUTBOUND = (
        "SELECT last_checksum, td_checksum, peer_platform, peer_url, actor, action, recipient, "
        "envelope, documents, reference, state, response, response_code, reason FROM outbound"
    )

    def _outbound(self, row: tuple[Any, ...]) -> OutboundRecord:
        return OutboundRecord(
            last_checksum=str(row[0]),
            td_checksum=str(row[1]),
            peer_platform=str(row[2]),
            peer_url=str(row[3]),
            actor=str(row[4]),
            action=str(row[5]),
            recipient=json.loads(row[6]),
            envelope=str(row[7]),
            documents=tuple(json.loads(row[8])),
            reference=row[9],
            state=str(row[10]),
            response=row[11],
            response_code=row[12],
            reason=row[13],
        )

    def active_outbound(self, td_checksum: str) -> OutboundRecord | None:
        rows = self._rows(
            self._OUTBOUND + " WHERE td_checksum = ? AND state IN ('in_flight', 'disputed')",
            (td_checksum,),
        )
        return self._outbound(rows[0]) if rows else None

    def outbound(self, last_checksum: str) -> OutboundRecord | None:
        rows = self._rows(self._OUTBOUND + " WHERE last_checksum = ?", (last_checksum,))
        return self._outbound(rows[0]) if rows else None

    def outbound_for(self, td_checksum: str) -> list[OutboundRecord]:
        rows = self._rows(
            self._OUTBOUND + " WHERE td_checksum = ? ORDER BY created_at", (td_checksum,)
        )
        return [self._outbound(r) for r in rows]

    def begin_outbound(
        self,
        *,
        last_checksum: str,
        td_checksum: str,
        peer_platform: str,
        peer_url: str,
        actor: str,
        action: str,
        recipient: dict[str, Any],
        envelope: str,
        documents: Iterable[tuple[str, bytes]],
        own_entry: str,
    ) -> OutboundRecord:
        """Record the envelope as in flight, atomically refusing a second active one."""
        now = _now()
        docs = list(documents)
        with self.writing():
            active = self.active_outbound(td_checksum)
            if active is not None:
                raise AlreadyActiveError(td_checksum, active.peer_platform, active.state)
            try:
                self._db.execute(
                    "INSERT INTO outbound (last_checksum, td_checksum, peer_platform, peer_url, "
                    "actor, action, recipient, envelope, documents, state, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'in_flight', ?, ?)",
                    (
                        last_checksum,
                        td_checksum,
                        peer_platform,
                        peer_url,
                        actor,
                        action,
                        json.dumps(recipient, ensure_ascii=False),
                        envelope,
                        json.dumps([c for c, _ in docs]),
                        now,
                        now,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise AlreadyActiveError(td_checksum, peer_platform, "in_flight") from exc
            for checksum, content in docs:
                self.put_document(checksum, content)
            self.remember_own(td_checksum, own_entry)
        record = self.outbound(last_checksum)
        assert record is not None
        return record

    def set_reference(self, last_checksum: str, reference: str) -> None:
        with self.writing():
            self._db.execute(
                "UPDATE outbound SET reference = ?, updated_at = ? WHERE last_checksum = ?",
                (reference, _now(), last_checksum),
            )

    def close_outbound(
        self,
        last_checksum: str,
        state: str,
        response: str | None,
        code: str | None,
        reason: str | None,
    ) -> None:
        with self.writing():
            self._db.execute(
                "UPDATE outbound SET state = ?, response = ?, response_code = ?, reason = ?, "
                "updated_at = ? WHERE last_checksum = ?",
                (state, response, code, reason, _now(), last_checksum),
            )
