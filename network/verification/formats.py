"""Document formats, as the verification pipeline sees them: a format reads presented bytes
into the pipeline's input (``Presented``) and opens its own signature into what the signer
claimed (``OpenedSignature``). Everything after that (integrity, the document's rules, the
chain, roles, revocation, the ledger's evidence) is the pipeline's, the same for every format.

``TDX_ENVELOPE`` (``tdx-signed-document/1``) is the first format. Another (an OpenAttestation
v2 document, a PINT envelope) plugs in by implementing ``Format`` in its interop package and
being passed to ``Pipeline``; a new signature algorithm arrives through the trust list, which
says per country which algorithms its organisations use.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import orjson
from cryptography import x509

from chaincode.canonical import CanonicalizationError, parse_json
from chaincode.documents import envelope
from chaincode.documents.registry import DocumentKind
from identity import jws
from identity.checks import Check, CheckName


class FormatError(ValueError):
    """Bytes that claim a format but break it; the message names the field and the rule."""


class SignatureError(ValueError):
    """A signature that cannot be opened: malformed, refused algorithm, or not verifying."""


class Input:
    """The presented bytes and, parsed at most once for all formats, their strict JSON."""

    __slots__ = ("_error", "_parsed", "_value", "data")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._parsed = False
        self._value: Any = None
        self._error: str | None = None

    def json(self) -> Any:
        """The bytes as strictly parsed JSON (``chaincode.canonical.parse_json``), or None
        if they are not such JSON (``json_error`` says why)."""
        if not self._parsed:
            self._parsed = True
            try:
                self._value = parse_json(self.data)
            except CanonicalizationError as exc:
                self._error = str(exc)
        return self._value

    @property
    def json_error(self) -> str | None:
        self.json()
        return self._error


@dataclass(frozen=True)
class Presented:
    """The pipeline's input: a document of a known kind, and its signature material in the
    format's own form (opened only by the same format)."""

    format: str
    kind: DocumentKind
    content: Mapping[str, Any]
    signature: object
    # Checks of the format's own that it ran on reading (OpenAttestation's fragments): the
    # report carries them after the pipeline's, and each must pass.
    own_checks: tuple[Check[CheckName], ...] = ()
    # Set when fields were hidden by selective disclosure: the signature cannot be judged.
    undisclosed: Undisclosed | None = None


@dataclass(frozen=True)
class Undisclosed:
    """A document presented with fields hidden (selective disclosure). Its signature covers
    the whole document, so signature, integrity, rules, chain, role and revocation cannot
    be judged (``reason``); the verdict rests on the format's own checks and on the ledger's
    record of the digest the format ties the presented document to (``digest``, ``issuer``,
    and how: ``tie``; no digest: why none could be tied, and nothing vouches for it)."""

    reason: str
    tie: str
    digest: str | None = None
    issuer: str | None = None


@dataclass(frozen=True)
class OpenedSignature:
    """A signature that verified with the key of its signer's certificate: what it claims
    (kind, digest, time) and the certificate chain to judge."""

    kind: str
    digest: str
    signed_at: datetime.datetime
    chain: tuple[x509.Certificate, ...]
    algorithm: str


class Format(Protocol):
    name: str

    def read(self, data: Input) -> Presented | None:
        """The presented document, None if the bytes are not this format, ``FormatError`` if
        they claim it and break it."""
        ...

    def open_signature(self, presented: Presented, algorithms: frozenset[str]) -> OpenedSignature:
        """Verify the signature with an algorithm from ``algorithms`` (the trust list's),
        never one the input chooses alone; ``SignatureError`` if it does not hold."""
        ...


@runtime_checkable
class KeptFormat(Format, Protocol):
    """A format whose signed bytes a node may have verified at issue and kept: it can open a
    signature's claims without its mathematics, for the relying path
    (``network.verification.kept``), which uses them only for bytes byte-identical to bytes
    verified before."""

    def open_verified_before(
        self, data: Input, algorithms: frozenset[str]
    ) -> OpenedSignature | None:
        """The signature's claims and chain, every check but the signature's mathematics run
        on them; None if the bytes do not read so (the full path then judges them)."""
        ...


