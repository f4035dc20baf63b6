"""A signed transaction as it travels and as the log stores it.

Wire form: ``{"tx": {...}, "kid": "sha256:<ledger certificate fingerprint>", "sig": "<base64
DER>"}``. The signature covers the RFC 8785 bytes of ``tx``. The transaction id is the
digest of the whole signed object's canonical bytes, so resubmitting the same signed
transaction is recognised and changes nothing.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from chaincode.canonical import canonical_bytes, digest_bytes, parse_json
from chaincode.transactions import Transaction
from identity.tx_keys import TxSigner


class MalformedTransactionError(ValueError):
    """Bytes that are not a well-formed signed transaction."""


@dataclass(frozen=True)
class SignedTx:
    wire: dict[str, Any]
    tx: Transaction
    kid: str
    signature: bytes
    signed_bytes: bytes  # the RFC 8785 bytes of ``tx``: what the signature covers
    canonical: bytes  # the RFC 8785 bytes of the whole signed object
    id: str


def sign(tx: Transaction, kid: str, signer: TxSigner) -> SignedTx:
    """Sign a transaction built (and so validated) locally."""
    body = tx.wire()
    tx_bytes = canonical_bytes(body)
    signature = signer.sign(tx_bytes)
    sig = base64.b64encode(signature).decode()
    canonical = _canonical(kid, sig, tx_bytes)
    wire = {"tx": body, "kid": kid, "sig": sig}
    return SignedTx(wire, tx, kid, signature, tx_bytes, canonical, digest_bytes(canonical))


def _canonical(kid: str, sig: str, tx_bytes: bytes) -> bytes:
    # RFC 8785 orders members by key ("kid" < "sig" < "tx"); ``tx`` is already canonical.
    return b"".join(
        (
            b'{"kid":',
            canonical_bytes(kid),
            b',"sig":',
            canonical_bytes(sig),
            b',"tx":',
            tx_bytes,
            b"}",
        )
    )


def parse(wire: dict[str, Any] | bytes) -> SignedTx:
    try:
        obj = parse_json(wire) if isinstance(wire, bytes) else wire
    except ValueError as exc:
        raise MalformedTransactionError(str(exc)) from exc
    if not isinstance(obj, dict) or set(obj) != {"tx", "kid", "sig"}:
        raise MalformedTransactionError("a signed transaction has exactly tx, kid and sig")
    try:
        tx_bytes = canonical_bytes(obj["tx"])
        tx = Transaction.model_validate_json(tx_bytes)
        signature = base64.b64decode(obj["sig"], validate=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MalformedTransactionError(f"tx.{where}: {first['msg']}") from exc
    except (binascii.Error, TypeError, ValueError) as exc:
        raise MalformedTransactionError(f"sig is not base64: {exc}") from exc
    if not isinstance(obj["kid"], str) or not isinstance(obj["sig"], str):
        raise MalformedTransactionError("kid and sig must be strings")
    canonical = _canonical(obj["kid"], obj["sig"], tx_bytes)
    return SignedTx(obj, tx, obj["kid"], signature, tx_bytes, canonical, digest_bytes(canonical))
