"""The tdx commands, in the exact forms the issue and the README give."""

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from network.demo_network import ORGANISATIONS
from tests.conftest import EXAMPLES

runner = CliRunner()
KINDS = {
    "co": "co_cn_sg.json",
    "ebl": "ebl_cnsha_sgsin.json",
    "phyto": "phyto_cn_kz_apples.json",
    "rail": "rail_chongqing_almaty.json",
}


def tdx(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def test_version_is_the_installed_package_version():
    result = tdx("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"tdx {metadata.version('tdx')}"


def test_init_then_init_again_says_so(tmp_path):
    home = tmp_path / "h"
    first = tdx("init", "--demo", "--home", home, "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {
        "home": str(home),
        "created": True,
        "organisations": len(ORGANISATIONS),
    }
    second = tdx("init", "--demo", "--home", home)
    assert second.exit_code == 0
    assert "already exists" in second.stdout


def test_init_uses_tdx_home(tmp_path):
    result = tdx("init", "--demo", env={"TDX_HOME": str(tmp_path / "env-home")})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env-home" / "tdx.json").is_file()


def test_identity_list_json_fields(demo_home):
    result = tdx("identity", "list", "--home", demo_home.path, "--json")
    assert result.exit_code == 0
    orgs = {o["id"]: o for o in json.loads(result.stdout)}
    assert orgs["sg-customs"] == {
        "id": "sg-customs",
        "name": "Singapore Customs",
        "country": "SG",
        "roles": ["customs"],
    }
    assert orgs["cn-gacc"]["roles"] == ["co_issuer", "customs", "quarantine"]


@pytest.mark.parametrize("kind", KINDS)
def test_validate_and_digest_examples(kind):
    result = tdx("doc", "validate", kind, EXAMPLES / KINDS[kind], "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["valid"] is True
    digest = tdx("doc", "digest", kind, EXAMPLES / KINDS[kind])
    assert digest.stdout.strip() == body["digest"]
    assert digest.stdout.startswith("sha256:")
    assert len(digest.stdout.strip()) == 71


def test_validate_reports_every_error_with_path_and_rule(tmp_path):
    doc = json.loads((EXAMPLES / KINDS["ebl"]).read_text())
    doc["utilizedTransportEquipments"][0]["equipment"]["equipmentReference"] = "HLXU1234567"
    doc["transportDocumentTypeCode"] = "XXX"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = tdx("doc", "validate", "ebl", bad, "--json")
    assert result.exit_code == 1
    errors = {(e["path"], e["rule"]) for e in json.loads(result.stdout)["errors"]}
    assert (
        "$.utilizedTransportEquipments[0].equipment.equipmentReference",
        "iso6346_check_digit",
    ) in errors
    assert ("$.transportDocumentTypeCode", "allowed_values") in errors
    text = tdx("doc", "validate", "ebl", bad)
    assert text.exit_code == 1
    assert "iso6346_check_digit" in text.stderr


def test_usage_errors_exit_2(tmp_path, demo_home):
    assert tdx("doc", "validate", "visa", EXAMPLES / KINDS["co"]).exit_code == 2
    assert tdx("verify", tmp_path / "missing.json", "--home", demo_home.path).exit_code == 2
    assert tdx("init").exit_code == 2


def test_issue_then_verify_then_tamper(tmp_path, demo_home):
    signed = tmp_path / "co.signed.json"
    home = ("--home", demo_home.path)
    result = tdx("issue", "co", EXAMPLES / KINDS["co"], "--as", "cn-gacc", "--out", signed, *home)
    assert result.exit_code == 0, result.output
    ok = tdx("verify", signed, *home, "--json")
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["valid"] is True
    assert [c["name"] for c in report["checks"]] == [
        "format",
        "signature",
        "integrity",
        "document",
        "chain",
        "role-for-type",
        "revocation",
        "anchored",
        "status",
        "inclusion",
    ]
    # The file tdx issue wrote is the bytes the node verified at issue: relied on, and said;
    # --full recomputes the signature.
    assert "verified by this node at issue" in report["checks"][1]["reason"]
    full = tdx("verify", signed, *home, "--json", "--full")
    assert full.exit_code == 0, full.output
    assert "at issue" not in json.loads(full.stdout)["checks"][1]["reason"]
    envelope = json.loads(signed.read_text())
    envelope["document"]["certificateNumber"] += "X"
    signed.write_text(json.dumps(envelope))
    bad = tdx("verify", signed, *home)
    assert bad.exit_code == 1
    assert "FAIL  integrity" in bad.stdout


def test_signed_but_not_anchored_fails_the_anchored_check(tmp_path, demo_home):
    signed = tmp_path / "co.signed.json"
    home = ("--home", demo_home.path)
    tdx("doc", "sign", "co", EXAMPLES / KINDS["co"], "--as", "cn-gacc", "--out", signed, *home)
    result = tdx("verify", signed, *home, "--json")
    assert result.exit_code == 1
    failed = [c["name"] for c in json.loads(result.stdout)["checks"] if c["status"] == "fail"]
    assert failed == ["anchored"]


def test_sign_with_an_unknown_org_is_one_clear_line(demo_home):
    result = tdx(
        "doc", "sign", "co", EXAMPLES / KINDS["co"], "--as", "cn-nobody", "--home", demo_home.path
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("tdx: error: unknown organisation 'cn-nobody'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_revoked_organisation_can_neither_anchor_nor_pass_verification(tmp_path, demo_home):
    signed = tmp_path / "late.json"
    home = ("--home", demo_home.path)
    revoke = tdx("identity", "revoke", "cn-ccpit", "--at", "2026-01-01T00:00:00Z", *home)
    assert revoke.exit_code == 0
    refused = tdx("issue", "co", EXAMPLES / KINDS["co"], "--as", "cn-ccpit", *home)
    assert refused.exit_code == 1
    assert "refused (forbidden): cn-ccpit: certificate revoked" in refused.stderr
    tdx("doc", "sign", "co", EXAMPLES / KINDS["co"], "--as", "cn-ccpit", "--out", signed, *home)
    result = tdx("verify", signed, *home, "--json")
    assert result.exit_code == 1
    failed = [c["name"] for c in json.loads(result.stdout)["checks"] if c["status"] == "fail"]
    assert failed == ["revocation", "anchored"]


def test_demo_json_runs_every_step(tmp_path):
    result = tdx("demo", "--home", tmp_path / "demo-home", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["ok"] is True
    assert all(step["ok"] for step in body["steps"])
    assert len(body["steps"]) >= 8


def test_console_script_exit_codes(tmp_path):
    exe = str(Path(sys.executable).parent / "tdx")  # installed by `make test` into .venv

    def run(*args):
        return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=60)

    assert run("doc", "validate", "co", EXAMPLES / KINDS["co"]).returncode == 0
    missing = run("verify", tmp_path / "nope.json", "--home", tmp_path)
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
