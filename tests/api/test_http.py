"""The HTTP API against the real app: success paths, and every kind of refusal."""

import datetime
import json

import pytest

from identity import jws, tokens
from ledger.tlog import proofs
from network.version import VERSION
from tests.api.conftest import auth
from tests.conftest import EXAMPLES
from tests.pki import make_root, make_signer

PROBLEM = "application/problem+json"


def example(name):
    return json.loads((EXAMPLES / name).read_text())


def issue(http, kind, name, org, **extra):
    body = {"kind": kind, "document": example(name), **extra}
    response = http.post("/v1/documents", json=body, headers=auth(http.home, org))
    assert response.status_code == 201, response.text
    return response.json()["documentId"]


def post(http, path, org, body=None):
    return http.post(path, json=body if body is not None else {}, headers=auth(http.home, org))


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


def test_every_endpoint_success_path(http):
    h = http.home
    co = issue(http, "co", "co_cn_sg.json", "cn-gacc")
    phyto = issue(http, "phyto", "phyto_cn_kz_apples.json", "cn-gacc")
    ebl = issue(http, "ebl", "ebl_cnsha_sgsin.json", "cn-cosco")
    rail = issue(http, "rail", "rail_chongqing_almaty.json", "cn-railway", links=[co])

    assert (
        http.get(f"/v1/documents/{co}", headers=auth(h, "sg-customs")).json()["state"] == "ISSUED"
    )
    signed = http.get(f"/v1/documents/{co}/signed", headers=auth(h, "sg-customs")).json()
    report = http.post("/v1/verify", json=signed).json()  # public: no token
    assert report["valid"] is True

    amended_doc = example("co_cn_sg.json")
    amended_doc["invoice"]["number"] += "-R1"
    amended = post(
        http,
        f"/v1/documents/{co}/amendments",
        "cn-gacc",
        {"document": amended_doc, "reason": "invoice corrected"},
    )
    assert amended.status_code == 201
    new_co = amended.json()["documentId"]
    assert (
        post(http, f"/v1/documents/{new_co}/revocation", "cn-gacc", {"reason": "void"}).status_code
        == 201
    )
    replaced_doc = example("phyto_cn_kz_apples.json")
    replaced_doc["replaces"] = {"id": replaced_doc["id"], "digest": phyto}
    replaced_doc["id"] += "-R"
    replaced_doc["includedNotes"] = [
        *replaced_doc.get("includedNotes", []),
        {
            "subject": "REPLACEMENT",
            "content": f"Replaces {example('phyto_cn_kz_apples.json')['id']}",
        },
    ]
    replacement = post(
        http,
        f"/v1/documents/{phyto}/replacements",
        "cn-gacc",
        {"document": replaced_doc, "reason": "consignee corrected"},
    )
    assert replacement.status_code == 201, replacement.text
    assert (
        http.get(f"/v1/documents/{phyto}", headers=auth(h, "kz-customs")).json()["state"]
        == "REPLACED"
    )

    assert (
        post(http, f"/v1/ebls/{ebl}/endorsements", "cn-exporter", {"to": "cn-boc"}).status_code
        == 201
    )
    assert (
        post(http, f"/v1/ebls/{ebl}/transfers", "cn-boc", {"to": "sg-importer"}).status_code == 201
    )
    assert (
        post(http, f"/v1/ebls/{ebl}/surrenders", "sg-importer", {"for": "delivery"}).status_code
        == 201
    )
    assert (
        post(
            http, f"/v1/ebls/{ebl}/surrender-rejection", "cn-cosco", {"reason": "check"}
        ).status_code
        == 201
    )
    assert (
        post(http, f"/v1/ebls/{ebl}/surrenders", "sg-importer", {"for": "delivery"}).status_code
        == 201
    )
    assert post(http, f"/v1/ebls/{ebl}/surrender-acceptance", "cn-cosco").status_code == 201
    expires = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).isoformat()
    released = post(
        http,
        f"/v1/ebls/{ebl}/releases",
        "cn-cosco",
        {"containers": ["CXRU1523418"], "to": "sg-importer", "expires": expires},
    )
    assert released.status_code == 201
    assert (
        post(
            http,
            f"/v1/ebls/{ebl}/delegations",
            "sg-importer",
            {"container": "CXRU1523418", "to": "sg-haulier"},
        ).status_code
        == 201
    )
    assert (
        post(
            http, "/v1/containers/CXRU1523418/pickups", "sg-psa", {"for": "sg-haulier"}
        ).status_code
        == 201
    )

    assert http.get("/v1/containers/CXRU1523418/documents", headers=auth(h, "sg-psa")).json() == [
        ebl
    ]
    assert http.get("/v1/organisations/cn-cosco/ebls", headers=auth(h, "cn-cosco")).json() == [ebl]
    assert co in http.get(f"/v1/documents/{rail}/links", headers=auth(h, "kz-customs")).json()
    trace = http.get(f"/v1/documents/{ebl}/trace", headers=auth(h, "kz-auditor")).json()
    assert [e["op"] for e in trace][-1] == "PICKUP"
    proof = http.get(f"/v1/documents/{ebl}/proof", headers=auth(h, "kz-auditor")).json()
    assert proof["format"] == "tdx-proof/1"
    assert proofs.check(proof).valid  # standalone: no node, no key needed
    cp = http.get("/v1/checkpoints/latest").json()  # public
    assert cp["checkpoint"].startswith(cp["origin"] + "\n")
    ledger = post(http, "/v1/ledger/verification", "kz-auditor").json()
    assert ledger["ok"] is True
    assert http.get("/healthz").json() == {"status": "ok", "version": VERSION}
    assert http.get("/openapi.json").json()["info"]["version"] == VERSION
    assert http.get("/readyz").json()["status"] == "ready"
    metrics = http.get("/metrics").text
    assert "tdx_http_requests_total" in metrics
    assert "tdx_ledger_commits_total" in metrics
    assert http.get("/openapi.json").json()["info"]["title"] == "tdx node"


