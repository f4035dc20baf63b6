"""A DCSA PINT 3.0.0 ``EblEnvelope`` as a format of the verification pipeline (``tdx verify``,
``POST /v1/verify``).

The envelope's own checks run first, as the receiving platform runs them (every signature
with the platform keys of ``HOME/pint.json``: ``BSIG``; the checksums binding transport
document, manifest and chain, the chain's rules, the document: ``BENV``), reported as one
``pint-envelope`` check; whether it is addressed to this platform is not asked (a verifier's
question, not a receipt). The transport document is then judged as tdx judges the eBL it
is: with its carrier's tdx signature, which PINT does not carry, from this node's store
(the node issued or imported it); without one the signature step fails and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chaincode.documents.registry import DocumentKind
from identity.checks import Check, CheckName, Status
from network.verification.formats import (
    TDX_ENVELOPE,
    Input,
    OpenedSignature,
    Presented,
    SignatureError,
)

if TYPE_CHECKING:
    from network.platforms.pint_platform import PintPlatform

FORMAT = "dcsa-pint/3.0.0"
ENVELOPE_KEYS = frozenset(
    {"transportDocument", "envelopeManifestSignedContent", "envelopeTransferChain"}
)


def _summary(checks: tuple[Check[Any], ...]) -> Check[CheckName]:
    failed = next((c for c in checks if c.status is Status.FAIL), None)
    if failed is not None:
        return Check.failed(CheckName.PINT_ENVELOPE, f"{failed.name}: {failed.reason}")
    passed = [c for c in checks if c.status is Status.PASS]
    if not passed or len(passed) != len(checks):
        return Check.failed(CheckName.PINT_ENVELOPE, "the envelope's checks did not all run")
    shown = "; ".join(f"{c.name}: {c.reason}" for c in passed)
    return Check.passed(CheckName.PINT_ENVELOPE, shown)


class PintFormat:
    """PINT envelopes, judged with this node's PINT platform (its keys and directory) and
    the tdx signatures in its store."""

    name = FORMAT

    def __init__(
        self,
        platform: Callable[[], PintPlatform | None],
        signature_of: Callable[[str], str | None],
    ) -> None:
        self._platform = platform
        self._signature_of = signature_of

    def read(self, data: Input) -> Presented | None:
        value = data.json()
        if not isinstance(value, dict) or not value.keys() >= ENVELOPE_KEYS:
            return None
        from interop.pint.checks import inspect_envelope
        from interop.pint.checksums import document_id, transport_document_checksum

        platform = self._platform()
        if platform is None:
            own = Check.failed(
                CheckName.PINT_ENVELOPE,
                "this node is not a PINT platform (no HOME/pint.json): no platform keys to "
                "check the envelope's signatures with",
            )
        else:
            judged = inspect_envelope(
                value, platform.code, platform.ring, platform.directory, receiving=False
            )
            own = _summary(tuple(judged.checks))
        td = value["transportDocument"]
        content = td if isinstance(td, dict) else {}
        signature = None
        if content:
            signature = self._signature_of(document_id(transport_document_checksum(content)))
        return Presented(FORMAT, DocumentKind.EBL, content, signature, (own,))

    def open_signature(self, presented: Presented, algorithms: frozenset[str]) -> OpenedSignature:
        if presented.signature is None:
            raise SignatureError(
                "PINT carries no tdx signature, and this node holds none of this transport "
                "document (it neither issued nor imported it); the envelope's own checks are "
                "in this report"
            )
        return TDX_ENVELOPE.open_signature(presented, algorithms)


__all__ = ["ENVELOPE_KEYS", "FORMAT", "PintFormat"]
