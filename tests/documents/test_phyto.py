import json
from pathlib import Path

import pytest

from chaincode.documents.phyto import QuarantineCertificate
from tests.documents.outcome import Outcome

EXAMPLE = Path(__file__).resolve().parents[2] / "network" / "examples" / "phyto_cn_kz_apples.json"

REPLACED = {
    "id": "500100226000399",
    "digest": "sha256:" + "3f" * 32,
}
COLD_TREATMENT = {
    "type": "Cold treatment",
    "duration": {"value": 40, "unit": "DAY"},
    "temperature": {"value": -0.5, "unit": "CEL"},
    "date": "2026-02-20",
}


@pytest.fixture
def doc():
    return json.loads(EXAMPLE.read_text())


_outcome = Outcome(QuarantineCertificate)
validate, errors, broken = _outcome.validate, _outcome.errors, _outcome.broken


# --- The example --------------------------------------------------------------------------


def test_example_validates(doc):
    cert = validate(doc)
    assert cert.kind == "phyto"
    assert (cert.typeCode, cert.statusCode) == ("851", "70")
    assert (cert.exportCountry, cert.importCountry) == ("CN", "KZ")
    assert cert.issuing_country() == "CN"
    apples = cert.commodities[0]
    assert (apples.scientificName, apples.eppoCode, apples.hsCode) == (
        "Malus domestica",
        "MABSD",
        "080810",
    )
    assert cert.mainCarriage.modeCode == "2"  # rail
    assert cert.issueDateTime.utcoffset() is not None


def test_issuing_country_is_the_export_country(doc):
    doc["exportCountry"] = "KG"
    assert validate(doc).issuing_country() == "KG"


def test_treatment_block(doc):
    doc["treatments"] = [COLD_TREATMENT]
    treatment = validate(doc).treatments[0]
    assert treatment.temperature is not None
    assert treatment.temperature.value == -0.5
    assert treatment.duration is not None
    assert treatment.duration.unit == "DAY"


# --- Rules --------------------------------------------------------------------------------


def test_export_and_import_countries_differ(doc):
    doc["importCountry"] = "CN"
    assert broken(doc) == [("$.importCountry", "export_import_countries_differ")]


@pytest.mark.parametrize("type_code", ["851", "657"])
def test_phytosanitary_certificate_needs_scientific_names(doc, type_code):
    doc["typeCode"] = type_code
    del doc["commodities"][0]["scientificName"]
    assert broken(doc) == [("$.commodities[0].scientificName", "scientific_name_required")]


def test_veterinary_certificate_needs_no_scientific_name(doc):
    doc["typeCode"] = "853"
    del doc["commodities"][0]["scientificName"]
    del doc["commodities"][0]["eppoCode"]
    assert validate(doc).commodities[0].scientificName is None


def test_replacement_needs_a_note_naming_the_replaced_certificate(doc):
    doc["replaces"] = dict(REPLACED)
    assert broken(doc) == [("$.includedNotes", "replacement_note")]
    doc["includedNotes"].append({"subject": "Replacement", "content": "Another certificate."})
    assert broken(doc) == [("$.includedNotes", "replacement_note")]
    doc["includedNotes"].append(
        {
            "subject": "Replacement",
            "content": "This certificate replaces certificate 500100226000399, "
            "issued with a wrong consignee address.",
        }
    )
    assert validate(doc).replaces is not None


def test_replacement_names_another_certificate(doc):
    doc["replaces"] = {"id": doc["id"], "digest": REPLACED["digest"]}
    doc["includedNotes"].append({"content": f"Replaces certificate {doc['id']}."})
    assert broken(doc) == [("$.replaces.id", "replaces_other_certificate")]