class TestUnauthenticated:
    def test_no_token(self, http):
        body = problem(http.get("/v1/organisations/cn-boc/ebls"), 401)
        assert "bearer token is required" in body["detail"]

    def test_expired_token(self, http):
        old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
        response = http.get(
            "/v1/organisations/cn-boc/ebls", headers=auth(http.home, "cn-boc", now=old)
        )
        assert "expired" in problem(response, 401)["detail"]

    def test_token_lifetime_over_five_minutes(self, http):
        headers = auth(http.home, "cn-boc", lifetime=datetime.timedelta(minutes=30))
        assert (
            "over 5 minutes"
            in problem(http.get("/v1/organisations/cn-boc/ebls", headers=headers), 401)["detail"]
        )

    def test_replayed_jti(self, http):
        headers = auth(http.home, "cn-boc")
        assert http.get("/v1/organisations/cn-boc/ebls", headers=headers).status_code == 200
        assert (
            "replayed"
            in problem(http.get("/v1/organisations/cn-boc/ebls", headers=headers), 401)["detail"]
        )

    def test_wrong_audience(self, http):
        headers = auth(http.home, "cn-boc", audience="another-node")
        assert (
            "audience"
            in problem(http.get("/v1/organisations/cn-boc/ebls", headers=headers), 401)["detail"]
        )

    def test_chain_to_an_unlisted_root(self, http):
        rogue = make_signer(make_root("CN"), org_id="cn-gacc")
        token = tokens.mint(
            rogue.key,
            rogue.chain,
            "cn-gacc",
            http.home.setting("origin"),
            datetime.datetime.now(datetime.UTC),
        )
        response = http.get(
            "/v1/organisations/cn-boc/ebls", headers={"Authorization": f"Bearer {token}"}
        )
        assert "not on the trust list" in problem(response, 401)["detail"]

    def test_a_none_alg_token(self, http):
        token = jws.sign(b"{}", make_signer(make_root()).key, [], "JWT")
        head, body, _ = token.split(".")
        response = http.get(
            "/v1/organisations/cn-boc/ebls", headers={"Authorization": f"Bearer {head}.{body}."}
        )
        problem(response, 401)


def test_wrong_role_and_wrong_country_are_403(http):
    response = post(
        http, "/v1/documents", "cn-cosco", {"kind": "co", "document": example("co_cn_sg.json")}
    )
    assert "role co_issuer required" in problem(response, 403)["detail"]
    response = post(
        http,
        "/v1/documents",
        "ru-rosselkhoznadzor",
        {"kind": "phyto", "document": example("phyto_cn_kz_apples.json")},
    )
    assert "must be issued by an organisation of CN" in problem(response, 403)["detail"]


