"""The document kinds, their models, and validation into one canonical, digested form.

The canonical form is the RFC 8785 form of the JSON exactly as submitted (after it passed
validation), not a re-serialisation of the model: a DCSA document keeps its checksum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from chaincode.canonical import CanonicalizationError, canonical_bytes, digest_bytes, parse_json
from chaincode.documents.base import FieldError, TradeDocument, field_errors
from chaincode.documents.co import CertificateOfOrigin
from chaincode.documents.ebl import TransportDocument
from chaincode.documents.kinds import DocumentKind as DocumentKind  # re-exported
from chaincode.documents.phyto import QuarantineCertificate
from chaincode.documents.rail import RailConsignment

MODELS: Mapping[DocumentKind, type[TradeDocument]] = {
    DocumentKind.CO: CertificateOfOrigin,
    DocumentKind.EBL: TransportDocument,
    DocumentKind.PHYTO: QuarantineCertificate,
    DocumentKind.RAIL: RailConsignment,
}


class InvalidDocumentError(ValueError):
    """A document that breaks one or more rules; ``errors`` lists every one."""

    def __init__(self, kind: DocumentKind, errors: list[FieldError]) -> None:
        self.kind = kind
        self.errors = errors
        super().__init__(f"{kind.value} document has {len(errors)} error(s)")


@dataclass(frozen=True)
class ValidDocument:
    kind: DocumentKind
    model: TradeDocument
    content: Any
    canonical: bytes
    digest: str


def parse_kind(text: str) -> DocumentKind:
    try:
        return DocumentKind(text)
    except ValueError:
        allowed = ", ".join(k.value for k in DocumentKind)
        raise ValueError(f"unknown document kind {text!r} (one of: {allowed})") from None


def validate_document(kind: DocumentKind, data: bytes | str | Mapping[str, Any]) -> ValidDocument:
    """Validate a document from JSON text (or an already-parsed mapping).

    Raises InvalidDocumentError with every error at once.
    """
    try:
        content = dict(data) if isinstance(data, Mapping) else parse_json(data)
        canonical = canonical_bytes(content)
    except CanonicalizationError as exc:
        raise InvalidDocumentError(kind, [FieldError("$", "json", str(exc))]) from exc
    if not isinstance(content, dict):
        raise InvalidDocumentError(kind, [FieldError("$", "json", "a document is a JSON object")])
    try:
        model = MODELS[kind].model_validate_json(canonical)
    except ValidationError as exc:
        raise InvalidDocumentError(kind, field_errors(exc)) from exc
    return ValidDocument(kind, model, content, canonical, digest_bytes(canonical))
