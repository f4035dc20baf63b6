"""The DCSA eBL 3.0.3 TransportDocument (bill of lading or sea waybill) as a strict model.

Attribute names are DCSA's own JSON names, so a DCSA document validates unchanged. Deep
sub-objects that no rule reads (dangerous goods, reefer settings, licences) stay plain JSON
here; DCSA's own schema (``chaincode.documents.dcsa``) checks them, and the whole document.
"""

# DCSA's camelCase names are the attribute names, on purpose.
# ruff: noqa: N815

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal

import iso3166
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from chaincode.documents.base import Part, Path, RuleViolation, TradeDocument
from chaincode.documents.codes import ContainerNumber, CurrencyCode, HSCode, IsoDate

# Imported under another name: the field name UNLocationCode would shadow the type.
from chaincode.documents.codes import UNLocationCode as UNLocode
from chaincode.documents.dcsa import transport_document_violations

# DCSA's pattern for most free text: no leading or trailing whitespace.
TRIMMED = r"^\S(?:.*\S)?$"

# Every status after ISSUED belongs to a document that has been issued.
ISSUED_STATUSES = frozenset(
    {
        "ISSUED",
        "PENDING_SURRENDER_FOR_AMENDMENT",
        "SURRENDERED_FOR_AMENDMENT",
        "PENDING_SURRENDER_FOR_DELIVERY",
        "SURRENDERED_FOR_DELIVERY",
        "VOIDED",
    }
)

_EXTENDED_HS_CODE = re.compile(r"\d{6,12}")
_ISO6346_SHAPE = re.compile(r"[A-Z]{4}\d{7}")


def _country_or_unknown(value: str) -> str:
    # DCSA allows ZZ for an unknown country, which ISO 3166 does not list.
    if value != "ZZ" and value not in iso3166.countries_by_alpha2:
        raise PydanticCustomError(
            "iso3166_country",
            "'{value}' is not an ISO 3166-1 alpha-2 country code (or ZZ for unknown)",
            {"value": value},
        )
    return value


def _extended_hs_code(value: str) -> str:
    if not _EXTENDED_HS_CODE.fullmatch(value):
        raise PydanticCustomError(
            "hs_code_digits", "'{value}' is not an HS code of 6 to 12 digits", {"value": value}
        )
    return value


def _iso6346_shape(value: Any) -> Any:
    # python-stdnum also accepts "csnu 731904 7"; the ledger indexes containers by number,
    # so only the one written form (capitals, digits, no spaces) is allowed in.
    if isinstance(value, str) and not _ISO6346_SHAPE.fullmatch(value):
        raise PydanticCustomError(
            "iso6346_format",
            "'{value}' is not written as an ISO 6346 container number "
            "(4 capital letters then 7 digits, no spaces)",
            {"value": value},
        )
    return value


DcsaCountryCode = Annotated[str, AfterValidator(_country_or_unknown)]
ExtendedHSCode = Annotated[str, AfterValidator(_extended_hs_code)]
EquipmentReference = Annotated[ContainerNumber, BeforeValidator(_iso6346_shape)]
AddressLine = Annotated[str, Field(max_length=250)]
DisplayLine = Annotated[str, Field(max_length=35)]
TrimmedLine = Annotated[str, Field(max_length=35, pattern=TRIMMED)]
JsonObject = dict[str, Any]


# --- Addresses and locations -------------------------------------------------------------


class Address(Part):
    """A structured address of a place (DCSA ``Address``)."""

    street: str = Field(max_length=70)
    streetNumber: str | None = Field(default=None, max_length=50)
    floor: str | None = Field(default=None, max_length=50, pattern=TRIMMED)
    postCode: str | None = Field(default=None, max_length=10)
    POBox: str | None = Field(default=None, max_length=20)
    city: str = Field(max_length=35, pattern=TRIMMED)
    stateRegion: str | None = Field(default=None, max_length=65)
    countryCode: DcsaCountryCode


