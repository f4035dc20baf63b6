"""What a node home records about its Fabric network, and whether that network is up.

``<home>/fabric.json`` names the network folder and the chaincode (written by ``up``; by
default the network is ``<home>/fabric`` and the chaincode ``tdx``). Light to import (no
grpc): the command line reads it before it decides to open the engine.
"""

from __future__ import annotations

import json
from pathlib import Path

from network.fabric import processes
from network.fabric.layout import CHAINCODE_NAME, SPEC_FILE
from network.home import Home, HomeError

FABRIC_FILE = "fabric.json"
INDEX_FILE = "fabric-index.db"


def record(home: Home, network: Path, chaincode: str = CHAINCODE_NAME) -> None:
    """Point the home at a network and chaincode; a new chaincode starts a new index."""
    previous = fabric_settings(home)
    (home.path / FABRIC_FILE).write_text(
        json.dumps({"network": str(network), "chaincode": chaincode}, indent=2) + "\n"
    )
    if previous != (network, chaincode):
        for suffix in ("", "-wal", "-shm"):
            (home.path / (INDEX_FILE + suffix)).unlink(missing_ok=True)


def fabric_settings(home: Home) -> tuple[Path, str]:
    """The network folder and the chaincode name the home points at."""
    try:
        data = json.loads((home.path / FABRIC_FILE).read_text())
    except FileNotFoundError:
        return home.path / "fabric", CHAINCODE_NAME
    return Path(data["network"]), str(data["chaincode"])


def running(folder: Path) -> list[str]:
    """The names of the network's recorded processes that run now."""
    return sorted(
        name for name, entry in processes.recorded(folder).items() if processes.alive(entry)
    )


def fabric_ready(home: Home) -> tuple[Path, str]:
    """The home's network folder and chaincode if the network exists and none of its
    processes is down; else a ``HomeError`` that says which command fixes it."""
    folder, chaincode = fabric_settings(home)
    if not (folder / SPEC_FILE).is_file():
        raise HomeError(
            f"no Fabric network at {folder}: run tdx network fabric up --home {home.path} first"
        )
    recorded = processes.recorded(folder)
    down = sorted(name for name, entry in recorded.items() if not processes.alive(entry))
    if not recorded or down:
        what = ", ".join(down) if down else "every process"
        raise HomeError(
            f"the Fabric network at {folder} is not running ({what} down): "
            f"run tdx network fabric up --home {home.path}"
        )
    return folder, chaincode


__all__ = ["FABRIC_FILE", "INDEX_FILE", "fabric_ready", "fabric_settings", "record", "running"]
