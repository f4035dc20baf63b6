"""The Verify page (public): a document dropped, pasted or uploaded, or a QR code's text
typed or scanned, verified against this node's ledger; and the proof of the entry that
anchored it, to check offline (``tdx proof check``)."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.http import verify_endpoint
from api.http.pages.lookup import NotAReferenceError, parse_reference, verify_digest
from api.http.pages.site import PageContext, PageError, PageRoute, Site, context_of, site_of
from api.http.pages.verdicts import read_report
from chaincode.identifiers import DOC_ID_PATTERN, ORG_ID_PATTERN
from ledger.evidence import MerkleInclusion
from network.home import HomeError
from network.proof_bundle import standalone

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Ctx = Annotated[PageContext, Depends(context_of)]
SiteDep = Annotated[Site, Depends(site_of)]
MAX_DOCUMENT = 4 * 1024 * 1024


def _links(site: Site, ctx: PageContext, report: dict[str, Any]) -> dict[str, Any]:
    facts = report.get("facts") or {}
    digest, issuer = facts.get("digest"), facts.get("issuer")
    anchored = any(
        c.get("name") == "anchored" and c.get("status") == "pass" for c in report["checks"]
    )
    proof = (
        f"/verify/proof?digest={digest}&issuer={issuer}"
        if anchored and digest and issuer and site.node.provable is not None
        else None
    )
    document = f"/documents/{digest}" if anchored and digest and ctx.session else None
    return {"proof_url": proof, "document_url": document}


def _page(site: Site, ctx: PageContext, values: dict[str, Any], status: int = 200) -> Response:
    defaults: dict[str, Any] = {
        "view": None,
        "note": None,
        "problem": None,
        "proof_url": None,
        "document_url": None,
        "document_text": "",
        "reference": "",
    }
    return site.render(ctx, "verify.html", status, **(defaults | values))


@router.get("/")
def home(ctx: Ctx, site: SiteDep) -> Response:
    return site.redirect(ctx, "/verify")


@router.get("/verify")
async def verify_page(
    ctx: Ctx,
    site: SiteDep,
    digest: Annotated[str | None, Query(max_length=100)] = None,
    reference: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    """The form; with ``digest`` (a QR code's URL) or ``reference`` (its text, typed), the
    verification of that document."""
    text = reference if reference is not None else digest
    if text is None:
        return _page(site, ctx, {})
    try:
        ref = parse_reference(text, ctx.origin)
    except NotAReferenceError as exc:
        return _page(site, ctx, {"problem": ctx.t(exc.key), "reference": text}, 422)
    report, own_copy = await run_in_threadpool(verify_digest, site.node, ref.digest)
    note = ctx.t("verify.from_copy") if own_copy else ctx.t("verify.ledger_only")
    if ref.elsewhere:
        note = ctx.t("verify.elsewhere", node=ref.elsewhere) + " " + note
    shown = {"view": read_report(report), "note": note, "reference": text}
    return _page(site, ctx, shown | _links(site, ctx, report))


async def _presented(request: Request, site: Site, ctx: PageContext) -> tuple[bytes, str]:
    async with request.form(max_files=1, max_fields=8, max_part_size=MAX_DOCUMENT) as form:
        site.check_form(ctx, form)
        upload = form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_DOCUMENT + 1)
            if len(data) > MAX_DOCUMENT:
                raise PageError(413, "error.too_large", limit=MAX_DOCUMENT)
            return data, ""
        text = form.get("document", "")
    if not isinstance(text, str) or not text.strip():
        raise PageError(422, "verify.nothing")
    return text.encode(), text


@router.post("/verify")
async def verify_presented(request: Request, ctx: Ctx, site: SiteDep) -> Response:
    data, text = await _presented(request, site, ctx)
    report = (await verify_endpoint.verify(site.node, data)).to_json()
    shown = text if len(text) <= 200_000 else ""
    values = {"view": read_report(report), "document_text": shown}
    return _page(site, ctx, values | _links(site, ctx, report))


@router.get("/verify/proof")
def anchoring_proof(
    ctx: Ctx,
    site: SiteDep,
    digest: Annotated[str, Query(pattern=DOC_ID_PATTERN)],
    issuer: Annotated[str, Query(pattern=ORG_ID_PATTERN)],
) -> Response:
    """A standalone ``tdx-proof/1`` bundle of the one entry that anchored the document: its
    inclusion in the latest checkpoint, the certificate that signed it, and the trust
    material to check both offline (``network.proof_bundle``). The rest of its history is
    a read the read policy governs (the Document page's bundle)."""
    provable = site.node.provable
    evidence = site.node.ledger.evidence(digest, issuer)
    if provable is None or evidence is None or not isinstance(evidence.proof, MerkleInclusion):
        raise PageError(404, "verify.no_proof")
    bundle = provable.prove(digest)
    entries = [e for e in bundle["entries"] if e["index"] == evidence.proof.index]
    if not entries:
        raise PageError(404, "verify.no_proof")
    kid = json.loads(base64.b64decode(entries[0]["leaf"]))["signed"]["kid"]
    bundle["entries"] = entries
    bundle["certificates"] = {k: v for k, v in bundle["certificates"].items() if k == kid}
    try:
        # Standalone: the checkpoint key and the trust material to check it with nothing else.
        bundle = standalone(bundle, site.node.home)
    except HomeError:
        raise PageError(404, "verify.no_proof") from None
    name = f"tdx-proof-{digest.removeprefix('sha256:')[:16]}.json"
    response = Response(
        json.dumps(bundle, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
    return site.headers(ctx, response)


__all__ = ["router"]
