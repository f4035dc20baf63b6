"""Small PKI builders for tests that need certificates without a whole node home."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509

from identity import keys, revocation, trust_list
from identity.certificates import (
    Organisation,
    Purpose,
    create_root,
    issue_organisation_certificate,
)
from identity.keys import KeyType, PrivateKey, SigningKey
from identity.roles import Role

NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)

ORG_IDS = {
    "CN": "91330100MA2B000018",
    "SG": "201912345R",
    "RU": "7708503727",
    "KZ": "940440004567",
}


@dataclass(frozen=True)
class Root:
    country: str
    cert: x509.Certificate
    key: PrivateKey


@dataclass(frozen=True)
class Signer:
    org: Organisation
    cert: x509.Certificate
    key: SigningKey
    root: Root

    @property
    def chain(self) -> list[x509.Certificate]:
        return [self.cert, self.root.cert]


def make_root(country: str = "CN", now: datetime.datetime = NOW) -> Root:
    key = keys.generate(KeyType.P256)
    return Root(country, create_root(country, f"{country} test root", key, now), key)


def make_signer(
    root: Root,
    roles: frozenset[Role] = frozenset({Role.CO_ISSUER}),
    key_type: KeyType = KeyType.P256,
    purpose: Purpose = Purpose.DOCUMENT,
    org_id: str = "test-org",
    now: datetime.datetime = NOW,
) -> Signer:
    org = Organisation(org_id, "Test Org", root.country, ORG_IDS[root.country], roles)
    key = keys.generate_signing_key(key_type)  # national key types (SM2, GOST) included
    cert = issue_organisation_certificate(root.cert, root.key, org, key.public_key(), purpose, now)
    return Signer(org, cert, key, root)


def make_trust_list(
    *roots: Root,
    roles: frozenset[Role] = frozenset(Role),
    algorithms: frozenset[str] = frozenset({"ES256", "EdDSA"}),
) -> trust_list.TrustList:
    entries = [trust_list.CountryEntry(r.country, r.cert, roles, algorithms) for r in roots]
    return trust_list.build(entries, 1, NOW)


def empty_crl(root: Root, now: datetime.datetime = NOW) -> x509.CertificateRevocationList:
    return revocation.build_crl(root.cert, root.key, [], 1, now)
