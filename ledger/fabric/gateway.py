"""A Fabric Gateway client: Endorse, Submit, CommitStatus, Evaluate and ChaincodeEvents over
gRPC, with the ``hyperledger-fabric-protos`` stubs (``fabric-sdk-py`` is dead).

Proposals are built as Fabric's own client builds them (``protoutil``): a
``SignatureHeader`` with the creator (MSP id + certificate) and a 24-byte random nonce, the
transaction id SHA-256(nonce || creator) in hex, a ``ChannelHeader`` of type
ENDORSER_TRANSACTION naming the channel and chaincode. Every signature is ECDSA P-256 over
SHA-256, DER, with S in the lower half of the curve order (Fabric's MSP rejects high-S).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.msp import identities_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import (
    chaincode_pb2,
    proposal_pb2,
    proposal_response_pb2,
    transaction_pb2,
)
from google.protobuf import timestamp_pb2
from google.rpc import status_pb2

# The order of P-256 (NIST SP 800-186): the bound for low-S signatures.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
NONCE_BYTES = 24
ALREADY = "request already processed"
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 100 * 1024 * 1024),
    ("grpc.max_send_message_length", 100 * 1024 * 1024),
]


class GatewayError(Exception):
    """The gateway refused or failed a call: its gRPC status, message and details (each
    endorsing or ordering node's address, MSP and message)."""

    def __init__(
        self, code: grpc.StatusCode, message: str, details: list[tuple[str, str, str]]
    ) -> None:
        self.code = code
        self.message = message
        self.details = details
        lines = [f"{code.name}: {message}"] + [f"  {a} ({m}): {t}" for a, m, t in details]
        super().__init__("\n".join(lines))


def _error(exc: grpc.RpcError) -> GatewayError:
    code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    message = exc.details() if hasattr(exc, "details") else str(exc)
    details: list[tuple[str, str, str]] = []
    trailers: Any = exc.trailing_metadata() if hasattr(exc, "trailing_metadata") else None
    for key, value in trailers or ():
        if key != "grpc-status-details-bin":
            continue
        status = status_pb2.Status.FromString(bytes(value))
        for any_detail in status.details:
            detail = gateway_pb2.ErrorDetail()
            if any_detail.Unpack(detail):
                details.append((detail.address, detail.msp_id, detail.message))
    return GatewayError(code, message or "", details)


def low_s(signature: bytes) -> bytes:
    """The same ECDSA P-256 signature with S <= n/2."""
    r, s = decode_dss_signature(signature)
    if s > P256_ORDER // 2:
        s = P256_ORDER - s
    return encode_dss_signature(r, s)


@dataclass(frozen=True)
class Signer:
    """A Fabric identity: its MSP, its certificate (PEM) and its P-256 private key."""

    msp_id: str
    certificate: bytes
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def load(
        cls, msp_id: str, certificate: bytes, key_pem: bytes, passphrase: bytes | None = None
    ) -> Signer:
        key = serialization.load_pem_private_key(key_pem, passphrase)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
            key.curve, ec.SECP256R1
        ):
            raise ValueError("a Fabric identity key must be ECDSA P-256")
        return cls(msp_id, certificate, key)

    @property
    def creator(self) -> bytes:
        """The serialised identity that proposals and requests carry."""
        return bytes(
            identities_pb2.SerializedIdentity(
                mspid=self.msp_id, id_bytes=self.certificate
            ).SerializeToString()
        )

    def sign(self, message: bytes) -> bytes:
        return low_s(self.key.sign(message, ec.ECDSA(hashes.SHA256())))


def transaction_id(nonce: bytes, creator: bytes) -> str:
    return hashlib.sha256(nonce + creator).hexdigest()


@dataclass(frozen=True)
class Proposal:
    channel: str
    chaincode: str
    tx_id: str
    signed: Any  # peer.SignedProposal


