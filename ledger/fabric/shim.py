"""A minimal Fabric chaincode shim over the chaincode gRPC protocol, for chaincode run as a
service (CCaaS): the peer dials this server and opens one ``Connect`` stream.

Why our own and not ``fabric-chaincode-python``: its stub is asyncio-only, while the rules
(``chaincode.lifecycle.apply``) read state through a synchronous ``StateView``; its server
sets no HTTP/2 ping policy, so the peer's keepalive ping (every 60 s, ``comm``'s default
client keepalive) meets grpcio's default (one ping per 5 minutes without data, two strikes)
and the stream is closed with ``too_many_pings``; and it keeps grpcio's 4 MiB receive limit
while the peer sends up to 100 MiB. This shim allows pings every 30 s and messages of
100 MiB, and echoes ``txid`` and ``channel_id`` on every message it sends (the peer routes
a message to its transaction by that pair).

The protocol, as the Go shim speaks it: the chaincode sends ``REGISTER`` with its package
id; the peer answers ``REGISTERED`` then ``READY``; each proposal arrives as a
``TRANSACTION`` (or ``INIT``); the chaincode asks ``GET_STATE``, ``PUT_STATE``,
``DEL_STATE``, ``PUT_STATE_METADATA``... and waits for each ``RESPONSE`` (or ``ERROR``);
it ends with ``COMPLETED`` carrying a ``Response`` and the chaincode event. ``KEEPALIVE``
messages are echoed. Each transaction runs in a worker thread; replies are matched to it
by (channel, txid).
"""

from __future__ import annotations

import datetime
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from fabric_protos.common import common_pb2
from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import (
    chaincode_event_pb2,
    chaincode_pb2,
    chaincode_shim_pb2,
    chaincode_shim_pb2_grpc,
    proposal_pb2,
    proposal_response_pb2,
)

log = logging.getLogger(__name__)

Message = chaincode_shim_pb2.ChaincodeMessage
MAX_MESSAGE = 100 * 1024 * 1024  # the peer's own limit (comm.MaxRecvMsgSize)
PEER_REPLY_TIMEOUT = 30.0
MAX_RANGE_PAGES = 10_000  # the peer pages a range by its totalQueryLimit (100,000 keys)
VALIDATION_PARAMETER = "VALIDATION_PARAMETER"

# The traps, answered: pings every 30 s are welcome (the peer pings every 60 s), without
# strikes; messages up to the peer's 100 MiB.
SERVER_OPTIONS: list[tuple[str, int]] = [
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 30_000),
    ("grpc.http2.max_ping_strikes", 0),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_send_message_length", MAX_MESSAGE),
]

OK = 200
ERROR_THRESHOLD = 400  # the peer treats a status at or above this as a failed proposal


class ShimError(RuntimeError):
    """The peer answered a request with ERROR, or did not answer."""


@dataclass(frozen=True)
class Response:
    status: int
    message: str = ""
    payload: bytes = b""


@dataclass(frozen=True)
class Creator:
    msp_id: str
    certificate: bytes  # PEM


