"""PINT 3.0.0's objects as typed values, with DCSA's own field names.

What a platform receives is first checked against DCSA's schema (``interop.pint.schema``);
these models then give typed access to it. What a platform sends is built from them and
checked against the same schema before it is signed. Received signed content is never
re-serialised from a model: the compact JWS strings are kept exactly as they arrived.
"""

# DCSA's camelCase names are the attribute names, on purpose.
# ruff: noqa: N815

from __future__ import annotations

import datetime
import enum
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ResponseCode(enum.StrEnum):
    """``EnvelopeTransferFinishedResponse.responseCode`` and the HTTP status DCSA pairs
    it with. The signed code decides the outcome, never the status."""

    RECE = "RECE"  # received: accepted
    DUPE = "DUPE"  # duplicate: accepted before
    BSIG = "BSIG"  # bad signature
    BENV = "BENV"  # bad envelope
    INCD = "INCD"  # inconclusive document
    MDOC = "MDOC"  # missing document
    DISE = "DISE"  # disputed: contradicts this platform's history

    @property
    def http_status(self) -> int:
        return _STATUS[self]

    @property
    def accepted(self) -> bool:
        return self in (ResponseCode.RECE, ResponseCode.DUPE)


_STATUS = {
    ResponseCode.RECE: 200,
    ResponseCode.DUPE: 200,
    ResponseCode.BSIG: 422,
    ResponseCode.BENV: 422,
    ResponseCode.INCD: 409,
    ResponseCode.MDOC: 409,
    ResponseCode.DISE: 409,
}


class ActionCode(enum.StrEnum):
    """``Transaction.actionCode``: DCSA lists these ten and no other."""

    ISSUE = "ISSUE"
    TRANSFER = "TRANSFER"
    ENDORSE = "ENDORSE"
    ENDORSE_TO_ORDER = "ENDORSE_TO_ORDER"
    BLANK_ENDORSE = "BLANK_ENDORSE"
    SURRENDER_FOR_DELIVERY = "SURRENDER_FOR_DELIVERY"
    SURRENDER_FOR_AMENDMENT = "SURRENDER_FOR_AMENDMENT"
    SACC = "SACC"
    SREJ = "SREJ"
    SIGN = "SIGN"


SURRENDERS = frozenset({ActionCode.SURRENDER_FOR_DELIVERY, ActionCode.SURRENDER_FOR_AMENDMENT})

# ``eblPlatform``: "The value MUST be one of" these (EnvelopeTransferChainEntry).
PLATFORM_CODES = frozenset(
    {
        "WAVE",
        "CARX",
        "ESSD",
        "IDT",
        "BOLE",
        "EDOX",
        "IQAX",
        "SECR",
        "TRGO",
        "ETEU",
        "TRAC",
        "BRIT",
        "COVA",
        "ETIT",
        "KTNE",
        "CRED",
        "BLOC",
        "DOCU",
        "AEOT",
        "SGTD",
    }
)

