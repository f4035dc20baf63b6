"""Compile ``TradeLedger.sol`` with the pinned ``solc`` from npm and write the artifact.

    python -m chaincode.evm.build           # writes chaincode/evm/artifacts/TradeLedger.json
    python -m chaincode.evm.build --check   # exit 1 if the committed artifact differs

Deterministic: the compiler version is pinned in ``package.json`` (and checked here), the
optimizer settings are fixed, and no metadata hash is appended to the bytecode, so the
same source always gives the same bytes. Needs ``node`` and ``npm ci`` run at the
repository root (``node_modules/solc``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from chaincode.evm import ARTIFACT, SOURCE

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "TradeLedger"
SOLC_VERSION = "0.8.37"  # the exact version in package.json
SOURCE_NAME = "chaincode/evm/TradeLedger.sol"
SETTINGS: dict[str, Any] = {
    # Fewer runs than the gas-optimal 1,000,000 keep the runtime code under EIP-170 (24,576
    # bytes); the hot paths (issue, transfer) are flat code whose gas hardly moves with it.
    "optimizer": {"enabled": True, "runs": 1_000},
    "evmVersion": "cancun",
    "viaIR": False,
    # No metadata hash and no CBOR tail: the bytes depend on the source and settings only.
    "metadata": {"bytecodeHash": "none", "appendCBOR": False},
    "outputSelection": {
        SOURCE_NAME: {CONTRACT: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}
    },
}

# Runs solc-js's standard-JSON compiler: input on stdin, output on stdout.
_NODE_SCRIPT = """
const solc = require(process.argv[1]);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const output = JSON.parse(solc.compile(input));
  process.stdout.write(JSON.stringify({version: solc.version(), output: output}));
});
"""


class BuildError(RuntimeError):
    pass


def solc_module() -> Path:
    path = ROOT / "node_modules" / "solc"
    if not (path / "package.json").is_file():
        raise BuildError(f"{path} is missing: run `npm ci --no-audit --no-fund` in {ROOT}")
    return path


def compile_contract(source: str | None = None) -> dict[str, Any]:
    """The artifact for ``source`` (default: the contract file), as a JSON-able dict."""
    text = SOURCE.read_text(encoding="utf-8") if source is None else source
    node = shutil.which("node")
    if node is None:
        raise BuildError("node is not on PATH")
    request = {"language": "Solidity", "sources": {SOURCE_NAME: {"content": text}}}
    request["settings"] = SETTINGS
    done = subprocess.run(  # noqa: S603 (fixed command, our own script)
        [node, "-e", _NODE_SCRIPT, str(solc_module())],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise BuildError(f"solc failed: {done.stderr.strip()}")
    result = json.loads(done.stdout)
    version: str = result["version"]
    if not version.startswith(SOLC_VERSION + "+"):
        raise BuildError(f"solc {version} found, {SOLC_VERSION} pinned: run `npm ci`")
    output = result["output"]
    errors = [e for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise BuildError("\n".join(e["formattedMessage"] for e in errors))
    compiled = output["contracts"][SOURCE_NAME][CONTRACT]
    return {
        "contractName": CONTRACT,
        "sourceName": SOURCE_NAME,
        "sourceSha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "compiler": {"name": "solc", "version": version, "settings": _recorded_settings()},
        "abi": compiled["abi"],
        "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
    }


def _recorded_settings() -> dict[str, Any]:
    return {k: v for k, v in SETTINGS.items() if k != "outputSelection"}


def render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render(compile_contract())
    if "--check" in args:
        same = ARTIFACT.is_file() and ARTIFACT.read_text(encoding="utf-8") == text
        print(f"{ARTIFACT}: {'up to date' if same else 'DIFFERS from the source'}")
        return 0 if same else 1
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(text, encoding="utf-8")
    print(f"wrote {ARTIFACT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
