"""JWS (RFC 7515) compact signatures whose ``x5c`` header carries the signer's chain.

The algorithm is never negotiated by the input: it must be on the caller's allowlist
(at most ES256, EdDSA and the national SM2SM3 and GOST3410-2012-256) and must match the
key in the signer's certificate. Headers that would fetch or embed other keys (``jku``,
``jwk``, ``x5u``) and any ``crit`` header are refused; ``none`` and HMAC never verify.

joserfc signs ES256 and EdDSA. Its algorithm registry could take the national algorithms,
but its key lookup admits only JWK key types and SM2 and GOST have no JWK ``kty``; so for
them this module forms the compact serialization itself (RFC 7515 5.1). Verification of
every algorithm is this module's (RFC 7515 5.2, strict base64url, the header decoded once
per signer), with the signature mathematics pyca/cryptography's or the national plugin's:
on the hot path of every verification joserfc's own checks cost more than the signature.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import string
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

from identity.keys import PrivateKey, PublicKey, SigningKey
from identity.national import NationalKeyError, NationalPrivateKey, NationalPublicKey, registry

ES256 = "ES256"
EDDSA = "EdDSA"
SM2SM3 = registry.SM2_SM3.name
GOST3410_2012_256 = registry.GOST_2012_256.name
SUPPORTED_ALGORITHMS = frozenset({ES256, EDDSA, *registry.NAMES})
_REFUSED_HEADERS = ("jku", "jwk", "x5u", "crit")
MAX_X5C = 4  # a tdx chain is a leaf and its root; more is refused before any parsing


class JwsError(ValueError):
    """A JWS that is malformed, uses a refused algorithm, or whose signature fails."""


@dataclass(frozen=True)
class VerifiedJws:
    header: Mapping[str, Any]
    payload: bytes
    chain: Sequence[x509.Certificate]


AnyPublicKey: TypeAlias = PublicKey | NationalPublicKey


def algorithm_for(key: SigningKey | AnyPublicKey) -> str:
    if isinstance(key, NationalPrivateKey | NationalPublicKey):
        return key.algorithm
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return EDDSA
    if isinstance(key.curve, ec.SECP256R1):
        return ES256
    raise JwsError(f"no allowed JWS algorithm for curve {key.curve.name}")


def _jose_key(key: PrivateKey | PublicKey) -> ECKey | OKPKey:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return OKPKey.import_key(key)
    return ECKey.import_key(key)


@functools.lru_cache(maxsize=256)
def _b64(cert: x509.Certificate) -> str:
    # x5c uses standard base64 of DER (RFC 7515 4.1.6), not base64url. A signer signs with
    # the same chain again and again: the encoding is kept (certificates hash by DER).
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


class _X5cRegistry(jws.JWSRegistry):
    # joserfc caps headers at 512 bytes; an x5c header carries two DER certificates.
    max_header_length = 8192


# One registry per joserfc algorithm, each allowing only that algorithm (they hold no state).
_REGISTRIES = {alg: _X5cRegistry(algorithms=[alg]) for alg in (ES256, EDDSA)}


def _registry(alg: str) -> jws.JWSRegistry:
    return _REGISTRIES[alg]


def _call_joserfc(fn: Any, alg: str, *args: Any, **kwargs: Any) -> Any:
    if alg != EDDSA:
        return fn(*args, **kwargs)
    # joserfc warns that "EdDSA" is superseded by RFC 9864's "Ed25519"; the EdDSA name is
    # the one our peers and the trust list use, so the warning is expected here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*EdDSA.*")
        return fn(*args, **kwargs)


# Parsing a certificate and importing its key are pure functions of the x5c entry; a node
# sees few signers, so both are kept (bounded). Signatures are checked every time.
@functools.lru_cache(maxsize=4096)
def _x5c_certificate(entry: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(entry, validate=True))


@functools.lru_cache(maxsize=4096)
def _x5c_key(entry: str) -> AnyPublicKey:
    cert = _x5c_certificate(entry)
    try:
        key = cert.public_key()
    except UnsupportedAlgorithm:
        # Not a pyca key type: SM2 or GOST, or a key tdx does not accept at all.
        try:
            return registry.public_key_of(cert)
        except NationalKeyError as exc:
            raise JwsError(f"the signer's certificate key is not allowed: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise JwsError(f"the signer's certificate key is malformed: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise JwsError(f"signer key type {type(key).__name__} is not allowed")
    return key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_BASE64URL = (string.ascii_letters + string.digits + "-_").encode()


def _b64url_decode(segment: bytes) -> bytes:
    # Strict: the unpadded base64url alphabet only (RFC 7515 2), nothing else accepted
    # (what is left once the alphabet is deleted: a C loop, where a regex costs a microsecond).
    if segment.translate(None, _BASE64URL) or len(segment) % 4 == 1:
        raise JwsError("malformed JWS: a segment is not unpadded base64url")
    return base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))


def _protected(header: dict[str, Any]) -> str:
    """The header segment: base64url of the header's JSON, as joserfc writes it."""
    return _b64url(json.dumps(header, separators=(",", ":")).encode())


