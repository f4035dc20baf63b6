"""A small client of the node's HTTP API, used by the demo and the API benchmark.

It mints a fresh token for each request (tokens are single-use: the node refuses a
replayed ``jti``), and raises ``ApiProblem`` with the problem+json body on any error.
"""

from __future__ import annotations

import datetime
from typing import Any

import httpx

from network.home import Home


class ApiProblem(Exception):  # noqa: N818 (carries an HTTP problem)
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status}: {problem.get('detail')}")
        self.status = status
        self.problem = problem


class NodeClient:
    def __init__(self, base_url: str, home: Home, audience: str | None = None) -> None:
        self.home = home
        self.audience = audience or home.setting("origin")
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def close(self) -> None:
        self.http.close()

    def token(self, org_id: str) -> str:
        return self.home.mint_token(org_id, datetime.datetime.now(datetime.UTC), self.audience)

    def _request(
        self, method: str, path: str, org_id: str | None, body: Any = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(org_id)}"} if org_id else {}
        response = self.http.request(method, path, json=body, headers=headers)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text}
            raise ApiProblem(response.status_code, problem if isinstance(problem, dict) else {})
        return response

    def call(self, method: str, path: str, org_id: str | None = None, body: Any = None) -> Any:
        """The JSON answer; ``ApiProblem`` with the problem+json body on any error."""
        response = self._request(method, path, org_id, body)
        return response.json() if response.content else None

    def raw(self, method: str, path: str, org_id: str | None = None) -> bytes:
        """The answer's bytes as the node sent them (a signed document, say)."""
        return self._request(method, path, org_id).content
