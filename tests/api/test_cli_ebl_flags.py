"""The eBL flags the rules take: `ebl release --terminal/--country`, `--carrier`."""

import datetime
import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import EXAMPLES

runner = CliRunner()
EXPIRES = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)).isoformat()


def tdx(home, *args):
    return runner.invoke(app, [str(a) for a in args] + ["--home", str(home.path)])


def ok(home, *args):
    result = tdx(home, *args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def surrendered(demo_home):
    """An eBL surrendered for delivery and accepted by its carrier, cn-cosco."""
    issued = ok(
        demo_home, "issue", "ebl", EXAMPLES / "ebl_cnsha_sgsin.json", "--as", "cn-cosco", "--json"
    )
    ebl = json.loads(issued.stdout)["documentId"]
    ok(demo_home, "ebl", "transfer", ebl, "--to", "sg-importer", "--as", "cn-exporter")
    ok(demo_home, "ebl", "surrender", ebl, "--for", "delivery", "--as", "sg-importer")
    ok(demo_home, "ebl", "accept", ebl, "--as", "cn-cosco", "--carrier", "cn-cosco")
    return demo_home, ebl


def release(home, ebl, container, *flags):
    return tdx(
        home,
        "ebl",
        "release",
        ebl,
        "--containers",
        container,
        "--to",
        "sg-importer",
        "--expires",
        EXPIRES,
        "--as",
        "cn-cosco",
        *flags,
    )


def pickup(home, container, terminal):
    return tdx(
        home,
        "ebl",
        "pickup",
        "--container",
        container,
        "--for",
        "sg-importer",
        "--as",
        terminal,
        "--json",
    )


def test_release_to_one_named_terminal(surrendered):
    home, ebl = surrendered
    assert release(home, ebl, "CXRU1523418", "--terminal", "kz-dostyk-terminal").exit_code == 0
    elsewhere = pickup(home, "CXRU1523418", "sg-psa")
    assert elsewhere.exit_code == 1
    assert "kz-dostyk-terminal" in json.loads(elsewhere.stdout)["reason"]
    assert pickup(home, "CXRU1523418", "kz-dostyk-terminal").exit_code == 0


def test_release_to_any_terminal_of_a_country(surrendered):
    home, ebl = surrendered
    assert release(home, ebl, "CXRU1608726", "--country", "KZ").exit_code == 0
    refused = pickup(home, "CXRU1608726", "sg-psa")
    assert refused.exit_code == 1
    assert "KZ" in json.loads(refused.stdout)["reason"]
    assert pickup(home, "CXRU1608726", "kz-dostyk-terminal").exit_code == 0


def test_a_terminal_and_a_country_together_is_a_usage_error(surrendered):
    home, ebl = surrendered
    both = release(home, ebl, "CXRU1523418", "--terminal", "sg-psa", "--country", "SG")
    assert both.exit_code == 2
    assert "a terminal or a country, not both" in both.stderr


def test_a_terminal_that_is_not_one_is_refused_by_the_rule(surrendered):
    home, ebl = surrendered
    wrong = release(home, ebl, "CXRU1523418", "--terminal", "sg-importer")
    assert wrong.exit_code == 1
    assert "sg-importer does not hold the terminal role" in wrong.stderr


def test_the_carrier_names_whose_ebl_is_meant(surrendered):
    home, ebl = surrendered
    other = release(home, ebl, "CXRU1523418", "--carrier", "kz-ktz")
    assert other.exit_code == 1
    assert "is not on the ledger" in other.stderr  # kz-ktz issued no eBL of this digest
    assert release(home, ebl, "CXRU1523418", "--carrier", "cn-cosco").exit_code == 0
