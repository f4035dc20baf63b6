"""The lifecycle rules: which operation, by whom, in which state, with what effect.

``apply`` is a pure function of the transaction, the acting organisation (as its
certificate states it) and a read-only view of the current state. It returns the new
records, or raises ``Refusal`` naming the rule that was broken. The ledger executes it;
it never decides anything itself.

eBL control follows MLETR and UK ETDA 2023 s.2(2): exactly one party (``holder``)
controls an eBL at any time, and every transfer deprives the previous controller.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from chaincode.authority import ISSUER_ROLES, issue_refusal
from chaincode.documents.registry import DocumentKind
from chaincode.records import PENDING, Actor, DocState, DocumentRecord, PickupRight
from chaincode.transactions import Op, Transaction
from identity.roles import Role

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


def _invalid(rule: str) -> Refusal:
    return Refusal(RefusalKind.INVALID, rule)


def _forbidden(rule: str) -> Refusal:
    return Refusal(RefusalKind.FORBIDDEN, rule)


def _conflict(rule: str) -> Refusal:
    return Refusal(RefusalKind.CONFLICT, rule)


class StateView(Protocol):
    def document(self, doc_id: str) -> DocumentRecord | None: ...
    def existing(self, doc_ids: Sequence[str]) -> list[str]:
        """Which of these documents are already on the ledger."""
        ...

    def pickup_right(self, container: str) -> PickupRight | None: ...
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

    @property
    def touched(self) -> list[str]:
        ids = [d.id for d in self.documents] + [r.ebl for r in self.rights]
        if self.batch is not None:
            ids.append(self.batch.root)
        return list(dict.fromkeys(ids))


def _need(value: T | None, op: Op, name: str) -> T:
    if value is None:
        raise _invalid(f"{op.value} needs {name}")
    return value


def _existing(view: StateView, doc_id: str | None, op: Op) -> DocumentRecord:
    doc = view.document(_need(doc_id, op, "doc"))
    if doc is None:
        raise Refusal(RefusalKind.NOT_FOUND, f"document {doc_id} is not on the ledger")
    return doc


def _known_party(view: StateView, org_id: str | None, op: Op) -> str:
    party = _need(org_id, op, "to")
    if view.party(party) is None:
        raise _invalid(f"unknown organisation {party}")
    return party


def _state_conflict(doc: DocumentRecord) -> Refusal:
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
    return _conflict(f"{text} (state {doc.state.value})")


def _require_issuer_authority(actor: Actor, kind: DocumentKind, country: str | None) -> None:
    refusal = issue_refusal(kind, actor.roles, actor.country, country)
    if refusal is not None:
        raise _forbidden(refusal)


def _new_record(tx: Transaction, actor: Actor, doc_id: str, view: StateView) -> DocumentRecord:
    """The record of a document being issued (by ISSUE, AMEND or REPLACE)."""
    kind = _need(tx.kind, tx.op, "kind")
    if view.document(doc_id) is not None:
        raise _conflict(f"document {doc_id} is already on the ledger")
    record = DocumentRecord(
        id=doc_id,
        kind=kind,
        issuer=actor.id,
        country=tx.country,
        state=DocState.ISSUED,
        issued_at=tx.time,
        containers=tuple(dict.fromkeys(tx.containers)),
        links=tuple(dict.fromkeys(tx.links)),
    )
    if kind is DocumentKind.EBL:
        record = record.evolve(carrier=actor.id, to_order=bool(tx.toOrder))
    return record


# --- documents -------------------------------------------------------------------------


def _issue(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    kind = _need(tx.kind, tx.op, "kind")
    _require_issuer_authority(actor, kind, tx.country)
    record = _new_record(tx, actor, _need(tx.doc, tx.op, "doc"), view)
    if kind is DocumentKind.EBL:
        if tx.carrier != actor.id:
            raise _forbidden("not the carrier named in the document")
        record = record.evolve(holder=_known_party(view, tx.to, tx.op))
    return Effects(documents=[record])


def _anchor_batch(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    kind = _need(tx.kind, tx.op, "kind")
    if kind is DocumentKind.EBL:
        raise _invalid("an eBL is issued on its own, never in a batch")
    if not tx.digests:
        raise _invalid("ANCHOR_BATCH needs digests")
    if len(set(tx.digests)) != len(tx.digests):
        raise _invalid("a batch lists a digest twice")
    _require_issuer_authority(actor, kind, tx.country)
    batch = _need(tx.doc, tx.op, "doc (the batch's Merkle root)")
    already = view.existing(tx.digests)
    if already:
        raise _conflict(f"document {already[0]} is already on the ledger")
    return Effects(batch=BatchAnchor(batch, kind, actor.id, tx.country, tx.time, tx.digests))


def _supersede(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    """AMEND (any kind) and REPLACE (phyto): a new document takes the old one's place."""
    if not tx.reason:
        raise _invalid(f"{tx.op.value} needs a reason")
    old = _existing(view, tx.doc, tx.op)
    new_id = _need(tx.newDoc, tx.op, "newDoc")
    if tx.kind is not None and tx.kind is not old.kind:
        raise _invalid(f"a {old.kind.value} can only be superseded by a {old.kind.value}")
    if tx.op is Op.REPLACE and old.kind is not DocumentKind.PHYTO:
        raise _invalid("only a quarantine certificate is replaced; amend other documents")
    new = _new_record(tx.model_copy(update={"kind": old.kind}), actor, new_id, view)
    new = new.evolve(supersedes=old.id)
    if old.kind is DocumentKind.EBL:
        # A new eBL replaces one surrendered for amendment; control returns to the party
        # that surrendered it.
        if old.state is not DocState.SURRENDERED_FOR_AMENDMENT:
            raise _conflict(
                f"an eBL is amended only after its surrender for amendment is accepted "
                f"(state {old.state.value})"
            )
        if actor.id != old.carrier:
            raise _forbidden("only the issuing carrier may amend an eBL")
        new = new.evolve(
            holder=old.surrendered_by, endorsee=old.endorsee, to_order=bool(tx.toOrder)
        )
        return Effects(documents=[old.evolve(state=DocState.VOIDED, superseded_by=new_id), new])
    if old.state is not DocState.ISSUED:
        raise _state_conflict(old)
    _require_issuer_authority(actor, old.kind, old.country)
    if tx.country != old.country:
        raise _invalid(f"the new document must be issued in {old.country}, as the old one")
    state = DocState.REPLACED if tx.op is Op.REPLACE else DocState.AMENDED
    return Effects(documents=[old.evolve(state=state, superseded_by=new_id), new])


