"""Faults of the BFT network, each bounded in time, with no sleeps for ordering.

One orderer of four killed: commits go on. Two killed: commits stop with a clear error
to the client and no fork; restarted, commits resume and every node has the same height
and block hash. A peer killed during a submit: the client gets a committed receipt or a
clear error, never a silent loss; restarted, the peer catches up.
"""

from __future__ import annotations

import time

import pytest

from chaincode.documents.registry import DocumentKind
from chaincode.transactions import Op
from ledger.fabric.engine import FabricError
from ledger.fabric.gateway import Gateway
from network.fabric import processes
from network.fabric.network import converged, start_orderers, start_peers
from network.node import Node

CO = {"kind": DocumentKind.CO, "country": "CN"}
COMMIT_BOUND = 60.0  # seconds: a SmartBFT view change with our timers takes about 10-20 s


def digest(n: int) -> str:
    return f"sha256:{0xFA000 + n:064x}"


@pytest.fixture
def node(fabric_chaincode, demo_home):
    with Node(demo_home, engine="fabric") as built:
        built.ledger._commit_timeout = 15.0  # a lost quorum is reported after 15 s
        yield built


@pytest.fixture
def restore(fabric_network):
    """Whatever a test kills is started again, and the nodes agree, before the next."""
    yield fabric_network.spec
    spec = fabric_network.spec
    running = processes.recorded(spec.folder)
    start_orderers(spec, [c for c in spec.countries if f"orderer-{c}" not in running])
    start_peers(spec, [c for c in spec.countries if f"peer-{c}" not in running])
    converged(spec, timeout=120)


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_orderers_one_down_goes_on_two_down_stops_clearly_and_resumes_without_fork(node, restore):
    spec = restore
    node.submit("cn-gacc", Op.ISSUE, doc=digest(1), **CO)

    processes.stop(spec.folder, ["orderer-KZ"], kill=True)
    receipt, seconds = timed(lambda: node.submit("cn-gacc", Op.ISSUE, doc=digest(2), **CO))
    assert receipt.block is not None
    assert seconds < COMMIT_BOUND, f"one orderer down: a commit took {seconds:.1f} s"

    processes.stop(spec.folder, ["orderer-SG"], kill=True)
    stalled = node.transaction("cn-gacc", Op.ISSUE, doc=digest(3), **CO)
    started = time.monotonic()
    with pytest.raises(FabricError) as caught:
        node.ledger.submit(stalled)
    assert time.monotonic() - started < COMMIT_BOUND
    message = str(caught.value)
    print(f"\ntwo orderers down, after {time.monotonic() - started:.1f} s: {message}")
    assert "not committed within" in message or "ordering service" in message, message
    assert "at most once" in message or "did not take" in message, message

    start_orderers(spec, ["KZ", "SG"])
    # Commits resume: the same signed transaction again is committed exactly once (the
    # stalled one may have been ordered once the quorum was back: then it is a duplicate).
    deadline = time.monotonic() + 2 * COMMIT_BOUND
    while True:
        try:
            again = node.ledger.submit(stalled)
            break
        except FabricError:
            if time.monotonic() > deadline:
                raise
    assert node.ledger.document(digest(3)).state.value == "ISSUED"
    assert [e.op for e in node.ledger.history(digest(3))] == ["ISSUE"]
    assert again.tx_id == stalled.id
    node.submit("cn-gacc", Op.ISSUE, doc=digest(4), **CO)

    view = converged(spec, timeout=COMMIT_BOUND)  # equal heights and block hashes: no fork
    for channel, peers in view.items():
        assert len(set(peers.values())) == 1, (channel, peers)


def test_a_peer_killed_during_a_submit_gives_a_receipt_or_a_clear_error_and_catches_up(
    node, restore, monkeypatch
):
    spec = restore
    node.submit("cn-gacc", Op.ISSUE, doc=digest(10), **CO)
    killed: list[str] = []
    original = Gateway.submit

    def submit_then_kill(self, endorsed, signer):
        original(self, endorsed, signer)  # the transaction is with the orderers now
        if not killed and self.address == spec.peer_address("CN"):
            processes.stop(spec.folder, ["peer-CN"], kill=True)
            killed.append("CN")

    monkeypatch.setattr(Gateway, "submit", submit_then_kill)
    signed = node.transaction("cn-gacc", Op.ISSUE, doc=digest(11), **CO)
    failure = None
    try:
        receipt, seconds = timed(lambda: node.ledger.submit(signed))
        print(f"\npeer killed during submit: receipt in {seconds:.1f} s, block {receipt.block}")
    except FabricError as error:  # a clear error, naming the transaction: then retry
        failure, receipt = str(error), None
    if failure is not None:
        assert signed.id in failure
    assert killed == ["CN"]
    monkeypatch.undo()
    start_peers(spec, ["CN"])
    if receipt is None:
        receipt = node.ledger.submit(signed)
    else:
        assert seconds < COMMIT_BOUND
    assert receipt.tx_id == signed.id
    # Never lost, never twice: the document is there once, on every peer of its channel.
    view = converged(spec, timeout=COMMIT_BOUND)
    assert len(set(view["cn-sg"].values())) == 1
    assert [e.op for e in node.ledger.history(digest(11))] == ["ISSUE"]
    record = node.ledger._document("cn-sg", digest(11))
    assert record is not None
    assert record.state.value == "ISSUED"
