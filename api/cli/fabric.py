"""tdx network fabric up|down|status and tdx bench fabric: the Fabric network of native
processes (``network.fabric``) from the command line.

``up`` creates the network from the home's country roots the first time (in the folder its
``fabric.json`` names, by default ``<home>/fabric``), starts every process, deploys the
chaincode and points the home at it, so that ``tdx serve --ledger fabric`` runs on it.
``down`` stops exactly the processes ``up`` recorded; the data stays for the next ``up``.
The Fabric modules are imported inside the commands: grpc and the Fabric stubs are heavy,
and the rest of the command line does not need them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import HomeOpt, JsonOpt, emit_json, err, fail, home_of, out
from network.home import Home, HomeError

app = typer.Typer(
    no_args_is_help=True,
    help="A Hyperledger Fabric network on this machine: 4 peers, 4 BFT orderers, no Docker.",
)


def _progress(text: str) -> None:
    err.print(f"fabric: {text}", markup=False)


def network_of(home: Home) -> Path:
    """The network folder the home points at (its ``fabric.json``), else ``<home>/fabric``."""
    from network.fabric.settings import fabric_settings

    return fabric_settings(home)[0]


@app.command()
def up(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Create the network (the first time), start its processes, deploy the chaincode."""
    from network.fabric import binaries
    from network.fabric.commands import NetworkError
    from network.fabric.network import up as start
    from network.fabric.processes import ProcessError
    from network.fabric.settings import fabric_settings, record

    h = home_of(home)
    try:
        h.config()  # a missing home is one clear line, before anything is built
        if not binaries.present():
            fail(f"Fabric is not built here: run `make fabric` ({binaries.BIN_DIR})")
        folder, chaincode = fabric_settings(h)
        report = start(h, folder, _progress)
        record(h, folder, chaincode)
    except (NetworkError, ProcessError, HomeError) as exc:
        fail(f"fabric up: {exc}")
    if as_json:
        emit_json(
            {
                "ok": True,
                "network": str(folder),
                "chaincode": chaincode,
                "seconds": round(report.seconds, 1),
                "steps": [{"step": name, "at": at} for name, at in report.steps],
            }
        )
    else:
        out.print(
            f"Fabric network up in {report.seconds:.1f} s ({folder}); chaincode {chaincode}. "
            f"Serve on it: tdx serve --ledger fabric --home {h.path}"
        )


@app.command()
def down(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Stop exactly the processes `up` started (their data stays for the next `up`)."""
    from network.fabric.network import down as stop

    folder = network_of(home_of(home))
    stopped = stop(folder) if folder.is_dir() else []
    if as_json:
        emit_json({"network": str(folder), "stopped": stopped})
    elif stopped:
        out.print(f"Stopped {len(stopped)} processes: {', '.join(stopped)}")
    else:
        out.print(f"Nothing was running ({folder}).")


@app.command()
def status(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Each process (alive or not), each peer's and orderer's height, each channel's members."""
    from network.fabric.layout import SPEC_FILE
    from network.fabric.network import status as network_status

    folder = network_of(home_of(home))
    if not (folder / SPEC_FILE).is_file():
        fail(f"no Fabric network at {folder}: run tdx network fabric up first")
    body = network_status(folder)
    body["network"] = str(folder)
    if as_json:
        emit_json(body)
        return
    _render(body)


def _render(body: dict[str, Any]) -> None:
    out.print(f"Fabric {body['fabric']} at {body['network']}")
    for channel, members in body["channels"].items():
        out.print(f"  channel {channel}: {', '.join(members)}")
    table = Table("process", "pid", "alive", "address", "heights")
    for p in body["processes"]:
        heights = ", ".join(f"{c} {h}" for c, h in (p.get("heights") or {}).items())
        table.add_row(
            p["name"], str(p["pid"]), "yes" if p["alive"] else "NO", p.get("address", ""), heights
        )
    out.print(table)


def bench(
    n: Annotated[int, typer.Option("--n", min=10, help="Submits per run and mode.")] = 200,
    threads: Annotated[
        int, typer.Option("--threads", min=1, max=64, help="Threads of the concurrent run.")
    ] = 16,
    as_json: Annotated[bool, typer.Option("--json", help="JSON only (always JSON).")] = True,
) -> None:
    """Submits per second and p50/p99 commit latency through the 4-orderer BFT network at two
    block-cutting settings (each run starts its own network), beside the embedded engine and
    anvil, with the ratios. Takes minutes."""
    from network.bench.fabric import fabric_bench
    from network.fabric import binaries
    from network.fabric.commands import NetworkError
    from network.fabric.processes import ProcessError

    if not binaries.present():
        fail(f"Fabric is not built here: run `make fabric` ({binaries.BIN_DIR})")
    try:
        result = fabric_bench(
            n, threads, progress=lambda text: err.print(f"bench: {text}", markup=False)
        )
    except (NetworkError, ProcessError) as exc:
        fail(f"bench fabric: {exc}")
    emit_json(result)


__all__ = ["app", "bench", "network_of"]