# The end of an object whose last member is "signature" (RFC 8259 2's whitespace): the
# value's closing quote is followed by the brace; its opening quote is preceded by the key,
# itself preceded by a comma or a brace (so that the key's opening quote is not escaped).
_OBJECT_END = re.compile(rb"[ \t\n\r]*}[ \t\n\r]*")
_KEY_BEFORE = re.compile(rb'[,{][ \t\n\r]*"signature"[ \t\n\r]*:[ \t\n\r]*"\Z')
_KEY_WINDOW = 64  # bytes before the value searched for its key; more spacing: not found


def _trailing_signature(data: bytes) -> str | None:
    """The top-level "signature" member's value, if it is the last member (as
    ``Envelope.to_json`` orders them), found without parsing the document before it; None
    if the bytes do not end so. In valid JSON this is exact: the final brace closes the
    top-level object; the string before it, whose bytes (no quote, no backslash) reach back
    to its opening quote, is a member's value, as it is written; the colon makes the string
    before that the member's key; and a comma or brace before the key's opening quote means
    that quote is not escaped, so the key is exactly "signature". Only bytes read strictly
    at issue (valid JSON, no member twice) are relied on; for any others the value found
    is only a lookup, and their SHA-256 sends them to the full path."""
    close = data.rfind(b'"')  # the value's closing quote, if only the brace follows
    if close < 0 or _OBJECT_END.fullmatch(data, close + 1) is None:
        return None
    opening = data.rfind(b'"', 0, close)
    if opening < 0 or data.find(b"\\", opening, close) >= 0:
        return None
    if _KEY_BEFORE.search(data, max(0, opening - _KEY_WINDOW), opening + 1) is None:
        return None
    token = data[opening + 1 : close]
    return token.decode("ascii") if token.isascii() else None


class TdxEnvelope:
    """``tdx-signed-document/1``: a compact JWS (x5c) over ``{kind, digest, signedAt}``."""

    name = envelope.FORMAT

    def read(self, data: Input) -> Presented | None:
        value = data.json()
        if not isinstance(value, dict) or value.get("format") != envelope.FORMAT:
            return None
        try:
            env = envelope.read(value)
        except envelope.EnvelopeError as exc:
            raise FormatError(str(exc)) from exc
        return Presented(self.name, env.kind, env.document, env.signature)

    def open_signature(self, presented: Presented, algorithms: frozenset[str]) -> OpenedSignature:
        if not isinstance(presented.signature, str):
            raise SignatureError("the signature is not a compact JWS string")
        try:
            verified = jws.verify(presented.signature, algorithms, envelope.JWS_TYPE)
            claim = envelope.read_claim(verified.payload)
        except jws.JwsError as exc:
            raise SignatureError(str(exc)) from exc
        except envelope.EnvelopeError as exc:
            raise SignatureError(f"the signed payload is malformed: {exc}") from exc
        return OpenedSignature(
            claim.kind,
            claim.digest,
            claim.signed_at,
            tuple(verified.chain),
            str(verified.header["alg"]),
        )

    def open_verified_before(
        self, data: Input, algorithms: frozenset[str]
    ) -> OpenedSignature | None:
        # Only bytes byte-identical to bytes strictly read and verified at issue are relied
        # on (their SHA-256 decides, ``network.verification.kept``), so strictness is not
        # needed to find the signature to look up: the envelope as this node writes it ends
        # with it, and otherwise a plain parse finds it. (That the envelope's kind is the
        # signed one was checked at issue over the same bytes.)
        token = _trailing_signature(data.data)
        if token is None:
            try:
                value = orjson.loads(data.data)
            except orjson.JSONDecodeError:
                return None
            if not isinstance(value, dict) or value.get("format") != envelope.FORMAT:
                return None
            token = value.get("signature")
            if not isinstance(token, str):
                return None
        try:
            opened = jws.open_verified_before(token, algorithms, envelope.JWS_TYPE)
            claim = orjson.loads(opened.payload)  # its canonical form was checked at issue
            kind, digest = claim.get("kind"), claim.get("digest")
            signed_at = datetime.datetime.fromisoformat(claim.get("signedAt"))
        except (jws.JwsError, orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
            return None
        if not isinstance(kind, str) or not isinstance(digest, str):
            return None
        if signed_at.tzinfo is None:
            return None
        return OpenedSignature(kind, digest, signed_at, tuple(opened.chain), opened.header["alg"])


TDX_ENVELOPE = TdxEnvelope()

__all__ = [
    "TDX_ENVELOPE",
    "Format",
    "FormatError",
    "Input",
    "KeptFormat",
    "OpenedSignature",
    "Presented",
    "SignatureError",
    "TdxEnvelope",
    "Undisclosed",
]
