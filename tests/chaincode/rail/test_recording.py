import pytest

from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.rail.events import RecordedEvent
from chaincode.rail.recording import EventRefusal, check_event
from tests.chaincode.rail.corridor import (
    ALASHANKOU,
    ALMATY,
    CN_CUSTOMS,
    CN_RAIL,
    FIRST,
    FIRST_SEAL,
    FIRST_WAGON,
    KZ_CARRIER,
    KZ_CUSTOMS,
    KZ_RAIL,
    KZ_WAGON,
    KZ_WAGON_2,
    SECOND_SEAL,
    TUANJIECUN,
    check,
    consignment,
    customs_seal,
    event,
    move,
)

NOTE = consignment()


def record(events_and_actors):
    """Record each (event, actor) in turn; the history is what was accepted."""
    history: list[RecordedEvent] = []
    for e, actor in events_and_actors:
        history.append(check_event(NOTE, history, e, actor))
    return history


def refusal(history, e, actor) -> EventRefusal:
    with pytest.raises(EventRefusal) as caught:
        check_event(NOTE, history, e, actor)
    assert isinstance(caught.value, Refusal)  # the ledger reports it like any other refusal
    return caught.value


ARRIVED = [(event("ARRIVAL"), KZ_RAIL)]


def test_a_whole_crossing_is_recorded():
    history = record(
        [
            (event("DEPARTURE", station=TUANJIECUN, minute=-5000), CN_RAIL),
            (event("ARRIVAL", station=ALASHANKOU, minute=-600), CN_RAIL),
            (event("DEPARTURE", station=ALASHANKOU, minute=-120), CN_CUSTOMS),
            (event("ARRIVAL", minute=0), KZ_RAIL),
            (check((FIRST_SEAL, "INTACT"), (SECOND_SEAL, "INTACT"), minute=10), KZ_CUSTOMS),
            (move(FIRST, FIRST_WAGON, KZ_WAGON, minute=60), KZ_RAIL),
            (check((FIRST_SEAL, "INTACT"), minute=70), KZ_RAIL),
            (event("RELEASE_DECISION", minute=90, decision="DIRECT_RELEASE"), KZ_CUSTOMS),
            (event("DEPARTURE", minute=180), KZ_RAIL),
            (event("ARRIVAL", station=ALMATY, minute=2000), KZ_RAIL),
        ]
    )
    assert [r.by for r in history][-4:] == ["kz-ktz", "kz-customs", "kz-ktz", "kz-ktz"]


def test_an_event_off_the_route_is_refused():
    found = refusal([], event("ARRIVAL", station="708403"), KZ_RAIL)
    assert (found.kind, found.name) == (RefusalKind.INVALID, "station_on_route")
    assert found.message == "station 708403 is not on the route of consignment note CQ2604080017"
    assert found.rule == f"station_on_route: {found.message}"


def test_seal_checks_happen_at_a_border_crossing():
    e = event("SEAL_CHECK", station=ALMATY, seals=[{"sealNumber": FIRST_SEAL, "result": "INTACT"}])
    assert refusal([], e, KZ_RAIL).name == "at_border_crossing"


@pytest.mark.parametrize(
    ("e", "actor"),
    [
        (event("ARRIVAL"), KZ_CARRIER),
        (event("RELEASE_DECISION", decision="INSPECTION_REQUIRED"), KZ_RAIL),
    ],
)
def test_who_may_record(e, actor):
    history = [] if e.type == "ARRIVAL" else record(ARRIVED)
    found = refusal(history, e, actor)
    assert (found.kind, found.name) == (RefusalKind.FORBIDDEN, "recorder_role")


def test_only_customs_decides_release():
    history = record(ARRIVED)
    found = refusal(history, event("RELEASE_DECISION", decision="INSPECTION_REQUIRED"), KZ_RAIL)
    assert found.message == "role customs required to record a RELEASE_DECISION"
    decision = event("RELEASE_DECISION", decision="INSPECTION_REQUIRED")
    assert check_event(NOTE, history, decision, KZ_CUSTOMS).by == KZ_CUSTOMS.id


