import copy
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from chaincode.documents.ebl import TransportDocument
from tests.documents.outcome import Outcome

EXAMPLE = Path(__file__).resolve().parents[2] / "network" / "examples" / "ebl_cnsha_sgsin.json"

CONSIGNEE = {
    "partyName": "Lion City Fresh Produce Pte. Ltd.",
    "identifyingCodes": [{"codeListProvider": "CARX", "partyCode": "LCFP-SG-0042"}],
}
ENDORSEE = {
    "partyName": "DBS Bank Ltd.",
    "identifyingCodes": [{"codeListProvider": "GLEIF", "partyCode": "ATUEL7OJR5057F2PV266"}],
}


@pytest.fixture
def doc():
    return json.loads(EXAMPLE.read_text())


_outcome = Outcome(TransportDocument)
validate, errors, broken = _outcome.validate, _outcome.errors, _outcome.broken


def straight(doc):
    """The example as a straight (not to order) document with a consignee."""
    doc["isToOrder"] = False
    doc["documentParties"]["consignee"] = copy.deepcopy(CONSIGNEE)
    return doc


# --- The example --------------------------------------------------------------------------


def test_example_validates(doc):
    td = validate(doc)
    assert td.kind == "ebl"
    assert td.transportDocumentTypeCode == "BOL"
    assert td.transportDocumentStatus == "ISSUED"
    assert td.isElectronic is True
    assert td.isToOrder is True
    assert td.carrierCode == "COS"
    assert td.transports.portOfLoading.UNLocationCode == "CNSHA"
    assert td.transports.portOfDischarge.UNLocationCode == "SGSIN"
    assert str(td.shippedOnBoardDate) == "2026-03-10"
    assert td.issuing_country() is None


def test_container_numbers_lists_each_container_once_in_order(doc):
    assert validate(doc).container_numbers() == ["CXRU1523418", "CXRU1608726"]
    # A cargo item naming a container that no equipment lists still counts.
    doc["consignmentItems"][1]["cargoItems"][0]["equipmentReference"] = "CSNU7319047"
    assert validate(doc).container_numbers() == ["CXRU1523418", "CXRU1608726", "CSNU7319047"]


def test_model_is_frozen(doc):
    td = validate(doc)
    with pytest.raises(ValidationError):
        td.isToOrder = False


def test_unknown_top_level_field_is_refused(doc):
    doc["transportDocumentNumber"] = "COSU6401873150"
    assert broken(doc) == [("$.transportDocumentNumber", "unknown_field")]


def test_unknown_nested_field_is_refused(doc):
    doc["utilizedTransportEquipments"][0]["equipment"]["containerNumber"] = "CXRU1523418"
    assert broken(doc) == [
        ("$.utilizedTransportEquipments[0].equipment.containerNumber", "unknown_field")
    ]


@pytest.mark.parametrize(
    "field",
    [
        "transportDocumentReference",
        "transportDocumentStatus",
        "isToOrder",
        "invoicePayableAt",
        "partyContactDetails",
        "documentParties",
        "consignmentItems",
        "utilizedTransportEquipments",
        "termsAndConditions",
        "cargoMovementTypeAtOrigin",
        "carrierCodeListProvider",
        "transports",
    ],
)
def test_required_top_level_fields(doc, field):
    del doc[field]
    assert (f"$.{field}", "required") in broken(doc)


def test_strict_json_types(doc):
    doc["numberOfOriginalsWithCharges"] = "1"
    doc["isElectronic"] = "true"
    assert broken(doc) == [
        ("$.isElectronic", "bool_type"),
        ("$.numberOfOriginalsWithCharges", "int_type"),
    ]


# --- To order, consignee and endorsee -----------------------------------------------------


def test_swb_is_never_to_order(doc):
    doc["transportDocumentTypeCode"] = "SWB"
    [error] = errors(doc)
    assert (error.path, error.rule) == ("$.isToOrder", "swb_not_to_order")
    assert "sea waybill" in error.message


def test_straight_swb_with_consignee_is_valid(doc):
    doc = straight(doc)
    doc["transportDocumentTypeCode"] = "SWB"
    assert broken(doc) == []


def test_consignee_and_endorsee_are_exclusive(doc):
    doc["documentParties"]["consignee"] = CONSIGNEE
    doc["documentParties"]["endorsee"] = ENDORSEE
    assert broken(doc) == [("$.documentParties.endorsee", "consignee_endorsee_exclusive")]


def test_to_order_bol_may_name_an_endorsee(doc):
    doc["documentParties"]["endorsee"] = ENDORSEE
    assert broken(doc) == []


