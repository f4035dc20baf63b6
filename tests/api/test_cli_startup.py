"""`tdx --help` starts fast: it imports neither the node nor web3, FastAPI or the document
models (pydantic itself is Typer's: it parses the options).

Time under a shared machine is noisy, so the test checks what was imported (the cause of a
slow start), not a wall-clock figure; README's figure comes from farm-bench.
"""

import importlib
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.cli.main import DEFERRED

runner = CliRunner()
HEAVY = (
    "web3",
    "eth_account",
    "fastapi",
    "uvicorn",
    "httpx",
    "cryptography.x509",
    "network.node",
    "network.evm",
    "network.bench",
    "chaincode.documents.registry",
    "interop",
)

PROBE = """
import json, sys
from api.cli import app
try:
    app(sys.argv[1:], prog_name="tdx", standalone_mode=False)
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] if m.split(".")[0] in %r else m for m in sys.modules
                if m.startswith(%r)})
print(json.dumps(heavy))
"""


def _imported_by(*args):
    top = tuple(h for h in HEAVY if "." not in h)
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (top, HEAVY), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [("--help",), ("--version",), ("status", "--help"), ("proof", "check", "--help")],
    ids=["help", "version", "status-help", "proof-check-help"],
)
def test_help_and_version_import_nothing_heavy(args):
    assert _imported_by(*args) == []


def test_a_deferred_group_is_imported_when_it_runs():
    assert "network.bench" in " ".join(_imported_by("bench", "--help"))


@pytest.mark.parametrize("name", sorted(DEFERRED), ids=str)
def test_each_deferred_group_lists_the_modules_own_help_and_runs(name):
    module, help_text = DEFERRED[name]
    assert importlib.import_module(module).app.info.help == help_text
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "--install-completion" not in result.stdout
    listed = runner.invoke(app, ["--help"])
    assert name in listed.stdout


def test_a_group_of_one_command_is_still_a_group():
    """`evm` has one command; Typer would make the app that command itself."""
    result = runner.invoke(app, ["evm", "deploy", "--help"])
    assert result.exit_code == 0, result.output
    assert "--rpc" in result.stdout
