"""The narrow interface other features use to talk to other countries' nodes: the signing
client's raw-body POST (what a C2SP tlog-witness request needs) checked by a real receiver
on loopback, and ``Node.on_arrival`` taking in a delivery of a kind of its own (what rail
advance information needs), kept once with its handler's verdict."""

from __future__ import annotations

import datetime
import json

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.http.serving import serving
from network.peers.client import PeerClient
from network.peers.http_signatures import PeerAuthError, SignedBy
from tests.peers.test_answers import Corridor


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@pytest.fixture(scope="module")
def corridor(tmp_path_factory):
    c = Corridor(tmp_path_factory.mktemp("interface"))
    yield c
    c.cn.close()


def test_post_bytes_sends_a_raw_body_the_receiver_verifies(corridor):
    app = FastAPI()
    peers = corridor.cn.peers

    @app.post("/add-checkpoint")
    async def receive(request: Request):
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            who = peers.requests.verify("POST", str(request.url), headers, body, _now())
        except PeerAuthError as exc:
            return JSONResponse({"check": exc.check}, status_code=401)
        return {
            "country": who.country,
            "body": body.decode(),
            "contentType": request.headers["content-type"],
        }

    note = "tdx-node.ru\n7\nAAAA\n"
    ru = corridor.ru_home
    client = PeerClient(ru.node_key(), ru.node_certificate(), _now)
    try:
        with serving(app) as url:
            _, response = client.post_bytes(url, "/add-checkpoint", note.encode(), "text/plain")
            assert response.status_code == 200, response.text
            assert response.json() == {
                "country": "RU",
                "body": note,
                "contentType": "text/plain",
            }
            _, json_response = client.post(url, "/add-checkpoint", {"a": 1})
            assert json_response.json()["body"] == '{"a":1}'
            assert json_response.json()["contentType"] == "application/json"
    finally:
        client.close()


def test_on_arrival_takes_in_a_delivery_of_its_own_kind_once(corridor):
    seen: list[bytes] = []

    def take(payload: bytes) -> tuple[str, dict[str, object]]:
        seen.append(payload)
        return "ACCEPTED", {"wagons": json.loads(payload)["wagons"]}

    corridor.cn.on_arrival("rail-advance", take)
    ru_cert = corridor.ru_home.node_certificate()
    by_ru = SignedBy(ru_cert, "RU", corridor.ru.key_id, "n-1", _now())
    payload = json.dumps({"wagons": 60}).encode()
    first = corridor.cn.receive(by_ru, "rail-advance", "ZAB-MZH-4471", payload)
    again = corridor.cn.receive(by_ru, "rail-advance", "ZAB-MZH-4471", payload)
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert first["verdict"] == again["verdict"] == "ACCEPTED"
    assert seen == [payload]  # taken in once
    (kept,) = [a for a in corridor.cn.peers.inbox.arrivals() if a.kind == "rail-advance"]
    assert kept.source == "RU"
    assert kept.report == {"wagons": 60}
    assert kept.deliveries == 2
