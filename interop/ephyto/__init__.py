"""ePhyto: a quarantine certificate as UN/CEFACT SPSCertificate XML, as the IPPC hub carries it.

``certificate_to_xml`` / ``certificate_from_xml`` translate without loss (``sps_xml``), with
the ledger state as SPS status codes (``status``); ``envelope_to_xml`` / ``envelope_from_xml``
wrap it in the hub envelope (``envelope``); ``sign_xml`` / ``verify_xml`` add and check an
enveloped XMLDSig (``signature``). Untrusted XML is parsed only by ``parse_untrusted``
(defusedxml: DTDs and entities refused) and checked against the tdx SPS profile schema
(``profile``).
"""

from interop.ephyto.envelope import HubEnvelope, envelope_from_xml, envelope_to_xml
from interop.ephyto.errors import SpsXmlError, UnsafeXmlError
from interop.ephyto.signature import SignatureCheck, sign_xml, verify_xml
from interop.ephyto.sps_xml import ImportedCertificate, certificate_from_xml, certificate_to_xml
from interop.ephyto.status import Replacement, SpsStatus, status_for_state

__all__ = [
    "HubEnvelope",
    "ImportedCertificate",
    "Replacement",
    "SignatureCheck",
    "SpsStatus",
    "SpsXmlError",
    "UnsafeXmlError",
    "certificate_from_xml",
    "certificate_to_xml",
    "envelope_from_xml",
    "envelope_to_xml",
    "sign_xml",
    "status_for_state",
    "verify_xml",
]
