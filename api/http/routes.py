"""The /v1 resources. Each handler authenticates, calls the node, and renders; the rules
(who may do what, in which state) are the chaincode's, so errors read the same as on the
command line."""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from api.http import schemas, verify_endpoint
from api.http.problems import PROBLEM_JSON, Problem
from chaincode.transactions import Op
from identity.tokens import TokenClaims
from ledger.interface import Receipt
from network.node import Node

router = APIRouter(prefix="/v1")

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {PROBLEM_JSON: {}}}
    for status, text in (
        (401, "No valid bearer token"),
        (403, "The organisation's role or country does not allow it"),
        (404, "No such document or right"),
        (409, "The current state does not allow it"),
        (413, "Body too large"),
        (415, "Body is not application/json"),
        (422, "Invalid input; each error names its path and rule"),
    )
}


DocPath = Annotated[str, Path(pattern=r"^sha256:[0-9a-f]{64}$", description="Document id")]
ContainerPath = Annotated[str, Path(pattern=r"^[A-Z]{4}\d{7}$", description="ISO 6346 number")]
OrgPath = Annotated[str, Path(pattern=r"^[a-z]{2}-[a-z0-9-]{1,40}$", description="Organisation id")]


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def caller(request: Request) -> TokenClaims:
    claims: TokenClaims = request.app.state.authenticate(request)
    return claims


NodeDep = Annotated[Node, Depends(node_of)]
Caller = Annotated[TokenClaims, Depends(caller)]


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
def issue(request: Request, body: schemas.IssueRequest, node: NodeDep, who: Caller) -> JSONResponse:
    issued = node.issue(
        body.kind, json.dumps(body.document).encode(), who.organisation.id, body.links, body.to
    )
    return _receipt(request, issued.receipt, issued.document.digest)


@router.get("/documents/{doc_id}", tags=["documents"], responses=_ERRORS)
def status(doc_id: DocPath, node: NodeDep, who: Caller) -> dict[str, Any]:
    return node.status(doc_id)


@router.get("/documents/{doc_id}/signed", tags=["documents"], responses=_ERRORS)
def signed(doc_id: DocPath, node: NodeDep, who: Caller) -> JSONResponse:
    data = node.store.get(doc_id) if doc_id.startswith("sha256:") and len(doc_id) == 71 else None
    if data is None:
        raise Problem(404, f"no signed document {doc_id} in this node's store", "not-found")
    return JSONResponse(json.loads(data))


def _supersede(
    request: Request,
    op: Op,
    doc_id: str,
    body: schemas.SupersedeRequest,
    node: Node,
    who: TokenClaims,
) -> JSONResponse:
    issued = node.supersede(
        op, doc_id, json.dumps(body.document).encode(), who.organisation.id, body.reason
    )
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
    return _receipt(
        request, node.submit(who.organisation.id, Op.REVOKE, doc=doc_id, reason=body.reason)
    )


@router.get("/documents/{doc_id}/trace", tags=["documents"], responses=_ERRORS)
def trace(doc_id: DocPath, node: NodeDep, who: Caller) -> list[dict[str, Any]]:
    node.require(doc_id)
    return [e.to_json() for e in node.ledger.trace(doc_id)]


@router.get("/documents/{doc_id}/links", tags=["documents"], responses=_ERRORS)
def links(doc_id: DocPath, node: NodeDep, who: Caller) -> list[str]:
    node.require(doc_id)
    return node.ledger.links(doc_id)


@router.get("/documents/{doc_id}/proof", tags=["ledger"], responses=_ERRORS)
def proof(doc_id: DocPath, node: NodeDep, who: Caller) -> dict[str, Any]:
    return node.ledger.prove(doc_id)


# --- eBL control --------------------------------------------------------------------------


def _ebl_action(
    request: Request, node: Node, who: TokenClaims, op: Op, **fields: Any
) -> JSONResponse:
    return _receipt(request, node.submit(who.organisation.id, op, **fields))


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


# --- containers ---------------------------------------------------------------------------


@router.post("/containers/{container}/pickups", **_EBL)
def pickup(
    request: Request,
    container: ContainerPath,
    node: NodeDep,
    who: Caller,
    body: Annotated[schemas.PickupRequest | None, Body()] = None,
) -> JSONResponse:
    return _receipt(
        request, node.pickup(container, who.organisation.id, body.for_ if body else None)
    )


@router.get("/containers/{container}/documents", tags=["containers"], responses=_ERRORS)
def container_documents(container: ContainerPath, node: NodeDep, who: Caller) -> list[str]:
    return node.ledger.documents_for_container(container)


@router.get("/organisations/{org_id}/ebls", tags=["eBL"], responses=_ERRORS)
def held(org_id: OrgPath, node: NodeDep, who: Caller) -> list[str]:
    return node.ledger.held_by(org_id)


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
            "description": "A tdx-signed-document/1 envelope, as tdx issue --out writes it.",
        }
    },
)
async def verify(request: Request, node: NodeDep) -> Response:
    # Served by api.http.verify_endpoint ahead of the router; this entry documents it. The raw
    # body goes to the verifier as it came (it parses strictly, refusing duplicate keys).
    report = await verify_endpoint.verify(node, await request.body())
    return Response(verify_endpoint.render(report), media_type="application/json")


@router.get("/checkpoints/latest", response_model=schemas.CheckpointResponse, tags=["ledger"])
def checkpoint(node: NodeDep) -> dict[str, str]:
    return {
        "checkpoint": node.ledger.checkpoint(),
        "key": node.home.setting("checkpointKey"),
        "origin": node.home.setting("origin"),
    }


@router.post("/ledger/verification", tags=["ledger"], responses=_ERRORS)
def verify_ledger(node: NodeDep, who: Caller) -> dict[str, Any]:
    result = node.ledger.verify_log()
    return {
        "ok": result.ok,
        "entries": result.entries,
        "signatures": result.signatures,
        "checkpoints": result.checkpoints,
        "problems": result.problems,
    }
