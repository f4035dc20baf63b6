"""tdx evm ...: the consortium ledger on an EVM node (anvil here, Besu in production)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import HomeOpt, JsonOpt, emit_json, err, guard, home_of, out
from network.evm import home as evm_home

app = typer.Typer(no_args_is_help=True, help="The EVM consortium ledger.")

RpcOpt = Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the EVM node.")]


@app.command()
def deploy(rpc: RpcOpt, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Deploy the contract and register this home's countries and organisations."""
    h = home_of(home)
    address = guard(
        lambda: evm_home.deploy(rpc, h, lambda text: err.print(f"evm: {text}", markup=False))
    )
    if as_json:
        emit_json({"contract": address, "rpc": rpc, "config": str(h.path / "evm.json")})
    else:
        out.print(f"Deployed TradeLedger at {address}; recorded in {h.path / 'evm.json'}")
