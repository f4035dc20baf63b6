import json
from pathlib import Path

import pytest
from stdnum import iso6346

from chaincode.canonical import digest, parse_json
from chaincode.documents.phyto import QuarantineCertificate
from chaincode.documents.rail import RailConsignment
from tests.documents.outcome import Outcome

EXAMPLES = Path(__file__).resolve().parents[2] / "network" / "examples"
EXAMPLE = EXAMPLES / "rail_chongqing_almaty.json"
PHYTO_EXAMPLE = EXAMPLES / "phyto_cn_kz_apples.json"

FIRST, SECOND = "TRIU8734127", "SZLU9053180"
ELSEWHERE = "MSKU123456" + iso6346.calc_check_digit("MSKU123456")  # valid, not on the train


@pytest.fixture
def doc():
    return json.loads(EXAMPLE.read_text())


_outcome = Outcome(RailConsignment)
validate, errors, broken = _outcome.validate, _outcome.errors, _outcome.broken


# --- The example --------------------------------------------------------------------------


def test_example_validates(doc):
    note = validate(doc)
    assert note.kind == "rail"
    assert note.noteType == "SMGS"
    assert note.issuing_country() == "CN"
    assert (note.departureStation.country, note.destinationStation.country) == ("CN", "KZ")
    [crossing] = note.borderCrossings
    assert (crossing.exitStation.name, crossing.entryStation.name) == ("Alashankou", "Dostyk")
    assert crossing.gaugeChange is True
    assert [c for w in note.wagons for c in w.containers] == [FIRST, SECOND]
    assert all(iso6346.is_valid(c) for w in note.wagons for c in w.containers)
    assert {s.type for s in note.seals} == {"MECHANICAL", "SMART_LOCK"}
    assert {s.containerNumber for s in note.seals} == {FIRST, SECOND}
    assert note.goods[0].hsCode == "080810"


def test_attached_phyto_digest_is_the_phyto_example_digest(doc):
    raw = PHYTO_EXAMPLE.read_bytes()
    QuarantineCertificate.model_validate_json(raw)  # the linked document is itself valid
    [link] = validate(doc).attachedDocuments
    assert link.kind == "phyto"
    assert link.digest == digest(parse_json(raw))
    assert link.reference == json.loads(raw)["id"]


def test_issuing_country_is_the_departure_country(doc):
    doc["departureStation"]["country"] = "KZ"
    assert validate(doc).issuing_country() == "KZ"


# --- Rules --------------------------------------------------------------------------------


def test_seal_on_a_container_not_in_the_consignment(doc):
    doc["seals"][0]["containerNumber"] = ELSEWHERE
    assert broken(doc) == [("$.seals[0].containerNumber", "seal_unit_present")]


def test_seal_on_a_wagon(doc):
    seal = doc["seals"][0]
    del seal["containerNumber"]
    seal["wagonNumber"] = doc["wagons"][0]["number"]
    assert validate(doc).seals[0].wagonNumber == "5271034"
    seal["wagonNumber"] = "52710349"
    assert broken(doc) == [("$.seals[0].wagonNumber", "seal_unit_present")]


def test_seal_is_on_exactly_one_unit(doc):
    doc["seals"][0]["wagonNumber"] = doc["wagons"][0]["number"]
    assert broken(doc) == [("$.seals[0]", "seal_on_one_unit")]
    del doc["seals"][0]["wagonNumber"]
    del doc["seals"][0]["containerNumber"]
    assert broken(doc) == [("$.seals[0]", "seal_on_one_unit")]


def test_container_numbers_are_unique_on_a_wagon(doc):
    doc["wagons"][0]["containers"] = [FIRST, FIRST]
    assert broken(doc) == [("$.wagons[0].containers[1]", "unique_container_numbers")]


def test_container_is_on_one_wagon(doc):
    doc["wagons"][1]["containers"] = [SECOND, FIRST]
    [error] = errors(doc)
    assert (error.path, error.rule) == ("$.wagons[1].containers[1]", "container_on_one_wagon")
    assert error.message == f"container {FIRST} is already on wagon 5271034"


def test_wagon_numbers_are_unique(doc):
    doc["wagons"][1]["number"] = doc["wagons"][0]["number"]
    assert broken(doc) == [("$.wagons[1].number", "unique_wagon_numbers")]


@pytest.mark.parametrize("gauge_change", [True, False])
def test_border_stations_are_in_different_countries(doc, gauge_change):
    crossing = doc["borderCrossings"][0]
    crossing["gaugeChange"] = gauge_change
    crossing["entryStation"]["country"] = "CN"
    assert broken(doc) == [
        ("$.borderCrossings[0].entryStation.country", "border_pair_countries_differ")
    ]


