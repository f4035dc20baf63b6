"""The rail corridor across two ledgers: Chongqing -> Alashankou/Dostyk -> Almaty on two real
country nodes, CN and KZ (``tdx serve`` processes on free loopback ports, started by the
``tdx network up`` launcher and stopped by their PIDs). The consignment is registered at CN;
its advance information reaches KZ, which verifies it against CN's ledger and holds it on
its own (``RAIL_IMPORT``) before the train arrives; KZ's border events and KZ customs'
direct release are then accepted on KZ's ledger. Every wait is bounded."""

import json
import secrets

import pytest

from network import launcher
from network.node import Node
from tests.conftest import EXAMPLES
from tests.peers.conftest import check, nodes_up

COUNTRIES = ["CN", "KZ"]
TUANJIECUN, ALASHANKOU, DOSTYK = "841209", "892305", "708507"
FIRST, SECOND = "TRIU8734127", "SZLU9053180"
FIRST_SEAL, SECOND_SEAL = "CQ0418823", "SL2600046213"
FIRST_WAGON, SECOND_WAGON = "5271034", "5271187"
KZ_WAGON, KZ_WAGON_2 = "52003412", "52003420"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    with nodes_up(tmp_path_factory.mktemp("rail-nodes"), COUNTRIES) as network:
        yield network


def _note() -> dict:
    note = json.loads((EXAMPLES / "rail_chongqing_almaty.json").read_text())
    note["noteNumber"] = f"CQ26{secrets.randbelow(10**8):08d}"  # a digest of this test's own
    return note


def _post(nodes, country, org, path, body, status=201):
    with nodes.client(country) as c:
        r = c.post(path, json=body, headers=nodes.token(country, org))
    assert r.status_code == status, r.text
    return r.json()


def _event(nodes, doc, org, body, status=201):
    return _post(nodes, "KZ", org, f"/v1/rail/consignments/{doc}/events", body, status)


def _intact(*numbers):
    return [{"sealNumber": n, "result": "INTACT"} for n in numbers]


def _held_at_kz(nodes) -> str:
    """A new consignment registered at CN, once KZ has verified and held it."""
    registered = _post(nodes, "CN", "cn-railway", "/v1/rail/consignments", {"document": _note()})
    key = registered["advanceInformation"]["key"]

    def arrived():
        items = [a for a in nodes.inbox("KZ", "kz-customs") if a["key"] == key]
        return items if items and items[0]["verdict"] else None

    (arrival,) = nodes.wait_for("the advance information at KZ, verified", arrived)
    assert arrival["verdict"] == "VALID", arrival["report"]
    return str(registered["documentId"])


def _to_the_seal_check(nodes, doc: str) -> None:
    _event(nodes, doc, "kz-ktz", {"type": "ARRIVAL", "station": DOSTYK})


def test_at_kz_a_broken_seal_requires_inspection_and_a_replaced_one_keeps_its_custody(nodes):
    """(Before the test that stops KZ's node: a worker runs a module's tests in order.)"""
    broken = _held_at_kz(nodes)
    _to_the_seal_check(nodes, broken)
    seals = [{"sealNumber": FIRST_SEAL, "result": "BROKEN"}, *_intact(SECOND_SEAL)]
    _event(nodes, broken, "kz-customs", {"type": "SEAL_CHECK", "station": DOSTYK, "seals": seals})
    path = f"/v1/rail/consignments/{broken}/releases"
    decided = _post(nodes, "KZ", "kz-customs", path, {"station": DOSTYK})
    assert decided["decision"] == "INSPECTION_REQUIRED"
    assert [(f["subject"], f["reason"]) for f in decided["findings"]] == [(FIRST_SEAL, "broken")]

    replaced = _held_at_kz(nodes)
    _to_the_seal_check(nodes, replaced)
    new_seal = {"number": "KZC0001", "type": "MECHANICAL", "sealingParty": "CUSTOMS"}
    seals = [
        {"sealNumber": FIRST_SEAL, "result": "REPLACED", "newSeal": new_seal},
        *_intact(SECOND_SEAL),
    ]
    _event(nodes, replaced, "kz-customs", {"type": "SEAL_CHECK", "station": DOSTYK, "seals": seals})
    checked = {"type": "SEAL_CHECK", "station": DOSTYK, "seals": _intact("KZC0001", SECOND_SEAL)}
    _event(nodes, replaced, "kz-ktz", checked)
    path = f"/v1/rail/consignments/{replaced}/releases"
    decided = _post(nodes, "KZ", "kz-customs", path, {"station": DOSTYK})
    assert decided["decision"] == "DIRECT_RELEASE", decided
    with nodes.client("KZ") as c:
        r = c.get(f"/v1/rail/consignments/{replaced}", headers=nodes.token("KZ", "kz-customs"))
    assert r.status_code == 200, r.text
    (link,) = [x for chain in r.json()["seals"] for x in chain["replacements"]]
    assert (link["old"], link["new"], link["sealingParty"], link["by"], link["station"]) == (
        FIRST_SEAL,
        "KZC0001",
        "CUSTOMS",
        "kz-customs",
        DOSTYK,
    )


