"""The OA benchmark runs end to end (small sizes: figures come from `tdx bench`, not tests)."""

from __future__ import annotations

from chaincode.documents.registry import ValidDocument
from network.bench.oa import oa_bench


def test_bench_runs_and_reports_every_figure(anvil: str, co: ValidDocument) -> None:
    lines: list[str] = []
    result = oa_bench(anvil, co, lines.append, batch_size=20, batches=2, verifications=5)
    assert result["chain_id"] == 1337
    assert result["batch_size"] == 20
    for figure in (
        result["wrap_per_second"],
        result["wrap_issue_per_second"],
        result["verify_per_second"]["one_per_call"],
        result["verify_per_second"]["batch_per_call"],
        result["official"]["wrap_per_second"],
    ):
        assert figure > 0
    assert result["official"]["library"] == "@govtechsg/open-attestation 6.9.7"
    assert result["ratio_wrap_issue_over_official_wrap"] > 0
    assert result["document"]["fields"] > 50
    assert 40_000 < result["issue_gas_per_batch"] < 60_000  # one DocumentStore.issue
    assert any("official" in line for line in lines)


def test_tdx_bench_oa_prints_json(anvil: str) -> None:
    import json

    from typer.testing import CliRunner

    from api.cli import app

    args = ["bench", "oa", "--rpc", anvil, "--batch-size", "10", "--batches", "1"]
    done = CliRunner().invoke(app, [*args, "--verifications", "3", "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["batch_size"] == 10
    assert result["wrap_issue_per_second"] > 0
    assert result["official"]["wrap_per_second"] > 0
