"""Signed checkpoints of the ledger's Merkle tree: C2SP tlog-checkpoint bodies in C2SP signed
notes, with Ed25519 signatures.

A checkpoint commits a log to a size and root hash. A node signs it, other countries' nodes can
cosign it as witnesses, and anyone with a verifier key can check it, with this module or with
the tools of other transparency logs (Go's sumdb/note reads the same format).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ROOT_SIZE = 32
# The signed-note signature type byte for Ed25519.
ED25519_TYPE = b"\x01"
# signed-note requires accepting at least 16; Go's sumdb caps at 100. More is a denial of service.
MAX_SIGNATURES = 100
# Tree sizes are uint64 in every other implementation; a larger one could not interoperate.
MAX_TREE_SIZE = 2**64 - 1

_SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_SIZE = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_HEX = re.compile(r"[0-9a-fA-F]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class CheckpointError(ValueError):
    """A malformed checkpoint, note or key, or a note without a valid signature by the key."""


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log (origin), how many leaves, and their RFC 9162 root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Refusing to build an invalid checkpoint means body() always parses back.
        _check_line("origin", self.origin)
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"tree size {self.size} is out of range")
        if len(self.root) != ROOT_SIZE:
            raise CheckpointError(f"root hash must be {ROOT_SIZE} bytes, got {len(self.root)}")
        for line in self.extensions:
            _check_line("extension line", line)

    def body(self) -> bytes:
        """The note text: origin, size and base64 root, then any extension lines."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "".join(line + "\n" for line in lines).encode()

    @classmethod
    def parse(cls, body: bytes) -> Checkpoint:
        """Parse a note text strictly, as ``body()`` writes it."""
        try:
            text = body.decode()
        except UnicodeDecodeError:
            raise CheckpointError("checkpoint is not valid UTF-8") from None
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("checkpoint needs origin, size and root hash lines")
        origin, size, root, *extensions = lines
        # The length bound also keeps int() away from Python's huge-number limit.
        if not _SIZE.fullmatch(size) or len(size) > len(str(MAX_TREE_SIZE)):
            raise CheckpointError(f"tree size {size!r} is not a decimal without leading zeros")
        return cls(origin, int(size), _decode_root(root), tuple(extensions))


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte signed-note key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + _raw(public_key)).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The verifier key string ``name+hex(key ID)+base64(0x01 || public key)``."""
    _check_key_name(name)
    encoded = base64.b64encode(ED25519_TYPE + _raw(public_key)).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_verifier_key(text: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """Parse a verifier key into (name, key ID, public key), checking the ID matches the key."""
    # The base64 key may itself contain '+', so only the first two separate fields.
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise CheckpointError("verifier key must be name+keyid+key")
    name, id_hex, key_b64 = parts
    _check_key_name(name)
    if not _KEY_ID_HEX.fullmatch(id_hex):
        raise CheckpointError(f"verifier key ID {id_hex!r} is not 8 hex digits")
    encoded = _b64decode(key_b64, "verifier key")
    if encoded[:1] != ED25519_TYPE:
        raise CheckpointError("verifier key is not an Ed25519 (type 0x01) key")
    if len(encoded) != 1 + 32:
        raise CheckpointError("Ed25519 verifier key must be 32 bytes")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(encoded[1:])
    except ValueError:
        raise CheckpointError("verifier key is not a valid Ed25519 public key") from None
    expected = key_id(name, public_key)
    if bytes.fromhex(id_hex) != expected:
        raise CheckpointError(f"verifier key ID {id_hex} does not match its key ({expected.hex()})")
    return name, expected, public_key


def sign_note(text: bytes, name: str, private_key: Ed25519PrivateKey) -> str:
    """A signed note of any text (ending in a newline) with one signature by ``name``."""
    _check_note_text(text)
    return text.decode() + "\n" + _signature_line(text, name, private_key)


def sign(checkpoint: Checkpoint, name: str, private_key: Ed25519PrivateKey) -> str:
    """The checkpoint as a signed note, signed by the key ``name`` (usually its origin)."""
    return sign_note(checkpoint.body(), name, private_key)


def cosign(note: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Add a signature by ``name`` to a signed checkpoint note, replacing any earlier one by
    the same key.

    It checks only that the body is a checkpoint, so a witness key never signs anything else:
    the witness must first verify the log's signature (``open_note``) and consistency with
    what it saw before.
    """
    text, signatures = _split_note(note)
    Checkpoint.parse(text)
    own_id = key_id(name, private_key.public_key())
    kept = "".join(
        line + "\n" for signer, sig_id, _, line in signatures if (signer, sig_id) != (name, own_id)
    )
    return text.decode() + "\n" + kept + _signature_line(text, name, private_key)


