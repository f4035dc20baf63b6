"""Request and response bodies of the HTTP API (pydantic models at the edge)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chaincode import identifiers
from chaincode.documents.registry import DocumentKind
from chaincode.identifiers import DocId

OrgId = Annotated[identifiers.OrgId, Field(examples=["cn-boc"])]
Container = Annotated[identifiers.Container, Field(examples=["CXRU1523418"])]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssueRequest(_Body):
    kind: DocumentKind
    document: dict[str, Any]
    links: list[DocId] = Field(default_factory=list, max_length=100)
    to: OrgId | None = Field(None, description="eBL only: the first holder (default: shipper).")


class SupersedeRequest(_Body):
    document: dict[str, Any]
    reason: Reason


class ReasonRequest(_Body):
    reason: Reason


class ToRequest(_Body):
    to: OrgId


class SurrenderRequest(_Body):
    purpose: Literal["delivery", "amendment"] = Field(alias="for")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ReleaseRequest(_Body):
    containers: list[Container] = Field(min_length=1, max_length=1000)
    to: OrgId
    expires: datetime.datetime


class DelegateRequest(_Body):
    container: Container
    to: OrgId


class PickupRequest(_Body):
    for_: OrgId | None = Field(None, alias="for", description="The party at the gate.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Check(BaseModel):
    name: str
    status: Literal["pass", "fail", "not_checked"]
    reason: str


class VerifyReport(BaseModel):
    valid: bool
    verdict: Literal["VALID", "INVALID", "UNKNOWN"]
    checks: list[Check]
    facts: dict[str, str] = Field(default_factory=dict)
    waived: list[str] = Field(
        default_factory=list,
        description="Checks that cannot apply (fields hidden by selective disclosure): "
        "not_checked there does not make the verdict UNKNOWN.",
    )


class LedgerPlacement(BaseModel):
    """Which engine committed the transaction and, on a chain or a channel, where."""

    engine: Literal["embedded", "evm", "fabric"]
    block: int | None = None
    transaction: str | None = Field(
        None, description="The engine's own id: an EVM transaction hash, a Fabric txid."
    )
    logIndex: int | None = None  # noqa: N815
    channel: str | None = Field(None, description="Fabric: the corridor's channel.")


class Receipt(BaseModel):
    txId: str  # noqa: N815 (JSON names)
    index: int
    entryHash: str  # noqa: N815
    checkpoint: str
    inclusionProof: list[str]  # noqa: N815
    documents: list[dict[str, Any]]
    documentId: str | None = None  # noqa: N815
    duplicate: bool = False
    ledger: LedgerPlacement


class WitnessSignature(BaseModel):
    name: str
    key: str
    time: str


class WitnessedCheckpoint(BaseModel):
    checkpoint: str
    size: int
    witnesses: list[WitnessSignature]


class CheckpointResponse(BaseModel):
    # The C2SP note: the log's signature, then its witnesses' cosignatures of this checkpoint.
    checkpoint: str
    key: str
    origin: str
    witnesses: list[WitnessSignature] = Field(default_factory=list)
    # The latest checkpoint any witness cosigned (witnesses cosign after the commit).
    witnessed: WitnessedCheckpoint | None = None
