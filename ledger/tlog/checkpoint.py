"""Signed checkpoints of the ledger's Merkle tree: C2SP tlog-checkpoint bodies in C2SP signed
notes, with Ed25519 signatures.

A checkpoint commits a log to a size and root hash. A node signs it, other countries' nodes can
cosign it as witnesses, and anyone with a verifier key can check it, with this module or with
the tools of other transparency logs (Go's sumdb/note reads the same format).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from collections.abc import Callable, Iterable
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
    check_key_name(name)
    encoded = base64.b64encode(ED25519_TYPE + _raw(public_key)).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


# A pure function of the text, called for every note a node checks (a peer's answer, a
# witness's cosignature): kept for the few keys a node knows. Errors are not kept.
@functools.lru_cache(maxsize=256)
def parse_verifier_key(text: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """Parse a verifier key into (name, key ID, public key), checking the ID matches the key."""
    return parse_typed_verifier_key(text, ED25519_TYPE, key_id)


def parse_typed_verifier_key(
    text: str, signature_type: bytes, key_id_of: Callable[[str, Ed25519PublicKey], bytes]
) -> tuple[str, bytes, Ed25519PublicKey]:
    """Parse an Ed25519 verifier key of one signature type (0x01 for note signatures, 0x04
    for cosignatures) into (name, key ID, public key), checking the ID matches the key."""
    # The base64 key may itself contain '+', so only the first two separate fields.
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise CheckpointError("verifier key must be name+keyid+key")
    name, id_hex, key_b64 = parts
    check_key_name(name)
    if not _KEY_ID_HEX.fullmatch(id_hex):
        raise CheckpointError(f"verifier key ID {id_hex!r} is not 8 hex digits")
    encoded = _b64decode(key_b64, "verifier key")
    if encoded[:1] != signature_type:
        raise CheckpointError(
            f"verifier key is not of signature type 0x{signature_type.hex()} "
            f"(it is 0x{encoded[:1].hex() or 'empty'})"
        )
    if len(encoded) != 1 + 32:
        raise CheckpointError("Ed25519 verifier key must be 32 bytes")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(encoded[1:])
    except ValueError:
        raise CheckpointError("verifier key is not a valid Ed25519 public key") from None
    expected = key_id_of(name, public_key)
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
    """Add a plain Ed25519 note signature by ``name`` to a signed checkpoint note, replacing
    any earlier one by the same key.

    It checks only that the body is a checkpoint. Witnesses do not use it: their statement is
    a timestamped C2SP cosignature (``ledger.tlog.cosignature``), whose key ID and signed
    message differ, so that it cannot be mistaken for the log's own signature.
    """
    parsed = parse_note(note)
    Checkpoint.parse(parsed.text)
    line = _signature_line(parsed.text, name, private_key)
    return parsed.with_signatures(parse_signature_lines(line)).render()


def verify_note_signature(note_text: str, verifier_key_text: str) -> bytes:
    """The text of a signed note, once a valid signature by the verifier key is found in it.

    Follows signed-note: signatures by other keys (another name or key ID) are ignored, but
    every signature line must be well formed, and any signature by this key must verify.
    """
    name, expected_id, public_key = parse_verifier_key(verifier_key_text)
    parsed = parse_note(note_text)
    verified = False
    for sig in parsed.signatures_by(name, expected_id):
        try:
            public_key.verify(sig.signature, parsed.text)
        except InvalidSignature:
            raise CheckpointError(f"invalid signature by key {name}+{sig.key_id.hex()}") from None
        verified = True
    if not verified:
        raise CheckpointError(f"note has no signature by key {name}+{expected_id.hex()}")
    return parsed.text


def open_note(note_text: str, verifier_key_text: str) -> Checkpoint:
    """The checkpoint in a signed note, verified against the verifier key.

    The caller must still check ``origin`` is the log it expects: the key only says who signed.
    """
    return Checkpoint.parse(verify_note_signature(note_text, verifier_key_text))


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a signed note: the key name, the 4-byte key ID, the bytes after
    the key ID, and the line as written (without its newline)."""

    name: str
    key_id: bytes
    signature: bytes
    line: str


@dataclass(frozen=True)
class SignedNote:
    """A signed note taken apart, nothing verified: its text (with the final newline) and its
    signature lines in order. A note may carry many: the log's, then its witnesses'."""

    text: bytes
    signatures: tuple[NoteSignature, ...]

    def signatures_by(self, name: str, key_id: bytes) -> tuple[NoteSignature, ...]:
        """The signatures by one key: a name and key ID must both match (signed-note)."""
        return tuple(s for s in self.signatures if (s.name, s.key_id) == (name, key_id))

    def with_signatures(self, added: Iterable[NoteSignature]) -> SignedNote:
        """The note with these signatures too; one that a key already made is replaced by the
        new one, so a note holds at most one signature per key."""
        kept = list(self.signatures)
        for sig in added:
            kept = [s for s in kept if (s.name, s.key_id) != (sig.name, sig.key_id)]
            kept.append(sig)
        if len(kept) > MAX_SIGNATURES:
            raise CheckpointError(f"a note may carry at most {MAX_SIGNATURES} signatures")
        return SignedNote(self.text, tuple(kept))

    def render(self) -> str:
        return self.text.decode() + "\n" + "".join(s.line + "\n" for s in self.signatures)


def parse_note(note: str) -> SignedNote:
    """Split a signed note into its text and signature lines, checking the format strictly
    (signed-note) but no signature: a caller verifies the ones by keys it knows."""
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
    return SignedNote(note[: split + 1].encode(), parse_signature_lines(note[split + 2 :]))


def parse_signature_lines(block: str) -> tuple[NoteSignature, ...]:
    """Signature lines, each ending in a newline: a note's signature block, or the body of a
    witness's answer (C2SP tlog-witness)."""
    if _CONTROL.search(block):
        raise CheckpointError("malformed note: control characters")
    if not block.endswith("\n"):
        raise CheckpointError("malformed note: no signature lines, or no final newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return tuple(NoteSignature(*_parse_signature_line(line)) for line in lines)


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
    check_key_name(name)
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


def check_key_name(name: str) -> None:
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
