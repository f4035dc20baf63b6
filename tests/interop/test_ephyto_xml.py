import copy
import json
from pathlib import Path

import pytest

from chaincode.documents.phyto import QuarantineCertificate
from chaincode.records import DocState
from interop.ephyto import (
    Replacement,
    SpsStatus,
    SpsXmlError,
    certificate_from_xml,
    certificate_to_xml,
    status_for_state,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "network" / "examples" / "phyto_cn_kz_apples.json"
NEW = Replacement("500100226000512", "sha256:" + "ab" * 32)
TREATMENTS = [
    {
        "type": "Cold treatment",
        "duration": {"value": 40, "unit": "DAY"},
        "temperature": {"value": -0.5, "unit": "CEL"},
        "date": "2026-02-20",
    },
    {
        "type": "Fumigation",
        "chemical": "Sulphuryl fluoride",
        "concentration": {"value": 48.5, "unit": "GM3"},
        "additionalInformation": "24 h exposure",
    },
]


@pytest.fixture
def raw():
    return json.loads(EXAMPLE.read_text())


def model(raw):
    return QuarantineCertificate.model_validate_json(json.dumps(raw))


def round_trip(cert, status=None):
    return certificate_from_xml(certificate_to_xml(cert, status))


def test_the_example_round_trips(raw):
    cert = model(raw)
    imported = round_trip(cert)
    assert imported.certificate == cert
    assert imported.status == SpsStatus("70")


def test_the_xml_has_the_sps_shape(raw):
    xml = certificate_to_xml(model(raw)).decode()
    for fragment in [
        '<rsm:SPSCertificate xmlns:rsm="urn:un:unece:uncefact:data:standard:SPSCertificate:17"',
        "<ram:ID>500100226000417</ram:ID><ram:TypeCode>851</ram:TypeCode>"
        "<ram:StatusCode>70</ram:StatusCode>",
        "<udt:DateTimeString>2026-04-08T10:30:00+08:00</udt:DateTimeString>",
        "<ram:ExportSPSCountry><ram:ID>CN</ram:ID></ram:ExportSPSCountry>",
        '<ram:NetWeightMeasure unitCode="KGM">43200.0</ram:NetWeightMeasure>',
        "<ram:SystemName>EPPO</ram:SystemName><ram:ClassCode>MABSD</ram:ClassCode>",
        "<ram:Subject>ADEDL</ram:Subject>",
    ]:
        assert fragment in xml


def test_treatments_and_volumes_round_trip(raw):
    raw["treatments"] = TREATMENTS
    second = copy.deepcopy(raw["commodities"][0])
    second["quantity"] = {"value": 0.00001, "unit": "MTQ"}
    raw["commodities"].append(second)
    cert = model(raw)
    xml = certificate_to_xml(cert)
    assert xml.count(b"<ram:AppliedSPSProcess>") == 4  # both treatments on both items
    assert b'<ram:NetVolumeMeasure unitCode="MTQ">0.00001</ram:NetVolumeMeasure>' in xml
    assert certificate_from_xml(xml).certificate == cert


def test_treatments_must_be_the_same_on_every_item(raw):
    raw["treatments"] = TREATMENTS[:1]
    raw["commodities"].append(copy.deepcopy(raw["commodities"][0]))
    xml = certificate_to_xml(model(raw))
    first = xml.index(b"<ram:AppliedSPSProcess>")
    end = xml.index(b"</ram:AppliedSPSProcess>") + len(b"</ram:AppliedSPSProcess>")
    with pytest.raises(SpsXmlError) as caught:
        certificate_from_xml(xml[:first] + xml[end:])
    assert caught.value.rule == "treatments_per_consignment"
    assert caught.value.path.endswith("ram:IncludedSPSTradeLineItem[2]")


def test_a_replacement_names_the_replaced_certificate(raw):
    raw["replaces"] = {"id": "500100226000399", "digest": "sha256:" + "3f" * 32}
    raw["includedNotes"].append({"subject": "Replacement", "content": "Replaces 500100226000399."})
    cert = model(raw)
    xml = certificate_to_xml(cert).decode()
    assert (
        "<ram:ReferenceSPSReferencedDocument><ram:RelationshipTypeCode>ACW</ram:RelationshipTypeCode>"
        "<ram:ID>500100226000399</ram:ID>" in xml
    )
    assert round_trip(cert).certificate == cert


@pytest.mark.parametrize(
    ("state", "replaced_by", "expected"),
    [
        (DocState.ISSUED, None, SpsStatus("70")),
        (DocState.REVOKED, None, SpsStatus("40")),
        (DocState.REPLACED, NEW, SpsStatus("40", NEW)),
        (DocState.AMENDED, NEW, SpsStatus("40", NEW)),
    ],
)
def test_ledger_state_as_sps_status(raw, state, replaced_by, expected):
    status = status_for_state(state, replaced_by)
    assert status == expected
    imported = round_trip(model(raw), status)
    assert imported.status == expected
    assert imported.certificate.statusCode == expected.code
    assert imported.certificate.model_copy(update={"statusCode": "70"}) == model(raw)


def test_a_replaced_certificate_carries_its_successor(raw):
    xml = certificate_to_xml(model(raw), status_for_state(DocState.REPLACED, NEW)).decode()
    assert "<ram:StatusCode>40</ram:StatusCode>" in xml
    assert (
        "<ram:RelationshipTypeCode>ZZZ</ram:RelationshipTypeCode><ram:ID>500100226000512</ram:ID>"
        f"<ram:Information>{NEW.digest}</ram:Information>" in xml
    )


@pytest.mark.parametrize(
    ("state", "replaced_by", "rule"),
    [
        (DocState.REPLACED, None, "status_replacement"),
        (DocState.ISSUED, NEW, "status_replacement"),
        (DocState.VOIDED, None, "status_state"),
    ],
)
def test_impossible_states(state, replaced_by, rule):
    with pytest.raises(SpsXmlError) as caught:
        status_for_state(state, replaced_by)
    assert caught.value.rule == rule


def test_a_note_cannot_pose_as_an_additional_declaration(raw):
    raw["includedNotes"].append({"subject": "ADEDL", "content": "Free from pests."})
    with pytest.raises(SpsXmlError) as caught:
        certificate_to_xml(model(raw))
    assert (caught.value.path, caught.value.rule) == (
        "$.includedNotes[1].subject",
        "reserved_note_subject",
    )


def test_text_that_xml_cannot_carry_is_refused_on_export(raw):
    raw["consignee"]["name"] = "Almaty\x00Fruit"
    with pytest.raises(SpsXmlError) as caught:
        certificate_to_xml(model(raw))
    assert (caught.value.path, caught.value.rule) == ("$.consignee.name", "xml_characters")


@pytest.mark.parametrize(
    ("old", "new", "path", "rule"),
    [
        (b"<ram:TypeCode>851", b"<ram:TypeCode>999", "ram:TypeCode", "sps_profile"),
        (
            b"<ram:ModeCode>",
            b"<ram:Colour>red</ram:Colour><ram:ModeCode>",
            "ram:MainCarriageSPSTransportMovement",
            "sps_profile",
        ),
        (
            b"<ram:ID>KZ</ram:ID>",
            b"<ram:ID>CN</ram:ID>",
            "$.importCountry",
            "export_import_countries_differ",
        ),
        (b">MABSD<", b">mabsd<", "$.commodities[0].eppoCode", "pattern"),
    ],
)
def test_import_errors_name_the_place_and_the_rule(raw, old, new, path, rule):
    xml = certificate_to_xml(model(raw))
    assert old in xml
    with pytest.raises(SpsXmlError) as caught:
        certificate_from_xml(xml.replace(old, new, 1))
    assert caught.value.rule == rule
    assert caught.value.path.endswith(path)
