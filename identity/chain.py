"""Certificate chain validation against the trust list, and the revocation check.

A tdx chain is an organisation certificate issued directly by a country root on the
trust list (the root may be included in ``x5c`` or not; intermediates are refused).

Validation has two halves. ``anchor_chain`` asks what does not depend on time (the anchor,
the root's signature on the leaf, the constraints, key usages and the profile) and may be
remembered; ``judge_at`` asks what does (validity periods, the country's algorithms) and
builds its reason on every call. ``identity.trust_store`` remembers the first half by DER
fingerprint; ``validate_chain`` runs both, for callers that keep nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from identity.certificates import (
    CertificateProfileError,
    Organisation,
    Purpose,
    country_of,
    organisation_of,
)
from identity.revocation import RevocationListError, check_crl, revoked_at
from identity.roles import Role
from identity.trust_list import CountryEntry, TrustList

# What a malformed certificate can raise from cryptography's lazy parsing, besides our own.
MALFORMED = (ValueError, TypeError, UnsupportedAlgorithm)


@dataclass(frozen=True)
class ChainJudgement:
    """Whether a chain was trusted at one time; ``reason`` says why or why not."""

    ok: bool
    reason: str
    organisation: Organisation | None = None
    entry: CountryEntry | None = None

    @property
    def certified_roles(self) -> frozenset[Role]:
        """The certificate's roles that its country may certify on this trust list."""
        if not self.ok or self.organisation is None or self.entry is None:
            return frozenset()
        return self.organisation.roles & self.entry.roles


@dataclass(frozen=True)
class RevocationJudgement:
    ok: bool
    reason: str
    revoked_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Anchored:
    """The time-independent facts of a chain that passed its structural checks."""

    organisation: Organisation
    entry: CountryEntry
    leaf_valid: tuple[datetime.datetime, datetime.datetime]
    root_valid: tuple[datetime.datetime, datetime.datetime]


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


def _anchor(chain: Sequence[x509.Certificate], trust_list: TrustList) -> CountryEntry:
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


def _check_root(root: x509.Certificate) -> None:
    bc = _ext(root, x509.BasicConstraints)
    _require(isinstance(bc, x509.BasicConstraints) and bc.ca, "the root is not a CA")
    ku = _ext(root, x509.KeyUsage)
    _require(isinstance(ku, x509.KeyUsage) and ku.key_cert_sign, "the root may not sign certs")


def _check_leaf(leaf: x509.Certificate, root: x509.Certificate, purpose: Purpose) -> None:
    try:
        leaf.verify_directly_issued_by(root)
    except (*MALFORMED, InvalidSignature) as exc:
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


def anchor_chain(
    chain: Sequence[x509.Certificate], trust_list: TrustList, purpose: Purpose
) -> Anchored | str:
    """The chain's time-independent checks: its anchor on the trust list, the root's
    signature on the leaf, the constraints and usages, and the certificate profile. The
    facts a later judgement needs, or the reason it fails (the same at every time)."""
    try:
        entry = _anchor(chain, trust_list)
        _check_root(entry.root)
        _check_leaf(chain[0], entry.root, purpose)
        org = organisation_of(chain[0])
        leaf, root = chain[0], entry.root
        return Anchored(
            org,
            entry,
            (leaf.not_valid_before_utc, leaf.not_valid_after_utc),
            (root.not_valid_before_utc, root.not_valid_after_utc),
        )
    except (_ChainFaultError, CertificateProfileError) as exc:
        return str(exc)
    except MALFORMED as exc:  # a certificate cryptography cannot read as far as we need
        return f"the certificate is malformed ({exc})"


def _outside(window: tuple[datetime.datetime, datetime.datetime], at: datetime.datetime) -> bool:
    return not window[0] <= at <= window[1]