class PartyAddress(Address):
    """A party's address, which may also name its UN/LOCODE."""

    UNLocationCode: UNLocode | None = None


class Facility(Part):
    facilityCode: str = Field(max_length=6, pattern=TRIMMED)
    facilityCodeListProvider: Literal["BIC", "SMDG"]


class Port(Part):
    """Port of loading or discharge."""

    locationName: str | None = Field(default=None, max_length=100, pattern=TRIMMED)
    city: JsonObject | None = None
    UNLocationCode: UNLocode | None = None


class InlandLocation(Part):
    """Onward inland routing; also the base of the places of receipt and delivery."""

    locationName: str | None = Field(default=None, max_length=100, pattern=TRIMMED)
    facilityName: str | None = Field(default=None, max_length=100)
    address: Address | None = None
    addressLines: list[AddressLine] | None = Field(default=None, max_length=5)
    facility: Facility | None = None
    UNLocationCode: UNLocode | None = None


class Place(InlandLocation):
    """Place of receipt or delivery."""

    geoCoordinate: JsonObject | None = None


class InvoicePayableAt(Part):
    """Where freight is paid: a UN/LOCODE or, as a fallback, free text (exactly one)."""

    UNLocationCode: UNLocode | None = None
    freeText: str | None = Field(default=None, max_length=35)


class PlaceOfIssue(Part):
    """Where the original is issued: a UN/LOCODE or a country code (exactly one)."""

    locationName: str | None = Field(default=None, max_length=100, pattern=TRIMMED)
    UNLocationCode: UNLocode | None = None
    countryCode: DcsaCountryCode | None = None


# --- Parties -----------------------------------------------------------------------------


class PartyContactDetail(Part):
    """A person to contact: a name with a phone, an email, or both."""

    name: str = Field(max_length=35, pattern=TRIMMED)
    phone: str | None = Field(default=None, max_length=30, pattern=TRIMMED)
    email: str | None = Field(default=None, max_length=100, pattern=r"^.+@\S+$")


class IdentifyingCode(Part):
    codeListProvider: str = Field(max_length=100)
    partyCode: str = Field(max_length=150)
    codeListName: str | None = Field(default=None, max_length=100)


class TaxLegalReference(Part):
    type: str = Field(max_length=50, pattern=TRIMMED)
    countryCode: DcsaCountryCode
    value: str = Field(max_length=35, pattern=TRIMMED)


class _PartyBase(Part):
    partyName: str = Field(max_length=70, pattern=TRIMMED)
    address: PartyAddress | None = None
    addressLines: list[AddressLine] | None = Field(default=None, max_length=5)


class OnBehalfOfParty(_PartyBase):
    """A party acting for the shipper or the consignee on documentation."""

    identifyingCodes: list[IdentifyingCode] | None = None


class Party(_PartyBase):
    """The party inside an ``other`` document party."""

    identifyingCodes: list[IdentifyingCode] | None = None
    taxLegalReferences: list[TaxLegalReference] | None = None
    partyContactDetails: list[PartyContactDetail] | None = None
    reference: str | None = Field(default=None, max_length=35, pattern=TRIMMED)


class IssuingParty(_PartyBase):
    """The carrier (or its agent) issuing the document; its address is required."""

    address: PartyAddress
    identifyingCodes: list[IdentifyingCode] | None = None
    taxLegalReferences: list[TaxLegalReference] | None = None
    partyContactDetails: list[PartyContactDetail] | None = None


class _TitleParty(_PartyBase):
    """The fields shared by shipper, consignee and endorsee, who may hold an eBL."""

    eblPlatform: str | None = Field(default=None, max_length=4, pattern=r"^\S+$")
    displayedAddress: list[DisplayLine] | None = Field(default=None, max_length=6)
    taxLegalReferences: list[TaxLegalReference] | None = None
    partyContactDetails: list[PartyContactDetail] | None = None


class Endorsee(_TitleParty):
    """Whom a to-order BOL is endorsed to; identified by at least one code."""

    identifyingCodes: list[IdentifyingCode] = Field(min_length=1)


