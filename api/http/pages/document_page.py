"""The Document page (signed in): a document's fields, its timeline of ledger entries with
the linked documents' entries, links to the linked documents, and each of its own entries'
inclusion proof, checked in the reader's browser (``static/proofs.js``) against the
checkpoint shown. Also its printable certificate and its proof bundle. What the page shows
is what the read policy lets the organisation read: the content only to those who may read
it, the rest to those who may read the status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from api.http.pages.checkpoints import CheckpointView, checkpoint_view
from api.http.pages.fields import Field, fields_of, humanize
from api.http.pages.printing import print_pdf, reference_of
from api.http.pages.site import PageContext, PageRoute, Site, context_of, signed_in, site_of
from chaincode.documents import envelope
from chaincode.documents.registry import DocumentKind
from chaincode.identifiers import DOC_ID_PATTERN
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.read_policy import ReadRefusal
from chaincode.records import Actor, PickupRight
from ledger.interface import HistoryEntry

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Ctx = Annotated[PageContext, Depends(context_of)]
SiteDep = Annotated[Site, Depends(site_of)]
DocPath = Annotated[str, Path(pattern=DOC_ID_PATTERN)]


@dataclass(frozen=True)
class TimelineEntry:
    index: int
    time: str
    op: str
    actor: str
    actor_name: str
    doc: str | None
    own: bool
    details: tuple[tuple[str, str], ...]


def _detail(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _timeline(site: Site, doc_id: str, entries: list[HistoryEntry]) -> list[TimelineEntry]:
    out = []
    for e in entries:
        org = site.organisation(e.actor)
        out.append(
            TimelineEntry(
                e.index,
                e.time,
                e.op,
                e.actor,
                org.name if org else e.actor,
                e.doc,
                e.doc == doc_id,
                tuple((humanize(k), _detail(v)) for k, v in e.details.items()),
            )
        )
    return out


def _content(
    site: Site, doc_id: str, who: Actor
) -> tuple[tuple[Field, ...], str | None, dict[str, Any]]:
    """The fields (if the reader may read the content), else why not."""
    try:
        signed = site.node.signed_document(doc_id, who)
    except ReadRefusal as refusal:
        return (), refusal.decision.reason, {}
    except Refusal as refusal:
        if refusal.kind is RefusalKind.NOT_FOUND:
            return (), refusal.rule, {}
        raise
    content = envelope.parse(signed).document
    return fields_of(content), None, content


@router.get("/documents/{doc_id}")
def document_page(doc_id: DocPath, ctx: Ctx, site: SiteDep) -> Response:
    who = signed_in(ctx)
    node = site.node
    status = node.status(doc_id, who)
    record = status.record
    fields, content_refused, content = _content(site, doc_id, who)
    timeline = _timeline(site, doc_id, node.trace(doc_id, who))
    proof: dict[str, Any] | None = None
    cp_view: CheckpointView | None = None
    if node.provable is not None:
        proof = node.proof(doc_id, who)
        cp_view = checkpoint_view(proof["checkpoint"], node.home.setting("checkpointKey"))
    rights: list[tuple[str, PickupRight | None]] = [
        (c, node.ledger.pickup_right(c)) for c in record.containers
    ]
    issuer = site.organisation(record.issuer)
    script_data = None
    if proof is not None and cp_view is not None:
        t = ctx.t
        script_data = {
            "document": doc_id,
            "checkpoint": proof["checkpoint"],
            "key": cp_view.key,
            "entries": proof["entries"],
            "batch": proof.get("batch"),
            "messages": {
                key: t(f"proofs.{key}")
                for key in (
                    "checking",
                    "proven",
                    "failed",
                    "summary",
                    "signature_ok",
                    "signature_bad",
                    "signature_unsupported",
                    "batch_ok",
                    "batch_bad",
                    "no_crypto",
                )
            },
        }
    return site.render(
        ctx,
        "document.html",
        record=record,
        doc_id=doc_id,
        reference=reference_of(record.kind, content) if content else None,
        issuer=issuer,
        fields=fields,
        content_refused=content_refused,
        links=status.links,
        timeline=timeline,
        checkpoint=cp_view,
        rights=rights,
        now=site.now(),
        is_ebl=record.kind is DocumentKind.EBL,
        script_data=script_data,
    )


@router.get("/documents/{doc_id}/certificate.pdf")
def certificate_pdf(doc_id: DocPath, ctx: Ctx, site: SiteDep) -> Response:
    who = signed_in(ctx)
    pdf = print_pdf(site.node, doc_id, who, ctx.origin, ctx.t, site.now())
    name = f"tdx-{doc_id.removeprefix('sha256:')[:16]}.pdf"
    response = Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
    return site.headers(ctx, response)


@router.get("/documents/{doc_id}/proof.json")
def proof_bundle(doc_id: DocPath, ctx: Ctx, site: SiteDep) -> Response:
    who = signed_in(ctx)
    bundle = site.node.proof(doc_id, who)
    name = f"tdx-proof-{doc_id.removeprefix('sha256:')[:16]}.json"
    response = Response(
        json.dumps(bundle, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
    return site.headers(ctx, response)


__all__ = ["router"]
