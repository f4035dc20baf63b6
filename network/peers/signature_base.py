"""The RFC 9421 signature base of the one request profile tdx nodes sign, written directly.

Every node-to-node request covers ``("@method" "@path" "content-digest")`` with the
metadata parameters of RFC 9421 section 2.3 (``created``, ``keyid``, ``alg``, ``nonce``,
``tag``, ``expires``). For this profile the base is four lines of text, and the
``http-message-signatures`` library's general machinery (component resolvers, Structured
Field objects serialised character by character, the base built twice per signature) cost
about 0.6 ms a request on each side: most of a verification query's signing and checking.
Here the base is written from the parsed parameters (``http_sf`` parses the fields); the
tests compare it byte for byte with the library's on every run, both ways: what one signs
the other verifies, and the headers signed here are the library's own.
"""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from collections.abc import Iterable

COVERED = ("@method", "@path", "content-digest")
# RFC 9421 section 2.3: the signature parameters a signature may carry (the library's
# ``signature_metadata_parameters``); anything else is refused.
INTEGER_PARAMETERS = frozenset({"created", "expires"})
STRING_PARAMETERS = frozenset({"alg", "keyid", "nonce", "tag"})
MAX_INTEGER = 999_999_999_999_999  # RFC 9651 section 3.3.1

_COVERED_LIST = "(" + " ".join(f'"{c}"' for c in COVERED) + ")"
# RFC 3986 path characters, percent escapes included (what the library's URL parser takes).
_PATH = re.compile(r"/(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*")


def sf_string(value: str) -> str:
    """``value`` as an RFC 9651 String: printable ASCII, ``"`` and ``\\`` escaped."""
    if not value.isascii() or not value.isprintable():
        raise ValueError(f"{value!r} is not a Structured Field String (printable ASCII)")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def signature_params(params: Iterable[tuple[str, str | int]]) -> str:
    """The ``@signature-params`` value: the covered components, then ``params`` in order
    (names and types as RFC 9421 section 2.3 gives them; ``ValueError`` otherwise)."""
    out = [_COVERED_LIST]
    for name, value in params:
        if name in INTEGER_PARAMETERS and type(value) is int and abs(value) <= MAX_INTEGER:
            out.append(f";{name}={value}")
        elif name in STRING_PARAMETERS and type(value) is str:
            out.append(f";{name}={sf_string(value)}")
        else:
            raise ValueError(f"signature parameter {name}={value!r} is not allowed")
    return "".join(out)


def request_path(url: str) -> str:
    """The ``@path`` of a request to ``url`` (RFC 9421 section 2.2.6): as spelled, ``/`` if
    empty; ``ValueError`` if it is not an RFC 3986 path."""
    path = urllib.parse.urlsplit(url).path or "/"
    if _PATH.fullmatch(path) is None:
        raise ValueError(f"the path {path!r} is not an RFC 3986 path")
    return path


def field_value(value: str) -> str:
    """A header field's value as the base holds it (RFC 9421 section 2.1: outer spaces and
    tabs trimmed); ``ValueError`` for line breaks or other control characters."""
    value = value.strip(" \t")
    if not value.isascii() or not value.replace("\t", " ").isprintable():
        raise ValueError("the field value holds control or non-ASCII characters")
    return value


def signature_base(method: str, path: str, content_digest: str, params: str) -> bytes:
    """The bytes signed: one line per covered component, then ``@signature-params``."""
    return (
        f'"@method": {method}\n"@path": {path}\n"content-digest": {content_digest}\n'
        f'"@signature-params": {params}'
    ).encode("ascii")


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` of ``body``: its SHA-256, as a Dictionary."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def byte_sequence_member(label: str, value: bytes) -> str:
    """``label=:base64:``, a one-member Dictionary of a Byte Sequence (``Signature``)."""
    return f"{label}=:{base64.b64encode(value).decode()}:"


__all__ = [
    "COVERED",
    "byte_sequence_member",
    "content_digest",
    "field_value",
    "request_path",
    "sf_string",
    "signature_base",
    "signature_params",
]
