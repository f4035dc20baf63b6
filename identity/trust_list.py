"""The trust list: which country roots a node recognises, for which roles and algorithms.

It is mutual recognition made explicit. The list is a JWS signed by the node operator's
key, which the node pins in its configuration; a node accepts nothing whose chain ends
outside it. Its payload is RFC 8785 canonical JSON.

An entry may also vouch for DNS-TXT records (``dnsTxt``: domain to records, e.g. an
OpenAttestation issuer's ``openatts net=ethereum netId=... addr=...``): there is no public
DNS on a trade network, so the operator's signature over the list stands in for it. The key
is written only when an entry has records, so lists without it keep their bytes.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from identity import jws
from identity.certificates import country_of, fingerprint
from identity.keys import PrivateKey, PublicKey
from identity.roles import Role, parse_roles

JWS_TYPE = "tdx-trust-list+jws"
FORMAT = "tdx-trust-list/1"
MAX_DOMAIN = 253
MAX_RECORD = 255  # one TXT character-string
MAX_RECORDS = 64


class TrustListError(ValueError):
    """A trust list that is unsigned, signed by another key, or malformed."""


@dataclass(frozen=True)
class CountryEntry:
    country: str
    root: x509.Certificate
    roles: frozenset[Role]
    algorithms: frozenset[str]
    # DNS-TXT records this entry vouches for: (domain, records), domains lower case, sorted.
    dns_txt: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.root)

    def txt_records(self, domain: str) -> tuple[str, ...]:
        wanted = normal_domain(domain)
        return next((records for d, records in self.dns_txt if d == wanted), ())


def normal_domain(domain: str) -> str:
    return domain.strip().lower().rstrip(".")


def dns_txt_of(records: Mapping[str, Iterable[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``{domain: [record, ...]}`` in an entry's form; raises ``TrustListError`` naming the
    domain and the rule it breaks."""
    out: dict[str, tuple[str, ...]] = {}
    for raw, values in records.items():
        if type(raw) is not str:
            raise TrustListError(f"dnsTxt: domain {raw!r} must be a string")
        domain = normal_domain(raw)
        if not domain or len(domain) > MAX_DOMAIN or any(c.isspace() for c in domain):
            raise TrustListError(f"dnsTxt: {raw!r} is not a DNS domain name")
        if domain in out:
            raise TrustListError(f"dnsTxt: {domain} is listed twice")
        if isinstance(values, str):
            raise TrustListError(f"dnsTxt.{domain}: must be a list of records")
        listed = list(values)
        if not listed or len(listed) > MAX_RECORDS:
            raise TrustListError(f"dnsTxt.{domain}: between 1 and {MAX_RECORDS} records")
        for record in listed:
            if type(record) is not str or not record or len(record) > MAX_RECORD:
                raise TrustListError(
                    f"dnsTxt.{domain}: each record is a string of 1 to {MAX_RECORD} characters"
                )
        if len(set(listed)) != len(listed):
            raise TrustListError(f"dnsTxt.{domain}: a record is listed twice")
        out[domain] = tuple(listed)
    return tuple(sorted(out.items()))


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

    def dns_txt(self, domain: str) -> list[tuple[str, tuple[str, ...]]]:
        """(country, records) of every entry that vouches for records at ``domain``."""
        found = ((c, e.txt_records(domain)) for c, e in sorted(self.entries.items()))
        return [(c, records) for c, records in found if records]


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


def _entry_json(e: CountryEntry) -> dict[str, Any]:
    out: dict[str, Any] = {
        "country": e.country,
        "root": base64.b64encode(e.root.public_bytes(serialization.Encoding.DER)).decode(),
        "rootFingerprint": e.fingerprint,
        "roles": sorted(r.value for r in e.roles),
        "algorithms": sorted(e.algorithms),
    }
    if e.dns_txt:  # absent otherwise: an older list's payload is unchanged
        out["dnsTxt"] = {domain: list(records) for domain, records in e.dns_txt}
    return out


def _payload(tl: TrustList) -> bytes:
    return rfc8785.dumps(
        {
            "format": FORMAT,
            "sequence": tl.sequence,
            "issuedAt": tl.issued_at.isoformat(),
            "countries": [
                _entry_json(e) for e in sorted(tl.entries.values(), key=lambda e: e.country)
            ],
        }
    )


def _read_dns_txt(item: Mapping[str, object]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if "dnsTxt" not in item:
        return ()
    raw = item["dnsTxt"]
    if type(raw) is not dict or not raw:
        raise TrustListError(f"{item.get('country')}: dnsTxt must be a non-empty object")
    found = dns_txt_of(raw)
    # Only the canonical form is signed: domains as written, records in the listed order.
    if {d: list(r) for d, r in found} != raw:
        raise TrustListError(f"{item.get('country')}: dnsTxt domains must be lower case")
    return found


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
                dns_txt=_read_dns_txt(item),
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
