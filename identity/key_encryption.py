"""The encryption of key files: PKCS#8 ``EncryptedPrivateKeyInfo`` with PBES2 (RFC 8018).

Written: scrypt (RFC 7914 §7) with N = 2^14, r = 8, p = 5 and a 16-byte salt, then
AES-256-CBC. That is the standard container ``openssl pkcs8 -topk8 -v2 aes-256-cbc -scrypt``
writes, so OpenSSL opens the files. N·r·p = 655,360 meets the scrypt settings that equal
PBKDF2-HMAC-SHA256 at 600,000 iterations against a GPU, while the 16 MiB each guess needs
also makes the attacker pay in memory; N = 2^14 with r = 8 is the largest N that OpenSSL's
default scrypt memory limit (32 MiB) lets it open.

Read: the same, and PBES2 with PBKDF2-HMAC-SHA256 (what cryptography's
``BestAvailableEncryption`` wrote, 2,048 iterations), so older homes still open. Every
parameter is checked against an allowlist before anything is derived: a file never chooses
an algorithm, nor a cost that would take minutes or gigabytes.

A key-encryption key (KEK) derived from a passphrase is kept for the life of the process,
by salt, parameters and passphrase. Saving more keys under a passphrase already used in
this process reuses its salt and KEK, so a home's 44 key files cost one derivation to write
and one to read, not 44. Every file stays a standard container that opens on its own with
the passphrase; sharing a salt among files that share a passphrase gives an attacker
nothing, since guessing that passphrase opens all of them either way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import threading
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.codec.der import encoder as der_encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, univ
from pyasn1.type.base import Asn1Type
from pyasn1_modules import rfc5280, rfc7914, rfc8018

PEM_LABEL = "ENCRYPTED PRIVATE KEY"

SALT_BYTES = 16
# OpenSSL refuses scrypt above 32 MiB (128·r·(N+2) plus 128·r·p bytes) unless told otherwise.
OPENSSL_SCRYPT_MAX_MEMORY = 32 * 1024 * 1024
# Write policy: N·r·p at least this (the scrypt equivalent of PBKDF2-SHA256 at 600,000).
MIN_SCRYPT_WORK = 600_000
# Read limits: enough for any sane file, bounded so that a crafted one cannot hang a node.
_MAX_READ_MEMORY = 256 * 1024 * 1024
_MAX_READ_WORK = 2**24
_MAX_PBKDF2_ITERATIONS = 10_000_000


class EncryptedPrivateKeyInfo(univ.Sequence):
    """RFC 5958 §3. (pyasn1_modules.rfc5958 has it too, but importing it costs 0.2 s.)"""

    componentType = namedtype.NamedTypes(  # noqa: N815 (pyasn1's name)
        namedtype.NamedType("encryptionAlgorithm", rfc5280.AlgorithmIdentifier()),
        namedtype.NamedType("encryptedData", univ.OctetString()),
    )


class KeyEncryptionError(ValueError):
    """A file that is not, or not an allowed, passphrase-encrypted PKCS#8 key."""


class WrongPassphraseError(KeyEncryptionError):
    """The passphrase does not decrypt the file (or the file is damaged)."""


@dataclass(frozen=True)
class ScryptKdf:
    """scrypt's cost parameters (RFC 7914): CPU/memory cost N, block size r, parallelism p."""

    n: int = 2**14
    r: int = 8
    p: int = 5

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1) or self.r < 1 or self.p < 1:
            raise KeyEncryptionError(f"scrypt needs N a power of two > 1, r >= 1, p >= 1: {self}")

    @property
    def memory(self) -> int:
        # As OpenSSL counts it (crypto/evp/pbe_scrypt.c): V is 128·r·(N+2), B is 128·r·p.
        return 128 * self.r * (self.n + 2 + self.p)

    def check_writable(self) -> None:
        """Refuse parameters weaker than the policy, or too big for OpenSSL to open."""
        if self.n * self.r * self.p < MIN_SCRYPT_WORK:
            raise KeyEncryptionError(
                f"scrypt N·r·p = {self.n * self.r * self.p} is below the minimum "
                f"{MIN_SCRYPT_WORK:,}: raise p"
            )
        if self.memory > OPENSSL_SCRYPT_MAX_MEMORY:
            raise KeyEncryptionError(
                f"scrypt with N={self.n}, r={self.r} needs {self.memory // 2**20} MiB: "
                "OpenSSL opens at most 32 MiB; raise p instead of N"
            )

    def __str__(self) -> str:
        return f"scrypt (N={self.n}, r={self.r}, p={self.p})"


