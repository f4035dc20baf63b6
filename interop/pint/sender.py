"""The sending platform: one envelope transfer, from the in-flight mark to the signed answer.

``Sender.send`` refuses before anything leaves if the eBL is already in flight from here
(one active envelope per eBL, enforced by the store's unique index, so two concurrent sends
cannot both go), if the chain it would extend is not this platform's own record, or if a
surrender is not addressed to the issuing carrier's platform. Then, in this order:

1. the envelope is built, signed and stored, and the store marks it in flight;
2. the ledger marks the eBL ``IN_FLIGHT`` (no control action is possible from now on);
3. the envelope is posted, the missing additional documents uploaded, the transfer
   finished;
4. the signed answer is verified (the receiving platform's key, this very transfer's
   checksum) and decides: ``RECE``/``DUPE`` transfer control out for good, ``BENV``/``BSIG``
   hand it back, ``DISE`` leaves the eBL blocked for out-of-band resolution.

Anything short of a verifiable signed answer (a network failure, an unsigned error, a
crash) leaves the eBL in flight; ``resume`` sends the very same stored bytes again, so a
retry after a crash between the upload and the finish ends in a single acceptance.
"""

from __future__ import annotations

import base64
import datetime
import enum
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from interop.pint import schema
from interop.pint.chain import ChainError, walk
from interop.pint.checksums import transport_document_checksum
from interop.pint.envelope import (
    AdditionalDocument,
    EnvelopeBuildError,
    build_envelope,
    chain_entry,
)
from interop.pint.ledger_port import (
    ControlRefusedError,
    OutboundTransfer,
    PintLedger,
    SignedAnswer,
)
from interop.pint.models import (
    SURRENDERS,
    ActionCode,
    FinishedResponse,
    IdentifyingCode,
    Party,
    ReceiverValidationResponse,
    ResponseCode,
    StartedResponse,
    Transaction,
    TransferChainEntry,
)
from interop.pint.signatures import (
    KeyRing,
    PayloadError,
    PlatformSigner,
    SignatureError,
    unverified_payload,
    verify,
)
from interop.pint.store import AlreadyActiveError, OutboundRecord, PintStore

API_MAJOR = "3"
MAX_ROUNDS = 3  # start + uploads + finish, repeated at most this often per call


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class OutboundState(enum.StrEnum):
    IN_FLIGHT = "in_flight"
    TRANSFERRED = "transferred"
    REJECTED = "rejected"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"


class SendRefusedError(Exception):
    """Refused before anything was sent; the eBL is where it was."""


class TransferPendingError(Exception):
    """No signed answer yet (network, unsigned error, receiver busy): the eBL stays in
    flight, and ``Sender.resume`` carries on from what the store holds."""

    def __init__(self, td_checksum: str, reason: str) -> None:
        super().__init__(f"eBL {td_checksum} stays in flight: {reason}")
        self.td_checksum = td_checksum
        self.reason = reason


@dataclass(frozen=True)
class Peer:
    """A receiving platform: its code and the base URL its ``/v3`` endpoints live under."""

    platform: str
    url: str

    def endpoint(self, path: str) -> str:
        return self.url.rstrip("/") + path


@dataclass(frozen=True)
class Transfer:
    """What to send: the transport document, the chain so far (verbatim, empty on the
    issuing platform before its first transfer), this platform's new transactions (the
    last one names the recipient), and whose control moves."""

    transport_document: Mapping[str, Any]
    previous_chain: Sequence[str]
    transactions: Sequence[Transaction]
    actor: str
    to: Peer
    documents: Sequence[AdditionalDocument] = ()
    visualisation: AdditionalDocument | None = None
    issuance_manifest: str | None = None


@dataclass(frozen=True)
class Outcome:
    td_checksum: str
    last_entry_checksum: str
    peer: str
    state: OutboundState
    code: ResponseCode | None
    reason: str | None
    answer: str | None  # the signed answer, verbatim

    def to_json(self) -> dict[str, Any]:
        return {
            "transportDocumentChecksum": self.td_checksum,
            "lastEnvelopeTransferChainEntrySignedContentChecksum": self.last_entry_checksum,
            "platform": self.peer,
            "state": self.state.value,
            "responseCode": self.code.value if self.code else None,
            "reason": self.reason,
            "signedResponse": self.answer,
        }


