"""Evidence that a log showed two histories, in a form anyone can re-check offline.

Two kinds, both made of checkpoints the log itself signed:

- ``same-size``: two checkpoints of one size with different roots. One tree has one root, so
  this proves equivocation outright.
- ``inconsistent``: two checkpoints of different sizes, and the consistency proof that was
  offered between them, which fails. It shows the two cannot be reconciled by that proof;
  a proof that holds (which only an honest log can produce) would refute it.

``recheck`` verifies a ``tdx-equivocation/1`` document with nothing but the log's key and
returns a structured report: every check with a name, a status and a reason.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from identity.checks import Check, Status
from ledger.tlog import merkle
from ledger.tlog.checkpoint import Checkpoint, CheckpointError, open_note, parse_verifier_key

FORMAT = "tdx-equivocation/1"


class Kind(enum.StrEnum):
    SAME_SIZE = "same-size"
    INCONSISTENT = "inconsistent"


class EvidenceCheck(enum.StrEnum):
    FORMAT = "format"
    KEY = "log-key"
    FIRST = "first-checkpoint"
    SECOND = "second-checkpoint"
    CONFLICT = "conflict"


class EvidenceError(ValueError):
    """An evidence document that is not ``tdx-equivocation/1``; names the field."""


@dataclass(frozen=True)
class Equivocation:
    """Two signed checkpoints of one log that cannot both be true (``first`` is the smaller,
    or for ``same-size`` the one seen first), with what shows it."""

    kind: Kind
    origin: str
    log_key: str
    first: str
    second: str
    # The consistency proof from the first size to the second that fails (``inconsistent``).
    proof: tuple[bytes, ...]
    # Where that proof came from: the log's own node, or an add-checkpoint request.
    proof_source: str
    detected_by: str
    detected_at: datetime.datetime

    @classmethod
    def of(
        cls,
        log_key: str,
        held: str,
        other: str,
        proof: Sequence[bytes],
        proof_source: str,
        detected_by: str,
        detected_at: datetime.datetime,
    ) -> Equivocation:
        """Evidence from two notes signed by ``log_key``: same-size if their sizes are equal,
        else inconsistent (``proof`` then runs from the smaller to the larger)."""
        a, b = open_note(held, log_key), open_note(other, log_key)
        if a.origin != b.origin:
            raise EvidenceError(f"the checkpoints are of two logs: {a.origin}, {b.origin}")
        if a.size == b.size:
            if a.root == b.root:
                raise EvidenceError("the two checkpoints are of the same tree")
            kind, proof = Kind.SAME_SIZE, ()
        else:
            kind = Kind.INCONSISTENT
            if a.size > b.size:
                held, other = other, held
        return cls(
            kind,
            a.origin,
            log_key,
            held,
            other,
            tuple(proof),
            proof_source,
            detected_by,
            detected_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": self.kind.value,
            "origin": self.origin,
            "logKey": self.log_key,
            "first": self.first,
            "second": self.second,
            "consistencyProof": [base64.b64encode(h).decode() for h in self.proof],
            "proofSource": self.proof_source,
            "detectedBy": self.detected_by,
            "detectedAt": self.detected_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Any) -> Equivocation:
        if not isinstance(data, dict):
            raise EvidenceError("the evidence must be a JSON object")
        if data.get("format") != FORMAT:
            raise EvidenceError(f"format: must be {FORMAT!r}")
        texts = {}
        for field in ("origin", "logKey", "first", "second", "proofSource", "detectedBy"):
            value = data.get(field)
            if not isinstance(value, str):
                raise EvidenceError(f"{field}: must be a string")
            texts[field] = value
        try:
            kind = Kind(str(data.get("kind")))
        except ValueError:
            raise EvidenceError(f"kind: must be one of {[k.value for k in Kind]}") from None
        proof = data.get("consistencyProof")
        if not isinstance(proof, list) or not all(isinstance(h, str) for h in proof):
            raise EvidenceError("consistencyProof: must be a list of base64 hashes")
        if len(proof) > 64:
            raise EvidenceError("consistencyProof: at most 64 hashes")
        try:
            hashes = tuple(base64.b64decode(h, validate=True) for h in proof)
            at = datetime.datetime.fromisoformat(str(data.get("detectedAt")))
        except (binascii.Error, ValueError) as exc:
            raise EvidenceError(f"consistencyProof or detectedAt: {exc}") from None
        return cls(
            kind,
            texts["origin"],
            texts["logKey"],
            texts["first"],
            texts["second"],
            hashes,
            texts["proofSource"],
            texts["detectedBy"],
            at,
        )


@dataclass(frozen=True)
class EvidenceReport:
    checks: tuple[Check[EvidenceCheck], ...]
    kind: Kind | None
    origin: str | None

    @property
    def valid(self) -> bool:
        """Whether the evidence holds: every check passed."""
        return bool(self.checks) and all(c.status is Status.PASS for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "kind": self.kind.value if self.kind else None,
            "origin": self.origin,
            "checks": [c.to_json() for c in self.checks],
        }


def recheck(data: Any, log_key: str | None = None) -> EvidenceReport:
    """Re-check evidence offline. ``log_key`` is the log's verifier key as the checker knows
    it; without one, the key the evidence names is used and the ``log-key`` check is not
    run, so the report is not valid: evidence is only as good as the key it is checked with.
    """
    try:
        ev = Equivocation.from_json(data)
    except EvidenceError as exc:
        return EvidenceReport((Check.failed(EvidenceCheck.FORMAT, str(exc)),), None, None)
    checks: list[Check[EvidenceCheck]] = [
        Check.passed(EvidenceCheck.FORMAT, f"{FORMAT}, {ev.kind.value}, log {ev.origin}")
    ]

    def report(done: list[Check[EvidenceCheck]]) -> EvidenceReport:
        return EvidenceReport(tuple(done), ev.kind, ev.origin)

    try:
        parse_verifier_key(log_key or ev.log_key)
    except CheckpointError as exc:
        checks.append(Check.failed(EvidenceCheck.KEY, f"the log key: {exc}"))
        return report(checks)
    if log_key is None:
        checks.append(
            Check.not_checked(
                EvidenceCheck.KEY,
                f"checked with the key the evidence names ({ev.log_key}); give the log's key "
                "as you know it to confirm the checkpoints are its",
            )
        )
    elif log_key != ev.log_key:
        checks.append(
            Check.passed(EvidenceCheck.KEY, f"your key {log_key} (the evidence names {ev.log_key})")
        )
    else:
        checks.append(Check.passed(EvidenceCheck.KEY, f"the log's key {log_key}"))
    key = log_key or ev.log_key
    opened: list[Checkpoint] = []
    for name, note in ((EvidenceCheck.FIRST, ev.first), (EvidenceCheck.SECOND, ev.second)):
        try:
            cp = open_note(note, key)
        except CheckpointError as exc:
            checks.append(Check.failed(name, f"not signed by the log's key: {exc}"))
            continue
        if cp.origin != ev.origin:
            checks.append(Check.failed(name, f"of log {cp.origin}, not {ev.origin}"))
            continue
        opened.append(cp)
        checks.append(
            Check.passed(name, f"size {cp.size}, root {_b64(cp.root)}, signed by the log")
        )
    if len(opened) != 2:
        checks.append(Check.not_checked(EvidenceCheck.CONFLICT, "needs both checkpoints"))
        return report(checks)
    checks.append(_conflict(ev, opened[0], opened[1]))
    return report(checks)


def _conflict(ev: Equivocation, a: Checkpoint, b: Checkpoint) -> Check[EvidenceCheck]:
    if ev.kind is Kind.SAME_SIZE:
        if a.size != b.size:
            return Check.failed(EvidenceCheck.CONFLICT, f"sizes {a.size} and {b.size} differ")
        if a.root == b.root:
            return Check.failed(EvidenceCheck.CONFLICT, "the two checkpoints have the same root")
        return Check.passed(
            EvidenceCheck.CONFLICT,
            f"two different trees of size {a.size}, both signed by the log: it equivocated",
        )
    if not a.size < b.size:
        return Check.failed(
            EvidenceCheck.CONFLICT,
            f"the first size ({a.size}) must be smaller than the second ({b.size})",
        )
    if merkle.verify_consistency(a.size, b.size, a.root, b.root, ev.proof):
        return Check.failed(
            EvidenceCheck.CONFLICT,
            f"the proof from size {a.size} to {b.size} holds: the checkpoints are consistent",
        )
    return Check.passed(
        EvidenceCheck.CONFLICT,
        f"the consistency proof from size {a.size} to {b.size} ({ev.proof_source}) fails; "
        "only a proof that holds, from the log, would refute this",
    )


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


__all__ = [
    "FORMAT",
    "Equivocation",
    "EvidenceCheck",
    "EvidenceError",
    "EvidenceReport",
    "Kind",
    "recheck",
]
