"""PINT's checksums: lowercase hex SHA-256, each over exactly the bytes DCSA names.

- a transport document: its RFC 8785 canonical form (the tdx document id, without its
  ``sha256:`` prefix, is the same value);
- a transfer-chain entry or any other signed content: the compact JWS string exactly as it
  was received, so entries are stored verbatim and never re-serialised;
- an additional document: its decoded bytes (not the base64 text that carries it).
"""

from __future__ import annotations

import hashlib
from typing import Any

from chaincode.canonical import DIGEST_PREFIX, canonical_bytes


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def transport_document_checksum(transport_document: Any) -> str:
    return sha256_hex(canonical_bytes(transport_document))


def canonical_checksum(value: Any) -> str:
    """Of any JSON value in RFC 8785 form (an ``issueTo`` party, for instance)."""
    return sha256_hex(canonical_bytes(value))


def signed_content_checksum(compact_jws: str) -> str:
    return sha256_hex(compact_jws.encode("utf-8"))


def document_checksum(content: bytes) -> str:
    return sha256_hex(content)


def document_id(td_checksum: str) -> str:
    """The tdx document id of the transport document with this PINT checksum."""
    return DIGEST_PREFIX + td_checksum


def td_checksum_of(document_id_: str) -> str:
    """The PINT checksum of the transport document with this tdx document id."""
    if not document_id_.startswith(DIGEST_PREFIX):
        raise ValueError(f"{document_id_!r} is not a tdx document id (sha256:<hex>)")
    return document_id_.removeprefix(DIGEST_PREFIX)
