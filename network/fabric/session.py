"""A Fabric network for one run of a program (``tdx demo --ledger fabric``): the home's
network, started if it is not running and stopped again afterwards (only the processes
started here), with a fresh chaincode for the run recorded in the home."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from network.fabric import deploy, processes
from network.fabric.layout import CHAINCODE_NAME, SPEC_FILE, Spec
from network.fabric.network import up
from network.fabric.settings import fabric_settings, record, running
from network.home import Home

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@contextmanager
def run_network(home: Home, progress: Progress = _quiet) -> Iterator[str]:
    """Yield the chaincode this run is to use, on the home's network (which is up meanwhile).

    A network created here has just deployed its chaincode, which is fresh; on a network
    that existed, the run gets a chaincode of its own, as the evm demo gets a contract of
    its own, so that the documents it issues are new to the ledger."""
    folder, _ = fabric_settings(home)
    existed = (folder / SPEC_FILE).is_file()
    before = set(running(folder)) if existed else set()
    try:
        if not before or before != set(processes.recorded(folder)):
            up(home, folder, progress)
        name = CHAINCODE_NAME
        if existed:
            name = f"{CHAINCODE_NAME}-run-{secrets.token_hex(4)}"
            now = datetime.datetime.now(datetime.UTC)
            deploy.fresh_chaincode(home, Spec.load(folder), name, now, progress)
        record(home, folder, name)
        yield name
    finally:
        started = [n for n in processes.recorded(folder) if n not in before]
        if started:
            processes.stop(folder, started)


__all__ = ["run_network"]
