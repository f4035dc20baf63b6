import json
from pathlib import Path

import pytest

from chaincode.documents.co import CertificateOfOrigin
from tests.documents.outcome import Outcome

EXAMPLE = Path(__file__).resolve().parents[2] / "network" / "examples" / "co_cn_sg.json"


@pytest.fixture
def doc():
    return json.loads(EXAMPLE.read_text())


_outcome = Outcome(CertificateOfOrigin)
validate, errors, broken = _outcome.validate, _outcome.errors, _outcome.broken


# --- The example --------------------------------------------------------------------------


def test_example_validates(doc):
    co = validate(doc)
    assert co.kind == "co"
    assert co.agreement == "CSFTA"
    assert co.issuing_country() == "CN"
    assert (co.exporter.country, co.importer.country) == ("CN", "SG")
    assert (co.transport.portOfLoading, co.transport.portOfDischarge) == ("CNSHA", "SGSIN")
    assert [i.originCriterion for i in co.items] == ["WO", "RVC", "CTH"]
    assert co.items[1].rvcPercentage == 48
    assert str(co.issueDate) == "2026-03-12"


def test_issuing_country_is_the_issuing_country_field(doc):
    doc["agreement"] = "RCEP"
    doc["issuingCountry"] = "SG"
    assert validate(doc).issuing_country() == "SG"


# --- Rules --------------------------------------------------------------------------------


def test_declaration_needs_approved_exporter_code(doc):
    doc["proofType"] = "DECLARATION"
    del doc["certification"]
    assert broken(doc) == [("$.approvedExporterCode", "approved_exporter_required")]
    doc["approvedExporterCode"] = "CNAE310012345"
    assert validate(doc).approvedExporterCode == "CNAE310012345"


def test_certificate_needs_certification(doc):
    del doc["certification"]
    assert broken(doc) == [("$.certification", "certification_required")]


def test_back_to_back_needs_original_certificate(doc):
    doc["backToBack"] = True
    assert broken(doc) == [("$.originalCertificate", "back_to_back_original")]
    doc["originalCertificate"] = {
        "number": "SG26A0001234",
        "issuingCountry": "SG",
        "date": "2026-03-01",
    }
    assert validate(doc).originalCertificate is not None


def test_original_certificate_only_for_back_to_back(doc):
    doc["originalCertificate"] = {
        "number": "SG26A0001234",
        "issuingCountry": "SG",
        "date": "2026-03-01",
    }
    assert broken(doc) == [("$.originalCertificate", "back_to_back_original")]


def test_rvc_needs_percentage(doc):
    del doc["items"][1]["rvcPercentage"]
    assert broken(doc) == [("$.items[1].rvcPercentage", "rvc_percentage")]


def test_percentage_only_with_rvc(doc):
    doc["items"][0]["rvcPercentage"] = 40
    assert broken(doc) == [("$.items[0].rvcPercentage", "rvc_percentage")]


@pytest.mark.parametrize(
    ("value", "rule"), [(100.5, "less_than_equal"), (-1, "greater_than_equal")]
)
def test_rvc_percentage_is_between_0_and_100(doc, value, rule):
    doc["items"][1]["rvcPercentage"] = value
    assert broken(doc) == [("$.items[1].rvcPercentage", rule)]


def test_item_line_numbers_are_unique(doc):
    doc["items"][2]["lineNumber"] = 1
    assert broken(doc) == [("$.items[2].lineNumber", "unique_line_numbers")]


def test_preferential_item_needs_origin_criterion(doc):
    del doc["items"][0]["originCriterion"]
    assert broken(doc) == [("$.items[0].originCriterion", "origin_criterion_required")]


def test_non_preferential_item_needs_no_origin_criterion(doc):
    doc["agreement"] = "NON_PREFERENTIAL"
    for item in doc["items"]:
        item.pop("originCriterion")
        item.pop("rvcPercentage", None)
    assert validate(doc).items[0].originCriterion is None


def test_item_needs_gross_weight_or_fob_value(doc):
    del doc["items"][0]["grossWeightKg"]
    assert validate(doc).items[0].fobValue is not None
    del doc["items"][0]["fobValue"]
    assert broken(doc) == [("$.items[0]", "weight_or_value_required")]


