"""The node's content-addressed store of signed documents: one file per document digest.

Files are written atomically (write, fsync, rename), so a crash never leaves half a
document behind.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from chaincode.identifiers import is_doc_id


class DocumentStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _file(self, doc_id: str) -> Path:
        if not is_doc_id(doc_id):
            raise ValueError(f"{doc_id!r} is not a document id (sha256:<hex>)")
        return self.path / f"{doc_id.removeprefix('sha256:')}.json"

    def has(self, doc_id: str) -> bool:
        return self._file(doc_id).is_file()

    def put(self, doc_id: str, envelope: dict[str, Any]) -> bool:
        """Store the signed document; False if one was already stored under this id."""
        target = self._file(doc_id)
        if target.exists():
            return False
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(envelope, fh, ensure_ascii=False, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(target)
        return True

    def remove(self, doc_id: str) -> None:
        self._file(doc_id).unlink(missing_ok=True)

    def get(self, doc_id: str) -> bytes | None:
        try:
            return self._file(doc_id).read_bytes()
        except FileNotFoundError:
            return None