class Stub:
    """One transaction's view of the peer: its arguments, creator and state calls."""

    def __init__(self, stream: _Stream, message: Any) -> None:
        self._stream = stream
        self.channel_id: str = message.channel_id
        self.tx_id: str = message.txid
        chaincode_input = chaincode_pb2.ChaincodeInput.FromString(message.payload)
        self.args: list[bytes] = list(chaincode_input.args)
        self.event: tuple[str, bytes] | None = None
        self.creator: Creator | None = None
        self.timestamp: datetime.datetime | None = None
        self.transient: dict[str, bytes] = {}
        if message.HasField("proposal") and message.proposal.proposal_bytes:
            proposal = proposal_pb2.Proposal.FromString(message.proposal.proposal_bytes)
            header = common_pb2.Header.FromString(proposal.header)
            signature_header = common_pb2.SignatureHeader.FromString(header.signature_header)
            identity = identities_pb2.SerializedIdentity.FromString(signature_header.creator)
            self.creator = Creator(identity.mspid, bytes(identity.id_bytes))
            channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
            self.timestamp = channel_header.timestamp.ToDatetime(tzinfo=datetime.UTC)
            payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
            self.transient = {k: bytes(v) for k, v in payload.TransientMap.items()}

    def _ask(self, kind: int, payload: bytes) -> bytes:
        return self._stream.ask(self.channel_id, self.tx_id, kind, payload)

    def get_state(self, key: str, collection: str = "") -> bytes:
        request = chaincode_shim_pb2.GetState(key=key, collection=collection)
        return self._ask(Message.GET_STATE, request.SerializeToString())

    def put_state(self, key: str, value: bytes, collection: str = "") -> None:
        if not value:
            raise ShimError(f"put_state {key}: an empty value would delete the key")
        request = chaincode_shim_pb2.PutState(key=key, value=value, collection=collection)
        self._ask(Message.PUT_STATE, request.SerializeToString())

    def del_state(self, key: str, collection: str = "") -> None:
        request = chaincode_shim_pb2.DelState(key=key, collection=collection)
        self._ask(Message.DEL_STATE, request.SerializeToString())

    def get_state_by_range(self, start: str, end: str) -> list[tuple[str, bytes]]:
        """Every (key, value) with ``start <= key < end``, in key order. The peer records
        the range in the read set, so a key added to it before the commit invalidates the
        transaction (``PHANTOM_READ_CONFLICT``)."""
        request = chaincode_shim_pb2.GetStateByRange(startKey=start, endKey=end)
        answer = chaincode_shim_pb2.QueryResponse.FromString(
            self._ask(Message.GET_STATE_BY_RANGE, request.SerializeToString())
        )
        found: list[tuple[str, bytes]] = []
        for _ in range(MAX_RANGE_PAGES):
            for item in answer.results:
                kv = kv_query_result_pb2.KV.FromString(item.resultBytes)
                found.append((kv.key, bytes(kv.value)))
            if not answer.has_more:
                break
            follow = chaincode_shim_pb2.QueryStateNext(id=answer.id)
            answer = chaincode_shim_pb2.QueryResponse.FromString(
                self._ask(Message.QUERY_STATE_NEXT, follow.SerializeToString())
            )
        else:
            raise ShimError(f"the range {start}..{end} has over {MAX_RANGE_PAGES} pages")
        return found  # the last page (has_more false) closed the peer's iterator

    def set_validation_parameter(self, key: str, policy: bytes) -> None:
        """The key-level endorsement policy (a serialised SignaturePolicyEnvelope)."""
        metadata = chaincode_shim_pb2.StateMetadata(metakey=VALIDATION_PARAMETER, value=policy)
        request = chaincode_shim_pb2.PutStateMetadata(key=key, metadata=metadata)
        self._ask(Message.PUT_STATE_METADATA, request.SerializeToString())

    def validation_parameter(self, key: str) -> bytes:
        request = chaincode_shim_pb2.GetStateMetadata(key=key)
        answer = chaincode_shim_pb2.StateMetadataResult.FromString(
            self._ask(Message.GET_STATE_METADATA, request.SerializeToString())
        )
        return next(
            (bytes(e.value) for e in answer.entries if e.metakey == VALIDATION_PARAMETER), b""
        )

    def set_event(self, name: str, payload: bytes) -> None:
        self.event = (name, payload)


Handler = Callable[[Stub], Response]