@functools.lru_cache(maxsize=256)
def _kept_head(alg: str, typ: str, chain: tuple[x509.Certificate, ...]) -> str:
    # A signer's header is the same on every signature it makes: encoded once.
    return _protected({"alg": alg, "typ": typ, "x5c": [_b64(c) for c in chain]})


def _compact(head: str, payload: bytes, key: SigningKey) -> str:
    """A compact JWS (RFC 7515 5.1) of the header segment ``head``. ES256's signature is
    R || S (RFC 7518 3.4), from the DER that pyca/cryptography returns; the others'
    signatures are used as they come."""
    signing_input = head + "." + _b64url(payload)
    data = signing_input.encode("ascii")
    if isinstance(key, ec.EllipticCurvePrivateKey):  # P-256 only: algorithm_for said ES256
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = key.sign(data)
    return signing_input + "." + _b64url(signature)


def _chain_header(
    key: SigningKey, chain: list[x509.Certificate], typ: str, extra: dict[str, Any] | None
) -> dict[str, Any]:
    header: dict[str, Any] = {
        "alg": algorithm_for(key),
        "typ": typ,
        "x5c": [_b64(c) for c in chain],
    }
    if extra:
        header.update(extra)
    return header


def sign(
    payload: bytes,
    key: SigningKey,
    chain: list[x509.Certificate],
    typ: str,
    extra_header: dict[str, Any] | None = None,
) -> str:
    """Sign ``payload``; the header carries ``alg``, ``typ`` and the ``x5c`` chain.

    The token is built here, byte for byte as joserfc builds it (the header's JSON, then
    base64url of each part), at a fraction of the cost: joserfc imports the key into a JWK
    object and checks it on every call, and a node signs every document it issues. A
    signer's header without extra fields is encoded once and kept."""
    if not extra_header:
        return _compact(_kept_head(algorithm_for(key), typ, tuple(chain)), payload, key)
    return _compact(_protected(_chain_header(key, chain, typ, extra_header)), payload, key)


class ChainSigner:
    """``sign`` for many payloads by one key, chain and type, its protected header encoded
    once (a node signs its answer to every peer query so). The same tokens as ``sign``."""

    def __init__(self, key: SigningKey, chain: list[x509.Certificate], typ: str) -> None:
        self._key = key
        self._head = _protected(_chain_header(key, list(chain), typ, None))

    def sign(self, payload: bytes) -> str:
        return _compact(self._head, payload, self._key)


def sign_with_key(payload: bytes, key: PrivateKey, typ: str) -> str:
    """Sign with a bare key (no chain), for files whose signer is pinned in configuration."""
    alg = algorithm_for(key)
    token: str = _call_joserfc(
        jws.serialize_compact,
        alg,
        {"alg": alg, "typ": typ},
        payload,
        _jose_key(key),
        registry=_registry(alg),
    )
    return token


# A compact JWS is checked here, not by joserfc: joserfc's extraction and validation cost
# more than the ES256 verification itself (0.1 ms of 0.2 ms a document). The header, which
# is the same for every signature one signer makes (alg, typ, x5c), is decoded once and
# kept; the signature is checked with pyca/cryptography on every call.
MAX_HEADERS = 1024  # distinct signers' headers kept; a node sees few signers
MAX_HEADER_LENGTH = 8192  # base64url characters: an x5c header carries two DER certificates


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise JwsError("the JWS header repeats a member")
    return obj


@functools.lru_cache(maxsize=MAX_HEADERS)
def _header(segment: str) -> dict[str, Any]:
    """The protected header of a compact JWS, decoded from its first segment."""
    if len(segment) > MAX_HEADER_LENGTH:
        raise JwsError(f"malformed JWS: the header is over {MAX_HEADER_LENGTH} characters")
    try:
        header = json.loads(
            _b64url_decode(segment.encode("ascii")), object_pairs_hook=_refuse_duplicates
        )
    except (ValueError, UnicodeError) as exc:  # JSONDecodeError and JwsError are ValueErrors
        raise JwsError(f"malformed JWS: the header is not base64url JSON ({exc})") from None
    if not isinstance(header, dict):
        raise JwsError("the JWS header is not a JSON object")
    return header


def _split(token: str) -> tuple[str, bytes, bytes, bytes]:
    """The header segment, the signing input, the payload and the signature octets."""
    if token.count(".") != 2:
        raise JwsError("not a compact JWS (expected three dot-separated parts)")
    head, payload, signature = token.split(".")
    try:
        signing_input = f"{head}.{payload}".encode("ascii")
        return (
            head,
            signing_input,
            _b64url_decode(payload.encode("ascii")),
            _b64url_decode(signature.encode("ascii")),
        )
    except UnicodeError:
        raise JwsError("malformed JWS: not ASCII") from None


