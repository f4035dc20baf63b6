"""Quarantine certificate: the UN/CEFACT SPSCertificate (IPPC ePhyto) in JSON form.

Field names follow the SPS schema in camelCase (``typeCode``, ``consignor``,
``exportCountry``, ``unloadingBaseport`` ...), flattened from its two parts, the exchanged
document and the consignment. The exporting country's plant or animal health authority
issues it; a replacement names the certificate it replaces in a note.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from chaincode.documents.base import Part, RuleViolation, TradeDocument, get_path, list_entries
from chaincode.documents.codes import (
    CountryCode,
    Digest,
    HSCode,
    IsoDate,
    IsoDateTime,
    LongText,
    PositiveQuantity,
    Text,
    UNLocationCode,
)

# UN/CEFACT document name codes (UNCL 1001): 851 phytosanitary certificate, 657
# phytosanitary re-export certificate, 852 sanitary certificate, 853 veterinary certificate.
TypeCode = Literal["851", "657", "852", "853"]
# The IPPC certificate models (851 and 657) describe plants by their scientific names.
PLANT_CERTIFICATES = frozenset({"851", "657"})
# 70 issued, 40 withdrawn (the certificate is cancelled).
StatusCode = Literal["70", "40"]
# UN/ECE Recommendation 19 transport mode codes: 1 maritime, 2 rail, 3 road, 4 air, 5 mail,
# 6 multimodal, 7 fixed installation, 8 inland water.
ModeCode = Literal["1", "2", "3", "4", "5", "6", "7", "8"]

# UN/ECE Recommendation 20 unit codes (KGM, TNE, HUR, ...) and Recommendation 21 package
# type codes (CT carton, BX box, ...).
UnitCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{2,3}$")]
PackageTypeCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$")]
# Genus and species epithet ("Malus domestica", "Citrus spp."), optionally followed by
# further ranks or the author.
ScientificName = Annotated[
    str, Field(max_length=200, pattern=r"^[A-Z][a-z]+ (?:[a-z][a-z-]+|spp?\.)(?: \S.*)?$")
]
# EPPO codes: five or six letters for a species (MABSD is Malus domestica); taxa above the
# species start with a digit (1MABG is the genus Malus).
EppoCode = Annotated[str, Field(pattern=r"^(?:[A-Z]{5,6}|[1-9][A-Z]{4,5})$")]


class Authority(Part):
    """The issuing plant or animal health authority."""

    id: Text | None = None
    name: Text


class SpsParty(Part):
    name: Text
    address: Text
    country: CountryCode | None = None


class Location(Part):
    id: UNLocationCode
    name: Text


class ExaminationEvent(Part):
    """Where and when the consignment was inspected."""

    occurrenceDate: IsoDate  # noqa: N815
    occurrenceLocation: Location  # noqa: N815


class TransportMovement(Part):
    """The main carriage: its mode and the conveyance (vessel, train or flight)."""

    modeCode: ModeCode  # noqa: N815
    identifier: Text


class Note(Part):
    subject: Text | None = None
    content: LongText


class Measure(Part):
    value: PositiveQuantity
    unit: UnitCode


class Temperature(Part):
    # Cold treatments run at or below 0 °C, so any sign is allowed.
    value: float
    unit: Literal["CEL", "FAH"]


class Treatment(Part):
    """A disinfestation or disinfection treatment, as in the ePhyto treatment block."""

    type: Text  # e.g. "Fumigation", "Cold treatment", "Heat treatment"
    chemical: Text | None = None  # the active ingredient
    concentration: Measure | None = None
    duration: Measure | None = None
    temperature: Temperature | None = None
    date: IsoDate | None = None
    additionalInformation: Text | None = None  # noqa: N815


class Packages(Part):
    count: int = Field(ge=1)
    type: PackageTypeCode


class Commodity(Part):
    description: Text
    scientificName: ScientificName | None = None  # noqa: N815
    eppoCode: EppoCode | None = None  # noqa: N815
    quantity: Measure
    packages: Packages
    hsCode: HSCode | None = None  # noqa: N815
    originCountry: CountryCode | None = None  # noqa: N815


class Signatory(Part):
    """The authorised officer's authentication of the certificate."""

    officerName: Text  # noqa: N815
    actualDateTime: IsoDateTime  # noqa: N815
    place: Text


class ReplacedCertificate(Part):
    id: Text
    digest: Digest


class QuarantineCertificate(TradeDocument):
    """A phytosanitary, sanitary or veterinary certificate of the exporting country."""

    kind: ClassVar[str] = "phyto"

    id: Text
    typeCode: TypeCode  # noqa: N815
    statusCode: StatusCode  # noqa: N815
    issueDateTime: IsoDateTime  # noqa: N815
    issuer: Authority
    consignor: SpsParty
    consignee: SpsParty
    exportCountry: CountryCode  # noqa: N815
    importCountry: CountryCode  # noqa: N815
    # The declared point of entry into the importing country.
    unloadingBaseport: Location  # noqa: N815
    examinationEvent: ExaminationEvent  # noqa: N815
    mainCarriage: TransportMovement  # noqa: N815
    includedNotes: list[Note] = Field(default_factory=list)  # noqa: N815
    additionalDeclarations: list[LongText] = Field(default_factory=list)  # noqa: N815
    treatments: list[Treatment] = Field(default_factory=list)
    commodities: list[Commodity] = Field(min_length=1)
    signatory: Signatory
    replaces: ReplacedCertificate | None = None

    def issuing_country(self) -> str | None:
        return self.exportCountry

    @classmethod
    def document_rules(cls, raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
        export_country = raw.get("exportCountry")
        if export_country is not None and export_country == raw.get("importCountry"):
            yield RuleViolation(
                ("importCountry",),
                "export_import_countries_differ",
                f"the importing country is the exporting country {export_country!r}",
            )
        type_code = raw.get("typeCode")
        if isinstance(type_code, str) and type_code in PLANT_CERTIFICATES:
            for i, commodity in list_entries(raw, "commodities"):
                if commodity.get("scientificName") is None:
                    yield RuleViolation(
                        ("commodities", i, "scientificName"),
                        "scientific_name_required",
                        "a phytosanitary certificate names each plant by its scientific name",
                    )
        yield from _replacement_rules(raw)


def _replacement_rules(raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
    replaced = get_path(raw, "replaces", "id")
    if not isinstance(replaced, str) or not replaced:
        return
    if replaced == raw.get("id"):
        yield RuleViolation(
            ("replaces", "id"),
            "replaces_other_certificate",
            "a certificate cannot replace itself",
        )
    # As in ePhyto, the replacement says so in a note that names the replaced certificate.
    if not any(
        isinstance(note.get("content"), str) and replaced in note["content"]
        for _, note in list_entries(raw, "includedNotes")
    ):
        yield RuleViolation(
            ("includedNotes",),
            "replacement_note",
            f"a replacement certificate needs a note that names the replaced certificate "
            f"{replaced!r}",
        )
