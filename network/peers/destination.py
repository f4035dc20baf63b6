"""Which country a document is bound for, so its issuing node can push it there: a
certificate of origin's importer country, a quarantine certificate's import country, an
eBL's place of delivery (else its port of discharge). Rail consignments travel through the
rail feature's own pushes; other documents name no destination."""

from __future__ import annotations

from chaincode.documents.co import CertificateOfOrigin
from chaincode.documents.ebl import TransportDocument
from chaincode.documents.phyto import QuarantineCertificate
from chaincode.documents.registry import ValidDocument


def destination_country(doc: ValidDocument) -> str | None:
    model = doc.model
    if isinstance(model, CertificateOfOrigin):
        return model.importer.country
    if isinstance(model, QuarantineCertificate):
        return model.importCountry
    if isinstance(model, TransportDocument):
        transports = model.transports
        for place in (transports.placeOfDelivery, transports.portOfDischarge):
            if place is None:
                continue
            if place.UNLocationCode:
                return place.UNLocationCode[:2]
            address = getattr(place, "address", None)
            if address is not None:
                return str(address.countryCode)
    return None


__all__ = ["destination_country"]
