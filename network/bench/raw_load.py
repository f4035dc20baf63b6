"""A lean HTTP/1.1 load client for ``tdx bench api``'s issues: requests serialised before the
clock starts, sent on keep-alive connections, responses parsed by httptools (uvicorn's C
parser).

The bench's client shares the server's two cores. httpx spent 6.4 ms of CPU on each issue
request, more than the server did, so its figures said more about the client than about
the node. Issues cannot go to wrk (as verifications do): each carries its own one-use
token and its own document, and the bench needs every issued id and an exact count.
"""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass, field

import httptools
import orjson


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    bodies: list[bytes] = field(default_factory=list)  # 2xx bodies, if kept


def serialise(host: str, request: Request) -> bytes:
    head = [f"POST {request.path} HTTP/1.1", f"Host: {host}"]
    head += [f"{k}: {v}" for k, v in request.headers.items()]
    head += ["Content-Type: application/json", f"Content-Length: {len(request.body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.body


def json_request(path: str, body: object, headers: dict[str, str]) -> Request:
    return Request(path, orjson.dumps(body), headers)


class _Response:
    """httptools' callbacks for one response at a time."""

    def __init__(self) -> None:
        self.body: list[bytes] = []
        self.done = False

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done = True


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, bytes]:
    response = _Response()
    parser = httptools.HttpResponseParser(response)
    writer.write(raw)
    while not response.done:
        data = await reader.read(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        parser.feed_data(data)
    return parser.get_status_code(), b"".join(response.body)


async def load(
    host: str, port: int, requests: list[Request], concurrency: int, keep_bodies: bool
) -> tuple[Outcome, float]:
    """Send every request once, ``concurrency`` connections at a time; the outcome and the
    seconds it took."""
    pending = collections.deque(serialise(f"{host}:{port}", r) for r in requests)
    outcome = Outcome()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while pending:
                raw = pending.popleft()
                start = time.perf_counter()
                status, body = await _exchange(reader, writer, raw)
                outcome.latencies.append(time.perf_counter() - start)
                if status >= 400:
                    outcome.errors += 1
                elif keep_bodies:
                    outcome.bodies.append(body)
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(min(concurrency, len(requests)))))
    return outcome, time.perf_counter() - start
