"""An enveloped XMLDSig signature on the SPSCertificate, with signxml.

The algorithm follows the signing key (ECDSA P-256 or RSA, with SHA-256), never the input;
verification accepts exactly those two signature methods and SHA-256 digests, one reference
to the whole document, and the signature as a child of the root (enveloped). The XML is
canonicalised with exclusive C14N, so the signed bytes survive being carried as the content
of the hub envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidInput, SignXMLException
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from interop.ephyto.errors import SpsXmlError
from interop.ephyto.safe_xml import parse_checked_lxml

ALLOWED_METHODS = frozenset({SignatureMethod.ECDSA_SHA256, SignatureMethod.RSA_SHA256})
_EXPECT = SignatureConfiguration(
    require_x509=True,
    location="./",  # a child of the root: enveloped
    expect_references=1,
    signature_methods=ALLOWED_METHODS,
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
)


@dataclass(frozen=True)
class SignatureCheck:
    name: Literal["xmldsig"]
    status: Literal["pass", "fail"]
    reason: str
    signed_xml: bytes | None = None  # what the signature covers, only when it passed


def _method_for(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> SignatureMethod:
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return SignatureMethod.ECDSA_SHA256
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return SignatureMethod.RSA_SHA256
    raise SpsXmlError("xmldsig_key", "signing keys are ECDSA P-256 or RSA of 2048 bits or more")


def sign_xml(
    data: bytes,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    chain: list[x509.Certificate],
) -> bytes:
    """``data`` with an enveloped signature by ``key``; ``chain`` (signer first) goes in KeyInfo."""
    signer = XMLSigner(
        signature_algorithm=_method_for(key),
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    pems = [c.public_bytes(Encoding.PEM).decode("ascii") for c in chain]
    signed = signer.sign(parse_checked_lxml(data), key=key, cert=pems)
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def verify_xml(data: bytes, signer: x509.Certificate) -> SignatureCheck:
    """Whether ``data`` carries a valid enveloped signature by ``signer``'s key.

    Never raises for a bad signature: the check fails with the reason. Unsafe XML (a DTD or
    an entity) fails too, before any signature code reads it.
    """
    try:
        root = parse_checked_lxml(data)
        result = XMLVerifier().verify(
            root, x509_cert=signer, expect_config=_EXPECT, validate_schema=True
        )
    except SpsXmlError as exc:
        return SignatureCheck("xmldsig", "fail", str(exc))
    except (SignXMLException, InvalidInput) as exc:
        return SignatureCheck("xmldsig", "fail", f"{type(exc).__name__}: {exc}")
    assert not isinstance(result, list)  # one reference is expected
    if result.signed_xml is None:
        return SignatureCheck("xmldsig", "fail", "the signature covers no XML element")
    signed = bytes(etree.tostring(result.signed_xml, encoding="UTF-8"))
    return SignatureCheck("xmldsig", "pass", "signature valid, SHA-256 digest matches", signed)
