"""The signing HTTP client one node uses to call another: each request signed with the
node's key (``network.peers.http_signatures``), over pooled keep-alive connections.
``post`` sends JSON, ``post_bytes`` any body; a node's own client is ``node.peers.client``.

HTTP/1.1 over a kept socket: each request is written whole in one send, and the answer is
read by ``httptools`` (llhttp, the parser uvicorn serves with). The standard library's
``http.client`` cost 0.28 ms of CPU a request here, most of it building header lines one
by one and parsing the answer's with the ``email`` package; this costs 0.08 ms, and the
asking node shares its cores with the answering one. Any transport failure raises
``PeerTransportError``.

A kept connection the peer has closed while idle is found before use and dropped. If the
peer closes it at the moment a request is sent (nothing of an answer received), the request
is sent once more on a new connection, signed again with a fresh nonce: the receiver spends
each nonce once, so the same signed bytes could not be sent twice. Requests whose caller
fixed the nonce are not sent again. A repeated request is at worst done twice by the peer,
which the node-to-node requests allow (a query only reads; the inbox keeps a delivery
once by its key).
"""

from __future__ import annotations

import datetime
import functools
import json
import secrets
import select
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httptools
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519

from network.peers.http_signatures import RequestSigner

CONNECT_TIMEOUT = 2.0  # seconds to connect
TIMEOUT = 10.0  # seconds for each send or read on a connected socket
MAX_IDLE_PER_ORIGIN = 32
MAX_RESPONSE = 64 * 1024 * 1024  # bytes of one answer (head and body) read at most
READ_SIZE = 65536


class PeerTransportError(Exception):
    """The peer could not be reached, or its connection failed before a whole answer came;
    nothing can be said of whether it did the request."""


@dataclass(frozen=True)
class PeerResponse:
    """A peer's answer as it came: status, header fields (names lower case), body."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` if it is not."""
        return json.loads(self.content)


_Origin = tuple[str, str, int]  # scheme, host, port


class _Answer:
    """httptools' callbacks: one answer's header fields and body, as they are parsed."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.body: list[bytes] = []
        self.headers_done = False
        self.done = False
        self.keep_alive = False
        self.parser: httptools.HttpResponseParser | None = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        # Asked here: llhttp forgets the answer's connection state once it is complete.
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()
        self.done = True

    def ends_at_close(self) -> bool:
        """An answer with neither a length nor chunks: its body ends when the peer closes."""
        return (
            self.headers_done
            and "content-length" not in self.fields
            and "chunked" not in self.fields.get("transfer-encoding", "").lower()
        )


class _Connection:
    """One HTTP/1.1 connection to a peer; used by one thread at a time."""

    def __init__(self, sock: socket.socket, host: str) -> None:
        self.sock: socket.socket | None = sock
        self._host = host  # the Host field

    def exchange(
        self, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[PeerResponse, bool]:
        """POST ``body`` to ``target``; the answer and whether the connection may be kept.
        ``_ClosedBeforeAnswer`` if the peer closed it before any of an answer came."""
        sock = self.sock
        if sock is None:
            raise _ClosedBeforeAnswer("the connection is closed")
        lines = [f"POST {target} HTTP/1.1\r\nHost: {self._host}\r\n"]
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
                raise ValueError(f"the header field {name!r} is not a valid field")
            lines.append(f"{name}: {value}\r\n")
        lines.append(f"Content-Length: {len(body)}\r\n\r\n")
        try:
            sock.sendall("".join(lines).encode("latin-1") + body)
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise _ClosedBeforeAnswer(_describe(exc)) from None
        answer = _Answer()
        parser = answer.parser = httptools.HttpResponseParser(answer)
        received = 0
        while not answer.done:
            try:
                data = sock.recv(READ_SIZE)
            except ConnectionResetError as exc:
                if received == 0:
                    raise _ClosedBeforeAnswer(_describe(exc)) from None
                raise
            if not data:
                if received == 0:
                    raise _ClosedBeforeAnswer("the peer closed the connection")
                if answer.ends_at_close():
                    return self._response(parser, answer), False
                raise ConnectionError(f"the answer was cut off after {received} bytes")
            received += len(data)
            if received > MAX_RESPONSE:
                raise ConnectionError(f"the answer is longer than {MAX_RESPONSE} bytes")
            try:
                parser.feed_data(data)
            except httptools.HttpParserUpgrade:
                raise ConnectionError("the peer switched protocols") from None
            except httptools.HttpParserError as exc:
                raise ConnectionError(f"the answer is not HTTP/1.1: {exc}") from None
        return self._response(parser, answer), answer.keep_alive

    @staticmethod
    def _response(parser: httptools.HttpResponseParser, answer: _Answer) -> PeerResponse:
        return PeerResponse(parser.get_status_code(), answer.fields, b"".join(answer.body))

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()


class _Pool:
    """Idle keep-alive connections per origin; a connection is used by one thread at a time."""

    def __init__(self, connect_timeout: float, timeout: float) -> None:
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._lock = threading.Lock()
        self._connect_timeout = connect_timeout
        self._timeout = timeout
        self._tls: ssl.SSLContext | None = None

    def take(self, origin: _Origin) -> _Connection | None:
        """A kept connection to ``origin`` that is still open, or None."""
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                conn = idle.pop()
            if _open(conn):
                return conn
            conn.close()

    def connect(self, origin: _Origin) -> _Connection:
        scheme, host, port = origin
        sock = socket.create_connection((host, port), timeout=self._connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                if self._tls is None:
                    self._tls = ssl.create_default_context()
                sock = self._tls.wrap_socket(sock, server_hostname=host)
            sock.settimeout(self._timeout)
        except BaseException:
            sock.close()
            raise
        name = f"[{host}]" if ":" in host else host
        default = 443 if scheme == "https" else 80
        return _Connection(sock, name if port == default else f"{name}:{port}")

    def give_back(self, origin: _Origin, conn: _Connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < MAX_IDLE_PER_ORIGIN:
                idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for conn in conns:
            conn.close()


def _open(conn: _Connection) -> bool:
    """Whether an idle connection is still open: readable while idle means the peer closed
    it (or sent what no request asked for); either way it is not to be used."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


