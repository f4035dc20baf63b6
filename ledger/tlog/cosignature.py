"""Witness cosignatures of checkpoints: C2SP tlog-cosignature, the Ed25519 ``cosignature/v1``
type (signature type 0x04).

A cosignature is a signed-note signature line added to a checkpoint. It signs the message
``cosignature/v1\\ntime <T>\\n`` followed by the checkpoint's note text, and its signature
bytes are ``timestamp (u64, big-endian) || Ed25519 signature``. It states that, as of time
T, this is the largest checkpoint of the log consistent with everything the witness saw.
The key ID hashes the type byte 0x04, so a witness key never verifies as a log's key.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.tlog.checkpoint import (
    Checkpoint,
    CheckpointError,
    NoteSignature,
    check_key_name,
    parse_note,
    parse_signature_lines,
    parse_typed_verifier_key,
)

COSIGNATURE_TYPE = b"\x04"
HEADER = b"cosignature/v1\n"
# The spec's bound: a timestamp must fit a signed 64-bit integer.
MAX_TIMESTAMP = 2**63 - 1
_TIMESTAMP = struct.Struct(">Q")
_ED25519_SIGNATURE = 64


class CosignatureError(CheckpointError):
    """A malformed cosigner key or cosignature, or a note without a valid one by the key."""


@dataclass(frozen=True)
class CosignerKey:
    """A witness's public key as a verifier of cosignatures: its name, key ID and key."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> CosignerKey:
        """Parse a ``name+hex(key ID)+base64(0x04 || key)`` verifier key."""
        try:
            return cls(*parse_typed_verifier_key(text, COSIGNATURE_TYPE, key_id))
        except CosignatureError:
            raise
        except CheckpointError as exc:
            raise CosignatureError(f"cosigner key: {exc}") from None

    def text(self) -> str:
        return verifier_key(self.name, self.public_key)


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: who made it, when (POSIX seconds), and on which checkpoint."""

    name: str
    key_id: bytes
    timestamp: int
    checkpoint: Checkpoint
    line: str


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4]."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + COSIGNATURE_TYPE + raw).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The cosigner's verifier key ``name+hex(key ID)+base64(0x04 || public key)``."""
    check_key_name(name)
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    encoded = base64.b64encode(COSIGNATURE_TYPE + raw).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def signed_message(body: bytes, timestamp: int) -> bytes:
    """What a cosignature signs: the header line, the time line, then the checkpoint text."""
    _check_timestamp(timestamp)
    return HEADER + b"time %d\n" % timestamp + body


def sign(cp: Checkpoint, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature line (ending in a newline) of ``name`` on the checkpoint at ``timestamp``.

    Only a parsed ``Checkpoint`` can be cosigned: the witness key signs nothing else.
    """
    check_key_name(name)
    signature = private_key.sign(signed_message(cp.body(), timestamp))
    blob = key_id(name, private_key.public_key()) + _TIMESTAMP.pack(timestamp) + signature
    return f"\u2014 {name} {base64.b64encode(blob).decode()}\n"


def add(note: str, lines: str) -> str:
    """The signed note with these signature lines added (replacing earlier ones by the same
    keys): how a log attaches the cosignatures a witness returned."""
    return parse_note(note).with_signatures(parse_signature_lines(lines)).render()


def verify(note: str, cosigner: CosignerKey | str, now: int | None = None) -> Cosignature:
    """The cosignature by ``cosigner`` on the checkpoint in ``note``, verified.

    Signatures by other keys are ignored (signed-note); every one by this key must verify,
    and the latest is returned. With ``now``, a timestamp later than it is refused.
    """
    key = cosigner if isinstance(cosigner, CosignerKey) else CosignerKey.parse(cosigner)
    parsed = parse_note(note)
    cp = Checkpoint.parse(parsed.text)
    found: Cosignature | None = None
    for sig in parsed.signatures_by(key.name, key.key_id):
        timestamp = _verify_one(sig, parsed.text, key, now)
        if found is None or timestamp > found.timestamp:
            found = Cosignature(sig.name, sig.key_id, timestamp, cp, sig.line)
    if found is None:
        raise CosignatureError(f"no cosignature by {key.name}+{key.key_id.hex()}")
    return found


def _verify_one(sig: NoteSignature, text: bytes, key: CosignerKey, now: int | None) -> int:
    where = f"cosignature by {key.name}+{key.key_id.hex()}"
    if len(sig.signature) != _TIMESTAMP.size + _ED25519_SIGNATURE:
        raise CosignatureError(f"{where}: {len(sig.signature)} bytes, not 8 + 64")
    (timestamp,) = _TIMESTAMP.unpack(sig.signature[: _TIMESTAMP.size])
    if timestamp > MAX_TIMESTAMP:
        raise CosignatureError(f"{where}: timestamp {timestamp} exceeds 2^63 - 1")
    try:
        key.public_key.verify(sig.signature[_TIMESTAMP.size :], signed_message(text, timestamp))
    except InvalidSignature:
        raise CosignatureError(f"{where}: the signature does not verify") from None
    if now is not None and timestamp > now:
        raise CosignatureError(f"{where}: timestamp {timestamp} is in the future (now {now})")
    return int(timestamp)


def _check_timestamp(timestamp: int) -> None:
    if not 0 < timestamp <= MAX_TIMESTAMP:
        raise CosignatureError(f"a cosignature timestamp must be in 1..2^63-1, got {timestamp}")


__all__ = [
    "COSIGNATURE_TYPE",
    "Cosignature",
    "CosignatureError",
    "CosignerKey",
    "add",
    "key_id",
    "sign",
    "signed_message",
    "verifier_key",
    "verify",
]
