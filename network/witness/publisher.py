"""The log role: submitting the node's latest checkpoint to its witnesses (C2SP tlog-witness
add-checkpoint) and keeping the cosignatures they return.

``submit_checkpoint`` makes one pass: for each witness it sends the latest checkpoint with a
consistency proof from the size that witness last cosigned, follows a 409 to the size the
witness says it holds, and retries an unreachable witness a bounded number of times. It
runs off the commit path: a commit never waits for a witness.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from ledger.tlog import cosignature
from ledger.tlog.add_checkpoint import AddCheckpoint, AddCheckpointError, parse_size_body
from ledger.tlog.checkpoint import Checkpoint, CheckpointError, parse_note
from network.witness.client import PeerUnreachable, WitnessClient
from network.witness.store import CosignatureRow, PeerRow, WitnessStore

# A witness's clock may run ahead of ours; a cosignature dated further ahead is refused.
CLOCK_SKEW = 300
# Retries pause on an event nobody sets, unless the caller passes its stop event's wait.
_PAUSE = threading.Event()


class ProvingLog(Protocol):
    """What the publisher needs of the node's ledger (``ledger.interface.ProvableLedger``)."""

    def checkpoint(self) -> str: ...

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]: ...


@dataclass(frozen=True)
class Submission:
    """What one witness did with the checkpoint in one pass."""

    witness: str
    key: str
    size: int
    outcome: str  # cosigned | up-to-date | refused | unreachable | waiting
    detail: str
    attempts: int

    @property
    def cosigned(self) -> bool:
        return self.outcome in {"cosigned", "up-to-date"}


def submit_checkpoint(
    store: WitnessStore,
    log: ProvingLog,
    client: WitnessClient,
    clock: Callable[[], datetime.datetime],
    attempts: int = 3,
    backoff: float = 0.2,
    wait: Callable[[float], object] = _PAUSE.wait,
    waiting: Callable[[PeerRow, int], bool] = lambda peer, size: False,
) -> list[Submission]:
    """Submit the log's latest checkpoint to every witness recorded in ``store`` (in
    parallel) and record what each answered. ``wait`` is how a retry pauses (a stop event's
    ``wait`` ends it early); a witness for which ``waiting(peer, size)`` is true is left
    for a later round (the caller's backoff after a failure)."""
    peers = store.peers()
    if not peers:
        return []
    note = log.checkpoint()
    cp = Checkpoint.parse(parse_note(note).text)
    done = {c.witness_key for c in store.cosignatures(cp.size, cp.root)}
    if any(p.witness_key not in done for p in peers):  # else nothing to write: a cheap poll
        store.record_published(cp.size, cp.root, note)
    known = store.submissions()

    def one(peer: PeerRow) -> Submission:
        if peer.witness_key in done:
            return Submission(peer.name, peer.witness_key, cp.size, "up-to-date", "", 0)
        if waiting(peer, cp.size):
            return Submission(peer.name, peer.witness_key, cp.size, "waiting", "backoff", 0)
        sub = known.get(peer.witness_key)
        return _submit(
            store,
            log,
            client,
            clock,
            peer,
            note,
            cp,
            sub.size if sub else 0,
            attempts,
            backoff,
            wait,
        )

    with ThreadPoolExecutor(max_workers=min(8, len(peers))) as pool:
        return list(pool.map(one, peers))


def _submit(
    store: WitnessStore,
    log: ProvingLog,
    client: WitnessClient,
    clock: Callable[[], datetime.datetime],
    peer: PeerRow,
    note: str,
    cp: Checkpoint,
    old: int,
    attempts: int,
    backoff: float,
    wait: Callable[[float], object],
) -> Submission:
    def outcome(kind: str, detail: str, tried: int, held: int | None = None) -> Submission:
        if kind != "cosigned":
            store.record_failure(peer.witness_key, held, int(clock().timestamp()), detail)
        return Submission(peer.name, peer.witness_key, cp.size, kind, detail, tried)

    held: int | None = None
    for attempt in range(1, attempts + 1):
        if old > cp.size:
            return outcome(
                "refused",
                f"the witness holds size {old}, beyond this log's {cp.size}: a rollback?",
                attempt - 1,
                old,
            )
        try:
            proof = tuple(log.consistency_proof(old, cp.size)) if old else ()
        except (ValueError, LookupError) as exc:
            return outcome("refused", f"no consistency proof from size {old}: {exc}", attempt - 1)
        try:
            answer = client.add_checkpoint(peer.url, AddCheckpoint(old, proof, note).encode())
        except PeerUnreachable as exc:
            if attempt < attempts:
                wait(backoff * 2 ** (attempt - 1))
                continue
            return outcome("unreachable", str(exc), attempt, held)
        if answer.status == 409:
            try:
                old = held = parse_size_body(answer.body)
            except AddCheckpointError as exc:
                return outcome("refused", f"409 with {exc}", attempt)
            continue  # the witness said where it is: at once again, from there
        if answer.status != 200:
            detail = answer.body.decode(errors="replace")[:300]
            return outcome("refused", f"HTTP {answer.status}: {detail}", attempt, held)
        return _keep(store, clock, peer, note, cp, answer.body, attempt)
    return outcome("refused", f"no agreement on the old size after {attempts} tries", attempts)


def _keep(
    store: WitnessStore,
    clock: Callable[[], datetime.datetime],
    peer: PeerRow,
    note: str,
    cp: Checkpoint,
    body: bytes,
    attempt: int,
) -> Submission:
    now = int(clock().timestamp())
    try:
        cosigned = cosignature.add(note, body.decode())
        found = cosignature.verify(cosigned, peer.witness_key, now + CLOCK_SKEW)
    except (CheckpointError, UnicodeDecodeError) as exc:
        store.record_failure(
            peer.witness_key, None, now, f"a 200 without a valid cosignature: {exc}"
        )
        return Submission(peer.name, peer.witness_key, cp.size, "refused", str(exc), attempt)
    row = CosignatureRow(peer.witness_key, cp.size, cp.root, found.line, found.timestamp)
    store.record_cosignature(row, now)
    return Submission(peer.name, peer.witness_key, cp.size, "cosigned", "", attempt)


__all__ = ["ProvingLog", "Submission", "submit_checkpoint"]
