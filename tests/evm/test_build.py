"""The committed artifact is exactly what the pinned solc makes of the committed source."""

from __future__ import annotations

import json

from chaincode.evm import ARTIFACT, SOURCE, artifact, build


def test_rebuild_gives_the_committed_bytes() -> None:
    rebuilt = build.compile_contract()
    committed = artifact()
    assert rebuilt["compiler"]["version"].startswith(build.SOLC_VERSION + "+")
    assert rebuilt["bytecode"] == committed["bytecode"]
    assert rebuilt["deployedBytecode"] == committed["deployedBytecode"]
    assert rebuilt["abi"] == committed["abi"]
    # The whole file, byte for byte: source digest and settings included.
    assert build.render(rebuilt) == ARTIFACT.read_text(encoding="utf-8")


def test_artifact_records_the_source_and_settings() -> None:
    committed = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    import hashlib

    assert committed["sourceSha256"] == hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    settings = committed["compiler"]["settings"]
    assert settings["metadata"] == {"appendCBOR": False, "bytecodeHash": "none"}
    assert settings["optimizer"]["enabled"] is True
    # EIP-170: the runtime code must fit in 24,576 bytes.
    assert len(bytes.fromhex(committed["deployedBytecode"][2:])) <= 24_576
