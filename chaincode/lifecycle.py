"""The lifecycle rules: which operation, by whom, in which state, with what effect.

``apply`` is a pure function of the transaction, the acting organisation (as its
certificate states it) and a read-only view of the current state. It returns the new
records, or raises ``Refusal`` naming the rule that was broken. The ledger executes it;
it never decides anything itself.

Records are keyed by (digest, issuer): every organisation anchors in its own namespace.
Anchoring a digest that another organisation anchored creates a second record and never
touches the first, so nobody can become the issuer of record of another's document (nor
of a member of another's batch) by anchoring it first or again. Only the issuer of record
amends, replaces or revokes its document. An eBL is addressed by its digest and its
carrier (``tx.carrier``, needed only when several carriers anchored the same digest).

eBL control follows MLETR and UK ETDA 2023 s.2(2): exactly one party (``holder``)
controls an eBL at any time, and every transfer deprives the previous controller.

A container has at most one live pickup right (unexpired, not picked up), whatever the
eBL: a release is refused while one exists. A container picked up under one eBL may be
released again under another (its next voyage), never twice under the same eBL; an expired
right may be renewed by its own carrier. The right is bound to a terminal or a country at
release, and the pickup names the holder.

Links and containers are the issuer's claims: a link puts the linked document into the
linking document's provenance, never the reverse unless both name the same issuing
country (see ``link_is_mutual``).
"""

from __future__ import annotations

from collections.abc import Callable

from chaincode import external_control
from chaincode.authority import ISSUER_ROLES, issue_refusal
from chaincode.documents.registry import DocumentKind
from chaincode.rail import operations as rail_operations
from chaincode.records import PENDING, Actor, DocState, DocumentRecord, PickupRight
from chaincode.state import (
    BatchAnchor,
    Effects,
    Refusal,
    RefusalKind,
    StateView,
)
from chaincode.state import conflict as _conflict
from chaincode.state import forbidden as _forbidden
from chaincode.state import invalid as _invalid
from chaincode.state import known_party as _known_party
from chaincode.state import need as _need
from chaincode.state import not_found as _not_found
from chaincode.state import on_ledger as _on_ledger
from chaincode.state import state_conflict as _state_conflict
from chaincode.transactions import Op, Transaction
from identity.roles import Role


def link_is_mutual(linking_country: str | None, linked_country: str | None) -> bool:
    """Whether a link also puts the linking document into the linked one's provenance
    (``linked_country``: the issuing country the linked digest's first record names).

    A link is its issuer's claim. It always shows the linked document from the linking
    side; from the linked side only when both documents name the same issuing country
    (a document naming none claims nothing for anyone else's)."""
    return linking_country is not None and linked_country == linking_country


def _require_issuer_authority(actor: Actor, kind: DocumentKind, country: str | None) -> None:
    refusal = issue_refusal(kind, actor.roles, actor.country, country)
    if refusal is not None:
        raise _forbidden(refusal)


def _new_record(tx: Transaction, actor: Actor, doc_id: str, view: StateView) -> DocumentRecord:
    """The record of a document being issued (by ISSUE, AMEND or REPLACE), in the actor's
    own namespace: another organisation's record of the same digest is no conflict."""
    kind = _need(tx.kind, tx.op, "kind")
    if view.document(doc_id, actor.id) is not None:
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
        record = record.evolve(holder=_known_party(view, tx.to, tx.op).id)
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
    # Only the actor's own earlier anchors conflict: another issuer's record of a digest,
    # or its batch, is its own and stays so.
    already = set(view.existing(tx.digests, actor.id))
    if already:
        # The batch's first such digest, whatever order the view found them in.
        first = next(d for d in tx.digests if d in already)
        raise _conflict(f"document {first} is already on the ledger")
    return Effects(batch=BatchAnchor(batch, kind, actor.id, tx.country, tx.time, tx.digests))


def _own_record(view: StateView, tx: Transaction, actor: Actor) -> DocumentRecord:
    """The document an AMEND, REPLACE or REVOKE changes: the actor's own record of the
    digest; failing that, the first record of it (which the caller refuses, naming why)."""
    doc_id = _need(tx.doc, tx.op, "doc")
    record = view.document(doc_id, actor.id) or view.document(doc_id)
    if record is None:
        raise _on_ledger(doc_id)
    return record