# --- Field types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value", "path", "rule"),
    [
        (("typeCode",), "999", "$.typeCode", "allowed_values"),
        (("typeCode",), 851, "$.typeCode", "allowed_values"),
        (("statusCode",), "39", "$.statusCode", "allowed_values"),
        (("issueDateTime",), "2026-04-08T10:30:00", "$.issueDateTime", "rfc3339_datetime"),
        (("issueDateTime",), 1775615400, "$.issueDateTime", "rfc3339_datetime"),
        (("exportCountry",), "CHN", "$.exportCountry", "iso3166_country"),
        (("unloadingBaseport", "id"), "ALMATY", "$.unloadingBaseport.id", "unlocode_pattern"),
        (
            ("examinationEvent", "occurrenceDate"),
            "2026-4-7",
            "$.examinationEvent.occurrenceDate",
            "iso8601_date",
        ),
        (("mainCarriage", "modeCode"), "9", "$.mainCarriage.modeCode", "allowed_values"),
        (
            ("commodities", 0, "scientificName"),
            "malus domestica",
            "$.commodities[0].scientificName",
            "pattern",
        ),
        (
            ("commodities", 0, "scientificName"),
            "Malus",
            "$.commodities[0].scientificName",
            "pattern",
        ),
        (("commodities", 0, "eppoCode"), "mabsd", "$.commodities[0].eppoCode", "pattern"),
        (("commodities", 0, "eppoCode"), "MABSDXX", "$.commodities[0].eppoCode", "pattern"),
        (("commodities", 0, "hsCode"), "0808.10", "$.commodities[0].hsCode", "hs_code_digits"),
        (
            ("commodities", 0, "quantity", "value"),
            0,
            "$.commodities[0].quantity.value",
            "greater_than",
        ),
        (("commodities", 0, "quantity", "unit"), "kg", "$.commodities[0].quantity.unit", "pattern"),
        (
            ("commodities", 0, "packages", "count"),
            0,
            "$.commodities[0].packages.count",
            "greater_than_equal",
        ),
        (
            ("signatory", "actualDateTime"),
            "yesterday",
            "$.signatory.actualDateTime",
            "datetime_from_date_parsing",
        ),
    ],
)
def test_field_types(doc, where, value, path, rule):
    target = doc
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    assert broken(doc) == [(path, rule)]


@pytest.mark.parametrize("name", ["Malus domestica", "Citrus spp.", "Pyrus pyrifolia var. culta"])
def test_scientific_names_accepted(doc, name):
    doc["commodities"][0]["scientificName"] = name
    assert validate(doc).commodities[0].scientificName == name


def test_eppo_code_of_a_genus_is_accepted(doc):
    doc["commodities"][0]["eppoCode"] = "1MABG"
    assert validate(doc).commodities[0].eppoCode == "1MABG"


def test_treatment_fields(doc):
    doc["treatments"] = [
        {**COLD_TREATMENT, "duration": {"value": 0, "unit": "DAY"}},
        {**COLD_TREATMENT, "temperature": {"value": 1, "unit": "K"}},
    ]
    assert broken(doc) == [
        ("$.treatments[0].duration.value", "greater_than"),
        ("$.treatments[1].temperature.unit", "allowed_values"),
    ]


def test_replaced_digest_is_a_sha256_digest(doc):
    doc["replaces"] = {"id": REPLACED["id"], "digest": "md5:0cc175b9c0f1b6a831c399e269772661"}
    doc["includedNotes"].append({"content": f"Replaces certificate {REPLACED['id']}."})
    assert broken(doc) == [("$.replaces.digest", "pattern")]


def test_commodities_are_required(doc):
    doc["commodities"] = []
    assert broken(doc) == [("$.commodities", "min_items")]


def test_unknown_fields_are_refused(doc):
    doc["placeOfIssue"] = "Chongqing"
    doc["commodities"][0]["variety"] = "Fuji"
    assert broken(doc) == [
        ("$.commodities[0].variety", "unknown_field"),
        ("$.placeOfIssue", "unknown_field"),
    ]


# --- Reporting ----------------------------------------------------------------------------


def test_every_error_is_reported_at_once(doc):
    doc["importCountry"] = "CN"
    del doc["commodities"][0]["scientificName"]
    doc["commodities"][0]["eppoCode"] = "apple"
    doc["replaces"] = dict(REPLACED)
    del doc["signatory"]
    assert broken(doc) == [
        ("$.commodities[0].eppoCode", "pattern"),
        ("$.commodities[0].scientificName", "scientific_name_required"),
        ("$.importCountry", "export_import_countries_differ"),
        ("$.includedNotes", "replacement_note"),
        ("$.signatory", "required"),
    ]


def test_rules_tolerate_malformed_documents(doc):
    doc["typeCode"] = ["851"]
    doc["commodities"] = [None, "apples"]
    doc["includedNotes"] = {"content": "x"}
    doc["replaces"] = {"id": ["500100226000399"]}
    rules = {rule for _, rule in broken(doc)}
    assert {"allowed_values", "model_type", "list_type"} <= rules
