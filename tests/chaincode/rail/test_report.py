"""1,000 consignments over the four gauge-change pairs, with event times chosen so that
every figure of the report is known in closed form."""

import datetime
import math
import random

import pytest

from chaincode.rail.events import BorderEvent, RecordedEvent
from chaincode.rail.recording import check_event
from chaincode.rail.report import Journey, percentile, release_time_report
from chaincode.records import Actor
from identity.roles import Role
from tests.chaincode.rail.corridor import FIRST_SEAL, SECOND_SEAL, consignment, raw_consignment

# (China station, code), (partner station, code), partner country, consignments, undecided.
# Only Alashankou's and Dostyk's codes are the example's; the others are placeholders (99xxxx)
# for this test, not real station codes.
PAIRS = [
    (("Alashankou", "892305"), ("Dostyk", "708507"), "KZ", 400, 0),
    (("Khorgos", "990101"), ("Altynkol", "990102"), "KZ", 300, 0),
    (("Manzhouli", "990201"), ("Zabaikalsk", "990202"), "RU", 200, 0),
    (("Erenhot", "990301"), ("Zamyn-Uud", "990302"), "MN", 100, 10),
]
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def note_for(china, partner, country):
    raw = raw_consignment()
    raw["borderCrossings"] = [
        {
            "exitStation": {"name": china[0], "code": china[1], "country": "CN"},
            "entryStation": {"name": partner[0], "code": partner[1], "country": country},
            "gaugeChange": True,
        }
    ]
    raw["destinationStation"] = {"name": "Destination", "code": "990999", "country": country}
    return consignment(raw)


def event(kind, station, at, **fields):
    return BorderEvent.model_validate({"type": kind, "station": station, "time": at, **fields})


def journey(note, station, j, country, decided):
    """Consignment j at the pair: dwell to decision (j+1)*10 min, to departure +120 min;
    every fourth (j % 4 == 0) has a broken seal and goes to inspection."""
    rail = Actor(f"{country.lower()}-rail", country, frozenset({Role.RAIL}))
    customs = Actor(f"{country.lower()}-customs", country, frozenset({Role.CUSTOMS}))
    arrival = T0 + datetime.timedelta(hours=j)
    steps = [
        (event("ARRIVAL", station, arrival), rail),
        (
            event(
                "SEAL_CHECK",
                station,
                arrival + datetime.timedelta(minutes=5),
                seals=[
                    {"sealNumber": FIRST_SEAL, "result": "BROKEN" if j % 4 == 0 else "INTACT"},
                    {"sealNumber": SECOND_SEAL, "result": "INTACT"},
                ],
            ),
            customs,
        ),
    ]
    if decided:
        outcome = "INSPECTION_REQUIRED" if j % 4 == 0 else "DIRECT_RELEASE"
        at_decision = arrival + datetime.timedelta(minutes=(j + 1) * 10)
        at_departure = at_decision + datetime.timedelta(minutes=120)
        steps.append((event("RELEASE_DECISION", station, at_decision, decision=outcome), customs))
        steps.append((event("DEPARTURE", station, at_departure), rail))
    history: list[RecordedEvent] = []
    for e, actor in steps:
        history.append(check_event(note, history, e, actor))
    return Journey(f"{station}-{j}", note, tuple(history))


@pytest.fixture(scope="module")
def journeys():
    out = []
    for china, partner, country, count, undecided in PAIRS:
        note = note_for(china, partner, country)
        order = list(range(count))
        random.Random(count).shuffle(order)  # the ledger does not see them sorted
        for j in order:
            out.append(journey(note, partner[1], j, country, decided=j < count - undecided))
    assert len(out) == 1000
    return out


def minutes(m):
    return m * 60.0


def test_every_figure_of_the_report(journeys):
    report = release_time_report(journeys)
    assert [p.pair for p in report.pairs] == [
        "Alashankou-Dostyk",
        "Erenhot-Zamyn-Uud",
        "Khorgos-Altynkol",
        "Manzhouli-Zabaikalsk",
    ]
    by_pair = {p.entry_station: p for p in report.pairs}
    for _, (_, code), _, count, undecided in PAIRS:
        pair = by_pair[code]
        decided = count - undecided
        inspected = math.ceil(decided / 4)  # j = 0, 4, 8, ... below `decided`
        assert (pair.consignments, pair.decisions) == (count, decided)
        assert pair.direct_releases == decided - inspected
        assert pair.direct_share == (decided - inspected) / decided
        # dwell to decision: 10, 20, ..., decided*10 minutes
        to_decision = pair.arrival_to_decision
        assert to_decision.count == decided
        assert to_decision.p50 == minutes(math.ceil(decided * 0.5) * 10)
        assert to_decision.p90 == minutes(math.ceil(decided * 0.9) * 10)
        assert to_decision.max == minutes(decided * 10)
        to_departure = pair.arrival_to_departure
        assert to_departure.count == decided
        assert to_departure.p50 == minutes(math.ceil(decided * 0.5) * 10 + 120)
        assert to_departure.p90 == minutes(math.ceil(decided * 0.9) * 10 + 120)
        assert to_departure.max == minutes(decided * 10 + 120)
    dostyk = by_pair["708507"]
    assert (dostyk.direct_releases, dostyk.arrival_to_decision.p90) == (300, minutes(3600))


def test_the_report_is_reproducible_from_the_entries(journeys):
    shuffled = list(journeys)
    random.Random(1).shuffle(shuffled)
    assert release_time_report(shuffled).as_json() == release_time_report(journeys).as_json()


def test_a_consignment_that_never_arrived_is_not_counted(journeys):
    [first, *_] = journeys
    silent = Journey("silent", first.consignment, ())
    report = release_time_report([first, silent])
    assert report.pairs[0].consignments == 1


@pytest.mark.parametrize(
    ("values", "p50", "p90"),
    [
        ([], None, None),
        ([7.0], 7.0, 7.0),
        ([1.0, 2.0], 1.0, 2.0),
        ([float(v) for v in range(1, 11)], 5.0, 9.0),
    ],
)
def test_nearest_rank_percentiles(values, p50, p90):
    assert (percentile(values, 50), percentile(values, 90)) == (p50, p90)
