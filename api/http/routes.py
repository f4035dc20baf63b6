"""The /v1 resources. Each handler authenticates (through the node), calls the node, and
renders; the rules (who may do what, in which state; who may read what) are the
chaincode's, so errors read the same as on the command line. Every body is parsed by the
strict JSON parser (``api.http.strict``)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from api.http import issue_endpoint, schemas, verify_endpoint, witness
from api.http.bearer import authenticated
from api.http.problems import PROBLEM_JSON
from api.http.strict import StrictJsonRoute
from api.views import log_check_json, status_json
from chaincode.identifiers import CONTAINER_PATTERN, DOC_ID_PATTERN, ORG_ID_PATTERN
from chaincode.records import Actor
from chaincode.transactions import Op
from ledger.interface import Receipt
from network.node import Node

router = APIRouter(prefix="/v1", route_class=StrictJsonRoute)

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {PROBLEM_JSON: {}}}
    for status, text in (
        (401, "No valid bearer token"),
        (403, "The organisation's role or country does not allow it, or the read policy"),
        (404, "No such document or right"),
        (409, "The current state does not allow it"),
        (413, "Body too large"),
        (415, "Body is not application/json"),
        (422, "Invalid input; each error names its path and rule"),
        (501, "This node's ledger engine does not offer it"),
    )
}


DocPath = Annotated[str, Path(pattern=DOC_ID_PATTERN, description="Document id")]
ContainerPath = Annotated[str, Path(pattern=CONTAINER_PATTERN, description="ISO 6346 number")]
OrgPath = Annotated[str, Path(pattern=ORG_ID_PATTERN, description="Organisation id")]


async def node_of(request: Request) -> Node:
    # async: FastAPI runs a plain function dependency in a worker thread (a hop per request).
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(node_of)]


def caller(request: Request, node: NodeDep) -> Actor:
    """The organisation the request's bearer token speaks for (``Node.authenticate``)."""
    return _authenticated(request, node)


async def caller_on_loop(request: Request, node: NodeDep) -> Actor:
    """``caller`` for an async route, on the event loop instead of a thread (a thread hop
    costs more than the check: a signature and an insert into the replay cache)."""
    return _authenticated(request, node)


def _authenticated(request: Request, node: Node) -> Actor:
    who = authenticated(node, request.headers.get("authorization", ""))
    request.state.org = who.id
    return who


Caller = Annotated[Actor, Depends(caller)]
LoopCaller = Annotated[Actor, Depends(caller_on_loop)]


def _receipt(request: Request, receipt: Receipt, doc_id: str | None = None) -> JSONResponse:
    request.app.state.metrics.commits.inc()
    body = receipt.to_json() | ({"documentId": doc_id} if doc_id else {})
    return JSONResponse(body, status_code=200 if receipt.duplicate else 201)


# --- documents ----------------------------------------------------------------------------


@router.post(
    "/documents",
    status_code=201,
    response_model=schemas.Receipt,
    responses=_ERRORS,
    tags=["documents"],
    summary="Validate, sign, store and anchor a document as the calling organisation",
)
async def issue(
    request: Request, body: schemas.IssueRequest, node: NodeDep, who: LoopCaller
) -> Response:
    # Served by api.http.issue_endpoint ahead of the router; this entry documents it and
    # answers with the same functions.
    issued = await issue_endpoint.issue(node, body, who, len(await request.body()))
    request.app.state.metrics.commits.inc()
    status, content = issue_endpoint.render(issued)
    return Response(content, status, media_type="application/json")


@router.get("/documents/{doc_id}", tags=["documents"], responses=_ERRORS)
def status(doc_id: DocPath, node: NodeDep, who: Caller) -> dict[str, Any]:
    return status_json(node.status(doc_id, who))


@router.get("/documents/{doc_id}/signed", tags=["documents"], responses=_ERRORS)
def signed(doc_id: DocPath, node: NodeDep, who: Caller) -> Response:
    return Response(node.signed_document(doc_id, who), media_type="application/json")


