"""The trust material a standalone proof bundle carries, and the signers judged against it.

A bundle's ``trust`` object holds the signed trust list, the operator's public key that
signed it (PEM) and the revocation list of each country whose organisations signed an
entry. ``open_trust`` checks the trust list's signature and each revocation list's signature
by its country's listed root; ``judge_signer`` then judges an entry's ledger certificate as
the ledger did when it admitted the transaction: its chain to a listed root at the
transaction's time, and its revocation at that time by a list that is current now.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from identity import revocation, trust_list
from identity.certificates import Purpose
from identity.checks import Check, CheckName
from identity.trust_store import TrustStore


class TrustMaterialError(ValueError):
    """Trust material that is missing, malformed or not signed by whom it must be."""


@dataclass(frozen=True)
class Trust:
    """A verified trust list and the revocation lists its roots signed."""

    store: TrustStore
    operator: str  # the operator key's fingerprint, sha256:<hex> of its DER SubjectPublicKeyInfo
    countries: tuple[str, ...]  # the countries whose revocation lists the bundle carries


def key_fingerprint(pem: str) -> str:
    """``sha256:<hex>`` of a PEM public key's DER SubjectPublicKeyInfo."""
    key = serialization.load_pem_public_key(pem.encode())
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def _operator_key(pem: str) -> ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise TrustMaterialError(f"the operator key is not a PEM public key ({exc})") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise TrustMaterialError("the operator key is not an EC or Ed25519 key")
    return key


def open_trust(material: Any, pinned_operator: str | None) -> Trust:
    """The bundle's trust material, verified; ``pinned_operator`` (PEM), when given, must be
    the key that signed the trust list."""
    if not isinstance(material, dict):
        raise TrustMaterialError("the bundle carries no trust material (trust list, CRLs)")
    carried = material.get("operatorKey")
    if not isinstance(carried, str):
        raise TrustMaterialError("the bundle carries no operator key")
    if pinned_operator is not None and key_fingerprint(pinned_operator) != key_fingerprint(carried):
        raise TrustMaterialError(
            "the bundle's operator key is not the operator key you gave (--operator-key)"
        )
    token = material.get("trustList")
    if not isinstance(token, str):
        raise TrustMaterialError("the bundle carries no trust list")
    try:
        listed = trust_list.load(token, _operator_key(carried))
    except trust_list.TrustListError as exc:
        raise TrustMaterialError(str(exc)) from exc
    crls = material.get("revocationLists")
    if not isinstance(crls, dict):
        raise TrustMaterialError("the bundle carries no revocation lists")
    loaded: dict[str, x509.CertificateRevocationList] = {}
    for country, pem in sorted(crls.items()):
        entry = listed.entries.get(country)
        if entry is None or not isinstance(pem, str):
            raise TrustMaterialError(f"a revocation list for {country}, not on the trust list")
        try:
            crl = revocation.from_pem(pem.encode())
            revocation.check_crl(crl, entry.root)
        except ValueError as exc:  # RevocationListError is one
            raise TrustMaterialError(f"revocation list of {country}: {exc}") from exc
        loaded[country] = crl
    return Trust(TrustStore(listed, loaded), key_fingerprint(carried), tuple(loaded))


def judge_signer(
    trust: Trust,
    cert: x509.Certificate,
    at: datetime.datetime,
    now: datetime.datetime,
    where: str,
) -> list[Check[CheckName]]:
    """A CHAIN and a REVOCATION check of a ledger certificate for a transaction at ``at``."""
    judgement = trust.store.judge([cert], at, Purpose.LEDGER, None, now, "the transaction")
    chain = judgement.chain
    if not chain.ok or chain.entry is None:
        return [
            Check.failed(CheckName.CHAIN, f"{where}: {chain.reason}"),
            Check.not_checked(CheckName.REVOCATION, f"{where}: the chain did not hold"),
        ]
    checks = [
        Check.passed(
            CheckName.CHAIN,
            f"{where}: the ledger certificate chains to the {chain.entry.country} root on the "
            f"trust list at {at.isoformat()}",
        )
    ]
    revoked = judgement.revocation
    if revoked is None or not revoked.ok:
        reason = "not judged" if revoked is None else revoked.reason
        checks.append(Check.failed(CheckName.REVOCATION, f"{where}: {reason}"))
    else:
        checks.append(Check.passed(CheckName.REVOCATION, f"{where}: {revoked.reason}"))
    return checks


def material_of(
    token: str,
    operator_pem: str,
    crls: Mapping[str, x509.CertificateRevocationList],
) -> dict[str, Any]:
    """The ``trust`` object of a bundle (see the module's docstring)."""
    return {
        "trustList": token.strip(),
        "operatorKey": operator_pem,
        "revocationLists": {c: revocation.to_pem(crl).decode() for c, crl in sorted(crls.items())},
    }


__all__ = [
    "Trust",
    "TrustMaterialError",
    "judge_signer",
    "key_fingerprint",
    "material_of",
    "open_trust",
]
