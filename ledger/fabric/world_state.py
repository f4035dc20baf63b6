"""The chaincode's world state: its keys, the encoding of its values, and the read-only
``StateView`` that ``chaincode.lifecycle.apply`` reads through.

Records are keyed by (digest, issuer), as on the other engines: each organisation anchors
in its own namespace. Keys (plain keys, one namespace per chaincode name):

- ``anchor/<digest>/<issuer>``: that ``issuer`` anchored the digest: when (the proposal's
  time and the Fabric transaction), and the batch root when it came in a batch. A range
  read of ``anchor/<digest>/`` lists the digest's issuers, so no key is shared between
  the issuers of one digest (each key carries its own issuing country's policy);
- ``doc/<digest>/<issuer>``: a record written singly, or a batch member changed since;
- ``batch/<root>/<issuer>``: a batch anchor (kind, country, time; the digests stay in the
  transaction and its event);
- ``right/<container>``: the container's latest pickup right, whatever the eBL;
- ``released/<container>/<ebl>/<carrier>``: the container was released under that eBL;
- ``signer/<key id>``: the organisation a ledger key acts for (the first that signed with
  it; the key id is SHA-256 of its SubjectPublicKeyInfo);
- ``org/<id>``: an organisation in the registry (country, roles, ledger key);
- ``country/<CC>``: the country's marker, written by every transaction that creates or
  changes a record of CC; its key-level policy needs CC's peer, so such a transaction does;
- ``tx/<tdx transaction id>``: the Fabric transaction that committed it (idempotency).

Values are RFC 8785 JSON: every endorsing peer computes the same bytes.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chaincode.canonical import canonical_bytes
from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import BatchAnchor
from chaincode.records import Actor, DocumentRecord, PickupRight
from identity.roles import Role
from ledger.fabric.shim import Stub
from ledger.records_codec import (
    document_from_row,
    document_to_row,
    right_from_json,
    right_to_json,
)


def doc_key(doc_id: str, issuer: str) -> str:
    return f"doc/{doc_id}/{issuer}"


def anchor_key(doc_id: str, issuer: str) -> str:
    return f"anchor/{doc_id}/{issuer}"


def anchor_range(doc_id: str) -> tuple[str, str]:
    """The keys of every anchor of the digest: ``anchor/<digest>/`` up to, not including,
    ``anchor/<digest>0`` (``0`` follows ``/``)."""
    return f"anchor/{doc_id}/", f"anchor/{doc_id}0"


def batch_key(root: str, issuer: str) -> str:
    return f"batch/{root}/{issuer}"


def released_key(container: str, ebl: str, carrier: str) -> str:
    return f"released/{container}/{ebl}/{carrier}"


def signer_key(key_id: str) -> str:
    return f"signer/{key_id}"


def ledger_key_id(cert: x509.Certificate) -> str:
    """What identifies a ledger key whichever certificate carries it: SHA-256 of its
    SubjectPublicKeyInfo (as the embedded engine binds keys to organisations)."""
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def right_key(container: str) -> str:
    return f"right/{container}"


def org_key(org_id: str) -> str:
    return f"org/{org_id}"


def country_key(country: str) -> str:
    return f"country/{country}"


def tx_key(tx_id: str) -> str:
    return f"tx/{tx_id}"


def encode_document(doc: DocumentRecord) -> bytes:
    return canonical_bytes(list(document_to_row(doc)))


def decode_document(data: bytes) -> DocumentRecord:
    return document_from_row(tuple(json.loads(data)))


def encode_right(right: PickupRight) -> bytes:
    return canonical_bytes(json.loads(right_to_json(right)))


def decode_right(data: bytes) -> PickupRight:
    return right_from_json(data.decode())


def encode_batch(batch: BatchAnchor) -> bytes:
    return canonical_bytes(
        {
            "root": batch.root,
            "kind": batch.kind.value,
            "issuer": batch.issuer,
            "country": batch.country,
            "time": batch.time.isoformat(),
            "size": len(batch.digests),
        }
    )


def decode_batch(data: bytes) -> BatchAnchor:
    value = json.loads(data)
    return BatchAnchor(
        value["root"],
        DocumentKind(value["kind"]),
        value["issuer"],
        value["country"],
        datetime.datetime.fromisoformat(value["time"]),
        (),
    )


@dataclass(frozen=True)
class Anchor:
    """That an issuer anchored a digest: when, by which Fabric transaction, in which batch."""

    issuer: str
    at: str  # the proposal's time, ISO 8601
    fabric_tx: str
    batch: str | None

    def to_bytes(self) -> bytes:
        return canonical_bytes({"at": self.at, "tx": self.fabric_tx, "batch": self.batch})

    @classmethod
    def from_bytes(cls, issuer: str, data: bytes) -> Anchor:
        value = json.loads(data)
        return cls(issuer, str(value["at"]), str(value["tx"]), value.get("batch"))


@dataclass(frozen=True)
class Registered:
    """An organisation as the ledger's registry holds it."""

    id: str
    country: str
    roles: frozenset[Role]
    kid: str | None  # the fingerprint of its ledger certificate; None for a party only
    ledger_cert: str | None  # its ledger certificate, PEM

    def to_bytes(self) -> bytes:
        return canonical_bytes(
            {
                "id": self.id,
                "country": self.country,
                "roles": sorted(r.value for r in self.roles),
                "kid": self.kid,
                "ledgerCert": self.ledger_cert,
            }
        )

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Registered:
        return cls(
            id=str(value["id"]),
            country=str(value["country"]),
            roles=frozenset(Role(r) for r in value.get("roles", [])),
            kid=value.get("kid"),
            ledger_cert=value.get("ledgerCert"),
        )

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.country, self.roles)