class _CargoParty(_TitleParty):
    typeOfPerson: str | None = Field(default=None, max_length=50, pattern=TRIMMED)
    reference: str | None = Field(default=None, max_length=35, pattern=TRIMMED)
    purchaseOrderReferences: list[TrimmedLine] | None = None


class Consignee(_CargoParty):
    identifyingCodes: list[IdentifyingCode] = Field(min_length=1)


class Shipper(_CargoParty):
    # Unlike the consignee, codes are optional (DCSA's own examples have none).
    identifyingCodes: list[IdentifyingCode] | None = None


class NotifyParty(_PartyBase):
    typeOfPerson: str | None = Field(default=None, max_length=50, pattern=TRIMMED)
    displayedAddress: list[DisplayLine] | None = Field(default=None, max_length=6)
    identifyingCodes: list[IdentifyingCode] | None = None
    taxLegalReferences: list[TaxLegalReference] | None = None
    partyContactDetails: list[PartyContactDetail] | None = None
    reference: str | None = Field(default=None, max_length=35, pattern=TRIMMED)


class CarriersAgentAtDestination(Part):
    partyName: str = Field(max_length=70, pattern=TRIMMED)
    address: Address
    addressLines: list[AddressLine] | None = Field(default=None, max_length=5)
    partyContactDetails: list[PartyContactDetail]


class OtherDocumentParty(Part):
    party: Party
    partyFunction: str = Field(max_length=3)


class DocumentParties(Part):
    shipper: Shipper
    onBehalfOfShipper: OnBehalfOfParty | None = None
    consignee: Consignee | None = None
    onBehalfOfConsignee: OnBehalfOfParty | None = None
    endorsee: Endorsee | None = None
    issuingParty: IssuingParty
    carriersAgentAtDestination: CarriersAgentAtDestination | None = None
    notifyParties: list[NotifyParty] | None = Field(default=None, max_length=3)
    other: list[OtherDocumentParty] | None = None


# --- Cargo and equipment -----------------------------------------------------------------


class Weight(Part):
    value: float = Field(gt=0)
    unit: Literal["KGM", "LBR"]


class Volume(Part):
    value: float = Field(gt=0)
    unit: Literal["MTQ", "FTQ"]


class OuterPackaging(Part):
    packageCode: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2}$")
    imoPackagingCode: str | None = Field(default=None, pattern=r"^[A-Z0-9]{1,5}$")
    numberOfPackages: int = Field(ge=1, le=99_999_999)
    description: str = Field(max_length=100)
    woodDeclaration: str | None = Field(default=None, max_length=30)
    dangerousGoods: list[JsonObject] | None = None


class CargoItem(Part):
    """What is stuffed in one container; it names that container."""

    equipmentReference: EquipmentReference
    cargoGrossWeight: Weight
    cargoGrossVolume: Volume | None = None
    cargoNetWeight: Weight | None = None
    cargoNetVolume: Volume | None = None
    exportLicense: JsonObject | None = None
    importLicense: JsonObject | None = None
    outerPackaging: OuterPackaging
    nationalCommodityCodes: list[JsonObject] | None = None
    extendedNationalCommodityCodes: list[JsonObject] | None = None
    customsReferences: list[JsonObject] | None = None


class ConsignmentItem(Part):
    carrierBookingReference: str = Field(max_length=35, pattern=TRIMMED)
    descriptionOfGoods: list[TrimmedLine] = Field(max_length=150)
    HSCodes: list[HSCode] = Field(min_length=1)
    extendedHSCodes: list[ExtendedHSCode] | None = None
    nationalCommodityCodes: list[JsonObject] | None = None
    extendedNationalCommodityCodes: list[JsonObject] | None = None
    shippingMarks: list[DisplayLine] | None = Field(default=None, max_length=50)
    cargoItems: list[CargoItem] = Field(min_length=1)
    exportLicense: JsonObject | None = None
    importLicense: JsonObject | None = None
    references: list[JsonObject] | None = None
    customsReferences: list[JsonObject] | None = None