@dataclass(frozen=True)
class Pbkdf2Kdf:
    """PBKDF2-HMAC-SHA256 (RFC 8018): read for older files, never written."""

    iterations: int

    def __str__(self) -> str:
        return f"PBKDF2-HMAC-SHA256 ({self.iterations:,} iterations)"


DEFAULT_KDF = ScryptKdf()


@dataclass(frozen=True)
class Encryption:
    """How one file is encrypted: the KDF with its salt, and the AES-256-CBC IV."""

    kdf: ScryptKdf | Pbkdf2Kdf
    salt: bytes
    iv: bytes

    @property
    def meets_policy(self) -> bool:
        """True for what ``encrypt`` writes today; False means: re-encrypt this file."""
        if not isinstance(self.kdf, ScryptKdf):
            return False
        try:
            self.kdf.check_writable()
        except KeyEncryptionError:
            return False
        return True


# --- Writing -------------------------------------------------------------------------------


def encrypt(private_key_info: bytes, passphrase: bytes, kdf: ScryptKdf = DEFAULT_KDF) -> bytes:
    """A PEM ``ENCRYPTED PRIVATE KEY`` holding the DER ``PrivateKeyInfo`` given."""
    kdf.check_writable()
    salt, kek = _write_kek(passphrase, kdf)
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    plain = padder.update(private_key_info) + padder.finalize()
    encryptor = Cipher(algorithms.AES256(kek), modes.CBC(iv)).encryptor()
    data = encryptor.update(plain) + encryptor.finalize()
    return _pem(_encrypted_private_key_info(Encryption(kdf, salt, iv), data))


def _encrypted_private_key_info(enc: Encryption, data: bytes) -> bytes:
    assert isinstance(enc.kdf, ScryptKdf)
    params = rfc7914.Scrypt_params()
    params["salt"] = enc.salt
    params["costParameter"] = enc.kdf.n
    params["blockSize"] = enc.kdf.r
    params["parallelizationParameter"] = enc.kdf.p
    pbes2 = rfc8018.PBES2_params()
    pbes2["keyDerivationFunc"]["algorithm"] = rfc7914.id_scrypt
    pbes2["keyDerivationFunc"]["parameters"] = univ.Any(der_encoder.encode(params))
    pbes2["encryptionScheme"]["algorithm"] = rfc8018.aes256_CBC_PAD
    pbes2["encryptionScheme"]["parameters"] = univ.Any(der_encoder.encode(rfc8018.AES_IV(enc.iv)))
    info = EncryptedPrivateKeyInfo()
    info["encryptionAlgorithm"]["algorithm"] = rfc8018.id_PBES2
    info["encryptionAlgorithm"]["parameters"] = univ.Any(der_encoder.encode(pbes2))
    info["encryptedData"] = data
    return bytes(der_encoder.encode(info))


def _pem(der: bytes) -> bytes:
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join(
        [f"-----BEGIN {PEM_LABEL}-----", *lines, f"-----END {PEM_LABEL}-----", ""]
    ).encode()


# --- Reading -------------------------------------------------------------------------------

_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.S)


def parse(pem: bytes) -> tuple[Encryption, bytes]:
    """The encryption of a PEM key file, and its encrypted data; only allowed choices pass."""
    match = _PEM.search(pem)
    if match is None:
        raise KeyEncryptionError("not a PEM file")
    label = match.group(1).decode()
    if label != PEM_LABEL:
        raise KeyEncryptionError(
            f"a PEM {label!r}, not an {PEM_LABEL!r} (an unencrypted or non-PKCS#8 key)"
        )
    try:
        der = base64.b64decode(b"".join(match.group(2).split()), validate=True)
        info = _decode(der, EncryptedPrivateKeyInfo())
        scheme = info["encryptionAlgorithm"]
        _expect(scheme["algorithm"], rfc8018.id_PBES2, "PBES2")
        pbes2 = _decode(scheme["parameters"], rfc8018.PBES2_params())
        cipher = pbes2["encryptionScheme"]
        _expect(cipher["algorithm"], rfc8018.aes256_CBC_PAD, "AES-256-CBC")
        iv = bytes(_decode(cipher["parameters"], rfc8018.AES_IV()))
        kdf, salt = _kdf(pbes2["keyDerivationFunc"])
        return Encryption(kdf, salt, iv), bytes(info["encryptedData"])
    except (PyAsn1Error, ValueError) as exc:
        if isinstance(exc, KeyEncryptionError):
            raise
        raise KeyEncryptionError(f"damaged PKCS#8 structure ({exc})") from None


