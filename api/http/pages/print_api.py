"""``GET /v1/documents/{id}/print``: the printable certificate, for an API caller with a
bearer token (the read policy's content rule applies, as for the signed document)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.http.pages import i18n
from api.http.pages.printing import print_pdf
from api.http.pages.site import site_of
from api.http.problems import PROBLEM_JSON
from api.http.routes import Caller, DocPath, NodeDep

router = APIRouter(prefix="/v1")

_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"application/pdf": {}}, "description": "The certificate as a PDF"},
    **{
        status: {"description": text, "content": {PROBLEM_JSON: {}}}
        for status, text in (
            (401, "No valid bearer token"),
            (403, "The read policy: only who may read the content may print it"),
            (404, "No such document, or no signed copy on this node"),
            (501, "This node's ledger engine does not offer it"),
        )
    },
}


@router.get(
    "/documents/{doc_id}/print",
    tags=["documents"],
    responses=_RESPONSES,
    response_class=Response,
    summary="The document as a printable PDF certificate with a QR code to verify it",
)
def print_certificate(
    request: Request,
    doc_id: DocPath,
    node: NodeDep,
    who: Caller,
    lang: Annotated[str, Query(pattern="^(" + "|".join(i18n.LANGUAGES) + ")$")] = i18n.DEFAULT,
) -> Response:
    base = f"{request.url.scheme}://{request.url.netloc}"
    t = site_of(request).catalogs[lang]
    pdf = print_pdf(node, doc_id, who, base, t, node.clock())
    name = f"tdx-{doc_id.removeprefix('sha256:')[:16]}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


__all__ = ["router"]