def test_straight_document_needs_a_consignee(doc):
    doc["isToOrder"] = False
    assert broken(doc) == [("$.documentParties.consignee", "consignee_required_when_straight")]


def test_endorsee_only_on_to_order_documents(doc):
    doc = straight(doc)
    del doc["documentParties"]["consignee"]
    doc["documentParties"]["endorsee"] = ENDORSEE
    assert broken(doc) == [
        ("$.documentParties.consignee", "consignee_required_when_straight"),
        ("$.documentParties.endorsee", "endorsee_only_to_order"),
    ]


def test_consignee_needs_an_identifying_code(doc):
    doc["documentParties"]["consignee"] = {"partyName": "Lion City Fresh Produce Pte. Ltd."}
    assert broken(doc) == [("$.documentParties.consignee.identifyingCodes", "required")]


# --- Originals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("with_charges", "without_charges", "path"),
    [
        (1, 1, "$.numberOfOriginalsWithoutCharges"),
        (2, 0, "$.numberOfOriginalsWithCharges"),
        (0, 3, "$.numberOfOriginalsWithoutCharges"),
    ],
)
def test_electronic_document_has_one_original(doc, with_charges, without_charges, path):
    doc["numberOfOriginalsWithCharges"] = with_charges
    doc["numberOfOriginalsWithoutCharges"] = without_charges
    [error] = errors(doc)
    assert (error.path, error.rule) == (path, "electronic_single_original")
    assert str(with_charges + without_charges) in error.message


def test_paper_bol_may_have_three_originals(doc):
    doc["isElectronic"] = False
    doc["numberOfOriginalsWithCharges"] = 3
    assert broken(doc) == []


# --- Shipped on board or received for shipment --------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        "ISSUED",
        "PENDING_SURRENDER_FOR_AMENDMENT",
        "SURRENDERED_FOR_AMENDMENT",
        "PENDING_SURRENDER_FOR_DELIVERY",
        "SURRENDERED_FOR_DELIVERY",
        "VOIDED",
    ],
)
def test_issued_bol_needs_onboard_or_received_date(doc, status):
    doc["transportDocumentStatus"] = status
    del doc["shippedOnBoardDate"]
    assert broken(doc) == [("$.shippedOnBoardDate", "bol_onboard_or_received_date")]


def test_issued_bol_has_not_both_dates(doc):
    doc["receivedForShipmentDate"] = "2026-03-08"
    assert broken(doc) == [("$.receivedForShipmentDate", "bol_onboard_or_received_date")]


def test_received_for_shipment_date_alone_is_enough(doc):
    del doc["shippedOnBoardDate"]
    doc["receivedForShipmentDate"] = "2026-03-08"
    doc["isShippedOnBoardType"] = False
    assert broken(doc) == []


@pytest.mark.parametrize("status", ["DRAFT", "APPROVED"])
def test_draft_bol_may_have_no_date_yet(doc, status):
    doc["transportDocumentStatus"] = status
    del doc["shippedOnBoardDate"]
    assert broken(doc) == []


def test_date_rule_is_for_bills_of_lading_only(doc):
    # The spec says "issued B/L"; a sea waybill is not one.
    doc = straight(doc)
    doc["transportDocumentTypeCode"] = "SWB"
    del doc["shippedOnBoardDate"]
    assert broken(doc) == []


def test_dates_are_iso_dates(doc):
    doc["shippedOnBoardDate"] = "10/03/2026"
    assert broken(doc) == [("$.shippedOnBoardDate", "iso8601_date")]


# --- Containers, locations, HS codes, seals ------------------------------------------------


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (
            ("utilizedTransportEquipments", 1, "equipment"),
            "$.utilizedTransportEquipments[1].equipment.equipmentReference",
        ),
        (
            ("consignmentItems", 0, "cargoItems", 0),
            "$.consignmentItems[0].cargoItems[0].equipmentReference",
        ),
    ],
)
def test_container_check_digit(doc, where, path):
    node = doc
    for step in where:
        node = node[step]
    node["equipmentReference"] = "CXRU1523419"
    [error] = errors(doc)
    assert (error.path, error.rule) == (path, "iso6346_check_digit")
    assert "expected 8" in error.message


@pytest.mark.parametrize("reference", ["CXRU 152341 8", "cxru1523418", "CXRU152341", "NOT-A-BOX"])
def test_container_number_format(doc, reference):
    doc["utilizedTransportEquipments"][0]["equipment"]["equipmentReference"] = reference
    assert broken(doc) == [
        ("$.utilizedTransportEquipments[0].equipment.equipmentReference", "iso6346_format")
    ]


