"""The JWS of PINT: compact serialisation, ``PS256``, ``RS256`` or ``ES256``, and a ``kid``.

A platform signs with its own key; a receiver finds the signer's key by ``kid`` in its
``KeyRing`` (the keys of the platforms it has agreed to trade with, exchanged out of band)
and learns from the ring which platform that key speaks for. The algorithm is never chosen
by the input: it must be on the allowlist and fit the key the ``kid`` names (ES256 for a
P-256 key; PS256 or RS256 for an RSA key of at least 2,048 bits). A ``kid`` is the RFC 7638
thumbprint of the public key. Headers that would bring their own key (``jwk``, ``jku``,
``x5u``) or change what is signed (``crit``, ``b64``) are refused.

Payloads are signed in their RFC 8785 canonical form and parsed strictly (duplicate keys
refused), so two parsers can never read one signed payload two ways.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from chaincode.canonical import CanonicalizationError, canonical_bytes, parse_json

ES256, PS256, RS256 = "ES256", "PS256", "RS256"
ALLOWED_ALGORITHMS = frozenset({ES256, PS256, RS256})
MIN_RSA_BITS = 2048
_REFUSED_HEADERS = ("jwk", "jku", "x5u", "crit", "b64")

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class KeyNotAllowedError(ValueError):
    """A key PINT's algorithms cannot sign with (not P-256, not RSA of 2,048 bits or more)."""


class SignatureError(ValueError):
    """The signature cannot be trusted: malformed, unknown key, refused algorithm or header,
    or it does not verify. A receiver answers ``BSIG``."""


class PayloadError(ValueError):
    """The signature verifies but the payload is not a JSON object. A receiver answers
    ``BENV``."""


def algorithms_for(key: PublicKey | PrivateKey) -> frozenset[str]:
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise KeyNotAllowedError(f"EC curve {key.curve.name} is not P-256 (ES256)")
        return frozenset({ES256})
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise KeyNotAllowedError(f"RSA key of {key.key_size} bits (at least {MIN_RSA_BITS})")
        return frozenset({PS256, RS256})
    raise KeyNotAllowedError(f"{type(key).__name__} keys cannot sign PINT content")


def _jose(key: PublicKey | PrivateKey) -> ECKey | RSAKey:
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return RSAKey.import_key(key)
    return ECKey.import_key(key)