class Equipment(Part):
    equipmentReference: EquipmentReference
    ISOEquipmentCode: str | None = Field(default=None, max_length=4, pattern=TRIMMED)
    tareWeight: Weight | None = None


class Seal(Part):
    number: str = Field(max_length=15)
    source: Literal["CAR", "SHI", "VET", "CUS"] | None = None


class UtilizedTransportEquipment(Part):
    equipment: Equipment
    isShipperOwned: bool
    isNonOperatingReefer: bool | None = None
    activeReeferSettings: JsonObject | None = None
    shippingMarks: list[DisplayLine] | None = Field(default=None, max_length=50)
    seals: list[Seal] = Field(min_length=1)
    references: list[JsonObject] | None = None
    customsReferences: list[JsonObject] | None = None


# --- Transport and charges ---------------------------------------------------------------


class VesselVoyage(Part):
    vesselName: str = Field(max_length=50, pattern=TRIMMED)
    carrierExportVoyageNumber: str = Field(max_length=50, pattern=TRIMMED)
    universalExportVoyageReference: str | None = Field(
        default=None, pattern=r"^\d{2}[0-9A-Z]{2}[NEWSR]$"
    )
    role: str | None = Field(default=None, max_length=30)


class Transports(Part):
    plannedArrivalDate: IsoDate
    plannedDepartureDate: IsoDate
    preCarriageBy: str | None = Field(default=None, max_length=50)
    onCarriageBy: str | None = Field(default=None, max_length=50)
    placeOfReceipt: Place | None = None
    portOfLoading: Port
    portOfDischarge: Port
    placeOfDelivery: Place | None = None
    onwardInlandRouting: InlandLocation | None = None
    vesselVoyages: list[VesselVoyage] = Field(min_length=1)


class Charge(Part):
    chargeName: str = Field(max_length=50, pattern=TRIMMED)
    extendedChargeName: str | None = Field(default=None, max_length=100, pattern=TRIMMED)
    currencyAmount: float = Field(ge=0)
    currencyCode: CurrencyCode
    paymentTermCode: Literal["PRE", "COL"]
    calculationBasis: str = Field(max_length=50, pattern=TRIMMED)
    unitPrice: float = Field(ge=0)
    quantity: float = Field(ge=0)


# --- The document ------------------------------------------------------------------------

TransportDocumentStatus = Literal[
    "DRAFT",
    "APPROVED",
    "ISSUED",
    "PENDING_SURRENDER_FOR_AMENDMENT",
    "SURRENDERED_FOR_AMENDMENT",
    "PENDING_SURRENDER_FOR_DELIVERY",
    "SURRENDERED_FOR_DELIVERY",
    "VOIDED",
]
ServiceType = Literal["CY", "SD", "CFS"]
CargoMovementType = Literal["FCL", "LCL"]
DisplayedName = list[DisplayLine]


