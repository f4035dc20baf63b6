"""The fingerprint of the rules a document is validated with: a SHA-256 over the source
and schema files of ``chaincode.documents`` and the canonical JSON form.

A node records it with each document it validates and signs at issue; a later verification
on that node may rely on that validation only if the fingerprint is still the same (the
rules did not change since), and its report says that it did.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import chaincode.canonical
import chaincode.documents


@functools.cache
def fingerprint() -> str:
    """``sha256:<hex>`` of the validation rules' files, each with its relative path."""
    package = Path(chaincode.documents.__file__).resolve().parent
    files = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    files.append(Path(chaincode.canonical.__file__).resolve())
    h = hashlib.sha256()
    for path in files:
        name = path.relative_to(package.parent).as_posix().encode()
        data = path.read_bytes()
        h.update(len(name).to_bytes(4, "big") + name + len(data).to_bytes(8, "big") + data)
    return "sha256:" + h.hexdigest()


__all__ = ["fingerprint"]
