"""``POST /v1/verify`` answered without the framework in the way.

Verification is the public, hot operation: a customs system calls it for every
consignment. FastAPI's routing, dependency injection and thread-pool hop cost more than
the verification itself, so this plain ASGI layer answers that one path directly. It sits
inside the same middleware as every route (request ids, the content-type rule, the body
limit, metrics and logs); the FastAPI route of the same path remains for the OpenAPI
description and calls the same function.
"""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.problems import Problem
from chaincode.canonical import CanonicalizationError, parse_json
from network.node import Node
from network.verification import Verification

PATH = "/v1/verify"
# Bodies up to this size are verified on the event loop (well under a millisecond); a
# larger document goes to a worker thread so that it cannot stall the other requests.
INLINE_BODY = 64 * 1024


async def verify(node: Node, body: bytes, ask_issuer: bool = False) -> Verification:
    """The node's verification of a presented signed document, on the loop when its
    ledger's reads never block (asking the issuing node is a network call: a thread)."""
    if ask_issuer:
        return await run_in_threadpool(node.verify, body, True)
    if node.ledger.nonblocking_reads and len(body) <= INLINE_BODY:
        return node.verify(body)
    return await run_in_threadpool(node.verify, body)


def unwrap(body: bytes, query: bytes) -> tuple[bytes, bool]:
    """The presented document and whether to ask its issuing node: ``?askIssuer=true``
    with the document as the body, or the body ``{"document": ..., "askIssuer": true}``.
    A body without a top-level ``askIssuer`` is the document itself, as before."""
    ask = query in (b"askIssuer=true", b"askIssuer=1")
    if b'"askIssuer"' not in body:
        return body, ask
    try:
        value = parse_json(body)
    except CanonicalizationError:
        return body, ask  # the verification's format check reports it
    if not isinstance(value, dict) or "askIssuer" not in value:
        return body, ask
    flag = value["askIssuer"]
    if set(value) != {"document", "askIssuer"} or not isinstance(flag, bool):
        raise Problem(
            422,
            'a wrapped verification is {"document": <signed document>, "askIssuer": true|false}',
            "invalid-request",
        )
    return orjson.dumps(value["document"]), flag or ask


def render(report: Verification) -> bytes:
    return orjson.dumps(report.to_json())


async def read_body(receive: Receive) -> bytes:
    """A request's whole body; ``ConnectionAbortedError`` if the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("client went away")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def body_or_answered(scope: Scope, receive: Receive, send: Send) -> bytes | None:
    """The request's whole body; None if the client went away, or once the problem of a
    body over the limit (raised while it streams in) has been answered."""
    try:
        return await read_body(receive)
    except ConnectionAbortedError:
        return None
    except Problem as problem:
        await problem.response(scope["path"])(scope, receive, send)
        return None


async def send_json(send: Send, content: bytes, status: int = 200) -> None:
    """An answer of JSON ``content`` (200 unless told)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


class VerifyEndpoint:
    """Serves ``POST /v1/verify``; passes every other request to the app."""

    def __init__(self, app: ASGIApp, node: Node, route: object) -> None:
        self.app = app
        self.node = node
        self.route = route  # the documented route, so metrics label it as FastAPI would

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        body = await body_or_answered(scope, receive, send)
        if body is None:
            return
        try:
            document, ask = unwrap(body, scope.get("query_string", b""))
        except Problem as problem:
            await problem.response(PATH)(scope, receive, send)
            return
        await send_json(send, render(await verify(self.node, document, ask)))
