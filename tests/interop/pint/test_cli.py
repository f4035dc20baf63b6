"""tdx dcsa import / export and tdx pint send / resume, on a demo node that is the AEOT
platform, to an SGTD platform served on loopback."""

import hashlib
import json

from typer.testing import CliRunner

from api.cli import app
from chaincode.canonical import canonical_bytes, parse_json
from interop.pint import LocalControl
from interop.pint.checksums import td_checksum_of
from interop.pint.config import public_key_pem
from network.examples import EBL, read
from tests.interop.pint.crafting import payload_of

runner = CliRunner()


def tdx(*args):
    return runner.invoke(app, [str(a) for a in args])


def _import(home, tmp_path):
    source = tmp_path / "bl.json"
    source.write_bytes(read(EBL))
    result = tdx("dcsa", "import", source, "--as", "cn-cosco", "--home", home.path, "--json")
    assert result.exit_code == 0, result.output
    return source, json.loads(result.stdout)["documentId"]


def test_import_then_export_round_trips_unchanged(demo_home, tmp_path):
    source, doc_id = _import(demo_home, tmp_path)
    canonical = tdx("dcsa", "export", doc_id, "--canonical", "--home", demo_home.path)
    assert canonical.exit_code == 0, canonical.output
    assert canonical.stdout_bytes == canonical_bytes(parse_json(source.read_bytes()))
    pretty = tmp_path / "out.json"
    assert tdx("dcsa", "export", doc_id, "--out", pretty, "--home", demo_home.path).exit_code == 0
    assert canonical_bytes(parse_json(pretty.read_bytes())) == canonical.stdout_bytes
    assert "sha256:" + hashlib.sha256(canonical.stdout_bytes).hexdigest() == doc_id


def test_import_refuses_a_document_naming_the_rule(demo_home, tmp_path):
    bad = json.loads(read(EBL))
    bad["transportDocumentTypeCode"] = "SWB"  # a sea waybill cannot be to order
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(bad))
    result = tdx("dcsa", "import", source, "--as", "cn-cosco", "--home", demo_home.path)
    assert result.exit_code == 1
    assert "swb_not_to_order" in result.output


def test_export_of_something_else_is_refused(demo_home):
    missing = tdx("dcsa", "export", "sha256:" + "0" * 64, "--home", demo_home.path)
    assert missing.exit_code == 1
    assert "not on the ledger" in missing.output


def _configure(home, sgtd, platform_keys):
    (home.path / "pint.json").write_text(
        json.dumps(
            {
                "platform": "AEOT",
                "signer": "cn-cosco",
                "peers": [
                    {
                        "platform": "SGTD",
                        "url": sgtd.url,
                        "keys": [public_key_pem(platform_keys["SGTD"].public_key())],
                    }
                ],
            }
        )
    )


def test_pint_send_transfers_the_ebl_once(net, demo_home, platform_keys, tmp_path):
    sgtd = net["SGTD"]
    _configure(demo_home, sgtd, platform_keys)
    _, doc_id = _import(demo_home, tmp_path)
    # Locally, the exporter (the first holder) passes it to its bank, which sends it on.
    moved = tdx(
        "ebl", "transfer", doc_id, "--to", "cn-boc", "--as", "cn-exporter", "--home", demo_home.path
    )
    assert moved.exit_code == 0, moved.output
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.7 invoice")

    args = (
        "pint",
        "send",
        doc_id,
        "--to",
        sgtd.url,
        "--recipient",
        "sg-importer",
        "--home",
        demo_home.path,
    )
    wrong = tdx(*args, "--as", "cn-exporter")
    assert wrong.exit_code == 1
    assert "is not the possessor (Bank of China Limited" in wrong.output

    sent = tdx(*args, "--as", "cn-boc", "--document", invoice, "--json")
    assert sent.exit_code == 0, sent.output
    outcome = json.loads(sent.stdout)
    assert (outcome["responseCode"], outcome["state"]) == ("RECE", "transferred")
    checksum = td_checksum_of(doc_id)
    held = sgtd.ledger.get(checksum)
    assert (held.control, held.holder) == (LocalControl.HELD, "sg-importer")
    # The chain carries the local history: ISSUE, the local TRANSFER, then the one out.
    entry = sgtd.store.chain(checksum)[0]
    codes = [t["actionCode"] for t in payload_of(entry)["transactions"]]
    assert codes == ["ISSUE", "TRANSFER", "TRANSFER"]
    assert sgtd.store.document(hashlib.sha256(b"%PDF-1.7 invoice").hexdigest())

    again = tdx(*args, "--as", "cn-boc")
    assert again.exit_code == 1
    assert "lives on PINT platform SGTD" in again.output
    # Nor can anything else be done with it here: control lives on SGTD.
    local = tdx(
        "ebl", "transfer", doc_id, "--to", "cn-exporter", "--as", "cn-boc", "--home", demo_home.path
    )
    assert local.exit_code == 1
    assert "lives on PINT platform SGTD" in local.output
    assert sgtd.store.count_accepted(checksum) == 1

    unknown = tdx(
        "pint",
        "send",
        doc_id,
        "--to",
        "http://127.0.0.1:9",
        "--recipient",
        "x",
        "--as",
        "cn-boc",
        "--home",
        demo_home.path,
    )
    assert unknown.exit_code == 1
    assert "not a configured PINT peer" in unknown.output


def test_pint_without_settings_says_where_they_go(demo_home, tmp_path):
    _, doc_id = _import(demo_home, tmp_path)
    result = tdx(
        "pint",
        "send",
        doc_id,
        "--to",
        "http://x",
        "--recipient",
        "y",
        "--as",
        "cn-exporter",
        "--home",
        demo_home.path,
    )
    assert result.exit_code == 1
    assert "no PINT settings at" in result.output