@pytest.mark.parametrize(
    "where",
    [
        ("transports", "portOfLoading"),
        ("transports", "portOfDischarge"),
        ("invoicePayableAt",),
        ("placeOfIssue",),
        ("documentParties", "issuingParty", "address"),
        ("documentParties", "notifyParties", 0, "address"),
    ],
)
def test_unlocode_pattern(doc, where):
    node = doc
    for step in where:
        node = node[step]
    node["UNLocationCode"] = "SG-SIN"
    path = "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in where)
    assert broken(doc) == [(f"{path}.UNLocationCode", "unlocode_pattern")]


def test_unlocode_on_places_of_receipt_and_delivery(doc):
    doc["transports"]["placeOfReceipt"] = {"UNLocationCode": "CNJXG"}
    doc["transports"]["placeOfDelivery"] = {"UNLocationCode": "sgsin"}
    assert broken(doc) == [("$.transports.placeOfDelivery.UNLocationCode", "unlocode_pattern")]


@pytest.mark.parametrize("code", ["08052", "0805.21", "08052100001", ""])
def test_hs_codes_are_6_to_10_digits(doc, code):
    doc["consignmentItems"][1]["HSCodes"] = ["080540", code]
    assert broken(doc) == [("$.consignmentItems[1].HSCodes[1]", "hs_code_digits")]


def test_hs_codes_are_required(doc):
    doc["consignmentItems"][0]["HSCodes"] = []
    assert broken(doc) == [("$.consignmentItems[0].HSCodes", "min_items")]


def test_extended_hs_codes_allow_12_digits(doc):
    doc["consignmentItems"][0]["extendedHSCodes"] = ["080521000012"]
    assert broken(doc) == []
    doc["consignmentItems"][0]["extendedHSCodes"] = ["0805210000123"]
    assert broken(doc) == [("$.consignmentItems[0].extendedHSCodes[0]", "hs_code_digits")]


def test_seal_source_is_a_dcsa_code(doc):
    doc["utilizedTransportEquipments"][0]["seals"][1]["source"] = "PORT"
    assert broken(doc) == [("$.utilizedTransportEquipments[0].seals[1].source", "allowed_values")]


def test_seal_number_is_required(doc):
    del doc["utilizedTransportEquipments"][1]["seals"][0]["number"]
    assert broken(doc) == [("$.utilizedTransportEquipments[1].seals[0].number", "required")]


def test_equipment_needs_a_seal(doc):
    doc["utilizedTransportEquipments"][1]["seals"] = []
    assert broken(doc) == [("$.utilizedTransportEquipments[1].seals", "min_items")]


# --- Codes and lengths --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("transportDocumentReference", "COSU64018731500000001", "max_length"),
        ("transportDocumentReference", " COSU6401873150", "pattern"),
        ("transportDocumentTypeCode", "HBL", "allowed_values"),
        ("transportDocumentStatus", "CANCELLED", "allowed_values"),
        ("carrierCode", "COSCO", "max_length"),
        ("carrierCodeListProvider", "BIC", "allowed_values"),
        ("receiptTypeAtOrigin", "DOOR", "allowed_values"),
        ("deliveryTypeAtDestination", "CFS ", "allowed_values"),
        ("cargoMovementTypeAtOrigin", "BB", "allowed_values"),
        ("freightPaymentTermCode", "PREPAID", "allowed_values"),
    ],
)
def test_top_level_codes_and_lengths(doc, field, value, rule):
    doc[field] = value
    assert broken(doc) == [(f"$.{field}", rule)]


def test_twenty_character_reference_is_allowed(doc):
    doc["transportDocumentReference"] = "COSU6401873150000001"
    assert broken(doc) == []


def test_nmfta_carrier_code(doc):
    doc["carrierCode"] = "COSU"
    doc["carrierCodeListProvider"] = "NMFTA"
    assert broken(doc) == []


def test_every_dcsa_status_is_accepted(doc):
    for status in [
        "DRAFT",
        "APPROVED",
        "ISSUED",
        "PENDING_SURRENDER_FOR_AMENDMENT",
        "SURRENDERED_FOR_AMENDMENT",
        "PENDING_SURRENDER_FOR_DELIVERY",
        "SURRENDERED_FOR_DELIVERY",
        "VOIDED",
    ]:
        doc["transportDocumentStatus"] = status
        assert broken(doc) == [], status


def test_country_codes_are_iso_or_zz(doc):
    address = doc["documentParties"]["shipper"]["address"]
    address["countryCode"] = "ZZ"
    assert broken(doc) == []
    address["countryCode"] = "XX"
    assert broken(doc) == [("$.documentParties.shipper.address.countryCode", "iso3166_country")]


