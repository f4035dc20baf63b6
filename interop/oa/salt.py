"""Salted values: every leaf of ``data`` becomes ``"<uuid-v4>:<type>:<String(value)>"``.

The salt is a random version-4 UUID (lower-case, as the ``uuid`` package writes it), drawn
from ``os.urandom``: it is what keeps an obfuscated field's value from being guessed from
its hash. Reading a salted value back follows the official ``unsalt`` (which trims the text
after the salt, as JavaScript's ``trim`` does) or, for our own link checks, reads it exactly.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from typing import Any

from interop.oa.errors import OaError
from interop.oa.js_text import SAFE_INTEGER, js_keys, js_number

SaltSource = Callable[[str], str]
"""Returns the salt for the leaf at a path (the path lets a test replay known salts)."""

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", re.I)
UUID_LENGTH = 36
# JavaScript's String.prototype.trim: WhiteSpace and LineTerminator code points.
JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # noqa: E501
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
_BUFFER_SALTS = 64


class RandomSalts:
    """Fresh UUID-v4 salts, 64 drawn from the OS at a time (one ``urandom`` call, not one
    per leaf). Not shared between threads: make one per wrap."""

    def __init__(self) -> None:
        self._salts: list[str] = []

    def __call__(self, path: str) -> str:
        if not self._salts:
            raw = os.urandom(16 * _BUFFER_SALTS).hex()
            self._salts = [
                f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"
                for h in (raw[i : i + 32] for i in range(0, len(raw), 32))
            ]
        return self._salts.pop()


def typed(value: Any, path: str = "data") -> str:
    """``<type>:<String(value)>`` of a JSON leaf, as ``primitiveToTypedString`` writes it."""
    t = type(value)
    if t is str:
        return "string:" + str(value)
    if t is bool:
        return "boolean:true" if value else "boolean:false"
    if t is int or t is float:
        try:
            return "number:" + js_number(value)
        except ValueError as exc:
            raise OaError(path, str(exc)) from None
    if value is None:
        return "null:null"
    raise OaError(path, f"{t.__name__} is not a JSON value")


def salt_data(data: Any, salts: SaltSource, path: str = "") -> Any:
    """Every leaf salted; empty objects and arrays stay as they are (lodash's deepMap)."""
    t = type(data)
    if t is dict:
        return {k: salt_data(data[k], salts, path + "." + k if path else k) for k in js_keys(data)}
    if t is list:
        return [salt_data(v, salts, f"{path}.{i}" if path else str(i)) for i, v in enumerate(data)]
    return salts(path) + ":" + typed(data, path)


def js_to_number(text: str) -> int | float:
    """JavaScript's ``Number(text)`` for the forms it accepts; NaN for the rest."""
    s = text.strip(JS_WHITESPACE)
    if not s:
        return 0
    if s in ("Infinity", "+Infinity"):
        return math.inf
    if s == "-Infinity":
        return -math.inf
    prefixes = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
    if s[:2] in prefixes:
        try:
            return _exact(float(int(s[2:], prefixes[s[:2]])))
        except ValueError:
            return math.nan
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", s, re.ASCII):
        return math.nan
    return _exact(float(s))


def _exact(value: float) -> int | float:
    if value.is_integer() and abs(value) <= SAFE_INTEGER:
        return int(value)
    return value


def unsalt(value: Any) -> Any:
    """The official ``unsalt``: a string that starts with a UUID-v4 and ``:`` loses its salt,
    the rest is trimmed and read by its type annotation; anything else is returned as is."""
    if type(value) is not str or not UUID4.fullmatch(value.split(":", 1)[0]):
        return value
    kind, _, text = value[UUID_LENGTH + 1 :].strip(JS_WHITESPACE).partition(":")
    return _primitive(kind, text, value, js_to_number)


def unsalt_exact(value: Any) -> Any:
    """The value that was salted, exactly (no trimming): for checks of our own exports."""
    if type(value) is not str or value[36:37] != ":" or not UUID4.fullmatch(value, 0, 36):
        return value
    if value.startswith("string:", 37):  # the common case first
        return value[44:]
    kind, _, text = value[UUID_LENGTH + 1 :].partition(":")
    return _primitive(kind, text, value, _exact_number)


def _exact_number(text: str) -> int | float:
    return _exact(float(text))


def _primitive(kind: str, text: str, raw: str, number: Callable[[str], int | float]) -> Any:
    if kind == "string":
        return text
    if kind == "number":
        try:
            return number(text)
        except ValueError:
            raise OaError(raw, "a salted number that is not a number") from None
    if kind == "boolean":
        return text == "true"
    if kind == "null":
        return None
    raise OaError(raw, f"unknown type annotation {kind!r} after the salt")


def unsalt_data(data: Any, *, exact: bool = False) -> Any:
    """``getData``: the whole tree unsalted (``exact`` keeps surrounding whitespace)."""
    one = unsalt_exact if exact else unsalt
    return _unsalt_tree(data, one)


def _unsalt_tree(data: Any, one: Callable[[Any], Any]) -> Any:
    t = type(data)
    if t is dict:
        return {k: _unsalt_tree(v, one) for k, v in data.items()}
    if t is list:
        return [_unsalt_tree(v, one) for v in data]
    return one(data)


__all__ = [
    "UUID4",
    "RandomSalts",
    "SaltSource",
    "js_to_number",
    "salt_data",
    "typed",
    "unsalt",
    "unsalt_data",
    "unsalt_exact",
]
