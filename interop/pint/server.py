"""PINT's HTTP face: the four receiving endpoints as a FastAPI router over a ``Receiver``.

Bodies are read raw and parsed strictly (duplicate keys, NaN refused) here, never by
FastAPI's validation, so every answer has the shape DCSA's OpenAPI gives it: a signed
``EnvelopeTransferFinishedResponseSignedContent`` (a JSON string), an
``EnvelopeTransferStartedResponse``, an empty 204, or an unsigned ``ErrorResponse`` for
everything else; each with the ``API-Version`` header. The router mounts into the node's
app (``app.include_router(router(receiver))``) or serves alone (``create_app``).
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable
from http import HTTPStatus

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from chaincode.canonical import CanonicalizationError, parse_json
from interop.pint.receiver import Receiver, Reply

API_VERSION = "3.0.0"
API_MAJOR = "3"
MAX_BODY = 20 * 1024 * 1024  # an envelope, or one additional document in base64
log = logging.getLogger("tdx.pint")

# DetailedError.errorCode is the implementer's own (7000-9999): one per kind of failure.
_ERROR_CODES = {400: 7400, 404: 7404, 413: 7413, 500: 7500, 503: 7503}


def error_response(request: Request, status: int, message: str) -> JSONResponse:
    """DCSA's unsigned ``ErrorResponse``, with the ``API-Version`` header: for a node that
    mounts ``router`` and answers its own errors under ``/v3`` (404, 405, 413) this way."""
    return _error(request, status, message)


def _error(request: Request, status: int, message: str) -> JSONResponse:
    text = HTTPStatus(status).phrase
    body = {
        "httpMethod": request.method,
        "requestUri": request.url.path[:1000],
        "statusCode": status,
        "statusCodeText": text[:50],
        "statusCodeMessage": message[:200],
        "providerCorrelationReference": str(uuid.uuid4()),
        "errorDateTime": datetime.datetime.now(datetime.UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "errors": [
            {
                "errorCode": _ERROR_CODES.get(status, 7000),
                "errorCodeText": text[:100],
                "errorCodeMessage": message[:5000],
            }
        ],
    }
    return JSONResponse(body, status, headers={"API-Version": API_VERSION})


def _render(request: Request, reply: Reply) -> Response:
    if reply.error is not None:
        return _error(request, reply.status, reply.error)
    if reply.body is None:
        return Response(status_code=reply.status, headers={"API-Version": API_VERSION})
    return JSONResponse(reply.body, reply.status, headers={"API-Version": API_VERSION})


class _BadRequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def _body(request: Request, required: bool = True) -> object:
    version = request.headers.get("api-version")
    if version is not None and version != API_MAJOR:
        raise _BadRequestError(400, f"API-Version carries the major version only: {API_MAJOR}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _BadRequestError(413, f"bodies are limited to {MAX_BODY} bytes")
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise _BadRequestError(413, f"bodies are limited to {MAX_BODY} bytes")
    if not data and not required:
        return None
    try:
        return parse_json(data)
    except CanonicalizationError as exc:
        raise _BadRequestError(400, f"the body is not JSON: {exc}") from None


async def _handle(
    request: Request, call: Callable[[object], Reply], required: bool = True
) -> Response:
    try:
        body = await _body(request, required)
        # The receiver signs and writes SQLite: off the event loop.
        return _render(request, await run_in_threadpool(call, body))
    except _BadRequestError as bad:
        return _error(request, bad.status, bad.message)
    except Exception:
        # An unsigned error: the sender retries until it has a signed answer (DCSA).
        log.exception("PINT request failed")
        return _error(request, 500, "internal error; retry later")


def router(receiver: Receiver) -> APIRouter:
    """The receiving endpoints of PINT 3.0.0, answering for ``receiver``."""
    api = APIRouter(prefix="/v3", tags=["PINT 3.0.0 (DCSA)"])

    @api.post("/receiver-validation", summary="Validate a receiving party (DCSA PINT)")
    async def receiver_validation(request: Request) -> Response:
        return await _handle(request, receiver.validate_receiver)

    @api.post("/envelopes", summary="Start an eBL envelope transfer (DCSA PINT)")
    async def start(request: Request) -> Response:
        return await _handle(request, receiver.start)

    @api.put(
        "/envelopes/{envelope_reference}/additional-documents/{document_checksum}",
        summary="Transfer an additional document (DCSA PINT)",
    )
    async def additional_document(
        request: Request, envelope_reference: str, document_checksum: str
    ) -> Response:
        return await _handle(
            request, lambda body: receiver.upload(envelope_reference, document_checksum, body)
        )

    @api.put(
        "/envelopes/{envelope_reference}/finish-transfer",
        summary="Finish an eBL envelope transfer (DCSA PINT)",
    )
    async def finish(request: Request, envelope_reference: str) -> Response:
        return await _handle(request, lambda _: receiver.finish(envelope_reference), False)

    return api


def create_app(receiver: Receiver) -> FastAPI:
    """A PINT platform on its own (the node mounts ``router`` into its own app instead)."""
    app = FastAPI(
        title=f"PINT 3.0.0 platform {receiver.platform}",
        version=API_VERSION,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.include_router(router(receiver))

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        return _error(request, 404, "no such resource")

    @app.exception_handler(405)
    async def not_allowed(request: Request, exc: Exception) -> Response:
        return _error(request, 405, "method not allowed")

    return app
