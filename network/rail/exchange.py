"""The corridor's exchange formats on a node: a quarantine certificate out to and in from
the IPPC ePhyto hub (UN/CEFACT SPS XML in the hub envelope, with an enveloped XMLDSig), and
consignment notes in from EDIFACT IFTMIN, border events out as IFTSTA.

The formats are ``interop.ephyto`` and ``interop.edifact``; this module reads what the
ledger and the node's store hold (under the read policy) and writes through the node's
ordinary operations, so an import is a signed issue or registration like any other. An
import parses and checks everything first: a malformed message writes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from chaincode.documents.envelope import parse
from chaincode.documents.phyto import QuarantineCertificate
from chaincode.documents.rail import RailConsignment
from chaincode.documents.registry import DocumentKind, validate_document
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.read_policy import Reader
from chaincode.records import DocState
from interop.edifact import export_iftsta, import_iftmin
from interop.ephyto import (
    Replacement,
    SpsXmlError,
    certificate_from_xml,
    certificate_to_xml,
    envelope_from_xml,
    envelope_to_xml,
    sign_xml,
    status_for_state,
    verify_xml,
)
from interop.ephyto.envelope import HUB, envelope_for
from interop.ephyto.safe_xml import parse_untrusted
from network.node import Issued, Node
from network.rail.desk import RailDesk, Registered


def _document(node: Node, doc_id: str, reader: Reader, kind: DocumentKind) -> object:
    record = node.status(doc_id, reader).record
    if record.kind is not kind:
        raise Refusal(RefusalKind.INVALID, f"{doc_id} is a {record.kind.value}, not a {kind.value}")
    return validate_document(kind, parse(node.signed_document(doc_id, reader)).document).model


# --- ePhyto ----------------------------------------------------------------------------------


def export_ephyto(node: Node, doc_id: str, reader: Reader, sign_as: str | None = None) -> bytes:
    """The hub envelope carrying the certificate ``doc_id`` as SPSCertificate XML, its ledger
    state as the SPS status (a replaced one names its replacement), signed (enveloped
    XMLDSig) with ``sign_as``'s document key when given."""
    cert = _document(node, doc_id, reader, DocumentKind.PHYTO)
    assert isinstance(cert, QuarantineCertificate)
    record = node.status(doc_id, reader).record
    replacement = None
    if record.state in (DocState.REPLACED, DocState.AMENDED) and record.superseded_by:
        successor = _document(node, record.superseded_by, reader, DocumentKind.PHYTO)
        assert isinstance(successor, QuarantineCertificate)
        replacement = Replacement(successor.id, record.superseded_by)
    try:
        xml = certificate_to_xml(cert, status_for_state(record.state, replacement))
    except SpsXmlError as exc:
        raise Refusal(RefusalKind.CONFLICT, str(exc)) from None
    if sign_as is not None:
        key = node.home.signing_key(sign_as)
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise Refusal(
                RefusalKind.INVALID,
                f"xmldsig_key: {sign_as}'s document key is not ECDSA P-256 or RSA, which "
                "XMLDSig verifiers accept",
            )
        xml = sign_xml(xml, key, [node.home.credentials(sign_as).document_cert])
    return envelope_to_xml(envelope_for(xml))


def read_ephyto(data: bytes) -> tuple[QuarantineCertificate, bytes]:
    """The certificate in ``data`` (a hub envelope or a bare SPSCertificate) and its
    SPSCertificate XML, parsed safely (DTDs and entities refused) and checked against the
    profile; SpsXmlError names the rule."""
    root = parse_untrusted(data)
    if root.tag == f"{{{HUB}}}Envelope":
        envelope, imported = envelope_from_xml(data)
        return imported.certificate, envelope.content
    return certificate_from_xml(data).certificate, data


def import_ephyto(node: Node, data: bytes, org_id: str, signed_by: str | None = None) -> Issued:
    """Issue the certificate in ``data`` on the ledger as ``org_id`` (the exporting
    country's quarantine authority, as for any phyto). With ``signed_by``, only if the
    SPSCertificate carries a valid enveloped XMLDSig by that organisation's document key."""
    cert, content = read_ephyto(data)
    if signed_by is not None:
        signer = node.home.credentials(signed_by).document_cert
        check = verify_xml(content, signer)
        if check.status != "pass":
            raise Refusal(
                RefusalKind.INVALID, f"xmldsig: not signed by {signed_by}: {check.reason}"
            )
    document = cert.model_dump(mode="json", exclude_defaults=True)
    return node.issue(DocumentKind.PHYTO, document, org_id)


# --- EDIFACT ---------------------------------------------------------------------------------


def import_edifact(desk: RailDesk, text: str, org_id: str) -> list[Registered]:
    """Register every consignment note of the IFTMIN interchange ``text`` as ``org_id``;
    the whole interchange is parsed and checked first (EdifactError names the segment)."""
    notes = import_iftmin(text)
    return [desk.register(n.model_dump(mode="json", exclude_defaults=True), org_id) for n in notes]


@dataclass(frozen=True)
class Parties:
    sender: str
    recipient: str


def export_edifact(
    desk: RailDesk,
    doc_id: str,
    reader: Reader,
    parties: Parties,
    prepared_at: datetime.datetime,
) -> str:
    """The consignment's border events as one IFTSTA message."""
    route, events = desk.journey(doc_id, reader)
    note = _document(desk.node, doc_id, reader, DocumentKind.RAIL)
    assert isinstance(note, RailConsignment)
    reference = route.route.noteNumber[:14]
    return export_iftsta(
        note,
        events,
        sender=parties.sender,
        recipient=parties.recipient,
        reference=reference,
        prepared_at=prepared_at,
    )


__all__ = [
    "Parties",
    "export_edifact",
    "export_ephyto",
    "import_edifact",
    "import_ephyto",
    "read_ephyto",
]