class StubView:
    """``chaincode.lifecycle.StateView`` over the peer's world state, inside a proposal.
    The digest's issuers are ordered by the time their proposals name (then by Fabric
    transaction id): the chaincode cannot know the commit order while it endorses. Only a
    refusal's text depends on that order, never whether a transaction is accepted."""

    def __init__(self, stub: Stub) -> None:
        self._stub = stub
        self._orgs: dict[str, Registered | None] = {}
        self._anchors: dict[str, list[Anchor]] = {}
        self._read: dict[str, bytes] = {}

    def get(self, key: str) -> bytes:
        """A key's committed value (empty: absent), asked of the peer once per proposal:
        the chaincode never reads its own writes (Fabric does not show them)."""
        if key not in self._read:
            self._read[key] = self._stub.get_state(key)
        return self._read[key]

    def anchors(self, doc_id: str) -> list[Anchor]:
        if doc_id not in self._anchors:
            start, end = anchor_range(doc_id)
            found = [
                Anchor.from_bytes(key[len(start) :], value)
                for key, value in self._stub.get_state_by_range(start, end)
            ]
            self._anchors[doc_id] = sorted(found, key=lambda a: (a.at, a.fabric_tx, a.issuer))
        return self._anchors[doc_id]

    def anchor(self, doc_id: str, issuer: str) -> Anchor | None:
        data = self.get(anchor_key(doc_id, issuer))
        return Anchor.from_bytes(issuer, data) if data else None

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        if issuer is None:
            first = self.issuers(doc_id)
            if not first:
                return None
            issuer = first[0]
        data = self.get(doc_key(doc_id, issuer))
        if data:
            return decode_document(data)
        anchor = self.anchor(doc_id, issuer)
        if anchor is None or anchor.batch is None:
            return None
        batch = self.get(batch_key(anchor.batch, issuer))
        return decode_batch(batch).record(doc_id) if batch else None

    def issuers(self, doc_id: str) -> list[str]:
        return [a.issuer for a in self.anchors(doc_id)]

    def existing(self, doc_ids: Sequence[str], issuer: str) -> list[str]:
        return [d for d in doc_ids if self.get(anchor_key(d, issuer))]

    def pickup_right(self, container: str) -> PickupRight | None:
        data = self.get(right_key(container))
        return decode_right(data) if data else None

    def released_under(self, container: str, ebl: str, carrier: str) -> bool:
        return bool(self.get(released_key(container, ebl, carrier)))

    def registered(self, org_id: str) -> Registered | None:
        if org_id not in self._orgs:
            data = self.get(org_key(org_id))
            self._orgs[org_id] = Registered.from_json(json.loads(data)) if data else None
        return self._orgs[org_id]

    def party(self, org_id: str) -> Actor | None:
        found = self.registered(org_id)
        return found.actor if found else None

    def home_country(self, record: DocumentRecord) -> str | None:
        """The country whose peer a record's changes need: the one it names, else its
        issuer's."""
        if record.country:
            return record.country
        issuer = self.registered(record.issuer)
        return issuer.country if issuer else None


__all__ = [
    "Anchor",
    "Registered",
    "StubView",
    "anchor_key",
    "anchor_range",
    "batch_key",
    "country_key",
    "decode_batch",
    "decode_document",
    "decode_right",
    "doc_key",
    "encode_batch",
    "encode_document",
    "encode_right",
    "ledger_key_id",
    "org_key",
    "released_key",
    "right_key",
    "signer_key",
    "tx_key",
]
