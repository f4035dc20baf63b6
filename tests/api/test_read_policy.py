"""The read policy on every read path: each role x each path, over HTTP and over the command
line's HTTP client, the allowed reads and the refused ones (403 problem+json naming the rule).

One scenario for the module: cn-gacc's certificate of origin for a CN -> SG shipment, the
eBL cn-cosco issued to cn-exporter and that passed to cn-boc, then sg-importer, was
surrendered, released to sg-importer, delegated to sg-haulier and picked up by sg-psa.
"""

import datetime
import json
import shutil

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.http.app import create_app
from api.http.serving import serving
from network.home import Home
from network.node import Node
from tests.api.conftest import auth
from tests.api.test_http import example

# One organisation per role (and a few more, to cover each rule both ways).
READERS = {
    "sg-customs": "customs of a country the documents name",
    "ru-customs": "customs of a country they do not name",
    "cn-gacc": "issuer of the CO; customs of CN",
    "ru-rosselkhoznadzor": "quarantine",
    "cn-ccpit": "co_issuer",
    "cn-cosco": "carrier, the eBL's issuer",
    "cn-exporter": "shipper, named in the eBL, a past holder",
    "sg-importer": "consignee, named in the eBL, its last holder",
    "cn-boc": "bank, a past holder of the eBL",
    "sg-dbs": "bank, no part in either",
    "kz-ktz": "rail",
    "sg-psa": "terminal that picked a container up",
    "sg-haulier": "haulier a pickup right was delegated to",
    "kz-auditor": "auditor",
}
CO_CONTENT = {"cn-gacc", "sg-customs"}
EBL_CONTENT = {"cn-cosco", "cn-exporter", "cn-boc", "sg-importer", "sg-customs", "cn-gacc"}
ALLOWED = {
    ("co", "content"): CO_CONTENT,
    ("co", "status"): CO_CONTENT | {"kz-auditor"},
    ("ebl", "content"): EBL_CONTENT,
    ("ebl", "status"): EBL_CONTENT | {"sg-psa", "sg-haulier", "kz-auditor"},
}
PATHS = {
    "content": ["/signed"],
    "status": ["", "/trace", "/links", "/proof"],
}
CONTAINER = "CXRU1523418"


