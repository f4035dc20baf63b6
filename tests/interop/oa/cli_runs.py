"""Running ``tdx`` in process for the OA tests that drive the command line."""

import json

from click.testing import Result
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


def tdx(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def ok_json(*args: object) -> dict:
    """``tdx ARGS --json``'s answer; the command must succeed."""
    done = tdx(*args, "--json")
    assert done.exit_code == 0, done.output
    answer: dict = json.loads(done.stdout)
    return answer