def test_charge_currency_is_iso_4217(doc):
    doc["charges"][1]["currencyCode"] = "RMB"
    assert broken(doc) == [("$.charges[1].currencyCode", "iso4217_currency")]


# --- Locations given one way only, declared value, contacts --------------------------------


def test_invoice_payable_at_is_a_unlocode_or_free_text(doc):
    doc["invoicePayableAt"] = {"freeText": "Shanghai"}
    assert broken(doc) == []
    doc["invoicePayableAt"] = {"freeText": "Shanghai", "UNLocationCode": "CNSHA"}
    assert broken(doc) == [("$.invoicePayableAt", "invoice_payable_at_location")]
    doc["invoicePayableAt"] = {}
    assert broken(doc) == [("$.invoicePayableAt", "invoice_payable_at_location")]


def test_place_of_issue_is_a_unlocode_or_a_country(doc):
    doc["placeOfIssue"] = {"locationName": "Shanghai", "countryCode": "CN"}
    assert broken(doc) == []
    doc["placeOfIssue"]["UNLocationCode"] = "CNSHA"
    assert broken(doc) == [("$.placeOfIssue", "place_of_issue_location")]


def test_declared_value_needs_its_currency(doc):
    doc["declaredValue"] = 48500.0
    assert broken(doc) == [("$.declaredValueCurrency", "declared_value_currency")]
    doc["declaredValueCurrency"] = "USD"
    assert broken(doc) == []
    del doc["declaredValue"]
    assert broken(doc) == [("$.declaredValueCurrency", "declared_value_currency")]


def test_contact_needs_phone_or_email(doc):
    contact = doc["documentParties"]["notifyParties"][0]["partyContactDetails"][0]
    del contact["email"]
    assert broken(doc) == []
    del contact["phone"]
    doc["partyContactDetails"].append({"name": "Night desk"})
    assert broken(doc) == [
        (
            "$.documentParties.notifyParties[0].partyContactDetails[0]",
            "contact_phone_or_email",
        ),
        ("$.partyContactDetails[1]", "contact_phone_or_email"),
    ]


# --- All at once --------------------------------------------------------------------------


def test_every_error_is_reported_at_once(doc):
    doc["transportDocumentTypeCode"] = "SWB"  # still to order
    doc["transportDocumentReference"] = "X" * 21
    doc["utilizedTransportEquipments"][1]["equipment"]["equipmentReference"] = "CXRU1608727"
    doc["transports"]["portOfDischarge"]["UNLocationCode"] = "SGSI1"
    doc["consignmentItems"][0]["HSCodes"] = ["0805"]
    doc["utilizedTransportEquipments"][0]["seals"][0]["source"] = "XXX"
    doc["documentParties"]["consignee"] = CONSIGNEE
    doc["documentParties"]["endorsee"] = ENDORSEE
    doc["numberOfOriginalsWithoutCharges"] = 1
    doc["bookingReference"] = "6401873152"
    assert broken(doc) == [
        ("$.bookingReference", "unknown_field"),
        ("$.consignmentItems[0].HSCodes[0]", "hs_code_digits"),
        ("$.documentParties.endorsee", "consignee_endorsee_exclusive"),
        ("$.isToOrder", "swb_not_to_order"),
        ("$.numberOfOriginalsWithoutCharges", "electronic_single_original"),
        ("$.transportDocumentReference", "max_length"),
        ("$.transports.portOfDischarge.UNLocationCode", "unlocode_pattern"),
        ("$.utilizedTransportEquipments[0].seals[0].source", "allowed_values"),
        ("$.utilizedTransportEquipments[1].equipment.equipmentReference", "iso6346_check_digit"),
    ]


@pytest.mark.parametrize(
    "garbage",
    [
        {},
        {"documentParties": [], "isToOrder": "no", "partyContactDetails": "none"},
        {"isElectronic": True, "numberOfOriginalsWithCharges": True, "invoicePayableAt": 3},
        {"transportDocumentStatus": "ISSUED", "transportDocumentTypeCode": "BOL"},
        {"partyContactDetails": [None, "x", {"name": "A"}], "placeOfIssue": []},
    ],
)
def test_rules_tolerate_malformed_documents(garbage):
    # Any outcome but a crash: the rules read raw JSON that failed field validation.
    assert errors(garbage)


def test_rules_run_even_when_fields_fail(doc):
    del doc["transports"]
    doc["isToOrder"] = False
    assert broken(doc) == [
        ("$.documentParties.consignee", "consignee_required_when_straight"),
        ("$.transports", "required"),
    ]
