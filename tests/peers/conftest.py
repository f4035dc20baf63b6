"""Four country nodes on loopback, started once for the module with ``tdx network up``'s
launcher, each a real ``tdx serve`` process with its own home; stopped by their PIDs."""

import contextlib
import datetime
import json
import secrets
import time

import httpx
import pytest

from network import launcher
from network.home import Home
from tests.conftest import EXAMPLES

COUNTRIES = ["CN", "SG", "RU", "KZ"]
DEADLINE = 60.0  # every wait below ends by then


class Network:
    def __init__(self, path, processes):
        self.path = path
        self.urls = {p.name: p.url for p in processes}

    def home(self, country) -> Home:
        return Home(self.path / "homes" / country)

    def client(self, country) -> httpx.Client:
        return httpx.Client(base_url=self.urls[country], timeout=60)

    def token(self, country, org) -> dict:
        home = self.home(country)
        now = datetime.datetime.now(datetime.UTC)
        return {"Authorization": f"Bearer {home.mint_token(org, now)}"}

    def issue(self, country, org, kind, document) -> dict:
        with self.client(country) as c:
            r = c.post(
                "/v1/documents",
                json={"kind": kind, "document": document},
                headers=self.token(country, org),
            )
        assert r.status_code == 201, r.text
        return r.json()

    def signed(self, country, org, doc_id) -> dict:
        with self.client(country) as c:
            r = c.get(f"/v1/documents/{doc_id}/signed", headers=self.token(country, org))
        assert r.status_code == 200, r.text
        return r.json()

    def verify(self, country, envelope, ask=True) -> dict:
        with self.client(country) as c:
            r = c.post("/v1/verify", json={"document": envelope, "askIssuer": ask})
        assert r.status_code == 200, r.text
        return r.json()

    def inbox(self, country, org) -> list:
        with self.client(country) as c:
            r = c.get("/v1/inbox", headers=self.token(country, org))
        assert r.status_code == 200, r.text
        return r.json()

    def wait_for(self, what, condition):
        """Poll ``condition`` until it returns a truthy value, for at most DEADLINE."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def restart(self, country, environment=None):
        launcher.stop_one(self.path, country)
        process = launcher.start_again(self.path, country, environment)
        self.urls[country] = process.url
        return process


@contextlib.contextmanager
def nodes_up(path, countries):
    """One node per country on free loopback ports under ``path``; stopped (by the PIDs
    the launcher recorded) when the block ends."""
    processes = launcher.up(countries, path, launcher.free_base_port(len(countries)))
    try:
        yield Network(path, processes)
    finally:
        stopped = launcher.down(path)
        assert {p.name for p in stopped} <= set(countries)


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    with nodes_up(tmp_path_factory.mktemp("network"), COUNTRIES) as nodes:
        yield nodes


def fresh(name: str, **changes) -> dict:
    """An example document with a fresh identity (so each test anchors its own digest)."""
    document = json.loads((EXAMPLES / name).read_text())
    key = "certificateNumber" if "certificateNumber" in document else "id"
    document[key] = document[key][:-6] + f"{secrets.randbelow(10**6):06d}"
    document.update(changes)
    return document


def check(report, name):
    return next(c for c in report["checks"] if c["name"] == name)
