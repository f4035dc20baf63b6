"""Ledger transaction signatures: ECDSA over secp256k1 with SHA-256, via libsecp256k1.

Each organisation's ledger key is secp256k1 (so the same key can sign EVM transactions)
and is certified by a ledger-signing certificate. ``coincurve`` wraps libsecp256k1, which
signs and verifies about ten times faster than OpenSSL's generic curve code.
"""

from __future__ import annotations

import coincurve
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from identity.keys import PrivateKey, PublicKey


class TxKeyError(ValueError):
    """A key that is not secp256k1."""


def _require_k1(
    key: PrivateKey | PublicKey,
) -> ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey:
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey
    ) or not isinstance(key.curve, ec.SECP256K1):
        raise TxKeyError("ledger transactions are signed with a secp256k1 key")
    return key


class TxSigner:
    def __init__(self, key: PrivateKey) -> None:
        k1 = _require_k1(key)
        assert isinstance(k1, ec.EllipticCurvePrivateKey)
        self._key = coincurve.PrivateKey(k1.private_numbers().private_value.to_bytes(32, "big"))

    def sign(self, message: bytes) -> bytes:
        """DER-encoded ECDSA signature over SHA-256(message), low-S (libsecp256k1's rule)."""
        return bytes(self._key.sign(message))


class TxVerifier:
    def __init__(self, key: PublicKey) -> None:
        k1 = _require_k1(key)
        assert isinstance(k1, ec.EllipticCurvePublicKey)
        point = k1.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        self._key = coincurve.PublicKey(point)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            return bool(self._key.verify(signature, message))
        except (ValueError, TypeError):
            return False
