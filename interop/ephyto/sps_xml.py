"""A QuarantineCertificate as UN/CEFACT SPSCertificate XML, and back, without loss.

``certificate_from_xml(certificate_to_xml(c)).certificate == c`` for every certificate the
profile can carry. The one certificate it cannot: an included note whose subject is the
subject this mapping reserves for additional declarations (``ADEDL``); exporting one is an
error, so that importing never turns a note into a declaration.

Mapping decisions beyond the plain element names (see also ``schema/README.md``):
- additional declarations are IncludedSPSNote with Subject ``ADEDL``, after the other notes;
- the replaced certificate is a ReferenceSPSReferencedDocument (``ACW``), its ledger digest
  in Information;
- the conveyance is UsedSPSTransportMeans/Name; the address is SpecifiedSPSAddress/LineOne;
- quantities in volume units go to NetVolumeMeasure, all others to NetWeightMeasure;
- EPPO and HS codes are ApplicableSPSClassification with SystemName ``EPPO`` / ``HS``;
- the certificate's treatments apply to the whole consignment and are repeated as
  AppliedSPSProcess on every trade line item; on import every item must carry the same list.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree
from pydantic import ValidationError

from chaincode.documents.base import field_errors
from chaincode.documents.phyto import (
    Commodity,
    QuarantineCertificate,
    SpsParty,
    Treatment,
)
from interop.ephyto import status as sps_status
from interop.ephyto.errors import SpsXmlError
from interop.ephyto.profile import check_sps
from interop.ephyto.safe_xml import parse_untrusted
from interop.ephyto.status import Replacement, SpsStatus

RSM = "urn:un:unece:uncefact:data:standard:SPSCertificate:17"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:21"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:21"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT}

DECLARATION_SUBJECT = "ADEDL"
VOLUME_UNITS = frozenset({"LTR", "MTQ", "CMQ", "DMQ", "MLT", "HLT", "GLL", "FTQ"})
# XML 1.0 characters; anything else cannot be written.
_XML_TEXT = re.compile("^[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$")


@dataclass(frozen=True)
class ImportedCertificate:
    certificate: QuarantineCertificate
    status: SpsStatus


# --- export --------------------------------------------------------------------------------


class _Writer:
    def __init__(self) -> None:
        self.path: list[str] = []

    def sub(self, parent: etree._Element, ns: str, tag: str, text: str | None = None,
            path: str | None = None, **attrs: str) -> etree._Element:  # fmt: skip
        element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            if not _XML_TEXT.match(text):
                raise SpsXmlError(
                    "xml_characters", "contains characters XML 1.0 cannot carry", path=path
                )
            element.text = text
        return element


def _number(value: float) -> str:
    return format(Decimal(repr(float(value))), "f")


def certificate_to_xml(cert: QuarantineCertificate, status: SpsStatus | None = None) -> bytes:
    """The SPSCertificate XML of ``cert`` (UTF-8, with declaration).

    ``status`` overrides the certificate's own StatusCode with its ledger state (see
    ``status.status_for_state``); without it the certificate is written as it is.
    """
    for i, note in enumerate(cert.includedNotes):
        if note.subject == DECLARATION_SUBJECT:
            raise SpsXmlError(
                "reserved_note_subject",
                f"subject {DECLARATION_SUBJECT!r} is reserved for additional declarations",
                path=f"$.includedNotes[{i}].subject",
            )
    w = _Writer()
    root = etree.Element(f"{{{RSM}}}SPSCertificate", nsmap=NSMAP)
    doc = w.sub(root, RSM, "SPSExchangedDocument")
    w.sub(doc, RAM, "ID", cert.id, "$.id")
    w.sub(doc, RAM, "TypeCode", cert.typeCode)
    w.sub(doc, RAM, "StatusCode", status.code if status else cert.statusCode)
    _datetime(w, doc, "IssueDateTime", cert.issueDateTime.isoformat())
    issuer = w.sub(doc, RAM, "IssuerSPSParty")
    if cert.issuer.id is not None:
        w.sub(issuer, RAM, "ID", cert.issuer.id, "$.issuer.id")
    w.sub(issuer, RAM, "Name", cert.issuer.name, "$.issuer.name")
    for i, note in enumerate(cert.includedNotes):
        element = w.sub(doc, RAM, "IncludedSPSNote")
        if note.subject is not None:
            w.sub(element, RAM, "Subject", note.subject, f"$.includedNotes[{i}].subject")
        w.sub(element, RAM, "Content", note.content, f"$.includedNotes[{i}].content")
    for i, declaration in enumerate(cert.additionalDeclarations):
        element = w.sub(doc, RAM, "IncludedSPSNote")
        w.sub(element, RAM, "Subject", DECLARATION_SUBJECT)
        w.sub(element, RAM, "Content", declaration, f"$.additionalDeclarations[{i}]")
    if cert.replaces is not None:
        _reference(w, doc, sps_status.REPLACES_RELATIONSHIP, cert.replaces.id,
                   cert.replaces.digest, "$.replaces.id")  # fmt: skip
    if status is not None and status.replaced_by is not None:
        _reference(w, doc, sps_status.REPLACED_BY_RELATIONSHIP, status.replaced_by.id,
                   status.replaced_by.digest, "replaced_by.id")  # fmt: skip
    signatory = w.sub(doc, RAM, "SignatorySPSAuthentication")
    _datetime(w, signatory, "ActualDateTime", cert.signatory.actualDateTime.isoformat())
    place = w.sub(signatory, RAM, "IssueSPSLocation")
    w.sub(place, RAM, "Name", cert.signatory.place, "$.signatory.place")
    person = w.sub(w.sub(signatory, RAM, "ProviderSPSParty"), RAM, "SpecifiedSPSPerson")
    w.sub(person, RAM, "Name", cert.signatory.officerName, "$.signatory.officerName")

    consignment = w.sub(root, RSM, "SPSConsignment")
    _party(w, consignment, "ConsignorSPSParty", cert.consignor, "$.consignor")
    _party(w, consignment, "ConsigneeSPSParty", cert.consignee, "$.consignee")
    w.sub(w.sub(consignment, RAM, "ExportSPSCountry"), RAM, "ID", cert.exportCountry)
    w.sub(w.sub(consignment, RAM, "ImportSPSCountry"), RAM, "ID", cert.importCountry)
    _location(w, consignment, "UnloadingBaseportSPSLocation", cert.unloadingBaseport.id,
              cert.unloadingBaseport.name, "$.unloadingBaseport")  # fmt: skip
    examination = w.sub(consignment, RAM, "ExaminationSPSEvent")
    event = cert.examinationEvent
    _datetime(w, examination, "OccurrenceDateTime", event.occurrenceDate.isoformat())
    _location(w, examination, "OccurrenceSPSLocation", event.occurrenceLocation.id,
              event.occurrenceLocation.name, "$.examinationEvent.occurrenceLocation")  # fmt: skip
    carriage = w.sub(consignment, RAM, "MainCarriageSPSTransportMovement")
    w.sub(carriage, RAM, "ModeCode", cert.mainCarriage.modeCode)
    means = w.sub(carriage, RAM, "UsedSPSTransportMeans")
    w.sub(means, RAM, "Name", cert.mainCarriage.identifier, "$.mainCarriage.identifier")
    item = w.sub(consignment, RAM, "IncludedSPSConsignmentItem")
    for i, commodity in enumerate(cert.commodities):
        _line_item(w, item, i, commodity, cert.treatments)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _datetime(w: _Writer, parent: etree._Element, tag: str, text: str) -> None:
    w.sub(w.sub(parent, RAM, tag), UDT, "DateTimeString", text)


def _reference(w: _Writer, parent: etree._Element, code: str, id_: str, digest: str,
               path: str) -> None:  # fmt: skip
    ref = w.sub(parent, RAM, "ReferenceSPSReferencedDocument")
    w.sub(ref, RAM, "RelationshipTypeCode", code)
    w.sub(ref, RAM, "ID", id_, path)
    w.sub(ref, RAM, "Information", digest)


def _party(w: _Writer, parent: etree._Element, tag: str, party: SpsParty, path: str) -> None:
    element = w.sub(parent, RAM, tag)
    w.sub(element, RAM, "Name", party.name, f"{path}.name")
    address = w.sub(element, RAM, "SpecifiedSPSAddress")
    w.sub(address, RAM, "LineOne", party.address, f"{path}.address")
    if party.country is not None:
        w.sub(address, RAM, "CountryID", party.country)


def _location(w: _Writer, parent: etree._Element, tag: str, id_: str, name: str,
              path: str) -> None:  # fmt: skip
    element = w.sub(parent, RAM, tag)
    w.sub(element, RAM, "ID", id_)
    w.sub(element, RAM, "Name", name, f"{path}.name")


def _line_item(w: _Writer, parent: etree._Element, i: int, commodity: Commodity,
               treatments: list[Treatment]) -> None:  # fmt: skip
    path = f"$.commodities[{i}]"
    line = w.sub(parent, RAM, "IncludedSPSTradeLineItem")
    w.sub(line, RAM, "SequenceNumeric", str(i + 1))
    w.sub(line, RAM, "Description", commodity.description, f"{path}.description")
    if commodity.scientificName is not None:
        w.sub(line, RAM, "ScientificName", commodity.scientificName, f"{path}.scientificName")
    unit = commodity.quantity.unit
    tag = "NetVolumeMeasure" if unit in VOLUME_UNITS else "NetWeightMeasure"
    w.sub(line, RAM, tag, _number(commodity.quantity.value), unitCode=unit)
    for system, code in (("EPPO", commodity.eppoCode), ("HS", commodity.hsCode)):
        if code is not None:
            classification = w.sub(line, RAM, "ApplicableSPSClassification")
            w.sub(classification, RAM, "SystemName", system)
            w.sub(classification, RAM, "ClassCode", code)
    package = w.sub(line, RAM, "PhysicalSPSPackage")
    w.sub(package, RAM, "LevelCode", "1")
    w.sub(package, RAM, "TypeCode", commodity.packages.type)
    w.sub(package, RAM, "ItemQuantity", str(commodity.packages.count))
    if commodity.originCountry is not None:
        w.sub(w.sub(line, RAM, "OriginSPSCountry"), RAM, "ID", commodity.originCountry)
    for j, treatment in enumerate(treatments):
        _treatment(w, line, treatment, f"$.treatments[{j}]")


def _treatment(w: _Writer, line: etree._Element, t: Treatment, path: str) -> None:
    process = w.sub(line, RAM, "AppliedSPSProcess")
    w.sub(process, RAM, "TypeCode", t.type, f"{path}.type")
    if t.date is not None or t.duration is not None:
        period = w.sub(process, RAM, "CompletionSPSPeriod")
        if t.date is not None:
            _datetime(w, period, "StartDateTime", t.date.isoformat())
        if t.duration is not None:
            w.sub(period, RAM, "DurationMeasure", _number(t.duration.value),
                  unitCode=t.duration.unit)  # fmt: skip

    def characteristic(code: str) -> etree._Element:
        element = w.sub(process, RAM, "ApplicableSPSProcessCharacteristic")
        w.sub(element, RAM, "TypeCode", code)
        return element

    if t.chemical is not None:
        w.sub(characteristic("CHEMICAL"), RAM, "Description", t.chemical, f"{path}.chemical")
    if t.concentration is not None:
        w.sub(characteristic("CONCENTRATION"), RAM, "ValueMeasure",
              _number(t.concentration.value), unitCode=t.concentration.unit)  # fmt: skip
    if t.temperature is not None:
        w.sub(characteristic("TEMPERATURE"), RAM, "ValueMeasure",
              _number(t.temperature.value), unitCode=t.temperature.unit)  # fmt: skip
    if t.additionalInformation is not None:
        w.sub(characteristic("INFO"), RAM, "Description", t.additionalInformation,
              f"{path}.additionalInformation")  # fmt: skip


# --- import --------------------------------------------------------------------------------


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _one(parent: ET.Element, tag: str) -> ET.Element:
    element = parent.find(_q(RAM, tag))
    assert element is not None  # the profile schema was checked first
    return element


def _text(parent: ET.Element, tag: str) -> str:
    return _one(parent, tag).text or ""


def _opt(parent: ET.Element, tag: str) -> str | None:
    element = parent.find(_q(RAM, tag))
    return None if element is None else element.text or ""


def _dt(parent: ET.Element, tag: str) -> str:
    return _one(parent, tag).findtext(_q(UDT, "DateTimeString"), "")


def certificate_from_xml(data: bytes) -> ImportedCertificate:
    """The certificate and status in SPSCertificate XML ``data`` (untrusted bytes).

    Raises UnsafeXmlError for DTDs, entities or oversize input, SpsXmlError naming the element
    path for anything outside the profile, and naming the JSON path for a certificate rule.
    """
    root = parse_untrusted(data)
    return certificate_from_element(root)


def certificate_from_element(root: ET.Element) -> ImportedCertificate:
    check_sps(root)
    doc = root.find(_q(RSM, "SPSExchangedDocument"))
    consignment = root.find(_q(RSM, "SPSConsignment"))
    assert doc is not None
    assert consignment is not None
    notes: list[dict[str, Any]] = []
    declarations: list[str] = []
    for note in doc.findall(_q(RAM, "IncludedSPSNote")):
        subject, content = _opt(note, "Subject"), _text(note, "Content")
        if subject == DECLARATION_SUBJECT:
            declarations.append(content)
        else:
            notes.append({"content": content} | ({} if subject is None else {"subject": subject}))
    replaces = None
    replaced_by = None
    for ref in doc.findall(_q(RAM, "ReferenceSPSReferencedDocument")):
        code, ref_id, digest = (
            _text(ref, t) for t in ("RelationshipTypeCode", "ID", "Information")
        )
        if code == sps_status.REPLACES_RELATIONSHIP and replaces is None:
            replaces = {"id": ref_id, "digest": digest}
        elif code == sps_status.REPLACED_BY_RELATIONSHIP and replaced_by is None:
            replaced_by = Replacement(ref_id, digest)
        else:
            raise SpsXmlError(
                "reference_relationship",
                f"relationship {code!r} is not {sps_status.REPLACES_RELATIONSHIP!r} (replaces) "
                f"or {sps_status.REPLACED_BY_RELATIONSHIP!r} (replaced by), or comes twice",
                path="/rsm:SPSCertificate/rsm:SPSExchangedDocument/ram:ReferenceSPSReferencedDocument",
            )
    issuer = _one(doc, "IssuerSPSParty")
    signatory = _one(doc, "SignatorySPSAuthentication")
    lines = _one(consignment, "IncludedSPSConsignmentItem").findall(
        _q(RAM, "IncludedSPSTradeLineItem")
    )
    treatments = [_read_treatment(p) for p in lines[0].findall(_q(RAM, "AppliedSPSProcess"))]
    for n, line in enumerate(lines[1:], start=2):
        if [_read_treatment(p) for p in line.findall(_q(RAM, "AppliedSPSProcess"))] != treatments:
            raise SpsXmlError(
                "treatments_per_consignment",
                "every trade line item carries the consignment's treatments, the same on each",
                path=f"/rsm:SPSCertificate/rsm:SPSConsignment/ram:IncludedSPSConsignmentItem"
                f"/ram:IncludedSPSTradeLineItem[{n}]",
            )
    examination = _one(consignment, "ExaminationSPSEvent")
    carriage = _one(consignment, "MainCarriageSPSTransportMovement")
    raw: dict[str, Any] = {
        "id": _text(doc, "ID"),
        "typeCode": _text(doc, "TypeCode"),
        "statusCode": _text(doc, "StatusCode"),
        "issueDateTime": _dt(doc, "IssueDateTime"),
        "issuer": _drop_none({"id": _opt(issuer, "ID"), "name": _text(issuer, "Name")}),
        "consignor": _read_party(_one(consignment, "ConsignorSPSParty")),
        "consignee": _read_party(_one(consignment, "ConsigneeSPSParty")),
        "exportCountry": _text(_one(consignment, "ExportSPSCountry"), "ID"),
        "importCountry": _text(_one(consignment, "ImportSPSCountry"), "ID"),
        "unloadingBaseport": _read_location(_one(consignment, "UnloadingBaseportSPSLocation")),
        "examinationEvent": {
            "occurrenceDate": _dt(examination, "OccurrenceDateTime"),
            "occurrenceLocation": _read_location(_one(examination, "OccurrenceSPSLocation")),
        },
        "mainCarriage": {
            "modeCode": _text(carriage, "ModeCode"),
            "identifier": _text(_one(carriage, "UsedSPSTransportMeans"), "Name"),
        },
        "includedNotes": notes,
        "additionalDeclarations": declarations,
        "treatments": treatments,
        "commodities": [_read_commodity(line) for line in lines],
        "signatory": {
            "officerName": _text(
                _one(_one(signatory, "ProviderSPSParty"), "SpecifiedSPSPerson"), "Name"
            ),
            "actualDateTime": _dt(signatory, "ActualDateTime"),
            "place": _text(_one(signatory, "IssueSPSLocation"), "Name"),
        },
    }
    if replaces is not None:
        raw["replaces"] = replaces
    try:
        cert = QuarantineCertificate.model_validate_json(json.dumps(raw))
    except ValidationError as exc:
        first = field_errors(exc)[0]
        raise SpsXmlError(first.rule, first.message, path=first.path) from None
    code = raw["statusCode"]
    assert code in (sps_status.ISSUED, sps_status.WITHDRAWN)
    return ImportedCertificate(cert, SpsStatus(code, replaced_by))


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _read_party(element: ET.Element) -> dict[str, Any]:
    address = _one(element, "SpecifiedSPSAddress")
    return _drop_none(
        {
            "name": _text(element, "Name"),
            "address": _text(address, "LineOne"),
            "country": _opt(address, "CountryID"),
        }
    )


def _read_location(element: ET.Element) -> dict[str, Any]:
    return {"id": _text(element, "ID"), "name": _text(element, "Name")}


def _measure(element: ET.Element) -> dict[str, Any]:
    return {"value": float(element.text or ""), "unit": element.get("unitCode")}


def _read_commodity(line: ET.Element) -> dict[str, Any]:
    quantity = line.find(_q(RAM, "NetWeightMeasure"))
    if quantity is None:
        quantity = _one(line, "NetVolumeMeasure")
    codes = {
        c.findtext(_q(RAM, "SystemName")): c.findtext(_q(RAM, "ClassCode"))
        for c in line.findall(_q(RAM, "ApplicableSPSClassification"))
    }
    package = _one(line, "PhysicalSPSPackage")
    origin = line.find(_q(RAM, "OriginSPSCountry"))
    return _drop_none(
        {
            "description": _text(line, "Description"),
            "scientificName": _opt(line, "ScientificName"),
            "eppoCode": codes.get("EPPO"),
            "quantity": _measure(quantity),
            "packages": {
                "count": int(_text(package, "ItemQuantity")),
                "type": _text(package, "TypeCode"),
            },
            "hsCode": codes.get("HS"),
            "originCountry": None if origin is None else _text(origin, "ID"),
        }
    )


def _read_treatment(process: ET.Element) -> dict[str, Any]:
    treatment: dict[str, Any] = {"type": _text(process, "TypeCode")}
    period = process.find(_q(RAM, "CompletionSPSPeriod"))
    if period is not None:
        if period.find(_q(RAM, "StartDateTime")) is not None:
            treatment["date"] = _dt(period, "StartDateTime")
        duration = period.find(_q(RAM, "DurationMeasure"))
        if duration is not None:
            treatment["duration"] = _measure(duration)
    fields = {
        "CHEMICAL": ("chemical", "Description"),
        "CONCENTRATION": ("concentration", "ValueMeasure"),
        "TEMPERATURE": ("temperature", "ValueMeasure"),
        "INFO": ("additionalInformation", "Description"),
    }
    for characteristic in process.findall(_q(RAM, "ApplicableSPSProcessCharacteristic")):
        name, child = fields[_text(characteristic, "TypeCode")]
        element = characteristic.find(_q(RAM, child))
        if name in treatment or element is None:
            raise SpsXmlError(
                "treatment_characteristic",
                f"{name} is given once, as ram:{child}",
                path="ram:AppliedSPSProcess/ram:ApplicableSPSProcessCharacteristic",
            )
        treatment[name] = _measure(element) if child == "ValueMeasure" else element.text
    return treatment
