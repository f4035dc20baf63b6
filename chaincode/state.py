"""The state the rules read and the effects they return: ``StateView`` (a read-only view
of the ledger's records), ``Effects`` (the records a transaction writes), and ``Refusal``
(which rule a transaction broke, and of which kind), with the small checks that every rule
module shares. ``chaincode.lifecycle`` and the rule modules it dispatches to
(``chaincode.external_control``, ``chaincode.rail.operations``) import this, never each
other in a loop."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from chaincode.documents.registry import DocumentKind
from chaincode.rail.consignment import EventRecord, RouteRecord
from chaincode.records import Actor, DocState, DocumentRecord, PickupRight
from chaincode.transactions import Op

T = TypeVar("T")


class RefusalKind(enum.StrEnum):
    INVALID = "invalid"  # the request itself is malformed or incomplete
    FORBIDDEN = "forbidden"  # this actor may not do this
    NOT_FOUND = "not_found"  # the document or right does not exist
    CONFLICT = "conflict"  # the current state does not allow it


class Refusal(Exception):  # noqa: N818 (a refusal is an outcome, not an error)
    def __init__(self, kind: RefusalKind, rule: str) -> None:
        super().__init__(rule)
        self.kind = kind
        self.rule = rule


def invalid(rule: str) -> Refusal:
    return Refusal(RefusalKind.INVALID, rule)


def forbidden(rule: str) -> Refusal:
    return Refusal(RefusalKind.FORBIDDEN, rule)


def conflict(rule: str) -> Refusal:
    return Refusal(RefusalKind.CONFLICT, rule)


def not_found(rule: str) -> Refusal:
    return Refusal(RefusalKind.NOT_FOUND, rule)


class StateView(Protocol):
    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        """``issuer``'s record of the digest (anchored singly or in one of its batches);
        without ``issuer``, the record anchored first under the digest."""
        ...

    def issuers(self, doc_id: str) -> Sequence[str]:
        """Every organisation that anchored the digest, the first to anchor it first."""
        ...

    def existing(self, doc_ids: Sequence[str], issuer: str) -> list[str]:
        """Which of these digests ``issuer`` has already anchored."""
        ...

    def pickup_right(self, container: str) -> PickupRight | None:
        """The container's latest pickup right."""
        ...

    def released_under(self, container: str, ebl: str, carrier: str) -> bool:
        """Whether the container was ever released under this eBL (digest and carrier)."""
        ...

    def party(self, org_id: str) -> Actor | None: ...


@dataclass(frozen=True)
class BatchAnchor:
    """Documents issued together under one Merkle root: each is ISSUED, by one issuer, at
    one time, in one country. Kept as one value rather than thousands of records."""

    root: str
    kind: DocumentKind
    issuer: str
    country: str | None
    time: datetime.datetime
    digests: Sequence[str]

    def record(self, digest: str) -> DocumentRecord:
        return DocumentRecord(
            digest,
            self.kind,
            self.issuer,
            self.country,
            DocState.ISSUED,
            self.time,
            batch=self.root,
        )


@dataclass
class Effects:
    """What a transaction changes: records to store, and which documents it touched."""

    documents: list[DocumentRecord] = field(default_factory=list)
    rights: list[PickupRight] = field(default_factory=list)
    batch: BatchAnchor | None = None
    # The rail corridor: a consignment's route, and border events on it.
    rail_route: RouteRecord | None = None
    rail_events: list[EventRecord] = field(default_factory=list)

    @property
    def touched_records(self) -> list[tuple[str, str]]:
        """The records it touched, as (digest, issuer): a right is its eBL's (whose issuer
        is the carrier that released it), a batch its root's, a rail route or event its
        consignment's."""
        keys = [(d.id, d.issuer) for d in self.documents]
        keys += [(r.ebl, r.released_by) for r in self.rights]
        if self.batch is not None:
            keys.append((self.batch.root, self.batch.issuer))
        if self.rail_route is not None:
            keys.append((self.rail_route.doc, self.rail_route.issuer))
        keys += [(e.doc, e.issuer) for e in self.rail_events]
        return list(dict.fromkeys(keys))

    @property
    def touched(self) -> list[str]:
        return list(dict.fromkeys(d for d, _ in self.touched_records))


def need(value: T | None, op: Op, name: str) -> T:
    if value is None:
        raise invalid(f"{op.value} needs {name}")
    return value


def on_ledger(doc_id: str) -> Refusal:
    return not_found(f"document {doc_id} is not on the ledger")


def known_party(view: StateView, org_id: str | None, op: Op, name: str = "to") -> Actor:
    party = view.party(need(org_id, op, name))
    if party is None:
        raise invalid(f"unknown organisation {org_id}")
    return party


def state_conflict(doc: DocumentRecord) -> Refusal:
    texts = {
        DocState.AMENDED: "already amended",
        DocState.REPLACED: "already replaced",
        DocState.REVOKED: "already revoked",
        DocState.VOIDED: "voided",
        DocState.PENDING_SURRENDER_FOR_DELIVERY: "surrender for delivery pending",
        DocState.PENDING_SURRENDER_FOR_AMENDMENT: "surrender for amendment pending",
        DocState.SURRENDERED_FOR_DELIVERY: "already surrendered",
        DocState.SURRENDERED_FOR_AMENDMENT: "already surrendered",
    }
    text = texts.get(doc.state, f"state is {doc.state.value}")
    return conflict(f"{text} (state {doc.state.value})")


__all__ = [
    "BatchAnchor",
    "Effects",
    "Refusal",
    "RefusalKind",
    "StateView",
    "conflict",
    "forbidden",
    "invalid",
    "known_party",
    "need",
    "not_found",
    "on_ledger",
    "state_conflict",
]