def _supersede(
    request: Request, op: Op, doc_id: str, body: schemas.SupersedeRequest, node: Node, who: Actor
) -> JSONResponse:
    issued = node.supersede(op, doc_id, body.document, who.id, body.reason)
    return _receipt(request, issued.receipt, issued.document.digest)


_SUPERSEDE: dict[str, Any] = {
    "status_code": 201,
    "response_model": schemas.Receipt,
    "responses": _ERRORS,
    "tags": ["documents"],
}


@router.post("/documents/{doc_id}/amendments", **_SUPERSEDE)
def amend(
    request: Request, doc_id: DocPath, body: schemas.SupersedeRequest, node: NodeDep, who: Caller
) -> JSONResponse:
    return _supersede(request, Op.AMEND, doc_id, body, node, who)


@router.post("/documents/{doc_id}/replacements", **_SUPERSEDE)
def replace(
    request: Request, doc_id: DocPath, body: schemas.SupersedeRequest, node: NodeDep, who: Caller
) -> JSONResponse:
    return _supersede(request, Op.REPLACE, doc_id, body, node, who)


@router.post(
    "/documents/{doc_id}/revocation",
    status_code=201,
    response_model=schemas.Receipt,
    responses=_ERRORS,
    tags=["documents"],
)
def revoke(
    request: Request, doc_id: DocPath, body: schemas.ReasonRequest, node: NodeDep, who: Caller
) -> JSONResponse:
    return _receipt(request, node.submit(who.id, Op.REVOKE, doc=doc_id, reason=body.reason))


@router.get("/documents/{doc_id}/trace", tags=["documents"], responses=_ERRORS)
def trace(doc_id: DocPath, node: NodeDep, who: Caller) -> list[dict[str, Any]]:
    return [e.to_json() for e in node.trace(doc_id, who)]


@router.get("/documents/{doc_id}/links", tags=["documents"], responses=_ERRORS)
def links(doc_id: DocPath, node: NodeDep, who: Caller) -> list[str]:
    return node.links(doc_id, who)


@router.get("/documents/{doc_id}/proof", tags=["ledger"], responses=_ERRORS)
def proof(doc_id: DocPath, node: NodeDep, who: Caller) -> dict[str, Any]:
    return node.proof(doc_id, who)


# --- eBL control --------------------------------------------------------------------------


def _ebl_action(request: Request, node: Node, who: Actor, op: Op, **fields: Any) -> JSONResponse:
    return _receipt(request, node.submit(who.id, op, **fields))


_EBL: dict[str, Any] = {
    "status_code": 201,
    "response_model": schemas.Receipt,
    "responses": _ERRORS,
    "tags": ["eBL"],
}


@router.post("/ebls/{doc_id}/transfers", **_EBL)
def transfer(
    request: Request, doc_id: DocPath, body: schemas.ToRequest, node: NodeDep, who: Caller
) -> JSONResponse:
    return _ebl_action(request, node, who, Op.TRANSFER, doc=doc_id, to=body.to)


@router.post("/ebls/{doc_id}/endorsements", **_EBL)
def endorse(
    request: Request, doc_id: DocPath, body: schemas.ToRequest, node: NodeDep, who: Caller
) -> JSONResponse:
    return _ebl_action(request, node, who, Op.ENDORSE, doc=doc_id, to=body.to)


@router.post("/ebls/{doc_id}/surrenders", **_EBL)
def surrender(
    request: Request, doc_id: DocPath, body: schemas.SurrenderRequest, node: NodeDep, who: Caller
) -> JSONResponse:
    return _ebl_action(request, node, who, Op.SURRENDER, doc=doc_id, purpose=body.purpose)