class TransportDocument(TradeDocument):
    """A DCSA eBL 3.0.3 transport document: a bill of lading (BOL) or sea waybill (SWB)."""

    kind: ClassVar[str] = "ebl"

    transportDocumentReference: str = Field(max_length=20, pattern=TRIMMED)
    transportDocumentSubReference: str | None = Field(default=None, max_length=100, pattern=TRIMMED)
    shippingInstructionsReference: str | None = Field(default=None, max_length=100, pattern=TRIMMED)
    transportDocumentStatus: TransportDocumentStatus
    transportDocumentTypeCode: Literal["BOL", "SWB"]
    isShippedOnBoardType: bool
    freightPaymentTermCode: Literal["PRE", "COL"] | None = None
    isElectronic: bool
    isToOrder: bool
    numberOfCopiesWithCharges: int | None = Field(default=None, ge=0)
    numberOfCopiesWithoutCharges: int | None = Field(default=None, ge=0)
    numberOfOriginalsWithCharges: int | None = Field(default=None, ge=0)
    numberOfOriginalsWithoutCharges: int | None = Field(default=None, ge=0)
    displayedNameForPlaceOfReceipt: DisplayedName | None = Field(default=None, max_length=5)
    displayedNameForPortOfLoad: DisplayedName | None = Field(default=None, max_length=5)
    displayedNameForPortOfDischarge: DisplayedName | None = Field(default=None, max_length=5)
    displayedNameForPlaceOfDelivery: DisplayedName | None = Field(default=None, max_length=5)
    shippedOnBoardDate: IsoDate | None = None
    displayedShippedOnBoardReceivedForShipment: str | None = Field(
        default=None, max_length=250, pattern=TRIMMED
    )
    termsAndConditions: str = Field(max_length=50_000)
    receiptTypeAtOrigin: ServiceType
    deliveryTypeAtDestination: ServiceType
    cargoMovementTypeAtOrigin: CargoMovementType
    cargoMovementTypeAtDestination: CargoMovementType
    issueDate: IsoDate | None = None
    receivedForShipmentDate: IsoDate | None = None
    serviceContractReference: str | None = Field(default=None, max_length=30)
    contractQuotationReference: str | None = Field(default=None, max_length=35, pattern=TRIMMED)
    declaredValue: float | None = Field(default=None, ge=0)
    declaredValueCurrency: CurrencyCode | None = None
    carrierCode: str = Field(max_length=4, pattern=r"^\S+$")
    carrierCodeListProvider: Literal["SMDG", "NMFTA"]
    carrierClauses: list[Annotated[str, Field(max_length=20_000, pattern=TRIMMED)]] | None = None
    numberOfRiderPages: int | None = Field(default=None, ge=0)
    transports: Transports
    charges: list[Charge] | None = None
    placeOfIssue: PlaceOfIssue | None = None
    invoicePayableAt: InvoicePayableAt
    partyContactDetails: list[PartyContactDetail] = Field(min_length=1)
    documentParties: DocumentParties
    consignmentItems: list[ConsignmentItem] = Field(min_length=1)
    utilizedTransportEquipments: list[UtilizedTransportEquipment] = Field(min_length=1)
    exportLicense: JsonObject | None = None
    importLicense: JsonObject | None = None
    references: list[JsonObject] | None = None
    customsReferences: list[JsonObject] | None = None
    feedbacks: list[JsonObject] | None = None

    @classmethod
    def document_rules(cls, raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
        yield from _to_order_rules(raw)
        yield from _originals_rule(raw)
        yield from _issued_date_rule(raw)
        yield from _exactly_one(
            raw, "invoicePayableAt", ("UNLocationCode", "freeText"), "invoice_payable_at_location"
        )
        yield from _exactly_one(
            raw, "placeOfIssue", ("UNLocationCode", "countryCode"), "place_of_issue_location"
        )
        yield from _declared_value_rule(raw)
        yield from _contact_rule(raw)

    @classmethod
    def schema_rules(cls, raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
        # DCSA's own schema reaches the deep objects this model keeps as plain JSON
        # (dangerous goods, reefer settings, licences, references).
        return transport_document_violations(raw)

    def issuing_country(self) -> str | None:
        # A carrier from any country may issue a bill of lading.
        return None

    def container_numbers(self) -> list[str]:
        """Every container the document names, once each, in document order."""
        refs = [ute.equipment.equipmentReference for ute in self.utilizedTransportEquipments]
        refs += [
            cargo.equipmentReference for item in self.consignmentItems for cargo in item.cargoItems
        ]
        return list(dict.fromkeys(refs))


# --- Cross-field rules (read the raw JSON, which may be malformed anywhere) ----------------


def _has(obj: Any, key: str) -> bool:
    return isinstance(obj, Mapping) and obj.get(key) is not None


def _to_order_rules(raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
    to_order = raw.get("isToOrder")
    if raw.get("transportDocumentTypeCode") == "SWB" and to_order is True:
        yield RuleViolation(
            ("isToOrder",), "swb_not_to_order", "a sea waybill (SWB) cannot be to order"
        )
    parties = raw.get("documentParties")
    if not isinstance(parties, Mapping):
        return
    consignee, endorsee = _has(parties, "consignee"), _has(parties, "endorsee")
    if consignee and endorsee:
        yield RuleViolation(
            ("documentParties", "endorsee"),
            "consignee_endorsee_exclusive",
            "a transport document names a consignee or an endorsee, not both",
        )
    if to_order is False and not consignee:
        yield RuleViolation(
            ("documentParties", "consignee"),
            "consignee_required_when_straight",
            "a straight document (isToOrder false) must name its consignee",
        )
    if to_order is False and endorsee:
        yield RuleViolation(
            ("documentParties", "endorsee"),
            "endorsee_only_to_order",
            "only a to-order document (isToOrder true) can name an endorsee",
        )


def _originals_rule(raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
    if raw.get("isElectronic") is not True:
        return
    counts: dict[str, int] = {}
    for key in ("numberOfOriginalsWithCharges", "numberOfOriginalsWithoutCharges"):
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            counts[key] = value
    total = sum(counts.values())
    if total > 1:
        yield RuleViolation(
            (list(counts)[-1],),
            "electronic_single_original",
            f"an electronic document has at most one original, not {total} "
            "(numberOfOriginalsWithCharges + numberOfOriginalsWithoutCharges)",
        )


def _issued_date_rule(raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
    status = raw.get("transportDocumentStatus")
    if raw.get("transportDocumentTypeCode") != "BOL" or status not in ISSUED_STATUSES:
        return
    onboard, received = _has(raw, "shippedOnBoardDate"), _has(raw, "receivedForShipmentDate")
    if not onboard and not received:
        yield RuleViolation(
            ("shippedOnBoardDate",),
            "bol_onboard_or_received_date",
            f"an issued BOL ({status}) needs a shippedOnBoardDate or a receivedForShipmentDate",
        )
    elif onboard and received:
        yield RuleViolation(
            ("receivedForShipmentDate",),
            "bol_onboard_or_received_date",
            "an issued BOL has a shippedOnBoardDate or a receivedForShipmentDate, not both",
        )


def _exactly_one(
    raw: Mapping[str, Any], field: str, keys: tuple[str, str], rule: str
) -> Iterator[RuleViolation]:
    # DCSA writes these as a oneOf of two objects: exactly one of the two keys.
    obj = raw.get(field)
    if isinstance(obj, Mapping) and _has(obj, keys[0]) == _has(obj, keys[1]):
        yield RuleViolation((field,), rule, f"{field} has exactly one of {keys[0]} or {keys[1]}")


def _declared_value_rule(raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
    value, currency = _has(raw, "declaredValue"), _has(raw, "declaredValueCurrency")
    if value and not currency:
        yield RuleViolation(
            ("declaredValueCurrency",),
            "declared_value_currency",
            "a declaredValue needs its declaredValueCurrency",
        )
    elif currency and not value:
        yield RuleViolation(
            ("declaredValueCurrency",),
            "declared_value_currency",
            "a declaredValueCurrency is given only with a declaredValue",
        )


def _contact_rule(raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
    # partyContactDetails appear on the document and on most parties; check them all.
    for path, contacts in _find(raw, "partyContactDetails", ()):
        if not isinstance(contacts, list):
            continue
        for i, contact in enumerate(contacts):
            if isinstance(contact, Mapping) and not (
                _has(contact, "phone") or _has(contact, "email")
            ):
                yield RuleViolation(
                    (*path, i), "contact_phone_or_email", "a contact needs a phone or an email"
                )


def _find(node: Any, key: str, path: Path) -> Iterator[tuple[Path, Any]]:
    """Every value stored under ``key``, at any depth, with its path."""
    if isinstance(node, Mapping):
        for k, v in node.items():
            if k == key:
                yield (*path, k), v
            yield from _find(v, key, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _find(v, key, (*path, i))
