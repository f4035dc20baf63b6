"""The node's checkpoint as it serves it: the log's signed note with the cosignature lines
its witnesses returned for exactly that checkpoint (a C2SP note with several signatures;
readers that know no witness keys ignore them, as signed-note requires).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from ledger.tlog import cosignature
from ledger.tlog.checkpoint import Checkpoint, CheckpointError, parse_note, parse_signature_lines
from network.witness.store import CosignatureRow, WitnessStore


@dataclass(frozen=True)
class WitnessSignature:
    name: str
    key: str
    time: datetime.datetime

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key, "time": self.time.isoformat()}


@dataclass(frozen=True)
class CosignedCheckpoint:
    note: str
    size: int
    witnesses: tuple[WitnessSignature, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "checkpoint": self.note,
            "size": self.size,
            "witnesses": [w.to_json() for w in self.witnesses],
        }


def _readable(line: str) -> bool:
    try:
        parse_signature_lines(line + "\n")
    except CheckpointError:
        return False
    return True


def _attach(
    note: str, size: int, rows: list[CosignatureRow], names: dict[str, str]
) -> CosignedCheckpoint:
    # A stored line that is no signature line (a damaged witness.db) is not served: the
    # note goes out with the lines that are, and never as a 500.
    rows = [r for r in rows if _readable(r.line)]
    if rows:
        note = cosignature.add(note, "".join(r.line + "\n" for r in rows))
    witnesses = tuple(
        WitnessSignature(
            names.get(r.witness_key, r.witness_key.split("+", 1)[0]),
            r.witness_key,
            datetime.datetime.fromtimestamp(r.timestamp, datetime.UTC),
        )
        for r in rows
    )
    return CosignedCheckpoint(note, size, witnesses)


def cosigned(store: WitnessStore, note: str) -> CosignedCheckpoint:
    """``note`` with every cosignature recorded for its checkpoint (size and root)."""
    cp = Checkpoint.parse(parse_note(note).text)
    names = {p.witness_key: p.name for p in store.peers()}
    return _attach(note, cp.size, store.cosignatures(cp.size, cp.root), names)


def latest_witnessed(store: WitnessStore) -> CosignedCheckpoint | None:
    """The largest checkpoint of this log that at least one witness cosigned."""
    found = store.latest_cosigned()
    if found is None:
        return None
    size, root, note = found
    names = {p.witness_key: p.name for p in store.peers()}
    return _attach(note, size, store.cosignatures(size, root), names)


__all__ = ["CosignedCheckpoint", "WitnessSignature", "cosigned", "latest_witnessed"]
