"""The transaction: what a member asks the ledger to do, as signed JSON.

The wire form is strict (unknown fields refused). Every transaction carries its own time:
the chaincode has no clock. Which fields an operation needs is checked by the rules, so
that the refusal names the operation and the missing field.
"""

from __future__ import annotations

import datetime
import enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chaincode.documents.codes import ContainerNumber, CountryCode, IsoDateTime
from chaincode.documents.registry import DocumentKind
from chaincode.identifiers import CONTAINER_PATTERN, DocId, OrgId
from chaincode.rail.consignment import RailOrigin, RailRoute
from chaincode.rail.events import BorderEvent

# ISO 6346, check digit included: a container the document rules would refuse is refused
# on the ledger too.
Container = Annotated[ContainerNumber, Field(pattern=CONTAINER_PATTERN)]
Reason = Annotated[str, Field(max_length=500)]
# Exclusive control across platforms (chaincode.external_control): a TradeTrust token
# registry (CAIP-10: eip155:<chain id>:<address>) or a PINT platform code; a transfer's
# identity (a PINT last chain entry checksum, a TradeTrust token id) and a signed answer's
# SHA-256, as 64 lowercase hex digits.
Where = Annotated[
    str, Field(pattern=r"^(eip155:[1-9][0-9]{0,18}:0x[0-9a-fA-F]{40}|[A-Z0-9]{2,4})$")
]
PlatformCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{2,4}$")]
Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
# DCSA PINT 3.0.0's transaction codes (EnvelopeTransferChainEntry.transactions[].actionCode).
PintAction = Literal[
    "ISSUE",
    "TRANSFER",
    "ENDORSE",
    "ENDORSE_TO_ORDER",
    "BLANK_ENDORSE",
    "SIGN",
    "SURRENDER_FOR_DELIVERY",
    "SURRENDER_FOR_AMENDMENT",
    "SACC",
    "SREJ",
]

TX_FORMAT: Literal[1] = 1


class Op(enum.StrEnum):
    ISSUE = "ISSUE"
    ANCHOR_BATCH = "ANCHOR_BATCH"
    AMEND = "AMEND"
    REPLACE = "REPLACE"
    REVOKE = "REVOKE"
    TRANSFER = "TRANSFER"
    ENDORSE = "ENDORSE"
    SURRENDER = "SURRENDER"
    ACCEPT = "SACC"
    REJECT = "SREJ"
    RELEASE = "RELEASE"
    DELEGATE = "DELEGATE"
    PICKUP = "PICKUP"
    # Exclusive control across platforms (chaincode.external_control).
    EXPORT_EBL = "EXPORT_EBL"
    RECLAIM_EBL = "RECLAIM_EBL"
    BEGIN_TRANSFER_OUT = "BEGIN_TRANSFER_OUT"
    COMPLETE_TRANSFER_OUT = "COMPLETE_TRANSFER_OUT"
    CANCEL_TRANSFER_OUT = "CANCEL_TRANSFER_OUT"
    RECORD_RECEIVED = "RECORD_RECEIVED"
    # The rail corridor (chaincode.rail.operations).
    RAIL_REGISTER = "RAIL_REGISTER"
    RAIL_EVENT = "RAIL_EVENT"
    RAIL_IMPORT = "RAIL_IMPORT"


class Transaction(BaseModel):
    """One operation by one organisation at one time."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    v: Literal[1] = TX_FORMAT
    op: Op
    actor: OrgId
    time: IsoDateTime
    doc: DocId | None = None
    # Facts of a document being issued (ISSUE, AMEND, REPLACE): computed by the node from
    # the validated document, signed by the actor. For RELEASE, ``country`` is where the
    # containers may be collected.
    kind: DocumentKind | None = None
    country: CountryCode | None = None
    containers: list[Container] = Field(default_factory=list, max_length=1000)
    links: list[DocId] = Field(default_factory=list, max_length=100)
    # The eBL's carrier: on ISSUE the carrier the document names; on every other eBL
    # operation, which carrier's eBL of this digest is meant (needed only when several
    # carriers anchored the same digest).
    carrier: OrgId | None = None
    toOrder: bool | None = None  # noqa: N815 (DCSA's name)
    newDoc: DocId | None = None  # noqa: N815
    digests: list[DocId] = Field(default_factory=list, max_length=100_000)
    # Operation arguments.
    to: OrgId | None = None
    reason: Reason | None = None
    purpose: Literal["delivery", "amendment"] | None = None
    expires: IsoDateTime | None = None
    container: Container | None = None
    terminal: OrgId | None = None  # RELEASE: the one terminal that may hand the containers out
    # Exclusive control across platforms (chaincode.external_control): where control goes
    # or comes from, the transfer, its PINT code, the signed answer that ended it, and the
    # platform of a received eBL's carrier when it is not this one.
    where: Where | None = None
    ref: Hex64 | None = None
    action: PintAction | None = None
    proof: Hex64 | None = None
    carrierPlatform: PlatformCode | None = None  # noqa: N815 (the wire's casing)
    # The rail corridor (chaincode.rail.operations): a consignment's route, wagons and seals
    # (RAIL_REGISTER), a border event or release decision on it (RAIL_EVENT), and where a
    # consignment registered on another country's ledger came from (RAIL_IMPORT).
    route: RailRoute | None = None
    event: BorderEvent | None = None
    origin: RailOrigin | None = None

    def wire(self) -> dict[str, Any]:
        """The JSON form that is signed: defaults and empty values left out."""
        return self.model_dump(mode="json", exclude_defaults=True) | {"v": TX_FORMAT}


def utc(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
