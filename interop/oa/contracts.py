"""TradeTrust's official contracts, ABI and bytecode, from the pinned npm packages.

- ``@tradetrust-tt/document-store`` 4.1.1: the DocumentStore bytecode ships in its TypeChain
  factory (JavaScript), so node prints it once per process.
- ``@tradetrust-tt/token-registry`` 5.5.1: Hardhat artifacts in ``dist/artifacts``
  (TradeTrustToken, TitleEscrow, TitleEscrowFactory).

Both are installed by ``make tools`` into the git-ignored ``node_modules``; nothing of
theirs is committed. This is the approach of ``network.bench.gas`` (which ``interop`` may not
import), in the layer the OpenAttestation code can use.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from interop.oa.errors import ContractsMissingError

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"

_DOCUMENT_STORE_SCRIPT = """
const {DocumentStore__factory} = require(process.argv[1]);
const f = new DocumentStore__factory();
const abi = JSON.parse(f.interface.formatJson());
process.stdout.write(JSON.stringify({abi: abi, bytecode: f.bytecode}));
"""


def node_binary() -> str:
    node = shutil.which("node")
    if node is None:
        raise ContractsMissingError("node is not on PATH (Node.js 20 runs TradeTrust's tools)")
    return node


@functools.cache
def document_store() -> dict[str, Any]:
    """DocumentStore's ``abi`` and ``bytecode``."""
    factory = (
        NODE_MODULES
        / "@tradetrust-tt/document-store/dist/contracts/factories/DocumentStore__factory.js"
    )
    if not factory.is_file():
        raise ContractsMissingError(f"{factory} is missing: run `make tools` in {ROOT}")
    done = subprocess.run(  # noqa: S603 (fixed command, our own script)
        [node_binary(), "-e", _DOCUMENT_STORE_SCRIPT, str(factory)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data


@functools.cache
def token_registry(name: str) -> dict[str, Any]:
    """A token-registry artifact (``abi``, ``bytecode``): TradeTrustToken, TitleEscrow or
    TitleEscrowFactory."""
    if name not in ("TradeTrustToken", "TitleEscrow", "TitleEscrowFactory"):
        raise ValueError(f"not a token-registry contract we use: {name}")
    path = NODE_MODULES / f"@tradetrust-tt/token-registry/dist/artifacts/{name}.sol/{name}.json"
    if not path.is_file():
        raise ContractsMissingError(f"{path} is missing: run `make tools` in {ROOT}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


__all__ = ["NODE_MODULES", "ROOT", "document_store", "node_binary", "token_registry"]
