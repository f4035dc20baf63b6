"""Exclusive control of an eBL across platforms: an eBL exported to a TradeTrust token
registry, or sent to another eBL platform by DCSA PINT, is controlled there and nowhere
else (MLETR (c) and (e); UK ETDA 2023 s.2(2)(c)-(e)).

While control lives elsewhere (``DocumentRecord.away``) every local control action is
refused, naming where control lives (``local_refusal``, which ``chaincode.lifecycle`` asks
before each of them). The operations that move control out and back:

- ``EXPORT_EBL`` (the possessor): minted on a token registry (``where``:
  ``eip155:<chain id>:<address>``; ``ref``: the token id). ``RECLAIM_EBL`` (the carrier),
  once the title was returned to the issuer there and its token burnt (the node checks the
  chain first): control comes home as a surrender pending with the carrier, by ``to``.
- ``BEGIN_TRANSFER_OUT`` (the controller: the possessor; the carrier for SREJ):
  in flight to a PINT platform (``where``), for one transfer (``ref``: the new chain
  entry's checksum). ``COMPLETE_TRANSFER_OUT`` after the signed RECE or DUPE (``proof``:
  its SHA-256): transferred out for good. ``CANCEL_TRANSFER_OUT`` after a signed BENV or
  BSIG, or before anything was sent: control is back.
- ``RECORD_RECEIVED`` (the receiving party): an eBL arriving from platform ``where``, by
  the chain's last transaction ``action``. An eBL never on this ledger is recorded in the
  receiver's own namespace, its carrier on ``carrierPlatform``: local surrenders, and
  every carrier's act on it, then go through that platform.

Each operation is refused unless the eBL is where it says; the node makes them idempotent
per transfer (``transfer`` keeps the last one). This mirrors ``interop.pint.PintLedger``
(``interop/pint/ledger_port.py``) without importing it: the chaincode sits below interop.
"""

from __future__ import annotations

from chaincode.documents.registry import DocumentKind
from chaincode.records import PENDING, Actor, Away, DocState, DocumentRecord
from chaincode.state import (
    Effects,
    StateView,
    conflict,
    forbidden,
    invalid,
    known_party,
    need,
    not_found,
    state_conflict,
)
from chaincode.transactions import Op, Transaction

SURRENDER_ACTIONS = {
    "SURRENDER_FOR_DELIVERY": DocState.PENDING_SURRENDER_FOR_DELIVERY,
    "SURRENDER_FOR_AMENDMENT": DocState.PENDING_SURRENDER_FOR_AMENDMENT,
}
# Local acts that need the carrier here, and those a surrender from elsewhere rules out.
_CARRIER_ACTS = frozenset({Op.SURRENDER, Op.ACCEPT, Op.REJECT, Op.RELEASE, Op.AMEND})
_ANSWERED_THERE = frozenset({Op.REJECT, Op.AMEND})


def registry_text(where: str) -> str:
    """``eip155:1337:0xabc...`` as people read it."""
    _, chain, address = where.split(":")
    return f"the TradeTrust token registry {address} (chain {chain})"


def elsewhere(doc: DocumentRecord) -> str | None:
    """Where control of the eBL lives when it is not on this ledger, as a sentence."""
    if doc.away is Away.EXPORTED:
        return (
            f"control of eBL {doc.id} lives on {registry_text(doc.away_at or '::')} since its "
            "export: no control action here until its title is returned to the issuer there "
            "and reclaimed (tdx oa reclaim)"
        )
    if doc.away is Away.IN_FLIGHT:
        return (
            f"eBL {doc.id} is in flight to PINT platform {doc.away_at}: no control action "
            "until that platform's signed answer arrives (tdx pint resume)"
        )
    if doc.away is Away.TRANSFERRED_OUT:
        return (
            f"control of eBL {doc.id} lives on PINT platform {doc.away_at}, which accepted "
            "its transfer: no control action here"
        )
    return None


def local_refusal(doc: DocumentRecord, op: Op) -> str | None:
    """Why ``op``, a local control action, may not touch this eBL; None if it may."""
    where = elsewhere(doc)
    if where is not None:
        return where
    if doc.carrier_platform is not None and op in _CARRIER_ACTS:
        return (
            f"the carrier of eBL {doc.id} is on PINT platform {doc.carrier_platform}: "
            "surrenders and the carrier's acts happen there (send it by PINT)"
        )
    if doc.surrendered_from is not None and op in _ANSWERED_THERE:
        return (
            f"the surrender of eBL {doc.id} came from PINT platform {doc.surrendered_from}: "
            "reject it by PINT (SREJ), which returns it there"
        )
    return None