def _kdf(algorithm: Any) -> tuple[ScryptKdf | Pbkdf2Kdf, bytes]:
    oid = algorithm["algorithm"]
    if oid == rfc7914.id_scrypt:
        params = _decode(algorithm["parameters"], rfc7914.Scrypt_params())
        if params["keyLength"].isValue and int(params["keyLength"]) != 32:
            raise KeyEncryptionError("scrypt keyLength must be 32 for AES-256")
        kdf = ScryptKdf(
            int(params["costParameter"]),
            int(params["blockSize"]),
            int(params["parallelizationParameter"]),
        )
        if kdf.memory > _MAX_READ_MEMORY or kdf.n * kdf.r * kdf.p > _MAX_READ_WORK:
            raise KeyEncryptionError(f"{kdf} costs more than a key file may ask for")
        return kdf, bytes(params["salt"])
    if oid == rfc8018.id_PBKDF2:
        params = _decode(algorithm["parameters"], rfc8018.PBKDF2_params())
        _expect(params["prf"]["algorithm"], rfc8018.id_hmacWithSHA256, "PBKDF2 with HMAC-SHA256")
        if params["keyLength"].isValue and int(params["keyLength"]) != 32:
            raise KeyEncryptionError("PBKDF2 keyLength must be 32 for AES-256")
        iterations = int(params["iterationCount"])
        if iterations > _MAX_PBKDF2_ITERATIONS:
            raise KeyEncryptionError(f"PBKDF2 with {iterations:,} iterations is beyond the limit")
        return Pbkdf2Kdf(iterations), bytes(params["salt"]["specified"])
    raise KeyEncryptionError(f"key derivation {oid} is not allowed (scrypt or PBKDF2)")


def decrypt_scrypt(enc: Encryption, data: bytes, passphrase: bytes) -> bytes:
    """The DER ``PrivateKeyInfo`` of a scrypt file; raises WrongPassphraseError."""
    assert isinstance(enc.kdf, ScryptKdf)
    kek = _kek(passphrase, enc.salt, enc.kdf)
    if len(data) % 16 or not data:
        raise KeyEncryptionError("damaged file: the encrypted data is not whole AES blocks")
    decryptor = Cipher(algorithms.AES256(kek), modes.CBC(enc.iv)).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(plain) + unpadder.finalize()
    except ValueError:
        raise WrongPassphraseError("wrong passphrase") from None


def _decode(data: Any, spec: Asn1Type) -> Any:
    value, rest = der_decoder.decode(bytes(data), asn1Spec=spec)
    if rest:
        raise KeyEncryptionError("damaged PKCS#8 structure (trailing bytes)")
    return value


def _expect(oid: univ.ObjectIdentifier, wanted: univ.ObjectIdentifier, name: str) -> None:
    if oid != wanted:
        raise KeyEncryptionError(f"{oid} is not allowed here (only {name})")


# --- Key-encryption keys, derived once per process ------------------------------------------

_lock = threading.Lock()
_keks: dict[tuple[bytes, ScryptKdf, bytes], bytes] = {}  # (salt, kdf, tag) -> KEK
_write_salts: dict[tuple[ScryptKdf, bytes], bytes] = {}  # (kdf, tag) -> salt
_MAX_CACHED = 64
# The caches are keyed by a keyed hash of the passphrase, never the passphrase itself.
_TAG_KEY = os.urandom(32)


def _tag(passphrase: bytes) -> bytes:
    return hmac.new(_TAG_KEY, passphrase, hashlib.sha256).digest()


def _kek(passphrase: bytes, salt: bytes, kdf: ScryptKdf) -> bytes:
    entry = (salt, kdf, _tag(passphrase))
    with _lock:
        cached = _keks.get(entry)
    if cached is not None:
        return cached
    kek = Scrypt(salt=salt, length=32, n=kdf.n, r=kdf.r, p=kdf.p).derive(passphrase)
    with _lock:
        if len(_keks) >= _MAX_CACHED:
            _keks.pop(next(iter(_keks)))
        _keks[entry] = kek
    return kek


def _write_kek(passphrase: bytes, kdf: ScryptKdf) -> tuple[bytes, bytes]:
    entry = (kdf, _tag(passphrase))
    with _lock:
        salt = _write_salts.get(entry)
        if salt is None:
            if len(_write_salts) >= _MAX_CACHED:
                _write_salts.pop(next(iter(_write_salts)))
            salt = _write_salts[entry] = os.urandom(SALT_BYTES)
    return salt, _kek(passphrase, salt, kdf)


def forget_derived_keys() -> None:
    """Drop every key-encryption key this process derived (the next use derives again)."""
    with _lock:
        _keks.clear()
        _write_salts.clear()
