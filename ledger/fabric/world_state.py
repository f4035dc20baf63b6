"""The chaincode's world state: its keys, the encoding of its values, and the read-only
``StateView`` that ``chaincode.lifecycle.apply`` reads through.

Keys (plain keys, one namespace per chaincode name):

- ``doc/<id>``: a document record (``ledger.records_codec`` row, as canonical JSON);
- ``member/<digest>``: a batch member not changed since, naming its batch root;
- ``batch/<root>``: a batch anchor (kind, issuer, country, time; the digests stay in the
  transaction and its event);
- ``right/<container>``: a pickup right;
- ``org/<id>``: an organisation in the registry (country, roles, ledger key);
- ``country/<CC>``: the country's marker, written by every transaction that creates a
  document of CC; its key-level policy needs CC's peer, so creating a document does;
- ``tx/<tdx transaction id>``: the Fabric transaction that committed it (idempotency).

Values are RFC 8785 JSON: every endorsing peer computes the same bytes.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


def doc_key(doc_id: str) -> str:
    return f"doc/{doc_id}"


def member_key(digest: str) -> str:
    return f"member/{digest}"


def batch_key(root: str) -> str:
    return f"batch/{root}"


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


def decode_batch(data: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(data)
    return value


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
    """``chaincode.lifecycle.StateView`` over the peer's world state, inside a proposal."""

    def __init__(self, stub: Stub) -> None:
        self._stub = stub
        self._orgs: dict[str, Registered | None] = {}

    def document(self, doc_id: str) -> DocumentRecord | None:
        data = self._stub.get_state(doc_key(doc_id))
        if data:
            return decode_document(data)
        root = self._stub.get_state(member_key(doc_id))
        if not root:
            return None
        batch = decode_batch(self._stub.get_state(batch_key(root.decode())))
        anchor = BatchAnchor(
            batch["root"],
            DocumentKind(batch["kind"]),
            batch["issuer"],
            batch["country"],
            datetime.datetime.fromisoformat(batch["time"]),
            (),
        )
        return anchor.record(doc_id)

    def existing(self, doc_ids: Sequence[str]) -> list[str]:
        return [
            d
            for d in doc_ids
            if self._stub.get_state(doc_key(d)) or self._stub.get_state(member_key(d))
        ]

    def pickup_right(self, container: str) -> PickupRight | None:
        data = self._stub.get_state(right_key(container))
        return decode_right(data) if data else None

    def registered(self, org_id: str) -> Registered | None:
        if org_id not in self._orgs:
            data = self._stub.get_state(org_key(org_id))
            self._orgs[org_id] = Registered.from_json(json.loads(data)) if data else None
        return self._orgs[org_id]

    def party(self, org_id: str) -> Actor | None:
        found = self.registered(org_id)
        return found.actor if found else None


__all__ = [
    "Registered",
    "StubView",
    "batch_key",
    "country_key",
    "decode_batch",
    "decode_document",
    "decode_right",
    "doc_key",
    "encode_batch",
    "encode_document",
    "encode_right",
    "member_key",
    "org_key",
    "right_key",
    "tx_key",
]
