"""SM2 signatures with SM3 (China): GB/T 32918.2-2016 over the GB/T 32918.5 curve.

- JWS ``alg`` ``SM2SM3``. The signature is r || s, 32 octets each, big-endian, as JWS
  writes ES256 (RFC 7518 3.4).
- The signer's distinguishing ID enters the hash (Z_A). It is ``1234567812345678`` (GB/T
  35276-2017 and GM/T 0009 default) unless a plugin is built with another one.
- Keys in X.509 and PKCS#8 are ``id-ecPublicKey`` with the named curve ``sm2p256v1``
  (1.2.156.10197.1.301), as GB/T 20518-2018 and RFC 8998 write them; the point is
  uncompressed. The certificate signature OID SM2-with-SM3 is 1.2.156.10197.1.501.

Signing uses gmalg (pure Python) with the nonce drawn by ``secrets.randbits``; verifying
uses GmSSL through gmssl_pyx, which is about fifty times faster and is the reference
implementation the Chinese PKI uses. Both are checked against the standard's vectors.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, field

import gmalg
import gmssl_pyx
from asn1crypto import algos, core, keys

from identity.national.encoding import (
    KeyEncoding,
    oid_der,
    read_pkcs8,
    read_spki,
    write_pkcs8,
    write_spki,
)
from identity.national.interface import NationalKeyError, NationalPrivateKey, NationalPublicKey

ALG = "SM2SM3"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"
SM2_CURVE = "1.2.156.10197.1.301"
SM2_WITH_SM3 = "1.2.156.10197.1.501"
DEFAULT_USER_ID = b"1234567812345678"

# GB/T 32918.5-2016: the recommended 256-bit curve (a = p - 3).
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = P - 3
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

_CURVE_PARAMETERS = oid_der(SM2_CURVE)


def _point(x: int, y: int) -> bytes:
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def _check_point(x: int, y: int) -> None:
    # The curve has cofactor 1, so a point on it (not at infinity) is a valid key.
    if not (0 <= x < P and 0 <= y < P) or (y * y - (x * x * x + A * x + B)) % P != 0:
        raise NationalKeyError("the SM2 public key is not a point on the SM2 curve")


def _valid_id(user_id: bytes) -> bytes:
    # ENTL is a 16-bit count of bits (GB/T 32918.2 5.5).
    if not 0 < len(user_id) < 8192:
        raise NationalKeyError("the SM2 distinguishing ID must be 1 to 8191 octets")
    return user_id


@dataclass(frozen=True)
class SM2PublicKey(NationalPublicKey):
    x: int
    y: int
    user_id: bytes = DEFAULT_USER_ID

    def __post_init__(self) -> None:
        _check_point(self.x, self.y)
        _valid_id(self.user_id)

    @property
    def algorithm(self) -> str:
        return ALG

    def verify(self, signature: bytes, message: bytes) -> bool:
        if len(signature) != 64:
            return False
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not (0 < r < N and 0 < s < N):
            return False
        der = algos.DSASignature({"r": r, "s": s}).dump()  # SM2Signature, GM/T 0009
        try:
            return bool(gmssl_pyx.sm2_verify(self._raw, message, der, self.user_id))
        except gmssl_pyx.GmsslInnerError:
            return False

    @functools.cached_property
    def _raw(self) -> bytes:
        return _point(self.x, self.y)[1:]

    def spki_der(self) -> bytes:
        return write_spki(KeyEncoding(EC_PUBLIC_KEY, _CURVE_PARAMETERS, _point(self.x, self.y)))


@dataclass(frozen=True)
class SM2PrivateKey(NationalPrivateKey):
    d: int = field(repr=False)
    public: SM2PublicKey

    def __post_init__(self) -> None:
        # d = n - 1 has no (1 + d)^-1 mod n (GB/T 32918.2 6.1 step A5).
        if not 0 < self.d < N - 1:
            raise NationalKeyError("the SM2 private key is out of range [1, n-2]")

    @property
    def algorithm(self) -> str:
        return ALG

    def public_key(self) -> SM2PublicKey:
        return self.public

    def sign(self, message: bytes) -> bytes:
        signer = gmalg.SM2(
            self.d.to_bytes(32, "big"),
            self.public.user_id,
            _point(self.public.x, self.public.y),
            rnd_fn=secrets.randbits,  # never the library's default nonce source
        )
        r, s = signer.sign(message)
        return bytes(r).rjust(32, b"\0") + bytes(s).rjust(32, b"\0")

    def pkcs8_der(self) -> bytes:
        ec_private_key = keys.ECPrivateKey(
            {
                "version": "ecPrivkeyVer1",
                "private_key": self.d,
                "public_key": _point(self.public.x, self.public.y),
            }
        )
        ec_private_key["private_key"].set_encoded_width(32)  # RFC 5915: fixed width
        return write_pkcs8(KeyEncoding(EC_PUBLIC_KEY, _CURVE_PARAMETERS, ec_private_key.dump()))


def _public_from_scalar(d: int, user_id: bytes) -> SM2PublicKey:
    point = gmalg.SM2().generate_pk(d.to_bytes(32, "big"))
    return SM2PublicKey(
        int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big"), user_id
    )


@dataclass(frozen=True)
class SM2WithSM3:
    """The plugin. ``user_id`` is the distinguishing ID every key it makes or reads uses."""

    user_id: bytes = DEFAULT_USER_ID

    def __post_init__(self) -> None:
        _valid_id(self.user_id)

    @property
    def name(self) -> str:
        return ALG

    @property
    def description(self) -> str:
        return "SM2 with SM3 (GB/T 32918.2, GB/T 32905), China"

    def generate(self) -> SM2PrivateKey:
        # gmalg draws d in [1, n-2] with the rnd_fn given: secrets.randbits.
        sk, _ = gmalg.SM2(rnd_fn=secrets.randbits).generate_keypair()
        d = int.from_bytes(sk, "big")
        return SM2PrivateKey(d, _public_from_scalar(d, self.user_id))

    def handles_spki(self, algorithm_oid: str, parameters_der: bytes | None) -> bool:
        return algorithm_oid == EC_PUBLIC_KEY and parameters_der == _CURVE_PARAMETERS

    def load_public(self, spki_der: bytes) -> SM2PublicKey:
        enc = read_spki(spki_der)
        if not self.handles_spki(enc.algorithm, enc.parameters):
            raise NationalKeyError("not an SM2 public key (id-ecPublicKey with sm2p256v1)")
        if len(enc.key) != 65 or enc.key[0] != 4:
            raise NationalKeyError("the SM2 public key must be an uncompressed point (65 octets)")
        x, y = int.from_bytes(enc.key[1:33], "big"), int.from_bytes(enc.key[33:], "big")
        return SM2PublicKey(x, y, self.user_id)

    def load_private(self, pkcs8_der: bytes) -> SM2PrivateKey:
        enc = read_pkcs8(pkcs8_der)
        if not self.handles_spki(enc.algorithm, enc.parameters):
            raise NationalKeyError("not an SM2 private key (id-ecPublicKey with sm2p256v1)")
        try:
            ec_key = keys.ECPrivateKey.load(enc.key, strict=True)
            d = int(ec_key["private_key"].native)
        except (ValueError, TypeError) as exc:
            raise NationalKeyError(f"the SM2 ECPrivateKey is malformed: {exc}") from exc
        key = SM2PrivateKey(d, _public_from_scalar(d, self.user_id))
        stored = ec_key["public_key"]
        if not isinstance(stored, core.Void) and stored.native != _point(
            key.public.x, key.public.y
        ):
            raise NationalKeyError("the SM2 key file's public key does not match its private key")
        return key
