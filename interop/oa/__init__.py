"""OpenAttestation v2 (TradeTrust, Singapore): wrapping, obfuscating and verifying documents
byte for byte as ``@govtechsg/open-attestation`` 6.9 and ``@govtechsg/oa-verify`` do, and
TradeTrust's official DocumentStore and token registry (eBL titles) on an EVM node.

Names: ``wrap_document``, ``wrap_documents``, ``obfuscate``, ``Verifier`` /
``verify_documents`` (one check per oa-verify fragment), ``StaticDnsTxt`` (an injected
DNS-TXT resolver) and ``DnsTxtSources`` (several, the answering one named),
``DocumentStore``, ``TokenRegistry``, ``OaIssuer`` / ``export_documents`` (a tdx document as
an OA document linked to its digest), and ``OaError``.
"""

from interop.oa.dns_txt import (
    DnsTxtError,
    DnsTxtResolver,
    DnsTxtSources,
    StaticDnsTxt,
    record_text,
)
from interop.oa.document_store import DocumentStore
from interop.oa.errors import ContractsMissingError, OaError
from interop.oa.export import OaIssuer, export_documents, oa_data, tdx_digest_of
from interop.oa.obfuscate import obfuscate
from interop.oa.token_registry import Title, TitleState, TokenRegistry, token_id
from interop.oa.verify import Fragment, Status, Verification, Verifier, verify_documents
from interop.oa.wrap import dumps, wrap_document, wrap_documents

__all__ = [
    "ContractsMissingError",
    "DnsTxtError",
    "DnsTxtResolver",
    "DnsTxtSources",
    "DocumentStore",
    "Fragment",
    "OaError",
    "OaIssuer",
    "StaticDnsTxt",
    "Status",
    "Title",
    "TitleState",
    "TokenRegistry",
    "Verification",
    "Verifier",
    "dumps",
    "export_documents",
    "oa_data",
    "obfuscate",
    "record_text",
    "tdx_digest_of",
    "token_id",
    "verify_documents",
    "wrap_document",
    "wrap_documents",
]
