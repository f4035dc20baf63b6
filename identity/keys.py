"""Private keys: generation and encrypted storage.

Keys are stored as PKCS#8 PEM encrypted with a passphrase, in files of mode 0600. The
passphrase comes from ``TDX_PASSPHRASE`` or an interactive prompt; it is never written.
A document-signing key may also be national (SM2, GOST): ``SigningKey`` is either kind,
and ``generate_signing_key`` / ``load_signing_key`` make and read both.
"""

from __future__ import annotations

import enum
import getpass
import os
from pathlib import Path
from typing import TypeAlias

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from identity.national import NationalKeyError, NationalPrivateKey, NationalPublicKey, key_file
from identity.national import registry as national

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
# What can sign a document: a pyca key, or an SM2 / GOST key (identity.national).
SigningKey: TypeAlias = PrivateKey | NationalPrivateKey

PASSPHRASE_ENV = "TDX_PASSPHRASE"  # noqa: S105 (a variable name)


class KeyType(enum.StrEnum):
    P256 = "P-256"  # documents and CAs: JWS ES256
    ED25519 = "Ed25519"  # documents: JWS EdDSA
    SECP256K1 = "secp256k1"  # ledger transactions (EVM-compatible)
    SM2 = "SM2"  # documents: JWS SM2SM3 (China)
    GOST_2012_256 = "GOST-2012-256"  # documents: JWS GOST3410-2012-256 (Russia)

    @property
    def national_algorithm(self) -> str | None:
        """The national plugin's JWS name for a national key type, else None."""
        return _NATIONAL.get(self)


_NATIONAL = {KeyType.SM2: national.SM2_SM3.name, KeyType.GOST_2012_256: national.GOST_2012_256.name}


class KeyStoreError(Exception):
    """A key file that cannot be read, or a wrong passphrase."""


def generate(key_type: KeyType) -> PrivateKey:
    """A pyca key; national key types are made by :func:`generate_signing_key`."""
    if key_type.national_algorithm is not None:
        raise KeyStoreError(f"{key_type} is a national key type: use generate_signing_key")
    if key_type is KeyType.P256:
        return ec.generate_private_key(ec.SECP256R1())
    if key_type is KeyType.SECP256K1:
        return ec.generate_private_key(ec.SECP256K1())
    return ed25519.Ed25519PrivateKey.generate()


def generate_signing_key(key_type: KeyType) -> SigningKey:
    name = key_type.national_algorithm
    return generate(key_type) if name is None else national.generate(name)


def key_type_of(key: SigningKey | PublicKey | NationalPublicKey) -> KeyType:
    if isinstance(key, NationalPrivateKey | NationalPublicKey):
        return next(t for t, name in _NATIONAL.items() if name == key.algorithm)
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return KeyType.ED25519
    if isinstance(key.curve, ec.SECP256R1):
        return KeyType.P256
    if isinstance(key.curve, ec.SECP256K1):
        return KeyType.SECP256K1
    raise KeyStoreError(f"unsupported curve {key.curve.name}")


def passphrase_from_env_or_prompt(prompt: str = "Key passphrase: ") -> bytes:
    value = os.environ.get(PASSPHRASE_ENV)
    if value is None:
        value = getpass.getpass(prompt)
    if not value:
        raise KeyStoreError(f"an empty passphrase is not allowed (set {PASSPHRASE_ENV})")
    return value.encode()


def save(key: SigningKey, path: Path, passphrase: bytes) -> None:
    """Write the key encrypted, creating the file with mode 0600 (never world-readable)."""
    if isinstance(key, NationalPrivateKey):
        pem = key_file.encrypt(key, passphrase)
    else:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def load(path: Path, passphrase: bytes) -> PrivateKey:
    """Read a pyca key (a root, operator, checkpoint or ledger key)."""
    key = load_signing_key(path, passphrase)
    if isinstance(key, NationalPrivateKey):
        raise KeyStoreError(f"{path} holds a {key.algorithm} key; read it with load_signing_key")
    return key


def load_signing_key(path: Path, passphrase: bytes) -> SigningKey:
    """Read any key file :func:`save` writes, a national one included."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyStoreError(f"no key file at {path}") from exc
    try:
        key = serialization.load_pem_private_key(data, passphrase)
    except UnsupportedAlgorithm:
        # pyca/cryptography knows neither the SM2 curve nor GOST keys.
        try:
            return key_file.decrypt(data, passphrase)
        except NationalKeyError as exc:
            raise KeyStoreError(f"cannot read {path}: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise KeyStoreError(f"cannot decrypt {path}: wrong passphrase or damaged file") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyStoreError(f"{path} holds a {type(key).__name__}, not an EC or Ed25519 key")
    key_type_of(key)
    return key
