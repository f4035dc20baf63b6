"""/v1/rail over real HTTP (uvicorn on a loopback port): the same operations as tdx rail,
refusals as problem+json naming the rule, and the read policy on the journey and report."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.cli import app
from tests.api.conftest import auth
from tests.conftest import EXAMPLES

NOTE = json.loads((EXAMPLES / "rail_chongqing_almaty.json").read_text())
TUANJIECUN, ALASHANKOU, DOSTYK = "841209", "892305", "708507"
runner = CliRunner()
FIRST_SEAL, SECOND_SEAL = "CQ0418823", "SL2600046213"


def post(http, org, path, body):
    return http.post(f"/v1/rail{path}", json=body, headers=auth(http.home, org))


def register(http) -> str:
    r = post(http, "cn-railway", "/consignments", {"document": NOTE})
    assert r.status_code == 201, r.text
    assert r.json()["advanceInformation"]["to"] == "KZ"
    return str(r.json()["documentId"])


def event(http, org, doc, kind, station, time, **extra):
    body = {"type": kind, "station": station, "time": time, **extra}
    return post(http, org, f"/consignments/{doc}/events", body)


def test_a_journey_over_http(http):
    doc = register(http)
    for org, kind, station, time in (
        ("cn-railway", "DEPARTURE", TUANJIECUN, "2026-11-28T08:00:00Z"),
        ("cn-railway", "ARRIVAL", ALASHANKOU, "2026-11-29T18:00:00Z"),
        ("cn-gacc", "DEPARTURE", ALASHANKOU, "2026-11-29T23:00:00Z"),
        ("kz-ktz", "ARRIVAL", DOSTYK, "2026-11-30T01:00:00Z"),
    ):
        r = event(http, org, doc, kind, station, time)
        assert r.status_code == 201, r.text
    assert r.json()["documentId"] == doc
    broken = [
        {"sealNumber": FIRST_SEAL, "result": "BROKEN"},
        {"sealNumber": SECOND_SEAL, "result": "INTACT"},
    ]
    r = event(http, "kz-customs", doc, "SEAL_CHECK", DOSTYK, "2026-11-30T01:30:00Z", seals=broken)
    assert r.status_code == 201, r.text
    r = post(http, "kz-customs", f"/consignments/{doc}/releases", {"station": DOSTYK})
    assert r.status_code == 201, r.text
    assert r.json()["decision"] == "INSPECTION_REQUIRED"
    assert [(f["subject"], f["reason"]) for f in r.json()["findings"]] == [(FIRST_SEAL, "broken")]

    journey = http.get(f"/v1/rail/consignments/{doc}", headers=auth(http.home, "kz-customs"))
    assert journey.status_code == 200, journey.text
    body = journey.json()
    assert body["stationsSoFar"] == [TUANJIECUN, ALASHANKOU, DOSTYK]
    assert body["crossings"][0]["decisions"][0]["by"] == "kz-customs"
    report = http.get(
        "/v1/rail/report", params={"border": "Alashankou-Dostyk"},
        headers=auth(http.home, "kz-customs"),
    )  # fmt: skip
    assert report.status_code == 200
    [pair] = report.json()["pairs"]
    assert (pair["consignments"], pair["directReleases"]) == (1, 0)


def test_refusals_are_problem_json_naming_the_rule(http):
    doc = register(http)
    r = event(http, "kz-dostyk-terminal", doc, "ARRIVAL", DOSTYK, "2026-11-30T01:00:00Z")
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "recorder_role: role customs or rail required" in r.json()["detail"]
    r = event(http, "kz-ktz", doc, "ARRIVAL", "708403", "2026-11-30T01:00:00Z")
    assert r.status_code == 422
    assert "station_on_route" in r.json()["detail"]
    r = post(http, "kz-ktz", f"/consignments/{doc}/releases", {"station": DOSTYK})
    assert r.status_code == 403
    assert "role customs required to record a RELEASE_DECISION" in r.json()["detail"]
    # A decision is not an event: it is taken by the rule, at /releases.
    r = event(http, "kz-customs", doc, "RELEASE_DECISION", DOSTYK, "2026-11-30T01:00:00Z")
    assert r.status_code == 422
    r = http.get("/v1/rail/report", params={"from": "yesterday"},
                 headers=auth(http.home, "kz-customs"))  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "$.from"


def test_the_read_policy_applies_to_the_journey_and_the_report(http):
    doc = register(http)
    r = event(http, "cn-railway", doc, "DEPARTURE", TUANJIECUN, "2026-11-28T08:00:00Z")
    assert r.status_code == 201
    r = event(http, "cn-railway", doc, "ARRIVAL", ALASHANKOU, "2026-11-29T18:00:00Z")
    assert r.status_code == 201
    r = http.get(f"/v1/rail/consignments/{doc}", headers=auth(http.home, "sg-dbs"))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert http.get("/v1/rail/report", headers=auth(http.home, "sg-dbs")).json() == {"pairs": []}
    assert http.get("/v1/rail/report", headers=auth(http.home, "cn-railway")).json()["pairs"]
    assert http.get(f"/v1/rail/consignments/{doc}").status_code == 401


def test_tdx_rail_status_over_http_reads_as_the_organisation(http):
    doc = register(http)
    base = str(http.base_url).rstrip("/")
    home = str(http.home.path)
    allowed = runner.invoke(
        app, ["rail", "status", doc, "--node", base, "--as", "kz-customs", "--home", home, "--json"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["noteNumber"] == "CQ2604080017"
    refused = runner.invoke(app, ["rail", "status", doc, "--node", base, "--as", "sg-dbs",
                                  "--home", home])  # fmt: skip
    assert refused.exit_code == 1
    assert "refused (403" in refused.output


def test_the_rail_routes_are_in_the_openapi_document(http):
    paths = http.get("/openapi.json").json()["paths"]
    assert {p for p in paths if p.startswith("/v1/rail/")} == {
        "/v1/rail/consignments",
        "/v1/rail/consignments/{doc_id}",
        "/v1/rail/consignments/{doc_id}/events",
        "/v1/rail/consignments/{doc_id}/releases",
        "/v1/rail/report",
    }
    assert (
        "application/problem+json"
        in (paths["/v1/rail/consignments/{doc_id}/events"]["post"]["responses"]["409"]["content"])
    )
