"""Certificate of origin, with the fields of the GACC origin-data exchange.

One model covers preferential certificates (China-Singapore, ACFTA, RCEP, China-Pakistan,
China-Chile) and non-preferential ones, and both proof types: a certificate certified by
an authority, and an approved exporter's declaration of origin.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field

from chaincode.documents.base import Part, RuleViolation, TradeDocument, get_path, list_entries
from chaincode.documents.codes import (
    CountryCode,
    CurrencyCode,
    HSCode,
    IsoDate,
    LongText,
    PositiveQuantity,
    Text,
    UNLocationCode,
)

AgreementCode = Literal["CSFTA", "ACFTA", "RCEP", "CPFTA", "CCFTA", "NON_PREFERENTIAL"]
ProofType = Literal["CERTIFICATE", "DECLARATION"]
TransportMeans = Literal["SEA", "RAIL", "AIR", "ROAD"]
# WO wholly obtained, PE produced exclusively from originating materials, RVC regional
# value content, CTH / CTSH change of tariff heading / subheading, PSR product-specific rule.
OriginCriterion = Literal["WO", "PE", "RVC", "CTH", "CTSH", "PSR"]

# UN/ECE Recommendation 20 unit codes (KGM, PCE, SET, ...) and Recommendation 21 package
# type codes (CT carton, BX box, PK package, ...).
UnitCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{2,3}$")]
PackageTypeCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$")]
Percentage = Annotated[float, Field(ge=0, le=100)]
_NOT_RVC = frozenset(get_args(OriginCriterion)) - {"RVC"}

_ASEAN = frozenset({"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"})
# Who may be the origin and the issuing country under each agreement.
AGREEMENT_PARTIES: dict[str, frozenset[str]] = {
    "CSFTA": frozenset({"CN", "SG"}),
    "ACFTA": _ASEAN | {"CN"},
    "RCEP": _ASEAN | {"CN", "JP", "KR", "AU", "NZ"},
    "CPFTA": frozenset({"CN", "PK"}),
    "CCFTA": frozenset({"CN", "CL"}),
}


class Party(Part):
    """Exporter, producer or importer."""

    name: Text
    address: Text
    country: CountryCode
    # The party's registration number at home, e.g. China's 18-character unified social
    # credit code or Singapore's UEN.
    nationalId: Text | None = None  # noqa: N815


class Transport(Part):
    """Means of transport and route, as far as known."""

    means: TransportMeans
    conveyance: Text | None = None  # vessel and voyage, flight or train number
    portOfLoading: UNLocationCode  # noqa: N815
    portOfDischarge: UNLocationCode  # noqa: N815
    departureDate: IsoDate | None = None  # noqa: N815


class Money(Part):
    amount: PositiveQuantity
    currency: CurrencyCode


class Invoice(Part):
    number: Text
    date: IsoDate
    value: Money | None = None


class Packages(Part):
    count: int = Field(ge=1)
    type: PackageTypeCode


class DeclarationLine(Part):
    """The export customs declaration line that an item is mapped to."""

    declarationNumber: Text  # noqa: N815
    lineNumber: int = Field(ge=1)  # noqa: N815


class Item(Part):
    lineNumber: int = Field(ge=1)  # noqa: N815
    description: LongText
    hsCode: HSCode  # noqa: N815
    quantity: PositiveQuantity
    unit: UnitCode
    grossWeightKg: PositiveQuantity | None = None  # noqa: N815
    fobValue: Money | None = None  # noqa: N815
    # Optional here because non-preferential certificates state none (a rule requires it
    # for preferential ones).
    originCriterion: OriginCriterion | None = None  # noqa: N815
    rvcPercentage: Percentage | None = None  # noqa: N815
    marks: Text | None = None
    packages: Packages | None = None
    declarationLines: list[DeclarationLine] = Field(default_factory=list)  # noqa: N815


class ExporterDeclaration(Part):
    place: Text
    date: IsoDate
    signatory: Text


class Certification(Part):
    """The issuing authority's certification: absent from a declaration of origin."""

    authority: Text
    place: Text
    date: IsoDate
    officer: Text


class OriginalCertificate(Part):
    """The first party's certificate that a back-to-back certificate is based on."""

    number: Text
    issuingCountry: CountryCode  # noqa: N815
    date: IsoDate


class Replaces(Part):
    """The certificate that this amended or reissued one replaces."""

    number: Text
    reason: Text