def _not_issuer(record: DocumentRecord, op: Op) -> Refusal:
    if record.kind is DocumentKind.EBL:
        return _forbidden("only the issuing carrier may amend an eBL")
    verb = {Op.AMEND: "amends", Op.REPLACE: "replaces", Op.REVOKE: "revokes"}[op]
    return _forbidden(f"only its issuer of record ({record.issuer}) {verb} document {record.id}")


def _supersede(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    """AMEND (any kind) and REPLACE (phyto): a new document takes the old one's place."""
    if not tx.reason:
        raise _invalid(f"{tx.op.value} needs a reason")
    new_id = _need(tx.newDoc, tx.op, "newDoc")
    if new_id == tx.doc:
        raise _invalid("a document cannot supersede itself")
    old = _own_record(view, tx, actor)
    if tx.kind is not None and tx.kind is not old.kind:
        raise _invalid(f"a {old.kind.value} can only be superseded by a {old.kind.value}")
    if tx.op is Op.REPLACE and old.kind is not DocumentKind.PHYTO:
        raise _invalid("only a quarantine certificate is replaced; amend other documents")
    if old.issuer != actor.id:
        raise _not_issuer(old, tx.op)
    if old.kind is DocumentKind.EBL:
        # A new eBL replaces one surrendered for amendment; control returns to the party
        # that surrendered it. Issued like any eBL: the carrier role, in its own country.
        _control_here(old, tx.op)
        if old.state is not DocState.SURRENDERED_FOR_AMENDMENT:
            raise _conflict(
                f"an eBL is amended only after its surrender for amendment is accepted "
                f"(state {old.state.value})"
            )
        _require_issuer_authority(actor, DocumentKind.EBL, tx.country)
        new = _new_record(tx.model_copy(update={"kind": old.kind}), actor, new_id, view)
        new = new.evolve(
            supersedes=old.id,
            holder=old.surrendered_by,
            endorsee=old.endorsee,
            to_order=bool(tx.toOrder),
        )
        return Effects(documents=[old.evolve(state=DocState.VOIDED, superseded_by=new_id), new])
    if old.state is not DocState.ISSUED:
        raise _state_conflict(old)
    _require_issuer_authority(actor, old.kind, old.country)
    if tx.country != old.country:
        raise _invalid(f"the new document must be issued in {old.country}, as the old one")
    new = _new_record(tx.model_copy(update={"kind": old.kind}), actor, new_id, view)
    new = new.evolve(supersedes=old.id)
    state = DocState.REPLACED if tx.op is Op.REPLACE else DocState.AMENDED
    return Effects(documents=[old.evolve(state=state, superseded_by=new_id), new])


def _revoke(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    if not tx.reason:
        raise _invalid("REVOKE needs a reason")
    doc = _own_record(view, tx, actor)
    if doc.kind is DocumentKind.EBL:
        raise _invalid("an eBL is not revoked; it is surrendered for amendment and voided")
    if doc.issuer != actor.id:
        raise _not_issuer(doc, tx.op)
    if doc.state is not DocState.ISSUED:
        raise _state_conflict(doc)
    _require_issuer_authority(actor, doc.kind, doc.country)
    return Effects(documents=[doc.evolve(state=DocState.REVOKED)])


# --- eBL control -----------------------------------------------------------------------


def _ebl(view: StateView, tx: Transaction) -> DocumentRecord:
    """The eBL a transaction addresses: its carrier's record of the digest. The carrier
    may be left out while only one carrier has an eBL of that digest."""
    doc_id = _need(tx.doc, tx.op, "doc")
    if tx.carrier is not None:
        doc = view.document(doc_id, tx.carrier)
        if doc is None:
            raise _on_ledger(doc_id)
    else:
        records = [r for i in view.issuers(doc_id) if (r := view.document(doc_id, i))]
        if not records:
            raise _on_ledger(doc_id)
        ebls = [r for r in records if r.kind is DocumentKind.EBL]
        if len(ebls) > 1:
            carriers = ", ".join(r.issuer for r in ebls)
            raise _invalid(
                f"eBL {doc_id} was issued by several carriers ({carriers}): name the carrier"
            )
        doc = ebls[0] if ebls else records[0]
    if doc.kind is not DocumentKind.EBL:
        raise _invalid(f"{tx.op.value} applies to an eBL, not a {doc.kind.value}")
    _control_here(doc, tx.op)
    return doc


def _control_here(doc: DocumentRecord, op: Op) -> None:
    """Refuse a local control action on an eBL whose control lives on another platform."""
    elsewhere = external_control.local_refusal(doc, op)
    if elsewhere is not None:
        raise _conflict(elsewhere)


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
    to = _known_party(view, tx.to, tx.op).id
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


def _pickup_place(tx: Transaction, view: StateView, to: Actor) -> tuple[str, str | None]:
    """Where a release lets the containers be collected: a named terminal (and its
    country), or any terminal of a country (the one named, else the country of the party
    the containers are released to)."""
    if tx.terminal is None:
        return tx.country or to.country, None
    if tx.country is not None:
        raise _invalid("RELEASE names a terminal or a country, not both")
    terminal = _known_party(view, tx.terminal, tx.op, "terminal")
    if Role.TERMINAL not in terminal.roles:
        raise _invalid(f"{terminal.id} does not hold the terminal role")
    return terminal.country, terminal.id


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
    country, terminal = _pickup_place(tx, view, to)
    expires = _need(tx.expires, tx.op, "expires")
    if expires <= tx.time:
        raise _invalid("a pickup right must expire after its release")
    rights = []
    for container in dict.fromkeys(tx.containers):
        if container not in doc.containers:
            raise _invalid(f"container {container} is not on this eBL")
        current = view.pickup_right(container)
        own = current is not None and (current.ebl, current.released_by) == (doc.id, doc.carrier)
        if current is not None and current.live(tx.time):
            if own:
                raise _conflict(f"container {container} is already released")
            raise _conflict(
                f"container {container} has a live pickup right under eBL {current.ebl}"
            )
        # Renewing its own expired, unused right is the one way back to an eBL.
        renewal = own and current is not None and current.picked_up_at is None
        if not renewal and view.released_under(container, doc.id, doc.carrier):
            raise _conflict(f"container {container} was already released under this eBL")
        rights.append(
            PickupRight(
                container, doc.id, to.id, expires, actor.id, country=country, terminal=terminal
            )
        )
    return Effects(rights=rights)


def _live_right(view: StateView, tx: Transaction) -> PickupRight:
    container = _need(tx.container, tx.op, "container")
    right = view.pickup_right(container)
    if right is None:
        raise _not_found(f"no pickup right for container {container}")
    if right.picked_up_at is not None:
        raise _conflict(
            f"container {container} already picked up at {right.picked_up_at.isoformat()}"
        )
    if tx.time >= right.expires:
        raise _conflict(f"the pickup right expired at {right.expires.isoformat()}")
    if tx.doc is not None and tx.doc != right.ebl:
        raise _invalid(f"container {right.container} was released under another eBL")
    return right


def _delegate(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    right = _live_right(view, tx)
    if right.holder != actor.id:
        raise _forbidden("not the holder of the pickup right")
    to = _known_party(view, tx.to, tx.op).id
    return Effects(rights=[right.evolve(holder=to, delegations=(*right.delegations, actor.id))])


def _pickup(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    if Role.TERMINAL not in actor.roles:
        raise _forbidden("role terminal required")
    right = _live_right(view, tx)
    holder = _need(tx.to, tx.op, "to (the holder presenting itself at the gate)")
    if right.terminal is not None and right.terminal != actor.id:
        raise _forbidden(f"the pickup right is for terminal {right.terminal}, not {actor.id}")
    if right.country is not None and right.country != actor.country:
        raise _forbidden(
            f"the pickup right is for a terminal in {right.country}, not in {actor.country}"
        )
    if holder != right.holder:
        raise _forbidden(f"{holder} does not hold the pickup right; {right.holder} does")
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
    Op.EXPORT_EBL: external_control.export_ebl,
    Op.RECLAIM_EBL: external_control.reclaim_ebl,
    Op.BEGIN_TRANSFER_OUT: external_control.begin_transfer_out,
    Op.COMPLETE_TRANSFER_OUT: external_control.complete_transfer_out,
    Op.CANCEL_TRANSFER_OUT: external_control.cancel_transfer_out,
    Op.RECORD_RECEIVED: external_control.record_received,
    Op.RAIL_REGISTER: rail_operations.register_route,
    Op.RAIL_EVENT: rail_operations.record_event,
    Op.RAIL_IMPORT: rail_operations.import_route,
}


def apply(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    """The effects of ``tx`` by ``actor`` on the state seen through ``view``."""
    if actor.id != tx.actor:
        raise _forbidden(f"signed by {actor.id} but the transaction names {tx.actor}")
    return _RULES[tx.op](tx, actor, view)


__all__ = [
    "ISSUER_ROLES",
    "BatchAnchor",
    "Effects",
    "Refusal",
    "RefusalKind",
    "StateView",
    "apply",
    "link_is_mutual",
]
