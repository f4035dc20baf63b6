"""A newcomer's first mistakes: one line that says what is wrong and how to fix it, and the
exit code the README documents (1: refused or invalid, 2: usage)."""

import json
import shutil
import sys

import pytest
from typer.testing import CliRunner

from api.cli import app, main
from tests.conftest import EXAMPLES

runner = CliRunner()
DOC = "sha256:" + "ab" * 32

# Commands that need a home, one of each group.
NEEDS_A_HOME = [
    ("identity", "list"),
    ("identity", "revoke", "cn-gacc"),
    ("status", DOC),
    ("trace", DOC),
    ("ledger", "checkpoint"),
    ("ledger", "verify"),
    ("issue", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc"),
    ("ebl", "held", "cn-exporter"),
    ("verify", EXAMPLES / "co_cn_sg.json"),
    ("token", "--as", "cn-gacc"),
    ("doc", "sign", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc"),
]


def tdx(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def one_line(result, code):
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tdx: error: ")
    return lines[0]


@pytest.mark.parametrize("args", NEEDS_A_HOME, ids=lambda a: "-".join(map(str, a[:2])))
def test_no_home_is_one_line_naming_tdx_init(args, tmp_path):
    missing = tmp_path / "nonexistent"
    line = one_line(tdx(*args, env={"TDX_HOME": str(missing)}), 1)
    assert f"no tdx home at {missing}" in line
    assert "tdx init --demo" in line
    assert not missing.exists()  # nothing was created


def test_a_half_made_home_names_what_is_missing(demo_home):
    shutil.rmtree(demo_home.path / "orgs")
    (demo_home.path / "trust-list.jws").unlink()
    for args in (("identity", "list"), ("status", DOC), ("token", "--as", "cn-gacc")):
        line = one_line(tdx(*args, "--home", demo_home.path), 1)
        assert "is incomplete (missing: trust-list.jws, orgs/)" in line, line
        assert "tdx init --demo --home DIR" in line


def test_a_home_whose_config_is_not_json(demo_home):
    (demo_home.path / "tdx.json").write_text("{")
    line = one_line(tdx("identity", "list", "--home", demo_home.path), 1)
    assert "tdx.json is not valid JSON" in line


def test_a_wrong_passphrase_is_one_line(demo_home):
    config = json.loads((demo_home.path / "tdx.json").read_text())
    (demo_home.path / "tdx.json").write_text(json.dumps(config | {"demo": False}))
    env = {"TDX_PASSPHRASE": "not-the-passphrase"}
    for args in (
        ("token", "--as", "cn-gacc"),
        ("issue", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc"),
    ):
        line = one_line(tdx(*args, "--home", demo_home.path, env=env), 1)
        assert line.endswith("wrong passphrase")
        assert "cannot decrypt" in line


def test_an_unknown_organisation_lists_the_known_ones(demo_home):
    line = one_line(tdx("token", "--as", "cn-nobody", "--home", demo_home.path), 1)
    assert "unknown organisation 'cn-nobody' (known: cn-boc," in line


def test_a_malformed_id_is_a_usage_error_naming_the_form(demo_home):
    result = tdx("status", "sha256:zzz", "--home", demo_home.path)
    assert result.exit_code == 2
    # Rich frames the message in the test runner (the entry point prints it on one line,
    # below): compare it unframed.
    flat = " ".join(result.stderr.replace("│", " ").split())
    assert "expected sha256: followed by 64 lower-case hex digits" in flat
    # A well-formed id that is not there is an answer, not a usage error.
    absent = one_line(tdx("status", DOC, "--home", demo_home.path), 1)
    assert "is not on the ledger" in absent


def test_a_file_that_is_not_the_document_it_should_be(demo_home, tmp_path):
    junk = tmp_path / "co.json"
    junk.write_text("not json")
    line = one_line(tdx("issue", "co", junk, "--as", "cn-gacc", "--home", demo_home.path), 1)
    assert "invalid co" in line
    assert "not valid JSON" in line


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["status", "sha256:zzz"], "Invalid value for ID: 'sha256:zzz' is not a document id"),
        (["doc", "validate", "co", "/nonexistent/co.json"], "does not exist"),
        (["no-such-command"], "No such command 'no-such-command'"),
        (["status", DOC, "--bogus"], "No such option: --bogus"),
    ],
    ids=["bad-id", "missing-file", "unknown-command", "unknown-option"],
)
def test_usage_errors_from_the_real_entry_point_are_one_line(argv, expected, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["tdx", *argv])
    monkeypatch.setenv("TDX_HOME", "/nonexistent")
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("tdx: error: ")
    assert expected in lines[0]
    assert lines[0].endswith("--help)")


def test_the_entry_point_exits_with_the_commands_status(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["tdx", "--version"])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith("tdx ")
    monkeypatch.setattr(sys, "argv", ["tdx", "identity", "list"])
    monkeypatch.setenv("TDX_HOME", "/nonexistent")
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 1
