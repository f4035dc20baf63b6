"""The trust list: which country roots a node recognises, for which roles and algorithms.

It is mutual recognition made explicit. The list is a JWS signed by the node operator's
key, which the node pins in its configuration; a node accepts nothing whose chain ends
outside it. Its payload is RFC 8785 canonical JSON.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from identity import jws
from identity.certificates import country_of, fingerprint
from identity.keys import PrivateKey, PublicKey
from identity.roles import Role, parse_roles

JWS_TYPE = "tdx-trust-list+jws"
FORMAT = "tdx-trust-list/1"


class TrustListError(ValueError):
    """A trust list that is unsigned, signed by another key, or malformed."""


@dataclass(frozen=True)
class CountryEntry:
    country: str
    root: x509.Certificate
    roles: frozenset[Role]
    algorithms: frozenset[str]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.root)


@dataclass(frozen=True)
class TrustList:
    sequence: int
    issued_at: datetime.datetime
    entries: Mapping[str, CountryEntry] = field(default_factory=dict)

    def entry_for_root(self, cert: x509.Certificate) -> CountryEntry | None:
        """The entry whose root is exactly this certificate (compared by fingerprint)."""
        fp = fingerprint(cert)
        return next((e for e in self.entries.values() if e.fingerprint == fp), None)

    def entry_for_issuer(self, cert: x509.Certificate) -> CountryEntry | None:
        """The entry whose root's subject is this certificate's issuer."""
        return next((e for e in self.entries.values() if e.root.subject == cert.issuer), None)


def build(
    entries: Iterable[CountryEntry], sequence: int, issued_at: datetime.datetime
) -> TrustList:
    by_country: dict[str, CountryEntry] = {}
    for entry in entries:
        if entry.country in by_country:
            raise TrustListError(f"country {entry.country} is listed twice")
        if country_of(entry.root) != entry.country:
            raise TrustListError(f"the root listed for {entry.country} is not a root of it")
        unsupported = entry.algorithms - jws.SUPPORTED_ALGORITHMS
        if unsupported:
            raise TrustListError(
                f"{entry.country}: algorithm(s) {', '.join(sorted(unsupported))} not supported"
            )
        by_country[entry.country] = entry
    return TrustList(sequence, issued_at, by_country)


def _payload(tl: TrustList) -> bytes:
    return rfc8785.dumps(
        {
            "format": FORMAT,
            "sequence": tl.sequence,
            "issuedAt": tl.issued_at.isoformat(),
            "countries": [
                {
                    "country": e.country,
                    "root": base64.b64encode(
                        e.root.public_bytes(serialization.Encoding.DER)
                    ).decode(),
                    "rootFingerprint": e.fingerprint,
                    "roles": sorted(r.value for r in e.roles),
                    "algorithms": sorted(e.algorithms),
                }
                for e in sorted(tl.entries.values(), key=lambda e: e.country)
            ],
        }
    )


def sign(tl: TrustList, operator_key: PrivateKey) -> str:
    return jws.sign_with_key(_payload(tl), operator_key, JWS_TYPE)


def load(token: str, operator_key: PublicKey) -> TrustList:
    """Verify the operator's signature, then parse; any defect refuses the whole list."""
    try:
        payload = json.loads(jws.verify_with_key(token.strip(), operator_key, JWS_TYPE))
    except jws.JwsError as exc:
        raise TrustListError(f"trust list signature: {exc}") from exc
    except ValueError as exc:
        raise TrustListError("trust list payload is not JSON") from exc
    try:
        if payload["format"] != FORMAT:
            raise TrustListError(f"unknown trust list format {payload['format']!r}")
        entries = []
        for item in payload["countries"]:
            root = x509.load_der_x509_certificate(base64.b64decode(item["root"], validate=True))
            entry = CountryEntry(
                country=item["country"],
                root=root,
                roles=parse_roles(item["roles"]),
                algorithms=frozenset(item["algorithms"]),
            )
            if entry.fingerprint != item["rootFingerprint"]:
                raise TrustListError(f"{entry.country}: root fingerprint does not match")
            entries.append(entry)
        return build(
            entries, int(payload["sequence"]), datetime.datetime.fromisoformat(payload["issuedAt"])
        )
    except (KeyError, TypeError, binascii.Error) as exc:
        raise TrustListError(f"malformed trust list: {exc!r}") from exc
    except ValueError as exc:
        if isinstance(exc, TrustListError):
            raise
        raise TrustListError(f"malformed trust list: {exc}") from exc