def proposal(
    signer: Signer,
    channel: str,
    chaincode: str,
    args: Sequence[bytes],
    transient: Mapping[str, bytes] | None = None,
    now: datetime.datetime | None = None,
) -> Proposal:
    """A signed chaincode proposal, as ``protoutil.CreateChaincodeProposal...`` builds it."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    creator = signer.creator
    tx_id = transaction_id(nonce, creator)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(now or datetime.datetime.now(datetime.UTC))
    extension = proposal_pb2.ChaincodeHeaderExtension(
        chaincode_id=chaincode_pb2.ChaincodeID(name=chaincode)
    )
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.ENDORSER_TRANSACTION,
        timestamp=stamp,
        channel_id=channel,
        tx_id=tx_id,
        extension=extension.SerializeToString(),
    )
    signature_header = common_pb2.SignatureHeader(creator=creator, nonce=nonce)
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=signature_header.SerializeToString(),
    )
    spec = chaincode_pb2.ChaincodeInvocationSpec(
        chaincode_spec=chaincode_pb2.ChaincodeSpec(
            type=chaincode_pb2.ChaincodeSpec.UNDEFINED,
            chaincode_id=chaincode_pb2.ChaincodeID(name=chaincode),
            input=chaincode_pb2.ChaincodeInput(args=list(args)),
        )
    )
    payload = proposal_pb2.ChaincodeProposalPayload(
        input=spec.SerializeToString(), TransientMap=dict(transient or {})
    )
    body = proposal_pb2.Proposal(
        header=header.SerializeToString(), payload=payload.SerializeToString()
    ).SerializeToString()
    signed = proposal_pb2.SignedProposal(proposal_bytes=body, signature=signer.sign(body))
    return Proposal(channel, chaincode, tx_id, signed)


@dataclass(frozen=True)
class Endorsed:
    tx_id: str
    channel: str
    envelope: Any  # common.Envelope, unsigned
    result: bytes  # the chaincode's response payload


@dataclass(frozen=True)
class CommitStatus:
    code: int  # peer.TxValidationCode
    block: int

    @property
    def name(self) -> str:
        return str(transaction_pb2.TxValidationCode.Name(self.code))

    @property
    def valid(self) -> bool:
        return bool(self.code == transaction_pb2.VALID)


@dataclass(frozen=True)
class Event:
    block: int
    tx_id: str
    name: str
    payload: bytes


class Gateway:
    """One gRPC connection to a peer's gateway service, over TLS."""

    def __init__(self, address: str, tls_roots: bytes, timeout: float = 30.0) -> None:
        self.address = address
        self._timeout = timeout
        credentials = grpc.ssl_channel_credentials(root_certificates=tls_roots)
        self._channel = grpc.secure_channel(address, credentials, options=CHANNEL_OPTIONS)
        self._stub = gateway_pb2_grpc.GatewayStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def endorse(self, prop: Proposal, organisations: Sequence[str] = ()) -> Endorsed:
        request = gateway_pb2.EndorseRequest(
            transaction_id=prop.tx_id,
            channel_id=prop.channel,
            proposed_transaction=prop.signed,
            endorsing_organizations=list(organisations),
        )
        try:
            response = self._stub.Endorse(request, timeout=self._timeout)
        except grpc.RpcError as exc:
            raise _error(exc) from None
        envelope = response.prepared_transaction
        return Endorsed(prop.tx_id, prop.channel, envelope, _result_of(envelope))

    def submit(self, endorsed: Endorsed, signer: Signer) -> None:
        envelope = common_pb2.Envelope()
        envelope.CopyFrom(endorsed.envelope)
        envelope.signature = signer.sign(envelope.payload)
        request = gateway_pb2.SubmitRequest(
            transaction_id=endorsed.tx_id,
            channel_id=endorsed.channel,
            prepared_transaction=envelope,
        )
        try:
            self._stub.Submit(request, timeout=self._timeout)
        except grpc.RpcError as exc:
            error = _error(exc)
            # With BFT the gateway sends to every orderer and wants a quorum of answers. An
            # orderer that already has the request (forwarded by another, or ordered
            # already) answers "request already processed", which the gateway counts as a
            # failure although the transaction is with the ordering service: its commit
            # status decides.
            if error.details and all(ALREADY in d[2] for d in error.details):
                return
            raise error from None

    def commit_status(
        self, channel: str, tx_id: str, signer: Signer, timeout: float | None = None
    ) -> CommitStatus:
        """Waits until the transaction is committed (valid or not) on this peer."""
        body = gateway_pb2.CommitStatusRequest(
            transaction_id=tx_id, channel_id=channel, identity=signer.creator
        ).SerializeToString()
        request = gateway_pb2.SignedCommitStatusRequest(request=body, signature=signer.sign(body))
        try:
            response = self._stub.CommitStatus(request, timeout=timeout or self._timeout)
        except grpc.RpcError as exc:
            raise _error(exc) from None
        return CommitStatus(int(response.result), int(response.block_number))

    def evaluate(self, prop: Proposal, organisations: Sequence[str] = ()) -> bytes:
        request = gateway_pb2.EvaluateRequest(
            transaction_id=prop.tx_id,
            channel_id=prop.channel,
            proposed_transaction=prop.signed,
            target_organizations=list(organisations),
        )
        try:
            response = self._stub.Evaluate(request, timeout=self._timeout)
        except grpc.RpcError as exc:
            raise _error(exc) from None
        return bytes(response.result.payload)

    def events(self, channel: str, chaincode: str, signer: Signer, start_block: int) -> EventStream:
        """The chaincode's events from ``start_block`` on, block by block, as they commit:
        a stream that ends only when cancelled or broken. The gateway sends nothing for a
        block without a matching event."""
        position = ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=start_block))
        body = gateway_pb2.ChaincodeEventsRequest(
            channel_id=channel,
            chaincode_id=chaincode,
            identity=signer.creator,
            start_position=position,
        ).SerializeToString()
        request = gateway_pb2.SignedChaincodeEventsRequest(
            request=body, signature=signer.sign(body)
        )
        return EventStream(self._stub.ChaincodeEvents(request))


