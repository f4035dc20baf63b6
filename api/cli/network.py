"""tdx network ...: production network files, written here, run elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli import fabric as cli_fabric
from api.cli.common import emit_json, fail, out
from network.evm.besu import write_besu_network

app = typer.Typer(no_args_is_help=True, help="Production network configuration.")
app.add_typer(cli_fabric.app, name="fabric")


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
