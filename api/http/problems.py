"""RFC 9457 problem details: every HTTP error is ``application/problem+json`` naming the
rule that was broken."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi.responses import JSONResponse

from api.http.strict import NotStrictJsonError
from chaincode.canonical import CanonicalizationError
from chaincode.documents.registry import InvalidDocumentError
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.read_policy import ReadRefusal
from network.node import NotOffered

PROBLEM_JSON = "application/problem+json"
_BASE = "https://tdx.example/problems/"

REFUSAL_STATUS = {
    RefusalKind.INVALID: 422,
    RefusalKind.FORBIDDEN: 403,
    RefusalKind.NOT_FOUND: 404,
    RefusalKind.CONFLICT: 409,
}
_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    500: "Internal error",
    501: "Not offered by this node",
}


class Problem(Exception):  # noqa: N818 (an HTTP outcome, not a program error)
    def __init__(self, status: int, detail: str, slug: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.extra = extra

    def response(self, instance: str | None = None) -> JSONResponse:
        body: dict[str, Any] = {
            "type": _BASE + self.slug,
            "title": _TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }
        if instance:
            body["instance"] = instance
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(body, self.status, media_type=PROBLEM_JSON, headers=headers)


def from_refusal(refusal: Refusal) -> Problem:
    return Problem(
        REFUSAL_STATUS[refusal.kind],
        refusal.rule,
        f"refused/{refusal.kind.value}",
        rule=refusal.rule,
    )


def from_read_refusal(refusal: ReadRefusal) -> Problem:
    """A read the read policy refuses: 403, naming the policy's rule and the scope."""
    return Problem(
        403,
        refusal.decision.reason,
        "read-refused",
        rule=refusal.decision.rule.value,
        scope=refusal.scope.value,
    )


def from_invalid_document(exc: InvalidDocumentError) -> Problem:
    return Problem(
        422,
        f"the {exc.kind.value} document has {len(exc.errors)} error(s)",
        "invalid-document",
        errors=[{"path": e.path, "rule": e.rule, "message": e.message} for e in exc.errors],
    )


def not_canonical(exc: CanonicalizationError | NotStrictJsonError) -> Problem:
    """A body the strict JSON parser refuses (duplicate key, NaN, not JSON)."""
    reason = exc.reason if isinstance(exc, NotStrictJsonError) else str(exc)
    errors = [{"path": "$", "rule": "strict_json", "message": reason}]
    return Problem(422, reason, "not-canonical-json", errors=errors)


def invalid_request(errors: Iterable[Mapping[str, Any]]) -> Problem:
    """A body that fails its request model: each of FastAPI's validation errors (``loc``
    starting with ``"body"``) as its path, rule and message."""
    found = [
        {
            "path": "$." + ".".join(str(p) for p in e["loc"][1:]) if len(e["loc"]) > 1 else "$",
            "rule": e["type"],
            "message": e["msg"],
        }
        for e in errors
    ]
    return Problem(422, "the request body is not valid", "invalid-request", errors=found)


def problem_of(exc: BaseException) -> Problem | None:
    """The problem an exception of the node or of the request's parsing is answered with;
    None for one that is no answer (a fault: the app's 500). One mapping for the app's
    exception handlers and the plain ASGI endpoints."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, ReadRefusal):
        return from_read_refusal(exc)
    if isinstance(exc, Refusal):
        return from_refusal(exc)
    if isinstance(exc, NotOffered):
        return Problem(501, str(exc), "not-offered", capability=exc.capability)
    if isinstance(exc, NotStrictJsonError | CanonicalizationError):
        return not_canonical(exc)
    if isinstance(exc, InvalidDocumentError):
        return from_invalid_document(exc)
    return None
