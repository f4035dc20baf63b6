"""``tdx bench pages`` on a small ledger: JSON with every page's server-side and client-side
p50/p99 and requests per second, read from a real ``tdx serve``."""

import json

from typer.testing import CliRunner

from api.cli.main import app

PAGES = {
    "verify",
    "verify_qr_text",
    "verify_presented",
    "sign_in",
    "ledger",
    "document_co",
    "document_ebl",
    "desk",
    "rail_board",
    "rail_journey",
}


def test_bench_pages_times_every_page():
    args = ["bench", "pages", "--documents", "0", "--n", "10", "--concurrency", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # The corridor's documents and the rail consignment's registration and seven events
    # (the note issued and registered, four stops, the seal check, the release), not grown.
    assert report["ledger_entries"] == 13
    assert set(report["pages"]) == PAGES
    for name, page in report["pages"].items():
        for side in ("server", "client"):
            assert 0 < page[side]["p50_ms"] <= page[side]["p99_ms"], (name, side)
        # The server's own time is part of what the client waited for.
        assert page["server"]["p50_ms"] <= page["client"]["p50_ms"], name
        assert page["per_second"] > 0, name
    worst = max(p["server"]["p99_ms"] for p in report["pages"].values())
    assert report["worst_server_p99_ms"] == worst
    assert report["under_target"] is (worst < report["target_ms"])