def judge_at(
    anchored: Anchored | str, at: datetime.datetime, algorithm: str | None
) -> ChainJudgement:
    """The time-dependent half: validity periods at ``at`` and, for a JWS, whether the
    signer's country uses ``algorithm``. Its reason is built here, for this ``at``."""
    if isinstance(anchored, str):
        return ChainJudgement(False, anchored)
    for what, window in (
        ("the root certificate", anchored.root_valid),
        ("the signer's certificate", anchored.leaf_valid),
    ):
        if _outside(window, at):
            return ChainJudgement(
                False,
                f"{what} is not valid at {at.isoformat()} (valid {window[0].isoformat()}"
                f" to {window[1].isoformat()})",
            )
    entry, org = anchored.entry, anchored.organisation
    # A JWS algorithm must be one the country's trust-list entry names (SM2SM3 for China,
    # GOST3410-2012-256 for Russia, ...); ledger keys are secp256k1 only, which the
    # transaction verifier enforces, so they pass None here.
    if algorithm is not None and algorithm not in entry.algorithms:
        allowed = ", ".join(sorted(entry.algorithms)) or "no algorithm"
        return ChainJudgement(
            False,
            f"{algorithm} is not allowed for {entry.country}: its trust-list entry allows "
            f"{allowed}",
        )
    return ChainJudgement(
        True,
        f"{org.id} ({org.name}) certified by the {entry.country} root on the trust list, "
        f"valid at {at.isoformat()}",
        org,
        entry,
    )


def validate_chain(
    chain: Sequence[x509.Certificate],
    trust_list: TrustList,
    at: datetime.datetime,
    purpose: Purpose,
    algorithm: str | None,
) -> ChainJudgement:
    """Judge the chain at time ``at``: anchor, signatures, validity, constraints, usage."""
    return judge_at(anchor_chain(chain, trust_list, purpose), at, algorithm)


def crl_fault(crl: x509.CertificateRevocationList, root: x509.Certificate) -> str | None:
    """Why the CRL cannot be used for this root (another issuer, not its signature), or
    None. It does not depend on time, so a trust store may remember it."""
    try:
        check_crl(crl, root)
    except RevocationListError as exc:
        return str(exc)
    return None


def revocation_at(
    leaf: x509.Certificate,
    entry: CountryEntry,
    crl: x509.CertificateRevocationList,
    at: datetime.datetime,
    now: datetime.datetime,
    judged: str = "the signature",
) -> RevocationJudgement:
    """Given a CRL already found to be the root's: is it current at ``now``, and was the
    certificate revoked at or before ``at`` (the time of ``judged``: the signature, the
    anchoring, the transaction)? The reason is built for these times."""
    next_update = crl.next_update_utc
    if next_update is None or next_update < now:
        return RevocationJudgement(
            False,
            f"the revocation list for {entry.country} is out of date "
            f"(next update was {next_update})",
        )
    when = revoked_at(crl, leaf)
    if when is None:
        return RevocationJudgement(True, f"not on the {entry.country} revocation list")
    if when <= at:
        return RevocationJudgement(
            False,
            f"certificate revoked at {when.isoformat()}, before {judged} at {at.isoformat()}",
            when,
        )
    return RevocationJudgement(
        True,
        f"certificate revoked at {when.isoformat()}, after {judged} at {at.isoformat()}",
        when,
    )


def check_revocation(
    leaf: x509.Certificate,
    entry: CountryEntry,
    crls: Mapping[str, x509.CertificateRevocationList],
    at: datetime.datetime,
    now: datetime.datetime,
    judged: str = "the signature",
) -> RevocationJudgement:
    """Was the certificate revoked at or before ``at``? No usable CRL fails closed."""
    crl = crls.get(entry.country)
    if crl is None:
        return RevocationJudgement(False, f"no revocation list for {entry.country}")
    fault = crl_fault(crl, entry.root)
    if fault is not None:
        return RevocationJudgement(False, fault)
    return revocation_at(leaf, entry, crl, at, now, judged)
