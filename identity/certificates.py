"""The certificate profile: country roots and organisation certificates.

An organisation certificate names the organisation (C, O, organizationIdentifier), its
short id (CN, e.g. ``cn-gacc``) and its roles, one OU value per role as Hyperledger
Fabric's NodeOUs do. Its extended key usage says what the key is for: documents
(RFC 9336 id-kp-documentSigning) or ledger transactions (tdx's own OID). Each
organisation has one of each, issued directly by its country root.

A document key may be national (SM2, GOST): its certificate is the same profile, signed by
the same P-256 or Ed25519 root, with the national key in its standard X.509 encoding
(see identity.national.certificate).
"""

from __future__ import annotations

import datetime
import enum
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID, ObjectIdentifier

from identity.keys import PrivateKey, PublicKey
from identity.national import NationalPublicKey
from identity.national.certificate import sign_for_national_key
from identity.org_id import OrgIdError, from_attribute, to_attribute, validate_org_id
from identity.roles import Role, parse_roles

# tdx's OID arc is a UUID under 2.25 (ITU-T X.667): unique without registration.
TDX_ARC = "2.25.285542808732206091500461689482001515137"
LEDGER_SIGNING = ObjectIdentifier(f"{TDX_ARC}.1")
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # RFC 9336


class Purpose(enum.StrEnum):
    DOCUMENT = "document"
    LEDGER = "ledger"

    @property
    def eku(self) -> ObjectIdentifier:
        return DOCUMENT_SIGNING if self is Purpose.DOCUMENT else LEDGER_SIGNING


class CertificateProfileError(ValueError):
    """A certificate that does not follow the tdx profile."""


@dataclass(frozen=True)
class Organisation:
    """Who an organisation is, as its certificate states it."""

    id: str
    name: str
    country: str
    org_id: str
    roles: frozenset[Role]


def fingerprint(cert: x509.Certificate) -> str:
    """``sha256:<hex>`` of the certificate's DER encoding."""
    return "sha256:" + hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def signature_hash(key: PrivateKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def create_root(
    country: str, name: str, key: PrivateKey, now: datetime.datetime, years: int = 10
) -> x509.Certificate:
    """A self-signed country root CA that may issue organisation certificates only."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"tdx root {country}"),
        ]
    )
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, signature_hash(key))
    )


def issue_organisation_certificate(
    root: x509.Certificate,
    root_key: PrivateKey,
    org: Organisation,
    public_key: PublicKey | NationalPublicKey,
    purpose: Purpose,
    now: datetime.datetime,
    days: int = 730,
) -> x509.Certificate:
    """Certify an organisation's key for one purpose, under its country's root."""
    if isinstance(public_key, NationalPublicKey) and purpose is not Purpose.DOCUMENT:
        raise CertificateProfileError(
            f"a {public_key.algorithm} key can sign documents only; ledger keys are secp256k1"
        )
    root_country = country_of(root)
    if org.country != root_country:
        raise CertificateProfileError(
            f"the {root_country} root cannot certify an organisation of {org.country}"
        )
    validate_org_id(org.country, org.org_id)
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, org.country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org.name),
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, to_attribute(org.country, org.org_id)),
        *(
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role.value)
            for role in sorted(org.roles)
        ),
        x509.NameAttribute(NameOID.COMMON_NAME, org.id),
    ]
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(root.subject)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=purpose is Purpose.DOCUMENT,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([purpose.eku]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
    )
    if isinstance(public_key, NationalPublicKey):
        return sign_for_national_key(builder, public_key, root_key, signature_hash(root_key))
    return (
        builder.public_key(public_key)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(root_key, signature_hash(root_key))
    )


def _single(cert: x509.Certificate, oid: ObjectIdentifier, label: str) -> str:
    values = cert.subject.get_attributes_for_oid(oid)
    if len(values) != 1:
        raise CertificateProfileError(f"certificate subject must have exactly one {label}")
    value = values[0].value
    if isinstance(value, str):
        return value
    try:
        return value.decode()
    except UnicodeDecodeError as exc:
        raise CertificateProfileError(f"the subject's {label} is not UTF-8 text") from exc


def organisation_of(cert: x509.Certificate) -> Organisation:
    """Read the organisation a certificate names; fail on anything outside the profile."""
    country = _single(cert, NameOID.COUNTRY_NAME, "C")
    try:
        id_country, org_id = from_attribute(
            _single(cert, NameOID.ORGANIZATION_IDENTIFIER, "organizationIdentifier")
        )
    except OrgIdError as exc:  # a malformed identifier is outside the profile, not a crash
        raise CertificateProfileError(str(exc)) from exc
    if id_country != country:
        raise CertificateProfileError(
            f"organizationIdentifier is for {id_country} but the certificate's C is {country}"
        )
    ous = [
        str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    ]
    try:
        roles = parse_roles(ous)
    except ValueError as exc:
        raise CertificateProfileError(str(exc)) from exc
    return Organisation(
        id=_single(cert, NameOID.COMMON_NAME, "CN"),
        name=_single(cert, NameOID.ORGANIZATION_NAME, "O"),
        country=country,
        org_id=org_id,
        roles=roles,
    )


def country_of(cert: x509.Certificate) -> str:
    return _single(cert, NameOID.COUNTRY_NAME, "C")


def public_key_of(cert: x509.Certificate) -> PublicKey:
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise CertificateProfileError(f"unsupported public key type {type(key).__name__}")
    return key


__all__ = [
    "DOCUMENT_SIGNING",
    "LEDGER_SIGNING",
    "CertificateProfileError",
    "Organisation",
    "Purpose",
    "country_of",
    "create_root",
    "fingerprint",
    "issue_organisation_certificate",
    "organisation_of",
    "public_key_of",
    "signature_hash",
]
