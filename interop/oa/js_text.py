"""JavaScript's text of JSON values: ``String(number)`` and compact ``JSON.stringify``.

OpenAttestation hashes strings that JavaScript wrote, so ours must be byte for byte the
same. Two places differ from Python's own: numbers (JavaScript writes ``1e-7``, ``1e+21``
and ``5`` where Python writes ``1e-07``, ``1e+21`` and ``5.0``) and lone UTF-16 surrogates
(``JSON.stringify`` escapes them as ``\\udXXX``; Python would write them raw). Everything
else (escapes of ``"``, ``\\`` and control characters, non-ASCII kept as is) is what
``json``'s C string encoder already writes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring
from typing import Any

SAFE_INTEGER = 2**53  # integers up to here are exact JavaScript numbers
_SURROGATE = re.compile("[\ud800-\udfff]")


def js_number(value: int | float) -> str:
    """``String(value)`` as JavaScript writes it (ECMAScript Number::toString, radix 10).

    An integer beyond 2**53 becomes the double JavaScript would parse it to, as it would.
    NaN and infinities are not JSON and are refused.
    """
    if type(value) is int:
        if -SAFE_INTEGER <= value <= SAFE_INTEGER:
            return str(value)
        try:
            value = float(value)
        except OverflowError:
            raise ValueError(f"{value} is beyond the range of a JavaScript number") from None
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a JSON number")
    if value == 0:
        return "0"  # also for -0, as String(-0) is "0"
    sign = "-" if value < 0 else ""
    # repr is the shortest text that reads back to the same double, as JavaScript's is.
    mantissa, _, exp = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exp) if exp else 0)  # value = 0.<digits> * 10**point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    e = point - 1
    exponent = f"e{'+' if e >= 0 else '-'}{abs(e)}"
    if k == 1:
        return sign + digits + exponent
    return sign + digits[0] + "." + digits[1:] + exponent


def escape_lone_surrogates(text: str) -> str:
    """Surrogate code points written as ``\\udXXX``, as JSON.stringify writes lone ones (a
    Python str holds a non-BMP character as one code point, so a surrogate code point in
    one has no partner). Apply to JSON text only: there they can only be inside strings."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def js_string(text: str) -> str:
    """``JSON.stringify(text)``: quoted, escaped, non-ASCII kept."""
    quoted: str = encode_basestring(text)
    if _SURROGATE.search(quoted) is not None:
        return escape_lone_surrogates(quoted)
    return quoted


def js_keys(obj: Mapping[str, Any]) -> Iterable[str]:
    """An object's keys in JavaScript's order: array-index keys ("0", "7", ...) first in
    numeric order, then the others in insertion order, as ``JSON.parse`` leaves them."""
    if not any(k[:1].isdigit() for k in obj):
        return obj.keys()
    index = [k for k in obj if _is_array_index(k)]
    if not index:
        return obj.keys()
    index.sort(key=int)
    named = [k for k in obj if not _is_array_index(k)]
    return index + named


def _is_array_index(key: str) -> bool:
    return (
        key.isascii()
        and key.isdigit()
        and (key == "0" or key[0] != "0")
        and int(key) < 2**32 - 1  # ECMAScript's largest array index is 2**32 - 2
    )


def js_json(value: Any) -> str:
    """Compact ``JSON.stringify(value)`` of a parsed JSON value."""
    t = type(value)
    if t is str:
        return js_string(value)
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    if t is int or t is float:
        return js_number(value)
    if t is list:
        return "[" + ",".join(js_json(v) for v in value) + "]"
    if t is dict:
        return "{" + ",".join(js_string(k) + ":" + js_json(value[k]) for k in js_keys(value)) + "}"
    raise TypeError(f"{t.__name__} is not a JSON value")


__all__ = ["SAFE_INTEGER", "escape_lone_surrogates", "js_json", "js_keys", "js_number", "js_string"]
