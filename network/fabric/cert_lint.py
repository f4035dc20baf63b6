"""The certificate lint run before a Fabric network starts.

It checks every MSP and TLS certificate against the rules Fabric applies (and would
report, if at all, as an opaque start-up failure): the CA has a Subject Key Identifier and
may sign certificates; every identity chains to its country's root, names it by Authority
Key Identifier, is valid now, carries exactly one NodeOU role and a P-256 key whose private
half is in its keystore; every TLS certificate has SANs 127.0.0.1 and localhost and both
serverAuth and clientAuth; every CRL has the Authority Key Identifier Fabric matches it by.
Each check has a name, a status and a reason; the lint fails closed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from identity.checks import Check
from network.fabric.msp import NODE_OUS, CountryCrypto, Identity

NEEDED_SANS = ("localhost", "127.0.0.1")


def _ext(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def check_ca(name: str, ca: x509.Certificate) -> Iterator[Check]:
    ski = _ext(ca, x509.SubjectKeyIdentifier)
    yield (
        Check.passed(f"{name}: subject key identifier", "present")
        if ski is not None
        else Check.failed(f"{name}: subject key identifier", "Fabric's MSP needs it on a CA")
    )
    basic = _ext(ca, x509.BasicConstraints)
    usage = _ext(ca, x509.KeyUsage)
    ok = (
        isinstance(basic, x509.BasicConstraints)
        and basic.ca
        and isinstance(usage, x509.KeyUsage)
        and usage.key_cert_sign
    )
    yield (
        Check.passed(f"{name}: CA", "basicConstraints CA, keyCertSign")
        if ok
        else Check.failed(f"{name}: CA", "not a CA that may sign certificates")
    )


def _chains(name: str, cert: x509.Certificate, ca: x509.Certificate) -> Check:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as exc:
        return Check.failed(f"{name}: issuer", f"not issued by the country root: {exc}")
    aki = _ext(cert, x509.AuthorityKeyIdentifier)
    ski = _ext(ca, x509.SubjectKeyIdentifier)
    if not isinstance(aki, x509.AuthorityKeyIdentifier) or not isinstance(
        ski, x509.SubjectKeyIdentifier
    ):
        return Check.failed(f"{name}: issuer", "no authority key identifier")
    if aki.key_identifier != ski.digest:
        return Check.failed(f"{name}: issuer", "authority key identifier is not the root's")
    return Check.passed(f"{name}: issuer", "signed by the country root, AKI matches")


def _validity(name: str, cert: x509.Certificate, now: datetime.datetime) -> Check:
    if cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return Check.passed(f"{name}: validity", f"until {cert.not_valid_after_utc.isoformat()}")
    return Check.failed(
        f"{name}: validity",
        f"valid {cert.not_valid_before_utc.isoformat()} to {cert.not_valid_after_utc.isoformat()}",
    )


def _p256(name: str, cert: x509.Certificate) -> Check:
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return Check.passed(f"{name}: key", "ECDSA P-256")
    return Check.failed(f"{name}: key", "Fabric's MSP signs with ECDSA P-256 (or P-384) only")


def check_identity(
    name: str,
    identity: Identity,
    ca: x509.Certificate,
    now: datetime.datetime,
    passphrase: bytes | None = None,
) -> Iterator[Check]:
    cert = _load(identity.cert)
    yield _chains(name, cert, ca)
    yield _validity(name, cert, now)
    yield _p256(name, cert)
    ous = [
        str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    ]
    roles = [ou for ou in ous if ou in NODE_OUS]
    yield (
        Check.passed(f"{name}: NodeOU", roles[0])
        if len(roles) == 1
        else Check.failed(
            f"{name}: NodeOU", f"needs exactly one of {', '.join(NODE_OUS)}, has {roles or 'none'}"
        )
    )
    try:
        key = serialization.load_pem_private_key(identity.key.read_bytes(), passphrase)
        same = key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]
    except (StopIteration, ValueError, TypeError):
        same = False
    yield (
        Check.passed(f"{name}: keystore", "holds the certificate's private key")
        if same
        else Check.failed(f"{name}: keystore", "no private key for the certificate")
    )


def check_tls(
    name: str, path: Path, ca: x509.Certificate, now: datetime.datetime
) -> Iterator[Check]:
    cert = _load(path)
    yield _chains(f"{name} TLS", cert, ca)
    yield _validity(f"{name} TLS", cert, now)
    san = _ext(cert, x509.SubjectAlternativeName)
    names: set[str] = set()
    if isinstance(san, x509.SubjectAlternativeName):
        names |= set(san.get_values_for_type(x509.DNSName))
        names |= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    missing = [n for n in NEEDED_SANS if n not in names]
    yield (
        Check.failed(f"{name} TLS: SAN", f"missing {', '.join(missing)}")
        if missing
        else Check.passed(f"{name} TLS: SAN", "127.0.0.1, localhost")
    )
    eku = _ext(cert, x509.ExtendedKeyUsage)
    usages = set(eku) if isinstance(eku, x509.ExtendedKeyUsage) else set()
    wanted = {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    yield (
        Check.passed(f"{name} TLS: EKU", "serverAuth, clientAuth")
        if wanted <= usages
        else Check.failed(f"{name} TLS: EKU", "needs both serverAuth and clientAuth")
    )


def check_crl(name: str, path: Path, ca: x509.Certificate) -> Iterator[Check]:
    crl = x509.load_pem_x509_crl(path.read_bytes())
    try:
        aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        aki = None
    ski = _ext(ca, x509.SubjectKeyIdentifier)
    yield (
        Check.passed(f"{name}: AKI", "matches the root")
        if aki is not None
        and isinstance(ski, x509.SubjectKeyIdentifier)
        and aki.key_identifier == ski.digest
        else Check.failed(f"{name}: AKI", "Fabric's MSP rejects every identity on such a CRL")
    )
    signed = crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    yield (
        Check.passed(f"{name}: signature", "signed by the root")
        if signed
        else Check.failed(f"{name}: signature", "not signed by the country root")
    )


def lint(
    crypto: dict[str, CountryCrypto], now: datetime.datetime, passphrase: bytes | None = None
) -> list[Check]:
    """Every check of every country's MSP, nodes and clients (whose keys are encrypted
    with ``passphrase``)."""
    checks: list[Check] = []
    for country, c in sorted(crypto.items()):
        ca = _load(c.ca)
        checks += check_ca(f"{country} root", ca)
        for crl in sorted((c.msp / "crls").glob("*.pem")):
            checks += check_crl(f"{country} CRL {crl.name}", crl, ca)
        identities: list[tuple[str, Identity, bytes | None]] = [
            (k, c.node(k), None) for k in ("peer", "orderer", "admin", "ccserver")
        ]
        identities += [(f"client {o}", c.client(o), passphrase) for o in c.clients()]
        for label, identity, secret in identities:
            name = f"{country} {label}"
            checks += check_identity(name, identity, ca, now, secret)
            checks += check_tls(name, identity.tls_cert, ca, now)
    return checks


__all__ = ["check_ca", "check_crl", "check_identity", "check_tls", "lint"]
