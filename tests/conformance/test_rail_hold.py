"""``RAIL_IMPORT``: a country the route enters holds, on its own ledger, a consignment
registered on the origin's ledger, so that its border events there are accepted. The rule
(``chaincode.rail.operations.import_route``) is run here on one embedded ledger whose
consignment was signed by its issuer but not issued on it (as on the receiving node's); every
refusal names its rule and changes nothing."""

from __future__ import annotations

import datetime
import json

import pytest

from chaincode.documents.rail import RailConsignment
from chaincode.documents.registry import DocumentKind, validate_document
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.rail.consignment import RailOrigin, RailRoute, RouteRecord
from chaincode.rail.events import BorderEvent
from chaincode.read_policy import OPERATOR
from chaincode.transactions import Op
from network import signing
from network.node import Node
from network.rail import LocalOutbox, RailDesk, advance_information, encode
from network.rail.holding import holding_handler
from network.rail.views import rail_status_json
from tests.conftest import EXAMPLES

NOTE = json.loads((EXAMPLES / "rail_chongqing_almaty.json").read_text())
ALASHANKOU, DOSTYK = "892305", "708507"


@pytest.fixture(params=["embedded"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Held:
    """The consignment as the origin signed it, and the import's fields."""

    def __init__(self, node: Node, note: dict[str, object] = NOTE) -> None:
        self.node = node
        valid = validate_document(DocumentKind.RAIL, note)
        assert isinstance(valid.model, RailConsignment)
        envelope = signing.sign(node.home, "cn-railway", valid, node.clock())
        self.doc = valid.digest
        self.route = RailRoute.of(valid.model)
        self.document = json.dumps(envelope.to_json())

    def origin(self, **changes: str) -> RailOrigin:
        fields = {"country": "CN", "issuer": "cn-railway", "document": self.document}
        fields["evidence"] = "issuer-node: the CN node answers issued"
        return RailOrigin(**(fields | changes))

    def submit(self, org: str, **fields: object) -> object:
        values = {"doc": self.doc, "route": self.route, "origin": self.origin()} | fields
        return self.node.submit(org, Op.RAIL_IMPORT, **values)


def refused(node: Node, call) -> Refusal:  # type: ignore[no-untyped-def]
    before = node.ledger.size()
    with pytest.raises(Refusal) as caught:
        call()
    assert node.ledger.size() == before
    return caught.value


def _arrival(station: str) -> BorderEvent:
    when = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    return BorderEvent.model_validate(
        {"type": "ARRIVAL", "station": station, "time": when.isoformat()}
    )


def test_a_held_consignment_takes_the_holding_countrys_events_and_nothing_else(node):
    held = Held(node)
    # Before it is held, an event at Dostyk is refused: no route on this ledger.
    no_route = refused(
        node, lambda: node.submit("kz-ktz", Op.RAIL_EVENT, doc=held.doc, event=_arrival(DOSTYK))
    )
    assert no_route.kind is RefusalKind.NOT_FOUND
    held.submit("kz-ktz")
    route = node.ledger.rail_route(held.doc)
    assert route is not None
    assert (route.issuer, route.route) == ("cn-railway", held.route)
    assert node.ledger.document(held.doc) is None  # held, not issued here
    node.submit("kz-ktz", Op.RAIL_EVENT, doc=held.doc, event=_arrival(DOSTYK))
    # The recording rules still apply: a Kazakh operator records nothing at a Chinese station.
    wrong = refused(
        node,
        lambda: node.submit("kz-ktz", Op.RAIL_EVENT, doc=held.doc, event=_arrival(ALASHANKOU)),
    )
    assert "recorder_country" in str(wrong)
    # Its journey and the release-time report read it from the route and events alone.
    desk = RailDesk(node, LocalOutbox())
    journey = rail_status_json(desk.status(held.doc, OPERATOR))
    assert (journey["state"], journey["issuer"]) == ("HELD", "cn-railway")
    (pair,) = desk.report(OPERATOR).pairs
    assert pair.consignments == 1
    # Held once: a second import is a conflict.
    again = refused(node, lambda: held.submit("kz-customs"))
    assert again.kind is RefusalKind.CONFLICT
    (entry, _) = node.ledger.history(held.doc, "cn-railway")
    assert entry.op == "RAIL_IMPORT"
    assert entry.details["origin"]["country"] == "CN"


def test_import_refusals_name_the_rule(node):
    held = Held(node)
    other = Held(node, NOTE | {"noteNumber": "CQ2604089999"})
    cases = [
        ("kz-auditor", {}, "importer_role"),
        ("cn-railway", {}, "route_enters_country"),
        ("kz-ktz", {"origin": held.origin(country="KZ")}, "origin.country"),
        ("kz-ktz", {"origin": held.origin(issuer="kz-ktz")}, "origin.issuer"),
        ("kz-ktz", {"origin": held.origin(document="{}")}, "origin.document"),
        ("kz-ktz", {"origin": held.origin(document=other.document)}, "origin.document"),
        ("kz-ktz", {"route": other.route}, "route: the route is not the origin"),
        ("kz-ktz", {"origin": None}, "needs doc, route and origin"),
    ]
    for org, fields, rule in cases:
        refusal = refused(node, lambda org=org, fields=fields: held.submit(org, **fields))
        assert rule in str(refusal), (org, rule, str(refusal))
    assert node.ledger.rail_route(held.doc) is None


def test_a_consignment_issued_on_this_ledger_is_registered_not_held(node):
    held = Held(node)
    node.issue(DocumentKind.RAIL, NOTE, "cn-railway")
    refusal = refused(node, lambda: held.submit("kz-ktz"))
    assert refusal.kind is RefusalKind.CONFLICT


def _advance(held: Held, route: RailRoute) -> bytes:
    record = RouteRecord(held.doc, "cn-railway", route, held.node.clock())
    return encode(advance_information(record, [], held.document.encode(), "registered", "841209"))


def test_advance_information_is_held_only_once_everything_verified(node):
    handle = holding_handler(node)
    # A note the origin's ledger does not hold (never issued): not held, nothing written.
    unknown = Held(node)
    before = node.ledger.size()
    verdict, report = handle(_advance(unknown, unknown.route))
    assert verdict == "INVALID"
    assert report["checks"][1]["name"] == "document"
    assert report["checks"][1]["status"] == "fail"
    assert report["checks"][-1] == {
        "name": "held",
        "status": "not_checked",
        "reason": "the advance information did not verify",
    }
    assert node.ledger.size() == before
    assert node.ledger.rail_route(unknown.doc) is None
    # A note that verifies, carried with a route that is not its own: not held either.
    issued = Held(node, NOTE | {"noteNumber": "CQ2604081234"})
    node.issue(DocumentKind.RAIL, json.loads(issued.document)["document"], "cn-railway")
    forged = issued.route.model_copy(update={"wagons": issued.route.wagons[:1]})
    before = node.ledger.size()
    verdict, report = handle(_advance(issued, forged))
    assert verdict == "INVALID"
    route_check = next(c for c in report["checks"] if c["name"] == "route")
    assert route_check["status"] == "fail"
    assert report["checks"][-1]["status"] == "not_checked"
    assert node.ledger.size() == before
