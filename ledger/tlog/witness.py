"""A witness's decision on one add-checkpoint request (C2SP tlog-witness), as a pure function.

Given the request body, the log keys the witness trusts per origin and what it holds for
that origin (the latest checkpoint it cosigned), ``decide`` returns the HTTP status the
protocol prescribes, every check it ran (a name, a status, a reason), and, when two
checkpoints both signed by the log cannot both be true, the ``Conflict`` a caller keeps as
evidence. Nothing here stores, signs or reads a clock: the caller cosigns an accepted
checkpoint and records it, atomically with the read of what it held.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature

from identity.checks import Check, Status
from ledger.tlog import merkle
from ledger.tlog.add_checkpoint import AddCheckpoint, AddCheckpointError
from ledger.tlog.checkpoint import (
    Checkpoint,
    CheckpointError,
    NoteSignature,
    parse_note,
    parse_verifier_key,
)


class WitnessCheck(enum.StrEnum):
    REQUEST = "request"
    ORIGIN = "origin"
    SIGNATURE = "signature"
    OLD_SIZE = "old-size"
    EMPTY_TREE = "empty-tree"
    CONSISTENCY = "consistency"


class Answer(enum.IntEnum):
    """The HTTP status of each outcome, as tlog-witness assigns them."""

    COSIGNED = 200
    BAD_REQUEST = 400
    BAD_SIGNATURE = 403
    UNKNOWN_LOG = 404
    OLD_SIZE_MISMATCH = 409
    INCONSISTENT = 422


@dataclass(frozen=True)
class Held:
    """The latest checkpoint a witness cosigned for one log, and the log's note of it."""

    size: int
    root: bytes
    note: str


@dataclass(frozen=True)
class Conflict:
    """Two checkpoints, both validly signed by the log, that the witness cannot reconcile:
    the one it holds, and a submitted one whose proof from it fails (or of the same size with
    another root). Of the same size it proves equivocation outright; otherwise it shows a
    proof that fails, which the log may still answer with one that holds."""

    held: Held
    note: str
    checkpoint: Checkpoint
    proof: tuple[bytes, ...]

    @property
    def same_size(self) -> bool:
        return self.held.size == self.checkpoint.size


@dataclass(frozen=True)
class Decision:
    answer: Answer
    checks: tuple[Check[WitnessCheck], ...]
    # The submitted checkpoint, once its note parsed.
    checkpoint: Checkpoint | None = None
    # What the witness holds for the origin: the size a 409 reports.
    held_size: int = 0
    conflict: Conflict | None = None

    @property
    def cosign(self) -> bool:
        return self.answer is Answer.COSIGNED

    @property
    def reason(self) -> str:
        """Why the request was refused (the failed check), or that it passed."""
        failed = [c for c in self.checks if c.status is not Status.PASS]
        return failed[0].reason if failed else "every check passed"


# What the witness holds for an origin (None: it never cosigned one), read by the caller
# inside the same transaction that records the outcome.
HeldLookup = Callable[[str], Held | None]


