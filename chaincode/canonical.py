"""Canonical bytes and digests of JSON documents.

The canonical form is RFC 8785 (JCS). The digest is SHA-256 over those bytes, written
``sha256:<hex>``. Parsing is strict: duplicate keys and non-finite numbers are refused,
because two parsers that disagree on them would disagree on the digest.

``rfc8785`` (pure Python) is the reference. Most trade documents are plain JSON for
which ``orjson`` (compact, keys sorted) writes exactly the same bytes some fifty times
faster, so those take that path; anything else (non-BMP text, which JCS sorts by UTF-16
units; integral floats and floats outside the range where both print alike; out-of-range
integers; subclasses of the JSON types) goes to ``rfc8785``. A property test holds the two
paths byte for byte equal.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import orjson
import rfc8785

DIGEST_PREFIX = "sha256:"


class CanonicalizationError(ValueError):
    """The input is not JSON that has one canonical form."""


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # a key came twice; name the first one
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise CanonicalizationError(f"duplicate key {key!r} in JSON object")
            seen.add(key)
    return obj


def _refuse_constant(name: str) -> Any:
    raise CanonicalizationError(f"{name} is not a JSON number")


def _number(text: str) -> float | int:
    # JSON has one number type: 5.0 and 5 are the same number, which RFC 8785 writes as 5.
    # Reading such a number as an int keeps canonicalisation on its fast path.
    value = float(text)
    if value.is_integer() and abs(value) <= _SAFE_INTEGER:
        return int(value)
    return value


def parse_json(data: bytes | str) -> Any:
    """Parse JSON text, refusing duplicate keys, NaN and Infinity."""
    try:
        return json.loads(
            data,
            object_pairs_hook=_refuse_duplicates,
            parse_constant=_refuse_constant,
            parse_float=_number,
        )
    except CanonicalizationError:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CanonicalizationError(f"not valid JSON: {exc}") from exc


_SAFE_INTEGER = 2**53 - 1  # I-JSON's range, which rfc8785 enforces
# In UTF-8 a character beyond the BMP, and only such a character, starts with F0-F4.
_BEYOND_BMP = re.compile(b"[\xf0-\xf4]")
_PLAIN, _INTEGRAL_FLOATS, _OTHER = 0, 1, 2


def _classify(value: Any) -> int:
    """Whether the stdlib encoder writes ``value``'s JCS bytes: as is (_PLAIN), once its
    integral floats are ints (_INTEGRAL_FLOATS), or not at all (_OTHER)."""
    found = _PLAIN
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is str or t is bool or v is None:
            continue
        if t is dict:
            for k in v:
                if type(k) is not str:
                    return _OTHER
            stack.extend(v.values())
        elif t is list:
            stack.extend(v)
        elif t is int:
            if not -_SAFE_INTEGER <= v <= _SAFE_INTEGER:
                return _OTHER
        elif t is float:
            if v.is_integer():
                if abs(v) > _SAFE_INTEGER:
                    return _OTHER
                found = _INTEGRAL_FLOATS  # JCS writes 5.0 as 5
            elif not 1e-4 <= abs(v) < 1e16:  # Python writes 1e-05, JCS 0.00001
                return _OTHER  # (and NaN and infinities fail the comparison)
        else:
            return _OTHER
    return found


def _integral_floats_as_ints(value: Any) -> Any:
    t = type(value)
    if t is dict:
        return {k: _integral_floats_as_ints(v) for k, v in value.items()}
    if t is list:
        return [_integral_floats_as_ints(v) for v in value]
    if t is float and value.is_integer():
        return int(value)
    return value


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 canonical bytes of a JSON value."""
    kind = _classify(value)
    if kind != _OTHER:
        if kind == _INTEGRAL_FLOATS:
            value = _integral_floats_as_ints(value)
        try:
            data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate: rfc8785 explains the refusal
        else:
            if _BEYOND_BMP.search(data) is None:
                return data
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalizationError(str(exc)) from exc
    except UnicodeEncodeError as exc:  # rfc8785 0.1.4 lets a lone surrogate in a key escape
        raise CanonicalizationError("input contains non-UTF-8 codepoints") from exc


def digest_bytes(data: bytes) -> str:
    """``sha256:<hex>`` of raw bytes."""
    return DIGEST_PREFIX + hashlib.sha256(data).hexdigest()


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical form of a JSON value."""
    return digest_bytes(canonical_bytes(value))
