"""Signing in and out of the pages.

An organisation signs in with its document-signing key file and passphrase: the key is
decrypted in memory, matched to the organisation whose certificate certifies it, and used
once to sign a bearer token that goes through ``Node.authenticate``, exactly as an API
call's would (signature, chain trusted and unrevoked now, audience, replay). The key is not
kept. In demo mode a chooser signs in as any demo organisation with the home's keys. Either
way the result is a server-side session (``sessions``) in an httpOnly, SameSite=Strict
cookie, Secure over TLS; signing out deletes it on the server.
"""

from __future__ import annotations

from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.http.pages.sessions import COOKIE as SESSION_COOKIE
from api.http.pages.site import (
    PageContext,
    PageError,
    PageRoute,
    Site,
    context_of,
    form_text,
    local_path,
    site_of,
)
from chaincode.records import Actor
from identity import keys, tokens
from identity.national import NationalPrivateKey
from identity.national.registry import spki_of
from network.home import HomeError
from network.node import AuthenticationError

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Ctx = Annotated[PageContext, Depends(context_of)]
SiteDep = Annotated[Site, Depends(site_of)]
MAX_KEY_FILE = 64 * 1024


def _spki(key: keys.SigningKey) -> bytes:
    if isinstance(key, NationalPrivateKey):
        return key.public_key().spki_der()
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def actor_for_key(site: Site, key: keys.SigningKey) -> Actor:
    """The organisation whose document certificate certifies ``key``, authenticated by a
    token that ``key`` signs; ``PageError`` if no organisation of this node has the key or
    the node does not accept it (revoked, untrusted)."""
    home = site.node.home
    spki = _spki(key)
    org_id = next(
        (
            o.id
            for o in site.organisations()
            if spki_of(home.credentials(o.id).document_cert) == spki
        ),
        None,
    )
    if org_id is None:
        raise PageError(403, "sign_in.unknown_key")
    creds = home.credentials(org_id)
    token = tokens.mint(
        key, [creds.document_cert, creds.root], org_id, site.node.audience, site.now()
    )
    try:
        return site.node.authenticate(token)
    except AuthenticationError as exc:
        raise PageError(403, "sign_in.refused", reason=str(exc)) from None


def demo_actor(site: Site, org_id: str) -> Actor:
    if not site.demo:
        raise PageError(403, "sign_in.not_demo")
    if site.organisation(org_id) is None:
        raise PageError(422, "sign_in.no_such_org", org=org_id)
    try:
        token = site.node.home.mint_token(org_id, site.now(), site.node.audience)
        return site.node.authenticate(token)
    except (AuthenticationError, HomeError, keys.KeyStoreError) as exc:
        raise PageError(403, "sign_in.refused", reason=str(exc)) from None


def _page(site: Site, ctx: PageContext, status: int = 200, **values: Any) -> Response:
    next_page = local_path(ctx.request.query_params.get("next"), "/desk")
    values = {"problem": None, "next_page": next_page} | values
    return site.render(ctx, "sign_in.html", status, organisations=site.organisations(), **values)


@router.get("/sign-in")
def sign_in_page(
    ctx: Ctx, site: SiteDep, next: Annotated[str | None, Query(max_length=2048)] = None
) -> Response:
    return _page(site, ctx)


def _signed_in(site: Site, ctx: PageContext, actor: Actor, next_page: str) -> Response:
    site.sessions.end(ctx.session_token)  # a new session replaces any old one
    token, _ = site.sessions.create(actor, site.now())
    response = site.redirect(ctx, next_page)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict", secure=ctx.tls, path="/"
    )
    return response


@router.post("/sign-in")
async def sign_in_with_key(request: Request, ctx: Ctx, site: SiteDep) -> Response:
    async with request.form(max_files=1, max_fields=8, max_part_size=MAX_KEY_FILE) as form:
        site.check_form(ctx, form)
        next_page = local_path(form_text(form, "next", 2048), "/desk")
        upload = form.get("key")
        passphrase = form_text(form, "passphrase", 1024)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _page(site, ctx, 422, problem=ctx.t("sign_in.no_key"), next_page=next_page)
        pem = await upload.read(MAX_KEY_FILE + 1)
        filename = upload.filename
    if len(pem) > MAX_KEY_FILE or not passphrase:
        key_problem = "sign_in.no_passphrase" if not passphrase else "sign_in.bad_key"
        return _page(site, ctx, 422, problem=ctx.t(key_problem), next_page=next_page)
    try:
        key = await run_in_threadpool(keys.load_signing_key_pem, pem, passphrase.encode(), filename)
        actor = await run_in_threadpool(actor_for_key, site, key)
    except keys.KeyStoreError as exc:
        problem = ctx.t("sign_in.key_refused", reason=str(exc))
        return _page(site, ctx, 403, problem=problem, next_page=next_page)
    except PageError as exc:
        return _page(
            site, ctx, exc.status, problem=ctx.t(exc.key, **exc.values), next_page=next_page
        )
    return _signed_in(site, ctx, actor, next_page)


@router.post("/sign-in/demo")
async def sign_in_demo(request: Request, ctx: Ctx, site: SiteDep) -> Response:
    form = await request.form(max_files=0, max_fields=8)
    site.check_form(ctx, form)
    next_page = local_path(form_text(form, "next", 2048), "/desk")
    actor = await run_in_threadpool(demo_actor, site, form_text(form, "organisation", 100))
    return _signed_in(site, ctx, actor, next_page)


@router.post("/sign-out")
async def sign_out(request: Request, ctx: Ctx, site: SiteDep) -> Response:
    form = await request.form(max_files=0, max_fields=4)
    site.check_form(ctx, form)
    site.sessions.end(ctx.session_token)
    response = site.redirect(ctx, "/sign-in?signed_out=1")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


__all__ = ["actor_for_key", "demo_actor", "router"]
