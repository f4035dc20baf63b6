from chaincode.rail.events import Outcome
from chaincode.rail.release import assess_release
from tests.chaincode.rail.corridor import (
    FIRST,
    FIRST_SEAL,
    FIRST_WAGON,
    KZ_CUSTOMS,
    KZ_WAGON,
    SECOND,
    SECOND_SEAL,
    SECOND_WAGON,
    consignment,
    customs_seal,
    event,
    move,
    raw_consignment,
    recorded,
)
from tests.chaincode.rail.corridor import check as seal_check

NOTE = consignment()


def assess(*events, note=NOTE):
    return assess_release(note, recorded(*events), 0)


def reasons(assessment):
    return sorted((f.subject, f.reason) for f in assessment.findings)


def test_all_seals_intact_through_transshipment_is_direct_release():
    result = assess(
        event("ARRIVAL"),
        seal_check((FIRST_SEAL, "INTACT"), (SECOND_SEAL, "INTACT")),
        move(FIRST, FIRST_WAGON, KZ_WAGON, minute=30),
        seal_check((FIRST_SEAL, "INTACT"), minute=40),
    )
    assert (result.outcome, result.findings) == (Outcome.DIRECT_RELEASE, ())


def test_each_seal_that_is_not_intact_is_named_with_its_reason():
    result = assess(
        event("ARRIVAL"),
        seal_check((FIRST_SEAL, "BROKEN"), (SECOND_SEAL, "MISSING")),
    )
    assert result.outcome == Outcome.INSPECTION_REQUIRED
    assert reasons(result) == [(FIRST_SEAL, "broken"), (SECOND_SEAL, "missing")]
    assert {f.detail for f in result.findings} == {
        f"broken at 708507, on {FIRST}",
        f"missing at 708507, on {SECOND}",
    }


def test_a_broken_seal_stays_a_reason_after_a_later_intact_check():
    result = assess(
        event("ARRIVAL"),
        seal_check((FIRST_SEAL, "BROKEN"), (SECOND_SEAL, "INTACT")),
        seal_check((FIRST_SEAL, "INTACT"), minute=5),
    )
    assert reasons(result) == [(FIRST_SEAL, "broken")]


def test_a_seal_never_checked_needs_inspection():
    result = assess(event("ARRIVAL"), seal_check((FIRST_SEAL, "INTACT")))
    assert reasons(result) == [(SECOND_SEAL, "not_checked")]


def test_a_customs_replacement_checked_afterwards_keeps_the_chain_of_custody():
    events = [
        event("ARRIVAL"),
        seal_check((FIRST_SEAL, "REPLACED", customs_seal("KZC0001")), (SECOND_SEAL, "INTACT")),
        seal_check(("KZC0001", "INTACT"), minute=10),
    ]
    result = assess_release(NOTE, recorded(*events, by=KZ_CUSTOMS.id), 0)
    assert result.outcome == Outcome.DIRECT_RELEASE
    [chain, _] = result.chains
    [link] = chain.links
    assert (link.old, link.new, link.new_type, link.sealing_party) == (
        FIRST_SEAL,
        "KZC0001",
        "SMART_LOCK",
        "CUSTOMS",
    )
    assert (link.by, link.station, link.time) == (KZ_CUSTOMS.id, "708507", events[1].time)
    assert chain.numbers == (FIRST_SEAL, "KZC0001")
    assert chain.current == "KZC0001"


def test_a_replacement_without_a_later_check_needs_inspection():
    result = assess(
        event("ARRIVAL"),
        seal_check((FIRST_SEAL, "REPLACED", customs_seal("KZC0001")), (SECOND_SEAL, "INTACT")),
    )
    assert reasons(result) == [("KZC0001", "replaced_without_later_check")]


def test_a_replacement_not_by_customs_needs_inspection_even_when_checked():
    carrier_seal = {"number": "KTZ555", "type": "MECHANICAL", "sealingParty": "CARRIER"}
    result = assess(
        event("ARRIVAL"),
        seal_check((FIRST_SEAL, "REPLACED", carrier_seal), (SECOND_SEAL, "INTACT")),
        seal_check(("KTZ555", "INTACT"), minute=10),
    )
    assert reasons(result) == [("KTZ555", "replaced_not_by_customs")]


def test_a_container_moved_without_a_later_check_needs_inspection():
    result = assess(
        event("ARRIVAL"),
        seal_check((FIRST_SEAL, "INTACT"), (SECOND_SEAL, "INTACT")),
        move(SECOND, SECOND_WAGON, KZ_WAGON, minute=30),
    )
    [finding] = result.findings
    assert (finding.subject, finding.reason) == (SECOND_SEAL, "unchecked_after_transshipment")
    assert finding.detail == f"{SECOND} moved to wagon {KZ_WAGON}, no seal check after"


def test_an_old_seal_number_after_replacement_is_unknown():
    result = assess(
        event("ARRIVAL"),
        seal_check((FIRST_SEAL, "REPLACED", customs_seal("KZC0001")), (SECOND_SEAL, "INTACT")),
        seal_check((FIRST_SEAL, "INTACT"), minute=10),
    )
    assert reasons(result) == [
        (FIRST_SEAL, "unknown_seal"),
        ("KZC0001", "replaced_without_later_check"),
    ]


def test_an_unsealed_container_cannot_be_released_directly():
    raw = raw_consignment()
    del raw["seals"][1]
    result = assess(event("ARRIVAL"), seal_check((FIRST_SEAL, "INTACT")), note=consignment(raw))
    assert reasons(result) == [(SECOND, "unsealed_container")]


def test_no_arrival_no_direct_release():
    result = assess(seal_check((FIRST_SEAL, "INTACT"), (SECOND_SEAL, "INTACT")))
    assert reasons(result) == [("consignment", "no_arrival")]


def test_checks_at_another_station_do_not_count():
    result = assess(
        event("ARRIVAL"),
        event(
            "SEAL_CHECK", station="700007", seals=[{"sealNumber": FIRST_SEAL, "result": "INTACT"}]
        ),
        seal_check((SECOND_SEAL, "INTACT")),
    )
    assert reasons(result) == [(FIRST_SEAL, "not_checked")]


def test_a_wagon_seal_is_checked_like_a_container_seal():
    raw = raw_consignment()
    raw["seals"].append(
        {
            "number": "W-1",
            "type": "MECHANICAL",
            "sealingParty": "CARRIER",
            "wagonNumber": FIRST_WAGON,
        }
    )
    note = consignment(raw)
    base = [event("ARRIVAL"), seal_check((FIRST_SEAL, "INTACT"), (SECOND_SEAL, "INTACT"))]
    assert reasons(assess(*base, note=note)) == [("W-1", "not_checked")]
    assert assess(*base, seal_check(("W-1", "INTACT")), note=note).outcome == Outcome.DIRECT_RELEASE
