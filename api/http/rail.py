"""/v1/rail: the rail corridor over HTTP, the same operations as ``tdx rail``.

Writes act as the calling organisation (its bearer token); the chaincode decides, so a
refusal is the command line's, as problem+json naming the rule. Reads apply the node's read
policy (``chaincode.read_policy``): a consignment's journey is its status; the release-time
report covers only the consignments the caller may read the status of.
"""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.http import schemas
from api.http.problems import Problem
from api.http.routes import _ERRORS, Caller, DocPath, NodeDep, _receipt
from api.http.strict import StrictJsonRoute
from chaincode.documents.rail import StationCode
from network.node import Node
from network.rail import Push, RailDesk
from network.rail.views import rail_status_json

router = APIRouter(prefix="/v1/rail", route_class=StrictJsonRoute, tags=["rail"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(_Body):
    document: dict[str, Any] = Field(description="The SMGS / CIM-SMGS consignment note (JSON).")


class EventRequest(_Body):
    """A border event, in the ledger's form (``chaincode.rail.events.BorderEvent``)."""

    type: Literal["ARRIVAL", "SEAL_CHECK", "TRANSSHIPMENT", "DEPARTURE"]
    station: StationCode
    time: datetime.datetime | None = Field(None, description="When it happened [default: now].")
    seals: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)
    moves: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)


class ReleaseRequest(_Body):
    station: StationCode
    time: datetime.datetime | None = Field(None, description="When it was taken [default: now].")


def desk_of(request: Request, node: Node) -> RailDesk:
    """The app's one desk (so its outbox is the node's, not a request's)."""
    desk = getattr(request.app.state, "rail_desk", None)
    if desk is None:
        desk = request.app.state.rail_desk = RailDesk(node)
    assert isinstance(desk, RailDesk)
    return desk


def _pushed(push: Push | None) -> dict[str, Any]:
    if push is None:
        return {}
    return {"advanceInformation": {"to": push.destination_country, "key": push.key}}


def _with(response: JSONResponse, extra: dict[str, Any]) -> JSONResponse:
    if not extra:
        return response
    body = json.loads(bytes(response.body)) | extra
    return JSONResponse(body, status_code=response.status_code)


@router.post(
    "/consignments",
    status_code=201,
    response_model=schemas.Receipt,
    responses=_ERRORS,
    summary="Issue a consignment note and register its route, wagons and seals",
)
def register(request: Request, body: RegisterRequest, node: NodeDep, who: Caller) -> JSONResponse:
    done = desk_of(request, node).register(body.document, who.id)
    return _with(_receipt(request, done.registered, done.doc_id), _pushed(done.pushed))


@router.post(
    "/consignments/{doc_id}/events",
    status_code=201,
    response_model=schemas.Receipt,
    responses=_ERRORS,
    summary="Record a border event (arrival, seal check, transshipment, departure)",
)
def record(
    request: Request, doc_id: DocPath, body: EventRequest, node: NodeDep, who: Caller
) -> JSONResponse:
    raw = body.model_dump(mode="json", exclude_defaults=True)
    raw["time"] = (body.time or node.clock()).isoformat()
    done = desk_of(request, node).record_event(doc_id, who.id, raw)
    return _with(_receipt(request, done.receipt, doc_id), _pushed(done.pushed))


@router.post(
    "/consignments/{doc_id}/releases",
    status_code=201,
    responses=_ERRORS,
    summary="Customs' release decision at a border station, by the release rule",
)
def release(
    request: Request, doc_id: DocPath, body: ReleaseRequest, node: NodeDep, who: Caller
) -> JSONResponse:
    done = desk_of(request, node).release(doc_id, body.station, who.id, body.time)
    findings = [
        {"subject": f.subject, "reason": f.reason, "detail": f.detail}
        for f in done.assessment.findings
    ]
    extra = {"decision": done.assessment.outcome.value, "findings": findings}
    return _with(_receipt(request, done.receipt, doc_id), extra)


@router.get("/consignments/{doc_id}", responses=_ERRORS, summary="A consignment's journey")
def status(request: Request, doc_id: DocPath, node: NodeDep, who: Caller) -> dict[str, Any]:
    return rail_status_json(desk_of(request, node).status(doc_id, who))


def _date(value: str | None, name: str) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        text = f"{name}: not an ISO 8601 date"
        errors = [{"path": f"$.{name}", "rule": "iso_8601", "message": text}]
        raise Problem(422, text, "invalid-request", errors=errors) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


@router.get("/report", responses=_ERRORS, summary="Dwell times per border pair")
def report(
    request: Request,
    node: NodeDep,
    who: Caller,
    border: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=40)] = None,
) -> dict[str, Any]:
    start, end = _date(since, "from"), _date(until, "to")
    return desk_of(request, node).report(who, border, start, end).as_json()


__all__ = ["router"]