# --- the rules --------------------------------------------------------------------------


def _ebls(view: StateView, doc_id: str) -> list[DocumentRecord]:
    """Every eBL record of the digest on this ledger, first anchored first."""
    records = [view.document(doc_id, issuer) for issuer in view.issuers(doc_id)]
    return [r for r in records if r is not None and r.kind is DocumentKind.EBL]


def _the_ebl(tx: Transaction, view: StateView) -> DocumentRecord:
    """The eBL the transaction addresses, wherever its control is: its carrier's record
    (``tx.carrier``), else the digest's one eBL record."""
    doc_id = need(tx.doc, tx.op, "doc")
    if tx.carrier is not None:
        found = view.document(doc_id, tx.carrier)
        records = [found] if found is not None and found.kind is DocumentKind.EBL else []
    else:
        records = _ebls(view, doc_id)
    if not records:
        raise not_found(f"no eBL {doc_id} on this ledger")
    if len(records) > 1:
        raise invalid(f"several eBL records of {doc_id}: name the carrier")
    return records[0]


def _home(doc: DocumentRecord) -> None:
    where = elsewhere(doc)
    if where is not None:
        raise conflict(where)


def _possessor(doc: DocumentRecord, actor: Actor) -> None:
    if doc.state is not DocState.ISSUED:
        raise state_conflict(doc)
    if doc.holder != actor.id:
        raise conflict(f"not the current possessor (possessor: {doc.holder})")


def _controller(doc: DocumentRecord) -> str | None:
    """Who controls an eBL held here: its possessor, or the carrier while a surrender waits."""
    return doc.holder if doc.state is DocState.ISSUED else doc.carrier


