"""The Ledger page (public): the latest signed checkpoint with every signature it carries
(the log's own, and its witnesses' cosignatures: the note as ``GET /v1/checkpoints/latest``
serves it, each registered witness's cosignature verified with its key), the latest
checkpoint the witnesses cosigned when the newest still waits for them, and, for an auditor,
"verify the whole log" running in the background with a progress bar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from api.http.pages.checkpoints import WitnessedView, checkpoint_view, witness_cosignatures
from api.http.pages.site import (
    PageContext,
    PageError,
    PageRoute,
    Site,
    context_of,
    signed_in,
    site_of,
)
from api.http.witness import served_checkpoint
from chaincode.read_policy import ReadScope, may_audit_log, require
from ledger.tlog.checkpoint import CheckpointError
from network.node import NotOffered
from network.witness import witnesses_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Ctx = Annotated[PageContext, Depends(context_of)]
SiteDep = Annotated[Site, Depends(site_of)]
JobPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{10,40}$")]


def _witnessed(request: Request, site: Site, note: str, key: str) -> tuple[str, WitnessedView]:
    """The note with its witnesses' cosignature lines, and the witnesses' cosignatures,
    verified: on this checkpoint, or, while it waits for them, on the latest they cosigned."""
    try:
        served = served_checkpoint(request.app, note)
    except CheckpointError as exc:  # a stored cosignature line this node cannot read
        return note, WitnessedView((), None, None, str(exc))
    registered = [(w.name, w.key) for w in witnesses_of(site.node.home)]
    current = witness_cosignatures(served["checkpoint"], registered)
    older = served["witnessed"]
    if older is None or any(c.verified for c in current):
        return served["checkpoint"], WitnessedView(current, None, None)
    witnessed = checkpoint_view(older["checkpoint"], key)
    earlier = witness_cosignatures(older["checkpoint"], registered)
    return served["checkpoint"], WitnessedView(earlier, witnessed.size, witnessed.root)


@router.get("/ledger")
def ledger_page(request: Request, ctx: Ctx, site: SiteDep) -> Response:
    node = site.node
    try:
        info = node.checkpoint()
    except NotOffered as exc:
        return site.render(
            ctx,
            "ledger.html",
            checkpoint=None,
            not_offered=str(exc),
            size=node.ledger.size(),
            may_audit=False,
            witnessed=None,
        )
    note, witnessed = _witnessed(request, site, info.checkpoint, info.key)
    view = checkpoint_view(note, info.key)
    may_audit = ctx.session is not None and may_audit_log(ctx.session.actor).allowed
    return site.render(
        ctx,
        "ledger.html",
        checkpoint=view,
        not_offered=None,
        size=node.ledger.size(),
        may_audit=may_audit,
        witnessed=witnessed,
    )


@router.post("/ledger/audits")
async def start_audit(request: Request, ctx: Ctx, site: SiteDep) -> Response:
    who = signed_in(ctx)
    form = await request.form(max_files=0, max_fields=4)
    site.check_form(ctx, form)
    require(ReadScope.LOG_AUDIT, may_audit_log(who))
    node = site.node
    if node.provable is None:
        raise NotOffered("re-checking the log", node.engine.value)
    job = site.audits.start(
        who, lambda reader, progress: node.audit_log(reader, progress), site.now()
    )
    return site.redirect(ctx, f"/ledger/audits/{job.id}")


@router.get("/ledger/audits/{job_id}")
def audit_page(job_id: JobPath, ctx: Ctx, site: SiteDep) -> Response:
    who = signed_in(ctx)
    job = site.audits.get(job_id, who.id)
    if job is None:
        raise PageError(404, "ledger.no_audit")
    return site.render(ctx, "audit.html", job=job)


@router.get("/ledger/audits/{job_id}/progress")
def audit_progress(job_id: JobPath, ctx: Ctx, site: SiteDep) -> Response:
    who = signed_in(ctx)
    job = site.audits.get(job_id, who.id)
    if job is None:
        raise PageError(404, "ledger.no_audit")
    return site.headers(ctx, JSONResponse(job.to_json()))


__all__ = ["router"]
