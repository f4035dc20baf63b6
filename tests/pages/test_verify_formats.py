"""The Verify page takes an OpenAttestation v2 document (a tdx export, its root issued on a
DocumentStore on a real anvil) and a DCSA PINT envelope, through the same verification as
``POST /v1/verify``: the same checks with the same statuses, and the verdict from them."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app
from api.http.app import create_app
from api.http.serving import serving
from interop.pint.config import public_key_pem
from network.examples import CO, EBL, read
from network.home import Home
from network.node import Node
from tests.evm.conftest import anvil  # noqa: F401 (the fixture)
from tests.interop.pint.conftest import net, platform_keys  # noqa: F401 (the fixtures)
from tests.interop.pint.crafting import draft
from tests.pages.conftest import Pages

runner = CliRunner()
DOMAIN = "node.tdx.example"
VERDICT = re.compile(r'data-verdict="(\w+)"')


def _ok(*args: object) -> dict:
    done = runner.invoke(app, [str(a) for a in (*args, "--json")])
    assert done.exit_code == 0, done.output
    answer: dict = json.loads(done.stdout)
    return answer


def page_and_api(home: Home, document: bytes) -> tuple[str, dict[str, str], dict]:
    """The Verify page's verdict and checks for ``document`` pasted, and POST /v1/verify's
    answer for the same bytes, from one node."""
    with Node(home) as node, serving(create_app(node, log_level="WARNING")) as base:
        pages = Pages(base)
        try:
            page = pages.post("/verify", {"document": document.decode()})
            assert page.status_code == 200, page.text[:500]
            api = httpx.post(
                base + "/v1/verify",
                content=document,
                headers={"content-type": "application/json"},
                timeout=60,
            ).json()
        finally:
            pages.close()
    (verdict,) = VERDICT.findall(page.text)
    checks = dict(re.findall(r'data-check="([^"]+)" data-status="([^"]+)"', page.text))
    return verdict, checks, api


def same_as_api(checks: dict[str, str], api: dict) -> None:
    assert checks == {c["name"]: c["status"] for c in api["checks"]}


def test_an_openattestation_export_is_verified_as_the_api_does(anvil, demo_home, tmp_path):  # noqa: F811
    home = ("--home", demo_home.path)
    _ok("oa", "deploy-store", "--rpc", anvil, "--as", "cn-gacc", "--dns-location", DOMAIN, *home)
    co = tmp_path / "co.json"
    co.write_bytes(read(CO))
    doc_id = _ok("issue", "co", co, "--as", "cn-gacc", *home)["documentId"]
    whole = tmp_path / "co-oa.json"
    _ok("oa", "export", doc_id, "--out", whole, *home)

    verdict, checks, api = page_and_api(demo_home, whole.read_bytes())
    assert verdict == "valid"
    assert api["valid"] is True
    same_as_api(checks, api)
    for name in ("OpenAttestationHash", "OpenAttestationEthereumDocumentStoreStatus",
                 "OpenAttestationDnsTxtIdentityProof", "signature", "anchored"):  # fmt: skip
        assert checks[name] == "pass", name

    # A field changed after issue: OpenAttestation's hash and tdx's integrity both fail.
    tampered = json.loads(whole.read_text())
    tampered["data"]["document"]["exporter"]["name"] = "ffff:string:Someone Else"
    verdict, checks, api = page_and_api(demo_home, json.dumps(tampered).encode())
    assert verdict == "invalid"
    assert api["valid"] is False
    same_as_api(checks, api)
    assert checks["OpenAttestationHash"] == "fail"


def test_a_pint_envelope_is_verified_as_the_api_does(net, demo_home, platform_keys, tmp_path):  # noqa: F811
    home = ("--home", demo_home.path)
    aeot, sgtd = net.build("AEOT", served=False), net.build("SGTD", served=False)
    source = tmp_path / "bl.json"
    source.write_bytes(read(EBL))
    _ok("dcsa", "import", source, "--as", "cn-cosco", *home)
    td = json.loads(read(EBL))
    envelope = json.dumps(draft(aeot, sgtd, td).body()).encode()

    # Not a PINT platform yet: the envelope's signatures cannot be judged here.
    verdict, checks, api = page_and_api(demo_home, envelope)
    assert verdict != "valid"
    same_as_api(checks, api)
    assert checks["pint-envelope"] == "fail"

    peer = {"platform": "SGTD", "url": "http://127.0.0.1:9",
            "keys": [public_key_pem(platform_keys["SGTD"].public_key())]}  # fmt: skip
    (demo_home.path / "pint.json").write_text(
        json.dumps({"platform": "AEOT", "signer": "cn-cosco", "peers": [peer]})
    )
    verdict, checks, api = page_and_api(demo_home, envelope)
    assert verdict == "valid"
    assert api["valid"] is True
    same_as_api(checks, api)
    assert checks["pint-envelope"] == checks["signature"] == checks["status"] == "pass"

    # A chain entry signed by a key the node does not know (BSIG): invalid on both.
    forged = draft(aeot, sgtd, td)
    forged.signers = [net.keys["IQAX"]]
    verdict, checks, api = page_and_api(demo_home, json.dumps(forged.body()).encode())
    assert verdict == "invalid"
    same_as_api(checks, api)
    assert checks["pint-envelope"] == "fail"


@pytest.mark.parametrize("lang", ["zh", "ru"])
def test_the_new_checks_are_labelled_in_every_language(lang):
    from api.http.pages import i18n

    t = i18n.Catalogs()[lang]
    for name in ("pint-envelope", "OpenAttestationHash", "OpenAttestationDnsTxtIdentityProof"):
        assert t(f"check.{name}") != i18n.Catalogs()["en"](f"check.{name}")
