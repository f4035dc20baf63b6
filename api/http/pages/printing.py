"""A document's printable certificate, from the node: its content (as the read policy lets
the reader see it), its record on the ledger, the node's verification of its signed copy,
and the QR code's text for the node's verify URL. Shared by ``GET /v1/documents/{id}/print``,
the Document page's print link and ``tdx doc print``."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from api.http.pages import certificate
from api.http.pages.i18n import Catalog
from api.http.pages.lookup import qr_text
from chaincode.documents import envelope
from chaincode.documents.registry import DocumentKind
from chaincode.read_policy import Reader
from network.node import Node

# The field that names a document to people, by kind.
REFERENCE_FIELDS: Mapping[DocumentKind, str] = {
    DocumentKind.CO: "certificateNumber",
    DocumentKind.EBL: "transportDocumentReference",
    DocumentKind.PHYTO: "id",
    DocumentKind.RAIL: "noteNumber",
}


def reference_of(kind: DocumentKind | str, content: Mapping[str, Any]) -> str | None:
    try:
        field = REFERENCE_FIELDS[DocumentKind(kind)]
    except ValueError:
        return None
    value = content.get(field)
    return value if isinstance(value, str) else None


def certificate_data(
    node: Node, doc_id: str, reader: Reader, base_url: str, now: datetime.datetime
) -> certificate.CertificateData:
    """Raises the read policy's ``ReadRefusal`` (the content is the strictest read) or a
    ``Refusal`` for a document the ledger or the store does not hold."""
    record = node.status(doc_id, reader).record
    signed = node.signed_document(doc_id, reader)
    content = envelope.parse(signed).document
    report = node.verify(signed)
    facts = report.facts
    return certificate.CertificateData(
        kind=record.kind.value,
        reference=reference_of(record.kind, content),
        digest=doc_id,
        issuer=record.issuer,
        issuer_name=facts.issuer_name,
        issuer_country=facts.issuer_country or record.country,
        anchored_at=record.issued_at.isoformat(timespec="seconds"),
        state=record.state.value,
        holder=record.holder,
        verified=report.valid,
        content=content,
        qr_text=qr_text(base_url, doc_id),
        node=node.audience,
        printed_at=now,
    )


def print_pdf(
    node: Node,
    doc_id: str,
    reader: Reader,
    base_url: str,
    t: Catalog,
    now: datetime.datetime,
) -> bytes:
    return certificate.render(certificate_data(node, doc_id, reader, base_url, now), t)


__all__ = ["REFERENCE_FIELDS", "certificate_data", "print_pdf", "reference_of"]
