"""The node's HTTP face: a FastAPI app over one ``Node``.

It parses (every body with the strict JSON parser), authenticates (``Node.authenticate``:
a bearer JWT with x5c, checked against the trust store, audience, expiry and the replay
cache), calls the node and renders. Every error is problem+json;
request bodies are capped; every request is logged as one JSON line with its request id,
never with a token or key.

A node that is a DCSA PINT platform (``HOME/pint.json``) also serves PINT's receiving
endpoints under ``/v3`` (``PINT_PREFIX``), as DCSA specifies them rather than as ``/v1``:
no bearer token (PINT authenticates the platforms by their JWS signatures), DCSA's own
``ErrorResponse`` instead of problem+json, its own body reading and limit (20 MiB: an
envelope, or one additional document in base64) and its own content-type handling.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http import issue_endpoint, pages, peers, routes, verify_endpoint, witness
from api.http import rail as rail_routes
from api.http.issue_endpoint import IssueEndpoint
from api.http.problems import Problem, invalid_request, problem_of
from api.http.query_endpoint import QueryEndpoint
from api.http.strict import NotStrictJsonError
from api.http.verify_endpoint import VerifyEndpoint
from chaincode.canonical import CanonicalizationError
from chaincode.documents.registry import InvalidDocumentError
from chaincode.lifecycle import Refusal
from chaincode.read_policy import ReadRefusal
from interop.pint.server import error_response as pint_error
from network.node import Node, NotOffered
from network.peers.service import QUERY_PATH
from network.version import VERSION

MAX_BODY = 5 * 1024 * 1024
PINT_PREFIX = "/v3/"
# The API's bodies are JSON; the web pages' forms are form-encoded (api.http.pages).
_JSON_ONLY = "/v1/"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
log = logging.getLogger("tdx.http")


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry, separators=(",", ":"))


def _configure_logging(level: str) -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JsonLines())
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(level)


class BodyLimit:
    """413 for a body over the limit, whether declared (Content-Length) or streamed; paths
    under ``exempt`` prefixes read (and limit) their bodies themselves."""

    def __init__(self, app: ASGIApp, limit: int, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_big().response()(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise self._too_big()
            return message

        await self.app(scope, counted, send)  # a Problem raised here becomes the 413

    def _too_big(self) -> Problem:
        return Problem(413, f"request bodies are limited to {self.limit} bytes", "too-large")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tdx_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tdx_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.commits = Counter(
            "tdx_ledger_commits_total",
            "Transactions committed to the ledger",
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "tdx_ledger_queue_depth",
            "Transactions waiting for the ledger writer",
            registry=self.registry,
        )
        # Each label set's children, looked up once (labels() takes a lock and builds keys).
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def count(self, method: str, route: str, status: int, elapsed: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(elapsed)


def create_app(node: Node, max_body: int = MAX_BODY, log_level: str = "INFO") -> FastAPI:
    """The HTTP face of ``node``: its resources, operations endpoints, problem+json errors,
    and the middleware every request passes through. The caller owns (and closes) the node."""
    _configure_logging(log_level)
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def exchange(_: FastAPI) -> AsyncIterator[None]:
        # A country's node delivers its outbox while it serves.
        node.start_exchange()
        try:
            yield
        finally:
            node.stop_exchange()

    app = FastAPI(
        lifespan=exchange,
        title="tdx node",
        version=VERSION,
        summary="Issue, anchor, pass on and verify trade documents.",
        # Metrics go to Prometheus and logs are our JSON lines; FastAPI's OpenTelemetry
        # hooks would otherwise look up the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.node = node
    app.state.metrics = metrics
    app.include_router(routes.router)
    pint = node.pint()
    if pint is not None:
        app.include_router(pint.router())
    app.include_router(peers.router)
    app.include_router(rail_routes.router)
    app.include_router(witness.router)
    pages.mount(app, node)
    _add_operations(app, node, metrics)
    _add_problem_handlers(app)
    documented = next(
        r for r in routes.router.routes if getattr(r, "path", None) == verify_endpoint.PATH
    )
    exempt = (PINT_PREFIX,) if pint is not None else ()
    app.add_middleware(VerifyEndpoint, node=node, route=documented)
    query_route = next(r for r in peers.router.routes if getattr(r, "path", None) == QUERY_PATH)
    app.add_middleware(QueryEndpoint, node=node, route=query_route)
    issue_route = next(
        r
        for r in routes.router.routes
        if getattr(r, "path", None) == issue_endpoint.PATH and "POST" in getattr(r, "methods", ())
    )
    app.add_middleware(IssueEndpoint, node=node, route=issue_route, commits=metrics.commits)
    app.add_middleware(BodyLimit, limit=max_body, exempt=exempt)
    app.add_middleware(Observe, metrics=metrics, exempt=exempt)
    _build_routes_now(app)
    return app


# FastAPI 0.163 builds an included router's routes on their first request. The routers are
# module-level, shared by every app of the process, and two apps building one route at once
# (the tests run several nodes in one process) can trip over each other's field state, so
# every app builds them when it is created, one app at a time.
_BUILDING = threading.Lock()


def _build_routes_now(app: FastAPI) -> None:
    def build(route: object) -> None:
        for name in ("effective_candidates", "effective_low_priority_routes"):
            method = getattr(route, name, None)
            for child in method() if callable(method) else ():
                build(child)

    with _BUILDING:
        for route in app.router.routes:
            build(route)


def _add_operations(app: FastAPI, node: Node, metrics: Metrics) -> None:
    """/healthz, /readyz and /metrics."""

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": VERSION}

    @app.get("/readyz", tags=["operations"])
    def readyz() -> JSONResponse:
        try:
            size = node.ledger.size()
        except Exception as exc:
            return JSONResponse({"status": "not ready", "reason": str(exc)}, 503)
        return JSONResponse({"status": "ready", "entries": size})

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    def prometheus() -> Response:
        metrics.queue_depth.set(node.ledger.queue_depth())
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _add_problem_handlers(app: FastAPI) -> None:
    """Every error as RFC 9457 problem+json, naming the rule that was broken."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        problem = problem_of(exc)
        assert problem is not None
        return problem.response(request.url.path)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return invalid_request(exc.errors()).response(request.url.path)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith(PINT_PREFIX):  # DCSA's ErrorResponse under /v3
            return pint_error(request, exc.status_code, str(exc.detail))
        return Problem(exc.status_code, str(exc.detail), "http").response(request.url.path)

    # The node's answers and the strict parser's refusals, as ``problems.problem_of`` maps
    # them (the plain ASGI endpoints answer with the same mapping).
    for cls in (
        Problem,
        ReadRefusal,
        Refusal,
        NotOffered,
        NotStrictJsonError,
        CanonicalizationError,
        InvalidDocumentError,
    ):
        app.add_exception_handler(cls, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


class Observe:
    """Request ids, the content-type rule, metrics and one JSON log line per request.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` costs about a millisecond
    a request, which is most of a verification's budget.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.metrics = metrics
        self.exempt = exempt  # paths that read their bodies themselves (PINT's /v3)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = dict(scope["headers"])
        rid = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = rid if _REQUEST_ID.fullmatch(rid) else uuid.uuid4().hex
        method, path = scope["method"], scope["path"]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                # Logged as the response starts, so the line exists before the client
                # has its answer (and a test can look for it without waiting).
                self._record(scope, rid, message["status"], time.perf_counter() - start)
            await send(message)

        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        try:
            if (
                method in {"POST", "PUT", "PATCH"}
                and path.startswith(_JSON_ONLY)
                and ctype != b"application/json"
                and path not in witness.TEXT_BODY_PATHS  # tlog-witness: a text body
                and not path.startswith(self.exempt)
            ):
                problem = Problem(
                    415, "send the body as application/json", "unsupported-media-type"
                )
                await problem.response(path)(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error", extra={"fields": {"request_id": rid}})
            await Problem(500, "internal error; see the node's log", "internal").response()(
                scope, receive, send_with_id
            )

    def _record(self, scope: Scope, rid: str, status: int, elapsed: float) -> None:
        method = scope["method"]
        route = getattr(scope.get("route"), "path", "unmatched")
        self.metrics.count(method, route, status, elapsed)
        if not log.isEnabledFor(logging.INFO):
            return
        state = scope.get("state") or {}
        log.info(
            "request",
            extra={
                "fields": {
                    "request_id": rid,
                    "method": method,
                    "path": scope["path"],
                    "status": status,
                    "ms": round(elapsed * 1000, 3),
                    "org": state.get("org"),
                }
            },
        )
