"""The ledger commands in the exact forms of the issue, end to end on one home."""

import datetime
import json
import sqlite3

from typer.testing import CliRunner

from api.cli import app
from tests.conftest import EXAMPLES

runner = CliRunner()


def tdx(*args):
    return runner.invoke(app, [str(a) for a in args])


def ok(*args):
    result = tdx(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def test_the_ebl_journey_and_an_offline_proof(demo_home, tmp_path):
    h = ("--home", demo_home.path)
    issued = ok("issue", "ebl", EXAMPLES / "ebl_cnsha_sgsin.json", "--as", "cn-cosco", *h, "--json")
    ebl = issued["documentId"]
    assert issued["documents"][0]["holder"] == "cn-exporter"
    ok("ebl", "endorse", ebl, "--to", "cn-boc", "--as", "cn-exporter", *h)
    ok("ebl", "endorse", ebl, "--to", "sg-importer", "--as", "cn-boc", *h)

    refused = tdx("ebl", "transfer", ebl, "--to", "cn-boc", "--as", "cn-exporter", *h)
    assert refused.exit_code == 1
    assert "refused (conflict): not the current possessor (possessor: sg-importer" in refused.stderr

    ok("ebl", "surrender", ebl, "--for", "delivery", "--as", "sg-importer", *h)
    ok("ebl", "accept", ebl, "--as", "cn-cosco", *h)
    expires = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)).isoformat()
    ok(
        "ebl",
        "release",
        ebl,
        "--containers",
        "CXRU1523418,CXRU1608726",
        "--to",
        "sg-importer",
        "--expires",
        expires,
        "--as",
        "cn-cosco",
        *h,
    )
    ok(
        "ebl",
        "delegate",
        ebl,
        "--container",
        "CXRU1523418",
        "--to",
        "sg-haulier",
        "--as",
        "sg-importer",
        *h,
    )

    gate = tdx(
        "ebl", "pickup", "--container", "CXRU1523418", "--for", "sg-haulier", "--as", "sg-psa", *h
    )
    assert gate.exit_code == 0
    assert "RELEASED: CXRU1523418" in gate.stdout
    again = tdx("ebl", "pickup", "--container", "CXRU1523418", "--as", "sg-psa", *h, "--json")
    assert again.exit_code == 1
    assert json.loads(again.stdout)["reason"].startswith("container CXRU1523418 already picked up")

    status = ok("status", ebl, *h, "--json")
    assert (status["state"], status["holder"], status["historyLength"]) == (
        "SURRENDERED_FOR_DELIVERY",
        "cn-cosco",
        8,
    )
    trace = ok("trace", ebl, *h, "--json")
    assert [e["op"] for e in trace] == [
        "ISSUE",
        "ENDORSE",
        "ENDORSE",
        "SURRENDER",
        "SACC",
        "RELEASE",
        "DELEGATE",
        "PICKUP",
    ]

    cp_file = tmp_path / "checkpoint.txt"
    cp_file.write_text(ok("ledger", "checkpoint", *h))
    key = ok("ledger", "checkpoint", *h, "--json")["key"]
    proof_file = tmp_path / "proof.json"
    ok("ledger", "prove", ebl, "--out", proof_file, *h)
    checked = ok("proof", "check", proof_file, "--checkpoint", cp_file, "--key", key, "--json")
    assert checked["ok"] is True
    # The checkpoint, the trust list, then each of the 8 entries: included and signed, its
    # signer's chain at the transaction's time, its revocation.
    assert [c["name"] for c in checked["checks"][:5]] == [
        "checkpoint",
        "trust-list",
        "entry",
        "chain",
        "revocation",
    ]
    assert len(checked["checks"]) == 2 + 8 * 3

    verified = ok("ledger", "verify", *h, "--json")
    assert (verified["ok"], verified["entries"]) == (True, 8)


def test_certificates_amend_revoke_and_a_tampered_log(demo_home):
    h = ("--home", demo_home.path)
    co = ok("issue", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc", *h, "--json")
    doc = json.loads((EXAMPLES / "co_cn_sg.json").read_text())
    doc["invoice"]["number"] = doc["invoice"]["number"] + "-R1"
    amended_file = demo_home.path.parent / "co_amended.json"
    amended_file.write_text(json.dumps(doc))
    no_reason = tdx("amend", co["documentId"], amended_file, "--as", "cn-gacc", *h)
    assert no_reason.exit_code == 2  # --reason is required
    amended = ok(
        "amend",
        co["documentId"],
        amended_file,
        "--as",
        "cn-gacc",
        "--reason",
        "invoice number corrected",
        *h,
        "--json",
    )
    assert ok("status", co["documentId"], *h, "--json")["supersededBy"] == amended["documentId"]
    wrong = tdx("revoke", amended["documentId"], "--as", "cn-cosco", "--reason", "x", *h)
    assert wrong.exit_code == 1
    assert "only its issuer of record (cn-gacc) revokes document" in wrong.stderr
    ok("revoke", amended["documentId"], "--as", "cn-gacc", "--reason", "goods not shipped", *h)

    db = sqlite3.connect(demo_home.path / "ledger.db")
    leaf = db.execute("SELECT leaf FROM entries WHERE idx = 0").fetchone()[0]
    db.execute("UPDATE entries SET leaf = ? WHERE idx = 0", (leaf.replace(b"CN", b"SG", 1),))
    db.commit()
    db.close()
    result = tdx("ledger", "verify", *h)
    assert result.exit_code == 1
    assert "FAIL entry 0:" in result.stdout
