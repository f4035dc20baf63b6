"""tdx bench ...: measured figures, printed as JSON. Performance lives here, not in tests."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli_common import emit_json, err
from network import bench

app = typer.Typer(no_args_is_help=True, help="Benchmarks; each prints JSON.")


@app.command("ledger")
def ledger(
    n: Annotated[int, typer.Option("--n", min=10, help="Single submits to time.")] = 2000,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 1000,
    batches: Annotated[int, typer.Option("--batches", min=1)] = 50,
    log_entries: Annotated[
        int, typer.Option("--log-entries", min=1000, help="Log size for the trace figure.")
    ] = 100_000,
    as_json: Annotated[bool, typer.Option("--json", help="JSON only (always JSON).")] = True,
) -> None:
    """Anchors per second (single and batched), commit latency, bytes per entry, proof
    checks per second, and trace latency on a large log. Runs on a temporary home."""
    result = bench.ledger(
        n=n,
        batch_size=batch_size,
        batches=batches,
        log_entries=log_entries,
        progress=lambda text: err.print(f"bench: {text}", markup=False),
    )
    emit_json(result)
