"""The node's witness key: an Ed25519 key of its own (C2SP tlog-cosignature wants a key per
cosigner, apart from the key that signs the node's own checkpoints), kept in the home.

``witness.key`` holds it encrypted like every other key of the home; ``witness.vkey`` holds
its public verifier key, so that a node's descriptor can be written without the passphrase.
Both are created on first use, atomically: concurrent workers end with the same key.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity import keys
from ledger.tlog import cosignature
from ledger.tlog.checkpoint import Checkpoint
from network.home import Home, HomeError

KEY_FILE = "witness.key"
VKEY_FILE = "witness.vkey"

_cache: dict[Path, Cosigner] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Cosigner:
    """The witness identity: its key name (a schema-less URL, ``<origin>/witness``) and key."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def verifier_key(self) -> str:
        return cosignature.verifier_key(self.name, self.private_key.public_key())

    def cosign(self, cp: Checkpoint, timestamp: int) -> str:
        """The cosignature line on a checkpoint the caller has checked."""
        return cosignature.sign(cp, self.name, self.private_key, timestamp)


def cosigner_name(origin: str) -> str:
    return f"{origin}/witness"


def cosigner_of(home: Home) -> Cosigner:
    """The home's witness identity, created on first use (and read once per process)."""
    path = home.path.resolve()
    with _lock:
        found = _cache.get(path)
        if found is None:
            found = _load_or_create(home)
            _cache[path] = found
        return found


def witness_key_of(home: Home) -> str:
    """The home's witness verifier key (public), creating the key if there is none yet."""
    try:
        return (home.path / VKEY_FILE).read_text().strip()
    except FileNotFoundError:
        return cosigner_of(home).verifier_key


def _load_or_create(home: Home) -> Cosigner:
    name = cosigner_name(home.setting("origin"))
    key_path = home.path / KEY_FILE
    passphrase = home.passphrase()
    if not key_path.exists():
        staged = home.path / f".{KEY_FILE}.{os.getpid()}.{threading.get_ident()}"
        keys.save(Ed25519PrivateKey.generate(), staged, passphrase)
        try:
            os.link(staged, key_path)  # fails if another process made one first: keep that
        except FileExistsError:
            pass
        finally:
            staged.unlink()
    key = keys.load(key_path, passphrase)
    if not isinstance(key, Ed25519PrivateKey):
        raise HomeError(f"{KEY_FILE} must be an Ed25519 key (C2SP cosignatures)")
    cosigner = Cosigner(name, key)
    vkey_path = home.path / VKEY_FILE
    if not vkey_path.exists():
        staged = home.path / f".{VKEY_FILE}.{os.getpid()}.{threading.get_ident()}"
        staged.write_text(cosigner.verifier_key + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(staged, vkey_path)
        staged.unlink()
    return cosigner


__all__ = ["Cosigner", "cosigner_name", "cosigner_of", "witness_key_of"]
