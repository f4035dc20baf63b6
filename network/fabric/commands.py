"""Running Fabric's command-line tools (``peer`` as a country's admin) against the network,
and the error they raise. Below both ``network`` (which starts the processes) and
``deploy`` (which installs the chaincode), so that neither imports the other's caller."""

from __future__ import annotations

import subprocess

from network.fabric import binaries, config
from network.fabric.layout import Spec


class NetworkError(RuntimeError):
    """The network could not be created, started or asked."""


def run(args: list[str], env: dict[str, str], what: str, timeout: float = 120.0) -> str:
    """Run a Fabric CLI; its standard output, or a ``NetworkError`` with its message."""
    try:
        result = subprocess.run(  # noqa: S603 (our binaries, no shell)
            args, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise NetworkError(f"{what}: no answer within {timeout:.0f} s") from exc
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip()
        raise NetworkError(f"{what} failed: {message}")
    return result.stdout + result.stderr


def peer_cli(spec: Spec, country: str, *args: str, timeout: float = 120.0) -> str:
    """``peer ARGS`` as ``country``'s admin on its peer."""
    return run(
        [str(binaries.binary("peer")), *args],
        config.admin_env(spec, country),
        f"peer {' '.join(args[:3])} ({country})",
        timeout=timeout,
    )


__all__ = ["NetworkError", "peer_cli", "run"]
