"""What every page shares: the templates, the language, the session and its CSRF token, and
the response's security headers.

Every page is rendered by Jinja2 with autoescaping on, so whatever a document or a request
holds is shown as text. Every response carries a strict Content-Security-Policy whose script
nonce is new for each response: no script runs unless the page itself put it there. Forms
carry a CSRF token (the session's, or before sign-in a random one in its own cookie) and are
refused without it, and a POST whose ``Origin`` is another site is refused too.
"""

from __future__ import annotations

import datetime
import hmac
import secrets
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData

from api.http.pages import i18n
from api.http.pages.audit_jobs import AuditJobs
from api.http.pages.sessions import COOKIE as SESSION_COOKIE
from api.http.pages.sessions import Session, SessionStore
from api.http.problems import REFUSAL_STATUS
from chaincode.documents.registry import InvalidDocumentError
from chaincode.lifecycle import Refusal
from chaincode.read_policy import ReadRefusal
from chaincode.records import Actor
from identity.certificates import Organisation
from network.node import Node, NotOffered

R = TypeVar("R", bound=Response)

CSRF_COOKIE = "tdx_csrf"
CSRF_FIELD = "csrf"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


class PageError(Exception):
    """An outcome shown as an error page: a status and a message (catalog key + values)."""

    def __init__(self, status: int, key: str, **values: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.values = values


class SignInRequired(Exception):  # noqa: N818 (a redirect, not a fault)
    """The page needs a signed-in organisation: the answer is the sign-in page."""


@dataclass(frozen=True)
class PageContext:
    request: Request
    lang: str
    t: i18n.Catalog
    session: Session | None
    session_token: str | None
    csrf: str
    new_csrf: bool
    nonce: str
    tls: bool

    @property
    def origin(self) -> str:
        return f"{self.request.url.scheme}://{self.request.url.netloc}"

    @property
    def here(self) -> str:
        """The current path and query, for links that come back here."""
        query = self.request.url.query
        return self.request.url.path + (f"?{query}" if query else "")


def content_security_policy(nonce: str, tls: bool) -> str:
    rules = [
        "default-src 'none'",
        f"script-src 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
    if tls:
        rules.append("upgrade-insecure-requests")
    return "; ".join(rules)


def _when(value: object) -> str:
    """An ISO 8601 time as ``2026-03-12 08:30:05 UTC`` (other values unchanged)."""
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        try:
            moment = datetime.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 32 for c in target):
        return default
    return target


class Site:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.env = Environment(
            loader=PackageLoader("api.http.pages", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["when"] = _when
        self.catalogs = i18n.Catalogs()
        self.sessions = SessionStore(node.home.path / "sessions.db")
        self.audits = AuditJobs(node.home.path / "audits.db")
        self.demo = node.home.config().get("demo") is True
        self._organisations: tuple[Organisation, ...] | None = None

    def close(self) -> None:
        self.sessions.close()
        self.audits.close()

    def now(self) -> datetime.datetime:
        return self.node.clock()

    def organisations(self) -> tuple[Organisation, ...]:
        """The organisations this node knows (the demo's chooser, the desk's parties)."""
        if self._organisations is None:
            orgs = sorted(self.node.home.organisations(), key=lambda o: (o.country, o.id))
            self._organisations = tuple(orgs)
        return self._organisations

    def organisation(self, org_id: str | None) -> Organisation | None:
        return next((o for o in self.organisations() if o.id == org_id), None)

    # --- the request ------------------------------------------------------------------

    def context(self, request: Request) -> PageContext:
        lang = i18n.negotiate(
            request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
        )
        token = request.cookies.get(SESSION_COOKIE)
        session = self.sessions.get(token, self.now()) if token else None
        anonymous = request.cookies.get(CSRF_COOKIE)
        if session is not None:
            csrf, new = session.csrf, False
        elif anonymous and 20 <= len(anonymous) <= 100:
            csrf, new = anonymous, False
        else:
            csrf, new = secrets.token_urlsafe(32), True
        return PageContext(
            request=request,
            lang=lang,
            t=self.catalogs[lang],
            session=session,
            session_token=token if session else None,
            csrf=csrf,
            new_csrf=new,
            nonce=secrets.token_urlsafe(18),
            tls=request.url.scheme == "https",
        )

    def check_form(self, ctx: PageContext, form: FormData) -> None:
        """Refuse a form without this page's CSRF token, or posted from another site."""
        origin = ctx.request.headers.get("origin")
        if origin is not None and origin != "null" and origin != ctx.origin:
            raise PageError(403, "error.cross_site")
        sent = form.get(CSRF_FIELD)
        if ctx.new_csrf or not isinstance(sent, str) or not hmac.compare_digest(sent, ctx.csrf):
            raise PageError(403, "error.csrf")

    # --- the response -----------------------------------------------------------------

    def headers(self, ctx: PageContext, response: R) -> R:
        response.headers["Content-Security-Policy"] = content_security_policy(ctx.nonce, ctx.tls)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Language"] = ctx.lang
        if ctx.new_csrf:
            response.set_cookie(
                CSRF_COOKIE, ctx.csrf, httponly=True, samesite="strict", secure=ctx.tls, path="/"
            )
        return response

    def render(
        self, ctx: PageContext, template: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        body = self.env.get_template(template).render(
            t=ctx.t,
            lang=ctx.lang,
            languages=i18n.LANGUAGES,
            session=ctx.session,
            me=self.organisation(ctx.session.org) if ctx.session else None,
            csrf=ctx.csrf,
            csrf_field=CSRF_FIELD,
            nonce=ctx.nonce,
            here=ctx.here,
            path=ctx.request.url.path,
            quote=quote,
            demo=self.demo,
            **values,
        )
        return self.headers(ctx, HTMLResponse(body, status_code=status))

    def redirect(self, ctx: PageContext, target: str) -> Response:
        return self.headers(ctx, RedirectResponse(local_path(target), status_code=303))

    def error(self, ctx: PageContext, status: int, message: str) -> HTMLResponse:
        return self.render(ctx, "error.html", status=status, message=message)


def signed_in(ctx: PageContext) -> Actor:
    """The signed-in organisation; ``SignInRequired`` (the sign-in page) if there is none."""
    if ctx.session is None:
        raise SignInRequired
    return ctx.session.actor


def site_of(request: Request) -> Site:
    site: Site = request.app.state.pages
    return site


def context_of(request: Request) -> PageContext:
    return site_of(request).context(request)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors()[:3]:
        where = ".".join(str(p) for p in e.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(parts)


class PageRoute(APIRoute):
    """A page's route: what the rules refuse, and what a page refuses, is shown as a page
    in the reader's language (the API's routes answer problem+json instead)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                ctx = context_of(request)
                target = "/sign-in?next=" + quote(ctx.here, safe="")
                return site_of(request).redirect(ctx, target)
            except (
                PageError,
                Refusal,
                NotOffered,
                InvalidDocumentError,
                RequestValidationError,
            ) as exc:
                ctx = context_of(request)
                status, message = _outcome(exc, ctx.t)
                return site_of(request).error(ctx, status, message)

        return page_handler


def _outcome(exc: Exception, t: i18n.Catalog) -> tuple[int, str]:
    if isinstance(exc, PageError):
        return exc.status, t(exc.key, **exc.values)
    if isinstance(exc, ReadRefusal):
        return 403, t("error.read_refused", reason=exc.decision.reason)
    if isinstance(exc, Refusal):
        return REFUSAL_STATUS[exc.kind], t("error.refused", reason=exc.rule)
    if isinstance(exc, NotOffered):
        return 501, str(exc)
    if isinstance(exc, InvalidDocumentError):
        shown = "; ".join(str(e) for e in exc.errors[:3])
        return 422, t("error.invalid_document", kind=exc.kind.value, errors=shown)
    if isinstance(exc, RequestValidationError):
        return 422, t("error.invalid_request", errors=_validation_message(exc))
    return 500, t("error.internal")


def form_text(form: FormData | Mapping[str, Any], name: str, limit: int = 10_000) -> str:
    """A text field of a form, stripped; ``PageError`` naming the field if it is too long
    or not text."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise PageError(422, "error.field_not_text", field=name)
    if len(value) > limit:
        raise PageError(422, "error.field_too_long", field=name, limit=limit)
    return value.strip()


__all__ = [
    "CSRF_COOKIE",
    "PageContext",
    "PageError",
    "PageRoute",
    "SignInRequired",
    "Site",
    "content_security_policy",
    "context_of",
    "form_text",
    "local_path",
    "signed_in",
    "site_of",
]
