import datetime

import httpx
import pytest

from api.http.app import create_app
from api.http.serving import serving
from identity import tokens
from network.node import Node


@pytest.fixture
def http(demo_home):
    """An httpx client of the real app, served by uvicorn on a free loopback port."""
    with (
        Node(demo_home) as node,
        serving(create_app(node)) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        client.home = demo_home
        yield client


def token(home, org, now=None, lifetime=tokens.MAX_LIFETIME, audience=None):
    return home.mint_token(org, now or datetime.datetime.now(datetime.UTC), audience, lifetime)


def auth(home, org, **kw):
    return {"Authorization": f"Bearer {token(home, org, **kw)}"}
