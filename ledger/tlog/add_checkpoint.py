"""The wire format of C2SP tlog-witness ``add-checkpoint``: the request body a log sends to a
witness, and the bodies of the witness's answers.

The request is an ``old <size>`` line, up to 63 lines of base64 consistency-proof hashes,
an empty line, then the signed checkpoint note. A 200 answer is the witness's cosignature
lines; a 409 answer is the size the witness holds, as ``text/x.tlog.size``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from ledger.tlog.checkpoint import MAX_TREE_SIZE
from ledger.tlog.merkle import HASH_SIZE

PATH = "/add-checkpoint"
# The client MUST NOT send more; a witness refuses a longer proof as a bad request.
MAX_PROOF_LINES = 63
SIZE_CONTENT_TYPE = "text/x.tlog.size"
# A checkpoint with its log's and witnesses' signatures is a few kB; a request is refused
# well before it could hold anything else.
MAX_BODY = 64 * 1024

_OLD = re.compile(r"old (0|[1-9][0-9]{0,19})")
_SIZE = re.compile(r"(0|[1-9][0-9]{0,19})\n")


class AddCheckpointError(ValueError):
    """A request or answer body that is not in the tlog-witness format; says which rule."""


@dataclass(frozen=True)
class AddCheckpoint:
    """One add-checkpoint request: the size the log believes the witness holds, the RFC 9162
    consistency proof from that size to the checkpoint's, and the signed checkpoint note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str

    def encode(self) -> bytes:
        lines = [f"old {self.old_size}", *(base64.b64encode(h).decode() for h in self.proof)]
        return ("".join(line + "\n" for line in lines) + "\n" + self.note).encode()

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpoint:
        """Parse a request body strictly, naming the rule a bad one breaks."""
        if len(body) > MAX_BODY:
            raise AddCheckpointError(f"the body is over {MAX_BODY} bytes")
        try:
            text = body.decode()
        except UnicodeDecodeError:
            raise AddCheckpointError("the body is not valid UTF-8") from None
        head, separator, note = text.partition("\n\n")
        if not separator:
            raise AddCheckpointError("no empty line between the proof and the checkpoint")
        lines = head.split("\n")
        match = _OLD.fullmatch(lines[0])
        if match is None:
            raise AddCheckpointError(
                f"the first line {lines[0][:40]!r} is not 'old <size>' (decimal, no leading zero)"
            )
        old_size = int(match.group(1))
        if old_size > MAX_TREE_SIZE:
            raise AddCheckpointError(f"old size {old_size} is beyond 2^64 - 1")
        proof_lines = lines[1:]
        if len(proof_lines) > MAX_PROOF_LINES:
            raise AddCheckpointError(
                f"{len(proof_lines)} consistency proof lines; at most {MAX_PROOF_LINES}"
            )
        proof = tuple(_hash(line, n) for n, line in enumerate(proof_lines, start=1))
        return cls(old_size, proof, note)


def _hash(line: str, n: int) -> bytes:
    try:
        value = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raise AddCheckpointError(f"proof line {n} is not base64") from None
    if len(value) != HASH_SIZE or base64.b64encode(value).decode() != line:
        raise AddCheckpointError(f"proof line {n} is not one base64 SHA-256 hash")
    return value


def size_body(size: int) -> bytes:
    """The body of a 409 answer: the size the witness holds, in decimal, and a newline."""
    return f"{size}\n".encode()


def parse_size_body(body: bytes) -> int:
    """The size in a 409 answer's ``text/x.tlog.size`` body."""
    match = _SIZE.fullmatch(body.decode("ascii", errors="replace"))
    if match is None or int(match.group(1)) > MAX_TREE_SIZE:
        raise AddCheckpointError(f"a 409 body must be a decimal size and a newline: {body[:40]!r}")
    return int(match.group(1))


__all__ = [
    "MAX_PROOF_LINES",
    "PATH",
    "SIZE_CONTENT_TYPE",
    "AddCheckpoint",
    "AddCheckpointError",
    "parse_size_body",
    "size_body",
]