def _revoke(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    if not tx.reason:
        raise _invalid("REVOKE needs a reason")
    doc = _existing(view, tx.doc, tx.op)
    if doc.kind is DocumentKind.EBL:
        raise _invalid("an eBL is not revoked; it is surrendered for amendment and voided")
    if doc.state is not DocState.ISSUED:
        raise _state_conflict(doc)
    _require_issuer_authority(actor, doc.kind, doc.country)
    return Effects(documents=[doc.evolve(state=DocState.REVOKED)])


# --- eBL control -----------------------------------------------------------------------


def _ebl(view: StateView, tx: Transaction) -> DocumentRecord:
    doc = _existing(view, tx.doc, tx.op)
    if doc.kind is not DocumentKind.EBL:
        raise _invalid(f"{tx.op.value} applies to an eBL, not a {doc.kind.value}")
    return doc


def _controlled_by(doc: DocumentRecord, actor: Actor) -> None:
    if doc.state is not DocState.ISSUED:
        raise _state_conflict(doc)
    if doc.holder != actor.id:
        # A conflict, not a plain prohibition: the usual cause is a race that another
        # transfer won, so the refusal names who controls the eBL now.
        raise _conflict(
            f"not the current possessor (possessor: {doc.holder}, state {doc.state.value})"
        )


def _transfer(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    doc = _ebl(view, tx)
    _controlled_by(doc, actor)
    to = _known_party(view, tx.to, tx.op)
    if to == actor.id:
        raise _invalid("a transfer to oneself changes nothing")
    if tx.op is Op.ENDORSE:
        if not doc.to_order:
            raise _conflict("a straight bill of lading cannot be endorsed")
        return Effects(documents=[doc.evolve(holder=to, endorsee=to)])
    return Effects(documents=[doc.evolve(holder=to)])


def _surrender(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    doc = _ebl(view, tx)
    _controlled_by(doc, actor)
    purpose = _need(tx.purpose, tx.op, "purpose (delivery or amendment)")
    state = (
        DocState.PENDING_SURRENDER_FOR_DELIVERY
        if purpose == "delivery"
        else DocState.PENDING_SURRENDER_FOR_AMENDMENT
    )
    # Surrender hands control to the carrier until it accepts or rejects.
    return Effects(documents=[doc.evolve(state=state, holder=doc.carrier, surrendered_by=actor.id)])


def _answer_surrender(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    doc = _ebl(view, tx)
    if doc.state not in PENDING:
        raise _conflict(f"no surrender is pending (state {doc.state.value})")
    if actor.id != doc.carrier:
        raise _forbidden("only the issuing carrier answers a surrender")
    if tx.op is Op.ACCEPT:
        return Effects(documents=[doc.evolve(state=PENDING[doc.state])])
    if not tx.reason:
        raise _invalid("SREJ needs a reason")
    return Effects(
        documents=[
            doc.evolve(state=DocState.ISSUED, holder=doc.surrendered_by, surrendered_by=None)
        ]
    )


def _release(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    doc = _ebl(view, tx)
    if doc.state is not DocState.SURRENDERED_FOR_DELIVERY:
        raise _conflict(
            f"containers are released only after surrender for delivery is accepted "
            f"(state {doc.state.value})"
        )
    if actor.id != doc.carrier:
        raise _forbidden("only the issuing carrier releases containers")
    if not tx.containers:
        raise _invalid("RELEASE needs containers")
    to = _known_party(view, tx.to, tx.op)
    expires = _need(tx.expires, tx.op, "expires")
    if expires <= tx.time:
        raise _invalid("a pickup right must expire after its release")
    rights = []
    for container in dict.fromkeys(tx.containers):
        if container not in doc.containers:
            raise _invalid(f"container {container} is not on this eBL")
        existing = view.pickup_right(container)
        if existing is not None and existing.ebl == doc.id:
            raise _conflict(f"container {container} is already released")
        rights.append(PickupRight(container, doc.id, to, expires, actor.id))
    return Effects(rights=rights)


def _live_right(view: StateView, tx: Transaction) -> PickupRight:
    container = _need(tx.container, tx.op, "container")
    right = view.pickup_right(container)
    if right is None:
        raise Refusal(RefusalKind.NOT_FOUND, f"no pickup right for container {container}")
    if right.picked_up_at is not None:
        raise _conflict(
            f"container {container} already picked up at {right.picked_up_at.isoformat()}"
        )
    if tx.time >= right.expires:
        raise _conflict(f"the pickup right expired at {right.expires.isoformat()}")
    return right


def _delegate(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    right = _live_right(view, tx)
    if tx.doc is not None and tx.doc != right.ebl:
        raise _invalid(f"container {right.container} was released under another eBL")
    if right.holder != actor.id:
        raise _forbidden("not the holder of the pickup right")
    to = _known_party(view, tx.to, tx.op)
    return Effects(rights=[right.evolve(holder=to, delegations=(*right.delegations, actor.id))])


def _pickup(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    if Role.TERMINAL not in actor.roles:
        raise _forbidden("role terminal required")
    right = _live_right(view, tx)
    if tx.doc is not None and tx.doc != right.ebl:
        raise _invalid(f"container {right.container} was released under another eBL")
    if tx.to is not None and tx.to != right.holder:
        raise _forbidden(f"{tx.to} does not hold the pickup right; {right.holder} does")
    return Effects(rights=[right.evolve(picked_up_at=tx.time, picked_up_by=actor.id)])


_RULES: dict[Op, Callable[[Transaction, Actor, StateView], Effects]] = {
    Op.ISSUE: _issue,
    Op.ANCHOR_BATCH: _anchor_batch,
    Op.AMEND: _supersede,
    Op.REPLACE: _supersede,
    Op.REVOKE: _revoke,
    Op.TRANSFER: _transfer,
    Op.ENDORSE: _transfer,
    Op.SURRENDER: _surrender,
    Op.ACCEPT: _answer_surrender,
    Op.REJECT: _answer_surrender,
    Op.RELEASE: _release,
    Op.DELEGATE: _delegate,
    Op.PICKUP: _pickup,
}


def apply(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    """The effects of ``tx`` by ``actor`` on the state seen through ``view``."""
    if actor.id != tx.actor:
        raise _forbidden(f"signed by {actor.id} but the transaction names {tx.actor}")
    return _RULES[tx.op](tx, actor, view)


__all__ = ["ISSUER_ROLES", "Effects", "Refusal", "RefusalKind", "StateView", "apply"]
