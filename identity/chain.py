"""Certificate chain validation against the trust list, and the revocation check.

A tdx chain is an organisation certificate issued directly by a country root on the
trust list (the root may be included in ``x5c`` or not; intermediates are refused).
Everything is judged at a given time: the time the signature was made.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from identity.certificates import (
    CertificateProfileError,
    Organisation,
    Purpose,
    country_of,
    organisation_of,
)
from identity.checks import Check
from identity.revocation import RevocationListError, check_crl, revoked_at
from identity.roles import Role
from identity.trust_list import CountryEntry, TrustList

CHAIN = "chain"
REVOCATION = "revocation"


@dataclass(frozen=True)
class ChainResult:
    check: Check
    organisation: Organisation | None
    entry: CountryEntry | None

    @property
    def certified_roles(self) -> frozenset[Role]:
        """The certificate's roles that its country may certify on this trust list."""
        if self.organisation is None or self.entry is None:
            return frozenset()
        return self.organisation.roles & self.entry.roles


class _ChainFaultError(Exception):
    pass


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise _ChainFaultError(reason)


def _ext(cert: x509.Certificate, cls: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def _within_validity(cert: x509.Certificate, at: datetime.datetime, what: str) -> None:
    _require(
        cert.not_valid_before_utc <= at <= cert.not_valid_after_utc,
        f"{what} is not valid at {at.isoformat()} (valid {cert.not_valid_before_utc.isoformat()}"
        f" to {cert.not_valid_after_utc.isoformat()})",
    )


def _anchor(chain: list[x509.Certificate], trust_list: TrustList) -> CountryEntry:
    _require(len(chain) in (1, 2), f"chain of {len(chain)} certificates; expected leaf [+ root]")
    leaf = chain[0]
    if len(chain) == 2:
        entry = trust_list.entry_for_root(chain[1])
        _require(entry is not None, "the chain ends at a root that is not on the trust list")
    else:
        entry = trust_list.entry_for_issuer(leaf)
        _require(entry is not None, "the certificate's issuer is not a root on the trust list")
    assert entry is not None
    return entry


def _check_root(root: x509.Certificate, at: datetime.datetime) -> None:
    bc = _ext(root, x509.BasicConstraints)
    _require(isinstance(bc, x509.BasicConstraints) and bc.ca, "the root is not a CA")
    ku = _ext(root, x509.KeyUsage)
    _require(isinstance(ku, x509.KeyUsage) and ku.key_cert_sign, "the root may not sign certs")
    _within_validity(root, at, "the root certificate")


def _check_leaf(
    leaf: x509.Certificate, root: x509.Certificate, at: datetime.datetime, purpose: Purpose
) -> None:
    try:
        leaf.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise _ChainFaultError(
            f"the certificate is not signed by the {country_of(root)} root"
        ) from exc
    bc = _ext(leaf, x509.BasicConstraints)
    _require(
        isinstance(bc, x509.BasicConstraints) and not bc.ca, "the signer's certificate is a CA"
    )
    ku = _ext(leaf, x509.KeyUsage)
    _require(
        isinstance(ku, x509.KeyUsage) and ku.digital_signature,
        "the signer's key usage does not allow digital signatures",
    )
    eku = _ext(leaf, x509.ExtendedKeyUsage)
    _require(
        isinstance(eku, x509.ExtendedKeyUsage) and purpose.eku in eku,
        f"the certificate is not for {purpose.value} signing (extended key usage)",
    )
    _within_validity(leaf, at, "the signer's certificate")


def validate_chain(
    chain: list[x509.Certificate],
    trust_list: TrustList,
    at: datetime.datetime,
    purpose: Purpose,
    algorithm: str | None,
) -> ChainResult:
    """Judge the chain at time ``at``: anchor, signatures, validity, constraints, usage."""
    try:
        entry = _anchor(chain, trust_list)
        _check_root(entry.root, at)
        _check_leaf(chain[0], entry.root, at, purpose)
        org = organisation_of(chain[0])
        # A JWS algorithm must be one the country's trust-list entry names (SM2SM3 for
        # China, GOST3410-2012-256 for Russia, ...); ledger keys are secp256k1 only, which
        # the transaction verifier enforces, so they pass None here.
        _require(
            algorithm is None or algorithm in entry.algorithms,
            f"{algorithm} is not allowed for {entry.country}: its trust-list entry allows "
            f"{', '.join(sorted(entry.algorithms)) or 'no algorithm'}",
        )
    except (_ChainFaultError, CertificateProfileError) as exc:
        return ChainResult(Check.failed(CHAIN, str(exc)), None, None)
    return ChainResult(
        Check.passed(
            CHAIN,
            f"{org.id} ({org.name}) certified by the {entry.country} root on the trust list, "
            f"valid at {at.isoformat()}",
        ),
        org,
        entry,
    )


def check_revocation(
    leaf: x509.Certificate,
    entry: CountryEntry,
    crls: Mapping[str, x509.CertificateRevocationList],
    at: datetime.datetime,
    now: datetime.datetime,
) -> Check:
    """Was the certificate revoked at or before ``at``? No usable CRL fails closed."""
    crl = crls.get(entry.country)
    if crl is None:
        return Check.failed(REVOCATION, f"no revocation list for {entry.country}")
    try:
        check_crl(crl, entry.root, now)
    except RevocationListError as exc:
        return Check.failed(REVOCATION, str(exc))
    when = revoked_at(crl, leaf)
    if when is None:
        return Check.passed(REVOCATION, f"not on the {entry.country} revocation list")
    if when <= at:
        return Check.failed(
            REVOCATION,
            f"certificate revoked at {when.isoformat()}, before the signature at {at.isoformat()}",
        )
    return Check.passed(
        REVOCATION,
        f"certificate revoked at {when.isoformat()}, after the signature at {at.isoformat()}",
    )
