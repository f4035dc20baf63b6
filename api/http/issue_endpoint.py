"""``POST /v1/documents`` (issue) answered without the framework in the way.

Issuing is the hot write: FastAPI's routing, dependency injection and request objects cost
about as much CPU as validating and signing the document. This plain ASGI layer answers
that one path directly, as ``api.http.verify_endpoint`` does for verification, inside the
same middleware (request ids, the content-type rule, the body limit, metrics and logs). It
answers as the FastAPI route of the same path would, which remains for the OpenAPI
description and calls the same functions: the body parsed by the strict parser (a refusal
is the 422 ``not-canonical-json``), then the bearer token (401), then the body against
``schemas.IssueRequest`` (422 ``invalid-request``, naming each field and rule), then the
node's answer (``problems.problem_of``: 422, 403, 409...), and the receipt, 201 (200 for a
document issued before).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from prometheus_client import Counter
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http import schemas
from api.http.bearer import authenticated
from api.http.problems import Problem, invalid_request, problem_of
from api.http.verify_endpoint import INLINE_BODY, body_or_answered, send_json
from chaincode.canonical import CanonicalizationError, parse_json
from chaincode.records import Actor
from network.node import Issued, Node

PATH = "/v1/documents"
# What FastAPI answers for a body it cannot read at all (e.g. nested past the parser's
# recursion limit), and for no body: kept the same here.
_UNREADABLE = "There was an error parsing the body"
_MISSING: list[dict[str, Any]] = [{"type": "missing", "loc": ("body",), "msg": "Field required"}]


async def issue(node: Node, request: schemas.IssueRequest, who: Actor, body_size: int) -> Issued:
    """The node's issue of the request's document as ``who``. Concurrent issues meet in the
    ledger's group commit (one fsync for the group); each is answered once its document and
    entry are durable. A large document is validated and signed in a thread, so that it
    cannot stall the other requests."""
    args = (request.kind, request.document, who.id, request.links, request.to)
    if body_size > INLINE_BODY:
        return await run_in_threadpool(node.issue, *args)
    return await node.issue_async(*args)


def render(issued: Issued) -> tuple[int, bytes]:
    """The status and JSON body of an issue's answer: the receipt and the document's id;
    201, or 200 if the ledger had committed the same transaction before."""
    receipt = issued.receipt
    body = receipt.to_json() | {"documentId": issued.document.digest}
    return (200 if receipt.duplicate else 201), orjson.dumps(body)


def parsed(body: bytes) -> Any:
    """The request body as the strict parser reads it; None for an empty body."""
    if not body:
        return None
    try:
        return parse_json(body)
    except CanonicalizationError:
        raise
    except Exception:  # as FastAPI answers a body it fails to read otherwise
        raise Problem(400, _UNREADABLE, "http") from None


def validated(value: Any) -> schemas.IssueRequest:
    """The parsed body as the request model, as FastAPI validates a route's body (errors
    located under ``body``); a 422 problem naming each field and rule otherwise."""
    if value is None:
        raise invalid_request(_MISSING)
    try:
        return schemas.IssueRequest.model_validate(value, from_attributes=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise invalid_request([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def _header(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> str:
    """The first value of a header (names arrive lower-case), "" if absent."""
    return next((v.decode("latin-1") for k, v in headers if k == name), "")


class IssueEndpoint:
    """Serves ``POST /v1/documents``; passes every other request to the app."""

    def __init__(self, app: ASGIApp, node: Node, route: object, commits: Counter) -> None:
        self.app = app
        self.node = node
        self.route = route  # the documented route, so metrics label it as FastAPI would
        self.commits = commits  # the metrics' counter of committed transactions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        body = await body_or_answered(scope, receive, send)
        if body is None:
            return
        try:
            status, content = await self._issue(scope, body)
        except Exception as exc:
            answer = problem_of(exc)
            if answer is None:
                raise  # a fault: the app's 500, logged
            await answer.response(PATH)(scope, receive, send)
            return
        await send_json(send, content, status)

    async def _issue(self, scope: Scope, body: bytes) -> tuple[int, bytes]:
        value = parsed(body)
        who = authenticated(self.node, _header(scope["headers"], b"authorization"))
        scope.setdefault("state", {})["org"] = who.id  # for the request's log line
        issued = await issue(self.node, validated(value), who, len(body))
        self.commits.inc()
        return render(issued)


__all__ = ["PATH", "IssueEndpoint", "issue", "parsed", "render", "validated"]
