"""X.509 certificates whose subject key is a national one, signed by an ordinary root.

pyca/cryptography builds and signs every other tdx certificate, but its builder accepts
only its own key types. So the certificate is built by that builder with a throwaway
P-256 key standing in for the subject key, then its TBSCertificate gets the national
SubjectPublicKeyInfo (asn1crypto) and is signed again with the issuer's key. The profile
(names, validity, extensions) stays defined in one place, the builder's, and the result
is a standard certificate: RFC 5280 with the national key in its standard encoding
(GB/T 20518 for SM2, RFC 9215 for GOST). The issuer's signature stays ECDSA P-256 or
Ed25519, which pyca/cryptography verifies in the chain check.
"""

from __future__ import annotations

import hashlib

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from identity.national.encoding import read_spki
from identity.national.interface import NationalPublicKey


def key_identifier(key: NationalPublicKey) -> x509.SubjectKeyIdentifier:
    """RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits."""
    bits = read_spki(key.spki_der()).key
    return x509.SubjectKeyIdentifier(hashlib.sha1(bits, usedforsecurity=False).digest())


def sign_for_national_key(
    builder: x509.CertificateBuilder,
    subject_key: NationalPublicKey,
    issuer_key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey,
    hash_algorithm: hashes.SHA256 | None,
) -> x509.Certificate:
    """Sign ``builder`` (everything but the public key and its key identifier) so that the
    certificate certifies ``subject_key``."""
    stand_in = ec.generate_private_key(ec.SECP256R1()).public_key()
    draft = (
        builder.public_key(stand_in)
        .add_extension(key_identifier(subject_key), critical=False)
        .sign(issuer_key, hash_algorithm)
    )
    tbs = asn1_x509.TbsCertificate.load(draft.tbs_certificate_bytes)
    tbs["subject_public_key_info"] = asn1_keys.PublicKeyInfo.load(subject_key.spki_der())
    tbs_der = tbs.dump()
    if isinstance(issuer_key, ed25519.Ed25519PrivateKey):
        signature = issuer_key.sign(tbs_der)
    else:
        assert hash_algorithm is not None
        signature = issuer_key.sign(tbs_der, ec.ECDSA(hash_algorithm))
    draft_asn1 = asn1_x509.Certificate.load(draft.public_bytes(serialization.Encoding.DER))
    cert = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": draft_asn1["signature_algorithm"],
            "signature_value": signature,
        }
    )
    return x509.load_der_x509_certificate(cert.dump())
