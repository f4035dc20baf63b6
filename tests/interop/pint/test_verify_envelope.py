"""tdx verify and POST /v1/verify read a PINT envelope: its own checks (BSIG, BENV) with the
node's platform keys, then the transport document as the eBL tdx signed and anchored."""

import json

from typer.testing import CliRunner

from api.cli import app
from interop.pint.config import public_key_pem
from network.examples import EBL, read
from tests.interop.pint.crafting import draft
from tests.interop.pint.platforms import example_td

runner = CliRunner()


def tdx(*args):
    return runner.invoke(app, [str(a) for a in args])


def _statuses(result) -> dict[str, str]:
    return {c["name"]: c["status"] for c in json.loads(result.stdout)["checks"]}


def test_a_pint_envelope_is_verified_as_the_ebl_it_carries(net, demo_home, platform_keys, tmp_path):
    home = ("--home", demo_home.path)
    aeot, sgtd = net.build("AEOT", served=False), net.build("SGTD", served=False)
    source = tmp_path / "bl.json"
    source.write_bytes(read(EBL))
    imported = tdx("dcsa", "import", source, "--as", "cn-cosco", *home, "--json")
    assert imported.exit_code == 0, imported.output
    td = json.loads(read(EBL))
    envelope = tmp_path / "envelope.json"

    # Not a PINT platform yet: the envelope's signatures cannot be judged here.
    envelope.write_text(json.dumps(draft(aeot, sgtd, td).body()))
    unknown = tdx("verify", envelope, "--json", *home)
    assert unknown.exit_code == 1
    assert _statuses(unknown)["pint-envelope"] == "fail"

    peer = {"platform": "SGTD", "url": "http://127.0.0.1:9",
            "keys": [public_key_pem(platform_keys["SGTD"].public_key())]}  # fmt: skip
    (demo_home.path / "pint.json").write_text(
        json.dumps({"platform": "AEOT", "signer": "cn-cosco", "peers": [peer]})
    )
    valid = tdx("verify", envelope, "--json", *home)
    assert valid.exit_code == 0, valid.output
    statuses = _statuses(valid)
    assert statuses["pint-envelope"] == statuses["signature"] == statuses["status"] == "pass"
    assert json.loads(valid.stdout)["facts"]["issuer"] == "cn-cosco"

    # A chain entry signed by a key the node does not know: BSIG.
    forged = draft(aeot, sgtd, td)
    forged.signers = [net.keys["IQAX"]]
    envelope.write_text(json.dumps(forged.body()))
    bad = tdx("verify", envelope, "--json", *home)
    assert bad.exit_code == 1
    reason = next(c["reason"] for c in json.loads(bad.stdout)["checks"]
                  if c["name"] == "pint-envelope")  # fmt: skip
    assert reason.startswith("chain-signatures: BSIG") or "BSIG" in reason, reason

    # A transport document this node never signed: no tdx signature to judge.
    other = example_td("OTHER-REF-1")
    envelope.write_text(json.dumps(draft(aeot, sgtd, other).body()))
    foreign = tdx("verify", envelope, "--json", *home)
    assert foreign.exit_code == 1
    statuses = _statuses(foreign)
    assert (statuses["pint-envelope"], statuses["signature"]) == ("pass", "fail")