def test_state_conflicts_are_409_and_change_nothing(http):
    ebl = issue(http, "ebl", "ebl_cnsha_sgsin.json", "cn-cosco")
    post(http, f"/v1/ebls/{ebl}/endorsements", "cn-exporter", {"to": "cn-boc"})
    before = http.get(f"/v1/documents/{ebl}", headers=auth(http.home, "cn-boc")).json()
    body = problem(post(http, f"/v1/ebls/{ebl}/transfers", "cn-exporter", {"to": "sg-dbs"}), 409)
    assert body["rule"].startswith("not the current possessor (possessor: cn-boc")
    again = problem(
        post(
            http,
            "/v1/documents",
            "cn-cosco",
            {"kind": "ebl", "document": example("ebl_cnsha_sgsin.json")},
        ),
        409,
    )
    assert "already on the ledger" in again["detail"]
    after = http.get(f"/v1/documents/{ebl}", headers=auth(http.home, "cn-boc")).json()
    assert after == before


def test_bad_input_is_422_with_paths_and_rules(http):
    doc = example("ebl_cnsha_sgsin.json")
    doc["utilizedTransportEquipments"][0]["equipment"]["equipmentReference"] = "HLXU1234567"
    body = problem(post(http, "/v1/documents", "cn-cosco", {"kind": "ebl", "document": doc}), 422)
    assert {
        "path": "$.utilizedTransportEquipments[0].equipment.equipmentReference",
        "rule": "iso6346_check_digit",
    } in [{k: e[k] for k in ("path", "rule")} for e in body["errors"]]
    body = problem(post(http, "/v1/documents", "cn-cosco", {"kind": "visa", "document": {}}), 422)
    assert body["errors"][0]["path"] == "$.kind"
    body = problem(
        post(http, "/v1/ebls/sha256:" + "0" * 64 + "/releases", "cn-cosco", {"containers": []}), 422
    )
    assert body["type"].endswith("invalid-request")
    # A lone surrogate (legal as a JSON escape) has no UTF-8 form, so no canonical form.
    lone = b'{"kind": "co", "document": {"\\ud800": 1}}'
    headers = {**auth(http.home, "cn-gacc"), "content-type": "application/json"}
    body = problem(http.post("/v1/documents", content=lone, headers=headers), 422)
    assert "non-UTF-8" in json.dumps(body)


def test_malformed_json_wrong_content_type_and_size(http):
    headers = {**auth(http.home, "cn-gacc"), "content-type": "application/json"}
    assert http.post("/v1/documents", content=b'{"kind": ', headers=headers).status_code == 422
    response = http.post(
        "/v1/verify", content=b"<xml/>", headers={"content-type": "application/xml"}
    )
    problem(response, 415)
    big = b'{"x": "' + b"a" * (5 * 1024 * 1024 + 10) + b'"}'
    problem(http.post("/v1/verify", content=big, headers={"content-type": "application/json"}), 413)


def test_unknown_document_is_404(http):
    problem(http.get("/v1/documents/sha256:" + "0" * 64, headers=auth(http.home, "cn-boc")), 404)


@pytest.mark.parametrize("path", ["/v1/verify"])
def test_garbage_to_verify_is_a_report_not_a_crash(http, path):
    response = http.post(path, json={"format": "nope"})
    assert response.status_code == 200
    assert response.json()["valid"] is False


def test_logs_carry_request_ids_but_never_tokens(http, caplog):
    headers = auth(http.home, "cn-boc")
    with caplog.at_level("INFO", logger="tdx.http"):
        response = http.get(
            "/v1/organisations/cn-boc/ebls", headers={**headers, "X-Request-Id": "abc-123"}
        )
    assert response.headers["x-request-id"] == "abc-123"
    token = headers["Authorization"].split()[1]
    lines = [r.getMessage() + str(getattr(r, "fields", "")) for r in caplog.records]
    assert any("abc-123" in line for line in lines)
    assert not any(token in line or token[:40] in line for line in lines)
