"""The binding rule: the ledger's record speaks for a signed document only if the ledger's
issuer and kind are the signer's.

Without it, any organisation with the right role could re-sign a document that another
anchored and present itself as its issuer, judged at the other's anchoring time (a revoked
one too). Bound, the anchoring time replaces the signer's claimed time for the chain and
revocation checks; unbound, the signer is judged at its own claimed time and ``anchored``
fails, naming both organisations.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaincode.documents.registry import DocumentKind
from identity.checks import Check, CheckName, Status
from ledger.evidence import Evidence


@dataclass(frozen=True)
class Binding:
    check: Check[CheckName]
    evidence: Evidence | None  # set only when the record is the signer's

    @property
    def bound(self) -> bool:
        return self.evidence is not None


def bind(evidence: Evidence | None, signer: str, kind: DocumentKind, digest: str) -> Binding:
    """The ``anchored`` check of a document of ``kind`` and ``digest`` signed by ``signer``."""
    if evidence is None:
        return Binding(
            Check.failed(CheckName.ANCHORED, "the document is not on this node's ledger"), None
        )
    if evidence.digest != digest:
        return Binding(
            Check.failed(
                CheckName.ANCHORED, f"the ledger answered for {evidence.digest}, not {digest}"
            ),
            None,
        )
    if evidence.issuer != signer:
        return Binding(
            Check.failed(
                CheckName.ANCHORED,
                f"the ledger records it as issued by {evidence.issuer} at "
                f"{evidence.time.isoformat()}, but it is signed by {signer}: {signer} did not "
                "anchor it",
            ),
            None,
        )
    if evidence.kind is not kind:
        return Binding(
            Check.failed(
                CheckName.ANCHORED,
                f"the ledger records it as a {evidence.kind.value}, but it is presented as "
                f"a {kind.value}",
            ),
            None,
        )
    return Binding(
        Check(
            CheckName.ANCHORED,
            Status.PASS,
            f"issued by {evidence.issuer} at {evidence.time.isoformat()}, the signer",
        ),
        evidence,
    )


__all__ = ["Binding", "bind"]
