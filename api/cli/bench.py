"""tdx bench ...: measured figures, printed as JSON. Performance lives here, not in tests."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli import fabric as cli_fabric
from api.cli.common import emit_json, err, fail
from network.bench import http as bench_http
from network.bench import ledger as bench

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


@app.command("api")
def api(
    n: Annotated[int, typer.Option("--n", min=10, max=1_000_000, help="Verify requests.")] = 20_000,
    issues: Annotated[int, typer.Option("--issues", min=1, max=100_000)] = 1000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=16)] = 2,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=256)] = 16,
    rate: Annotated[
        int,
        typer.Option("--rate", min=0, help="Also verify at this offered rate (wrk); 0: skip."),
    ] = 1500,
    seconds: Annotated[
        int, typer.Option("--seconds", min=1, max=600, help="Length of each wrk run.")
    ] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="JSON only (always JSON).")] = True,
) -> None:
    """Requests per second and p50/p99 for verify and issue over HTTP on loopback."""
    emit_json(
        bench_http.api(
            n,
            issues,
            workers,
            concurrency,
            lambda text: err.print(f"bench: {text}", markup=False),
            verify_seconds=seconds,
            rate=rate or None,
        )
    )


@app.command("network")
def network(
    queries: Annotated[int, typer.Option("--queries", min=10, max=1_000_000)] = 5000,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64)] = 8,
    verifications: Annotated[
        int, typer.Option("--verifications", min=1, help="POST /v1/verify askIssuer on KZ.")
    ] = 500,
    pushes: Annotated[int, typer.Option("--pushes", min=1, max=1000)] = 20,
    node_workers: Annotated[
        int, typer.Option("--node-workers", min=1, max=16, help="Each node's tdx serve --workers.")
    ] = 1,
    client_processes: Annotated[
        int,
        typer.Option(
            "--client-processes", min=1, max=16, help="Processes asking (the concurrency split)."
        ),
    ] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="JSON only (always JSON).")] = True,
) -> None:
    """Cross-border verification queries per second with p50/p99 between two nodes (CN, KZ)
    on loopback, push delivery time to verified-on-arrival, and SM2/GOST beside P-256."""
    from network.bench.peer_network import network_bench

    emit_json(
        network_bench(
            queries=queries,
            concurrency=concurrency,
            verifications=verifications,
            pushes=pushes,
            progress=lambda text: err.print(f"bench: {text}", markup=False),
            node_workers=node_workers,
            client_processes=client_processes,
        )
    )


@app.command("verify")
def verify(
    documents: Annotated[
        int, typer.Option("--documents", min=1, max=10_000, help="Distinct documents issued.")
    ] = 200,
    n: Annotated[int, typer.Option("--n", min=1, max=10_000_000, help="Verifications.")] = 20_000,
    as_json: Annotated[bool, typer.Option("--json", help="JSON only (always JSON).")] = True,
) -> None:
    """Verifications per second in process, on one core (this thread's CPU time), of
    distinct issued certificates of origin through the node's pipeline and ledger, with
    the time split by check and the cost of one P-256 verification beside it."""
    from network.bench.verify import verify as verify_bench

    emit_json(verify_bench(documents, n, lambda text: err.print(f"bench: {text}", markup=False)))


@app.command("evm")
def evm(
    rpc: Annotated[
        str | None,
        typer.Option(
            "--rpc",
            help="JSON-RPC URL of an anvil (chain id 1337) [default: its own, a fresh one "
            "for each part].",
        ),
    ] = None,
    submits: Annotated[
        int, typer.Option("--submits", min=0, help="Single submits through the engine; 0: skip.")
    ] = 200,
    pipelined: Annotated[
        int, typer.Option("--pipelined", min=1, help="Submits at once (pipelined).")
    ] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="JSON only (always JSON).")] = True,
) -> None:
    """Gas of our contract against TradeTrust's official contracts on the same chain, anchors
    per second with pipelined transactions, and submits through the EVM engine: single-submit
    latency with its JSON-RPC round trips, pipelined rate beside the node's raw rate.

    Without --rpc each part runs on an anvil of its own, started fresh: anvil slows as its
    chain grows, so the engine's figures do not depend on the thousands of transactions the
    gas part sent first. With --rpc both parts run on that node, one after the other."""
    import contextlib
    import tempfile
    from pathlib import Path

    from network.bench.evm_submit import submit_report
    from network.bench.gas import gas_report
    from network.evm.anvil import AnvilError, run_anvil

    def say(text: str) -> None:
        err.print(f"bench: {text}", markup=False)

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tdx-bench-evm-")))

        def node(part: str) -> str:
            if rpc is not None:
                return rpc
            say(f"starting a fresh anvil for the {part} part")
            try:
                return stack.enter_context(run_anvil(tmp / f"anvil-{part}.log"))
            except AnvilError as exc:
                fail(f"{exc} (make tools installs anvil; or pass --rpc URL)")

        result = gas_report(node("gas"), say)
        if submits:
            result["engine"] = submit_report(
                node("engine"), say, single=submits, pipelined=pipelined
            )
        result["fresh_node_per_part"] = rpc is None
    emit_json(result)


@app.command("oa")
def oa(
    rpc: Annotated[
        str | None,
        typer.Option("--rpc", help="JSON-RPC URL of an anvil (chain id 1337) [default: its own]."),
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=100_000)] = 1000,
    batches: Annotated[int, typer.Option("--batches", min=1, max=100)] = 3,
    verifications: Annotated[
        int, typer.Option("--verifications", min=1, help="Documents verified one per call.")
    ] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="JSON only (always JSON).")] = True,
) -> None:
    """OpenAttestation v2: wrap and wrap + issue (on TradeTrust's DocumentStore) per second in
    batches, verifications per second, beside the official library's wrap rate measured in
    the same run (a node loop), and the ratio. Starts its own anvil unless --rpc is given."""
    import contextlib
    import tempfile
    from pathlib import Path

    from chaincode.documents.registry import DocumentKind, validate_document
    from network.bench.oa import oa_bench
    from network.evm.anvil import AnvilError, run_anvil
    from network.examples import CO, read

    def say(text: str) -> None:
        err.print(f"bench: {text}", markup=False)

    sample = validate_document(DocumentKind.CO, read(CO))
    with contextlib.ExitStack() as stack:
        url = rpc
        if url is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tdx-bench-oa-")))
            try:
                url = stack.enter_context(run_anvil(tmp / "anvil.log"))
            except AnvilError as exc:
                fail(f"{exc} (make tools installs anvil; or pass --rpc URL)")
        emit_json(oa_bench(url, sample, say, batch_size, batches, verifications))


@app.command("pages")
def pages(
    documents: Annotated[
        int, typer.Option("--documents", min=0, max=1_000_000, help="Ledger entries to grow to.")
    ] = 100_000,
    n: Annotated[int, typer.Option("--n", min=10, max=100_000, help="Requests per page.")] = 200,
    workers: Annotated[int, typer.Option("--workers", min=1, max=16)] = 1,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64)] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="JSON only (always JSON).")] = True,
) -> None:
    """Each page's render time (server-side p50/p99 from Server-Timing, and client-side) and
    requests per second, served by tdx serve over a ledger of --documents entries."""
    from api.http.pages.bench import pages as bench_pages

    emit_json(
        bench_pages(
            documents, n, workers, concurrency, lambda t: err.print(f"bench: {t}", markup=False)
        )
    )


app.command("fabric")(cli_fabric.bench)
