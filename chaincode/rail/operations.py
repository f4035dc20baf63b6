"""The ledger operations of the rail corridor, as ``chaincode.lifecycle`` runs them.

- ``RAIL_REGISTER`` (``doc``, ``route``): the rail operator that issued a consignment
  (``ISSUE`` of kind rail) records its route, wagons and seals, once. The route departs from
  the country the consignment was issued in.
- ``RAIL_EVENT`` (``doc``, ``event``): a border event, or customs' release decision, on a
  consignment whose route is registered and whose record is still ISSUED. The event happened
  no later than the transaction (``event.time <= tx.time``); ``chaincode.rail.recording``
  decides the rest (role, country, route, order, the release rule) from the route and the
  events recorded so far.
- ``RAIL_IMPORT`` (``doc``, ``route``, ``origin``): a rail operator or customs of a country
  the route enters holds, on its own country's ledger, a consignment registered on the
  origin country's ledger, so that its border events and release decisions there are
  accepted. The transaction carries the origin's signed note (verified against the origin's
  ledger on arrival, ``network.rail.holding``); the rule checks that the note is this
  consignment and the route its own, that the origin is where the route departs and its
  issuer of record an organisation of that country. The route is recorded under the origin's
  issuer of record; this ledger keeps no document record of it (the note was not issued
  here), and its events need none.

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
from chaincode.documents.envelope import EnvelopeError, parse
from chaincode.documents.rail import RailConsignment
from chaincode.documents.registry import DocumentKind, InvalidDocumentError, validate_document
from chaincode.rail import recording
from chaincode.rail.consignment import EventRecord, RailRoute, RouteRecord
from chaincode.rail.events import RecordedEvent
from chaincode.records import Actor, DocState, DocumentRecord
from chaincode.state import Effects, Refusal, RefusalKind, StateView
from chaincode.transactions import Op, Transaction
from identity.roles import Role


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
    # A route held from another country's ledger (RAIL_IMPORT) has no document record here.
    record = view.document(tx.doc, route.issuer)
    if record is not None and record.state is not DocState.ISSUED:
        raise _refuse(
            "conflict",
            f"consignment {tx.doc} is {record.state.value}: events are recorded on an "
            "ISSUED consignment",
        )
    recorded = recording.check_event(route.route, rail.rail_events(tx.doc), tx.event, actor)
    return Effects(rail_events=[EventRecord(tx.doc, route.issuer, recorded)])


# Who may hold another country's consignment on this ledger: those who record its events.
_IMPORTER_ROLES = frozenset({Role.RAIL, Role.CUSTOMS})


def import_route(tx: Transaction, actor: Actor, view: StateView) -> Effects:
    if tx.doc is None or tx.route is None or tx.origin is None:
        raise _refuse("invalid", f"{Op.RAIL_IMPORT.value} needs doc, route and origin")
    rail = _rail(view, Op.RAIL_IMPORT)
    origin = tx.origin
    if not actor.roles & _IMPORTER_ROLES:
        raise _refuse("forbidden", "importer_role: role rail or customs required to hold a route")
    entries = {c.entryStation.country for c in tx.route.borderCrossings}
    if actor.country not in entries:
        raise _refuse(
            "forbidden",
            f"route_enters_country: the route of consignment {tx.doc} does not enter "
            f"{actor.country}",
        )
    departs = tx.route.departureStation.country
    if origin.country != departs or origin.country == actor.country:
        raise _refuse(
            "invalid",
            f"origin.country: the route departs from {departs}; the origin is {origin.country} "
            f"and the holding country {actor.country}",
        )
    # The note's signer and its country were established on arrival (its certificate chain
    # to the origin's root); a ledger that knows the organisation holds it to that country.
    issuer = view.party(origin.issuer)
    if issuer is not None and issuer.country != origin.country:
        raise _refuse(
            "invalid",
            f"origin.issuer: {origin.issuer} is not an organisation of {origin.country}",
        )
    try:
        note = validate_document(DocumentKind.RAIL, parse(origin.document).document)
    except (EnvelopeError, InvalidDocumentError) as exc:
        raise _refuse("invalid", f"origin.document: not a signed consignment note: {exc}") from None
    if note.digest != tx.doc:
        raise _refuse("invalid", f"origin.document: the note is {note.digest}, not {tx.doc}")
    assert isinstance(note.model, RailConsignment)
    if RailRoute.of(note.model) != tx.route:
        raise _refuse("invalid", "route: the route is not the origin's note's route")
    if view.document(tx.doc) is not None or rail.rail_route(tx.doc) is not None:
        raise _refuse(
            "conflict", f"consignment {tx.doc} is on this ledger already: nothing to hold"
        )
    return Effects(rail_route=RouteRecord(tx.doc, origin.issuer, tx.route, tx.time))


__all__ = ["RailView", "import_route", "record_event", "register_route"]
