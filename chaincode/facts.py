"""The facts of a validated document: what the ledger records (its issuing country, its
containers, the documents it links to, and for an eBL its carrier and shipper), and whom it
concerns (every party it names and every country it names), which the read policy uses.

Parties are returned as references (names and national ids); the node maps them to
organisations, since only it knows the organisations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from chaincode.documents.co import CertificateOfOrigin
from chaincode.documents.ebl import TransportDocument
from chaincode.documents.phyto import QuarantineCertificate
from chaincode.documents.rail import RailConsignment
from chaincode.documents.registry import ValidDocument


@dataclass(frozen=True)
class PartyRef:
    name: str
    national_ids: tuple[tuple[str, str], ...] = ()  # (country, id)


@dataclass(frozen=True)
class DocumentFacts:
    country: str | None
    containers: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    carrier: PartyRef | None = None
    shipper: PartyRef | None = None
    to_order: bool | None = None
    # Whom the document concerns: every party it names, every country it names (ISO 3166
    # alpha-2, from countries of parties, ports, stations and places).
    parties: tuple[PartyRef, ...] = ()
    countries: frozenset[str] = frozenset()
    extra: dict[str, str] = field(default_factory=dict)


def _party(name: str, refs: Iterable[tuple[str, str]] | None) -> PartyRef:
    return PartyRef(name, tuple(refs or ()))


def _locode_country(code: str | None) -> str | None:
    return code[:2] if code else None


def _countries(*values: str | None) -> frozenset[str]:
    return frozenset(v for v in values if v)


def _co(model: CertificateOfOrigin) -> DocumentFacts:
    named = [p for p in (model.exporter, model.producer, model.importer) if p is not None]
    original = model.originalCertificate
    return DocumentFacts(
        country=model.issuing_country(),
        parties=tuple(
            _party(p.name, [(p.country, p.nationalId)] if p.nationalId else ()) for p in named
        ),
        countries=_countries(
            model.originCountry,
            model.issuingCountry,
            *(p.country for p in named),
            _locode_country(model.transport.portOfLoading),
            _locode_country(model.transport.portOfDischarge),
            original.issuingCountry if original is not None else None,
        ),
    )


def _ebl(model: TransportDocument) -> DocumentFacts:
    parties = model.documentParties
    issuing, shipper = parties.issuingParty, parties.shipper
    named_with_refs = [
        issuing,
        shipper,
        *(p for p in (parties.consignee, parties.endorsee) if p is not None),
        *(parties.notifyParties or ()),
        *(other.party for other in parties.other or ()),
    ]
    refs = [
        _party(p.partyName, [(t.countryCode, t.value) for t in p.taxLegalReferences or []])
        for p in named_with_refs
    ]
    refs += [
        _party(p.partyName, ())
        for p in (parties.onBehalfOfShipper, parties.onBehalfOfConsignee)
        if p is not None
    ]
    transports = model.transports
    places = (
        transports.placeOfReceipt,
        transports.portOfLoading,
        transports.portOfDischarge,
        transports.placeOfDelivery,
        transports.onwardInlandRouting,
    )
    countries = _countries(
        *(p.address.countryCode for p in named_with_refs if p.address is not None),
        *(t.countryCode for p in named_with_refs for t in p.taxLegalReferences or []),
        *(_locode_country(p.UNLocationCode) for p in places if p is not None),
        model.placeOfIssue.countryCode if model.placeOfIssue is not None else None,
    )
    return DocumentFacts(
        country=model.issuing_country(),
        containers=tuple(model.container_numbers()),
        carrier=refs[0],
        shipper=refs[1],
        to_order=model.isToOrder,
        parties=tuple(refs),
        countries=countries,
    )


def _rail(model: RailConsignment) -> DocumentFacts:
    containers = [c for wagon in model.wagons for c in wagon.containers]
    stations = [model.departureStation, model.destinationStation]
    stations += [s for b in model.borderCrossings for s in (b.exitStation, b.entryStation)]
    return DocumentFacts(
        country=model.issuing_country(),
        containers=tuple(dict.fromkeys(containers)),
        links=tuple(dict.fromkeys(a.digest for a in model.attachedDocuments)),
        parties=(_party(model.consignor.name, ()), _party(model.consignee.name, ())),
        countries=_countries(
            model.consignor.country,
            model.consignee.country,
            *(s.country for s in stations),
            *(e.country for e in model.customsEndorsements),
        ),
    )


def _phyto(model: QuarantineCertificate) -> DocumentFacts:
    return DocumentFacts(
        country=model.issuing_country(),
        links=(model.replaces.digest,) if model.replaces is not None else (),
        parties=(_party(model.consignor.name, ()), _party(model.consignee.name, ())),
        countries=_countries(
            model.exportCountry,
            model.importCountry,
            model.consignor.country,
            model.consignee.country,
            _locode_country(model.unloadingBaseport.id),
            *(c.originCountry for c in model.commodities),
        ),
    )


def facts_of(doc: ValidDocument) -> DocumentFacts:
    model = doc.model
    if isinstance(model, TransportDocument):
        return _ebl(model)
    if isinstance(model, RailConsignment):
        return _rail(model)
    if isinstance(model, QuarantineCertificate):
        return _phyto(model)
    if isinstance(model, CertificateOfOrigin):
        return _co(model)
    return DocumentFacts(country=model.issuing_country())
