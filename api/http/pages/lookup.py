"""What a printed certificate's QR code carries, and verifying a document by it.

The QR code holds the issuing node's verify URL with the document's digest
(``https://node.example/verify?digest=sha256:…``). Scanned with a phone it opens that page;
its text typed or pasted into a Verify page (a URL, or just ``sha256:<hex>``) looks the
digest up. The digest is a 256-bit value that only someone holding the document or its
printed copy knows, so showing its verification to whoever presents it is like verifying a
document presented: the report (checks and facts), never the content.

A digest whose signed document this node keeps is verified in full, through the same
pipeline as a presented document. A digest on the ledger without a copy here (anchored in a
batch, say) gets what the ledger alone can show, with the signature checks marked as not
checked; a digest the ledger does not hold gets UNKNOWN, since a typing slip looks the same.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from identity.checks import Check, CheckName, Report
from network.node import Node
from network.verification.pipeline import LIVE

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_BARE_HEX = re.compile(r"[0-9a-fA-F]{64}")
VERIFY_PATH = "/verify"


class NotAReferenceError(ValueError):
    """Text that is no QR code's text. ``key`` names the pages' message that says what was
    expected (the English text is the exception's message)."""

    def __init__(self, key: str, text: str) -> None:
        super().__init__(text)
        self.key = key


@dataclass(frozen=True)
class Reference:
    digest: str
    # The node the QR code names, when it is not this one (scheme://host[:port]).
    elsewhere: str | None = None


def qr_text(base_url: str, digest: str) -> str:
    """The text of a certificate's QR code: the node's verify URL for the digest."""
    if not DIGEST.fullmatch(digest):
        raise ValueError(f"{digest!r} is not a document digest (sha256:<64 hex>)")
    return f"{base_url.rstrip('/')}{VERIFY_PATH}?digest={digest}"


def parse_reference(text: str, own_origin: str) -> Reference:
    """A QR code's text (a verify URL) or a digest, typed or scanned."""
    value = text.strip()
    if not value:
        raise NotAReferenceError(
            "lookup.empty", "type or scan the QR code's text, or a digest sha256:<64 hex>"
        )
    if len(value) > 2048:
        raise NotAReferenceError(
            "lookup.too_long", "too long for a QR code's text (2,048 characters at most)"
        )
    if DIGEST.fullmatch(value):
        return Reference(value)
    if _BARE_HEX.fullmatch(value):
        return Reference("sha256:" + value.lower())
    url = urllib.parse.urlsplit(value)
    if url.scheme not in {"http", "https"} or not url.netloc:
        raise NotAReferenceError(
            "lookup.not_a_reference",
            "not a QR code's text: expected a verify URL (…/verify?digest=sha256:…) "
            "or a digest sha256:<64 hex>",
        )
    digests = urllib.parse.parse_qs(url.query).get("digest", [])
    if len(digests) != 1 or not DIGEST.fullmatch(digests[0]):
        raise NotAReferenceError(
            "lookup.bad_digest", "the URL's digest parameter is missing or not sha256:<64 hex>"
        )
    origin = f"{url.scheme}://{url.netloc}"
    elsewhere = None if origin.lower() == own_origin.lower() else origin
    return Reference(digests[0], elsewhere)


def verify_digest(node: Node, digest: str) -> tuple[dict[str, Any], bool]:
    """The verification report (its JSON) of the document with this digest, and whether it
    came from this node's own signed copy."""
    stored = node.store.get(digest)
    if stored is not None:
        return node.verify(stored).to_json(), True
    return _ledger_only(node, digest).to_json(), False


def _ledger_only(node: Node, digest: str) -> Report[Any]:
    record = node.ledger.document(digest)
    no_copy = "this node holds no copy of the document: present the document itself"
    if record is None:
        missing = Check.not_checked(
            CheckName.ANCHORED,
            f"{digest} is not on this node's ledger (check the text, or ask the issuing node)",
        )
        return Report((missing,), _Facts({"digest": digest}))
    evidence = node.ledger.evidence(digest, record.issuer)
    checks = [
        Check.not_checked(CheckName.SIGNATURE, no_copy),
        Check.not_checked(CheckName.INTEGRITY, no_copy),
        Check.passed(
            CheckName.ANCHORED, f"on the ledger as a {record.kind.value} issued by {record.issuer}"
        ),
    ]
    facts: dict[str, Any] = {
        "kind": record.kind.value,
        "issuer": record.issuer,
        "issuerCountry": record.country,
        "anchoredAt": record.issued_at.isoformat(),
        "state": record.state.value,
        "holder": record.holder,
        "digest": digest,
    }
    in_force = record.state in LIVE
    status = Check.passed if in_force else Check.failed
    checks.append(status(CheckName.STATUS, record.state.value))
    if evidence is not None:
        checks.append(node.pipeline.inclusion(evidence.proof))
    return Report(tuple(checks), _Facts({k: v for k, v in facts.items() if v is not None}))


@dataclass(frozen=True)
class _Facts:
    values: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return dict(self.values)


__all__ = [
    "DIGEST",
    "NotAReferenceError",
    "Reference",
    "parse_reference",
    "qr_text",
    "verify_digest",
]
