"""A node with the corridor's documents, served on a free loopback port, and a client of
its pages that signs in as the demo chooser does."""

from __future__ import annotations

import copy
import json
import logging
import re
import shutil
from dataclasses import dataclass

import httpx
import pytest

from api.http.app import create_app
from api.http.pages import Site
from api.http.serving import serving
from chaincode.documents.registry import DocumentKind
from chaincode.transactions import Op
from network import examples
from network.home import Home
from network.node import Node

XSS = "<script>window.__pwned = 1</script><img src=x onerror=alert(1)>"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class World:
    base: str
    home: Home
    node: Node
    co: str
    phyto: str
    ebl: str
    xss: str
    site: Site

    def signed(self, doc_id: str) -> bytes:
        data = self.node.store.get(doc_id)
        assert data is not None
        return data


def xss_co() -> dict:
    document = json.loads(examples.read(examples.CO))
    document = copy.deepcopy(document)
    document["certificateNumber"] = "S263100012600099"
    document["items"][0]["description"] = XSS
    document["exporter"]["name"] = XSS
    return document


def build_world(home: Home, node: Node, base: str, site: Site) -> World:
    co = node.issue(DocumentKind.CO, examples.read(examples.CO), "cn-gacc").document.digest
    phyto = node.issue(DocumentKind.PHYTO, examples.read(examples.PHYTO), "cn-gacc")
    ebl = node.issue(DocumentKind.EBL, examples.read(examples.EBL), "cn-cosco").document.digest
    node.submit("cn-exporter", Op.ENDORSE, doc=ebl, to="cn-boc")
    node.submit("cn-boc", Op.ENDORSE, doc=ebl, to="sg-importer")
    xss = node.issue(DocumentKind.CO, xss_co(), "cn-gacc").document.digest
    return World(base, home, node, co, phyto.document.digest, ebl, xss, site)


@pytest.fixture(scope="module")
def world(_demo_home_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "home"
    shutil.copytree(_demo_home_template, path)
    home = Home(path)
    with Node(home) as node:
        app = create_app(node, log_level="WARNING")
        with serving(app) as base:
            logging.getLogger("tdx.http").setLevel(logging.WARNING)
            yield build_world(home, node, base, app.state.pages)


class Pages:
    """A client of the pages with its own cookies (one browser, say)."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **kw) -> httpx.Response:
        return self.http.get(path, **kw)

    def csrf(self, path: str = "/verify") -> str:
        match = CSRF.search(self.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post(self, path: str, data: dict, *, token: str | None = None, **kw) -> httpx.Response:
        return self.http.post(path, data={"csrf": token or self.csrf(), **data}, **kw)

    def sign_in(self, org: str) -> httpx.Response:
        response = self.post("/sign-in/demo", {"organisation": org, "next": "/desk"})
        assert response.status_code == 303, response.text[:500]
        return response


@pytest.fixture
def pages(world):
    client = Pages(world.base)
    yield client
    client.close()