@router.post("/ebls/{doc_id}/surrender-acceptance", **_EBL)
def accept(
    request: Request,
    doc_id: DocPath,
    node: NodeDep,
    who: Caller,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> JSONResponse:
    return _ebl_action(request, node, who, Op.ACCEPT, doc=doc_id)


@router.post("/ebls/{doc_id}/surrender-rejection", **_EBL)
def reject(
    request: Request, doc_id: DocPath, body: schemas.ReasonRequest, node: NodeDep, who: Caller
) -> JSONResponse:
    return _ebl_action(request, node, who, Op.REJECT, doc=doc_id, reason=body.reason)


@router.post("/ebls/{doc_id}/releases", **_EBL)
def release(
    request: Request, doc_id: DocPath, body: schemas.ReleaseRequest, node: NodeDep, who: Caller
) -> JSONResponse:
    expires = body.expires if body.expires.tzinfo else body.expires.replace(tzinfo=datetime.UTC)
    return _ebl_action(
        request,
        node,
        who,
        Op.RELEASE,
        doc=doc_id,
        containers=body.containers,
        to=body.to,
        expires=expires,
    )


@router.post("/ebls/{doc_id}/delegations", **_EBL)
def delegate(
    request: Request, doc_id: DocPath, body: schemas.DelegateRequest, node: NodeDep, who: Caller
) -> JSONResponse:
    return _ebl_action(
        request, node, who, Op.DELEGATE, doc=doc_id, container=body.container, to=body.to
    )


# --- containers and holdings --------------------------------------------------------------


@router.post("/containers/{container}/pickups", **_EBL)
def pickup(
    request: Request,
    container: ContainerPath,
    node: NodeDep,
    who: Caller,
    body: Annotated[schemas.PickupRequest | None, Body()] = None,
) -> JSONResponse:
    return _receipt(request, node.pickup(container, who.id, body.for_ if body else None))


@router.get("/containers/{container}/documents", tags=["containers"], responses=_ERRORS)
def container_documents(container: ContainerPath, node: NodeDep, who: Caller) -> list[str]:
    """The documents naming the container that the caller may read the status of."""
    return node.container_documents(container, who)


@router.get("/organisations/{org_id}/ebls", tags=["eBL"], responses=_ERRORS)
def held(org_id: OrgPath, node: NodeDep, who: Caller) -> list[str]:
    return node.holdings(org_id, who)


# --- public: verification and checkpoints -------------------------------------------------


@router.post(
    "/verify",
    response_model=schemas.VerifyReport,
    responses={**_ERRORS, 200: {"description": "The check-by-check report (valid or not)"}},
    tags=["verification"],
    summary="Verify a signed document you present (public)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "A tdx-signed-document/1 envelope, as tdx issue --out writes it; "
            'or {"document": <envelope>, "askIssuer": true} (or ?askIssuer=true) to ask '
            "the issuing country's node when this node's ledger lacks the document.",
        }
    },
)
async def verify(request: Request, node: NodeDep) -> Response:
    # Served by api.http.verify_endpoint ahead of the router; this entry documents it. The raw
    # body goes to the verifier as it came (it parses strictly, refusing duplicate keys).
    document, ask = verify_endpoint.unwrap(await request.body(), request.url.query.encode())
    report = await verify_endpoint.verify(node, document, ask)
    return Response(verify_endpoint.render(report), media_type="application/json")


@router.get(
    "/checkpoints/latest",
    response_model=schemas.CheckpointResponse,
    responses=_ERRORS,
    tags=["ledger"],
)
def checkpoint(request: Request, node: NodeDep) -> dict[str, Any]:
    """The latest signed checkpoint, with the cosignatures its witnesses returned for it."""
    info = node.checkpoint()
    served = witness.served_checkpoint(request.app, info.checkpoint)
    return {"key": info.key, "origin": info.origin, **served}


@router.post("/ledger/verification", tags=["ledger"], responses=_ERRORS)
def verify_ledger(node: NodeDep, who: Caller) -> dict[str, Any]:
    return log_check_json(node.audit_log(who))