@pytest.mark.parametrize("mass", [0, -120.5])
def test_goods_mass_is_positive(doc, mass):
    doc["goods"][0]["grossMassKg"] = mass
    assert broken(doc) == [("$.goods[0].grossMassKg", "greater_than")]


# --- Field types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value", "path", "rule"),
    [
        (("wagons", 0, "number"), "527103", "$.wagons[0].number", "pattern"),
        (("wagons", 0, "number"), 5271034, "$.wagons[0].number", "string_type"),
        (("departureStation", "code"), "70850", "$.departureStation.code", "pattern"),
        (
            ("destinationStation", "country"),
            "Kazakhstan",
            "$.destinationStation.country",
            "iso3166_country",
        ),
        (("noteType",), "CIM", "$.noteType", "allowed_values"),
        (("seals", 0, "type"), "LEAD", "$.seals[0].type", "allowed_values"),
        (("seals", 0, "sealingParty"), "SHIPPER", "$.seals[0].sealingParty", "allowed_values"),
        (("goods", 0, "hsCode"), "0808", "$.goods[0].hsCode", "hs_code_digits"),
        (("goods", 0, "nhmCode"), "080810", "$.goods[0].nhmCode", "pattern"),
        (("goods", 0, "packages", "type"), "carton", "$.goods[0].packages.type", "pattern"),
        (
            ("attachedDocuments", 0, "kind"),
            "invoice",
            "$.attachedDocuments[0].kind",
            "allowed_values",
        ),
        (
            ("attachedDocuments", 0, "digest"),
            "sha256:ABC",
            "$.attachedDocuments[0].digest",
            "pattern",
        ),
        (
            ("customsEndorsements", 0, "date"),
            "08.04.2026",
            "$.customsEndorsements[0].date",
            "iso8601_date",
        ),
        (
            ("borderCrossings", 0, "gaugeChange"),
            "yes",
            "$.borderCrossings[0].gaugeChange",
            "bool_type",
        ),
    ],
)
def test_field_types(doc, where, value, path, rule):
    target = doc
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    assert broken(doc) == [(path, rule)]


@pytest.mark.parametrize(
    ("number", "rule"), [("TRIU8734128", "iso6346_check_digit"), ("TRIU873412", "iso6346_format")]
)
def test_container_numbers_follow_iso6346(doc, number, rule):
    doc["wagons"][0]["containers"] = [number]
    doc["seals"][0]["containerNumber"] = number
    # The seal's reference is checked as a container number too.
    assert broken(doc) == [
        ("$.seals[0].containerNumber", rule),
        ("$.wagons[0].containers[0]", rule),
    ]


@pytest.mark.parametrize("number", ["52710345", "318000421234"])
def test_wagon_number_forms(doc, number):
    doc["wagons"][0]["number"] = number
    assert validate(doc).wagons[0].number == number


def test_wagons_and_goods_are_required(doc):
    doc["wagons"] = []
    doc["goods"] = []
    del doc["seals"]
    assert broken(doc) == [("$.goods", "min_items"), ("$.wagons", "min_items")]


def test_unknown_fields_are_refused(doc):
    doc["route"] = "Chongqing - Almaty"
    doc["wagons"][0]["gauge"] = 1435
    assert broken(doc) == [
        ("$.route", "unknown_field"),
        ("$.wagons[0].gauge", "unknown_field"),
    ]


# --- Reporting ----------------------------------------------------------------------------


def test_every_error_is_reported_at_once(doc):
    doc["wagons"][0]["containers"] = [FIRST, "TRIU8734128"]
    doc["wagons"][1]["containers"] = [FIRST]
    doc["seals"][1]["containerNumber"] = ELSEWHERE
    doc["borderCrossings"][0]["entryStation"]["country"] = "CN"
    doc["goods"][0]["grossMassKg"] = 0
    del doc["trainNumber"]
    assert broken(doc) == [
        ("$.borderCrossings[0].entryStation.country", "border_pair_countries_differ"),
        ("$.goods[0].grossMassKg", "greater_than"),
        ("$.seals[1].containerNumber", "seal_unit_present"),
        ("$.trainNumber", "required"),
        ("$.wagons[0].containers[1]", "iso6346_check_digit"),
        ("$.wagons[1].containers[0]", "container_on_one_wagon"),
    ]


def test_rules_tolerate_malformed_documents(doc):
    doc["wagons"] = [{"number": ["5271034"], "containers": "TRIU8734127"}, 3]
    doc["seals"] = [{"containerNumber": {"x": 1}, "wagonNumber": [1]}]
    doc["borderCrossings"] = [{"exitStation": "Alashankou", "entryStation": None}]
    rules = {rule for _, rule in broken(doc)}
    assert {"string_type", "list_type", "model_type"} <= rules
