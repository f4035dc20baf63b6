"""The embedded log's entry format and its stored Merkle nodes.

An entry is ``{"committedAt", "format", "index", "prev", "signed"}`` in RFC 8785 form;
``prev`` is the SHA-256 of the entry before (``GENESIS_PREV`` for the first), and the
entries are the leaves of the log's RFC 9162 tree.
"""

from __future__ import annotations

import hashlib
import sqlite3

from chaincode.canonical import canonical_bytes
from ledger.signed_tx import SignedTx

ENTRY_FORMAT = "tdx-entry/1"
GENESIS_PREV = "0" * 64


def entry_hash(leaf: bytes) -> str:
    return hashlib.sha256(leaf).hexdigest()


def entry_leaf(index: int, prev: str, committed_at: str, signed: SignedTx) -> bytes:
    """The RFC 8785 form of the log entry, assembled from parts already canonical.

    Equal to ``canonical_bytes({"committedAt", "format", "index", "prev", "signed"})`` (a
    test holds it to that); the signed transaction is not canonicalised a second time.
    """
    return b"".join(
        (
            b'{"committedAt":',
            canonical_bytes(committed_at),
            b',"format":',
            canonical_bytes(ENTRY_FORMAT),
            b',"index":',
            canonical_bytes(index),
            b',"prev":',
            canonical_bytes(prev),
            b',"signed":',
            signed.canonical,
            b"}",
        )
    )


class NodeTable:
    """The ``nodes`` table as a ``merkle.NodeStore`` (complete subtrees only)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def get(self, level: int, index: int) -> bytes:
        row = self._db.execute(
            "SELECT hash FROM nodes WHERE level = ? AND idx = ?", (level, index)
        ).fetchone()
        if row is None:
            raise LookupError(f"Merkle node ({level}, {index}) is missing")
        return bytes(row[0])
