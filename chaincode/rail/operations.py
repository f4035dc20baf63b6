"""The ledger operations of the rail corridor, as ``chaincode.lifecycle`` runs them.

- ``RAIL_REGISTER`` (``doc``, ``route``): the rail operator that issued a consignment
  (``ISSUE`` of kind rail) records its route, wagons and seals, once. The route departs from
  the country the consignment was issued in.
- ``RAIL_EVENT`` (``doc``, ``event``): a border event, or customs' release decision, on a
  consignment whose route is registered and whose record is still ISSUED. The event happened
  no later than the transaction (``event.time <= tx.time``); ``chaincode.rail.recording``
  decides the rest (role, country, route, order, the release rule) from the route and the
  events recorded so far.

The rules read the route and events through ``RailView``, which a ledger's state view offers
when its engine keeps rail records (the embedded engine does; the EVM and Fabric engines do
not yet): on any other view both operations are refused, so nothing is accepted that the
engine would not store.

Both effects belong to the consignment's record (its digest and issuer), so its history,
trace and proofs show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from chaincode.authority import issue_refusal
from chaincode.documents.registry import DocumentKind
from chaincode.rail import recording
from chaincode.rail.consignment import EventRecord, RouteRecord
from chaincode.rail.events import RecordedEvent
from chaincode.records import Actor, DocState, DocumentRecord
from chaincode.state import Effects, Refusal, RefusalKind, StateView
from chaincode.transactions import Op, Transaction


@runtime_checkable
class RailView(Protocol):
    """The rail records of a ledger's state (``chaincode.StateView`` besides)."""

    def rail_route(self, doc_id: str) -> RouteRecord | None:
        """The consignment's registered route, or None."""
        ...

    def rail_events(self, doc_id: str) -> Sequence[RecordedEvent]:
        """The border events recorded on the consignment, in ledger order."""
        ...


def _rail(view: StateView, op: Op) -> RailView:
    if not isinstance(view, RailView):
        raise _refuse(
            "invalid",
            f"rail_records_kept: {op.value} is refused: this ledger engine keeps no rail "
            "records (routes and border events)",
        )
    return view


def _refuse(kind: str, rule: str) -> Refusal:
    return Refusal(RefusalKind(kind), rule)


def _consignment(view: StateView, doc_id: str, issuer: str | None) -> DocumentRecord:
    record = (view.document(doc_id, issuer) if issuer else None) or view.document(doc_id)
    if record is None:
        raise _refuse("not_found", f"document {doc_id} is not on the ledger")
    if record.kind is not DocumentKind.RAIL:
        raise _refuse("invalid", f"{doc_id} is a {record.kind.value}, not a rail consignment")
    return record


def register_route(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    if tx.doc is None or tx.route is None:
        raise _refuse("invalid", f"{Op.RAIL_REGISTER.value} needs doc and route")
    rail = _rail(view, Op.RAIL_REGISTER)
    record = _consignment(view, tx.doc, actor.id)
    if record.issuer != actor.id:
        raise _refuse(
            "forbidden",
            f"only the consignment's issuer of record ({record.issuer}) registers its route",
        )
    refusal = issue_refusal(DocumentKind.RAIL, actor.roles, actor.country, record.country)
    if refusal is not None:
        raise _refuse("forbidden", refusal)
    if record.state is not DocState.ISSUED:
        raise _refuse("conflict", f"consignment {tx.doc} is {record.state.value}, not ISSUED")
    existing = rail.rail_route(tx.doc)
    if existing is not None:
        raise _refuse(
            "conflict",
            f"the route of consignment {tx.doc} is registered already (by {existing.issuer})",
        )
    departs = tx.route.departureStation.country
    if departs != record.country:
        raise _refuse(
            "invalid",
            f"route.departureStation.country: the route departs from {departs}, the "
            f"consignment was issued in {record.country}",
        )
    return Effects(rail_route=RouteRecord(tx.doc, actor.id, tx.route, tx.time))


def record_event(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    if tx.doc is None or tx.event is None:
        raise _refuse("invalid", f"{Op.RAIL_EVENT.value} needs doc and event")
    if tx.event.time > tx.time:
        raise _refuse(
            "invalid",
            f"event_not_after_transaction: the event's time {tx.event.time.isoformat()} is "
            f"after the transaction's {tx.time.isoformat()}",
        )
    rail = _rail(view, Op.RAIL_EVENT)
    route = rail.rail_route(tx.doc)
    if route is None:
        _consignment(view, tx.doc, None)  # not on the ledger, or not a consignment
        raise _refuse(
            "conflict",
            f"consignment {tx.doc} has no registered route yet (tdx rail register)",
        )
    record = _consignment(view, tx.doc, route.issuer)
    if record.state is not DocState.ISSUED:
        raise _refuse(
            "conflict",
            f"consignment {tx.doc} is {record.state.value}: events are recorded on an "
            "ISSUED consignment",
        )
    recorded = recording.check_event(route.route, rail.rail_events(tx.doc), tx.event, actor)
    return Effects(rail_events=[EventRecord(tx.doc, route.issuer, recorded)])


__all__ = ["RailView", "record_event", "register_route"]
