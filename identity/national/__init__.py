"""National signature algorithms as plugins: SM2 with SM3 (China) and GOST R 34.10-2012
with Streebog-256 (Russia), next to the ES256 and EdDSA that pyca/cryptography handles.

A plugin (``SignatureAlgorithm``) names its JWS ``alg`` (``SM2SM3``, ``GOST3410-2012-256``;
neither is IANA-registered), makes keys and reads them from X.509 and PKCS#8. Offered:
``registry`` (the fixed list, lookup by name or key encoding), ``certificate``
(certificates for national keys under an ordinary root) and ``bench.signature_rates``.
Their key files are stored as every key is (``identity.keys``).
"""

from identity.national.interface import (
    NationalKeyError,
    NationalPrivateKey,
    NationalPublicKey,
    SignatureAlgorithm,
)
from identity.national.registry import GOST_2012_256, NAMES, PLUGINS, SM2_SM3

__all__ = [
    "GOST_2012_256",
    "NAMES",
    "PLUGINS",
    "SM2_SM3",
    "NationalKeyError",
    "NationalPrivateKey",
    "NationalPublicKey",
    "SignatureAlgorithm",
]