class CertificateOfOrigin(TradeDocument):
    """A certificate or declaration of origin, preferential or not."""

    kind: ClassVar[str] = "co"

    certificateNumber: Text  # noqa: N815
    agreement: AgreementCode
    proofType: ProofType  # noqa: N815
    backToBack: bool  # noqa: N815
    approvedExporterCode: Text | None = None  # noqa: N815
    originCountry: CountryCode  # noqa: N815
    issuingCountry: CountryCode  # noqa: N815
    issueDate: IsoDate  # noqa: N815
    exporter: Party
    producer: Party | None = None
    importer: Party
    transport: Transport
    invoice: Invoice
    items: list[Item] = Field(min_length=1)
    declaration: ExporterDeclaration
    certification: Certification | None = None
    originalCertificate: OriginalCertificate | None = None  # noqa: N815
    replaces: Replaces | None = None

    def issuing_country(self) -> str | None:
        return self.issuingCountry

    @classmethod
    def document_rules(cls, raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
        yield from _proof_rules(raw)
        yield from _agreement_rules(raw)
        yield from _item_rules(raw)
        replaced = get_path(raw, "replaces", "number")
        if replaced is not None and replaced == raw.get("certificateNumber"):
            yield RuleViolation(
                ("replaces", "number"),
                "replaces_other_certificate",
                "a certificate cannot replace itself",
            )


def _proof_rules(raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
    proof_type = raw.get("proofType")
    if proof_type == "DECLARATION" and raw.get("approvedExporterCode") is None:
        yield RuleViolation(
            ("approvedExporterCode",),
            "approved_exporter_required",
            "a declaration of origin needs the approved exporter's code",
        )
    if proof_type == "CERTIFICATE" and raw.get("certification") is None:
        yield RuleViolation(
            ("certification",),
            "certification_required",
            "a certificate needs the issuing authority's certification block",
        )
    back_to_back = raw.get("backToBack")
    has_original = raw.get("originalCertificate") is not None
    if back_to_back is True and not has_original:
        yield RuleViolation(
            ("originalCertificate",),
            "back_to_back_original",
            "a back-to-back certificate must name the original certificate it is based on",
        )
    if back_to_back is False and has_original:
        yield RuleViolation(
            ("originalCertificate",),
            "back_to_back_original",
            "an original certificate is given only for a back-to-back certificate",
        )


def _parties(raw: Mapping[str, Any]) -> frozenset[str] | None:
    """The parties of a preferential agreement; None when non-preferential or malformed."""
    agreement = raw.get("agreement")
    return AGREEMENT_PARTIES.get(agreement) if isinstance(agreement, str) else None


def _agreement_rules(raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
    parties = _parties(raw)
    if parties is None:
        return
    agreement = raw["agreement"]
    for field in ("originCountry", "issuingCountry"):
        country = raw.get(field)
        if isinstance(country, str) and country not in parties:
            yield RuleViolation(
                (field,),
                "agreement_party",
                f"{country!r} is not a party to {agreement}",
            )


def _item_rules(raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
    preferential = _parties(raw) is not None
    seen: set[int] = set()
    for i, item in list_entries(raw, "items"):
        line = item.get("lineNumber")
        if isinstance(line, int):
            if line in seen:
                yield RuleViolation(
                    ("items", i, "lineNumber"),
                    "unique_line_numbers",
                    f"line number {line} is used by an earlier item",
                )
            seen.add(line)
        criterion = item.get("originCriterion")
        if preferential and criterion is None:
            yield RuleViolation(
                ("items", i, "originCriterion"),
                "origin_criterion_required",
                "an item of a preferential certificate needs its origin criterion",
            )
        has_percentage = item.get("rvcPercentage") is not None
        if criterion == "RVC" and not has_percentage:
            yield RuleViolation(
                ("items", i, "rvcPercentage"),
                "rvc_percentage",
                "origin criterion RVC needs the regional value content percentage",
            )
        if isinstance(criterion, str) and criterion in _NOT_RVC and has_percentage:
            yield RuleViolation(
                ("items", i, "rvcPercentage"),
                "rvc_percentage",
                f"a percentage is given only with origin criterion RVC, not {criterion}",
            )
        if item.get("grossWeightKg") is None and item.get("fobValue") is None:
            yield RuleViolation(
                ("items", i),
                "weight_or_value_required",
                "an item needs its gross weight or its FOB value",
            )
