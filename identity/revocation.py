"""Revocation lists: each country root signs an X.509 CRL of its organisation certificates.

A CRL entry carries the revocation time, so a verifier asks "was this certificate revoked
at time T?" and a signature made before the revocation can still be judged valid.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from identity.certificates import country_of, signature_hash
from identity.keys import PrivateKey


class RevocationListError(ValueError):
    """A CRL that is not signed by its root, is for another issuer, or is out of date."""


@dataclass(frozen=True)
class Revoked:
    serial: int
    at: datetime.datetime
    reason: x509.ReasonFlags = x509.ReasonFlags.unspecified


def build_crl(
    root: x509.Certificate,
    root_key: PrivateKey,
    revoked: Iterable[Revoked],
    number: int,
    now: datetime.datetime,
    valid_for: datetime.timedelta = datetime.timedelta(days=365),
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(now)
        .next_update(now + valid_for)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    for entry in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(entry.at)
            .add_extension(x509.CRLReason(entry.reason), critical=False)
            .build()
        )
    return builder.sign(root_key, signature_hash(root_key))


def entries_of(crl: x509.CertificateRevocationList) -> list[Revoked]:
    out = []
    for rc in crl:
        try:
            reason = rc.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reason = x509.ReasonFlags.unspecified
        out.append(Revoked(rc.serial_number, rc.revocation_date_utc, reason))
    return out


def crl_number(crl: x509.CertificateRevocationList) -> int:
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        return 0


def check_crl(crl: x509.CertificateRevocationList, root: x509.Certificate) -> None:
    """Raise unless the CRL names the root as its issuer and is signed by it. Whether it is
    current is a question of time, asked separately (``identity.chain.revocation_at``)."""
    if crl.issuer != root.subject:
        raise RevocationListError(
            f"the revocation list for {country_of(root)} names another issuer"
        )
    try:
        valid = crl.is_signature_valid(root.public_key())  # type: ignore[arg-type]
    except (ValueError, TypeError, UnsupportedAlgorithm):
        valid = False
    if not valid:
        raise RevocationListError(
            f"the revocation list for {country_of(root)} is not signed by its root"
        )


def revoked_at(
    crl: x509.CertificateRevocationList, cert: x509.Certificate
) -> datetime.datetime | None:
    """When the certificate was revoked, or None if the CRL does not list it."""
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    return None if entry is None else entry.revocation_date_utc


def to_pem(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.PEM)


def from_pem(data: bytes) -> x509.CertificateRevocationList:
    try:
        return x509.load_pem_x509_crl(data)
    except ValueError as exc:
        raise RevocationListError(f"not a PEM revocation list: {exc}") from exc