def _check_header(header: dict[str, Any], allowed: Collection[str], typ: str) -> str:
    alg = header.get("alg")
    if alg not in allowed or alg not in SUPPORTED_ALGORITHMS:
        raise JwsError(f"algorithm {alg!r} is not allowed (allowed: {', '.join(sorted(allowed))})")
    for name in _REFUSED_HEADERS:
        if name in header:
            raise JwsError(f"header {name!r} is refused")
    if header.get("typ") != typ:
        raise JwsError(f"JWS typ is {header.get('typ')!r}, expected {typ!r}")
    return str(alg)


_ES256_HASH = ec.ECDSA(hashes.SHA256())


def _check_signature(key: AnyPublicKey, alg: str, signing_input: bytes, signature: bytes) -> None:
    """The signature over ``signing_input`` with ``key``, whose algorithm must be ``alg``."""
    if algorithm_for(key) != alg:
        raise JwsError(f"header alg {alg} does not match the signer's {algorithm_for(key)} key")
    if isinstance(key, NationalPublicKey):
        valid = key.verify(signature, signing_input)
    elif isinstance(key, ed25519.Ed25519PublicKey):
        try:
            key.verify(signature, signing_input)
            valid = True
        except InvalidSignature:
            valid = False
    else:
        # ES256's signature is R || S, 32 octets each (RFC 7518 3.4); cryptography takes DER.
        valid = len(signature) == 64
        if valid:
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            try:
                key.verify(der, signing_input, _ES256_HASH)
            except InvalidSignature:
                valid = False
    if not valid:
        raise JwsError("signature does not verify (bad_signature)")


@dataclass(frozen=True)
class _Signer:
    """What a header names, opened once per distinct header: its algorithm (allowlisted by
    each caller), the x5c chain and the leaf's key."""

    header: dict[str, Any]
    chain: tuple[x509.Certificate, ...]
    key: AnyPublicKey


@functools.lru_cache(maxsize=MAX_HEADERS)
def _signer(segment: str) -> _Signer:
    header = _header(segment)
    x5c = header.get("x5c")
    if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
        raise JwsError("the JWS has no x5c certificate chain")
    if len(x5c) > MAX_X5C:
        raise JwsError(f"the x5c chain has {len(x5c)} certificates (at most {MAX_X5C})")
    try:
        chain = tuple(_x5c_certificate(c) for c in x5c)
    except (binascii.Error, ValueError) as exc:
        raise JwsError(f"an x5c entry is not a base64 DER certificate: {exc}") from exc
    return _Signer(header, chain, _x5c_key(x5c[0]))


def _signer_for(head: str, allowed: Collection[str], typ: str) -> tuple[_Signer, str]:
    """The header's signer and its allowed algorithm, which must be the signer's key's."""
    if isinstance(allowed, frozenset):  # hashable: a pure function of its arguments, kept
        return _allowed_signer(head, allowed, typ)
    return _check_signer(head, allowed, typ)


@functools.lru_cache(maxsize=MAX_HEADERS)
def _allowed_signer(head: str, allowed: frozenset[str], typ: str) -> tuple[_Signer, str]:
    return _check_signer(head, allowed, typ)


def _check_signer(head: str, allowed: Collection[str], typ: str) -> tuple[_Signer, str]:
    signer = _signer(head)
    alg = _check_header(signer.header, allowed, typ)
    if algorithm_for(signer.key) != alg:
        raise JwsError(
            f"header alg {alg} does not match the signer's {algorithm_for(signer.key)} key"
        )
    return signer, alg


def verify(token: str, allowed: Collection[str], typ: str) -> VerifiedJws:
    """Check the signature with the key of the first ``x5c`` certificate.

    This proves only that the holder of that certificate's key signed; whether the chain
    is trusted is the chain validator's question.
    """
    head, signing_input, payload, signature = _split(token)
    signer, alg = _signer_for(head, allowed, typ)
    _check_signature(signer.key, alg, signing_input, signature)
    return VerifiedJws(dict(signer.header), payload, list(signer.chain))


def open_verified_before(token: str, allowed: Collection[str], typ: str) -> VerifiedJws:
    """What ``verify`` checks and returns, except the signature's mathematics, for a token
    whose signature the caller verified before over exactly the same bytes (and knows it,
    e.g. by their SHA-256): the algorithm is still allowlisted, the header still well formed
    and the key still the algorithm's. Never for bytes not verified before."""
    if token.count(".") != 2:
        raise JwsError("not a compact JWS (expected three dot-separated parts)")
    head, payload, _ = token.split(".")
    signer, _ = _signer_for(head, allowed, typ)
    try:
        return VerifiedJws(signer.header, _b64url_decode(payload.encode("ascii")), signer.chain)
    except UnicodeError:
        raise JwsError("malformed JWS: not ASCII") from None


def verify_with_key(token: str, key: PublicKey, typ: str) -> bytes:
    """Verify a JWS made by ``sign_with_key`` against a pinned public key."""
    head, signing_input, payload, signature = _split(token)
    alg = _check_header(_header(head), SUPPORTED_ALGORITHMS, typ)
    _check_signature(key, alg, signing_input, signature)
    return payload
