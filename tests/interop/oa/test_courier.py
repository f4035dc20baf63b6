"""A served node carries revocations to the DocumentStore by itself: the chain goes away
(anvil stopped by its PID), a document is revoked in tdx, the chain comes back on the same
port with its state, and the DocumentStore shows the targetHash revoked without anyone
running tdx oa sync."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.http.app import create_app
from api.http.serving import serving
from interop.oa import DocumentStore
from ledger.evm.chain import Chain
from network.evm.anvil import CHAIN_ID, anvil_binary, chain_id, free_port, stop
from network.evm.home import org_account
from network.home import Home
from network.node import Node
from network.platforms import oa_settings
from network.platforms.oa_courier import RevocationCourier
from tests.interop.oa.conftest import EXAMPLES

runner = CliRunner()
DEADLINE = 120.0  # seconds: generous, on 2 shared cores


def tdx(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def _ok(*args: object) -> object:
    done = tdx(*args, "--json")
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def _status(home: tuple[str, Path]) -> dict:
    status = _ok("oa", "status", *home)
    assert isinstance(status, dict)
    return status


def _until(what: str, ready: Callable[[], bool], deadline: float = DEADLINE) -> None:
    """Poll ``ready`` until it holds; fail, naming ``what``, past the deadline."""
    end = time.monotonic() + deadline
    while not ready():
        if time.monotonic() > end:
            pytest.fail(f"{what}: not within {deadline} s")
        time.sleep(0.1)


class Anvil:
    """anvil on one port, stopped by its PID and started again there with its state."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = folder / "anvil-state.json"
        self.log = folder / "anvil.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = anvil_binary()
        if not binary.is_file():
            pytest.skip(f"{binary} is missing: run `make tools`")
        args = [str(binary), "--host", "127.0.0.1", "--port", str(self.port),
                "--chain-id", str(CHAIN_ID), "--state", str(self.state)]  # fmt: skip
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        _until(f"anvil answering on {self.url}", lambda: self._answers(), 60)

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            pytest.fail(f"anvil exited with {self.proc.returncode}: {self.log.read_text()[-800:]}")
        return chain_id(self.url) == CHAIN_ID

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)  # SIGTERM: anvil writes its state to --state
            self.proc = None


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[Anvil]:
    node = Anvil(tmp_path)
    node.start()
    try:
        yield node
    finally:
        node.stop()


def test_a_served_node_retries_a_revocation_until_the_chain_is_back(
    restartable: Anvil, demo_home: Home, tmp_path: Path
) -> None:
    h = ("--home", demo_home.path)
    url = restartable.url
    deployed = _ok("oa", "deploy-store", "--rpc", url, "--as", "cn-gacc", *h)
    assert isinstance(deployed, dict)
    issued = _ok("issue", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc", *h)
    assert isinstance(issued, dict)
    doc_id = issued["documentId"]
    exported = tmp_path / "co.json"
    _ok("oa", "export", doc_id, "--out", exported, *h)
    target = json.loads(exported.read_text())["signature"]["targetHash"]

    with Node(demo_home) as node, serving(create_app(node)):
        restartable.stop()
        assert chain_id(url) is None
        # The ledger's revocation stands; the node's immediate attempt fails and it stays due.
        assert tdx("revoke", doc_id, "--as", "cn-gacc", "--reason", "withdrawn", *h).exit_code == 0
        status = _status(h)
        assert [d["targetHash"] for d in status["due"]] == [target]
        assert status["lastAttempt"]["error"]
        away = tdx("oa", "sync", *h)
        assert away.exit_code == 1
        assert "1 revocation(s) still due" in away.output

        restartable.start()  # the same port, the state it wrote on stopping
        # Nothing but the served node's courier delivers from here on.
        store = DocumentStore.at(Chain.connect(url), deployed["documentStore"])
        _until("the courier's revocation on the DocumentStore", lambda: store.is_revoked(target))

    status = _status(h)
    assert status == {"due": [], "lastAttempt": {"at": status["lastAttempt"]["at"], "error": None}}
    assert _ok("oa", "sync", *h) == []  # nothing left: it was carried once


def test_the_courier_backs_off_and_counts_a_revocation_on_chain_as_delivered(
    restartable: Anvil, demo_home: Home, tmp_path: Path
) -> None:
    """Idempotent: a targetHash already revoked on chain (by an attempt cut short by a
    crash, say) is marked delivered without a second transaction."""
    h = ("--home", demo_home.path)
    url = restartable.url
    deployed = _ok("oa", "deploy-store", "--rpc", url, "--as", "cn-gacc", *h)
    assert isinstance(deployed, dict)
    issued = _ok("issue", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc", *h)
    assert isinstance(issued, dict)
    exported = tmp_path / "co.json"
    _ok("oa", "export", issued["documentId"], "--out", exported, *h)
    target = json.loads(exported.read_text())["signature"]["targetHash"]
    restartable.stop()
    assert (
        tdx("revoke", issued["documentId"], "--as", "cn-gacc", "--reason", "x", *h).exit_code == 0
    )

    before = _status(h)["lastAttempt"]  # the node's own attempt, right after the revocation
    assert before["error"]

    def retried() -> bool:
        attempt = _status(h)["lastAttempt"]
        return bool(attempt["at"] != before["at"] and attempt["error"])

    with Node(demo_home) as node:
        courier = RevocationCourier(node, idle=0.05, first_backoff=0.05, max_backoff=0.2)
        courier.start()
        try:  # while the chain is away it keeps trying, and failing
            _until("a retry while the chain is away", retried)
        finally:
            courier.stop()
        assert _status(h)["due"]

        restartable.start()
        chain = Chain.connect(url)
        store = DocumentStore.at(chain, deployed["documentStore"])
        store.revoke(oa_settings.funded(chain, org_account(demo_home, "cn-gacc")), target)
        courier.start()
        try:
            _until("the courier's round", lambda: not _status(h)["due"])
        finally:
            courier.stop()
    with sqlite3.connect(demo_home.path / "oa.db") as db:
        rows = db.execute("SELECT target_hash, tx_hash FROM revoked").fetchall()
    assert rows == [(target, None)]  # delivered, without a transaction of its own