class _Stream:
    """One ``Connect`` stream: a reader thread, worker threads per transaction, and one
    outbound queue that the servicer's generator drains (gRPC writes are not concurrent)."""

    def __init__(self, chaincode_id: str, handler: Handler, workers: futures.Executor) -> None:
        self._chaincode_id = chaincode_id
        self._handler = handler
        self._workers = workers
        self._out: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._waiting: dict[tuple[str, str], queue.SimpleQueue[Any]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.ready = threading.Event()

    def send(self, message: Any) -> None:
        self._out.put(message)

    def ask(self, channel_id: str, tx_id: str, kind: int, payload: bytes) -> bytes:
        """Send a request for this transaction and wait for the peer's answer."""
        answers: queue.SimpleQueue[Any] = queue.SimpleQueue()
        key = (channel_id, tx_id)
        with self._lock:
            if self._closed:
                raise ShimError("the peer closed the stream")
            self._waiting[key] = answers
        try:
            self.send(Message(type=kind, payload=payload, txid=tx_id, channel_id=channel_id))
            try:
                answer = answers.get(timeout=PEER_REPLY_TIMEOUT)
            except queue.Empty:
                raise ShimError(f"no answer from the peer within {PEER_REPLY_TIMEOUT} s") from None
        finally:
            with self._lock:
                self._waiting.pop(key, None)
        if answer is None:
            raise ShimError("the peer closed the stream")
        if answer.type == Message.ERROR:
            raise ShimError(answer.payload.decode(errors="replace"))
        return bytes(answer.payload)

    def _execute(self, message: Any) -> None:
        try:
            stub = Stub(self, message)
            response = self._handler(stub)
        except Exception as exc:  # a bug in the chaincode: a clear failed proposal
            log.exception("chaincode failed on %s %s", message.channel_id, message.txid)
            stub = None
            response = Response(500, f"chaincode error: {exc}")
        completed = Message(
            type=Message.COMPLETED,
            payload=proposal_response_pb2.Response(
                status=response.status, message=response.message, payload=response.payload
            ).SerializeToString(),
            txid=message.txid,
            channel_id=message.channel_id,
        )
        if stub is not None and stub.event is not None and response.status < ERROR_THRESHOLD:
            name, payload = stub.event
            completed.chaincode_event.CopyFrom(
                chaincode_event_pb2.ChaincodeEvent(event_name=name, payload=payload)
            )
        self.send(completed)

    def _read(self, requests: Iterator[Any]) -> None:
        try:
            for message in requests:
                kind = message.type
                if kind == Message.KEEPALIVE:
                    self.send(message)
                elif kind == Message.REGISTERED:
                    continue
                elif kind == Message.READY:
                    self.ready.set()
                elif kind in (Message.TRANSACTION, Message.INIT):
                    self._workers.submit(self._execute, message)
                elif kind in (Message.RESPONSE, Message.ERROR):
                    with self._lock:
                        waiting = self._waiting.get((message.channel_id, message.txid))
                    if waiting is not None:
                        waiting.put(message)
                    else:
                        log.warning("an answer for no waiting transaction: %s", message.txid)
                else:
                    self.send(
                        Message(
                            type=Message.ERROR,
                            payload=f"unexpected message type {kind}".encode(),
                            txid=message.txid,
                            channel_id=message.channel_id,
                        )
                    )
        except grpc.RpcError:
            pass  # the peer went away; the generator below ends the call
        finally:
            with self._lock:
                self._closed = True
                for waiting in self._waiting.values():
                    waiting.put(None)
            self._out.put(None)

    def run(self, requests: Iterator[Any]) -> Iterator[Any]:
        chaincode_id = chaincode_pb2.ChaincodeID(name=self._chaincode_id)
        yield Message(type=Message.REGISTER, payload=chaincode_id.SerializeToString())
        threading.Thread(target=self._read, args=(requests,), daemon=True).start()
        while True:
            message = self._out.get()
            if message is None:
                return
            yield message


class _Servicer(chaincode_shim_pb2_grpc.ChaincodeServicer):  # type: ignore[misc]
    def __init__(self, chaincode_id: str, handler: Handler, workers: futures.Executor) -> None:
        self._chaincode_id = chaincode_id
        self._handler = handler
        self._workers = workers

    def Connect(self, request_iterator: Iterator[Any], context: Any) -> Iterator[Any]:  # noqa: N802
        stream = _Stream(self._chaincode_id, self._handler, self._workers)
        yield from stream.run(request_iterator)


@dataclass(frozen=True)
class ServerTLS:
    certificate: bytes
    key: bytes
    client_ca: bytes | None  # when given, the peer must present a certificate from it


def serve(
    chaincode_id: str,
    handler: Handler,
    address: str,
    tls: ServerTLS | None,
    workers: int = 8,
    options: list[tuple[str, int]] | None = None,
) -> grpc.Server:
    """Start the chaincode server (not blocking); stop it with ``server.stop(grace)``."""
    pool = futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tdx-cc")
    # Each open Connect stream holds one server thread; the peer opens one per package.
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="tdx-cc-rpc"),
        options=SERVER_OPTIONS if options is None else options,
    )
    chaincode_shim_pb2_grpc.add_ChaincodeServicer_to_server(
        _Servicer(chaincode_id, handler, pool), server
    )
    if tls is None:
        port = server.add_insecure_port(address)
    else:
        credentials = grpc.ssl_server_credentials(
            [(tls.key, tls.certificate)],
            root_certificates=tls.client_ca,
            require_client_auth=tls.client_ca is not None,
        )
        port = server.add_secure_port(address, credentials)
    if port == 0:
        raise ShimError(f"cannot listen on {address}")
    server.start()
    return server


__all__ = [
    "ERROR_THRESHOLD",
    "MAX_MESSAGE",
    "OK",
    "SERVER_OPTIONS",
    "Creator",
    "Handler",
    "Response",
    "ServerTLS",
    "ShimError",
    "Stub",
    "serve",
]
