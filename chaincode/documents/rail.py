"""Rail consignment: the SMGS or CIM/SMGS consignment note as shared under 关铁通.

It carries the note's boxes (consignor, stations, declarations, consignee), the border
crossings with their gauge changes, and the wagon, container and seal lists that customs
on each side check before arrival: at a gauge-change border, unchanged seals mean direct
release.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from chaincode.documents.base import Part, RuleViolation, TradeDocument, get_path, list_entries
from chaincode.documents.codes import (
    ContainerNumber,
    CountryCode,
    Digest,
    HSCode,
    IsoDate,
    LongText,
    PositiveQuantity,
    Text,
)

NoteType = Literal["SMGS", "CIM_SMGS"]
SealType = Literal["MECHANICAL", "SMART_LOCK", "EAEU_NAVIGATION_SEAL"]
SealingParty = Literal["CONSIGNOR", "CARRIER", "CUSTOMS"]
AttachedKind = Literal["co", "phyto", "ebl"]

# Six digits, the width of the ESR station codes of the 1520 mm railways (Dostyk is 708507).
StationCode = Annotated[str, Field(pattern=r"^\d{6}$")]
# Wagon numbers: 8 digits on the 1520 mm railways (SMGS), 7 on China Railway's 1435 mm
# wagons, 12 for UIC-numbered wagons under CIM/SMGS.
WagonNumber = Annotated[str, Field(pattern=r"^(?:\d{7}|\d{8}|\d{12})$")]
# The harmonised 8-digit goods code: NHM under CIM, GNG under SMGS (not the 6-digit ETSNG).
NhmCode = Annotated[str, Field(pattern=r"^\d{8}$")]
# UN/ECE Recommendation 21 package type codes (CT carton, BX box, PX pallet, ...).
PackageTypeCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$")]


class Party(Part):
    """Consignor (box 1) or consignee (box 4)."""

    name: Text
    address: Text
    country: CountryCode


class Station(Part):
    name: Text
    code: StationCode
    country: CountryCode


class BorderCrossing(Part):
    """An exit station and the entry station across the border, e.g. Alashankou → Dostyk."""

    exitStation: Station  # noqa: N815
    entryStation: Station  # noqa: N815
    # True where the gauge changes (1435 mm to 1520 mm) and containers are transshipped.
    gaugeChange: bool  # noqa: N815


class Wagon(Part):
    number: WagonNumber
    containers: list[ContainerNumber] = Field(default_factory=list)


class Seal(Part):
    """A seal on one container or one wagon (give exactly one of the two)."""

    number: Text
    type: SealType
    sealingParty: SealingParty  # noqa: N815
    containerNumber: ContainerNumber | None = None  # noqa: N815
    wagonNumber: WagonNumber | None = None  # noqa: N815


class Packages(Part):
    count: int = Field(ge=1)
    type: PackageTypeCode


class GoodsLine(Part):
    description: LongText
    hsCode: HSCode  # noqa: N815
    nhmCode: NhmCode  # noqa: N815
    packages: Packages
    grossMassKg: PositiveQuantity  # noqa: N815


class AttachedDocument(Part):
    """A link to another document on the ledger, by the digest of its canonical form."""

    kind: AttachedKind
    digest: Digest
    reference: Text | None = None  # the document's own number


class CustomsEndorsement(Part):
    authority: Text
    country: CountryCode
    date: IsoDate
    text: LongText


class RailConsignment(TradeDocument):
    """An SMGS or CIM/SMGS consignment note, keyed by its number, wagons and containers."""

    kind: ClassVar[str] = "rail"

    noteNumber: Text  # noqa: N815
    noteType: NoteType  # noqa: N815
    consignor: Party  # box 1
    departureStation: Station  # noqa: N815  # box 2
    consignorDeclarations: list[LongText] = Field(default_factory=list)  # noqa: N815  # box 3
    consignee: Party  # box 4
    destinationStation: Station  # noqa: N815  # box 5
    borderCrossings: list[BorderCrossing] = Field(default_factory=list)  # noqa: N815
    trainNumber: Text  # noqa: N815
    wagons: list[Wagon] = Field(min_length=1)
    seals: list[Seal] = Field(default_factory=list)
    goods: list[GoodsLine] = Field(min_length=1)
    attachedDocuments: list[AttachedDocument] = Field(default_factory=list)  # noqa: N815
    customsEndorsements: list[CustomsEndorsement] = Field(default_factory=list)  # noqa: N815

    def issuing_country(self) -> str | None:
        return self.departureStation.country

    @classmethod
    def document_rules(cls, raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
        yield from _wagon_rules(raw)
        yield from _seal_rules(raw)
        # A border crossing joins two countries, whether or not the gauge changes there.
        for i, crossing in list_entries(raw, "borderCrossings"):
            exit_country = get_path(crossing, "exitStation", "country")
            if exit_country is not None and exit_country == get_path(
                crossing, "entryStation", "country"
            ):
                yield RuleViolation(
                    ("borderCrossings", i, "entryStation", "country"),
                    "border_pair_countries_differ",
                    f"the exit and entry stations are both in {exit_country!r}",
                )


def _wagon_rules(raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
    wagons: set[str] = set()
    first_wagon: dict[str, tuple[int, str]] = {}  # container -> (index, name) of its wagon
    for i, wagon in list_entries(raw, "wagons"):
        number = wagon.get("number")
        name = number if isinstance(number, str) else f"#{i}"
        if isinstance(number, str):
            if number in wagons:
                yield RuleViolation(
                    ("wagons", i, "number"),
                    "unique_wagon_numbers",
                    f"wagon {number} is listed twice",
                )
            wagons.add(number)
        containers = wagon.get("containers")
        if not isinstance(containers, list):
            continue
        for j, container in enumerate(containers):
            if not isinstance(container, str):
                continue
            first, first_name = first_wagon.setdefault(container, (i, name))
            if first == i and containers.index(container) != j:
                yield RuleViolation(
                    ("wagons", i, "containers", j),
                    "unique_container_numbers",
                    f"container {container} is listed twice on this wagon",
                )
            elif first != i:
                yield RuleViolation(
                    ("wagons", i, "containers", j),
                    "container_on_one_wagon",
                    f"container {container} is already on wagon {first_name}",
                )


def _seal_rules(raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
    wagons = {
        w["number"] for _, w in list_entries(raw, "wagons") if isinstance(w.get("number"), str)
    }
    containers = {
        c
        for _, w in list_entries(raw, "wagons")
        if isinstance(w.get("containers"), list)
        for c in w["containers"]
        if isinstance(c, str)
    }
    for i, seal in list_entries(raw, "seals"):
        container = seal.get("containerNumber")
        wagon = seal.get("wagonNumber")
        if (container is None) == (wagon is None):
            yield RuleViolation(
                ("seals", i),
                "seal_on_one_unit",
                "a seal is on one container or one wagon: give exactly one of "
                "containerNumber and wagonNumber",
            )
        if isinstance(container, str) and container not in containers:
            yield RuleViolation(
                ("seals", i, "containerNumber"),
                "seal_unit_present",
                f"container {container} is on none of the consignment's wagons",
            )
        if isinstance(wagon, str) and wagon not in wagons:
            yield RuleViolation(
                ("seals", i, "wagonNumber"),
                "seal_unit_present",
                f"wagon {wagon} is not in the consignment",
            )
