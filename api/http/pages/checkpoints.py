"""A signed checkpoint as the pages show it: the tree head (origin, size, root) and every
signature on the note, the log's own marked; the others are witnesses' cosignatures, shown
as the note carries them (their keys are the witnesses' to publish)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from ledger.tlog import checkpoint


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


__all__ = ["CheckpointView", "Signature", "checkpoint_view"]
