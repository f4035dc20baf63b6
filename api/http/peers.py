"""The node-to-node resources of a country's node, and its inbox and network status.

``POST /v1/peer/verification-queries`` and ``POST /v1/peer/deliveries`` take only requests
signed by another country's node (RFC 9421; ``network.peers.http_signatures``): any check
that fails is a 401 problem+json whose ``check`` names it. ``GET /v1/inbox`` lists what
other nodes delivered, with each item's verification report, to an organisation of this
node's country. ``GET /v1/network/status`` is public: the node's country, log size, outbox
depth and witnesses.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.http.problems import Problem
from api.http.routes import Caller, NodeDep
from api.http.strict import StrictJsonRoute
from chaincode.canonical import CanonicalizationError, parse_json
from chaincode.identifiers import DOC_ID_PATTERN, ORG_ID_PATTERN
from network.node import Node
from network.peers.http_signatures import PeerAuthError, SignedBy
from network.peers.service import QUERY_PATH
from network.peers.status import node_status

router = APIRouter(prefix="/v1", route_class=StrictJsonRoute)


class VerificationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    digest: Annotated[str, Field(pattern=DOC_ID_PATTERN)]
    issuer: Annotated[str | None, Field(pattern=ORG_ID_PATTERN)] = None
    knownSize: Annotated[int | None, Field(ge=0, le=2**63)] = None  # noqa: N815


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,64}$")]
    key: Annotated[str, Field(min_length=1, max_length=200)]
    payload: Annotated[str, Field(description="base64 of the item's bytes")]


def _no_peers() -> Problem:
    return Problem(404, "this node has no peers (it is not a country's node)", "no-peers")


def _verified(node: Node, method: str, url: str, headers: dict[str, str], body: bytes) -> SignedBy:
    """The signing peer of a request (header names lower-case), or a 401 naming the check."""
    if node.peers is None:
        raise _no_peers()
    try:
        return node.peers.requests.verify(method, url, headers, body, node.clock())
    except PeerAuthError as exc:
        raise Problem(401, str(exc), "peer-signature", check=exc.check) from None


async def signed_peer_request(request: Request, node: Node) -> tuple[SignedBy, bytes]:
    """The signing peer node and the raw body of an RFC 9421 signed peer request, or a 401
    problem+json naming the failed check (for any peer resource, JSON or not)."""
    if node.peers is None:
        raise _no_peers()
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    return _verified(node, request.method, str(request.url), headers, body), body


def _json(body: bytes) -> Any:
    try:
        return parse_json(body)
    except CanonicalizationError as exc:
        raise Problem(422, str(exc), "not-canonical-json") from None


async def _signed(request: Request, node: Node) -> tuple[SignedBy, Any]:
    """The signing peer and the strictly parsed JSON body, or a 401 naming the check."""
    signed_by, body = await signed_peer_request(request, node)
    return signed_by, _json(body)


def _model(model: type[BaseModel], value: Any) -> Any:
    try:
        return model.model_validate(value)
    except ValueError as exc:
        raise Problem(422, f"the request body is not valid: {exc}", "invalid-request") from None


async def answer_query(
    node: Node, method: str, url: str, headers: dict[str, str], body: bytes
) -> str:
    """The signed answer to a signed verification query (the route and ``QueryEndpoint``)."""
    signed_by = _verified(node, method, url, headers, body)
    query = _model(VerificationQuery, _json(body))

    def answer() -> str:
        return node.answer_query(signed_by, query.digest, query.issuer, query.knownSize)

    return answer() if node.ledger.nonblocking_reads else await run_in_threadpool(answer)


@router.post(QUERY_PATH.removeprefix("/v1"), tags=["peers"])
async def verification_query(request: Request, node: NodeDep) -> dict[str, str]:
    """A peer node asks about a document digest; the answer is signed by this node."""
    if node.peers is None:
        raise _no_peers()
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    return {"answer": await answer_query(node, request.method, str(request.url), headers, body)}


@router.post("/peer/deliveries", tags=["peers"])
async def delivery(request: Request, node: NodeDep) -> dict[str, Any]:
    """A peer node delivers an outbox item: kept, verified, acknowledged (idempotent)."""
    signed_by, value = await _signed(request, node)
    item = _model(Delivery, value)
    try:
        payload = base64.b64decode(item.payload, validate=True)
    except (binascii.Error, ValueError):
        raise Problem(422, "payload: not base64", "invalid-request") from None
    return await run_in_threadpool(node.receive, signed_by, item.kind, item.key, payload)


@router.get("/inbox", tags=["peers"])
def inbox(node: NodeDep, who: Caller) -> list[dict[str, Any]]:
    """What other countries' nodes delivered here, with each item's verification report
    (to the organisations of this node's country)."""
    if node.peers is None:
        raise Problem(404, "this node has no peers (it is not a country's node)", "no-peers")
    if who.country != node.peers.country:
        raise Problem(
            403,
            f"the inbox of the {node.peers.country} node is its own organisations' "
            f"({who.id} is of {who.country})",
            "need-to-know",
        )
    return [a.to_json() for a in node.peers.inbox.arrivals()]


@router.get("/network/status", tags=["peers"])
def status(node: NodeDep) -> dict[str, Any]:
    """This node's country, log size, outbox depth and witnesses (public)."""
    return node_status(node)
