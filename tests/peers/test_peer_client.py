"""The node-to-node client's connections: a kept connection the peer closed is not used, a
request the peer dropped on a kept connection is sent once more signed with a fresh nonce
(never the same signed bytes twice), and a peer that refuses or does not answer gives a
clear ``PeerTransportError`` in bounded time. Against a scripted HTTP/1.1 server on a free
loopback port, which records every request it reads."""

from __future__ import annotations

import datetime
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from network.peers.client import PeerClient, PeerTransportError

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def _client(**kw: float) -> PeerClient:
    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test node")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + datetime.timedelta(days=1))
        .sign(key, None)
    )
    return PeerClient(key, cert, lambda: NOW, **kw)


class ScriptedServer:
    """Serves connections one after another; ``script[i]`` says what to do with each
    request read on connection ``i``: ``answer`` (keep the connection), ``answer-close``
    (answer, then close it) or ``drop`` (close it without answering)."""

    def __init__(self, script: list[list[str]]) -> None:
        self.script = script
        self.requests: list[tuple[int, dict[str, str]]] = []  # (connection, header fields)
        self.closed = threading.Event()  # set when a connection is closed by the server
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        for i, actions in enumerate(self.script):
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            conn.settimeout(10)
            with conn:
                reader = conn.makefile("rb")
                for action in actions:
                    headers = _read_request(reader)
                    if headers is None:
                        break
                    self.requests.append((i, headers))
                    if action == "drop":
                        break
                    nonce = _nonce(headers)
                    body = json.dumps({"nonce": nonce}).encode()
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                    )
                    if action == "answer-close":
                        break
                reader.close()
                conn.shutdown(socket.SHUT_RDWR)
            self.closed.set()

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()
        self.thread.join(10)


def _read_request(reader) -> dict[str, str] | None:  # type: ignore[no-untyped-def]
    line = reader.readline(65536)
    if not line:
        return None
    headers: dict[str, str] = {}
    for _ in range(100):
        field = reader.readline(65536).decode()
        if field in ("\r\n", "\n", ""):
            break
        name, _, value = field.partition(":")
        headers[name.strip().lower()] = value.strip()
    reader.read(int(headers.get("content-length", "0")))
    return headers


def _nonce(headers: dict[str, str]) -> str:
    found = re.search(r'nonce="([^"]+)"', headers["signature-input"])
    assert found is not None
    return found.group(1)


@contextmanager
def _using(client: PeerClient) -> Iterator[PeerClient]:
    try:
        yield client
    finally:
        client.close()


def test_a_kept_connection_the_peer_closed_is_not_used():
    with ScriptedServer([["answer-close"], ["answer"]]) as server, _using(_client()) as client:
        first_nonce, first = client.post(server.url, "/q", {"n": 1})
        assert first.status_code == 200
        assert first.json() == {"nonce": first_nonce}
        assert server.closed.wait(10)
        nonce, second = client.post(server.url, "/q", {"n": 2})
        assert second.status_code == 200
        assert second.json() == {"nonce": nonce}
    # Each request was sent once, on its own connection, signed with its own nonce.
    assert [c for c, _ in server.requests] == [0, 1]
    assert [_nonce(h) for _, h in server.requests] == [first_nonce, nonce]


def test_a_request_dropped_on_a_kept_connection_is_sent_again_signed_afresh():
    with ScriptedServer([["answer", "drop"], ["answer"]]) as server, _using(_client()) as client:
        client.post(server.url, "/q", {"n": 1})
        nonce, response = client.post(server.url, "/q", {"n": 2})
        assert response.status_code == 200
        assert response.json() == {"nonce": nonce}
    assert [c for c, _ in server.requests] == [0, 0, 1]
    dropped, resent = server.requests[1][1], server.requests[2][1]
    assert _nonce(resent) == nonce
    assert _nonce(dropped) != nonce
    assert dropped["signature"] != resent["signature"]
    assert dropped["content-digest"] == resent["content-digest"]


def test_a_request_whose_nonce_the_caller_fixed_is_not_sent_twice():
    with ScriptedServer([["answer", "drop"], ["answer"]]) as server, _using(_client()) as client:
        client.post(server.url, "/q", {"n": 1})
        with pytest.raises(PeerTransportError, match="closed before an answer"):
            client.post(server.url, "/q", {"n": 2}, nonce="fixed-nonce-0123456789")
    assert [_nonce(h) for _, h in server.requests][1:] == ["fixed-nonce-0123456789"]


