"""What only the EVM engine has: the contract as the judge of a race that the node's own
check could not see, and an indexer that pages and resumes."""

from __future__ import annotations

import threading
import time

import pytest

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.transactions import Op
from network.evm.home import deploy
from network.node import Node
from tests.conftest import EXAMPLES


@pytest.fixture
def evm_node(anvil, demo_home):
    deploy(anvil, demo_home)
    with Node(demo_home, engine="evm", rpc=anvil) as node:
        yield node


def rpc(node, method, params):
    response = node.ledger._chain.w3.provider.make_request(method, params)
    assert "error" not in response, response
    return response["result"]


def wait_for_pending(node, count, thread):
    for _ in range(200):  # 10 s at most
        if int(rpc(node, "txpool_status", [])["pending"], 16) >= count or not thread.is_alive():
            return
        time.sleep(0.05)
    raise AssertionError(f"{count} transaction(s) never reached the pool")


def test_a_race_in_one_block_is_refused_by_the_contract_with_the_chaincode_text(evm_node):
    node = evm_node
    ebl = node.issue(
        DocumentKind.EBL, (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes(), "cn-cosco"
    ).document.digest
    a = node.transaction("cn-exporter", Op.TRANSFER, doc=ebl, to="cn-boc")
    b = node.transaction("cn-exporter", Op.TRANSFER, doc=ebl, to="sg-dbs")
    results: dict[str, object] = {}
    rpc(node, "evm_setAutomine", [False])
    try:

        def go(name, signed):
            try:
                results[name] = node.ledger.submit(signed)
            except Refusal as refusal:
                results[name] = refusal

        threads = [threading.Thread(target=go, args=item) for item in (("a", a), ("b", b))]
        for count, thread in enumerate(threads, start=1):
            # Both pass the node's own check against the mined state (the first is not mined
            # yet); the second then meets the contract, when its gas is estimated against the
            # pending block, or when it is mined after the first.
            thread.start()
            wait_for_pending(node, count, thread)
        rpc(node, "evm_mine", [])
    finally:
        rpc(node, "evm_setAutomine", [True])
    for t in threads:
        t.join(timeout=60)
    assert not isinstance(results["a"], Refusal)
    loser = results["b"]
    assert isinstance(loser, Refusal)
    assert (loser.kind, loser.rule) == (
        RefusalKind.CONFLICT,
        "not the current possessor (possessor: cn-boc, state ISSUED)",
    )
    assert node.ledger.document(ebl).holder == "cn-boc"


def test_the_indexer_pages_and_resumes_from_its_cursor(anvil, demo_home):
    deploy(anvil, demo_home)
    with Node(demo_home, engine="evm", rpc=anvil) as node:
        for i in range(5):
            node.submit("cn-gacc", Op.ISSUE, doc=f"sha256:{i:064x}", kind=DocumentKind.CO)
        cursor = node.ledger._meta("cursor")
    # A second node process on the same chain, with a tiny page and no index yet: it reads
    # every event back from the deployment block, a page at a time.
    (demo_home.path / "evm-index.db").rename(demo_home.path / "old-index.db")
    with Node(demo_home, engine="evm", rpc=anvil) as fresh:
        fresh.ledger._mirror.page = 2
        assert fresh.ledger.size() == 5
        entry = fresh.ledger.history("sha256:" + "0" * 63 + "3")[0]
        # Not sent by this index's node: the id is the EVM transaction's hash, the rest from
        # the events.
        assert (entry.op, entry.actor, entry.details) == ("ISSUE", "cn-gacc", {"kind": "co"})
        assert entry.tx_id.startswith("0x")
        assert fresh.ledger._meta("cursor") == cursor


def test_retry_backs_off_on_transport_failures_only():
    from ledger.evm import retry

    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("dropped")
        return "answer"

    assert retry(flaky) == "answer"
    assert len(calls) == 3

    def refused():
        raise ValueError("execution reverted")

    with pytest.raises(ValueError, match="reverted"):
        retry(refused)  # an answer of the node is not retried

    def down():
        raise ConnectionError("gone")

    with pytest.raises(ConnectionError):
        retry(down, attempts=3)


def test_resending_after_a_lost_acknowledgement_executes_once(evm_node):
    """The raw transaction is stored before it is broadcast; a retry sends the same bytes."""
    node = evm_node
    signed = node.transaction("cn-gacc", Op.ISSUE, doc="sha256:" + "a" * 64, kind=DocumentKind.CO)
    first = node.ledger.submit(signed)
    raw = node.ledger._db.execute("SELECT raw FROM sent WHERE tx_id = ?", (signed.id,)).fetchone()
    # The node answers "already known": success.
    node.ledger._submitter.broadcast(bytes(raw[0]), None)
    again = node.ledger.submit(signed)
    assert again.duplicate
    assert (again.tx_hash, again.block) == (first.tx_hash, first.block)
    assert node.ledger.size() == 1


# --- issue 11: round trips, deadlines, nonces ------------------------------------------------

CO = {"kind": DocumentKind.CO, "country": "CN"}


def _co(n: int) -> str:
    return f"sha256:{0xC0FFEE00 + n:064x}"


def test_a_single_submit_takes_two_round_trips(evm_node):
    """Send (with its receipt, where the node offers it), then one batch for the new logs;
    the chaincode's reads and the gas limit cost none."""
    node = evm_node
    chain = node.ledger._chain
    node.submit("cn-gacc", Op.ISSUE, doc=_co(0), **CO)  # the account's first nonce is asked
    ebl = node.issue(
        DocumentKind.EBL, (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes(), "cn-cosco"
    ).document.digest
    # Each account's first transaction also asks the node for its nonce, once.
    node.submit("cn-exporter", Op.ENDORSE, doc=ebl, to="cn-boc")
    node.submit("cn-boc", Op.TRANSFER, doc=ebl, to="cn-exporter")
    for org, op, fields in (
        ("cn-gacc", Op.ISSUE, {"doc": _co(1), **CO}),
        ("cn-exporter", Op.ENDORSE, {"doc": ebl, "to": "cn-boc"}),
        ("cn-boc", Op.SURRENDER, {"doc": ebl, "purpose": "delivery"}),
        ("cn-gacc", Op.AMEND, {"doc": _co(1), "newDoc": _co(2), "reason": "typo", **CO}),
    ):
        signed = node.transaction(org, op, **fields)
        before = chain.round_trips
        node.ledger.submit(signed)
        assert chain.round_trips - before == 2, op


def test_a_submit_not_mined_ends_at_its_deadline_and_resubmitting_learns_its_outcome(
    evm_node, monkeypatch
):
    from ledger.evm import submit

    node = evm_node
    node.submit("cn-gacc", Op.ISSUE, doc=_co(10), **CO)
    monkeypatch.setattr(submit, "SUBMIT_TIMEOUT", 1.0)
    signed = node.transaction("cn-gacc", Op.ISSUE, doc=_co(11), **CO)
    rpc(node, "evm_setAutomine", [False])
    try:
        started = time.monotonic()
        with pytest.raises(submit.SubmitTimeout) as late:
            node.ledger.submit(signed)
        assert time.monotonic() - started < 5  # the deadline, not the node's 30 s wait
        assert signed.id in str(late.value)
        assert "submit the same signed transaction again" in str(late.value)
        rpc(node, "evm_mine", [])
    finally:
        rpc(node, "evm_setAutomine", [True])
    again = node.ledger.submit(signed)  # the same bytes: its outcome, executed once
    assert again.duplicate
    assert node.ledger.document(_co(11)).state.value == "ISSUED"


def test_a_refused_send_gives_its_nonce_back_so_nothing_waits_behind_it(evm_node):
    node = evm_node
    ledger = node.ledger
    node.submit("cn-gacc", Op.ISSUE, doc=_co(20), **CO)
    account = ledger._submitter.account("cn-gacc")
    balance = rpc(node, "eth_getBalance", [account.address, "latest"])
    rpc(node, "anvil_setBalance", [account.address, "0x0"])
    nonce = ledger._chain._nonces[account.address]
    with pytest.raises(RuntimeError, match="the node refused transaction"):
        node.submit("cn-gacc", Op.ISSUE, doc=_co(21), **CO)
    assert ledger._chain._nonces[account.address] == nonce  # given back
    rpc(node, "anvil_setBalance", [account.address, balance])
    receipt = node.submit("cn-gacc", Op.ISSUE, doc=_co(21), **CO)  # not behind a gap
    assert receipt.block is not None
    assert node.ledger.document(_co(21)).state.value == "ISSUED"


# --- exclusive control across platforms (issue 13) ------------------------------------------


def _race(node, first, second):
    """Two transactions sent before either is mined, then one block: their outcomes."""
    results: dict[str, object] = {}
    rpc(node, "evm_setAutomine", [False])
    try:

        def go(name, signed):
            try:
                results[name] = node.ledger.submit(signed)
            except Refusal as refusal:
                results[name] = refusal

        threads = [threading.Thread(target=go, args=item) for item in (("a", first), ("b", second))]
        for count, thread in enumerate(threads, start=1):
            thread.start()
            wait_for_pending(node, count, thread)
        rpc(node, "evm_mine", [])
    finally:
        rpc(node, "evm_setAutomine", [True])
    for t in threads:
        t.join(timeout=60)
    return results


def test_a_transfer_racing_a_pint_send_is_refused_by_the_contract(evm_node):
    node = evm_node
    ebl = node.issue(
        DocumentKind.EBL, (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes(), "cn-cosco"
    ).document.digest
    out = node.transaction(
        "cn-exporter", Op.BEGIN_TRANSFER_OUT, doc=ebl, where="SGTD", ref="1" * 64,
        action="TRANSFER",
    )  # fmt: skip
    local = node.transaction("cn-exporter", Op.TRANSFER, doc=ebl, to="cn-boc")
    results = _race(node, out, local)
    assert not isinstance(results["a"], Refusal)
    loser = results["b"]
    assert isinstance(loser, Refusal)
    assert loser.kind is RefusalKind.CONFLICT
    assert "in flight to PINT platform SGTD" in loser.rule
    record = node.ledger.document(ebl)
    assert (record.holder, record.away_at) == ("cn-exporter", "SGTD")


def test_the_contract_itself_refuses_moves_that_do_not_fit(evm_node):
    """What the chaincode would refuse first, sent straight to the contract: one error."""
    from ledger.evm.chain import doc_id_bytes, where_bytes
    from network.evm.home import org_account

    node = evm_node
    ebl = node.issue(
        DocumentKind.EBL, (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes(), "cn-cosco"
    ).document.digest
    chain, contract = node.ledger._chain, node.ledger._contract
    carrier = node.ledger._reads.number("cn-cosco")

    def move(org, op, state=0, ref=b"\1" * 32):
        fn = contract.functions.moveControl(
            doc_id_bytes(ebl), carrier << 160 | op << 192 | state << 200, ref, where_bytes("SGTD")
        )
        return chain.refusal(org_account(node.home, org), fn)

    assert move("cn-boc", 3).error == "ControlRefused"  # not the possessor
    assert move("cn-exporter", 4, 1).error == "ControlRefused"  # nothing in flight
    assert move("cn-exporter", 6, 1).error == "ControlRefused"  # held here: no arrival
    assert move("cn-exporter", 9).error == "ControlRefused"  # no such operation
    node.submit("cn-exporter", Op.EXPORT_EBL, doc=ebl, where="eip155:1337:0x" + "ab" * 20,
                ref="2" * 64)  # fmt: skip
    fn = contract.functions.transfer(
        doc_id_bytes(ebl), carrier, node.ledger._reads.address("cn-boc")
    )
    refused = chain.refusal(org_account(node.home, "cn-exporter"), fn)
    assert (refused.error, refused.error_args) == ("ControlElsewhere", (1,))
    assert move("cn-cosco", 2, 5, b"\3" * 32).error == "ControlRefused"  # another token


def test_another_node_reads_the_moves_from_the_events_alone(anvil, demo_home):
    deploy(anvil, demo_home)
    registry = "eip155:1337:0x" + "Ab" * 20
    with Node(demo_home, engine="evm", rpc=anvil) as node:
        ebl = node.issue(
            DocumentKind.EBL, (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes(), "cn-cosco"
        ).document.digest
        node.submit("cn-exporter", Op.EXPORT_EBL, doc=ebl, where=registry, ref="2" * 64)
        received = "sha256:" + "7" * 64
        node.submit("sg-importer", Op.RECORD_RECEIVED, doc=received, where="AEOT",
                    ref="3" * 64, action="TRANSFER", carrierPlatform="AEOT")  # fmt: skip
        node.submit("sg-importer", Op.BEGIN_TRANSFER_OUT, doc=received, where="IQAX",
                    ref="4" * 64, action="TRANSFER")  # fmt: skip
        expected = [node.ledger.document(d) for d in (ebl, received)]
        history = [node.ledger.history(d) for d in (ebl, received)]
    (demo_home.path / "evm-index.db").rename(demo_home.path / "old-index.db")
    with Node(demo_home, engine="evm", rpc=anvil) as fresh:
        assert [fresh.ledger.document(d) for d in (ebl, received)] == expected
        exported, flying = expected
        assert (exported.away_at.lower(), exported.holder) == (registry.lower(), None)
        assert (flying.issuer, flying.carrier_platform, flying.away_at) == (
            "sg-importer",
            "AEOT",
            "IQAX",
        )
        assert fresh.ledger.issuers(received) == ["sg-importer"]
        entries = [fresh.ledger.history(d) for d in (ebl, received)]
        assert [[(e.op, e.actor) for e in h] for h in entries] == [
            [(e.op, e.actor) for e in h] for h in history
        ]
        assert entries[0][-1].details["where"].lower() == registry.lower()
        assert entries[1][0].details == {"ref": "3" * 64, "where": "AEOT",
                                         "carrierPlatform": "AEOT"}  # fmt: skip
