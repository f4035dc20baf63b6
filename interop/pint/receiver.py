"""The receiving platform: the four PINT operations as methods returning HTTP replies.

``Receiver`` judges with ``interop.pint.checks``, remembers with ``PintStore``, moves control
through the ``PintLedger`` port and answers with signed ``EnvelopeTransferFinishedResponse``
JWS (or DCSA's unsigned ``EnvelopeTransferStartedResponse`` and ``ErrorResponse`` where the
standard says so). Every final answer is stored before it is returned, so a retried finish
gets the very same signed bytes, and the ledger records each accepted transfer once.

It needs no web framework: ``interop.pint.server`` maps these replies onto HTTP.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chaincode.canonical import CanonicalizationError
from interop.pint import schema
from interop.pint.checks import (
    Inspected,
    Judgement,
    inspect_envelope,
    judge_document,
    judge_history,
    last_checksum_of,
    missing_documents,
)
from interop.pint.checksums import canonical_checksum, document_checksum
from interop.pint.ledger_port import (
    ControlRefusedError,
    InboundTransfer,
    PartyDirectory,
    PintLedger,
)
from interop.pint.models import (
    ActionCode,
    EnvelopeManifest,
    FinishedResponse,
    IdentifyingCode,
    ResponseCode,
    StartedResponse,
)
from interop.pint.signatures import KeyRing, PlatformSigner, unverified_payload
from interop.pint.store import InboundRecord, PintStore

MAX_REASON = 255  # EnvelopeTransferFinishedResponse.reason maxLength


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: a JSON body, nothing (204), or an unsigned DCSA error."""

    status: int
    body: Any = None
    error: str | None = None  # set for ErrorResponse replies: the message

    @classmethod
    def fail(cls, status: int, message: str) -> Reply:
        return cls(status, None, message)


