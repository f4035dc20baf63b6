"""RAIL_REGISTER and RAIL_EVENT as the ledger runs them (chaincode.lifecycle.apply), on the
in-memory state: the route is registered once by the consignment's issuer, and events are
checked against it and the events recorded before."""

import datetime

import pytest

from chaincode.canonical import canonical_bytes
from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.rail.consignment import RailRoute
from chaincode.transactions import Op, Transaction
from tests.chaincode.memory_state import ACTORS, T0, MemoryState, doc_id
from tests.chaincode.rail.corridor import (
    CN_RAIL,
    FIRST_SEAL,
    KZ_CARRIER,
    KZ_CUSTOMS,
    KZ_RAIL,
    SECOND_SEAL,
    check,
    consignment,
    event,
)

PARTIES = {**ACTORS, **{a.id: a for a in (CN_RAIL, KZ_RAIL, KZ_CUSTOMS, KZ_CARRIER)}}
NOTE = doc_id(77)
ROUTE = RailRoute.of(consignment())


@pytest.fixture
def state() -> MemoryState:
    s = MemoryState(PARTIES.get)
    s.run("cn-railway", Op.ISSUE, doc=NOTE, kind=DocumentKind.RAIL, country="CN")
    return s


def refused(state: MemoryState, actor: str, op: Op, **fields: object) -> Refusal:
    with pytest.raises(Refusal) as caught:
        state.run(actor, op, **fields)
    return caught.value


def registered(state: MemoryState) -> MemoryState:
    effects = state.run("cn-railway", Op.RAIL_REGISTER, doc=NOTE, route=ROUTE)
    assert effects.touched_records == [(NOTE, "cn-railway")]
    return state


def test_the_issuer_registers_the_route_once(state):
    assert refused(state, "kz-ktz", Op.RAIL_REGISTER, doc=NOTE, route=ROUTE).rule == (
        "only the consignment's issuer of record (cn-railway) registers its route"
    )
    registered(state)
    assert state.rail_route(NOTE).route == ROUTE
    again = refused(state, "cn-railway", Op.RAIL_REGISTER, doc=NOTE, route=ROUTE)
    assert (again.kind, again.rule) == (
        RefusalKind.CONFLICT,
        f"the route of consignment {NOTE} is registered already (by cn-railway)",
    )


def test_a_route_belongs_to_an_issued_rail_consignment(state):
    missing = refused(state, "cn-railway", Op.RAIL_REGISTER, doc=doc_id(1), route=ROUTE)
    assert missing.kind is RefusalKind.NOT_FOUND
    state.run("cn-ccpit", Op.ISSUE, doc=doc_id(2), kind=DocumentKind.CO, country="CN")
    co = refused(state, "cn-ccpit", Op.RAIL_REGISTER, doc=doc_id(2), route=ROUTE)
    assert co.rule == f"{doc_id(2)} is a co, not a rail consignment"
    state.run("cn-railway", Op.REVOKE, doc=NOTE, reason="cancelled")
    revoked = refused(state, "cn-railway", Op.RAIL_REGISTER, doc=NOTE, route=ROUTE)
    assert revoked.rule == f"consignment {NOTE} is REVOKED, not ISSUED"


def test_the_route_departs_from_the_issuing_country(state):
    raw = ROUTE.model_dump(mode="json")
    raw["departureStation"]["country"] = "KZ"
    wrong = refused(
        state, "cn-railway", Op.RAIL_REGISTER, doc=NOTE, route=RailRoute.model_validate(raw)
    )
    assert wrong.rule == (
        "route.departureStation.country: the route departs from KZ, the consignment was "
        "issued in CN"
    )


def test_a_route_is_checked_with_the_notes_own_rules():
    raw = ROUTE.model_dump(mode="json")
    raw["seals"][0]["containerNumber"] = "MSKU1234565"
    with pytest.raises(ValueError, match="seal_unit_present"):
        Transaction(op=Op.RAIL_REGISTER, actor="cn-railway", time=T0, doc=NOTE, route=raw)


def test_events_need_a_registered_route(state):
    no_route = refused(state, "kz-ktz", Op.RAIL_EVENT, doc=NOTE, event=event("ARRIVAL"))
    assert (no_route.kind, no_route.rule) == (
        RefusalKind.CONFLICT,
        f"consignment {NOTE} has no registered route yet (tdx rail register)",
    )
    nothing = refused(state, "kz-ktz", Op.RAIL_EVENT, doc=doc_id(5), event=event("ARRIVAL"))
    assert nothing.kind is RefusalKind.NOT_FOUND


def test_an_event_is_not_after_its_transaction(state):
    registered(state)
    late = event("ARRIVAL").model_copy(update={"time": T0 + datetime.timedelta(days=1)})
    found = refused(state, "kz-ktz", Op.RAIL_EVENT, doc=NOTE, event=late)
    assert found.rule.startswith("event_not_after_transaction: the event's time")


def test_the_recording_rules_run_on_the_registered_route(state):
    registered(state)
    by_carrier = refused(state, "kz-forwarder", Op.RAIL_EVENT, doc=NOTE, event=event("ARRIVAL"))
    assert by_carrier.rule == "recorder_role: role customs or rail required to record a ARRIVAL"
    off_route = refused(
        state, "kz-ktz", Op.RAIL_EVENT, doc=NOTE, event=event("ARRIVAL", station="708403")
    )
    assert off_route.rule.startswith("station_on_route: station 708403 is not on the route")
    effects = state.run("kz-ktz", Op.RAIL_EVENT, doc=NOTE, event=event("ARRIVAL"))
    assert effects.touched_records == [(NOTE, "cn-railway")]
    decision = event("RELEASE_DECISION", minute=30, decision="DIRECT_RELEASE")
    by_rail = refused(state, "kz-ktz", Op.RAIL_EVENT, doc=NOTE, event=decision)
    assert by_rail.rule == "recorder_role: role customs required to record a RELEASE_DECISION"
    state.run(
        "kz-customs",
        Op.RAIL_EVENT,
        doc=NOTE,
        event=check((FIRST_SEAL, "INTACT"), (SECOND_SEAL, "INTACT"), minute=10),
    )
    state.run("kz-customs", Op.RAIL_EVENT, doc=NOTE, event=decision)
    assert [r.by for r in state.rail_events(NOTE)] == ["kz-ktz", "kz-customs", "kz-customs"]


def test_no_events_on_a_revoked_consignment(state):
    registered(state)
    state.run("cn-railway", Op.REVOKE, doc=NOTE, reason="cancelled")
    found = refused(state, "kz-ktz", Op.RAIL_EVENT, doc=NOTE, event=event("ARRIVAL"))
    assert found.rule == (
        f"consignment {NOTE} is REVOKED: events are recorded on an ISSUED consignment"
    )


def test_the_wire_form_round_trips():
    tx = Transaction(
        op=Op.RAIL_EVENT,
        actor="kz-customs",
        time=T0,
        doc=NOTE,
        event=check((FIRST_SEAL, "INTACT"), minute=3),
    )
    again = Transaction.model_validate_json(canonical_bytes(tx.wire()))
    assert again == tx
    assert "moves" not in tx.wire()["event"]  # empty lists are left out of what is signed
