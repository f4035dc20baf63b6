"""How many signatures per second each document-signing algorithm makes and checks here.

For ``tdx bench``: it returns figures, it asserts none. Each figure counts operations on
one core for about ``seconds`` over a signing input the size of a document JWS.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from identity.national import registry

# A document JWS signing input is about this long (header with a two-certificate x5c chain
# plus the digest payload, base64url).
MESSAGE = b"e" * 1800


@dataclass(frozen=True)
class SignatureRate:
    algorithm: str
    implementation: str
    sign_per_second: float
    verify_per_second: float

    def to_json(self) -> dict[str, object]:
        return {
            "algorithm": self.algorithm,
            "implementation": self.implementation,
            "signPerSecond": round(self.sign_per_second, 1),
            "verifyPerSecond": round(self.verify_per_second, 1),
        }


def _rate(operation: Callable[[], object], seconds: float) -> float:
    # At least one operation, then as many as fit in the time.
    count, start = 0, time.perf_counter()
    while True:
        operation()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def _p256(seconds: float) -> SignatureRate:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    signature = key.sign(MESSAGE, ec.ECDSA(hashes.SHA256()))

    def verify() -> None:
        try:
            public.verify(signature, MESSAGE, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:  # pragma: no cover (the key's own signature)
            raise AssertionError("benchmark signature does not verify") from exc

    return SignatureRate(
        "ES256",
        "pyca/cryptography (OpenSSL)",
        _rate(lambda: key.sign(MESSAGE, ec.ECDSA(hashes.SHA256())), seconds),
        _rate(verify, seconds),
    )


_IMPLEMENTATIONS = {
    "SM2SM3": "gmalg sign (pure Python), GmSSL verify (gmssl_pyx)",
    "GOST3410-2012-256": "gostcrypto (pure Python)",
}


def _national(name: str, seconds: float) -> SignatureRate:
    key = registry.generate(name)
    public = key.public_key()
    signature = key.sign(MESSAGE)
    if not public.verify(signature, MESSAGE):  # pragma: no cover
        raise AssertionError(f"{name} benchmark signature does not verify")
    return SignatureRate(
        name,
        _IMPLEMENTATIONS[name],
        _rate(lambda: key.sign(MESSAGE), seconds),
        _rate(lambda: public.verify(signature, MESSAGE), seconds),
    )


def signature_rates(seconds: float = 1.0) -> list[SignatureRate]:
    """Sign and verify rates for ES256 (P-256), SM2SM3 and GOST3410-2012-256."""
    return [_p256(seconds), *(_national(p.name, seconds) for p in registry.PLUGINS)]