@dataclass(frozen=True)
class _Answer:
    code: ResponseCode
    response: FinishedResponse
    jws: str


class Sender:
    def __init__(
        self,
        *,
        signer: PlatformSigner,
        ring: KeyRing,
        store: PintStore,
        ledger: PintLedger,
        client: httpx.Client,
        clock: Callable[[], datetime.datetime] = _utcnow,
    ) -> None:
        self.platform = signer.platform
        self.signer = signer
        self.ring = ring
        self.store = store
        self.ledger = ledger
        self.client = client
        self.clock = clock

    # --- receiver validation ------------------------------------------------------------

    def receiver_party(self, peer: Peer, code: IdentifyingCode) -> Party:
        """Ask the receiving platform whom ``code`` names, and build the recipient party."""
        try:
            response = self.client.post(
                peer.endpoint("/v3/receiver-validation"),
                json=code.wire(),
                headers={"API-Version": API_MAJOR},
            )
        except httpx.HTTPError as exc:
            raise SendRefusedError(f"{peer.platform} cannot be reached: {exc}") from exc
        if response.status_code != 200:
            raise SendRefusedError(
                f"{peer.platform} does not know {code.codeListProvider}:{code.partyCode} "
                f"(HTTP {response.status_code})"
            )
        try:
            found = ReceiverValidationResponse.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise SendRefusedError(f"{peer.platform} answered receiver validation badly") from exc
        return Party(partyName=found.partyName, eblPlatform=peer.platform, identifyingCodes=[code])

    # --- sending ------------------------------------------------------------------------

    def send(self, transfer: Transfer) -> Outcome:
        td_checksum = transport_document_checksum(transfer.transport_document)
        active = self.store.active_outbound(td_checksum)
        if active is not None:
            if active.peer_platform == transfer.to.platform and active.actor == transfer.actor:
                return self.resume(td_checksum)  # a retry of the transfer under way
            raise SendRefusedError(
                f"eBL {td_checksum} is already {active.state.replace('_', ' ')} to "
                f"{active.peer_platform}: no other transfer is possible"
            )
        entry, body, out = self._build(transfer, td_checksum)
        try:
            record = self.store.begin_outbound(
                last_checksum=out.last_entry_checksum,
                td_checksum=td_checksum,
                peer_platform=transfer.to.platform,
                peer_url=transfer.to.url,
                actor=transfer.actor,
                action=out.action.value,
                recipient=out.recipient.wire(),
                envelope=body,
                documents=[(d.checksum, d.content) for d in _documents(transfer)],
                own_entry=entry,
            )
        except AlreadyActiveError as exc:
            raise SendRefusedError(f"{exc}: no other transfer is possible") from None
        try:
            self.ledger.begin_transfer_out(out)
        except ControlRefusedError as refused:
            self.store.close_outbound(
                out.last_entry_checksum, OutboundState.CANCELLED.value, None, None, refused.rule
            )
            raise SendRefusedError(f"the ledger refuses: {refused.rule}") from None
        return self._drive(record, out)

    def resume(self, td_checksum: str) -> Outcome:
        """Carry on the transfer in flight for this eBL, from the stored envelope."""
        record = self.store.active_outbound(td_checksum)
        if record is None:
            raise SendRefusedError(f"nothing is in flight for eBL {td_checksum}")
        out = _transfer_of(record)
        if record.state == OutboundState.DISPUTED:
            return _outcome(record, OutboundState.DISPUTED)
        self.ledger.begin_transfer_out(out)  # idempotent: the crash may have come before it
        return self._drive(record, out)

    def _build(self, transfer: Transfer, td_checksum: str) -> tuple[str, str, OutboundTransfer]:
        known = self.store.chain(td_checksum)
        previous = tuple(transfer.previous_chain)
        if previous != known:
            raise SendRefusedError(
                f"the chain to extend ({len(previous)} entries) is not this platform's record "
                f"of the eBL ({len(known)} entries)"
            )
        if not transfer.transactions:
            raise SendRefusedError("a transfer records at least one transaction")
        last = transfer.transactions[-1]
        if last.recipient is None or last.recipient.eblPlatform != transfer.to.platform:
            raise SendRefusedError(
                f"the last transaction must name a recipient on {transfer.to.platform}"
            )
        entries = [TransferChainEntry.model_validate(unverified_payload(e)) for e in previous]
        carrier_platform = entries[0].eblPlatform if entries else self.platform
        if (
            any(ActionCode(t.actionCode) in SURRENDERS for t in transfer.transactions)
            and transfer.to.platform != carrier_platform
        ):
            raise SendRefusedError(
                f"a surrender goes to the platform that issued the eBL ({carrier_platform}), "
                f"not to {transfer.to.platform}"
            )
        try:
            entry = chain_entry(
                transfer.transport_document,
                previous,
                transfer.transactions,
                self.signer,
                transfer.issuance_manifest if not previous else None,
            )
            walk([*entries, TransferChainEntry.model_validate(unverified_payload(entry))])
            envelope = build_envelope(
                transfer.transport_document,
                [*previous, entry],
                self.signer,
                transfer.documents,
                transfer.visualisation,
            )
        except (EnvelopeBuildError, ChainError, ValueError) as exc:
            raise SendRefusedError(f"not a transfer this platform can sign: {exc}") from None
        out = OutboundTransfer(
            td_checksum=td_checksum,
            actor=transfer.actor,
            action=ActionCode(last.actionCode),
            to_platform=transfer.to.platform,
            recipient=last.recipient,
            last_entry_checksum=envelope.last_entry_checksum,
        )
        return entry, json.dumps(envelope.to_json(), ensure_ascii=False), out

    # --- the exchange -------------------------------------------------------------------

    def _drive(self, record: OutboundRecord, out: OutboundTransfer) -> Outcome:
        peer = Peer(record.peer_platform, record.peer_url)
        for _ in range(MAX_ROUNDS):
            response = self._call("POST", peer.endpoint("/v3/envelopes"), record, record.envelope)
            if response.status_code == 201:
                started = self._started(record, response)
                self.store.set_reference(record.last_checksum, started.envelopeReference)
                answer = self._upload_and_finish(
                    record,
                    peer,
                    started.envelopeReference,
                    started.missingAdditionalDocumentChecksums,
                )
            else:
                answer = self._answer(record, response)
            if answer is not None:
                return self._conclude(record, out, answer)
        raise TransferPendingError(record.td_checksum, f"no final answer after {MAX_ROUNDS} rounds")

    def _upload_and_finish(
        self, record: OutboundRecord, peer: Peer, reference: str, missing: Sequence[str]
    ) -> _Answer | None:
        base = f"/v3/envelopes/{reference}"
        for _ in range(MAX_ROUNDS):
            for checksum in missing:
                if checksum not in record.documents:
                    raise TransferPendingError(
                        record.td_checksum, f"{peer.platform} asks for an undeclared document"
                    )
                content = self.store.document(checksum)
                assert content is not None  # stored with the envelope
                body = json.dumps(base64.b64encode(content).decode("ascii"))
                url = peer.endpoint(f"{base}/additional-documents/{checksum}")
                response = self._call("PUT", url, record, body)
                if response.status_code != 204:
                    answer = self._answer(record, response)
                    if answer is not None:
                        return answer
            response = self._call("PUT", peer.endpoint(f"{base}/finish-transfer"), record, None)
            answer = self._answer(record, response)
            if answer is None or answer.code is not ResponseCode.MDOC:
                return answer
            missing = answer.response.missingAdditionalDocumentChecksums or []
        return None

    def _call(
        self, method: str, url: str, record: OutboundRecord, body: str | None
    ) -> httpx.Response:
        headers = {"API-Version": API_MAJOR, "Content-Type": "application/json"}
        try:
            return self.client.request(
                method, url, content=body.encode() if body is not None else None, headers=headers
            )
        except httpx.HTTPError as exc:
            raise TransferPendingError(record.td_checksum, f"{method} {url}: {exc}") from exc

    def _started(self, record: OutboundRecord, response: httpx.Response) -> StartedResponse:
        try:
            body = response.json()
        except ValueError:
            body = None
        problems = schema.violations("EnvelopeTransferStartedResponse", body)
        if problems:
            raise TransferPendingError(record.td_checksum, "a malformed started response")
        started = StartedResponse.model_validate(body)
        if started.lastEnvelopeTransferChainEntrySignedContentChecksum != record.last_checksum:
            raise TransferPendingError(
                record.td_checksum, "a started response for another envelope"
            )
        return started

    def _answer(self, record: OutboundRecord, response: httpx.Response) -> _Answer | None:
        """The verified signed answer in ``response``, or TransferPendingError. The signed
        code decides; the HTTP status is not covered by the signature and is ignored."""
        try:
            token = response.json()
        except ValueError:
            token = None
        if not isinstance(token, str):
            raise TransferPendingError(
                record.td_checksum, f"an unsigned answer (HTTP {response.status_code})"
            )
        try:
            verified = verify(token, self.ring)
        except (SignatureError, PayloadError) as exc:
            raise TransferPendingError(
                record.td_checksum, f"an answer that does not verify: {exc}"
            ) from None
        if verified.platform != record.peer_platform:
            raise TransferPendingError(
                record.td_checksum, f"an answer signed by {verified.platform}, not the receiver"
            )
        if schema.violations("EnvelopeTransferFinishedResponse", verified.payload):
            raise TransferPendingError(
                record.td_checksum, "a signed answer that breaks DCSA's schema"
            )
        answer = FinishedResponse.model_validate(verified.payload)
        if answer.lastEnvelopeTransferChainEntrySignedContentChecksum != record.last_checksum:
            raise TransferPendingError(record.td_checksum, "a signed answer about another transfer")
        return _Answer(answer.responseCode, answer, token)

    def _conclude(self, record: OutboundRecord, out: OutboundTransfer, answer: _Answer) -> Outcome:
        signed = SignedAnswer(answer.code, record.peer_platform, answer.jws, self.clock())
        reason = answer.response.reason
        if answer.code.accepted:
            self.ledger.complete_transfer_out(out, signed)
            envelope = json.loads(record.envelope)
            self.store.remember(
                record.td_checksum,
                envelope["transportDocument"],
                envelope["envelopeTransferChain"],
            )
            state = OutboundState.TRANSFERRED
        elif answer.code in (ResponseCode.BENV, ResponseCode.BSIG):
            # A signed rejection of this very envelope: control comes back, and this entry
            # is never sent again (a retry signs a new one).
            self.ledger.cancel_transfer_out(out, signed)
            state = OutboundState.REJECTED
        elif answer.code is ResponseCode.DISE:
            state = OutboundState.DISPUTED  # stays blocked; DCSA: resolved out of band
        else:
            # INCD and MDOC do not reject the transfer: it stays in flight (only a signed
            # rejection gives control back).
            raise TransferPendingError(
                record.td_checksum, f"{answer.code.value}: {reason or 'documents not accepted'}"
            )
        self.store.close_outbound(
            record.last_checksum, state.value, answer.jws, answer.code.value, reason
        )
        return Outcome(
            record.td_checksum,
            record.last_checksum,
            record.peer_platform,
            state,
            answer.code,
            reason,
            answer.jws,
        )


def _documents(transfer: Transfer) -> list[AdditionalDocument]:
    return ([transfer.visualisation] if transfer.visualisation else []) + list(transfer.documents)


def _transfer_of(record: OutboundRecord) -> OutboundTransfer:
    return OutboundTransfer(
        td_checksum=record.td_checksum,
        actor=record.actor,
        action=ActionCode(record.action),
        to_platform=record.peer_platform,
        recipient=Party.model_validate(record.recipient),
        last_entry_checksum=record.last_checksum,
    )


def _outcome(record: OutboundRecord, state: OutboundState) -> Outcome:
    return Outcome(
        record.td_checksum,
        record.last_checksum,
        record.peer_platform,
        state,
        ResponseCode(record.response_code) if record.response_code else None,
        record.reason,
        record.response,
    )
