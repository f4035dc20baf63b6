"""DCSA eBL 3.0.3 TransportDocument JSON in and out of tdx, unchanged.

A document comes in only if DCSA's schema and tdx's rules both accept it
(``chaincode.documents``); it is kept exactly as submitted, so its RFC 8785 form (and the
SHA-256 that is both its tdx id and its PINT checksum) never changes. It goes out only if
what is stored still has the id it is asked for and still passes the same checks, so an
export is byte for byte the import once both are in canonical form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chaincode.canonical import digest
from chaincode.documents.registry import DocumentKind, ValidDocument, validate_document


class ExportError(ValueError):
    """The stored document is not the transport document asked for."""


def read_transport_document(data: bytes | str | Mapping[str, Any]) -> ValidDocument:
    """Validate a TransportDocument; raises ``InvalidDocumentError`` with every error."""
    return validate_document(DocumentKind.EBL, data)


def export_transport_document(
    document: Mapping[str, Any], document_id: str, canonical: bool = False
) -> bytes:
    """The stored ``document`` as JSON: RFC 8785 bytes, or indented for people."""
    if digest(dict(document)) != document_id:
        raise ExportError(f"the stored document is not {document_id} (its digest differs)")
    valid = read_transport_document(document)
    if canonical:
        return valid.canonical
    return json.dumps(valid.content, indent=2, ensure_ascii=False).encode() + b"\n"


__all__ = ["ExportError", "export_transport_document", "read_transport_document"]