def test_a_drop_on_a_new_connection_is_not_retried():
    with (
        ScriptedServer([["drop"], ["answer"]]) as server,
        _using(_client()) as client,
        pytest.raises(PeerTransportError, match="closed before an answer"),
    ):
        client.post(server.url, "/q", {"n": 1})
    assert len(server.requests) == 1


def test_a_refused_connection_fails_at_once_with_a_clear_error():
    with socket.create_server(("127.0.0.1", 0)) as held:
        port = held.getsockname()[1]
    # Nothing listens on the port now.
    with _using(_client()) as client:
        start = time.monotonic()
        with pytest.raises(PeerTransportError, match=rf"127\.0\.0\.1:{port}.*refused"):
            client.post(f"http://127.0.0.1:{port}", "/q", {"n": 1})
        assert time.monotonic() - start < 2.0


def test_a_peer_that_never_answers_times_out():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts (backlog), never reads
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with _using(_client(timeout=0.3)) as client:
            start = time.monotonic()
            with pytest.raises(PeerTransportError, match="timed out"):
                client.post(url, "/q", {"n": 1})
            assert time.monotonic() - start < 5.0


def test_a_url_that_is_not_http_is_refused_clearly():
    with _using(_client()) as client, pytest.raises(PeerTransportError, match="not an http"):
        client.post("ftp://127.0.0.1:21", "/q", {})


class RawServer:
    """Answers each request it reads with the next of ``answers`` (raw bytes, as they go on
    the wire), closing the connection after an answer marked ``close``."""

    def __init__(self, answers: list[tuple[bytes, bool]]) -> None:
        self.answers = answers
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        pending = list(self.answers)
        while pending:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            conn.settimeout(10)
            with conn:
                reader = conn.makefile("rb")
                while pending and _read_request(reader) is not None:
                    raw, close = pending.pop(0)
                    conn.sendall(raw)
                    if close:
                        break
                reader.close()
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()
        self.thread.join(10)


def test_chunked_and_length_answers_are_read_whole_on_one_kept_connection():
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    sized = b"HTTP/1.1 201 Created\r\nContent-Length: 3\r\nX-B: two\r\n\r\nxyz"
    with RawServer([(chunked, False), (sized, False)]) as server, _using(_client()) as client:
        _, first = client.post(server.url, "/q", {})
        _, second = client.post(server.url, "/q", {})
    assert (first.status_code, first.content, first.headers["x-a"]) == (200, b"abcde", "1")
    assert (second.status_code, second.content, second.headers["x-b"]) == (201, b"xyz", "two")
    assert server.connections == 1


def test_an_answer_that_ends_with_the_connection_is_read_and_not_kept():
    until_close = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    answers = [(until_close, True), (closing, False), (b"HTTP/1.1 204 No Content\r\n\r\n", False)]
    with RawServer(answers) as server, _using(_client()) as client:
        assert client.post(server.url, "/q", {})[1].content == b"all of it"
        assert client.post(server.url, "/q", {})[1].content == b"ok"
        assert client.post(server.url, "/q", {})[1].status_code == 204
    assert server.connections == 3


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "cut off after"),
        (b"NOT HTTP AT ALL\r\n\r\n", "not HTTP/1.1"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "not HTTP/1.1"),
    ],
    ids=["cut-off", "not-http", "bad-length"],
)
def test_a_broken_answer_is_a_transport_error_and_not_sent_again(raw, error):
    with (
        RawServer([(raw, True), (raw, True)]) as server,
        _using(_client()) as client,
        pytest.raises(PeerTransportError, match=error),
    ):
        client.post(server.url, "/q", {})
    assert server.connections == 1


def test_a_header_field_that_would_split_the_request_is_refused_before_sending():
    with RawServer([(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", False)]) as server:
        with _using(_client()) as client, pytest.raises(ValueError, match="Content-Type"):
            client.post_bytes(server.url, "/q", b"x", "text/plain\r\nX-Evil: 1")
        assert server.connections <= 1
