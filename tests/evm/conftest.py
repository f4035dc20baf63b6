"""A real anvil node for the EVM tests: started on a free 127.0.0.1 port, stopped by PID."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from network.evm.anvil import CHAIN_ID, anvil_binary, free_port, run_anvil, stop

# The runner lives in network.evm.anvil (tdx demo --ledger evm uses it too).
__all__ = ["CHAIN_ID", "anvil", "anvil_binary", "free_port", "run_anvil", "stop"]


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The RPC URL of an anvil node shared by the session's EVM tests."""
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with run_anvil(log) as url:
        yield url
