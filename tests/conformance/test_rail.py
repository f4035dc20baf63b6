"""The rail corridor on both engines (embedded and EVM): the Chongqing - Alashankou/Dostyk -
Almaty consignment registered with its route, its border events, the release decision,
refusals, and advance information pushed ahead of the train.

The Fabric engine runs the same chaincode but keeps no rail records yet (its world state
has no rail keys; see ledger/fabric/world_state.py), so it is not a parameter here.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import sqlite3
from pathlib import Path

import pytest

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.rail.consignment import RailRoute
from chaincode.rail.events import BorderEvent, EventType, RecordedEvent
from chaincode.rail.report import Journey as Journey_
from chaincode.rail.report import release_time_report
from chaincode.read_policy import OPERATOR
from chaincode.transactions import Op
from network.node import Node
from network.rail import (
    LocalOutbox,
    RailDesk,
    RailNotKept,
    SealReport,
    arrival_handler,
    check_advance_information,
    encode,
    receive_advance_information,
)
from tests.conftest import EXAMPLES

NOTE = (EXAMPLES / "rail_chongqing_almaty.json").read_bytes()
TUANJIECUN, ALASHANKOU, DOSTYK, ALMATY = "841209", "892305", "708507", "700007"
FIRST, SECOND = "TRIU8734127", "SZLU9053180"
FIRST_SEAL, SECOND_SEAL = "CQ0418823", "SL2600046213"
FIRST_WAGON, SECOND_WAGON = "5271034", "5271187"
KZ_WAGON, KZ_WAGON_2 = "52003412", "52003420"


@pytest.fixture(params=["embedded"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Journey:
    """The desk, the registered consignment, and a clock for its events (minutes after a
    start four days ago, so that every event precedes its transaction)."""

    def __init__(self, node: Node) -> None:
        self.outbox = LocalOutbox()
        self.desk = RailDesk(node, self.outbox)
        self.start = node.clock() - datetime.timedelta(days=4)
        self.registered = self.desk.register(NOTE, "cn-railway")
        self.doc = self.registered.doc_id

    def at(self, minute: int) -> datetime.datetime:
        return self.start + datetime.timedelta(minutes=minute)

    def event(
        self, org: str, kind: EventType, station: str, minute: int, **fields: object
    ) -> object:
        return self.desk.record(self.doc, org, kind, station, at=self.at(minute), **fields)  # type: ignore[arg-type]

    def to_dostyk(self) -> None:
        """Departure, Alashankou, and the arrival at Dostyk."""
        self.event("cn-railway", EventType.DEPARTURE, TUANJIECUN, 0)
        self.event("cn-railway", EventType.ARRIVAL, ALASHANKOU, 2000)
        self.event("cn-gacc", EventType.DEPARTURE, ALASHANKOU, 2300)
        self.event("kz-ktz", EventType.ARRIVAL, DOSTYK, 2400)

    def check(self, org: str, minute: int, *seals: SealReport) -> None:
        self.event(org, EventType.SEAL_CHECK, DOSTYK, minute, seals=seals)


def intact(*numbers: str) -> list[SealReport]:
    return [SealReport(n, "intact") for n in numbers]


def refused(node: Node, call) -> Refusal:  # type: ignore[no-untyped-def]
    before = node.ledger.size()
    with pytest.raises(Refusal) as caught:
        call()
    assert node.ledger.size() == before  # a refusal changes nothing
    return caught.value


def test_the_corridor_run_with_every_seal_intact_through_transshipment(node):
    run = Journey(node)
    assert run.registered.issued is not None
    # Registration pushes the consignment to the first country ahead, before the train.
    (first,) = run.outbox.pushed
    assert (first.destination_country, first.payload["reason"]) == ("KZ", "registered")
    assert check_advance_information(first.payload, node.verify).valid

    run.to_dostyk()
    pushes = list(run.outbox.pushed)
    assert [(p.destination_country, p.payload["reason"], p.payload["station"]) for p in pushes] == [
        ("KZ", "registered", TUANJIECUN),
        ("KZ", "departed", ALASHANKOU),
    ]
    assert [e["event"]["type"] for e in pushes[1].payload["events"]] == [
        "DEPARTURE",
        "ARRIVAL",
        "DEPARTURE",
    ]
    run.check("kz-customs", 2410, *intact(FIRST_SEAL, SECOND_SEAL))
    run.event(
        "kz-ktz",
        EventType.TRANSSHIPMENT,
        DOSTYK,
        2460,
        moves=[(FIRST, FIRST_WAGON, KZ_WAGON), (SECOND, SECOND_WAGON, KZ_WAGON_2)],
    )
    run.check("kz-ktz", 2470, *intact(FIRST_SEAL, SECOND_SEAL))
    decided = run.desk.release(run.doc, DOSTYK, "kz-customs", run.at(2500))
    assert decided.assessment.outcome.value == "DIRECT_RELEASE"
    assert decided.event.decision == "DIRECT_RELEASE"
    run.event("kz-ktz", EventType.DEPARTURE, DOSTYK, 2600)
    run.event("kz-ktz", EventType.ARRIVAL, ALMATY, 4000)
    assert len(run.outbox.pushed) == 2  # Dostyk is the last border: nothing further ahead

    status = run.desk.status(run.doc, OPERATOR)
    assert status.route.issuer == "cn-railway"
    assert [(r.event.type, r.by) for r in status.events][-4:] == [
        ("SEAL_CHECK", "kz-ktz"),
        ("RELEASE_DECISION", "kz-customs"),
        ("DEPARTURE", "kz-ktz"),
        ("ARRIVAL", "kz-ktz"),
    ]
    assert status.custody.wagon_of == {FIRST: KZ_WAGON, SECOND: KZ_WAGON_2}
    # The consignment's history shows the registration and every event, by who recorded it.
    history = node.ledger.history(run.doc)
    assert [e.op for e in history] == ["ISSUE", "RAIL_REGISTER"] + ["RAIL_EVENT"] * 10
    assert history[-1].details["event"]["station"] == ALMATY


def test_a_broken_seal_requires_inspection_naming_it(node):
    run = Journey(node)
    run.to_dostyk()
    run.check("kz-customs", 2410, SealReport(FIRST_SEAL, "broken"), *intact(SECOND_SEAL))
    claimed = BorderEvent.model_validate(
        {
            "type": "RELEASE_DECISION",
            "station": DOSTYK,
            "time": run.at(2450),
            "decision": "DIRECT_RELEASE",
        }
    )
    direct = refused(
        node, lambda: node.submit("kz-customs", Op.RAIL_EVENT, doc=run.doc, event=claimed)
    )
    assert (direct.kind, direct.rule) == (
        RefusalKind.CONFLICT,
        f"direct_release_needs_unchanged_seals: inspection required: {FIRST_SEAL}: broken: "
        f"broken at {DOSTYK}, on {FIRST}",
    )
    decided = run.desk.release(run.doc, DOSTYK, "kz-customs", run.at(2500))
    assert decided.assessment.outcome.value == "INSPECTION_REQUIRED"
    assert [(f.subject, f.reason) for f in decided.assessment.findings] == [(FIRST_SEAL, "broken")]
    assert node.ledger.rail_events(run.doc)[-1].event.decision == "INSPECTION_REQUIRED"


def test_a_seal_replaced_then_checked_keeps_its_custody(node):
    run = Journey(node)
    run.to_dostyk()
    run.check(
        "kz-customs", 2410, SealReport(FIRST_SEAL, "replaced", "KZC0001"), *intact(SECOND_SEAL)
    )
    run.check("kz-ktz", 2420, *intact("KZC0001", SECOND_SEAL))
    decided = run.desk.release(run.doc, DOSTYK, "kz-customs", run.at(2500))
    assert decided.assessment.outcome.value == "DIRECT_RELEASE"
    chain = next(c for c in run.desk.status(run.doc, OPERATOR).custody.chains if c.links)
    (link,) = chain.links
    assert (link.old, link.new, link.sealing_party, link.by, link.station) == (
        FIRST_SEAL,
        "KZC0001",
        "CUSTOMS",
        "kz-customs",
        DOSTYK,
    )
    assert link.new_type == "MECHANICAL"  # the replaced seal's type


def test_refusals_name_the_rule_and_change_nothing(node):
    run = Journey(node)
    no_role = refused(
        node, lambda: run.event("kz-dostyk-terminal", EventType.ARRIVAL, DOSTYK, 2400)
    )
    assert (no_role.kind, no_role.rule) == (
        RefusalKind.FORBIDDEN,
        "recorder_role: role customs or rail required to record a ARRIVAL",
    )
    off_route = refused(node, lambda: run.event("kz-ktz", EventType.ARRIVAL, "708403", 2400))
    assert off_route.rule == (
        "station_on_route: station 708403 is not on the route of consignment note CQ2604080017"
    )
    run.to_dostyk()
    by_rail = refused(node, lambda: run.desk.release(run.doc, DOSTYK, "kz-ktz"))
    assert (by_rail.kind, by_rail.rule) == (
        RefusalKind.FORBIDDEN,
        "recorder_role: role customs required to record a RELEASE_DECISION",
    )
    wrong_country = refused(node, lambda: run.desk.release(run.doc, DOSTYK, "cn-gacc"))
    assert wrong_country.rule == (
        "recorder_country: an event at Dostyk is recorded by an organisation of KZ, not CN"
    )
    twice = refused(node, lambda: run.desk.register(NOTE, "cn-railway"))
    assert twice.kind is RefusalKind.CONFLICT


@pytest.mark.parametrize("engine", ["evm"])
def test_an_engine_without_rail_records_refuses_rail_operations(node):
    # The EVM engine keeps no routes or border events yet: the chaincode refuses rather
    # than accept what the engine would not store, and the desk says so before signing.
    issued = node.issue(DocumentKind.RAIL, NOTE, "cn-railway")
    route = RailRoute.of(issued.document.model)
    refusal = refused(
        node,
        lambda: node.submit(
            "cn-railway", Op.RAIL_REGISTER, doc=issued.document.digest, route=route
        ),
    )
    assert (refusal.kind, refusal.rule) == (
        RefusalKind.INVALID,
        "rail_records_kept: RAIL_REGISTER is refused: this ledger engine keeps no rail records "
        "(routes and border events)",
    )
    with pytest.raises(RailNotKept, match="not kept by this node's evm ledger"):
        RailDesk(node).status(issued.document.digest, OPERATOR)
    # The desk refuses before it issues anything.
    other = json.loads(NOTE) | {"noteNumber": "CQ2604089999"}
    before = node.ledger.size()
    with pytest.raises(RailNotKept):
        RailDesk(node).register(other, "cn-railway")
    assert node.ledger.size() == before


def test_advance_information_that_was_changed_fails_its_checks(node):
    run = Journey(node)
    (pushed,) = run.outbox.pushed
    payload = dict(pushed.payload)
    assert pushed.key == f"{run.doc}:registered:{TUANJIECUN}"

    def failed(changed: dict[str, object]) -> list[tuple[str, str]]:
        check = check_advance_information(changed, node.verify)
        assert not check.valid
        return [(c.name, c.status.value) for c in check.checks if c.status.value != "pass"]

    route = json.loads(json.dumps(payload["route"]))
    route["seals"][0]["number"] = "FORGED01"
    assert failed(payload | {"route": route})[0] == ("route", "fail")
    assert failed(payload | {"consignment": "sha256:" + "0" * 64})[0] == ("consignment", "fail")
    text = str(payload["document"])
    assert failed(payload | {"document": text.replace("CQ2604080017", "CQ2604080018")})[0] == (
        "document",
        "fail",
    )
    without = {k: v for k, v in payload.items() if k != "document"}
    assert failed(without)[0] == ("document", "fail")
    # Each failure leaves the later checks not run, and says so.
    assert failed(payload | {"format": "other/1"}) == [
        ("format", "fail"),
        ("document", "not_checked"),
        ("consignment", "not_checked"),
        ("route", "not_checked"),
        ("events", "not_checked"),
    ]


def test_the_receiving_node_checks_the_pushed_bytes(node):
    run = Journey(node)
    (pushed,) = run.outbox.pushed
    assert receive_advance_information(encode(pushed.payload), node.verify).valid
    duplicated = b'{"format":"a","format":"b"}'
    check = receive_advance_information(duplicated, node.verify)
    assert [(c.name, c.status.value) for c in check.checks][:2] == [
        ("format", "fail"),
        ("document", "not_checked"),
    ]
    assert "duplicate key" in check.checks[0].reason
    assert not receive_advance_information(b"[]", node.verify).valid


def _journeys_from_the_log(path: Path) -> list[Journey_]:
    """Every consignment's route and events, read from the log's signed transactions alone
    (as an auditor with the entries and nothing else would)."""
    routes: dict[str, RailRoute] = {}
    events: dict[str, list[RecordedEvent]] = {}
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        for (leaf,) in db.execute("SELECT leaf FROM entries ORDER BY idx"):
            tx = json.loads(leaf)["signed"]["tx"]
            if tx["op"] == "RAIL_REGISTER":
                routes[tx["doc"]] = RailRoute.model_validate(tx["route"])
            elif tx["op"] == "RAIL_EVENT":
                recorded = RecordedEvent(BorderEvent.model_validate(tx["event"]), tx["actor"])
                events.setdefault(tx["doc"], []).append(recorded)
    return [Journey_(d, r, tuple(events.get(d, []))) for d, r in routes.items()]


def test_the_report_is_reproducible_from_the_log_entries(node):
    desk = RailDesk(node, LocalOutbox())
    start = node.clock() - datetime.timedelta(days=4)
    note = json.loads(NOTE)
    for n, (decision_after, seal) in enumerate([(60, "intact"), (150, "broken"), (90, "intact")]):
        note["noteNumber"] = f"CQ26040800{n:02d}"
        doc = desk.register(note, "cn-railway").doc_id

        def at(minute: int, base: int = n * 1000) -> datetime.datetime:
            return start + datetime.timedelta(minutes=base + minute)

        desk.record(doc, "cn-railway", EventType.ARRIVAL, ALASHANKOU, at=at(0))
        desk.record(doc, "cn-gacc", EventType.DEPARTURE, ALASHANKOU, at=at(30))
        desk.record(doc, "kz-ktz", EventType.ARRIVAL, DOSTYK, at=at(40))
        seals = [SealReport(FIRST_SEAL, seal), SealReport(SECOND_SEAL, "intact")]
        desk.record(doc, "kz-customs", EventType.SEAL_CHECK, DOSTYK, seals, at=at(45))
        desk.release(doc, DOSTYK, "kz-customs", at(decision_after))
        desk.record(doc, "kz-ktz", EventType.DEPARTURE, DOSTYK, at=at(200))
    computed = desk.report(OPERATOR).as_json()
    [pair] = computed["pairs"]
    assert pair["arrivalToDecisionSeconds"] == {
        "count": 3, "p50": 90 * 60.0, "p90": 150 * 60.0, "max": 150 * 60.0,
    }  # fmt: skip
    assert (pair["directReleases"], pair["decisions"]) == (2, 3)
    replayed = release_time_report(_journeys_from_the_log(node.home.path / "ledger.db"))
    assert replayed.as_json() == computed


class _Durable:
    """Stands in for the country nodes' outbox (``network.peers.outbox.Outbox.push``)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, bytes, str | None]] = []

    def push(
        self, destination_country: str, kind: str, payload: bytes, key: str | None = None
    ) -> object:
        self.items.append((destination_country, kind, payload, key))
        return None


def test_the_desk_pushes_through_the_nodes_own_outbox(node, monkeypatch):
    durable = _Durable()
    monkeypatch.setattr(node, "outbox", durable)
    desk = RailDesk(node)
    assert desk.delivers
    doc = desk.register(NOTE, "cn-railway").doc_id
    [(country, kind, payload, key)] = durable.items
    assert (country, kind, key) == ("KZ", "rail-advance-information", f"{doc}:registered:841209")
    assert receive_advance_information(payload, node.verify).valid


def test_the_inbox_handler_gives_the_verdict_and_the_checks(node):
    run = Journey(node)
    (pushed,) = run.outbox.pushed
    handle = arrival_handler(node.verify)
    verdict, report = handle(encode(pushed.payload))
    assert (verdict, report["valid"]) == ("VALID", True)
    assert handle(b"{}")[0] == "INVALID"
    # On a home that is every country's node, the node's own outbox keeps it local.
    assert RailDesk(node).register(json.loads(NOTE) | {"noteNumber": "X1"}, "cn-railway").pushed
