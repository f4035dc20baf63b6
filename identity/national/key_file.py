"""Encrypted storage of national private keys: PKCS#8 EncryptedPrivateKeyInfo (RFC 5958)
with PBES2 (RFC 8018), PBKDF2-HMAC-SHA256 and AES-256-CBC, in PEM.

These are the parameters pyca/cryptography writes for the P-256 and Ed25519 key files
(``BestAvailableEncryption``), so every key file of a home has the same protection, and
OpenSSL reads them (``openssl pkey``). Reading accepts exactly these algorithms.
"""

from __future__ import annotations

import os

from asn1crypto import algos, keys, pem
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from identity.national import registry
from identity.national.interface import NationalKeyError, NationalPrivateKey

PEM_LABEL = "ENCRYPTED PRIVATE KEY"
ITERATIONS = 2048  # pyca/cryptography's BestAvailableEncryption for PKCS#8, as in keys.save
_MAX_ITERATIONS = 10_000_000  # a key file cannot make loading take minutes


def _aes_key(passphrase: bytes, salt: bytes, iterations: int) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(passphrase)


def encrypt(key: NationalPrivateKey, passphrase: bytes) -> bytes:
    salt, iv = os.urandom(16), os.urandom(16)
    padder = padding.PKCS7(128).padder()
    plain = padder.update(key.pkcs8_der()) + padder.finalize()
    enc = Cipher(algorithms.AES(_aes_key(passphrase, salt, ITERATIONS)), modes.CBC(iv)).encryptor()
    info = keys.EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": {
                "algorithm": "pbes2",
                "parameters": {
                    "key_derivation_func": {
                        "algorithm": "pbkdf2",
                        "parameters": {
                            "salt": algos.Pbkdf2Salt(name="specified", value=salt),
                            "iteration_count": ITERATIONS,
                            "prf": {"algorithm": "sha256"},
                        },
                    },
                    "encryption_scheme": {"algorithm": "aes256_cbc", "parameters": iv},
                },
            },
            "encrypted_data": enc.update(plain) + enc.finalize(),
        }
    )
    return bytes(pem.armor(PEM_LABEL, info.dump()))


def decrypt(data: bytes, passphrase: bytes) -> NationalPrivateKey:
    """Decrypt a key written by :func:`encrypt`. A wrong passphrase and a damaged file give
    the same error: CBC padding cannot tell them apart."""
    try:
        label, _, der = pem.unarmor(data)
        if label != PEM_LABEL:
            raise NationalKeyError(f"expected a PEM {PEM_LABEL}, found {label}")
        info = keys.EncryptedPrivateKeyInfo.load(der, strict=True)
        scheme = info["encryption_algorithm"]
        params = scheme["parameters"]
        kdf = params["key_derivation_func"]
        kdf_params = kdf["parameters"]
        cipher = params["encryption_scheme"]
        if (
            scheme["algorithm"].native != "pbes2"
            or kdf["algorithm"].native != "pbkdf2"
            or kdf_params["prf"]["algorithm"].native != "sha256"
            or cipher["algorithm"].native != "aes256_cbc"
        ):
            raise NationalKeyError("key file encryption must be PBES2 PBKDF2-SHA256 AES-256-CBC")
        iterations = int(kdf_params["iteration_count"].native)
        if not 1 <= iterations <= _MAX_ITERATIONS:
            raise NationalKeyError(f"key file asks for {iterations} PBKDF2 iterations")
        salt, iv = kdf_params["salt"].native, cipher["parameters"].native
        ciphertext = info["encrypted_data"].native
    except (ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, NationalKeyError):
            raise
        raise NationalKeyError(f"not an encrypted PKCS#8 key file: {exc}") from exc
    dec = Cipher(algorithms.AES(_aes_key(passphrase, salt, iterations)), modes.CBC(iv)).decryptor()
    try:
        plain = dec.update(ciphertext) + dec.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        der = unpadder.update(plain) + unpadder.finalize()
        return registry.private_key_from_pkcs8(der)
    except (ValueError, NationalKeyError) as exc:
        raise NationalKeyError("cannot decrypt the key: wrong passphrase or damaged file") from exc
