"""OpenAttestation v2 hashes: Keccak-256 field hashes and the document's targetHash.

A field hash is ``keccak256(JSON.stringify({path: leaf}))`` in hex. The targetHash is
``keccak256(JSON.stringify(sorted(field hashes + privacy.obfuscatedData)))``. Keccak-256
is Ethereum's (the original Keccak padding), not FIPS SHA3-256: ``hashlib.sha3_256`` gives
other results. It comes from ``safe-pysha3`` (a C extension, some ten times faster per
call than pycryptodome's object interface, which matters at ~70 fields a document).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sha3  # type: ignore[import-untyped]  # safe-pysha3: no type hints

from interop.oa.flatten import flatten
from interop.oa.js_text import js_json, js_string


def keccak256(data: bytes) -> bytes:
    digest: bytes = sha3.keccak_256(data).digest()
    return digest


def field_hash(path: str, leaf_json: str) -> str:
    """The hash of one flattened field, given the leaf's JSON text."""
    text = "{" + js_string(path) + ":" + leaf_json + "}"
    hexdigest: str = sha3.keccak_256(text.encode("utf-8")).hexdigest()
    return hexdigest


def field_hashes(data: Any) -> list[str]:
    """The hash of every visible field of ``data`` (salted leaves, or anything a document
    carries there, hashed as JavaScript would stringify it)."""
    return [field_hash(path, js_json(leaf)) for path, leaf in flatten(data)]


def _js_order(values: list[str]) -> list[str]:
    # lodash sortBy compares strings by UTF-16 code units; for ASCII (all hex) that is
    # Python's order.
    if all(v.isascii() for v in values):
        return sorted(values)
    return sorted(values, key=lambda v: v.encode("utf-16-be", "surrogatepass"))


def target_hash(hashes: Iterable[str], obfuscated: Iterable[str] = ()) -> str:
    """The digest of a document from its field hashes and obfuscated hashes."""
    ordered = _js_order([*obfuscated, *hashes])
    text = "[" + ",".join(js_string(h) for h in ordered) + "]"
    hexdigest: str = sha3.keccak_256(text.encode("utf-8")).hexdigest()
    return hexdigest


def digest_document(data: Any, obfuscated: Iterable[str] = ()) -> str:
    """``digestDocument``: the targetHash a document with this ``data`` must carry."""
    return target_hash(field_hashes(data), obfuscated)


__all__ = ["digest_document", "field_hash", "field_hashes", "keccak256", "target_hash"]
