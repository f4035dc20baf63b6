"""The national algorithms tdx accepts, by JWS name and by X.509 key encoding.

The list is fixed in code: an algorithm is allowed only if a plugin for it is listed here
and the signer's country's trust-list entry names it. Input never chooses an algorithm
outside this list.
"""

from __future__ import annotations

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from identity.national.encoding import read_pkcs8, read_spki
from identity.national.gost import Gost2012With256
from identity.national.interface import (
    NationalKeyError,
    NationalPrivateKey,
    NationalPublicKey,
    SignatureAlgorithm,
)
from identity.national.sm2 import SM2WithSM3

SM2_SM3 = SM2WithSM3()
GOST_2012_256 = Gost2012With256()
PLUGINS: tuple[SignatureAlgorithm, ...] = (SM2_SM3, GOST_2012_256)
NAMES = frozenset(p.name for p in PLUGINS)


def plugin(name: str) -> SignatureAlgorithm:
    for candidate in PLUGINS:
        if candidate.name == name:
            return candidate
    raise NationalKeyError(f"no national algorithm {name!r} (known: {', '.join(sorted(NAMES))})")


def generate(name: str) -> NationalPrivateKey:
    return plugin(name).generate()


def _plugin_for(algorithm_oid: str, parameters: bytes | None) -> SignatureAlgorithm:
    for candidate in PLUGINS:
        if candidate.handles_spki(algorithm_oid, parameters):
            return candidate
    raise NationalKeyError(f"key algorithm {algorithm_oid} is not a national algorithm of tdx")


def public_key_from_spki(spki_der: bytes) -> NationalPublicKey:
    enc = read_spki(spki_der)
    return _plugin_for(enc.algorithm, enc.parameters).load_public(spki_der)


def private_key_from_pkcs8(pkcs8_der: bytes) -> NationalPrivateKey:
    enc = read_pkcs8(pkcs8_der)
    return _plugin_for(enc.algorithm, enc.parameters).load_private(pkcs8_der)


def spki_of(cert: x509.Certificate) -> bytes:
    """The certificate's SubjectPublicKeyInfo as DER, whatever its algorithm."""
    try:
        parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
        return bytes(parsed["tbs_certificate"]["subject_public_key_info"].dump())
    except (ValueError, TypeError) as exc:
        raise NationalKeyError(f"cannot read the certificate's public key: {exc}") from exc


def public_key_of(cert: x509.Certificate) -> NationalPublicKey:
    """The national public key a certificate certifies; NationalKeyError if it has none."""
    return public_key_from_spki(spki_of(cert))