def export_ebl(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    doc = _the_ebl(tx, view)
    _home(doc)
    where = need(tx.where, tx.op, "where (the token registry)")
    ref = need(tx.ref, tx.op, "ref (the token id)")
    if not where.startswith("eip155:"):
        raise invalid("EXPORT_EBL goes to a token registry: eip155:<chain>:<address>")
    if doc.carrier_platform is not None:
        raise conflict(local_refusal(doc, Op.SURRENDER) or "")
    _possessor(doc, actor)
    exported = doc.evolve(away=Away.EXPORTED, away_at=where, transfer=ref, holder=None)
    return Effects(documents=[exported])


def reclaim_ebl(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    doc = _the_ebl(tx, view)
    if doc.away is not Away.EXPORTED:
        raise conflict(f"eBL {doc.id} is not exported to a token registry")
    if ((tx.where or "").lower(), tx.ref) != ((doc.away_at or "").lower(), doc.transfer):
        raise conflict(
            f"eBL {doc.id} was exported to {doc.away_at} as token {doc.transfer}, not "
            f"{tx.where} as token {tx.ref}"
        )
    if actor.id != doc.carrier:
        raise forbidden(
            "only the issuing carrier reclaims an eBL: it accepted the surrender on the registry"
        )
    by = known_party(view, tx.to, tx.op, "to (the party that returned it)").id
    state = (
        DocState.PENDING_SURRENDER_FOR_AMENDMENT
        if tx.purpose == "amendment"
        else DocState.PENDING_SURRENDER_FOR_DELIVERY
    )
    home = doc.evolve(
        away=None,
        away_at=None,
        transfer=None,
        state=state,
        holder=doc.carrier,
        surrendered_by=by,
    )
    return Effects(documents=[home])


def begin_transfer_out(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    doc = _the_ebl(tx, view)
    _home(doc)
    where = need(tx.where, tx.op, "where (the receiving PINT platform)")
    ref = need(tx.ref, tx.op, "ref (the new chain entry's checksum)")
    action = need(tx.action, tx.op, "action (the PINT transaction code)")
    if where.startswith("eip155:"):
        raise invalid("BEGIN_TRANSFER_OUT goes to a PINT platform code")
    if action == "SACC":
        raise invalid("SACC notifies the surrendering platform; it moves no control")
    if action == "SREJ":
        if doc.state not in PENDING or actor.id != doc.carrier:
            raise conflict(
                f"SREJ answers a pending surrender, by its carrier (state {doc.state.value})"
            )
    else:
        _possessor(doc, actor)
        if action in SURRENDER_ACTIONS and doc.carrier_platform != where:
            home = doc.carrier_platform or "this ledger"
            raise conflict(
                f"a surrender of eBL {doc.id} goes to its carrier, on {home}, not to {where}"
            )
    flying = doc.evolve(away=Away.IN_FLIGHT, away_at=where, transfer=ref)
    return Effects(documents=[flying])


def _in_flight(tx: Transaction, actor: Actor, view: StateView) -> DocumentRecord:
    doc = _the_ebl(tx, view)
    ref = need(tx.ref, tx.op, "ref (the transfer)")
    if doc.away is not Away.IN_FLIGHT or doc.transfer != ref:
        raise conflict(f"no transfer {ref} of eBL {doc.id} is in flight")
    if actor.id != _controller(doc):
        raise forbidden(f"the transfer in flight is {_controller(doc)}'s")
    return doc


def complete_transfer_out(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    doc = _in_flight(tx, actor, view)
    need(tx.proof, tx.op, "proof (the signed answer's SHA-256)")
    action = need(tx.action, tx.op, "action (the PINT transaction code)")
    # The state it left in, as the other platform now has it: a surrender pending there,
    # or issued (a transfer, or a rejected surrender going back).
    state = SURRENDER_ACTIONS.get(action, DocState.ISSUED)
    gone = doc.evolve(
        away=Away.TRANSFERRED_OUT,
        state=state,
        holder=None,
        surrendered_by=None,
        surrendered_from=None,
    )
    return Effects(documents=[gone])


def cancel_transfer_out(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    doc = _in_flight(tx, actor, view)
    back = doc.evolve(away=None, away_at=None, transfer=None)
    return Effects(documents=[back])


def _arrival(tx: Transaction, actor: Actor, view: StateView) -> DocumentRecord:
    """The record an arriving eBL lands in: the one that went out from here, else a new
    record in the receiver's namespace. Refused if this ledger holds the eBL."""
    doc_id = need(tx.doc, tx.op, "doc")
    records = _ebls(view, doc_id)
    for record in records:
        if record.away is Away.TRANSFERRED_OUT:
            continue
        where = elsewhere(record)
        if where is not None:
            raise conflict(where)
        holder = _controller(record)
        standing = f"held by {holder}" if holder else "closed"
        raise conflict(f"this ledger has eBL {doc_id} {standing} (state {record.state.value})")
    if records:
        return records[0]
    platform = tx.carrierPlatform
    if platform is None:
        raise invalid(
            f"eBL {doc_id} was never on this ledger: name its carrier's platform (carrierPlatform)"
        )
    return DocumentRecord(
        id=doc_id,
        kind=DocumentKind.EBL,
        issuer=actor.id,
        country=None,
        state=DocState.ISSUED,
        issued_at=tx.time,
        to_order=bool(tx.toOrder),
        carrier_platform=platform,
        away=Away.TRANSFERRED_OUT,  # as if it had left from here: it arrives below
    )


def record_received(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    where = need(tx.where, tx.op, "where (the sending PINT platform)")
    ref = need(tx.ref, tx.op, "ref (the last chain entry's checksum)")
    action = need(tx.action, tx.op, "action (the PINT transaction code)")
    if where.startswith("eip155:"):
        raise invalid("RECORD_RECEIVED comes from a PINT platform code")
    doc = _arrival(tx, actor, view)
    here = {"away": None, "away_at": None, "transfer": ref}
    if action in SURRENDER_ACTIONS:
        if doc.carrier != actor.id:
            carrier = doc.carrier or f"on PINT platform {doc.carrier_platform}"
            raise forbidden(f"a surrender is received by the eBL's carrier ({carrier})")
        arrived = doc.evolve(
            **here,
            state=SURRENDER_ACTIONS[action],
            holder=actor.id,
            surrendered_by=None,
            surrendered_from=where,
        )
    elif action == "SACC":
        if doc.state not in PENDING:
            raise conflict(f"SACC accepts a surrender sent from here (state {doc.state.value})")
        arrived = doc.evolve(**here, state=PENDING[doc.state], holder=None)
    else:
        arrived = doc.evolve(
            **here,
            state=DocState.ISSUED,
            holder=actor.id,
            surrendered_by=None,
            surrendered_from=None,
        )
    return Effects(documents=[arrived])


__all__ = [
    "SURRENDER_ACTIONS",
    "begin_transfer_out",
    "cancel_transfer_out",
    "complete_transfer_out",
    "elsewhere",
    "export_ebl",
    "local_refusal",
    "reclaim_ebl",
    "record_received",
    "registry_text",
]
