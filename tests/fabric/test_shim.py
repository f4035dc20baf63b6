"""Our chaincode shim, against a fake peer speaking the chaincode protocol: the three traps
the issue names, decided by tests (no Fabric needed).

- Keepalive: the peer pings its chaincode connection every 60 s; grpcio's server default
  allows one ping per 5 minutes without data and closes the stream (``too_many_pings``).
  Shown at a scale of 1:300 (a ping every 200 ms against a 100 ms allowance, and against
  grpcio's defaults).
- The 4 MiB message limit: grpcio's default receive limit; the peer sends up to 100 MiB.
- txid and channel_id on every message the chaincode sends.

And the range read the chaincode lists a digest's issuers with, page by page.
"""

from __future__ import annotations

import queue
import threading
import time

import grpc
import pytest
from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.peer import (
    chaincode_pb2,
    chaincode_shim_pb2,
    chaincode_shim_pb2_grpc,
    proposal_response_pb2,
)

from ledger.fabric import shim
from network.fabric.layout import free_port

Message = chaincode_shim_pb2.ChaincodeMessage


class FakePeer:
    """Dials the chaincode server, as a peer does, and answers its state requests."""

    def __init__(self, address: str, options: list[tuple[str, int]] | None = None) -> None:
        self.channel = grpc.insecure_channel(address, options=options or [])
        self.outbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.received: list[object] = []
        self.state: dict[str, bytes] = {}
        self.page = 2  # keys per page of a range read
        self.ranges: dict[str, list[tuple[str, bytes]]] = {}  # open iterators
        stub = chaincode_shim_pb2_grpc.ChaincodeStub(self.channel)
        self.call = stub.Connect(iter(self.outbox.get, None))
        self.completed: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.error: list[grpc.RpcError] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            for message in self.call:
                self.received.append(message)
                if message.type == Message.REGISTER:
                    self.outbox.put(Message(type=Message.REGISTERED))
                    self.outbox.put(Message(type=Message.READY))
                elif message.type == Message.GET_STATE:
                    key = chaincode_shim_pb2.GetState.FromString(message.payload).key
                    self._answer(message, self.state.get(key, b""))
                elif message.type == Message.PUT_STATE:
                    put = chaincode_shim_pb2.PutState.FromString(message.payload)
                    self.state[put.key] = put.value
                    self._answer(message, b"")
                elif message.type == Message.GET_STATE_BY_RANGE:
                    ask = chaincode_shim_pb2.GetStateByRange.FromString(message.payload)
                    keys = sorted(k for k in self.state if ask.startKey <= k < ask.endKey)
                    self.ranges[message.txid] = [(k, self.state[k]) for k in keys]
                    self._answer(message, self._page(message.txid))
                elif message.type == Message.QUERY_STATE_NEXT:
                    self._answer(message, self._page(message.txid))
                elif message.type == Message.COMPLETED:
                    self.completed.put(message)
        except grpc.RpcError as exc:
            self.error.append(exc)
            self.completed.put(None)

    def _page(self, iterator: str) -> bytes:
        left = self.ranges[iterator]
        page, self.ranges[iterator] = left[: self.page], left[self.page :]
        results = [
            chaincode_shim_pb2.QueryResultBytes(
                resultBytes=kv_query_result_pb2.KV(key=k, value=v).SerializeToString()
            )
            for k, v in page
        ]
        more = bool(self.ranges[iterator])
        return chaincode_shim_pb2.QueryResponse(
            results=results, has_more=more, id=iterator
        ).SerializeToString()

    def _answer(self, request: object, payload: bytes) -> None:
        self.outbox.put(
            Message(
                type=Message.RESPONSE,
                payload=payload,
                txid=request.txid,  # type: ignore[attr-defined]
                channel_id=request.channel_id,  # type: ignore[attr-defined]
            )
        )

    def transaction(self, txid: str, channel: str, *args: bytes) -> object:
        payload = chaincode_pb2.ChaincodeInput(args=list(args)).SerializeToString()
        self.outbox.put(
            Message(type=Message.TRANSACTION, payload=payload, txid=txid, channel_id=channel)
        )
        return self.completed.get(timeout=10)

    def close(self) -> None:
        self.outbox.put(None)
        self.call.cancel()
        self.channel.close()


def counter(stub: shim.Stub) -> shim.Response:
    """Reads and writes a key, and reports the size of its argument; ``range`` lists the
    keys from its second argument up to its third."""
    if stub.args[0] == b"range":
        found = stub.get_state_by_range(stub.args[1].decode(), stub.args[2].decode())
        return shim.Response(shim.OK, payload=b",".join(k.encode() + b"=" + v for k, v in found))
    count = int(stub.get_state("count") or b"0") + 1
    stub.put_state("count", str(count).encode())
    size = len(stub.args[1]) if len(stub.args) > 1 else 0
    return shim.Response(shim.OK, payload=f"{count}:{size}".encode())