def decide(body: bytes, trusted: Mapping[str, Sequence[str]], held_for: HeldLookup) -> Decision:
    """Decide an add-checkpoint request. ``trusted`` maps each origin the witness serves to
    the verifier keys (C2SP ``name+id+key``, Ed25519) whose signature it accepts."""
    checks: list[Check[WitnessCheck]] = []

    def refuse(
        answer: Answer,
        name: WitnessCheck,
        reason: str,
        checkpoint: Checkpoint | None = None,
        held_size: int = 0,
        conflict: Conflict | None = None,
    ) -> Decision:
        failed = Check.failed(name, reason)
        return Decision(answer, (*checks, failed), checkpoint, held_size, conflict)

    try:
        request = AddCheckpoint.parse(body)
        note = parse_note(request.note)
        cp = Checkpoint.parse(note.text)
    except (AddCheckpointError, CheckpointError) as exc:
        return refuse(Answer.BAD_REQUEST, WitnessCheck.REQUEST, str(exc))
    checks.append(
        Check.passed(
            WitnessCheck.REQUEST,
            f"old size {request.old_size}, "
            f"{len(request.proof)} proof lines, checkpoint size {cp.size}",
        )
    )

    keys = trusted.get(cp.origin)
    if not keys:
        return refuse(
            Answer.UNKNOWN_LOG,
            WitnessCheck.ORIGIN,
            f"unknown log origin {cp.origin!r}",
            checkpoint=cp,
        )
    checks.append(Check.passed(WitnessCheck.ORIGIN, f"a log this witness serves: {cp.origin}"))

    signed, why = _signature(note.text, note.signatures, keys)
    if not signed:
        return refuse(Answer.BAD_SIGNATURE, WitnessCheck.SIGNATURE, why, checkpoint=cp)
    checks.append(Check.passed(WitnessCheck.SIGNATURE, why))

    if request.old_size > cp.size:
        return refuse(
            Answer.BAD_REQUEST,
            WitnessCheck.OLD_SIZE,
            f"old size {request.old_size} is larger than the checkpoint's size {cp.size}",
            checkpoint=cp,
        )
    held = held_for(cp.origin)
    held_size = held.size if held is not None else 0
    if request.old_size != held_size:
        return refuse(
            Answer.OLD_SIZE_MISMATCH,
            WitnessCheck.OLD_SIZE,
            f"old size {request.old_size}, but this witness holds size {held_size}",
            checkpoint=cp,
            held_size=held_size,
        )
    checks.append(
        Check.passed(
            WitnessCheck.OLD_SIZE,
            f"old size {held_size} is the size this witness holds, and {cp.size} is not smaller: "
            "no rollback",
        )
    )

    if cp.size == 0 and cp.root != merkle.EMPTY_ROOT:
        return refuse(
            Answer.INCONSISTENT,
            WitnessCheck.EMPTY_TREE,
            "a checkpoint of size 0 must have the empty tree's root",
            checkpoint=cp,
            held_size=held_size,
        )
    held_root = held.root if held is not None else merkle.EMPTY_ROOT

    def conflict() -> Conflict | None:
        return Conflict(held, request.note, cp, request.proof) if held and held.size else None

    if held_size == 0:
        if request.proof:
            return refuse(
                Answer.INCONSISTENT,
                WitnessCheck.CONSISTENCY,
                "from old size 0 the consistency proof must be empty",
                checkpoint=cp,
                held_size=held_size,
            )
        consistent = f"the empty tree is a prefix of every tree (size {cp.size})"
    elif held_size == cp.size:
        if request.proof:
            # RFC 9162: the proof from a tree to itself is empty; anything else is not one.
            return refuse(
                Answer.INCONSISTENT,
                WitnessCheck.CONSISTENCY,
                f"from size {cp.size} to itself the consistency proof must be empty",
                checkpoint=cp,
                held_size=held_size,
            )
        if cp.root != held_root:
            return refuse(
                Answer.INCONSISTENT,
                WitnessCheck.CONSISTENCY,
                f"size {cp.size} again, but with another root than the one cosigned: the log "
                "signed two different trees of one size",
                checkpoint=cp,
                held_size=held_size,
                conflict=conflict(),
            )
        consistent = f"size {cp.size} again, with the root this witness cosigned"
    elif merkle.verify_consistency(held_size, cp.size, held_root, cp.root, request.proof):
        consistent = f"the RFC 9162 proof from size {held_size} to {cp.size} holds"
    else:
        return refuse(
            Answer.INCONSISTENT,
            WitnessCheck.CONSISTENCY,
            f"the consistency proof from size {held_size} to {cp.size} does not hold",
            checkpoint=cp,
            held_size=held_size,
            conflict=conflict(),
        )
    checks.append(Check.passed(WitnessCheck.CONSISTENCY, consistent))
    return Decision(Answer.COSIGNED, tuple(checks), cp, held_size)


def _signature(
    text: bytes, signatures: Sequence[NoteSignature], keys: Sequence[str]
) -> tuple[bool, str]:
    """Whether a trusted key signed the text, with none of its signatures failing, and why."""
    valid = ""
    for key_text in keys:
        name, key_id, public_key = parse_verifier_key(key_text)
        for sig in signatures:
            if (sig.name, sig.key_id) != (name, key_id):
                continue
            try:
                public_key.verify(sig.signature, text)
            except InvalidSignature:
                return False, f"the signature by the log's key {name}+{key_id.hex()} fails"
            valid = valid or f"signed by the log's key {name}+{key_id.hex()}"
    return (True, valid) if valid else (False, "no signature by a key trusted for the origin")


__all__ = ["Answer", "Conflict", "Decision", "Held", "HeldLookup", "WitnessCheck", "decide"]