@functools.lru_cache(maxsize=256)  # a node calls few URLs, again and again
def _origin(url: str) -> tuple[_Origin, str]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PeerTransportError(f"{url}: not an http or https URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (parts.scheme, parts.hostname, port), target


class PeerClient:
    def __init__(
        self,
        key: ed25519.Ed25519PrivateKey,
        certificate: x509.Certificate,
        clock: Callable[[], datetime.datetime],
        timeout: float = TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self._signer = RequestSigner(key, certificate)
        self._clock = clock
        self._pool = _Pool(connect_timeout, timeout)

    def post(
        self, base_url: str, path: str, body: Any, nonce: str | None = None
    ) -> tuple[str, PeerResponse]:
        """POST ``body`` (as JSON) signed; the nonce the signature carries, and the response.
        Transport failures raise ``PeerTransportError``."""
        data = json.dumps(body, separators=(",", ":")).encode()
        return self.post_bytes(base_url, path, data, "application/json", nonce)

    def post_bytes(
        self,
        base_url: str,
        path: str,
        data: bytes,
        content_type: str,
        nonce: str | None = None,
    ) -> tuple[str, PeerResponse]:
        """POST ``data`` as it is (e.g. a C2SP tlog-witness ``text/plain`` body), signed the
        same way (its Content-Digest covers the bytes)."""
        url = base_url.rstrip("/") + path
        origin, target = _origin(url)
        may_repeat = nonce is None
        while True:
            used = nonce or secrets.token_urlsafe(18)
            headers = self._signer.sign("POST", url, data, self._clock(), used)
            headers["Content-Type"] = content_type
            conn = self._pool.take(origin)
            kept = conn is not None
            try:
                if conn is None:
                    conn = self._pool.connect(origin)
                response, keep = conn.exchange(target, headers, data)
            except _ClosedBeforeAnswer as closed:
                if conn is not None:
                    conn.close()
                if kept and may_repeat:
                    may_repeat = False  # once: a second failure is the peer's, not the pool's
                    continue
                raise PeerTransportError(
                    f"{url}: the connection closed before an answer: {closed.cause}"
                ) from None
            except OSError as exc:  # refused, timed out, reset, cut off, not HTTP
                if conn is not None:
                    conn.close()
                raise PeerTransportError(f"{url}: {_describe(exc)}") from None
            except BaseException:  # a header field no request may carry (the caller's)
                if conn is not None:
                    conn.close()
                raise
            if keep:
                self._pool.give_back(origin, conn)
            else:
                conn.close()
            return used, response

    def close(self) -> None:
        self._pool.close()


class _ClosedBeforeAnswer(Exception):  # noqa: N818 (internal signal)
    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the node running?)"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


__all__ = ["PeerClient", "PeerResponse", "PeerTransportError"]
