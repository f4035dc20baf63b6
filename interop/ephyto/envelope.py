"""The IPPC hub envelope: header fields the hub routes by, and the certificate as content.

The header (From, To, CertificateType, CertificateStatus, NPPOCertificateNumber) is derived
from the certificate when wrapping, and checked against it when unwrapping: a header that
disagrees with its certificate is refused, naming the header field.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from interop.ephyto.errors import SpsXmlError
from interop.ephyto.profile import check_envelope
from interop.ephyto.safe_xml import parse_untrusted
from interop.ephyto.sps_xml import ImportedCertificate, certificate_from_element

HUB = "http://ephyto.ippc.int/HUB.Entities"


@dataclass(frozen=True)
class HubEnvelope:
    sender: str  # From: the exporting country (ISO 3166 alpha-2)
    recipient: str  # To: the importing country
    certificate_type: str  # 851, 657, ...
    certificate_status: str  # 70 issued, 40 withdrawn
    nppo_certificate_number: str
    content: bytes  # the SPSCertificate XML, signed or not


def _header_of(imported: ImportedCertificate) -> tuple[str, str, str, str, str]:
    cert = imported.certificate
    return (
        cert.exportCountry,
        cert.importCountry,
        cert.typeCode,
        imported.status.code,
        cert.id,
    )


def envelope_for(certificate_xml: bytes) -> HubEnvelope:
    """The envelope that carries ``certificate_xml`` to the importing country's NPPO."""
    imported = certificate_from_element(parse_untrusted(certificate_xml))
    return HubEnvelope(*_header_of(imported), content=certificate_xml)


def envelope_to_xml(envelope: HubEnvelope) -> bytes:
    root = etree.Element(f"{{{HUB}}}Envelope", nsmap={"hub": HUB})
    for tag, value in (
        ("From", envelope.sender),
        ("To", envelope.recipient),
        ("CertificateType", envelope.certificate_type),
        ("CertificateStatus", envelope.certificate_status),
        ("NPPOCertificateNumber", envelope.nppo_certificate_number),
        ("Content", envelope.content.decode("utf-8")),
    ):
        etree.SubElement(root, f"{{{HUB}}}{tag}").text = value
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


_HEADER_TAGS = ("From", "To", "CertificateType", "CertificateStatus", "NPPOCertificateNumber")


def envelope_from_xml(data: bytes) -> tuple[HubEnvelope, ImportedCertificate]:
    """The envelope in ``data`` (untrusted) and the certificate it carries, checked together."""
    root = parse_untrusted(data)
    check_envelope(root)
    values = [root.findtext(f"{{{HUB}}}{tag}", "") for tag in (*_HEADER_TAGS, "Content")]
    content = values[-1].encode("utf-8")
    # The content is parsed with the same defences as the envelope: a bomb inside is refused.
    imported = certificate_from_element(parse_untrusted(content))
    for tag, given, expected in zip(_HEADER_TAGS, values[:5], _header_of(imported), strict=True):
        if given != expected:
            raise SpsXmlError(
                "envelope_matches_certificate",
                f"the envelope says {given!r}, its certificate {expected!r}",
                path=f"/hub:Envelope/hub:{tag}",
            )
    sender, recipient, kind, status, number = values[:5]
    return HubEnvelope(sender, recipient, kind, status, number, content), imported