@pytest.fixture
def serve():
    servers = []

    def start(options: list[tuple[str, int]] | None = None) -> str:
        address = f"127.0.0.1:{free_port()}"
        servers.append(shim.serve("tdx_test:0", counter, address, None, options=options))
        return address

    yield start
    for server in servers:
        server.stop(0).wait()


def test_every_message_echoes_the_transactions_txid_and_channel(serve):
    peer = FakePeer(serve())
    try:
        done = peer.transaction("tx-1", "cn-sg", b"count")
        assert proposal_response_pb2.Response.FromString(done.payload).payload == b"1:0"
        sent = [m for m in peer.received if m.type != Message.REGISTER]
        assert [Message.Type.Name(m.type) for m in sent] == ["GET_STATE", "PUT_STATE", "COMPLETED"]
        assert all((m.txid, m.channel_id) == ("tx-1", "cn-sg") for m in sent)
        register = peer.received[0]
        assert chaincode_pb2.ChaincodeID.FromString(register.payload).name == "tdx_test:0"
    finally:
        peer.close()


def test_a_message_over_4_mib_is_served_where_grpcio_defaults_refuse_it(serve):
    big = b"x" * (5 * 1024 * 1024)
    ours = FakePeer(serve())
    default = FakePeer(serve(options=[]))
    try:
        done = ours.transaction("tx-big", "cn-sg", b"count", big)
        assert proposal_response_pb2.Response.FromString(done.payload).payload.endswith(
            f":{len(big)}".encode()
        )
        assert default.transaction("tx-big", "cn-sg", b"count", big) is None
        assert default.error[0].code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    finally:
        ours.close()
        default.close()


def test_the_peers_keepalive_pings_are_allowed_where_grpcio_defaults_close_the_stream(serve):
    # 1:300 scale: the peer pings every 60 s, our server allows one per 30 s; here a ping
    # every 200 ms against 100 ms (ours, scaled) and against grpcio's default 5 minutes.
    assert dict(shim.SERVER_OPTIONS)["grpc.http2.min_ping_interval_without_data_ms"] < 60_000
    scaled = [
        *(o for o in shim.SERVER_OPTIONS if o[0] != "grpc.http2.min_ping_interval_without_data_ms"),
        ("grpc.http2.min_ping_interval_without_data_ms", 100),
    ]
    pinging = [
        ("grpc.keepalive_time_ms", 200),
        ("grpc.keepalive_timeout_ms", 5000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
    ]
    ours = FakePeer(serve(options=scaled), pinging)
    default = FakePeer(serve(options=[]), pinging)
    try:
        assert ours.transaction("tx-0", "cn-sg", b"count") is not None
        assert default.transaction("tx-0", "cn-sg", b"count") is not None
        deadline = time.monotonic() + 10
        while not default.error and time.monotonic() < deadline:
            default.completed.get(timeout=0.5) if not default.completed.empty() else time.sleep(0.1)
        assert default.error, "grpcio's default policy did not close the pinging stream"
        assert "ping" in (default.error[0].details() or "").lower() or default.error[0].code() in (
            grpc.StatusCode.UNAVAILABLE,
            grpc.StatusCode.INTERNAL,
        )
        assert not ours.error
        assert ours.transaction("tx-1", "cn-sg", b"count") is not None  # still open
    finally:
        ours.close()
        default.close()


def test_a_range_read_gathers_every_page_in_key_order(serve):
    peer = FakePeer(serve())
    peer.state = {f"anchor/d/{org}": org.encode() for org in ("sg-a", "cn-b", "ru-c", "kz-d")}
    peer.state |= {"anchor/d0": b"after", "anchor/c/x": b"before"}
    try:
        done = peer.transaction("tx-r", "cn-sg", b"range", b"anchor/d/", b"anchor/d0")
        payload = proposal_response_pb2.Response.FromString(done.payload).payload
        assert (
            payload
            == b"anchor/d/cn-b=cn-b,anchor/d/kz-d=kz-d,anchor/d/ru-c=ru-c,anchor/d/sg-a=sg-a"
        )
        asked = [Message.Type.Name(m.type) for m in peer.received if m.type != Message.REGISTER]
        assert asked == ["GET_STATE_BY_RANGE", "QUERY_STATE_NEXT", "COMPLETED"]  # 2 pages of 2
    finally:
        peer.close()