def test_origin_and_issuing_country_are_agreement_parties(doc):
    doc["originCountry"] = "RU"
    doc["issuingCountry"] = "KZ"
    assert broken(doc) == [
        ("$.issuingCountry", "agreement_party"),
        ("$.originCountry", "agreement_party"),
    ]
    doc["agreement"] = "NON_PREFERENTIAL"
    assert validate(doc).originCountry == "RU"


def test_acfta_parties_include_asean(doc):
    doc["agreement"] = "ACFTA"
    doc["originCountry"] = "VN"
    doc["issuingCountry"] = "VN"
    assert validate(doc).originCountry == "VN"


def test_replacement_names_another_certificate(doc):
    doc["replaces"] = {"number": "S263100012600011", "reason": "Invoice number corrected"}
    assert validate(doc).replaces is not None
    doc["replaces"]["number"] = doc["certificateNumber"]
    assert broken(doc) == [("$.replaces.number", "replaces_other_certificate")]


# --- Field types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value", "path", "rule"),
    [
        (("items", 0, "hsCode"), "0902", "$.items[0].hsCode", "hs_code_digits"),
        (("transport", "portOfLoading"), "cnsha", "$.transport.portOfLoading", "unlocode_pattern"),
        (("issueDate",), "12/03/2026", "$.issueDate", "iso8601_date"),
        (("importer", "country"), "XX", "$.importer.country", "iso3166_country"),
        (("invoice", "value", "currency"), "USX", "$.invoice.value.currency", "iso4217_currency"),
        (("agreement",), "CAFTA", "$.agreement", "allowed_values"),
        (("proofType",), "FORM_E", "$.proofType", "allowed_values"),
        (("transport", "means"), "SHIP", "$.transport.means", "allowed_values"),
        (("items", 0, "originCriterion"), "P", "$.items[0].originCriterion", "allowed_values"),
        (("items", 0, "unit"), "kilogram", "$.items[0].unit", "pattern"),
        (("items", 0, "packages", "count"), 0, "$.items[0].packages.count", "greater_than_equal"),
        (("items", 0, "quantity"), 0, "$.items[0].quantity", "greater_than"),
        (("items", 0, "lineNumber"), "1", "$.items[0].lineNumber", "int_type"),
        (("backToBack",), "false", "$.backToBack", "bool_type"),
        (("exporter", "name"), "", "$.exporter.name", "min_length"),
    ],
)
def test_field_types(doc, where, value, path, rule):
    target = doc
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    assert broken(doc) == [(path, rule)]


def test_items_are_required(doc):
    doc["items"] = []
    assert broken(doc) == [("$.items", "min_items")]


def test_unknown_fields_are_refused(doc):
    doc["remarks"] = "urgent"
    doc["items"][0]["originCountry"] = "CN"
    assert broken(doc) == [
        ("$.items[0].originCountry", "unknown_field"),
        ("$.remarks", "unknown_field"),
    ]


def test_missing_field_is_required(doc):
    del doc["invoice"]["number"]
    assert broken(doc) == [("$.invoice.number", "required")]


# --- Reporting ----------------------------------------------------------------------------


def test_every_error_is_reported_at_once(doc):
    doc["items"][0]["hsCode"] = "09021"
    doc["items"][2]["lineNumber"] = 1
    del doc["items"][1]["rvcPercentage"]
    del doc["certification"]
    doc["importer"]["country"] = "SGP"
    assert broken(doc) == [
        ("$.certification", "certification_required"),
        ("$.importer.country", "iso3166_country"),
        ("$.items[0].hsCode", "hs_code_digits"),
        ("$.items[1].rvcPercentage", "rvc_percentage"),
        ("$.items[2].lineNumber", "unique_line_numbers"),
    ]


def test_rules_tolerate_malformed_documents(doc):
    doc["agreement"] = ["CSFTA"]
    doc["items"] = [7, {"lineNumber": [1], "originCriterion": {"x": 1}}]
    doc["replaces"] = "S263100012600011"
    rules = {rule for _, rule in broken(doc)}
    assert "model_type" in rules
    assert "allowed_values" in rules


def test_error_message_says_what_is_wrong(doc):
    doc["proofType"] = "DECLARATION"
    [error] = errors(doc)
    assert error.message == "a declaration of origin needs the approved exporter's code"
