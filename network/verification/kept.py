"""Relying on what this node verified at issue: the signed bytes it keeps are verified
before it keeps them, and a later verification of the very same bytes may rely on that.

At issue (``verify_for_keeping``) the node reads the signed bytes it is about to keep as
any verifier would (format, signature with an allowlisted algorithm, integrity against the
digest it validated) and notes the SHA-256 of exactly those bytes beside its ledger entry
(``ledger.evidence.IssueValidation.verified``). A later verification (``relied``) whose
presented bytes have that SHA-256, under the same rules fingerprint (which covers the
format's reader and the canonical form) and the same verifier (``verifier``: the signature
code and pyca/cryptography's version, noted with the SHA-256), is of bytes that passed those
three checks: each is a pure function of the bytes and the code, so it is not recomputed,
and its reason says so.
What depends on time or on the ledger is still judged at verification: the algorithm is
still on the trust list's allowlist and the key's, and the chain, role, revocation,
anchoring, status and inclusion run as on the full path. Any other bytes (one byte changed,
re-serialised, another signer's envelope of the same digest) have another SHA-256 and take
the full path; ``full=True`` takes it always.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import cryptography

import identity.jws
import identity.national
from chaincode.canonical import CanonicalizationError, canonical_bytes, digest_bytes
from chaincode.documents.registry import DocumentKind
from ledger.evidence import Evidence
from network.verification import rules
from network.verification.formats import (
    FormatError,
    Input,
    KeptFormat,
    OpenedSignature,
    SignatureError,
)


@functools.cache
def verifier() -> str:
    """``verifier:<hex>``, a SHA-256 over what checks a signature's mathematics and opens a
    format (``identity.jws``, the national algorithms, this package's formats and this
    module) and pyca/cryptography's version: the note names it, so that a verification
    under other code recomputes what the note would otherwise stand for."""
    files = [Path(identity.jws.__file__), Path(__file__).with_name("formats.py"), Path(__file__)]
    national = Path(identity.national.__file__).parent
    files += sorted(p for p in national.glob("*.py"))
    h = hashlib.sha256(cryptography.__version__.encode())
    for path in files:
        data = path.read_bytes()
        h.update(len(path.name).to_bytes(4, "big") + path.name.encode())
        h.update(len(data).to_bytes(8, "big") + data)
    return "verifier:" + h.hexdigest()[:32]


def note_of(data: bytes) -> str:
    """The note kept for signed bytes verified at issue: their SHA-256 and the verifier."""
    return f"{digest_bytes(data)} {verifier()}"


def verify_for_keeping(
    fmt: KeptFormat, algorithms: frozenset[str], data: bytes, kind: DocumentKind, digest: str
) -> str | None:
    """The note to keep (``note_of``: ``data``'s SHA-256 and the verifier) if ``data`` read
    (strictly) as a signed document of ``kind`` whose signature verifies with an algorithm
    of ``algorithms`` and whose canonical digest is ``digest``, the signed one; None
    otherwise (nothing will be relied on)."""
    try:
        presented = fmt.read(Input(data))
        if presented is None or presented.kind is not kind:
            return None
        opened = fmt.open_signature(presented, algorithms)
        canonical = digest_bytes(canonical_bytes(presented.content))
    except (FormatError, SignatureError, CanonicalizationError):
        return None
    if opened.kind != kind.value or opened.digest != digest or canonical != digest:
        return None
    return note_of(data)


@dataclass(frozen=True)
class Relied:
    """Bytes byte-identical to bytes this node verified at issue: their signature's claims,
    the ledger's evidence found for them, and the SHA-256 that matched."""

    opened: OpenedSignature
    kind: DocumentKind
    evidence: Evidence
    sha256: str

    def format_reason(self, format_name: str) -> str:
        return (
            f"{format_name}, kind {self.kind}: the presented bytes are byte-identical "
            f"({self.sha256[:19]}) to the signed document this node read and verified when it "
            "issued it, under the same rules"
        )

    def signature_reason(self) -> str:
        return (
            f"{self.opened.algorithm} signature verifies with the x5c certificate: verified by "
            "this node at issue over these same bytes (SHA-256 identical), not recomputed; the "
            "algorithm is still allowed and still the certificate key's"
        )

    def integrity_reason(self) -> str:
        return (
            f"digest {self.opened.digest} matches the signed digest: checked by this node at "
            "issue over these same bytes, under the same rules"
        )


def relied(data: bytes, opened: OpenedSignature, evidence: Evidence | None) -> Relied | None:
    """The relying path's gate: ``data`` are the bytes this node verified at issue for the
    signed digest (their SHA-256 is the one it noted), with the same verifier code and
    rules, and the kind the signature claims is the kind noted; None otherwise (the full
    path then runs)."""
    at_issue = evidence.validated if evidence is not None else None
    if evidence is None or at_issue is None or at_issue.verified is None:
        return None
    if evidence.digest != opened.digest or at_issue.kind != opened.kind:
        return None
    if at_issue.rules != rules.fingerprint():
        return None
    note = note_of(data)  # the bytes' SHA-256, and the same verifier code
    if note != at_issue.verified:
        return None
    return Relied(opened, at_issue.kind, evidence, note.split(" ", 1)[0])


__all__ = ["Relied", "note_of", "relied", "verifier", "verify_for_keeping"]
