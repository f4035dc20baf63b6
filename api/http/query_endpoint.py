"""``POST /v1/peer/verification-queries`` answered without the framework in the way.

Another country's node asks this for every document it verifies from here; FastAPI's
routing, dependency injection and response model cost about as much as checking the signed
request and writing the signed answer. Like ``api.http.verify_endpoint``, this plain ASGI
layer answers that one path directly, inside the same middleware as every route (request
ids, the content-type rule, the body limit, metrics and logs), with the same function as
the documented FastAPI route (``api.http.peers.answer_query``): every check is the same.
"""

from __future__ import annotations

import orjson
from starlette.datastructures import URL
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.peers import answer_query
from api.http.problems import Problem
from api.http.verify_endpoint import read_body, send_json
from network.node import Node
from network.peers.service import QUERY_PATH


class QueryEndpoint:
    """Serves ``POST /v1/peer/verification-queries``; passes every other request on."""

    def __init__(self, app: ASGIApp, node: Node, route: object) -> None:
        self.app = app
        self.node = node
        self.route = route  # the documented route, so metrics label it as FastAPI would

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != QUERY_PATH
            or scope["method"] != "POST"
            or self.node.peers is None  # the app's route gives the 404 problem
        ):
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        try:
            body = await read_body(receive)
            # As Starlette's Request.headers.items() gives them: latin-1, the last one
            # of a repeated name kept by the dict.
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            token = await answer_query(self.node, "POST", str(URL(scope=scope)), headers, body)
        except Problem as problem:
            await problem.response(QUERY_PATH)(scope, receive, send)
            return
        except ConnectionAbortedError:
            return
        await send_json(send, orjson.dumps({"answer": token}))


__all__ = ["QueryEndpoint"]
