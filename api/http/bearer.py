"""The organisation a request's ``Authorization: Bearer`` header speaks for.

One function for the FastAPI routes' dependency and the plain ASGI endpoints, so that both
refuse a missing or bad token with the same 401 problem."""

from __future__ import annotations

from api.http.problems import Problem
from chaincode.records import Actor
from network.node import AuthenticationError, Node


def authenticated(node: Node, header: str) -> Actor:
    """The caller named by ``header`` (the Authorization header's value, "" if absent), as
    ``Node.authenticate`` judges its token; a 401 ``Problem`` otherwise."""
    if not header.lower().startswith("bearer "):
        raise Problem(401, "a bearer token is required (tdx token --as ORG)", "unauthenticated")
    try:
        return node.authenticate(header[7:].strip())
    except AuthenticationError as exc:
        raise Problem(401, str(exc), "unauthenticated") from None


__all__ = ["authenticated"]
