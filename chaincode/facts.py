"""The facts of a validated document that the ledger records: its issuing country, its
containers, the documents it links to, and (for an eBL) the parties named in it.

Parties are returned as references (names and national ids); the node maps them to
organisations, since only it knows the organisations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    extra: dict[str, str] = field(default_factory=dict)


def _party(name: str, refs: list[tuple[str, str]] | None) -> PartyRef:
    return PartyRef(name, tuple(refs or ()))


def facts_of(doc: ValidDocument) -> DocumentFacts:
    model = doc.model
    country = model.issuing_country()
    if isinstance(model, TransportDocument):
        parties = model.documentParties
        issuing = parties.issuingParty
        shipper = parties.shipper
        return DocumentFacts(
            country=country,
            containers=tuple(model.container_numbers()),
            carrier=_party(
                issuing.partyName,
                [(t.countryCode, t.value) for t in issuing.taxLegalReferences or []],
            ),
            shipper=_party(
                shipper.partyName,
                [(t.countryCode, t.value) for t in shipper.taxLegalReferences or []],
            ),
            to_order=model.isToOrder,
        )
    if isinstance(model, RailConsignment):
        containers = [c for wagon in model.wagons for c in wagon.containers]
        return DocumentFacts(
            country=country,
            containers=tuple(dict.fromkeys(containers)),
            links=tuple(dict.fromkeys(a.digest for a in model.attachedDocuments)),
        )
    if isinstance(model, QuarantineCertificate) and model.replaces is not None:
        return DocumentFacts(country=country, links=(model.replaces.digest,))
    return DocumentFacts(country=country)