def key_id(key: PublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key."""
    algorithms_for(key)
    return str(_jose(key).thumbprint())


def _registry(alg: str) -> jws.JWSRegistry:
    return jws.JWSRegistry(algorithms=[alg])


@dataclass(frozen=True)
class PlatformSigner:
    """A platform's signing key, the platform code it speaks for, and its algorithm."""

    platform: str
    key: PrivateKey
    algorithm: str
    kid: str = field(init=False)

    def __post_init__(self) -> None:
        allowed = algorithms_for(self.key)
        if self.algorithm not in allowed:
            allows = ", ".join(sorted(allowed))
            raise KeyNotAllowedError(f"{self.algorithm} cannot sign with this key ({allows})")
        object.__setattr__(self, "kid", key_id(self.key.public_key()))

    @classmethod
    def of(cls, platform: str, key: PrivateKey, algorithm: str | None = None) -> PlatformSigner:
        """PS256 for an RSA key and ES256 for a P-256 key, unless told otherwise."""
        default = PS256 if isinstance(key, rsa.RSAPrivateKey) else ES256
        return cls(platform, key, algorithm or default)

    def public_key(self) -> PublicKey:
        return self.key.public_key()

    def sign(self, payload: Mapping[str, Any]) -> str:
        return sign_bytes(canonical_bytes(dict(payload)), self.key, self.algorithm, self.kid)


def sign_bytes(payload: bytes, key: PrivateKey, algorithm: str, kid: str) -> str:
    """A compact JWS with exactly ``{"alg", "kid"}`` in its header."""
    if algorithm not in ALLOWED_ALGORITHMS or algorithm not in algorithms_for(key):
        raise KeyNotAllowedError(f"{algorithm} is not allowed for this key")
    header = {"alg": algorithm, "kid": kid}
    token: str = jws.serialize_compact(header, payload, _jose(key), registry=_registry(algorithm))
    return token


@dataclass(frozen=True)
class TrustedKey:
    platform: str
    key: PublicKey
    kid: str


class KeyRing:
    """The public keys this platform trusts, each bound to the one platform it speaks for."""

    def __init__(self, keys: Iterable[TrustedKey] = ()) -> None:
        self._by_kid: dict[str, TrustedKey] = {}
        for k in keys:
            self._add(k)

    def _add(self, trusted: TrustedKey) -> None:
        known = self._by_kid.get(trusted.kid)
        if known is not None and known.platform != trusted.platform:
            raise ValueError(
                f"key {trusted.kid} is listed for {known.platform} and {trusted.platform}"
            )
        self._by_kid[trusted.kid] = trusted

    @classmethod
    def of(cls, keys: Mapping[str, Iterable[PublicKey]]) -> KeyRing:
        """From platform code → public keys."""
        return cls(
            TrustedKey(platform, key, key_id(key)) for platform, ks in keys.items() for key in ks
        )

    def add(self, platform: str, key: PublicKey) -> TrustedKey:
        trusted = TrustedKey(platform, key, key_id(key))
        self._add(trusted)
        return trusted

    def get(self, kid: str) -> TrustedKey | None:
        return self._by_kid.get(kid)

    def platforms(self) -> frozenset[str]:
        return frozenset(k.platform for k in self._by_kid.values())


@dataclass(frozen=True)
class Verified:
    platform: str
    kid: str
    algorithm: str
    payload: dict[str, Any]


def _segment(text: str, what: str) -> bytes:
    # Strict base64url without padding (RFC 7515 2), in its one canonical spelling: unused
    # trailing bits must be zero, so no two strings carry the same bytes (chain checksums
    # are over the string).
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise SignatureError(f"the JWS {what} is not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SignatureError(f"the JWS {what} is not base64url") from exc
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode() != text:
        raise SignatureError(f"the JWS {what} is not in canonical base64url")
    return data


_B64URL = re.compile(r"[A-Za-z0-9_-]+")


def header_of(token: str) -> dict[str, Any]:
    """The protected header, parsed strictly (no signature check)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise SignatureError("not a compact JWS (three dot-separated parts)")
    try:
        header = parse_json(_segment(parts[0], "header"))
    except CanonicalizationError as exc:
        raise SignatureError(f"the JWS header is not JSON: {exc}") from exc
    if not isinstance(header, dict):
        raise SignatureError("the JWS header is not a JSON object")
    return header


def payload_bytes(token: str) -> bytes:
    """The payload's bytes, without checking the signature."""
    parts = token.split(".")
    if len(parts) != 3:
        raise SignatureError("not a compact JWS (three dot-separated parts)")
    return _segment(parts[1], "payload")


def unverified_payload(token: str) -> Any:
    """The payload, parsed strictly, without checking the signature (to route the check)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise SignatureError("not a compact JWS (three dot-separated parts)")
    try:
        return parse_json(_segment(parts[1], "payload"))
    except CanonicalizationError as exc:
        raise PayloadError(f"the signed payload is not JSON: {exc}") from exc


def verify(token: str, ring: KeyRing) -> Verified:
    """Check a compact JWS against the key its ``kid`` names in ``ring``."""
    header = header_of(token)
    for part, what in zip(token.split(".")[1:], ("payload", "signature"), strict=True):
        _segment(part, what)
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise SignatureError(
            f"algorithm {alg!r} is not allowed (allowed: {', '.join(sorted(ALLOWED_ALGORITHMS))})"
        )
    for name in _REFUSED_HEADERS:
        if name in header:
            raise SignatureError(f"JWS header {name!r} is refused")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise SignatureError("the JWS header has no kid")
    trusted = ring.get(kid)
    if trusted is None:
        raise SignatureError(f"unknown signing key (kid {kid})")
    if alg not in algorithms_for(trusted.key):
        raise SignatureError(f"{alg} does not fit the {trusted.platform} key {kid}")
    try:
        obj = jws.extract_compact(token.encode("ascii"), registry=_registry(str(alg)))
        valid = jws.validate_compact(obj, _jose(trusted.key), registry=_registry(str(alg)))
    except (JoseError, ValueError) as exc:
        raise SignatureError(f"the JWS is malformed: {exc}") from exc
    if not valid:
        raise SignatureError(f"the signature does not verify with the {trusted.platform} key {kid}")
    try:
        payload = parse_json(obj.payload)
    except CanonicalizationError as exc:
        raise PayloadError(f"the signed payload is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PayloadError("the signed payload is not a JSON object")
    return Verified(trusted.platform, kid, str(alg), payload)
