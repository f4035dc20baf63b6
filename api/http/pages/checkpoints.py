"""A signed checkpoint as the pages show it: the tree head (origin, size, root) and every
signature on the note, the log's own marked; the others are witnesses' cosignatures. The
cosignatures of this node's registered witnesses are each verified (C2SP tlog-cosignature)
with the witness's key, and shown with its name, key, the time it cosigned and the result."""

from __future__ import annotations

import base64
import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.tlog import checkpoint, cosignature


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: str
    own: bool


@dataclass(frozen=True)
class CheckpointView:
    origin: str
    size: int
    root: str
    signatures: tuple[Signature, ...]
    note: str
    key: str

    @property
    def cosignatures(self) -> tuple[Signature, ...]:
        return tuple(s for s in self.signatures if not s.own)


@dataclass(frozen=True)
class WitnessCosignature:
    """A registered witness's cosignature on the checkpoint shown, verified with its key."""

    name: str
    key: str  # the witness's verifier key, name+hex(key ID)+base64(key)
    time: datetime.datetime | None  # when it cosigned (the cosignature's own timestamp)
    verified: bool
    reason: str


@dataclass(frozen=True)
class WitnessedView:
    """Each registered witness's cosignature, verified: on the checkpoint shown, or (with
    ``earlier_size`` and ``earlier_root``) while it waits for them, on the latest checkpoint
    they cosigned."""

    cosignatures: tuple[WitnessCosignature, ...]
    earlier_size: int | None
    earlier_root: str | None
    unreadable: str | None = None  # why the stored cosignatures could not be read, if so


def witness_cosignatures(
    note: str, witnesses: Sequence[tuple[str, str]]
) -> tuple[WitnessCosignature, ...]:
    """Each ``(name, verifier key)`` witness's cosignature on ``note``: verified, or why not
    (a witness that has not cosigned this checkpoint is shown as such, never as verified)."""
    out = []
    for name, key in witnesses:
        try:
            found = cosignature.verify(note, key)
        except checkpoint.CheckpointError as exc:
            out.append(WitnessCosignature(name, key, None, False, str(exc)))
            continue
        when = datetime.datetime.fromtimestamp(found.timestamp, datetime.UTC)
        reason = f"Ed25519 cosignature by {found.name}+{found.key_id.hex()} verifies"
        out.append(WitnessCosignature(name, key, when, True, reason))
    return tuple(out)


def checkpoint_view(note: str, key: str) -> CheckpointView:
    """The checkpoint in ``note``, once its signature by ``key`` verifies
    (``checkpoint.CheckpointError`` otherwise)."""
    name, key_id, _ = checkpoint.parse_verifier_key(key)
    cp = checkpoint.open_note(note, key)
    block = note[note.rfind("\n\n") + 2 :]
    signatures = []
    for line in block.splitlines():
        signer, _, blob = line.removeprefix("\u2014 ").partition(" ")
        sig_id = base64.b64decode(blob)[:4]
        signatures.append(Signature(signer, sig_id.hex(), (signer, sig_id) == (name, key_id)))
    return CheckpointView(cp.origin, cp.size, cp.root.hex(), tuple(signatures), note, key)


__all__ = [
    "CheckpointView",
    "Signature",
    "WitnessCosignature",
    "WitnessedView",
    "checkpoint_view",
    "witness_cosignatures",
]