@pytest.fixture(scope="module")
def world(_demo_home_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("read-policy") / "home"
    shutil.copytree(_demo_home_template, path)
    home = Home(path)
    with (
        Node(home) as node,
        serving(create_app(node, log_level="WARNING")) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        client.home = home
        yield {"http": client, "url": base_url, "home": home, **_scenario(client, home)}


def _post(http, home, path, org, body):
    response = http.post(path, json=body, headers=auth(home, org))
    assert response.status_code == 201, response.text
    return response.json()


def _scenario(http, home):
    def issue(kind, name, org):
        body = {"kind": kind, "document": example(name)}
        return _post(http, home, "/v1/documents", org, body)["documentId"]

    co = issue("co", "co_cn_sg.json", "cn-gacc")
    ebl = issue("ebl", "ebl_cnsha_sgsin.json", "cn-cosco")
    steps = [
        ("endorsements", "cn-exporter", {"to": "cn-boc"}),
        ("endorsements", "cn-boc", {"to": "sg-importer"}),
        ("surrenders", "sg-importer", {"for": "delivery"}),
        ("surrender-acceptance", "cn-cosco", {}),
    ]
    for route, org, body in steps:
        _post(http, home, f"/v1/ebls/{ebl}/{route}", org, body)
    expires = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).isoformat()
    release = {"containers": [CONTAINER], "to": "sg-importer", "expires": expires}
    _post(http, home, f"/v1/ebls/{ebl}/releases", "cn-cosco", release)
    delegation = {"container": CONTAINER, "to": "sg-haulier"}
    _post(http, home, f"/v1/ebls/{ebl}/delegations", "sg-importer", delegation)
    _post(http, home, f"/v1/containers/{CONTAINER}/pickups", "sg-psa", {"for": "sg-haulier"})
    return {"co": co, "ebl": ebl}


CASES = [
    (org, doc, scope, suffix)
    for org in READERS
    for doc in ("co", "ebl")
    for scope, suffixes in PATHS.items()
    for suffix in suffixes
]


@pytest.mark.parametrize(("org", "doc", "scope", "suffix"), CASES)
def test_document_reads_over_http(world, org, doc, scope, suffix):
    http, home = world["http"], world["home"]
    response = http.get(f"/v1/documents/{world[doc]}{suffix}", headers=auth(home, org))
    if org in ALLOWED[(doc, scope)]:
        assert response.status_code == 200, (READERS[org], response.text)
        return
    assert response.status_code == 403, (READERS[org], response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/read-refused")
    assert problem["rule"] == "need-to-know"
    assert problem["scope"] == scope
    assert problem["detail"].startswith(f"{org} may not read the {scope}")


@pytest.mark.parametrize("org", READERS)
def test_holdings_over_http(world, org):
    http, home = world["http"], world["home"]
    response = http.get("/v1/organisations/cn-boc/ebls", headers=auth(home, org))
    if org in {"cn-boc", "kz-auditor"}:
        assert response.status_code == 200, response.text
        assert response.json() == []  # cn-boc passed the eBL on
    else:
        assert response.status_code == 403, response.text
        assert response.json()["rule"] == "need-to-know"
        assert response.json()["scope"] == "holdings"


def test_own_holdings(world):
    http, home = world["http"], world["home"]
    response = http.get("/v1/organisations/cn-cosco/ebls", headers=auth(home, "cn-cosco"))
    assert response.json() == [world["ebl"]]  # surrendered: back with the carrier


@pytest.mark.parametrize("org", READERS)
def test_a_container_lists_only_documents_the_reader_may_read(world, org):
    http, home = world["http"], world["home"]
    response = http.get(f"/v1/containers/{CONTAINER}/documents", headers=auth(home, org))
    assert response.status_code == 200
    expected = [world["ebl"]] if org in ALLOWED[("ebl", "status")] else []
    assert response.json() == expected


def test_a_trace_leaves_out_linked_documents_the_reader_may_not_read(world):
    """kz-customs may read a CN -> KZ rail consignment, not the CN -> SG CO it attaches."""
    http, home = world["http"], world["home"]
    rail_doc = example("rail_chongqing_almaty.json")
    body = {"kind": "rail", "document": rail_doc, "links": [world["co"]]}
    rail = _post(http, home, "/v1/documents", "cn-railway", body)["documentId"]

    def ops(org):
        response = http.get(f"/v1/documents/{rail}/trace", headers=auth(home, org))
        assert response.status_code == 200, response.text
        return [(e["op"], e["doc"]) for e in response.json()]

    assert ops("kz-customs") == [("ISSUE", rail)]
    assert ("ISSUE", world["co"]) in ops("kz-auditor")
    links = http.get(f"/v1/documents/{rail}/links", headers=auth(home, "kz-customs")).json()
    assert world["co"] in links  # a link is a fact of both records


def test_verify_stays_public(world):
    http, home = world["http"], world["home"]
    signed = http.get(f"/v1/documents/{world['co']}/signed", headers=auth(home, "cn-gacc"))
    report = http.post(
        "/v1/verify", content=signed.content, headers={"content-type": "application/json"}
    )
    assert report.status_code == 200
    assert report.json()["valid"] is True


# --- the command line, reading over HTTP ---------------------------------------------------

runner = CliRunner()


def _tdx(world, *args):
    return runner.invoke(
        cli, [*map(str, args), "--home", str(world["home"].path), "--node", world["url"]]
    )


@pytest.mark.parametrize(
    ("command", "allowed", "refused"),
    [
        (("status", "{ebl}"), "sg-haulier", "sg-dbs"),
        (("trace", "{ebl}"), "kz-auditor", "kz-ktz"),
        (("doc", "get", "{co}"), "sg-customs", "sg-importer"),
        (("ebl", "held", "cn-boc"), "cn-boc", "sg-dbs"),
    ],
)
def test_the_cli_over_http(world, command, allowed, refused):
    args = [a.format(co=world["co"], ebl=world["ebl"]) for a in command]
    ok = _tdx(world, *args, "--as", allowed)
    assert ok.exit_code == 0, ok.output
    no = _tdx(world, *args, "--as", refused)
    assert no.exit_code == 1
    assert no.stderr.startswith("tdx: error: refused (403, rule need-to-know): ")
    assert f"{refused} may not read" in no.stderr


def test_the_cli_shows_the_same_document_over_http_as_locally(world):
    remote = _tdx(world, "doc", "get", world["co"], "--as", "cn-gacc")
    local = runner.invoke(cli, ["doc", "get", world["co"], "--home", str(world["home"].path)])
    assert local.exit_code == 0, local.output
    assert json.loads(remote.stdout) == json.loads(local.stdout)


def test_as_without_node_is_a_usage_error(world):
    result = runner.invoke(
        cli, ["status", world["ebl"], "--as", "cn-boc", "--home", str(world["home"].path)]
    )
    assert result.exit_code == 2