class EventStream:
    """A ChaincodeEvents call: iterate for (block, events); ``cancel`` ends it."""

    def __init__(self, call: Any) -> None:
        self._call = call

    def cancel(self) -> None:
        self._call.cancel()

    def __iter__(self) -> Iterator[tuple[int, list[Event]]]:
        try:
            for response in self._call:
                block = int(response.block_number)
                yield (
                    block,
                    [
                        Event(block, e.tx_id, e.event_name, bytes(e.payload))
                        for e in response.events
                    ],
                )
        except grpc.RpcError as exc:
            raise _error(exc) from None


def _result_of(envelope: Any) -> bytes:
    """The chaincode response payload inside a prepared transaction."""
    payload = common_pb2.Payload.FromString(envelope.payload)
    transaction = transaction_pb2.Transaction.FromString(payload.data)
    action = transaction_pb2.ChaincodeActionPayload.FromString(transaction.actions[0].payload)
    response_payload = proposal_response_pb2.ProposalResponsePayload.FromString(
        action.action.proposal_response_payload
    )
    chaincode_action = proposal_pb2.ChaincodeAction.FromString(response_payload.extension)
    return bytes(chaincode_action.response.payload)


__all__ = [
    "CommitStatus",
    "Endorsed",
    "Event",
    "EventStream",
    "Gateway",
    "GatewayError",
    "Proposal",
    "Signer",
    "low_s",
    "proposal",
    "transact",
    "transaction_id",
]


def transact(
    gateway: Gateway,
    signer: Signer,
    channel: str,
    chaincode: str,
    args: Sequence[bytes],
    organisations: Sequence[str] = (),
    transient: Mapping[str, bytes] | None = None,
) -> tuple[bytes, CommitStatus]:
    """Endorse, submit and wait for the commit: the chaincode's result and the status."""
    prop = proposal(signer, channel, chaincode, args, transient)
    endorsed = gateway.endorse(prop, organisations)
    gateway.submit(endorsed, signer)
    return endorsed.result, gateway.commit_status(channel, prop.tx_id, signer)
