"""Node-to-node requests signed with HTTP Message Signatures (RFC 9421).

A request's signature covers its method, its path and its RFC 9530 ``Content-Digest``,
with the parameters ``created``, ``nonce``, ``keyid`` (the fingerprint of the sending node's
certificate, ``sha256:<hex>``), ``alg`` (``ed25519``, fixed here, never read from the
request) and ``tag`` (``tdx-peer``). The sender's certificate travels in ``Tdx-Node-Certificate``
(a Structured Field byte sequence of its DER), which the ``keyid`` pins.

The receiver checks, and a failure names the check: ``signature-input`` (the fields are
there and well formed), ``certificate`` (the certificate is the ``keyid``'s and chains to a
country root on its trust list, with the node role, valid and not revoked), ``clock-skew``
(``created`` within 5 minutes of its clock), ``signature`` (over exactly these components),
``content-digest`` (the body is the one signed) and ``nonce`` (never seen before; it is
recorded only once everything else holds, so a forged request cannot spend a nonce).

The signature base of this one profile is written by ``network.peers.signature_base``
(byte for byte the ``http-message-signatures`` library's, which the tests check on every
run); the fields are parsed by ``http_sf`` and the Content-Digest checked by the library.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import http_sf
from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import ContentDigest, InvalidSignature
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from identity.certificates import fingerprint
from network.peers import signature_base as base
from network.peers.signature_base import COVERED

TAG = "tdx-peer"
LABEL = "tdx"
ALGORITHM = "ed25519"  # fixed here, never read from the request
CERTIFICATE_HEADER = "Tdx-Node-Certificate"
MAX_SKEW = datetime.timedelta(minutes=5)


class PeerAuthError(Exception):
    """A peer request that is refused; ``check`` names the check that failed."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


class RequestSigner:
    """Signs one node's requests: its key, and what is derived once from its certificate
    (the ``keyid`` fingerprint and the ``Tdx-Node-Certificate`` field)."""

    def __init__(self, key: ed25519.Ed25519PrivateKey, certificate: x509.Certificate) -> None:
        self.key_id = fingerprint(certificate)
        der = certificate.public_bytes(serialization.Encoding.DER)
        self._certificate_field = f":{base64.b64encode(der).decode()}:"
        self._key = key

    def sign(
        self, method: str, url: str, body: bytes, now: datetime.datetime, nonce: str | None = None
    ) -> dict[str, str]:
        """The headers that sign ``method url`` with ``body``: Content-Digest,
        Signature-Input, Signature, and the sender's certificate (the fields, and their
        order, the library's ``HTTPMessageSigner`` writes)."""
        digest = base.content_digest(body)
        params = base.signature_params(
            (
                ("created", int(now.timestamp())),
                ("keyid", self.key_id),
                ("alg", ALGORITHM),
                ("nonce", nonce or secrets.token_urlsafe(18)),
                ("tag", TAG),
            )
        )
        signed = base.signature_base(method.upper(), base.request_path(url), digest, params)
        return {
            "Content-Type": "application/json",
            "Content-Digest": digest,
            "Signature-Input": f"{LABEL}={params}",
            "Signature": base.byte_sequence_member(LABEL, self._key.sign(signed)),
            CERTIFICATE_HEADER: self._certificate_field,
        }


