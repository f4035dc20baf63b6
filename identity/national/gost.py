"""GOST R 34.10-2012 signatures, 256-bit, with the Streebog-256 hash (GOST R 34.11-2012),
Russia.

- JWS ``alg`` ``GOST3410-2012-256``. The hash e is Streebog-256 of the signing input read
  as a little-endian integer, and the signature is s || r, 32 octets each, big-endian: the
  conventions of RFC 4491 / RFC 9215 and of every GOST implementation in use (CryptoPro,
  OpenSSL's gost engine), so a signature made by any of them fits a JWS unchanged.
- The curve is id-tc26-gost-3410-2012-256-paramSetB (1.2.643.7.1.2.1.1.2), the same curve
  as CryptoPro-A and CryptoPro-XchA (1.2.643.2.2.35.1, 1.2.643.2.2.36.0), which are read
  too. Its cofactor is 1.
- Keys in X.509 (RFC 9215): algorithm 1.2.643.7.1.1.1.1 with GostR3410-2012-PublicKeyParameters
  {publicKeyParamSet} (digestParamSet omitted, as section 4.2 requires for the tc26 sets;
  accepted if it names Streebog-256), and the key as an OCTET STRING of x || y, each
  32 octets little-endian. The certificate signature OID is 1.2.643.7.1.1.3.2.
- PKCS#8 holds the private key as an OCTET STRING of 32 octets, little-endian, as PyGOST
  reads and writes it (RFC 9215 does not cover private keys).

gostcrypto does the hashing and the signature arithmetic; the nonce k is drawn here with
``secrets.randbelow`` and passed in, so the library's own nonce source is never used.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from asn1crypto import core
from gostcrypto import gosthash, gostsignature

from identity.national.encoding import (
    KeyEncoding,
    octet_string_der,
    read_octet_string,
    read_pkcs8,
    read_spki,
    write_pkcs8,
    write_spki,
)
from identity.national.interface import NationalKeyError, NationalPrivateKey, NationalPublicKey

ALG = "GOST3410-2012-256"
GOST_2012_256 = "1.2.643.7.1.1.1.1"
GOST_2012_256_WITH_STREEBOG_256 = "1.2.643.7.1.1.3.2"
STREEBOG_256 = "1.2.643.7.1.1.2.2"
PARAM_SET_B = "1.2.643.7.1.2.1.1.2"  # id-tc26-gost-3410-2012-256-paramSetB
# The same curve under its CryptoPro names (RFC 4357); real certificates use them.
SAME_CURVE = frozenset({PARAM_SET_B, "1.2.643.2.2.35.1", "1.2.643.2.2.36.0"})

_CURVE = gostsignature.CURVES_R_1323565_1_024_2019["id-tc26-gost-3410-2012-256-paramSetB"]
P: int = _CURVE["p"]
A: int = _CURVE["a"]
B: int = _CURVE["b"]
Q: int = _CURVE["q"]


class _PublicKeyParameters(core.Sequence):  # type: ignore[misc]
    # GostR3410-2012-PublicKeyParameters, RFC 9215 section 4.2.
    _fields = [  # noqa: RUF012 (asn1crypto's declaration style)
        ("public_key_param_set", core.ObjectIdentifier),
        ("digest_param_set", core.ObjectIdentifier, {"optional": True}),
    ]


_PARAMETERS = bytes(_PublicKeyParameters({"public_key_param_set": PARAM_SET_B}).dump())


def _engine() -> gostsignature.GOST34102012:
    return gostsignature.new(gostsignature.MODE_256, _CURVE)


def streebog256(data: bytes) -> bytes:
    return bytes(gosthash.new("streebog256", data=data).digest())


def _hash_for_engine(message: bytes) -> bytearray:
    # gostcrypto reads the digest big-endian; the standard's vector h is the hash octets
    # read little-endian, so they are reversed here (as PyGOST and the gost engine do).
    return bytearray(streebog256(message)[::-1])


def _check_point(x: int, y: int) -> None:
    if not (0 <= x < P and 0 <= y < P) or (y * y - (x * x * x + A * x + B)) % P != 0:
        raise NationalKeyError("the GOST public key is not a point on the paramSetB curve")


@dataclass(frozen=True)
class GostPublicKey(NationalPublicKey):
    x: int
    y: int

    def __post_init__(self) -> None:
        _check_point(self.x, self.y)

    @property
    def algorithm(self) -> str:
        return ALG

    def verify(self, signature: bytes, message: bytes) -> bool:
        if len(signature) != 64:
            return False
        s, r = signature[:32], signature[32:]
        point = bytearray(self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big"))
        try:
            return bool(_engine().verify(point, _hash_for_engine(message), bytearray(r + s)))
        except gostsignature.GOSTSignatureError:
            return False

    def spki_der(self) -> bytes:
        key = octet_string_der(self.x.to_bytes(32, "little") + self.y.to_bytes(32, "little"))
        return write_spki(KeyEncoding(GOST_2012_256, _PARAMETERS, key))


@dataclass(frozen=True)
class GostPrivateKey(NationalPrivateKey):
    d: int = field(repr=False)
    public: GostPublicKey

    def __post_init__(self) -> None:
        if not 0 < self.d < Q:
            raise NationalKeyError("the GOST private key is out of range [1, q-1]")

    @property
    def algorithm(self) -> str:
        return ALG

    def public_key(self) -> GostPublicKey:
        return self.public

    def sign(self, message: bytes) -> bytes:
        k = secrets.randbelow(Q - 1) + 1  # never the library's default nonce source
        rs = _engine().sign(
            bytearray(self.d.to_bytes(32, "big")),
            _hash_for_engine(message),
            bytearray(k.to_bytes(32, "big")),
        )
        return bytes(rs[32:] + rs[:32])  # gostcrypto gives r || s; the wire form is s || r

    def pkcs8_der(self) -> bytes:
        key = octet_string_der(self.d.to_bytes(32, "little"))
        return write_pkcs8(KeyEncoding(GOST_2012_256, _PARAMETERS, key))


def _public_from_scalar(d: int) -> GostPublicKey:
    point = _engine().public_key_generate(bytearray(d.to_bytes(32, "big")))
    return GostPublicKey(int.from_bytes(point[:32], "big"), int.from_bytes(point[32:], "big"))


@dataclass(frozen=True)
class Gost2012With256:
    """The plugin."""

    @property
    def name(self) -> str:
        return ALG

    @property
    def description(self) -> str:
        return "GOST R 34.10-2012 (256-bit, paramSetB) with Streebog-256, Russia"

    def generate(self) -> GostPrivateKey:
        d = secrets.randbelow(Q - 1) + 1
        return GostPrivateKey(d, _public_from_scalar(d))

    def handles_spki(self, algorithm_oid: str, parameters_der: bytes | None) -> bool:
        return algorithm_oid == GOST_2012_256

    def _check_parameters(self, parameters_der: bytes | None) -> None:
        if parameters_der is None:
            raise NationalKeyError("a GOST key must name its parameter set (RFC 9215 4.2)")
        try:
            params = _PublicKeyParameters.load(parameters_der, strict=True)
            param_set = params["public_key_param_set"].dotted
            digest = params["digest_param_set"]
            digest_oid = None if isinstance(digest, core.Void) else digest.dotted
        except (ValueError, TypeError) as exc:
            raise NationalKeyError(f"malformed GOST key parameters: {exc}") from exc
        if param_set not in SAME_CURVE:
            raise NationalKeyError(
                f"GOST parameter set {param_set} is not allowed (allowed: paramSetB = CryptoPro-A)"
            )
        if digest_oid not in (None, STREEBOG_256):
            raise NationalKeyError(f"GOST digest parameter set {digest_oid} is not Streebog-256")

    def load_public(self, spki_der: bytes) -> GostPublicKey:
        enc = read_spki(spki_der)
        if enc.algorithm != GOST_2012_256:
            raise NationalKeyError(f"not a GOST R 34.10-2012 256-bit key ({GOST_2012_256})")
        self._check_parameters(enc.parameters)
        raw = read_octet_string(enc.key, "the GOST public key")
        if len(raw) != 64:
            raise NationalKeyError("the GOST public key must be 64 octets (x || y)")
        return GostPublicKey(int.from_bytes(raw[:32], "little"), int.from_bytes(raw[32:], "little"))

    def load_private(self, pkcs8_der: bytes) -> GostPrivateKey:
        enc = read_pkcs8(pkcs8_der)
        if enc.algorithm != GOST_2012_256:
            raise NationalKeyError(f"not a GOST R 34.10-2012 256-bit key ({GOST_2012_256})")
        self._check_parameters(enc.parameters)
        raw = read_octet_string(enc.key, "the GOST private key")
        if len(raw) != 32:
            raise NationalKeyError("the GOST private key must be 32 octets")
        d = int.from_bytes(raw, "little")
        if not 0 < d < Q:
            raise NationalKeyError("the GOST private key is out of range [1, q-1]")
        return GostPrivateKey(d, _public_from_scalar(d))
