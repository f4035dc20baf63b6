"""Private keys: generation and encrypted storage.

Keys are stored as PKCS#8 PEM encrypted with a passphrase (PBES2: scrypt and AES-256-CBC,
see ``identity.key_encryption``), in files of mode 0600 that OpenSSL opens:
``openssl pkey -in KEY -passin env:TDX_PASSPHRASE``. Files written with cryptography's
PBKDF2 default (2,048 iterations) still load; ``rekey`` re-encrypts them. The passphrase
comes from ``TDX_PASSPHRASE`` or an interactive prompt; it is never written.
A document-signing key may also be national (SM2, GOST): ``SigningKey`` is either kind,
and ``generate_signing_key`` / ``load_signing_key`` make and read both, in the same
container.
"""

from __future__ import annotations

import contextlib
import enum
import getpass
import os
import secrets
from pathlib import Path
from typing import TypeAlias

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from identity.key_encryption import (
    DEFAULT_KDF,
    Encryption,
    KeyEncryptionError,
    Pbkdf2Kdf,
    ScryptKdf,
    WrongPassphraseError,
    decrypt_scrypt,
    encrypt,
    forget_derived_keys,
    parse,
)
from identity.national import NationalKeyError, NationalPrivateKey, NationalPublicKey
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


def save(key: SigningKey, path: Path, passphrase: bytes, kdf: ScryptKdf = DEFAULT_KDF) -> None:
    """Write the key encrypted, creating the file with mode 0600 (never world-readable).

    Refuses to overwrite: an existing file raises FileExistsError and is left as it was.
    """
    pem = _encrypted_pem(key, passphrase, kdf)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def load(path: Path, passphrase: bytes) -> PrivateKey:
    """A pyca key (a root, operator, checkpoint or ledger key) from ``path``."""
    key = load_signing_key(path, passphrase)
    if isinstance(key, NationalPrivateKey):
        raise KeyStoreError(f"{path} holds a {key.algorithm} key; read it with load_signing_key")
    return key


def load_signing_key(path: Path, passphrase: bytes) -> SigningKey:
    """Any key :func:`save` writes, a national one included; a missing file, a wrong
    passphrase or a refused format is a KeyStoreError whose one-line message says which."""
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise KeyStoreError(f"no key file at {path}") from None
    except OSError as exc:
        raise KeyStoreError(f"cannot read {path}: {exc.strerror}") from None
    return _decrypt(pem, passphrase, path)


def load_signing_key_pem(pem: bytes, passphrase: bytes, source: str = "the key file") -> SigningKey:
    """As :func:`load_signing_key`, from a key file's bytes (an upload to the sign-in page,
    say); ``source`` names it in the error."""
    return _decrypt(pem, passphrase, Path(source))


def encryption_of(path: Path) -> Encryption:
    """How the key file is encrypted (no passphrase needed); ``.meets_policy`` is False for
    files that ``rekey`` should re-encrypt, such as PBKDF2 files from older versions."""
    try:
        return parse(path.read_bytes())[0]
    except FileNotFoundError:
        raise KeyStoreError(f"no key file at {path}") from None
    except KeyEncryptionError as exc:
        raise KeyStoreError(f"{path}: {exc}") from None


def rekey(
    path: Path, old_passphrase: bytes, new_passphrase: bytes, kdf: ScryptKdf = DEFAULT_KDF
) -> None:
    """Re-encrypt the key file under ``new_passphrase`` and ``kdf``, atomically.

    The key, the file's mode and its owner stay as they were. The new file is decrypted and
    compared with the key before it replaces the old one; on any failure the old file is
    untouched.
    """
    path = path.resolve()
    key = load_signing_key(path, old_passphrase)
    before = os.stat(path)
    pem = _encrypted_pem(key, new_passphrase, kdf)
    if _private_der(_decrypt(pem, new_passphrase, path)) != _private_der(key):
        raise KeyStoreError(f"re-encrypting {path} did not give back the same key; unchanged")
    tmp = path.with_name(f".{path.name}.rekey-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, before.st_mode & 0o7777)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, before.st_mode & 0o7777)  # the umask may have narrowed it
        if (before.st_uid, before.st_gid) != (os.getuid(), os.getgid()):
            os.chown(tmp, before.st_uid, before.st_gid)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _encrypted_pem(key: SigningKey, passphrase: bytes, kdf: ScryptKdf) -> bytes:
    if not passphrase:
        raise KeyStoreError("an empty passphrase is not allowed")
    try:
        return encrypt(_private_der(key), passphrase, kdf)
    except KeyEncryptionError as exc:
        raise KeyStoreError(str(exc)) from None


def _private_der(key: SigningKey) -> bytes:
    if isinstance(key, NationalPrivateKey):
        return key.pkcs8_der()
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _decrypt(pem: bytes, passphrase: bytes, path: Path) -> SigningKey:
    try:
        enc, data = parse(pem)
        if isinstance(enc.kdf, Pbkdf2Kdf):
            # Older files: cryptography reads its own format, once parse() allowed it.
            key = serialization.load_pem_private_key(pem, passphrase)
        else:
            der = decrypt_scrypt(enc, data, passphrase)
            try:
                key = serialization.load_der_private_key(der, None)
            except UnsupportedAlgorithm:  # pyca knows neither the SM2 curve nor GOST keys
                return national.private_key_from_pkcs8(der)
    except NationalKeyError as exc:
        raise KeyStoreError(f"cannot read {path}: {exc}") from None
    except WrongPassphraseError:
        raise KeyStoreError(f"cannot decrypt {path}: wrong passphrase") from None
    except KeyEncryptionError as exc:
        raise KeyStoreError(f"cannot read {path}: {exc}") from None
    except (ValueError, TypeError):
        # A wrong key can also yield valid padding around bytes that are no key.
        raise KeyStoreError(
            f"cannot decrypt {path}: wrong passphrase (or the file is damaged)"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyStoreError(f"{path} holds a {type(key).__name__}, not an EC or Ed25519 key")
    key_type_of(key)
    return key


__all__ = [
    "DEFAULT_KDF",
    "PASSPHRASE_ENV",
    "Encryption",
    "KeyStoreError",
    "KeyType",
    "Pbkdf2Kdf",
    "PrivateKey",
    "PublicKey",
    "ScryptKdf",
    "SigningKey",
    "encryption_of",
    "forget_derived_keys",
    "generate",
    "generate_signing_key",
    "key_type_of",
    "load",
    "load_signing_key",
    "load_signing_key_pem",
    "passphrase_from_env_or_prompt",
    "rekey",
    "save",
]
