"""POST /v1/verify, which api.http.verify_endpoint answers ahead of FastAPI's router: the same
report as the node gives, inside the same middleware, and still documented."""

import json

from api.http import verify_endpoint
from network.node import Node
from tests.api.conftest import auth
from tests.api.test_http import example, problem

JSON = {"content-type": "application/json"}


def _signed(http):
    headers = auth(http.home, "cn-gacc")
    body = {"kind": "co", "document": example("co_cn_sg.json")}
    doc_id = http.post("/v1/documents", json=body, headers=headers).json()["documentId"]
    return http.get(f"/v1/documents/{doc_id}/signed", headers=auth(http.home, "cn-gacc")).content


def test_the_report_is_the_nodes_report_byte_for_byte(http):
    signed = _signed(http)
    response = http.post("/v1/verify", content=signed, headers=JSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["valid"] is True
    with Node(http.home) as node:
        expected = verify_endpoint.render(node.verify(signed))
    # Only the time-dependent part may differ: both judge at "now".
    assert json.loads(response.content)["checks"] == json.loads(expected)["checks"]


def test_a_body_streamed_past_the_limit_is_413(http):
    chunk = b" " * (1024 * 1024)

    def body():
        yield b'{"format": "tdx-signed-document/1", "pad": "'
        for _ in range(6):  # 6 MiB, no Content-Length: only counting can stop it
            yield chunk
        yield b'"}'

    problem(http.post("/v1/verify", content=body(), headers=JSON), 413)


def test_a_large_body_is_verified_off_the_event_loop_and_still_answered(http):
    signed = json.loads(_signed(http))
    signed["document"]["remarks"] = "x" * (verify_endpoint.INLINE_BODY + 1)
    report = http.post("/v1/verify", json=signed).json()
    assert report["valid"] is False
    assert {"name": "integrity", "status": "fail"} in [
        {k: c[k] for k in ("name", "status")} for c in report["checks"]
    ]


def test_it_is_documented_and_counted_as_the_route(http):
    http.post("/v1/verify", json={"format": "nope"}, headers={"X-Request-Id": "verify-1"})
    operation = http.get("/openapi.json").json()["paths"]["/v1/verify"]["post"]
    assert operation["responses"]["200"]
    metrics = http.get("/metrics").text
    assert 'tdx_http_requests_total{method="POST",route="/v1/verify",status="200"}' in metrics


def test_other_methods_on_the_path_still_reach_the_router(http):
    problem(http.get("/v1/verify"), 405)