def test_registered_at_cn_held_at_kz_and_released_directly_by_kz_customs(nodes):
    registered = _post(nodes, "CN", "cn-railway", "/v1/rail/consignments", {"document": _note()})
    doc = registered["documentId"]
    assert registered["advanceInformation"]["to"] == "KZ"
    key = registered["advanceInformation"]["key"]
    assert key == f"{doc}:registered:{TUANJIECUN}"

    # Before the train: KZ's ledger has no route of it, and refuses an arrival at Dostyk...
    # unless the advance information has arrived already (then it is held): either way, by
    # the time it is verified the consignment is held on KZ's ledger.
    def arrived():
        items = [a for a in nodes.inbox("KZ", "kz-customs") if a["key"] == key]
        return items if items and items[0]["verdict"] else None

    (arrival,) = nodes.wait_for("the advance information at KZ, verified", arrived)
    assert arrival["from"] == "CN"
    assert arrival["kind"] == "rail-advance-information"
    assert arrival["verdict"] == "VALID", arrival["report"]
    assert [c["name"] for c in arrival["report"]["checks"]] == [
        "format",
        "document",
        "consignment",
        "route",
        "events",
        "held",
    ]
    held = check(arrival["report"], "held")
    assert held["status"] == "pass"
    assert "held on this ledger by kz-ktz" in held["reason"]

    # The train arrives at Dostyk: KZ's events on KZ's own ledger.
    _event(nodes, doc, "kz-ktz", {"type": "ARRIVAL", "station": DOSTYK})
    _event(
        nodes,
        doc,
        "kz-customs",
        {"type": "SEAL_CHECK", "station": DOSTYK, "seals": _intact(FIRST_SEAL, SECOND_SEAL)},
    )
    moves = [
        {"container": FIRST, "fromWagon": FIRST_WAGON, "toWagon": KZ_WAGON},
        {"container": SECOND, "fromWagon": SECOND_WAGON, "toWagon": KZ_WAGON_2},
    ]
    _event(nodes, doc, "kz-ktz", {"type": "TRANSSHIPMENT", "station": DOSTYK, "moves": moves})
    _event(
        nodes,
        doc,
        "kz-ktz",
        {"type": "SEAL_CHECK", "station": DOSTYK, "seals": _intact(FIRST_SEAL, SECOND_SEAL)},
    )
    # KZ's nodes refuse what the rules refuse there too: an event at a Chinese station by a
    # Kazakh operator, and a release decision by an organisation that is not customs.
    refused = _event(nodes, doc, "kz-ktz", {"type": "ARRIVAL", "station": ALASHANKOU}, 403)
    assert "recorder_country" in json.dumps(refused)
    path = f"/v1/rail/consignments/{doc}/releases"
    _post(nodes, "KZ", "kz-ktz", path, {"station": DOSTYK}, 403)

    decided = _post(nodes, "KZ", "kz-customs", path, {"station": DOSTYK})
    assert decided["decision"] == "DIRECT_RELEASE"
    assert decided["findings"] == []

    # KZ's journey of it, on KZ's node: held (no record of an issue here), decided there;
    # read by those who recorded its events, not by any KZ organisation.
    with nodes.client("KZ") as c:
        url = f"/v1/rail/consignments/{doc}"
        journey = c.get(url, headers=nodes.token("KZ", "kz-customs"))
        other = c.get(url, headers=nodes.token("KZ", "kz-dostyk-terminal"))
    assert journey.status_code == 200, journey.text
    assert (journey.json()["state"], journey.json()["issuer"]) == ("HELD", "cn-railway")
    (crossing,) = journey.json()["crossings"]
    assert [d["decision"] for d in crossing["decisions"]] == ["DIRECT_RELEASE"]
    assert other.status_code == 403, other.text

    # CN's ledger has none of KZ's events: each country keeps its own.
    with nodes.client("CN") as c:
        r = c.get(f"/v1/rail/consignments/{doc}", headers=nodes.token("CN", "cn-railway"))
    assert r.status_code == 200, r.text
    assert r.json()["events"] == []

    # KZ's ledger records where the route came from (CN, its issuer of record, and what the
    # CN node answered on arrival), and every event, by whom.
    launcher.stop_one(nodes.path, "KZ")
    with Node(nodes.home("KZ")) as kz:
        entries = kz.ledger.history(doc, "cn-railway")
        route = kz.ledger.rail_route(doc)
        events = kz.ledger.rail_events(doc)
        assert kz.ledger.document(doc) is None  # held, not issued here
    assert [(e.op, e.actor) for e in entries] == [
        ("RAIL_IMPORT", "kz-ktz"),
        ("RAIL_EVENT", "kz-ktz"),
        ("RAIL_EVENT", "kz-customs"),
        ("RAIL_EVENT", "kz-ktz"),
        ("RAIL_EVENT", "kz-ktz"),
        ("RAIL_EVENT", "kz-customs"),
    ]
    origin = entries[0].details["origin"]
    assert (origin["country"], origin["issuer"]) == ("CN", "cn-railway")
    assert "the CN node answers issued" in origin["evidence"]
    assert route is not None
    assert route.issuer == "cn-railway"
    assert (events[-1].event.type, events[-1].by) == ("RELEASE_DECISION", "kz-customs")
    assert events[-1].event.decision == "DIRECT_RELEASE"
