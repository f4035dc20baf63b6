"""Node-to-node requests signed with HTTP Message Signatures (RFC 9421), by the
``http-message-signatures`` library.

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
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import http_sf
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from identity.certificates import fingerprint

COVERED = ("@method", "@path", "content-digest")
TAG = "tdx-peer"
LABEL = "tdx"
CERTIFICATE_HEADER = "Tdx-Node-Certificate"
MAX_SKEW = datetime.timedelta(minutes=5)


class PeerAuthError(Exception):
    """A peer request that is refused; ``check`` names the check that failed."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


@dataclass
class _Message:
    """What the library reads of a request: method, absolute URL, header fields."""

    method: str
    url: str
    headers: dict[str, str]


class RequestSigner:
    """Signs one node's requests: its key, and what is derived once from its certificate
    (the ``keyid`` fingerprint and the ``Tdx-Node-Certificate`` field)."""

    def __init__(self, key: ed25519.Ed25519PrivateKey, certificate: x509.Certificate) -> None:
        self.key_id = fingerprint(certificate)
        der = certificate.public_bytes(serialization.Encoding.DER)
        self._certificate_field = f":{base64.b64encode(der).decode()}:"
        self._signer = HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519,
            key_resolver=MappingKeyResolver(public_keys={}, private_keys={self.key_id: key}),
        )

    def sign(
        self, method: str, url: str, body: bytes, now: datetime.datetime, nonce: str | None = None
    ) -> dict[str, str]:
        """The headers that sign ``method url`` with ``body``: Content-Digest,
        Signature-Input, Signature, and the sender's certificate."""
        headers = {"Content-Type": "application/json"}
        self._signer.sign(
            _Message(method.upper(), url, headers),
            key_id=self.key_id,
            created=now,
            nonce=nonce or secrets.token_urlsafe(18),
            label=LABEL,
            tag=TAG,
            covered_component_ids=COVERED,
            body=body,  # the library writes Content-Digest (RFC 9530, sha-256) from it
        )
        headers[CERTIFICATE_HEADER] = self._certificate_field
        return headers


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


def _signature_input(headers: Mapping[str, str]) -> _Input:
    for name in ("signature-input", "signature", "content-digest"):
        if name not in headers:
            raise PeerAuthError("signature-input", f"the request has no {name} field")
    try:
        parsed: Any = http_sf.parse(headers["signature-input"].encode(), tltype="dictionary")
    except (ValueError, TypeError) as exc:
        raise PeerAuthError("signature-input", f"Signature-Input is malformed: {exc}") from None
    if not isinstance(parsed, dict) or list(parsed) != [LABEL]:
        raise PeerAuthError("signature-input", f"expected one signature labelled {LABEL!r}")
    params = parsed[LABEL][1]
    key_id, created = params.get("keyid"), params.get("created")
    if not isinstance(key_id, str):
        raise PeerAuthError("signature-input", "the signature has no keyid")
    if type(created) is not int:
        raise PeerAuthError("signature-input", "the signature has no created time")
    nonce = params.get("nonce")
    alg = params.get("alg")
    return _Input(key_id, nonce if isinstance(nonce, str) else None, created, alg)


# Parsing the certificate field is a pure function of its text, and a node hears from few
# peers: the parsed certificate and its fingerprint are kept (bounded). Whether it is
# trusted is judged on every request.
MAX_CERTIFICATE_FIELD = 8192


@functools.lru_cache(maxsize=256)
def _parsed_certificate(value: str) -> tuple[x509.Certificate, str]:
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
    return cert, fingerprint(cert)


def _certificate(headers: Mapping[str, str], key_id: str) -> x509.Certificate:
    value = headers.get(CERTIFICATE_HEADER.lower())
    if value is None:
        raise PeerAuthError("certificate", f"no {CERTIFICATE_HEADER} field for keyid {key_id}")
    if len(value) > MAX_CERTIFICATE_FIELD:
        raise PeerAuthError("certificate", f"{CERTIFICATE_HEADER} is too long")
    cert, key_fingerprint = _parsed_certificate(value)
    if key_fingerprint != key_id:
        raise PeerAuthError(
            "certificate", f"keyid {key_id} is not the fingerprint of the certificate sent"
        )
    return cert


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
        cert = _certificate(headers, signed.key_id)
        country, reason = self._judge(cert, now)
        if country is None:
            raise PeerAuthError("certificate", reason)
        created = datetime.datetime.fromtimestamp(signed.created, datetime.UTC)
        skew = abs(now - created)
        if skew > MAX_SKEW:
            raise PeerAuthError(
                "clock-skew",
                f"created {created.isoformat()} is {int(skew.total_seconds())} s from this "
                f"node's clock (at most {int(MAX_SKEW.total_seconds())} s)",
            )
        if signed.alg not in (None, algorithms.ED25519.algorithm_id):
            raise PeerAuthError("signature", f"algorithm {signed.alg!r} is not ed25519")
        verifier = _Verifier(
            signature_algorithm=algorithms.ED25519,
            key_resolver=MappingKeyResolver(
                public_keys={signed.key_id: cert.public_key()},  # type: ignore[dict-item]
                private_keys={},
            ),
        )
        message = _Message(method.upper(), url, dict(headers))
        try:
            verifier.verify(message, max_age=None, expect_tag=TAG, require_components=COVERED)
        except (InvalidSignature, HTTPMessageSignaturesException) as exc:
            raise PeerAuthError("signature", f"the signature does not verify: {exc}") from None
        try:
            ContentDigest.verify(headers["content-digest"], body)
        except (InvalidSignature, HTTPMessageSignaturesException) as exc:
            raise PeerAuthError("content-digest", str(exc)) from None
        if not signed.nonce:
            raise PeerAuthError("nonce", "the signature has no nonce")
        if not self._first_use(signed.nonce, created + MAX_SKEW, now):
            raise PeerAuthError("nonce", f"nonce {signed.nonce} was already used (a replay)")
        return SignedBy(cert, country, signed.key_id, signed.nonce, created)


class _Verifier(HTTPMessageVerifier):
    # The receiver checks the 5-minute skew itself (its own clock, its own check name);
    # the library's own future-time tolerance is widened to match.
    max_clock_skew = MAX_SKEW


__all__ = [
    "CERTIFICATE_HEADER",
    "COVERED",
    "MAX_SKEW",
    "PeerAuthError",
    "RequestSigner",
    "RequestVerifier",
    "SignedBy",
    "sign_request",
]
