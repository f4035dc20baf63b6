"""OpenAttestation v2 hashes: Keccak-256 field hashes and the document's targetHash.

A field hash is ``keccak256(JSON.stringify({path: leaf}))`` in hex. The targetHash is
``keccak256(JSON.stringify(sorted(field hashes + privacy.obfuscatedData)))``. Keccak-256
is Ethereum's (the original Keccak padding), not FIPS SHA3-256: ``hashlib.sha3_256`` gives
other results. It comes from ``safe-pysha3`` (a C extension, some ten times faster per
call than pycryptodome's object interface, which matters at ~70 fields a document).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from json.encoder import encode_basestring
from typing import Any

import sha3  # type: ignore[import-untyped]  # safe-pysha3: no type hints

from interop.oa.errors import OaError
from interop.oa.js_text import escape_lone_surrogates, js_json, js_string

_HEX = re.compile(r"[0-9a-f]*")


def keccak256(data: bytes) -> bytes:
    digest: bytes = sha3.keccak_256(data).digest()
    return digest


def field_hash(path: str, leaf_json: str) -> str:
    """The hash of one flattened field, given the leaf's JSON text."""
    text = "{" + js_string(path) + ":" + leaf_json + "}"
    hexdigest: str = sha3.keccak_256(text.encode("utf-8")).hexdigest()
    return hexdigest


def _hash_fields(value: Any, prefix: str, hashes: list[str]) -> None:
    # flatten + field_hash in one walk; key order does not matter, the hashes get sorted
    items: Iterable[tuple[Any, Any]] = value.items() if type(value) is dict else enumerate(value)
    for key, leaf in items:
        if type(key) is int:
            path = prefix + str(key)
        elif "." in key:
            raise OaError(prefix + key, "a key must not contain '.' (OpenAttestation paths)")
        else:
            path = prefix + key
        t = type(leaf)
        if (t is dict or t is list) and leaf:
            _hash_fields(leaf, path + "." if path else "", hashes)
            continue
        text = "{" + encode_basestring(path) + ":"
        text += (encode_basestring(leaf) if t is str else js_json(leaf)) + "}"
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, which JSON.stringify escapes
            data = escape_lone_surrogates(text).encode("utf-8")
        hashes.append(sha3.keccak_256(data).hexdigest())


def field_hashes(data: Any) -> list[str]:
    """The hash of every visible field of ``data`` (salted leaves, or anything a document
    carries there, hashed as JavaScript would stringify it), as ``flatten`` paths them."""
    if type(data) not in (dict, list):
        raise OaError("data", "must be a JSON object or array")
    hashes: list[str] = []
    _hash_fields(data, "", hashes)
    return hashes


def _js_order(values: list[str]) -> list[str]:
    # lodash sortBy compares strings by UTF-16 code units; for ASCII (all hex) that is
    # Python's order.
    if all(v.isascii() for v in values):
        return sorted(values)
    return sorted(values, key=lambda v: v.encode("utf-16-be", "surrogatepass"))


def target_hash(hashes: Iterable[str], obfuscated: Iterable[str] = ()) -> str:
    """The digest of a document from its field hashes and obfuscated hashes."""
    hidden = list(obfuscated)
    ordered = _js_order([*hidden, *hashes])
    if all(_HEX.fullmatch(h) for h in hidden):  # field hashes are hex: nothing to escape
        text = '["' + '","'.join(ordered) + '"]'
    else:
        text = "[" + ",".join(js_string(h) for h in ordered) + "]"
    hexdigest: str = sha3.keccak_256(text.encode("utf-8")).hexdigest()
    return hexdigest


def digest_document(data: Any, obfuscated: Iterable[str] = ()) -> str:
    """``digestDocument``: the targetHash a document with this ``data`` must carry."""
    return target_hash(field_hashes(data), obfuscated)


__all__ = ["digest_document", "field_hash", "field_hashes", "keccak256", "target_hash"]
