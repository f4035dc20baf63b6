"""The plugin interface every national signature algorithm implements.

A plugin names its JWS ``alg``, generates keys, and reads its keys from their standard
encodings (X.509 SubjectPublicKeyInfo, PKCS#8). Its key objects sign and verify. Signing
draws every nonce from :mod:`secrets`; verifying never raises on a bad signature, it
returns False.
"""

from __future__ import annotations

import abc
from typing import Protocol


class NationalKeyError(ValueError):
    """A key, key encoding or signature that a national algorithm cannot use."""


class NationalPublicKey(abc.ABC):
    """A public key of a national algorithm; equal keys compare equal."""

    @property
    @abc.abstractmethod
    def algorithm(self) -> str:
        """The JWS ``alg`` this key verifies."""

    @abc.abstractmethod
    def verify(self, signature: bytes, message: bytes) -> bool:
        """True only if ``signature`` (the JWS signature octets) is valid for ``message``."""

    @abc.abstractmethod
    def spki_der(self) -> bytes:
        """The key as a DER X.509 SubjectPublicKeyInfo."""


class NationalPrivateKey(abc.ABC):
    """A private key of a national algorithm. Its repr never shows the secret."""

    @property
    @abc.abstractmethod
    def algorithm(self) -> str:
        """The JWS ``alg`` this key signs with."""

    @abc.abstractmethod
    def public_key(self) -> NationalPublicKey: ...

    @abc.abstractmethod
    def sign(self, message: bytes) -> bytes:
        """The JWS signature octets over ``message``, with a fresh nonce from ``secrets``."""

    @abc.abstractmethod
    def pkcs8_der(self) -> bytes:
        """The key as an unencrypted DER PKCS#8 PrivateKeyInfo (encrypt before storing)."""


class SignatureAlgorithm(Protocol):
    """A national signature algorithm: its JWS name, key generation and key decoding."""

    @property
    def name(self) -> str:
        """The JWS ``alg`` value (no IANA registration exists; see the package docs)."""

    @property
    def description(self) -> str: ...

    def generate(self) -> NationalPrivateKey: ...

    def handles_spki(self, algorithm_oid: str, parameters_der: bytes | None) -> bool:
        """Whether a SubjectPublicKeyInfo with this algorithm identifier is this plugin's."""

    def load_public(self, spki_der: bytes) -> NationalPublicKey:
        """Decode and validate a SubjectPublicKeyInfo; NationalKeyError if it is not valid."""

    def load_private(self, pkcs8_der: bytes) -> NationalPrivateKey:
        """Decode and validate a PKCS#8 PrivateKeyInfo; NationalKeyError if it is not valid."""