def _hex64(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


class Receiver:
    def __init__(
        self,
        *,
        signer: PlatformSigner,
        ring: KeyRing,
        store: PintStore,
        ledger: PintLedger,
        directory: PartyDirectory,
        clock: Callable[[], datetime.datetime] = _utcnow,
        new_reference: Callable[[], str] = lambda: secrets.token_urlsafe(24),
    ) -> None:
        self.platform = signer.platform
        self.signer = signer
        self.ring = ring
        self.store = store
        self.ledger = ledger
        self.directory = directory
        self.clock = clock
        self.new_reference = new_reference

    # --- the signed answer ----------------------------------------------------------------

    def answer(
        self,
        code: ResponseCode,
        last_checksum: str,
        reason: str | None = None,
        *,
        missing: Sequence[str] = (),
        received: Sequence[str] | None = None,
        duplicate_of: str | None = None,
    ) -> str:
        response = FinishedResponse(
            lastEnvelopeTransferChainEntrySignedContentChecksum=last_checksum,
            responseCode=code,
            reason=None if code is ResponseCode.RECE or not reason else reason[:MAX_REASON],
            missingAdditionalDocumentChecksums=list(missing) or None,
            receivedAdditionalDocumentChecksums=list(received) if received is not None else None,
            duplicateOfAcceptedEnvelopeTransferChainEntrySignedContent=duplicate_of,
        )
        payload = response.wire()
        problems = schema.violations("EnvelopeTransferFinishedResponse", payload)
        if problems:  # our own bug; never sign it
            raise AssertionError(f"an answer that breaks DCSA's schema: {problems}")
        return self.signer.sign(payload)

    def _signed(self, code: ResponseCode, last: str, reason: str | None, **kw: Any) -> Reply:
        return Reply(code.http_status, self.answer(code, last, reason, **kw))

    # --- POST /v3/receiver-validation -----------------------------------------------------

    def validate_receiver(self, body: Any) -> Reply:
        problems = schema.violations("IdentifyingCode", body)
        if problems:
            return Reply.fail(400, "not an IdentifyingCode: " + "; ".join(problems))
        account = self.directory.find(IdentifyingCode.model_validate(body))
        if account is None:
            return Reply.fail(404, "no active party on this platform has this code")
        return Reply(200, {"partyName": account.party.partyName})

    # --- POST /v3/envelopes ---------------------------------------------------------------

    def start(self, body: Any) -> Reply:
        # A signed rejection or dispute is final for this exact envelope: a replay of it
        # gets the same answer, never a later acceptance behind the sender's back.
        try:
            envelope_checksum = canonical_checksum(body)
        except CanonicalizationError as exc:
            # Every PINT checksum is over RFC 8785 bytes: JSON without them is no envelope.
            judged = Judgement(
                ResponseCode.BENV,
                f"the envelope is not I-JSON, so it has no RFC 8785 form: {exc}",
                (),
                last_checksum_of(body),
            )
            return self._refused(judged)
        final = self.store.final_answer(envelope_checksum)
        if final is not None:
            return Reply(final[1], final[0])
        judged = inspect_envelope(body, self.platform, self.ring, self.directory)
        if not judged.passed:
            return self._final(envelope_checksum, judged.last_entry_checksum, self._refused(judged))
        envelope = judged.envelope
        assert envelope is not None
        with self.store.writing():
            ours = self.store.active_outbound(envelope.td_checksum)
            if ours is not None and ours.last_checksum in envelope.checksums[:-1]:
                # The receiver of our own transfer has built on it, so it accepted; our
                # sender has not read that answer yet. Not a dispute: retry once it has.
                return Reply.fail(503, "this platform's transfer of the eBL awaits its answer")
            history = judge_history(envelope, self._history(envelope.td_checksum), self.platform)
            if history.code is ResponseCode.DISE:
                reply = self._history_answer(envelope, history)
                return self._final(envelope_checksum, envelope.last_entry_checksum, reply)
            if history.code is not None:
                return self._history_answer(envelope, history)
            missing = missing_documents(envelope.documents, self.store.has_document)
            pending = self.store.pending_inbound(envelope.td_checksum)
            if pending is not None and canonical_checksum(pending.envelope) == envelope_checksum:
                reference = pending.reference  # the sender retrying the same envelope
            else:
                reference = self.new_reference()
                self.store.open_inbound(reference, envelope.td_checksum, body)
            if not missing:
                return self._accept(envelope, reference)
        started = StartedResponse(
            envelopeReference=reference,
            transportDocumentChecksum=envelope.td_checksum,
            lastEnvelopeTransferChainEntrySignedContentChecksum=envelope.last_entry_checksum,
            missingAdditionalDocumentChecksums=missing,
        )
        return Reply(201, started.wire())

    def _final(self, envelope_checksum: str, last: str | None, reply: Reply) -> Reply:
        if last is not None and isinstance(reply.body, str):
            self.store.keep_final_answer(envelope_checksum, last, reply.body, reply.status)
        return reply

    def _refused(self, judged: Judgement) -> Reply:
        assert judged.code is not None
        if judged.last_entry_checksum is None:
            # No chain entry to answer about, so no signed answer: an unsigned error.
            return Reply.fail(400, f"{judged.code.value}: {judged.reason}")
        return self._signed(judged.code, judged.last_entry_checksum, judged.reason)

    def _history(self, td_checksum: str) -> Any:
        return self.store.history(td_checksum, self.ledger.control(td_checksum))

    def _history_answer(self, envelope: Inspected, history: Judgement) -> Reply:
        assert history.code is not None
        last = envelope.last_entry_checksum
        if history.code is ResponseCode.DUPE:
            return self._signed(
                ResponseCode.DUPE,
                last,
                history.reason,
                received=[d.documentChecksum for d in envelope.documents],
                duplicate_of=history.duplicate_of,
            )
        return self._signed(history.code, last, history.reason)

    def _accept(self, envelope: Inspected, reference: str) -> Reply:
        """Inside the store's write transaction: the ledger records the move, then the
        store keeps the chain and the signed RECE (a crash between the two is retried, and
        the ledger's record is idempotent)."""
        last = envelope.last_entry_checksum
        received = [d.documentChecksum for d in envelope.documents]
        facts = envelope.facts
        try:
            self.ledger.record_received(
                InboundTransfer(
                    td_checksum=envelope.td_checksum,
                    transport_document=envelope.transport_document,
                    from_platform=envelope.sender,
                    action=ActionCode(facts.last.actionCode),
                    actor=facts.last.actor,
                    recipient=envelope.recipient,
                    recipient_account=envelope.recipient_account,
                    carrier=facts.carrier,
                    carrier_platform=facts.carrier_platform,
                    chain=envelope.chain,
                    last_entry_checksum=last,
                    documents=tuple(received),
                    received_at=self.clock(),
                )
            )
        except ControlRefusedError as refused:
            dise = self.answer(ResponseCode.DISE, last, f"the ledger refuses: {refused.rule}")
            self.store.close_inbound(reference, "rejected", dise, ResponseCode.DISE.http_status)
            return Reply(ResponseCode.DISE.http_status, dise)
        rece = self.answer(ResponseCode.RECE, last, received=received)
        self.store.remember(envelope.td_checksum, envelope.transport_document, envelope.chain)
        self.store.close_inbound(reference, "accepted", rece, ResponseCode.RECE.http_status)
        return Reply(ResponseCode.RECE.http_status, rece)

    # --- PUT /v3/envelopes/{ref}/additional-documents/{checksum} --------------------------

    def upload(self, reference: str, checksum: str, body: Any) -> Reply:
        record = self.store.inbound(reference)
        if record is None or record.state not in ("pending", "accepted"):
            return Reply.fail(404, f"no active envelope transfer {reference!r}")
        if not _hex64(checksum):
            return Reply.fail(400, "documentChecksum is 64 lowercase hex digits (SHA-256)")
        if not isinstance(body, str):
            return Reply.fail(400, "the body is a JSON string: the document in base64")
        try:
            content = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return Reply.fail(400, "the body is not base64")
        declared = self._manifest(record).documents()
        judged = judge_document(declared, checksum, content)
        if judged.code is not None:
            return self._signed(judged.code, record.last_checksum, judged.reason)
        self.store.put_document(document_checksum(content), content)
        return Reply(204)

    @staticmethod
    def _manifest(record: InboundRecord) -> EnvelopeManifest:
        # Verified when the envelope was accepted for transfer; read again as stored.
        payload = unverified_payload(record.envelope["envelopeManifestSignedContent"])
        return EnvelopeManifest.model_validate(payload)

    # --- PUT /v3/envelopes/{ref}/finish-transfer ------------------------------------------

    def finish(self, reference: str) -> Reply:
        record = self.store.inbound(reference)
        if record is None:
            return Reply.fail(404, f"no envelope transfer {reference!r}")
        if record.response is not None and record.response_status is not None:
            return Reply(record.response_status, record.response)  # the same signed bytes
        if record.state != "pending":
            return Reply.fail(404, f"envelope transfer {reference!r} was replaced by a newer one")
        judged = inspect_envelope(record.envelope, self.platform, self.ring, self.directory)
        if not judged.passed:  # a key withdrawn since the start, for instance
            reply = self._refused(judged)
            self._close(record, "rejected", reply)
            return reply
        envelope = judged.envelope
        assert envelope is not None
        with self.store.writing():
            missing = missing_documents(envelope.documents, self.store.has_document)
            if missing:
                return self._signed(
                    ResponseCode.MDOC,
                    envelope.last_entry_checksum,
                    f"{len(missing)} additional document(s) not received",
                    missing=missing,
                )
            history = judge_history(envelope, self._history(envelope.td_checksum), self.platform)
            if history.code is not None:
                reply = self._history_answer(envelope, history)
                self._close(
                    record, "superseded" if history.code is ResponseCode.DUPE else "rejected", reply
                )
                return reply
            return self._accept(envelope, reference)

    def _close(self, record: InboundRecord, state: str, reply: Reply) -> None:
        if isinstance(reply.body, str):
            self.store.close_inbound(record.reference, state, reply.body, reply.status)
