"""The language control on every page: a link per language that remembers the choice in a
cookie for a year and returns to the page it was on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from api.http.pages import i18n
from api.http.pages.site import PageContext, PageRoute, Site, context_of, local_path, site_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

YEAR = 365 * 24 * 3600


@router.get("/language/{code}")
def choose_language(
    code: Annotated[str, Path(pattern="^(" + "|".join(i18n.LANGUAGES) + ")$")],
    ctx: Annotated[PageContext, Depends(context_of)],
    site: Annotated[Site, Depends(site_of)],
    next: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    response = site.redirect(ctx, local_path(next, "/verify"))
    response.set_cookie(
        i18n.COOKIE, code, max_age=YEAR, httponly=True, samesite="lax", secure=ctx.tls, path="/"
    )
    return response


__all__ = ["router"]
