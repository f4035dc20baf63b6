"""The witness role of a node: it answers add-checkpoint requests from its peers' logs, and
compares every checkpoint of theirs it sees with what it holds.

``add_checkpoint`` runs the pure decision (``ledger.tlog.witness.decide``) inside one write
transaction of ``witness.db``, cosigns an accepted checkpoint and records it before it
answers. Two checkpoints of one size with different roots become evidence at once; a
failing consistency proof becomes a dispute, which the log is then asked to settle with a
proof of its own (``network.witness.disputes``): a request anyone could send must not be
enough to accuse an honest log.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from identity.checks import Check
from ledger.tlog import add_checkpoint, cosignature, merkle
from ledger.tlog.checkpoint import Checkpoint, CheckpointError, open_note, parse_note
from ledger.tlog.equivocation import Equivocation, EvidenceError
from ledger.tlog.witness import Answer, Decision, Held, WitnessCheck, decide
from network.home import Home
from network.witness.cosigner import Cosigner, cosigner_of
from network.witness.store import (
    SeenRow,
    WitnessStore,
    add_seen,
    held_in,
    peers_in,
    seen_in,
)


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class WitnessAnswer:
    """The outcome of an add-checkpoint request: the decision (its ``answer`` is the HTTP
    status) and, when accepted, the cosignature line that is the 200 body."""

    decision: Decision
    cosignature: str | None = None

    @property
    def status(self) -> int:
        return int(self.decision.answer)


@dataclass(frozen=True)
class Observation:
    """What a checkpoint seen elsewhere (gossip) told the witness."""

    origin: str | None
    outcome: str  # ignored | known | new | dispute | evidence
    reason: str


class Witness:
    def __init__(
        self,
        home: Home,
        store: WitnessStore | None = None,
        clock: Callable[[], datetime.datetime] = _utcnow,
        cosigner: Cosigner | None = None,
    ) -> None:
        self.home = home
        self.store = store or WitnessStore.of_home(home.path)
        self.clock = clock
        self._cosigner = cosigner

    @property
    def cosigner(self) -> Cosigner:
        if self._cosigner is None:
            self._cosigner = cosigner_of(self.home)
        return self._cosigner

    def _now(self) -> int:
        return int(self.clock().timestamp())

    # --- add-checkpoint ---------------------------------------------------------------

    def add_checkpoint(self, body: bytes) -> WitnessAnswer:
        """Decide, and for an accepted checkpoint cosign and record it, in one transaction."""
        cosigner = self.cosigner  # read the key before taking the write lock
        now = self._now()
        with self.store.transaction() as db:
            peers = peers_in(db)
            trusted = {p.origin: [p.log_key] for p in peers}
            decision = decide(body, trusted, lambda origin: held_in(db, origin))
            cp = decision.checkpoint
            if decision.cosign and cp is not None:
                note = add_checkpoint.AddCheckpoint.parse(body).note
                other = next(
                    (r for r in seen_in(db, cp.origin, cp.size) if r.root != cp.root), None
                )
                if other is not None:
                    # Consistent with what it cosigned, but another tree of this size was seen
                    # signed by the log (shown to another witness): cosign neither.
                    self._flag(db, trusted[cp.origin][0], other.note, note, (), now)
                    return WitnessAnswer(
                        _refused(
                            decision,
                            f"size {cp.size} was seen with another root ({other.source}): the "
                            "log signed two different trees of one size",
                        )
                    )
                line = cosigner.cosign(cp, now)
                cosigned = cosignature.add(note, line)
                db.execute(
                    "INSERT OR REPLACE INTO held VALUES (?, ?, ?, ?, ?)",
                    (cp.origin, cp.size, cp.root, cosigned, now),
                )
                self._saw(db, cp, cosigned, "add-checkpoint (cosigned)", now)
                return WitnessAnswer(decision, line)
            conflict = decision.conflict
            if conflict is not None and cp is not None:
                log_key = trusted[cp.origin][0]
                if conflict.same_size:
                    self._flag(db, log_key, conflict.held.note, conflict.note, (), now)
                else:
                    self._dispute(db, cp.origin, conflict.held.note, conflict.note, now)
        return WitnessAnswer(decision)

    # --- checkpoints seen elsewhere -----------------------------------------------------

    def observe(self, note: str, source: str) -> Observation:
        """Compare a checkpoint of a peer's log, seen anywhere (its node, another witness),
        with what this witness holds. Unsigned or unknown ones are ignored: only the log's
        own signature can accuse it."""
        try:
            origin = Checkpoint.parse(parse_note(note).text).origin
        except CheckpointError as exc:
            return Observation(None, "ignored", f"not a checkpoint: {exc}")
        now = self._now()
        with self.store.transaction() as db:
            peer = next((p for p in peers_in(db) if p.origin == origin), None)
            if peer is None:
                return Observation(origin, "ignored", f"not a log this witness serves: {origin}")
            try:
                cp = open_note(note, peer.log_key)
            except CheckpointError as exc:
                return Observation(origin, "ignored", f"not signed by the log: {exc}")
            clash = self._saw(db, cp, note, source, now)
            if clash is not None:
                return Observation(origin, "evidence", clash)
            held = held_in(db, origin)
            if held is None or held.size == cp.size:
                return Observation(origin, "known", f"size {cp.size}, as held")
            if self._dispute(db, origin, held.note, note, now):
                return Observation(
                    origin,
                    "dispute",
                    f"size {cp.size} against the held {held.size}: the log is asked for a proof",
                )
            return Observation(origin, "known", "already disputed")

    def _saw(
        self, db: sqlite3.Connection, cp: Checkpoint, note: str, source: str, now: int
    ) -> str | None:
        """Record a validly signed checkpoint; evidence, and why, if another root of the same
        size was seen before."""
        clash = None
        for row in seen_in(db, cp.origin, cp.size):
            if row.root != cp.root:
                log_key = next(p.log_key for p in peers_in(db) if p.origin == cp.origin)
                self._flag(db, log_key, row.note, note, (), now)
                clash = f"size {cp.size} with two roots ({row.source}; {source})"
                break
        add_seen(db, cp.origin, SeenRow(cp.size, cp.root, note, source), now)
        return clash

    def _flag(
        self,
        db: sqlite3.Connection,
        log_key: str,
        first: str,
        second: str,
        proof: tuple[bytes, ...],
        now: int,
        proof_source: str = "",
    ) -> Equivocation | None:
        try:
            evidence = Equivocation.of(
                log_key,
                first,
                second,
                proof,
                proof_source,
                self.cosigner.verifier_key,
                datetime.datetime.fromtimestamp(now, datetime.UTC),
            )
        except (EvidenceError, CheckpointError):
            return None
        if _already_held(db, evidence):
            return evidence
        db.execute(
            "INSERT OR IGNORE INTO evidence (origin, kind, first_note, second_note, document, "
            "detected_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                evidence.origin,
                evidence.kind.value,
                evidence.first,
                evidence.second,
                json.dumps(evidence.to_json(), indent=2),
                now,
            ),
        )
        return evidence

    def _dispute(
        self, db: sqlite3.Connection, origin: str, held_note: str, other_note: str, now: int
    ) -> bool:
        cursor = db.execute(
            "INSERT OR IGNORE INTO disputes (origin, held_note, other_note, source, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (origin, held_note, other_note, "a checkpoint that the held one does not prove", now),
        )
        return cursor.rowcount > 0

    def settle(
        self, dispute_id: int, proof: tuple[bytes, ...] | None, source: str, error: str | None
    ) -> str:
        """Settle a dispute with what the log answered: a proof that holds dismisses it, one
        that fails (or a refusal, ``proof`` None and no ``error``) flags the log; ``error`` (the
        log could not be reached) leaves it open for another attempt."""
        now = self._now()
        with self.store.transaction() as db:
            row = db.execute(
                "SELECT origin, held_note, other_note FROM disputes WHERE id = ?", (dispute_id,)
            ).fetchone()
            if row is None:
                return "gone"
            origin, held_note, other_note = str(row[0]), str(row[1]), str(row[2])
            if error is not None:
                db.execute(
                    "UPDATE disputes SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                    (error, dispute_id),
                )
                return "open"
            log_key = next((p.log_key for p in peers_in(db) if p.origin == origin), None)
            db.execute("DELETE FROM disputes WHERE id = ?", (dispute_id,))
            if log_key is None:
                return "dropped"
            a, b = open_note(held_note, log_key), open_note(other_note, log_key)
            small, large = (a, b) if a.size <= b.size else (b, a)
            if proof is not None and merkle.verify_consistency(
                small.size, large.size, small.root, large.root, proof
            ):
                return "dismissed"
            self._flag(db, log_key, held_note, other_note, proof or (), now, source)
            return "flagged"

    # --- the monitoring view ----------------------------------------------------------

    def monitored(self, origin_hash: str) -> str | None:
        """The latest cosigned checkpoint of the log whose origin hashes (SHA-256, lowercase
        hex) to ``origin_hash``, with the log's signature and this witness's cosignature."""
        for origin, (held, _) in self.store.held_all().items():
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash:
                return held.note
        return None


def _already_held(db: sqlite3.Connection, evidence: Equivocation) -> bool:
    """Whether evidence about the same two trees is held, whatever signatures their notes
    carry: a log resubmitting its other tree, or a witness's view of it, adds nothing."""
    pair = frozenset((parse_note(evidence.first).text, parse_note(evidence.second).text))
    return any(
        frozenset((parse_note(str(first)).text, parse_note(str(second)).text)) == pair
        for first, second in db.execute(
            "SELECT first_note, second_note FROM evidence WHERE origin = ?", (evidence.origin,)
        )
    )


def _refused(decision: Decision, reason: str) -> Decision:
    failed = Check.failed(WitnessCheck.CONSISTENCY, reason)
    checks = (*(c for c in decision.checks if c.name is not WitnessCheck.CONSISTENCY), failed)
    return dataclasses.replace(decision, answer=Answer.INCONSISTENT, checks=checks)


__all__ = ["Held", "Observation", "Witness", "WitnessAnswer"]
