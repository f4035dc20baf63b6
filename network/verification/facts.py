"""What a verification of a signed document established besides its checks, typed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from chaincode.documents.registry import DocumentKind
from chaincode.records import DocState
from identity.checks import Report


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    format: str | None = None
    kind: DocumentKind | None = None
    digest: str | None = None
    signed_at: datetime.datetime | None = None
    # The signer, as its trusted certificate names it.
    issuer: str | None = None
    issuer_name: str | None = None
    issuer_country: str | None = None
    # The ledger's record, once bound to the signer.
    anchored_at: datetime.datetime | None = None
    state: DocState | None = None
    holder: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in (
            ("kind", self.kind),
            ("digest", self.digest),
            ("signedAt", self.signed_at),
            ("issuer", self.issuer),
            ("issuerName", self.issuer_name),
            ("issuerCountry", self.issuer_country),
            ("anchoredAt", self.anchored_at),
            ("state", self.state),
            ("holder", self.holder),
        ):
            if value is not None:
                out[key] = value.isoformat() if isinstance(value, datetime.datetime) else str(value)
        return out


# The result of verifying a presented document: frozen checks and typed facts.
Verification = Report[DocumentFacts]

__all__ = ["DocumentFacts", "Verification"]
