"""Private keys: generation and encrypted storage.

Keys are stored as PKCS#8 PEM encrypted with a passphrase, in files of mode 0600. The
passphrase comes from ``TDX_PASSPHRASE`` or an interactive prompt; it is never written.
"""

from __future__ import annotations

import enum
import getpass
import os
from pathlib import Path
from typing import TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

PASSPHRASE_ENV = "TDX_PASSPHRASE"  # noqa: S105 (a variable name)


class KeyType(enum.StrEnum):
    P256 = "P-256"  # documents and CAs: JWS ES256
    ED25519 = "Ed25519"  # documents: JWS EdDSA
    SECP256K1 = "secp256k1"  # ledger transactions (EVM-compatible)


class KeyStoreError(Exception):
    """A key file that cannot be read, or a wrong passphrase."""


def generate(key_type: KeyType) -> PrivateKey:
    if key_type is KeyType.P256:
        return ec.generate_private_key(ec.SECP256R1())
    if key_type is KeyType.SECP256K1:
        return ec.generate_private_key(ec.SECP256K1())
    return ed25519.Ed25519PrivateKey.generate()


def key_type_of(key: PrivateKey | PublicKey) -> KeyType:
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


def save(key: PrivateKey, path: Path, passphrase: bytes) -> None:
    """Write the key encrypted, creating the file with mode 0600 (never world-readable)."""
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
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), passphrase)
    except FileNotFoundError as exc:
        raise KeyStoreError(f"no key file at {path}") from exc
    except (ValueError, TypeError) as exc:
        raise KeyStoreError(f"cannot decrypt {path}: wrong passphrase or damaged file") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyStoreError(f"{path} holds a {type(key).__name__}, not an EC or Ed25519 key")
    key_type_of(key)
    return key
