import datetime

import httpx
import pytest

from api.app import create_app
from api.serving import serving
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
    creds = home.credentials(org)
    return tokens.mint(
        home.signing_key(org),
        [creds.document_cert, creds.root],
        org,
        audience or home.setting("origin"),
        now or datetime.datetime.now(datetime.UTC),
        lifetime,
    )


def auth(home, org, **kw):
    return {"Authorization": f"Bearer {token(home, org, **kw)}"}
