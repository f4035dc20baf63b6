"""POST /v1/documents, which api.http.issue_endpoint answers ahead of FastAPI's router: the
same answers as the documented FastAPI route (status, problem+json naming field and rule,
401s, the receipt), inside the same middleware, and still documented."""

import contextlib
import json

import pytest

from api.http.issue_endpoint import IssueEndpoint
from network.node import Node
from tests.api.conftest import auth
from tests.api.test_http import PROBLEM, example

JSON = {"content-type": "application/json"}


def _co(number):
    doc = example("co_cn_sg.json")
    doc["certificateNumber"] = number
    return doc


async def _step_aside(self, scope, receive, send):
    await self.app(scope, receive, send)


@contextlib.contextmanager
def by_route():
    """Inside it the endpoint steps aside and the FastAPI route answers POST /v1/documents,
    as it would without the endpoint."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(IssueEndpoint, "__call__", _step_aside)
        yield


def _answer(response):
    headers = response.headers
    return (
        response.status_code,
        headers["content-type"],
        headers.get("www-authenticate"),
        response.json(),
    )


# Each case: the org whose fresh token is sent (None: no Authorization), the raw body, and
# an Authorization header to send instead of a good token.
_BAD = {
    "no token": (None, {"kind": "co", "document": {}}, None),
    "not a bearer": (None, {"kind": "co", "document": {}}, "Basic abc"),
    "a garbage token": (None, {"kind": "co", "document": {}}, "Bearer not.a.token"),
    "no body": ("cn-gacc", b"", None),
    "not JSON": ("cn-gacc", b'{"kind": ', None),
    "not JSON and no token": (None, b'{"kind": ', None),
    "a duplicate key": ("cn-gacc", b'{"kind": "co", "kind": "ebl", "document": {}}', None),
    "NaN": ("cn-gacc", b'{"kind": "co", "document": {"x": NaN}}', None),
    "a lone surrogate": ("cn-gacc", b'{"kind": "co", "document": {"\\ud800": 1}}', None),
    "an array": ("cn-gacc", [1, 2], None),
    "an unknown kind": ("cn-gacc", {"kind": "visa", "document": {}}, None),
    "no document": ("cn-gacc", {"kind": "co"}, None),
    "a document not an object": ("cn-gacc", {"kind": "co", "document": [1]}, None),
    "an extra field": ("cn-gacc", {"kind": "co", "document": {}, "extra": 1}, None),
    "bad links": ("cn-gacc", {"kind": "co", "document": {}, "links": ["nope", 3]}, None),
    "a bad first holder": ("cn-cosco", {"kind": "ebl", "document": {}, "to": "NO SUCH"}, None),
    "an invalid document": ("cn-gacc", {"kind": "co", "document": {"x": 1}}, None),
    "bad input without a token": (None, {"kind": "visa"}, None),
    "the wrong role": ("cn-cosco", {"kind": "co", "document": _co("R-1")}, None),
}


@pytest.mark.parametrize("case", list(_BAD))
def test_a_refused_issue_is_answered_as_the_route_answers_it(http, case):
    org, body, authorization = _BAD[case]

    def send():
        headers = dict(JSON)
        if org is not None:
            headers |= auth(http.home, org)
        if authorization is not None:
            headers["Authorization"] = authorization
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return http.post("/v1/documents", content=content, headers=headers)

    endpoint = send()
    with by_route():
        route = send()
    # The switch did switch: only the router's way passes the pages' Server-Timing layer.
    assert "server-timing" not in endpoint.headers
    assert "server-timing" in route.headers
    assert endpoint.status_code in {400, 401, 403, 409, 422}, endpoint.text
    assert endpoint.headers["content-type"].startswith(PROBLEM)
    assert _answer(endpoint) == _answer(route)
    problem = endpoint.json()
    assert problem["instance"] == "/v1/documents"
    if problem["status"] == 422:  # each error names its path and its rule
        assert problem["errors"]
        assert all({"path", "rule"} <= set(e) for e in problem["errors"])


def test_the_refusals_name_the_field_and_the_rule(http):
    headers = {**auth(http.home, "cn-gacc"), **JSON}
    body = {"kind": "co", "document": {}, "links": ["nope"]}
    problem = http.post("/v1/documents", json=body, headers=headers).json()
    assert problem["type"].endswith("/invalid-request")
    assert {"path": "$.links.0", "rule": "string_pattern_mismatch"} in [
        {k: e[k] for k in ("path", "rule")} for e in problem["errors"]
    ]
    response = http.post("/v1/documents", json={"kind": "co", "document": {}}, headers=JSON)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"].endswith("/unauthenticated")


def test_an_issue_is_answered_as_the_route_answers_it(http):
    def issue(number):
        body = {"kind": "co", "document": _co(number)}
        return http.post("/v1/documents", json=body, headers=auth(http.home, "cn-gacc"))

    endpoint = issue("EP-1")
    with by_route():
        route = issue("EP-2")
    assert endpoint.status_code == route.status_code == 201
    assert endpoint.headers["content-type"] == route.headers["content-type"] == "application/json"
    receipt, documented = endpoint.json(), route.json()
    assert list(receipt) == list(documented)
    assert receipt["index"] == documented["index"] - 1
    assert receipt["ledger"] == documented["ledger"] == {"engine": "embedded"}
    assert [d["id"] for d in receipt["documents"]] == [receipt["documentId"]]
    with Node(http.home) as node:
        assert node.ledger.document(receipt["documentId"]).issuer == "cn-gacc"
        assert node.store.get(receipt["documentId"]) is not None


def test_it_is_documented_logged_and_counted_as_the_route(http, caplog):
    body = {"kind": "co", "document": _co("EP-3")}
    headers = {**auth(http.home, "cn-gacc"), "X-Request-Id": "issue-1"}
    with caplog.at_level("INFO", logger="tdx.http"):
        response = http.post("/v1/documents", json=body, headers=headers)
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "issue-1"
    fields = [getattr(r, "fields", {}) for r in caplog.records]
    assert {"request_id": "issue-1", "org": "cn-gacc", "status": 201} in [
        {k: f.get(k) for k in ("request_id", "org", "status")} for f in fields
    ]
    operation = http.get("/openapi.json").json()["paths"]["/v1/documents"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/IssueRequest"
    )
    assert operation["responses"]["201"]
    assert operation["responses"]["422"]
    metrics = http.get("/metrics").text
    assert 'tdx_http_requests_total{method="POST",route="/v1/documents",status="201"}' in metrics
    assert "tdx_ledger_commits_total 1.0" in metrics


def test_a_large_document_is_issued_off_the_event_loop(http):
    doc = _co("EP-4")
    doc["remarks"] = "x" * (64 * 1024)  # past INLINE_BODY: validated and signed in a thread
    response = http.post(
        "/v1/documents", json={"kind": "co", "document": doc}, headers=auth(http.home, "cn-gacc")
    )
    assert response.status_code in {201, 422}, response.text
    if response.status_code == 422:  # the CO may cap its remarks: still the route's answer
        assert response.json()["type"].endswith("/invalid-document")


def test_other_methods_on_the_path_still_reach_the_router(http):
    assert http.get("/v1/documents").status_code == 405
