"""Standalone proof bundles: `tdx ledger prove` then `tdx proof check` with no node, no home."""

import base64
import datetime
import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import EXAMPLES

runner = CliRunner()


def tdx(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


@pytest.fixture
def bundle(demo_home, tmp_path):
    """A CO issued then revoked (two entries), proved into a file."""
    h = ("--home", demo_home.path)
    issued = tdx("issue", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc", *h, "--json")
    assert issued.exit_code == 0, issued.output
    doc = json.loads(issued.stdout)["documentId"]
    revoked = tdx("revoke", doc, "--as", "cn-gacc", "--reason", "not shipped", *h)
    assert revoked.exit_code == 0, revoked.output
    path = tmp_path / "proof.json"
    proved = tdx("ledger", "prove", doc, "--out", path, *h)
    assert proved.exit_code == 0, proved.output
    return path


def check(path, *options):
    """`tdx proof check --json` where no home exists at all."""
    result = tdx("proof", "check", path, *options, "--json", env={"TDX_HOME": "/nonexistent"})
    assert result.exit_code in (0, 1), result.output
    body = json.loads(result.stdout)
    assert body["ok"] is (result.exit_code == 0)
    return body


def failed(body):
    return [(c["name"], c["reason"]) for c in body["checks"] if c["status"] == "fail"]


def edit(path, change):
    proof = json.loads(path.read_text())
    change(proof)
    path.write_text(json.dumps(proof))


def test_a_bundle_checks_with_nothing_else(bundle):
    proof = json.loads(bundle.read_text())
    assert {"checkpointKey", "trust", "certificates"} <= proof.keys()
    assert set(proof["trust"]["revocationLists"]) == {"CN"}  # only the signers' countries
    body = check(bundle)
    assert body["ok"], failed(body)
    names = [c["name"] for c in body["checks"]]
    assert names == ["checkpoint", "trust-list"] + ["entry", "chain", "revocation"] * 2
    chain = body["checks"][3]["reason"]
    assert "chains to the CN root on the trust list at" in chain
    assert "the bundle's own key" in body["checks"][0]["reason"]


def test_an_altered_trust_list_signature_fails_and_names_the_check(bundle):
    def alter(proof):
        head, payload, sig = proof["trust"]["trustList"].split(".")
        raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
        raw[5] ^= 1
        changed = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
        proof["trust"]["trustList"] = f"{head}.{payload}.{changed}"

    edit(bundle, alter)
    body = check(bundle)
    assert not body["ok"]
    assert failed(body)[0][0] == "trust-list"
    assert "signature" in failed(body)[0][1]
    # The signers could not be judged without a trusted list: not a pass.
    statuses = {c["status"] for c in body["checks"] if c["name"] in ("chain", "revocation")}
    assert statuses == {"not_checked"}


def test_a_revocation_list_not_signed_by_its_root_fails(bundle, demo_home):
    other = (demo_home.path / "crl" / "SG.crl").read_text()
    edit(bundle, lambda proof: proof["trust"]["revocationLists"].update(CN=other))
    body = check(bundle)
    assert failed(body)[0] == (
        "trust-list",
        "trust list: revocation list of CN: the revocation list for CN names another issuer",
    )


def test_a_signer_revoked_before_the_transaction_fails_revocation(demo_home, bundle, tmp_path):
    proof = json.loads(bundle.read_text())
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    assert (
        tdx("identity", "revoke", "cn-gacc", "--at", before, "--home", demo_home.path).exit_code
        == 0
    )
    again = tmp_path / "again.json"
    assert (
        tdx(
            "ledger", "prove", proof["document"], "--out", again, "--home", demo_home.path
        ).exit_code
        == 0
    )
    body = check(again)
    revocations = [c for c in body["checks"] if c["name"] == "revocation"]
    assert [c["status"] for c in revocations] == ["fail", "fail"]
    assert "certificate revoked at" in revocations[0]["reason"]
    assert "before the transaction at" in revocations[0]["reason"]


def test_pinned_keys_refuse_a_bundle_under_other_keys(bundle, demo_home, tmp_path):
    config = json.loads((demo_home.path / "tdx.json").read_text())
    operator = tmp_path / "operator.pem"
    operator.write_text(config["operatorPublicKey"])
    pinned = check(bundle, "--key", config["checkpointKey"], "--operator-key", operator)
    assert pinned["ok"], failed(pinned)
    assert "the key you gave" in pinned["checks"][0]["reason"]
    assert "the operator key you gave" in pinned["checks"][1]["reason"]

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()
    operator.write_bytes(
        stranger.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    body = check(bundle, "--operator-key", operator)
    assert failed(body)[0][0] == "trust-list"
    assert "not the operator key you gave" in failed(body)[0][1]

    other_key = config["checkpointKey"].replace("+", "x+", 1)
    body = check(bundle, "--key", other_key)
    assert failed(body) == [
        ("checkpoint", "checkpoint: the bundle's checkpoint key is not the key you gave (--key)")
    ]


def test_a_proof_file_that_is_missing_or_not_json_is_one_line(tmp_path):
    missing = tdx("proof", "check", tmp_path / "nope.json")
    assert missing.exit_code == 2
    assert missing.stderr.strip().count("\n") == 0
    assert "no such file" in missing.stderr
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    bad = tdx("proof", "check", junk)
    assert bad.exit_code == 1
    assert bad.stderr.startswith("tdx: error: the proof bundle:")
    assert "is not JSON" in bad.stderr
