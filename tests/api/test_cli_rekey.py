"""`tdx identity rekey`: a new passphrase or scrypt cost for key files, nothing else."""

import json
import os
import stat

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from typer.testing import CliRunner

from api.cli import app
from identity import keys
from identity.key_encryption import ScryptKdf
from network.demo_network import DEMO_PASSPHRASE

runner = CliRunner()
DEMO = DEMO_PASSPHRASE.encode()


def tdx(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def public(path, passphrase):
    key = keys.load_signing_key(path, passphrase).public_key()
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def test_a_key_file_under_a_new_passphrase_is_the_same_key(demo_home):
    path = demo_home.path / "orgs" / "cn-gacc" / "document.key"
    before = public(path, DEMO)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    env = {"TDX_PASSPHRASE": DEMO_PASSPHRASE, "TDX_NEW_PASSPHRASE": "a much better one"}
    result = tdx("identity", "rekey", path, "--json", env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == [str(path)]
    assert public(path, b"a much better one") == before
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    wrong = tdx("identity", "rekey", path, env=env)  # the old passphrase no longer opens it
    assert wrong.exit_code == 1
    assert "wrong passphrase" in wrong.stderr


def test_a_wrong_current_passphrase_changes_no_file(demo_home):
    paths = [demo_home.path / "orgs" / o / "ledger.key" for o in ("cn-gacc", "sg-psa")]
    before = [p.read_bytes() for p in paths]
    env = {"TDX_PASSPHRASE": "wrong", "TDX_NEW_PASSPHRASE": "new one"}
    result = tdx("identity", "rekey", *paths, env=env)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "wrong passphrase" in result.stderr
    assert [p.read_bytes() for p in paths] == before


def test_all_keys_of_a_demo_home_change_cost_and_keep_the_demo_passphrase(demo_home):
    result = tdx(
        "identity", "rekey", "--all", "--scrypt-p", "6", "--home", demo_home.path, "--json"
    )
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["files"]
    assert len(files) == 1 + 1 + 4 + 2 * 19  # checkpoint, operator, 4 roots, 2 per org
    for name in (files[0], files[-1]):
        encryption = keys.encryption_of(demo_home.path / name)
        assert encryption.kdf == ScryptKdf(p=6)
    # The home still works: its keys open with the demo passphrase.
    token = tdx("token", "--as", "cn-gacc", "--home", demo_home.path)
    assert token.exit_code == 0, token.output


def test_weak_or_contradictory_options_are_usage_errors(demo_home):
    path = demo_home.path / "checkpoint.key"
    before = path.read_bytes()
    weak = tdx("identity", "rekey", path, "--scrypt-n", "1024", "--scrypt-p", "1")
    assert weak.exit_code == 2
    assert "below the minimum" in weak.stderr
    both = tdx("identity", "rekey", path, "--all", "--home", demo_home.path)
    assert both.exit_code == 2
    missing = tdx("identity", "rekey", demo_home.path / "nope.key")
    assert missing.exit_code == 2
    assert "no key file at" in missing.stderr
    assert path.read_bytes() == before
