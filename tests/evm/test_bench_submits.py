"""``tdx bench evm``'s engine part: submits through the EVM engine on a real anvil."""

from __future__ import annotations

import json

from network.bench.evm_submit import submit_report


def test_submit_report_times_single_and_pipelined_submits(anvil: str) -> None:
    lines: list[str] = []
    report = submit_report(anvil, lines.append, single=5, pipelined=6)
    assert lines, "the report shows progress"
    single = report["single"]
    assert single["round_trips_median"] == 2  # send with receipt, then one batch of logs
    assert single["p50_ms"] > 0
    assert single["in_round_trips_p50_ms"] + single["in_the_engine_p50_ms"] > 0
    assert report["pipelined"]["refused"] == 0
    assert report["pipelined"]["round_trips"] <= 6 + 3  # a send each, then a batch or so
    assert len(report["raw_send_and_receipt"]["before_and_after"]) == 2
    json.dumps(report)
