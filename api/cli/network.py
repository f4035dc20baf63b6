"""tdx network ...: production network files (written here, run elsewhere), and the local
network of one node per country (up, down, status)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import emit_json, err, fail, out
from network.config import LedgerEngine
from network.demo_network import DEFAULT_BASE_PORT
from network.evm.besu import write_besu_network

app = typer.Typer(
    no_args_is_help=True, help="Country nodes on this machine, and production network files."
)


@app.command("besu-config")
def besu_config(
    countries: Annotated[str, typer.Option("--countries", help="CN,SG,RU,KZ: one validator each.")],
    output: Annotated[Path, typer.Option("--out", help="Directory to write (new or empty).")],
    chain_id: Annotated[int, typer.Option("--chain-id")] = 1337,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Write a Besu QBFT network: genesis, per-node config and allowlists, compose, README."""
    try:
        summary = write_besu_network(
            [c.strip() for c in countries.split(",") if c.strip()], output, chain_id
        )
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        emit_json(summary)
    else:
        out.print(f"Wrote a {len(summary['validators'])}-validator Besu QBFT network to {output}")


# --- the local multi-node network -------------------------------------------------------

DirOpt = Annotated[
    Path | None,
    typer.Option(
        "--dir", help="The demo network folder [default: $TDX_NETWORK, else ~/.tdx-network]."
    ),
]


@app.command("up")
def network_up(
    countries: Annotated[str, typer.Option("--countries", help="e.g. CN,SG,RU,KZ")] = "CN,SG,RU,KZ",
    ledger: Annotated[
        LedgerEngine, typer.Option("--ledger", help="embedded, or evm (one shared anvil).")
    ] = LedgerEngine.EMBEDDED,
    base_port: Annotated[
        int, typer.Option("--base-port", min=1024, max=65000, help="The first node's port.")
    ] = DEFAULT_BASE_PORT,
    directory: DirOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Start one node per country on 127.0.0.1 (each with its own home), peers known."""
    from network import launcher

    target = directory or launcher.default_dir()
    if ledger is LedgerEngine.FABRIC:
        fail("--ledger: embedded or evm", 2)
    try:
        started = launcher.up(
            launcher.parse_countries(countries),
            target,
            base_port,
            ledger,
            lambda text: err.print(text, markup=False),
        )
    except launcher.LauncherError as exc:
        fail(str(exc))
    if as_json:
        emit_json({"dir": str(target.resolve()), "processes": [p.to_json() for p in started]})
        return
    for p in started:
        what = "anvil" if p.name == "anvil" else f"{p.name} node"
        out.print(f"{what:10} {p.url}  pid {p.pid}", markup=False)
    out.print(
        f"PIDs recorded in {target.resolve() / launcher.RUN_FILE}; stop with tdx network down"
    )


@app.command("down")
def network_down(
    directory: DirOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Stop exactly the processes tdx network up started (by their recorded PIDs)."""
    from network import launcher

    target = directory or launcher.default_dir()
    try:
        stopped = launcher.down(target)
    except launcher.LauncherError as exc:
        fail(str(exc))
    if as_json:
        emit_json({"stopped": [p.to_json() for p in stopped]})
        return
    if not stopped:
        out.print(f"No running network in {target}.")
    for p in stopped:
        out.print(f"stopped {p.name} (pid {p.pid})", markup=False)


@app.command("status")
def network_status(
    directory: DirOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Each node's health, latest checkpoint size, witnesses and outbox depth."""
    from network import launcher

    try:
        rows = launcher.status(directory or launcher.default_dir())
    except launcher.LauncherError as exc:
        fail(str(exc))
    if as_json:
        emit_json(rows)
        return
    table = Table("country", "url", "pid", "health", "checkpoint", "witnesses", "outbox")
    for r in rows:
        witnesses = r.get("witnesses")
        shown = ", ".join(witnesses) if isinstance(witnesses, list) else str(witnesses or "-")
        table.add_row(
            r["country"],
            r["url"],
            str(r["pid"]),
            str(r["health"]),
            str(r.get("checkpointSize", "-")),
            shown or "-",
            str(r.get("outboxDepth", "-")),
        )
    out.print(table)