# RFC 3339, UTC, milliseconds: how DCSA writes ``actionDateTime``.
ACTION_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def action_date_time(at: datetime.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("an action time needs its time zone")
    text = at.astimezone(datetime.UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def parse_action_date_time(text: str) -> datetime.datetime:
    if not ACTION_DATE_TIME.fullmatch(text):
        raise ValueError(
            f"{text!r} is not RFC 3339 UTC with milliseconds (2024-04-17T07:11:19.531Z)"
        )
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class _Wire(BaseModel):
    # Received content has passed DCSA's schema already; fields DCSA may add later are
    # kept aside (and never re-serialised, since signed content travels verbatim).
    model_config = ConfigDict(frozen=True, extra="ignore")

    def wire(self) -> dict[str, Any]:
        """The JSON form, absent optional fields left out (DCSA never sends null)."""
        return self.model_dump(mode="json", exclude_none=True)


class IdentifyingCode(_Wire):
    codeListProvider: str
    partyCode: str
    codeListName: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.codeListProvider, self.partyCode)


class TaxLegalReference(_Wire):
    type: str
    countryCode: str
    value: str


class RepresentedParty(_Wire):
    partyName: str
    identifyingCodes: list[IdentifyingCode] | None = None


class Party(_Wire):
    """``ActorParty`` and ``RecipientParty`` (the same shape): a legal entity on a platform."""

    partyName: str
    eblPlatform: str
    identifyingCodes: list[IdentifyingCode] = Field(min_length=1)
    taxLegalReferences: list[TaxLegalReference] | None = None
    representedParty: RepresentedParty | None = None

    def is_same(self, other: Party) -> bool:
        """One party: the same platform and at least one identifying code in common."""
        mine = {c.key for c in self.identifyingCodes}
        return self.eblPlatform == other.eblPlatform and any(
            c.key in mine for c in other.identifyingCodes
        )

    def describe(self) -> str:
        code = self.identifyingCodes[0]
        return f"{self.partyName} ({code.codeListProvider}:{code.partyCode} on {self.eblPlatform})"


class Transaction(_Wire):
    actionCode: str
    actor: Party
    recipient: Party | None = None
    actionDateTime: str
    reasonCode: str | None = None
    comments: str | None = None
    auditReference: str | None = None


class TransferChainEntry(_Wire):
    """``EnvelopeTransferChainEntry``: the payload of one signed chain entry."""

    eblPlatform: str
    transportDocumentChecksum: str
    previousEnvelopeTransferChainEntrySignedContentChecksum: str | None = None
    issuanceManifestSignedContent: str | None = None
    controlTrackingRegistry: str | None = None
    transactions: list[Transaction] = Field(min_length=1)


class DocumentMetadata(_Wire):
    name: str
    size: int
    mediaType: str
    documentChecksum: str


class EnvelopeManifest(_Wire):
    transportDocumentChecksum: str
    lastEnvelopeTransferChainEntrySignedContentChecksum: str
    eBLVisualisationByCarrier: DocumentMetadata | None = None
    supportingDocuments: list[DocumentMetadata] | None = None

    def documents(self) -> list[DocumentMetadata]:
        """Every additional document the envelope declares, visualisation first."""
        listed = [self.eBLVisualisationByCarrier] if self.eBLVisualisationByCarrier else []
        return listed + list(self.supportingDocuments or [])


class IssuanceManifest(_Wire):
    documentChecksum: str
    eBLVisualisationByCarrierChecksum: str | None = None
    issueToChecksum: str


class FinishedResponse(_Wire):
    """``EnvelopeTransferFinishedResponse``: the payload of every signed answer."""

    lastEnvelopeTransferChainEntrySignedContentChecksum: str
    responseCode: ResponseCode
    duplicateOfAcceptedEnvelopeTransferChainEntrySignedContent: str | None = None
    reason: str | None = Field(default=None, max_length=255)
    missingAdditionalDocumentChecksums: list[str] | None = None
    receivedAdditionalDocumentChecksums: list[str] | None = None


class StartedResponse(_Wire):
    """``EnvelopeTransferStartedResponse`` (unsigned): send these documents, then finish."""

    envelopeReference: str = Field(max_length=100)
    transportDocumentChecksum: str
    lastEnvelopeTransferChainEntrySignedContentChecksum: str
    missingAdditionalDocumentChecksums: list[str] = Field(min_length=1)


class ReceiverValidationResponse(_Wire):
    partyName: str


class DetailedError(_Wire):
    errorCode: int | None = Field(default=None, ge=7000, le=9999)
    property: str | None = None
    value: str | None = None
    jsonPath: str | None = None
    errorCodeText: str = Field(max_length=100)
    errorCodeMessage: str = Field(max_length=5000)


class ErrorResponse(_Wire):
    httpMethod: str
    requestUri: str
    statusCode: int
    statusCodeText: str = Field(max_length=50)
    statusCodeMessage: str | None = Field(default=None, max_length=200)
    providerCorrelationReference: str | None = Field(default=None, max_length=100)
    errorDateTime: str
    errors: list[DetailedError] = Field(min_length=1)