def sign_request(
    method: str,
    url: str,
    body: bytes,
    key: ed25519.Ed25519PrivateKey,
    certificate: x509.Certificate,
    now: datetime.datetime,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that sign one request (``RequestSigner`` for many)."""
    return RequestSigner(key, certificate).sign(method, url, body, now, nonce)


@dataclass(frozen=True)
class SignedBy:
    """Who signed a request that passed every check."""

    certificate: x509.Certificate
    country: str
    key_id: str
    nonce: str
    created: datetime.datetime


@dataclass(frozen=True)
class _Input:
    key_id: str
    nonce: str | None
    created: int
    alg: str | None
    tag: str | None
    expires: int | None
    covered: tuple[str, ...]
    params: str  # the @signature-params value, written from the parsed parameters


def _parsed_field(headers: Mapping[str, str], name: str, label: str) -> Any:
    """The member labelled ``label`` of the Dictionary field ``name`` (value, parameters)."""
    try:
        parsed: Any = http_sf.parse(headers[name].encode(), tltype="dictionary")
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise PeerAuthError("signature-input", f"{name} is malformed: {exc}") from None
    if not isinstance(parsed, dict) or list(parsed) != [label]:
        raise PeerAuthError("signature-input", f"expected one {name} labelled {label!r}")
    return parsed[label]


# The fields exactly as ``RequestSigner`` writes them, which is how every tdx node sends
# them, are read by pattern (a third of the cost of the Structured Field parser); any other
# spelling goes to ``http_sf``. Both readings give the same values and the same base (the
# tests compare them), and a field the pattern takes is already in serialised form.
_OWN_INPUT = re.compile(
    LABEL + r'=\("@method" "@path" "content-digest"\);created=(0|[1-9][0-9]{0,14});'
    r'keyid="(sha256:[0-9a-f]{64})";alg="ed25519";nonce="([A-Za-z0-9_-]{1,128})";'
    r'tag="' + TAG + '"'
)
_OWN_SIGNATURE = re.compile(LABEL + r"=:([A-Za-z0-9+/]{86}==):")  # 64 bytes: Ed25519


def _signature_input(headers: Mapping[str, str]) -> _Input:
    for name in ("signature-input", "signature", "content-digest"):
        if name not in headers:
            raise PeerAuthError("signature-input", f"the request has no {name} field")
    value = headers["signature-input"]
    own = _OWN_INPUT.fullmatch(value)
    if own is not None:
        created, key_id, nonce = own.groups()
        params = value[len(LABEL) + 1 :]
        return _Input(key_id, nonce, int(created), ALGORITHM, TAG, None, COVERED, params)
    return _parsed_signature_input(headers)


def _parsed_signature_input(headers: Mapping[str, str]) -> _Input:
    members, params = _parsed_field(headers, "signature-input", LABEL)
    if not isinstance(members, list) or not all(
        type(value) is str and not item_params for value, item_params in members
    ):
        raise PeerAuthError(
            "signature-input", "the covered components are not a list of plain component names"
        )
    key_id, created = params.get("keyid"), params.get("created")
    if type(key_id) is not str:
        raise PeerAuthError("signature-input", "the signature has no keyid")
    if type(created) is not int:
        raise PeerAuthError("signature-input", "the signature has no created time")
    try:
        written = base.signature_params(params.items())
    except ValueError as exc:
        raise PeerAuthError("signature-input", str(exc)) from None
    get = params.get
    covered = tuple(value for value, _ in members)
    return _Input(
        key_id, get("nonce"), created, get("alg"), get("tag"), get("expires"), covered, written
    )


# Parsing the certificate field is a pure function of its text, and a node hears from few
# peers: the parsed certificate, its fingerprint and its public key are kept (bounded).
# Whether it is trusted is judged on every request.
MAX_CERTIFICATE_FIELD = 8192


@functools.lru_cache(maxsize=256)
def _parsed_certificate(value: str) -> tuple[x509.Certificate, str, Any]:
    try:
        item: Any = http_sf.parse(value.encode(), tltype="item")
        der = item[0]
        if not isinstance(der, bytes):
            raise TypeError("not a byte sequence")
        cert = x509.load_der_x509_certificate(der)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise PeerAuthError(
            "certificate", f"{CERTIFICATE_HEADER} is not a certificate: {exc}"
        ) from None
    try:
        public_key: Any = cert.public_key()
    except (UnsupportedAlgorithm, ValueError):  # not a key tdx knows: no signature verifies
        public_key = None
    return cert, fingerprint(cert), public_key


def _certificate(headers: Mapping[str, str], key_id: str) -> tuple[x509.Certificate, Any]:
    value = headers.get(CERTIFICATE_HEADER.lower())
    if value is None:
        raise PeerAuthError("certificate", f"no {CERTIFICATE_HEADER} field for keyid {key_id}")
    if len(value) > MAX_CERTIFICATE_FIELD:
        raise PeerAuthError("certificate", f"{CERTIFICATE_HEADER} is too long")
    cert, key_fingerprint, public_key = _parsed_certificate(value)
    if key_fingerprint != key_id:
        raise PeerAuthError(
            "certificate", f"keyid {key_id} is not the fingerprint of the certificate sent"
        )
    return cert, public_key


def _signature(headers: Mapping[str, str]) -> bytes:
    own = _OWN_SIGNATURE.fullmatch(headers["signature"])
    if own is not None:
        return base64.b64decode(own.group(1))
    try:
        value, _ = _parsed_field(headers, "signature", LABEL)
    except PeerAuthError as exc:
        raise PeerAuthError("signature", exc.reason) from None
    if not isinstance(value, bytes):
        raise PeerAuthError("signature", f"the Signature member {LABEL!r} is not a byte sequence")
    return value


def _content_digest(headers: Mapping[str, str], body: bytes) -> None:
    if headers["content-digest"] == base.content_digest(body):
        return  # the very field RequestSigner writes for this body
    try:
        ContentDigest.verify(headers["content-digest"], body)
    except (InvalidSignature, HTTPMessageSignaturesException, UnicodeEncodeError) as exc:
        raise PeerAuthError("content-digest", str(exc)) from None


class RequestVerifier:
    """Checks signed peer requests for one receiving node."""

    def __init__(
        self,
        judge: Callable[[x509.Certificate, datetime.datetime], tuple[str | None, str]],
        first_use: Callable[[str, datetime.datetime, datetime.datetime], bool],
    ) -> None:
        """``judge(cert, now)`` is (the node's country, reason) or (None, why not);
        ``first_use(nonce, expires, now)`` records a nonce, False on a replay."""
        self._judge = judge
        self._first_use = first_use

    def verify(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        now: datetime.datetime,
    ) -> SignedBy:
        """``headers`` with lower-case names. Raises ``PeerAuthError`` naming the check."""
        signed = _signature_input(headers)
        cert, public_key = _certificate(headers, signed.key_id)
        country, reason = self._judge(cert, now)
        if country is None:
            raise PeerAuthError("certificate", reason)
        try:
            created = datetime.datetime.fromtimestamp(signed.created, datetime.UTC)
        except (OverflowError, ValueError, OSError):
            raise PeerAuthError("clock-skew", f"created {signed.created} is no time") from None
        skew = abs(now - created)
        if skew > MAX_SKEW:
            raise PeerAuthError(
                "clock-skew",
                f"created {created.isoformat()} is {int(skew.total_seconds())} s from this "
                f"node's clock (at most {int(MAX_SKEW.total_seconds())} s)",
            )
        self._check_signature(signed, public_key, method, url, headers, now)
        _content_digest(headers, body)
        if not signed.nonce:
            raise PeerAuthError("nonce", "the signature has no nonce")
        if not self._first_use(signed.nonce, created + MAX_SKEW, now):
            raise PeerAuthError("nonce", f"nonce {signed.nonce} was already used (a replay)")
        return SignedBy(cert, country, signed.key_id, signed.nonce, created)

    @staticmethod
    def _check_signature(
        signed: _Input,
        public_key: Any,
        method: str,
        url: str,
        headers: Mapping[str, str],
        now: datetime.datetime,
    ) -> None:
        """The ``signature`` check: the profile (algorithm, tag, covered components, not
        expired), then the Ed25519 signature over the base of this very request."""
        if signed.alg not in (None, ALGORITHM):
            raise PeerAuthError("signature", f"algorithm {signed.alg!r} is not ed25519")
        if not isinstance(public_key, ed25519.Ed25519PublicKey):
            raise PeerAuthError("signature", "the certificate's key is not an Ed25519 key")
        if signed.covered != base.COVERED:
            raise PeerAuthError(
                "signature",
                f"the signature covers {' '.join(signed.covered) or 'nothing'}, not exactly "
                f"{' '.join(base.COVERED)}",
            )
        if signed.tag != TAG:
            raise PeerAuthError("signature", f"the signature is not tagged {TAG!r}")
        if signed.expires is not None and signed.expires < (now - MAX_SKEW).timestamp():
            raise PeerAuthError("signature", "the signature has expired")
        signature = _signature(headers)
        try:
            signed_bytes = base.signature_base(
                method.upper(),
                base.request_path(url),
                base.field_value(headers["content-digest"]),
                signed.params,
            )
        except (ValueError, UnicodeEncodeError) as exc:
            raise PeerAuthError("signature", f"no signature base: {exc}") from None
        try:
            public_key.verify(signature, signed_bytes)
        except CryptoInvalidSignature:
            raise PeerAuthError("signature", "the signature does not verify") from None


__all__ = [
    "ALGORITHM",
    "CERTIFICATE_HEADER",
    "COVERED",
    "MAX_SKEW",
    "PeerAuthError",
    "RequestSigner",
    "RequestVerifier",
    "SignedBy",
    "sign_request",
]