def test_the_recorder_belongs_to_the_station_country():
    found = refusal([], event("ARRIVAL"), CN_RAIL)
    assert (found.name, found.message) == (
        "recorder_country",
        "an event at Dostyk is recorded by an organisation of KZ, not CN",
    )


def test_events_are_in_time_order():
    history = record([(event("ARRIVAL", minute=10), KZ_RAIL)])
    assert refusal(history, check((FIRST_SEAL, "INTACT"), minute=5), KZ_RAIL).name == (
        "events_in_time_order"
    )


def test_nothing_happens_at_a_crossing_before_the_arrival():
    found = refusal([], check((FIRST_SEAL, "INTACT")), KZ_RAIL)
    assert (found.kind, found.name) == (RefusalKind.CONFLICT, "arrival_first")


def test_the_release_decision_is_final():
    history = record(
        [*ARRIVED, (event("RELEASE_DECISION", decision="INSPECTION_REQUIRED"), KZ_CUSTOMS)]
    )
    assert refusal(history, check((FIRST_SEAL, "INTACT")), KZ_CUSTOMS).name == "decision_final"
    again = event("RELEASE_DECISION", decision="INSPECTION_REQUIRED")
    assert refusal(history, again, KZ_CUSTOMS).name == "decision_final"
    assert check_event(NOTE, history, event("DEPARTURE"), KZ_RAIL).event.type == "DEPARTURE"


def test_a_direct_release_is_refused_when_a_seal_is_broken():
    history = record(
        [*ARRIVED, (check((FIRST_SEAL, "BROKEN"), (SECOND_SEAL, "INTACT")), KZ_CUSTOMS)]
    )
    found = refusal(history, event("RELEASE_DECISION", decision="DIRECT_RELEASE"), KZ_CUSTOMS)
    assert (found.kind, found.name) == (
        RefusalKind.CONFLICT,
        "direct_release_needs_unchanged_seals",
    )
    assert found.message == (
        f"inspection required: {FIRST_SEAL}: broken: broken at 708507, on {FIRST}"
    )
    # customs may always choose inspection
    inspection = event("RELEASE_DECISION", decision="INSPECTION_REQUIRED")
    assert (
        check_event(NOTE, history, inspection, KZ_CUSTOMS).event.decision == "INSPECTION_REQUIRED"
    )


def test_a_checked_seal_is_a_current_seal_of_the_consignment():
    history = record(
        [*ARRIVED, (check((FIRST_SEAL, "REPLACED", customs_seal("KZC1"))), KZ_CUSTOMS)]
    )
    found = refusal(history, check((FIRST_SEAL, "INTACT")), KZ_RAIL)
    assert (found.name, found.message) == (
        "seal_known",
        f"seal {FIRST_SEAL} is on none of the consignment's units now (it was replaced by KZC1)",
    )
    assert refusal(history, check(("NOPE", "INTACT")), KZ_RAIL).name == "seal_known"


def test_a_new_seal_number_is_new():
    history = record(ARRIVED)
    found = refusal(history, check((FIRST_SEAL, "REPLACED", customs_seal(SECOND_SEAL))), KZ_CUSTOMS)
    assert found.name == "new_seal_number_unique"


def test_only_customs_puts_on_a_customs_seal():
    history = record(ARRIVED)
    found = refusal(history, check((FIRST_SEAL, "REPLACED", customs_seal("KZC1"))), KZ_RAIL)
    assert (found.kind, found.name) == (RefusalKind.FORBIDDEN, "customs_seal_by_customs")


def test_a_container_moves_from_the_wagon_it_is_on():
    history = record([*ARRIVED, (move(FIRST, FIRST_WAGON, KZ_WAGON), KZ_RAIL)])
    found = refusal(history, move(FIRST, FIRST_WAGON, KZ_WAGON_2), KZ_RAIL)
    assert (found.name, found.message) == (
        "container_on_wagon",
        f"container {FIRST} is on wagon {KZ_WAGON}, not {FIRST_WAGON}",
    )
    assert check_event(NOTE, history, move(FIRST, KZ_WAGON, KZ_WAGON_2), KZ_RAIL)
    elsewhere = "MSKU1234565"
    assert refusal(history, move(elsewhere, FIRST_WAGON, KZ_WAGON_2), KZ_RAIL).name == (
        "container_in_consignment"
    )
