"""``POST /v1/peer/verification-queries`` is answered by a plain ASGI layer (the hot path of
cross-border verification), with the same checks and refusals as the documented route, and
counted under that route in the metrics. A real CN node on loopback, asked by the RU node's
identity."""

from __future__ import annotations

import base64
import datetime
import json

import httpx
import pytest

from api.http.app import create_app
from api.http.serving import serving
from network.home import Home, init_country
from network.node import Node
from network.peers.http_signatures import sign_request
from network.peers.service import QUERY_PATH

DIGEST = "sha256:" + "ab" * 32


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@pytest.fixture(scope="module")
def cn(tmp_path_factory):
    path = tmp_path_factory.mktemp("query-endpoint")
    now = _now()
    cn = init_country(path / "CN", "CN", path / "net", "http://127.0.0.1:9", now)
    ru = init_country(path / "RU", "RU", path / "net", "http://127.0.0.1:10", now)
    with Node(Home(cn.path), witnessing=False) as node, serving(create_app(node)) as url:
        yield url, ru


def _post(url: str, ru: Home, body: bytes) -> httpx.Response:
    target = url + QUERY_PATH
    headers = sign_request("POST", target, body, ru.node_key(), ru.node_certificate(), _now())
    return httpx.post(target, content=body, headers=headers)


def test_a_signed_query_gets_a_signed_answer(cn):
    url, ru = cn
    response = _post(url, ru, json.dumps({"digest": DIGEST}).encode())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"answer"}
    assert response.json()["answer"].count(".") == 2  # a compact JWS
    assert len(response.headers["x-request-id"]) == 32  # inside the app's middleware


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (b'{"digest": "sha256:ab", "digest": "sha256:ab"}', "not-canonical-json"),
        (json.dumps({"digest": "not a digest"}).encode(), "invalid-request"),
        (json.dumps({"digest": DIGEST, "extra": 1}).encode(), "invalid-request"),
    ],
)
def test_a_well_signed_query_with_a_bad_body_is_a_422_naming_the_rule(cn, body, rule):
    url, ru = cn
    response = _post(url, ru, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(rule)


def test_an_unsigned_query_is_a_401_and_metrics_name_the_route(cn):
    url, _ = cn
    response = httpx.post(url + QUERY_PATH, json={"digest": DIGEST})
    assert response.status_code == 401
    assert response.json()["check"] == "signature-input"
    metrics = httpx.get(url + "/metrics").text
    assert f'route="{QUERY_PATH}"' in metrics


def _tampered(headers: dict[str, str], what: str) -> dict[str, str]:
    out = dict(headers)
    if what == "signature":
        label, value = out["Signature"].split("=:", 1)
        raw = bytearray(base64.b64decode(value.rstrip(":")))
        raw[-1] ^= 1
        out["Signature"] = f"{label}=:{base64.b64encode(bytes(raw)).decode()}:"
    elif what == "certificate":
        out["Tdx-Node-Certificate"] = ":AAAA:"
    return out


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ("replay", "nonce"),
        ("body", "content-digest"),
        ("signature", "signature"),
        ("certificate", "certificate"),
        ("skew", "clock-skew"),
        ("path", "signature"),
    ],
)
def test_every_check_runs_on_the_hot_path_and_names_itself(cn, change, check):
    """Each check of a signed query, failed on purpose over real HTTP, is the 401's
    ``check``; the same request unchanged is answered (once)."""
    url, ru = cn
    target = url + QUERY_PATH
    body = json.dumps({"digest": DIGEST}).encode()
    created = _now() - datetime.timedelta(minutes=6 if change == "skew" else 0)
    signed_url = url + "/v1/peer/deliveries" if change == "path" else target
    headers = sign_request("POST", signed_url, body, ru.node_key(), ru.node_certificate(), created)
    if change == "replay":
        assert httpx.post(target, content=body, headers=headers).status_code == 200
    sent = body.replace(b"ab", b"cd", 1) if change == "body" else body
    response = httpx.post(target, content=sent, headers=_tampered(headers, change))
    assert response.status_code == 401, response.text
    assert response.json()["check"] == check
