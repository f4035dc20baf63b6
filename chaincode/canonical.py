"""Canonical bytes and digests of JSON documents.

The canonical form is RFC 8785 (JCS). The digest is SHA-256 over those bytes, written
``sha256:<hex>``. Parsing is strict: duplicate keys and non-finite numbers are refused,
because two parsers that disagree on them would disagree on the digest.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import rfc8785

DIGEST_PREFIX = "sha256:"
DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")


class CanonicalizationError(ValueError):
    """The input is not JSON that has one canonical form."""


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise CanonicalizationError(f"duplicate key {key!r} in JSON object")
        obj[key] = value
    return obj


def _refuse_constant(name: str) -> Any:
    raise CanonicalizationError(f"{name} is not a JSON number")


def parse_json(data: bytes | str) -> Any:
    """Parse JSON text, refusing duplicate keys, NaN and Infinity."""
    try:
        return json.loads(
            data,
            object_pairs_hook=_refuse_duplicates,
            parse_constant=_refuse_constant,
        )
    except CanonicalizationError:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CanonicalizationError(f"not valid JSON: {exc}") from exc


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 canonical bytes of a JSON value."""
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalizationError(str(exc)) from exc


def digest_bytes(data: bytes) -> str:
    """``sha256:<hex>`` of raw bytes."""
    return DIGEST_PREFIX + hashlib.sha256(data).hexdigest()


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical form of a JSON value."""
    return digest_bytes(canonical_bytes(value))


def is_digest(text: str) -> bool:
    return DIGEST_PATTERN.fullmatch(text) is not None
