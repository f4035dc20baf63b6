"""tdx rail / ephyto / edifact, in the forms the issue and the README give."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli import app
from api.cli.rail import parse_move, parse_seal
from interop.ephyto import envelope_from_xml, verify_xml
from network.rail import SealReport
from tests.conftest import EXAMPLES

runner = CliRunner()
NOTE = EXAMPLES / "rail_chongqing_almaty.json"
PHYTO = EXAMPLES / "phyto_cn_kz_apples.json"
IFTMIN = Path(__file__).resolve().parents[1] / "interop" / "rail_chongqing_almaty.edi"
TUANJIECUN, ALASHANKOU, DOSTYK = "841209", "892305", "708507"
FIRST_SEAL, SECOND_SEAL = "CQ0418823", "SL2600046213"


def tdx(home, *args):
    return runner.invoke(app, [*(str(a) for a in args), "--home", str(home.path)])


def ok(home, *args):
    result = tdx(home, *args)
    assert result.exit_code == 0, result.output
    return result


def register(home) -> str:
    body = json.loads(ok(home, "rail", "register", NOTE, "--as", "cn-railway", "--json").stdout)
    assert body["noteNumber"] == "CQ2604080017"
    assert body["advanceInformation"] == "KZ"
    return str(body["documentId"])


def to_dostyk(home, doc: str) -> None:
    for station, kind, org, at in (
        (TUANJIECUN, "departure", "cn-railway", "2026-11-28T08:00:00Z"),
        (ALASHANKOU, "arrival", "cn-railway", "2026-11-29T18:00:00Z"),
        (ALASHANKOU, "departure", "cn-gacc", "2026-11-29T23:00:00Z"),
        (DOSTYK, "arrival", "kz-ktz", "2026-11-30T01:00:00Z"),
    ):
        ok(
            home,
            "rail",
            "event",
            doc,
            "--station",
            station,
            "--type",
            kind,
            "--as",
            org,
            "--at",
            at,
        )


def test_a_journey_by_the_command_line(demo_home):
    doc = register(demo_home)
    to_dostyk(demo_home, doc)
    seals = ["--seal", f"{FIRST_SEAL}=intact", "--seal", f"{SECOND_SEAL}=replaced:KZC0001"]
    ok(demo_home, "rail", "event", doc, "--station", DOSTYK, "--type", "seal-check", *seals,
       "--as", "kz-customs", "--at", "2026-11-30T01:30:00Z")  # fmt: skip
    moves = ["--wagon", "TRIU8734127=5271034:52003412", "--wagon", "SZLU9053180=5271187:52003420"]
    ok(demo_home, "rail", "event", doc, "--station", DOSTYK, "--type", "transshipment", *moves,
       "--as", "kz-ktz", "--at", "2026-11-30T03:00:00Z")  # fmt: skip
    seals = ["--seal", f"{FIRST_SEAL}=intact", "--seal", "KZC0001=intact"]
    ok(demo_home, "rail", "event", doc, "--station", DOSTYK, "--type", "seal-check", *seals,
       "--as", "kz-customs", "--at", "2026-11-30T03:30:00Z")  # fmt: skip
    decided = ok(demo_home, "rail", "release", doc, "--station", DOSTYK, "--as", "kz-customs",
                 "--at", "2026-11-30T04:00:00Z", "--json")  # fmt: skip
    assert json.loads(decided.stdout)["decision"] == "DIRECT_RELEASE"
    ok(demo_home, "rail", "event", doc, "--station", DOSTYK, "--type", "departure",
       "--as", "kz-ktz", "--at", "2026-11-30T06:00:00Z")  # fmt: skip

    status = json.loads(ok(demo_home, "rail", "status", doc, "--json").stdout)
    assert status["noteNumber"] == "CQ2604080017"
    assert status["stationsSoFar"] == [TUANJIECUN, ALASHANKOU, DOSTYK]
    assert status["containers"] == {"SZLU9053180": "52003420", "TRIU8734127": "52003412"}
    replaced = next(s for s in status["seals"] if s["replacements"])
    assert replaced["original"] == SECOND_SEAL
    assert [(r["old"], r["new"], r["sealingParty"], r["by"], r["station"])
            for r in replaced["replacements"]] == [
        (SECOND_SEAL, "KZC0001", "CUSTOMS", "kz-customs", DOSTYK)
    ]  # fmt: skip
    [crossing] = status["crossings"]
    assert crossing["pair"] == "Alashankou-Dostyk"
    assert [d["decision"] for d in crossing["decisions"]] == ["DIRECT_RELEASE"]
    text = ok(demo_home, "rail", "show", doc).stdout
    assert f"seal {SECOND_SEAL} -> KZC0001 on SZLU9053180" in text

    # The pair's dwell runs from the arrival at its exit station (Alashankou, 18:00) to the
    # decision at Dostyk (04:00, 10 h) and to the departure from Dostyk (06:00, 12 h).
    report = json.loads(ok(demo_home, "rail", "report", "--json").stdout)
    [pair] = report["pairs"]
    assert pair["arrivalToDecisionSeconds"]["p50"] == 10 * 3600
    assert pair["arrivalToDepartureSeconds"]["max"] == 12 * 3600
    assert pair["directShare"] == 1.0
    rows = list(csv.DictReader(io.StringIO(ok(demo_home, "rail", "report", "--csv").stdout)))
    assert [(r["pair"], r["arrivalToDepartureP90"]) for r in rows] == [
        ("Alashankou-Dostyk", "43200.0")
    ]
    none = ok(demo_home, "rail", "report", "--border", "Manzhouli-Zabaikalsk", "--json")
    assert json.loads(none.stdout) == {"pairs": []}
    later = ok(demo_home, "rail", "report", "--from", "2026-12-01", "--json")
    assert json.loads(later.stdout) == {"pairs": []}


def test_refusals_exit_1_naming_the_rule(demo_home):
    doc = register(demo_home)
    off_route = tdx(demo_home, "rail", "event", doc, "--station", "708403", "--type", "arrival",
                    "--as", "kz-ktz")  # fmt: skip
    assert off_route.exit_code == 1
    assert "station_on_route: station 708403 is not on the route" in off_route.output
    to_dostyk(demo_home, doc)
    by_rail = tdx(demo_home, "rail", "release", doc, "--station", DOSTYK, "--as", "kz-ktz")
    assert by_rail.exit_code == 1
    assert "recorder_role: role customs required to record a RELEASE_DECISION" in by_rail.output
    bad_type = tdx(demo_home, "rail", "event", doc, "--station", DOSTYK, "--type", "lunch",
                   "--as", "kz-ktz")  # fmt: skip
    assert bad_type.exit_code == 2


@pytest.mark.parametrize(
    ("text", "report"),
    [
        ("S1=intact", SealReport("S1", "intact")),
        ("S1=BROKEN", SealReport("S1", "broken")),
        ("S1=replaced:S2", SealReport("S1", "replaced", "S2")),
        (
            "S1=replaced:S2:electronic:customs",
            SealReport("S1", "replaced", "S2", "ELECTRONIC", "CUSTOMS"),
        ),
    ],
    ids=["intact", "broken", "replaced", "replaced-typed"],
)
def test_seal_options(text, report):
    assert parse_seal(text) == report


@pytest.mark.parametrize("text", ["S1", "S1=gone", "S1=replaced", "S1=intact:S2"],
                         ids=["no-result", "unknown", "no-new", "new-on-intact"])  # fmt: skip
def test_bad_seal_options_are_usage_errors(text):
    with pytest.raises(typer.Exit) as caught:
        parse_seal(text)
    assert caught.value.exit_code == 2


def test_wagon_option():
    assert parse_move("TRIU8734127=5271034:52003412") == ("TRIU8734127", "5271034", "52003412")


def test_ephyto_export_then_import_gives_the_same_certificate(demo_home, tmp_path):
    issued = ok(demo_home, "issue", "phyto", PHYTO, "--as", "cn-gacc", "--json")
    doc = json.loads(issued.stdout)["documentId"]
    out = tmp_path / "p.xml"
    ok(demo_home, "ephyto", "export", doc, "--out", out, "--sign-as", "cn-gacc")
    text = out.read_text()
    assert "<hub:CertificateStatus>70</hub:CertificateStatus>" in text
    assert "SignatureValue" in text
    # The certificate inside the envelope carries cn-gacc's enveloped XMLDSig.
    envelope, _ = envelope_from_xml(out.read_bytes())
    signer = demo_home.credentials("cn-gacc").document_cert
    assert verify_xml(envelope.content, signer).status == "pass"
    changed = envelope.content.replace(b"500100226000417", b"500100226000418", 1)
    assert verify_xml(changed, signer).status == "fail"
    # --signed-by requires the signature: a changed byte, or another signer, is refused.
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(out.read_bytes().replace(b"500100226000417", b"500100226000418"))
    refused = tdx(demo_home, "ephyto", "import", tampered, "--as", "cn-gacc",
                  "--signed-by", "cn-gacc")  # fmt: skip
    assert refused.exit_code == 1
    assert "xmldsig: not signed by cn-gacc" in refused.output
    other = tdx(demo_home, "ephyto", "import", out, "--as", "cn-gacc", "--signed-by", "kz-customs")
    assert "xmldsig: not signed by kz-customs" in other.output
    # The same certificate: the same digest, so the ledger has it (by this issuer) already.
    again = tdx(demo_home, "ephyto", "import", out, "--as", "cn-gacc", "--json")
    assert again.exit_code == 1
    assert f"document {doc} is already on the ledger" in again.output


def test_ephyto_import_refuses_a_dtd(demo_home, tmp_path):
    bad = tmp_path / "bomb.xml"
    bad.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    result = tdx(demo_home, "ephyto", "import", bad, "--as", "cn-gacc")
    assert result.exit_code == 1
    assert "xml_entities_forbidden" in result.output
    assert ok(demo_home, "ledger", "verify").exit_code == 0


def test_edifact_import_registers_and_export_reports_events(demo_home, tmp_path):
    imported = json.loads(ok(demo_home, "edifact", "import", IFTMIN, "--as", "cn-railway",
                             "--json").stdout)  # fmt: skip
    [only] = imported
    assert only["noteNumber"] == "CQ2604080017"
    doc = only["documentId"]
    to_dostyk(demo_home, doc)
    out = tmp_path / "events.edi"
    ok(demo_home, "edifact", "export", doc, "--out", out)
    text = out.read_text()
    assert "UNH+1+IFTSTA:D:16A:UN'" in text
    assert text.count("CNI+") == 4


def test_edifact_import_of_a_malformed_message_names_the_segment_and_writes_nothing(
    demo_home, tmp_path
):
    broken = tmp_path / "broken.edi"
    broken.write_text(IFTMIN.read_text().replace("UNH+1+IFTMIN", "UNH+1+IFTSTA"))
    result = tdx(demo_home, "edifact", "import", broken, "--as", "cn-railway")
    assert result.exit_code == 1
    assert "UNH" in result.output
    status = tdx(demo_home, "rail", "report", "--json")
    assert json.loads(status.stdout) == {"pairs": []}
