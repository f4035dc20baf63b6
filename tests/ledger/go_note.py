"""The Go reference implementations of C2SP signed notes and cosignatures, for interop tests.

``tests/ledger/gonote`` is a small Go program over golang.org/x/mod/sumdb/note (signed-note,
Ed25519 0x01), github.com/transparency-dev/formats/note (tlog-cosignature, cosignature/v1
0x04) and github.com/transparency-dev/witness/client/http (a tlog-witness client), pinned in
its go.mod and go.sum. It is built through the Go module proxy into the
git-ignored ``.tdx-tools/gonote/`` once per source change. Without Go, or without the proxy,
the tests that need it are skipped with a loud reason; a program that does not compile fails.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.tlog import checkpoint

SOURCE = Path(__file__).parent / "gonote"
BUILD_DIR = Path(__file__).parents[2] / ".tdx-tools" / "gonote"
_FILES = ("main.go", "go.mod", "go.sum")


def _skip(reason: str) -> None:
    # Loud: capitals, and the reason (pytest -rs lists it; warnings are errors here).
    pytest.skip(f"GO INTEROP SKIPPED: {reason}")


def build() -> Path:
    """The built program (built now if its sources changed), or a skip saying why not."""
    go = shutil.which("go")
    if go is None:
        _skip("no `go` on PATH; install Go >= 1.25 to check notes against the Go reference")
    assert go is not None
    version = subprocess.run(
        [go, "env", "GOVERSION"], capture_output=True, text=True, timeout=60, check=False
    ).stdout.strip()
    if _too_old(version):
        # Before 1.21 Go cannot fetch the newer toolchain that the go.mod asks for.
        _skip(f"{version or 'an unknown Go'} is older than 1.21; install Go >= 1.25")
    digest = hashlib.sha256(b"".join((SOURCE / f).read_bytes() for f in _FILES)).hexdigest()
    program = BUILD_DIR / f"gonote-{digest[:16]}"
    if program.is_file():
        return program
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ) | {"CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly -buildvcs=false"}
    fetched = subprocess.run(
        [go, "mod", "download"], cwd=SOURCE, env=env, capture_output=True, text=True, timeout=600
    )
    if fetched.returncode != 0:
        _skip(f"the Go modules could not be fetched: {fetched.stderr.strip()[-300:]}")
    partial = BUILD_DIR / f".{program.name}.{os.getpid()}"
    built = subprocess.run(
        [go, "build", "-trimpath", "-o", str(partial), "."],
        cwd=SOURCE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, f"go build of {SOURCE} failed:\n{built.stderr}"
    partial.replace(program)  # atomic: parallel workers never run a half-written file
    return program


def _too_old(version: str) -> bool:
    parts = version.removeprefix("go").split(".")
    try:
        return (int(parts[0]), int(parts[1])) < (1, 21)
    except (ValueError, IndexError):
        return True


class GoNote:
    """Calls into the Go program: one JSON request, one JSON answer."""

    def __init__(self, program: Path) -> None:
        self.program = program

    def call(self, op: str, **fields: Any) -> dict[str, Any]:
        done = subprocess.run(
            [str(self.program)],
            input=json.dumps({"op": op, **fields}),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        answer: dict[str, Any] = json.loads(done.stdout)
        return answer

    def open(
        self, note: str, log_keys: Sequence[str], cosigner_keys: Sequence[str] = ()
    ) -> dict[str, Any]:
        return self.call("open", note=note, logKeys=[*log_keys], cosignerKeys=[*cosigner_keys])

    @contextmanager
    def witness(self, log_keys: Sequence[str], cosigner_skey: str) -> Iterator[str]:
        """The reference witness (transparency-dev/witness) serving on loopback for these
        logs; yields its base URL. Stopped by closing its stdin, else killed by its PID."""
        process = subprocess.Popen(
            [str(self.program)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdin is not None
            assert process.stdout is not None
            request = {"op": "serve", "logKeys": [*log_keys], "cosignerSkeys": [cosigner_skey]}
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            answer = json.loads(process.stdout.readline())  # it answers once it listens
            assert answer["ok"], answer
            yield str(answer["url"])
        finally:
            if process.stdin is not None:
                process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


def skey(name: str, key: Ed25519PrivateKey) -> str:
    """Go's signer key text for an Ed25519 key: PRIVATE+KEY+name+id+base64(0x01 || seed)."""
    seed = key.private_bytes_raw()
    key_id = checkpoint.key_id(name, key.public_key()).hex()
    encoded = base64.b64encode(checkpoint.ED25519_TYPE + seed).decode()
    return f"PRIVATE+KEY+{name}+{key_id}+{encoded}"
