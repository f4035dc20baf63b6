import datetime
import json
import warnings
from pathlib import Path

import pytest
from pydifact.exceptions import MissingImplementationWarning
from pydifact.segmentcollection import Interchange

from chaincode.documents.rail import RailConsignment
from chaincode.rail.events import RecordedEvent
from interop.edifact import EdifactError, export_iftsta, import_iftmin, import_iftmin_into
from tests.chaincode.rail.corridor import (
    FIRST,
    FIRST_SEAL,
    FIRST_WAGON,
    KZ_CUSTOMS,
    KZ_RAIL,
    KZ_WAGON,
    SECOND_SEAL,
    check,
    customs_seal,
    event,
    move,
)

HERE = Path(__file__).resolve().parent
IFTMIN = (HERE / "rail_chongqing_almaty.edi").read_text()
EXAMPLE = HERE.parents[1] / "network" / "examples" / "rail_chongqing_almaty.json"


def example_without_links():
    raw = json.loads(EXAMPLE.read_text())
    # Attached documents and customs endorsements travel on the ledger, not in IFTMIN.
    del raw["attachedDocuments"], raw["customsEndorsements"]
    return RailConsignment.model_validate_json(json.dumps(raw))


def test_iftmin_gives_the_example_consignment():
    [consignment] = import_iftmin(IFTMIN)
    assert consignment == example_without_links()


def two_messages(second: str) -> str:
    lines = IFTMIN.splitlines()
    body = lines[2:-1]
    renumbered = [b.replace("UNH+1+", "UNH+2+").replace("UNT+25+1", "UNT+25+2") for b in body]
    other = "\n".join(renumbered).replace("CQ2604080017", second)
    return "\n".join([*lines[:-1], other, lines[-1].replace("UNZ+1", "UNZ+2")])


def test_all_messages_or_none():
    accepted: list[RailConsignment] = []
    assert import_iftmin_into(two_messages("CQ2604080018"), accepted.append) == 2
    assert [c.noteNumber for c in accepted] == ["CQ2604080017", "CQ2604080018"]
    text = two_messages("CQ2604080018")
    second = text.rindex("UNH+2")
    broken = text[:second] + text[second:].replace("EQA+CN+SZLU9053180", "EQA+CN+SZLU9053181")
    written: list[RailConsignment] = []
    with pytest.raises(EdifactError) as caught:
        import_iftmin_into(broken, written.append)
    assert caught.value.segment == "EQA+CN"
    assert written == []  # the first message was valid, and still nothing was written


@pytest.mark.parametrize(
    ("old", "new", "segment", "position", "says"),
    [
        ("NAD+CZ+++Chongqing", "NAD+XX+++Chongqing", "NAD+XX", 11, "party is CZ (consignor) or CN"),
        ("EQA+CN+SZLU9053180", "EQA+CN+SZLU9053181", "EQA+CN", 16, "iso6346_check_digit"),
        ("SEL+CQ0418823+SH+++MEC", "SEL+CQ0418823+SH+++LEAD", "SEL+CQ0418823", 18, "(4525)"),
        ("MEA+WT+G+KGM:47520", "MEA+WT+G+KGM:heavy", "MEA+WT", 25, "'heavy' is not a number"),
        ("LOC+41+708507:::Dostyk+KZ+GC", "LOC+41+708507:::Dostyk+KZ", "LOC+41", 10, "GC (gauge"),
        (
            "LOC+5+841209:::Tuanjiecun (Chongqing)+CN",
            "LOC+5+8412:::Tuanjiecun (Chongqing)+CN",
            "LOC+5",
            7,
            "$.departureStation.code: pattern",
        ),
        ("TDT+20+X8083+2", "TDT+20+X8083+3", "TDT+20", 6, "by rail (mode 2)"),
        ("UNT+25+1", "UNT+24+1", "UNT", 26, "UNT says '24'"),
        (
            "PIA+5+080810:HS'",
            "PIA+5+080810:HS'\nRFF+AAK:1'",
            "RFF+AAK",
            24,
            "not in the tdx IFTMIN profile",
        ),
    ],
)
def test_a_malformed_message_names_the_segment(old, new, segment, position, says):
    assert old in IFTMIN
    with pytest.raises(EdifactError) as caught:
        import_iftmin(IFTMIN.replace(old, new))
    error = caught.value
    assert (error.segment, error.position) == (segment, position)
    assert says in str(error)
    assert str(error).startswith(f"segment {position} ({segment}): ")


def test_a_missing_segment_is_named():
    without = IFTMIN.replace("TDT+20+X8083+2'\n", "").replace("UNT+25+1", "UNT+24+1")
    with pytest.raises(EdifactError) as caught:
        import_iftmin(without)
    assert str(caught.value) == "segment 2 (UNH): missing segment TDT"


def test_not_edifact_at_all():
    with pytest.raises(EdifactError) as caught:
        import_iftmin("hello")
    assert caught.value.segment == "UNB"


def test_border_events_as_iftsta():
    consignment = example_without_links()
    steps = [
        (event("ARRIVAL"), KZ_RAIL),
        (
            check((FIRST_SEAL, "REPLACED", customs_seal("KZC1")), (SECOND_SEAL, "INTACT")),
            KZ_CUSTOMS,
        ),
        (move(FIRST, FIRST_WAGON, KZ_WAGON, minute=30), KZ_RAIL),
        (check(("KZC1", "INTACT"), minute=40), KZ_CUSTOMS),
        (event("RELEASE_DECISION", minute=50, decision="DIRECT_RELEASE"), KZ_CUSTOMS),
        (event("DEPARTURE", minute=120), KZ_RAIL),
    ]
    events = [RecordedEvent(e, actor.id) for e, actor in steps]
    prepared = datetime.datetime(2026, 4, 10, 6, 0, tzinfo=datetime.UTC)
    text = export_iftsta(
        consignment,
        events,
        sender="KZKTZ",
        recipient="CNRAIL",
        reference="ST1",
        prepared_at=prepared,
    )
    again = export_iftsta(
        consignment,
        events,
        sender="KZKTZ",
        recipient="CNRAIL",
        reference="ST1",
        prepared_at=prepared,
    )
    assert text == again
    lines = text.splitlines()
    assert lines[0] == "UNB+UNOC:3+KZKTZ+CNRAIL+260410:0600+ST1'"
    assert lines[1] == "UNH+1+IFTSTA:D:16A:UN'"
    assert "STS+1+ARR'" in lines
    assert "DTM+334:202604100300:203'" in lines  # 08:00 at +05:00 is 03:00 UTC
    assert "LOC+175+708507:::Dostyk'" in lines
    assert "NAD+ZZZ+kz-customs'" in lines
    assert lines[lines.index("STS+1+SLC'") + 4 :][:5] == [
        "EQD+CN+TRIU8734127'",
        "SEL+CQ0418823++R'",
        "SEL+KZC1+CU+1++ESL'",
        "EQD+CN+SZLU9053180'",
        "SEL+SL2600046213++1'",
    ]
    assert lines[lines.index("STS+1+TRS'") + 4 :][:3] == [
        "EQD+CN+TRIU8734127'",
        "EQA+RR+5271034:FRM'",
        "EQA+RR+52003412:TO'",
    ]
    assert "STS+1+REL+DIR'" in lines
    # pydifact reads it back: one IFTSTA message with one CNI group per event
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingImplementationWarning)
        [message] = list(Interchange.from_str(text).get_messages())
    assert message.type == "IFTSTA"
    assert [s.elements[0] for s in message.segments if s.tag == "CNI"] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
    ]
    assert lines[-2] == f"UNT+{len(message.segments) + 2}+1'"
