"""Every route that accepts a body parses its raw bytes with the strict parser
(``chaincode.canonical.parse_json``): a duplicate key is refused, and nothing changes.

FastAPI alone would keep the last of two duplicate keys and anchor a document whose bytes
``tdx doc validate`` and ``/v1/verify`` refuse."""

import json

import pytest

from tests.api.conftest import auth
from tests.api.test_http import example, issue, problem

JSON = {"content-type": "application/json"}


def _with_duplicate_certificate_number(document: dict) -> str:
    """The document's JSON text with ``certificateNumber`` written twice."""
    text = json.dumps(document)
    number = json.dumps(document["certificateNumber"])
    return text.replace(
        f'"certificateNumber": {number}',
        f'"certificateNumber": {number}, "certificateNumber": "FORGED-1"',
        1,
    )


def _entries(http):
    return http.get("/readyz").json()["entries"]


def _refused(http, path, body, org):
    before = _entries(http)
    response = http.post(path, content=body.encode(), headers={**JSON, **auth(http.home, org)})
    body = problem(response, 422)
    assert body["type"].endswith("/not-canonical-json")
    assert "duplicate key" in body["detail"]
    assert body["errors"][0]["rule"] == "strict_json"
    assert _entries(http) == before  # nothing anchored
    return body


def test_issue_refuses_a_duplicate_key(http):
    co = example("co_cn_sg.json")
    body = '{"kind": "co", "document": ' + _with_duplicate_certificate_number(co) + "}"
    assert "'certificateNumber'" in _refused(http, "/v1/documents", body, "cn-gacc")["detail"]


@pytest.mark.parametrize("route", ["amendments", "replacements"])
def test_amend_and_replace_refuse_a_duplicate_key(http, route):
    old = issue(http, "co", "co_cn_sg.json", "cn-gacc")
    changed = example("co_cn_sg.json")
    changed["invoice"]["number"] += "-R1"
    body = (
        '{"reason": "corrected", "document": ' + _with_duplicate_certificate_number(changed) + "}"
    )
    _refused(http, f"/v1/documents/{old}/{route}", body, "cn-gacc")


def test_a_duplicate_key_outside_the_document_is_refused_too(http):
    ebl = issue(http, "ebl", "ebl_cnsha_sgsin.json", "cn-cosco")
    body = '{"to": "cn-boc", "to": "sg-dbs"}'
    _refused(http, f"/v1/ebls/{ebl}/transfers", body, "cn-exporter")


def test_the_document_anchored_is_the_one_parsed(http):
    """Integral floats are ints to the strict parser; what is anchored is what it read."""
    co = example("co_cn_sg.json")
    text = json.dumps({"kind": "co", "document": co})
    response = http.post(
        "/v1/documents", content=text.encode(), headers={**JSON, **auth(http.home, "cn-gacc")}
    )
    assert response.status_code == 201, response.text
    doc_id = response.json()["documentId"]
    signed = http.get(f"/v1/documents/{doc_id}/signed", headers=auth(http.home, "cn-gacc"))
    assert http.post("/v1/verify", content=signed.content, headers=JSON).json()["valid"]
