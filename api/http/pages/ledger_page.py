"""The Ledger page (public): the latest signed checkpoint with every signature it carries
(the log's own, and witnesses' cosignatures once nodes witness each other's), and, for an
auditor, "verify the whole log" running in the background with a progress bar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from api.http.pages.checkpoints import checkpoint_view
from api.http.pages.site import (
    PageContext,
    PageError,
    PageRoute,
    Site,
    context_of,
    signed_in,
    site_of,
)
from chaincode.read_policy import ReadScope, may_audit_log, require
from network.node import NotOffered

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Ctx = Annotated[PageContext, Depends(context_of)]
SiteDep = Annotated[Site, Depends(site_of)]
JobPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{10,40}$")]


@router.get("/ledger")
def ledger_page(ctx: Ctx, site: SiteDep) -> Response:
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
        )
    view = checkpoint_view(info.checkpoint, info.key)
    may_audit = ctx.session is not None and may_audit_log(ctx.session.actor).allowed
    return site.render(
        ctx,
        "ledger.html",
        checkpoint=view,
        not_offered=None,
        size=node.ledger.size(),
        may_audit=may_audit,
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
