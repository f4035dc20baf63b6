import pytest

from chaincode.rail.events import BorderEvent
from tests.chaincode.rail.corridor import DOSTYK, FIRST, FIRST_WAGON, KZ_WAGON
from tests.documents.outcome import Outcome

_outcome = Outcome(BorderEvent)
validate, broken = _outcome.validate, _outcome.broken

AT = "2026-04-10T08:00:00+05:00"


def test_arrival():
    event = validate({"type": "ARRIVAL", "station": DOSTYK, "time": AT})
    assert (event.type, event.station, event.seals, event.moves) == ("ARRIVAL", DOSTYK, [], [])


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"type": "SEAL_CHECK"}, [("$.seals", "event_fields")]),
        ({"type": "TRANSSHIPMENT"}, [("$.moves", "event_fields")]),
        ({"type": "RELEASE_DECISION"}, [("$.decision", "event_fields")]),
        ({"type": "ARRIVAL", "decision": "DIRECT_RELEASE"}, [("$.decision", "event_fields")]),
        (
            {"type": "DEPARTURE", "seals": [{"sealNumber": "X1", "result": "INTACT"}]},
            [("$.seals", "event_fields")],
        ),
        ({"type": "DELAY"}, [("$.type", "allowed_values")]),
    ],
)
def test_fields_belong_to_the_event_type(event, expected):
    assert broken({"station": DOSTYK, "time": AT, **event}) == expected


def test_a_replaced_seal_names_its_successor_and_only_a_replaced_one_does():
    new = {"number": "KZ77", "type": "SMART_LOCK", "sealingParty": "CUSTOMS"}
    doc = {
        "type": "SEAL_CHECK",
        "station": DOSTYK,
        "time": AT,
        "seals": [
            {"sealNumber": "A1", "result": "REPLACED"},
            {"sealNumber": "B1", "result": "INTACT", "newSeal": new},
            {"sealNumber": "C1", "result": "REPLACED", "newSeal": new},
            {"sealNumber": "C1", "result": "INTACT"},
        ],
    }
    assert broken(doc) == [
        ("$.seals[0].newSeal", "replacement_names_new_seal"),
        ("$.seals[1].newSeal", "replacement_names_new_seal"),
        ("$.seals[3].sealNumber", "one_observation_per_seal"),
    ]


def test_moves():
    doc = {
        "type": "TRANSSHIPMENT",
        "station": DOSTYK,
        "time": AT,
        "moves": [
            {"container": FIRST, "fromWagon": FIRST_WAGON, "toWagon": FIRST_WAGON},
            {"container": FIRST, "fromWagon": FIRST_WAGON, "toWagon": KZ_WAGON},
            {"container": "TRIU8734128", "fromWagon": FIRST_WAGON, "toWagon": KZ_WAGON},
        ],
    }
    assert broken(doc) == [
        ("$.moves[0].toWagon", "move_changes_wagon"),
        ("$.moves[1].container", "one_move_per_container"),
        ("$.moves[2].container", "iso6346_check_digit"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("station", "70850", "pattern"),
        ("time", "2026-04-10T08:00:00", "rfc3339_datetime"),
        ("unknown", 1, "unknown_field"),
    ],
)
def test_field_types(field, value, rule):
    doc = {"type": "ARRIVAL", "station": DOSTYK, "time": AT, field: value}
    assert broken(doc) == [(f"$.{field}", rule)]
