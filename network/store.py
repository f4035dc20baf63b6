"""The node's content-addressed store of signed documents.

On a ledger that keeps documents itself (``ledger.interface.DocumentKeeper``: the embedded
engine) a document is committed with the entry that anchors it, one fsync for both, and
read from there. Otherwise, and for documents kept before that, one file per digest,
written atomically (write, fsync, rename), so a crash never leaves half a document behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from chaincode.identifiers import is_doc_id
from ledger.interface import DocumentKeeper
from network.atomic_file import write_atomically


def encode(envelope: dict[str, Any]) -> bytes:
    """A signed document's stored bytes (the same wherever it is kept): indented UTF-8 JSON.
    orjson, because the standard library's encoder falls back to pure Python when it
    indents (1.5 ms of an issue's CPU); a signed document is plain JSON it writes as is."""
    return orjson.dumps(envelope, option=orjson.OPT_INDENT_2)


class DocumentStore:
    def __init__(self, path: Path, keeper: DocumentKeeper | None = None) -> None:
        self.path = path
        self.keeper = keeper

    def _file(self, doc_id: str) -> Path:
        if not is_doc_id(doc_id):
            raise ValueError(f"{doc_id!r} is not a document id (sha256:<hex>)")
        return self.path / f"{doc_id.removeprefix('sha256:')}.json"

    def has(self, doc_id: str) -> bool:
        return self.get(doc_id) is not None

    def put(self, doc_id: str, envelope: dict[str, Any]) -> bool:
        """Store the signed document; False if one was already stored under this id."""
        target = self._file(doc_id)
        if target.exists():
            return False
        write_atomically(target, encode(envelope))
        return True

    def remove(self, doc_id: str) -> None:
        self._file(doc_id).unlink(missing_ok=True)

    def get(self, doc_id: str) -> bytes | None:
        path = self._file(doc_id)  # checks the id's form first
        if self.keeper is not None:
            kept = self.keeper.signed_document(doc_id)
            if kept is not None:
                return kept
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