def verify_note_signature(note_text: str, verifier_key_text: str) -> bytes:
    """The text of a signed note, once a valid signature by the verifier key is found in it.

    Follows signed-note: signatures by other keys (another name or key ID) are ignored, but
    every signature line must be well formed, and any signature by this key must verify.
    """
    name, expected_id, public_key = parse_verifier_key(verifier_key_text)
    text, signatures = _split_note(note_text)
    verified = False
    for signer, sig_id, signature, _ in signatures:
        if (signer, sig_id) != (name, expected_id):
            continue
        try:
            public_key.verify(signature, text)
        except InvalidSignature:
            raise CheckpointError(f"invalid signature by key {name}+{sig_id.hex()}") from None
        verified = True
    if not verified:
        raise CheckpointError(f"note has no signature by key {name}+{expected_id.hex()}")
    return text


def open_note(note_text: str, verifier_key_text: str) -> Checkpoint:
    """The checkpoint in a signed note, verified against the verifier key.

    The caller must still check ``origin`` is the log it expects: the key only says who signed.
    """
    return Checkpoint.parse(verify_note_signature(note_text, verifier_key_text))


def _split_note(note: str) -> tuple[bytes, list[tuple[str, bytes, bytes, str]]]:
    """Split a signed note into its text and (name, key ID, signature, line) per signature."""
    if _CONTROL.search(note):
        raise CheckpointError("malformed note: control characters")
    try:
        note.encode()
    except UnicodeEncodeError:  # lone surrogates, e.g. undecodable bytes smuggled in
        raise CheckpointError("malformed note: not valid UTF-8") from None
    # The text may contain blank lines; the last one separates it from the signatures.
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("malformed note: no blank line before the signatures")
    block = note[split + 2 :]
    if not block.endswith("\n"):
        raise CheckpointError("malformed note: no signature lines, or no final newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    signatures = [_parse_signature_line(line) for line in lines]
    return note[: split + 1].encode(), signatures


def _parse_signature_line(line: str) -> tuple[str, bytes, bytes, str]:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise CheckpointError(f"malformed note: {line[:40]!r} is not a signature line")
    name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    if not _is_key_name(name):
        raise CheckpointError(f"malformed note: bad key name {name!r}")
    blob = _b64decode(encoded, "malformed note: signature")
    if len(blob) < 5:
        raise CheckpointError("malformed note: signature too short")
    return name, blob[:4], blob[4:], line


def _signature_line(text: bytes, name: str, private_key: Ed25519PrivateKey) -> str:
    _check_key_name(name)
    blob = key_id(name, private_key.public_key()) + private_key.sign(text)
    return f"{_SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n"


def _check_note_text(text: bytes) -> None:
    try:
        decoded = text.decode()
    except UnicodeDecodeError:
        raise CheckpointError("note text is not valid UTF-8") from None
    if not decoded.endswith("\n") or _CONTROL.search(decoded):
        raise CheckpointError("note text must end with a newline and have no control characters")


def _is_key_name(name: str) -> bool:
    # signed-note: non-empty, no Unicode spaces, no '+' (it separates verifier key fields).
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _check_key_name(name: str) -> None:
    if not _is_key_name(name) or _CONTROL.search(name):
        raise CheckpointError(f"key name {name!r} must be non-empty, without spaces or '+'")


def _check_line(what: str, line: str) -> None:
    if not line:
        raise CheckpointError(f"checkpoint {what} must not be empty")
    if "\n" in line or _CONTROL.search(line):
        raise CheckpointError(f"checkpoint {what} {line!r} contains control characters")
    try:
        line.encode()
    except UnicodeEncodeError:
        raise CheckpointError(f"checkpoint {what} {line!r} is not valid Unicode") from None


def _decode_root(text: str) -> bytes:
    root = _b64decode(text, "root hash")
    # Only the canonical encoding, so one tree head has exactly one body.
    if base64.b64encode(root).decode() != text:
        raise CheckpointError("root hash is not canonical base64")
    if len(root) != ROOT_SIZE:
        raise CheckpointError(f"root hash must be {ROOT_SIZE} bytes, got {len(root)}")
    return root


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError(f"{what} is not valid base64") from None


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
