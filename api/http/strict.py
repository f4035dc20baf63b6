"""Request bodies parsed by the project's one strict JSON parser.

FastAPI would parse a body with ``json.loads``, which keeps the last of two duplicate keys,
while the chaincode's parser (``chaincode.canonical.parse_json``) refuses them: two parsers
that read different values of one field are a forgery path. Every ``/v1`` route is a
``StrictJsonRoute``, whose request's ``json()`` is the strict parser, so a body is parsed
once, strictly, and that value is what the models validate and the node receives.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from chaincode.canonical import CanonicalizationError, parse_json


class NotStrictJsonError(HTTPException):
    """A body the strict parser refuses (duplicate key, NaN, not JSON): a 422."""

    def __init__(self, reason: str) -> None:
        super().__init__(422, reason)
        self.reason = reason


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = parse_json(await self.body())
            except CanonicalizationError as exc:
                raise NotStrictJsonError(str(exc)) from None
        return self._json


class StrictJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict


__all__ = ["NotStrictJsonError", "StrictJsonRequest", "StrictJsonRoute"]
