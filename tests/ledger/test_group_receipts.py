"""Receipts built by the writer from what it wrote (ledger.embedded.group_commit) are the
receipts the committed ledger gives when read back: same entry, entry hash, checkpoint,
inclusion proof and record summaries, for groups of every size and tree shape, with
refusals among them and records changed later in the same group."""

import dataclasses
import fcntl
import threading
import time

from chaincode.lifecycle import Refusal
from chaincode.transactions import Op
from ledger.interface import Receipt
from ledger.tlog import checkpoint, merkle
from tests.ledger.test_embedded import CO, digest, issue_ebl


def _one_group(node, group):
    """Submit ``group`` as one group commit: the test holds the writers' lock (as another
    process's writer would) until the writer has taken the first and the rest are queued."""
    results = []
    with (node.home.path / "ledger.db.lock").open("a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            worker = threading.Thread(target=lambda: results.extend(node.ledger.submit_many(group)))
            worker.start()
            deadline = time.monotonic() + 10
            while node.ledger.queue_depth() != len(group) - 1:  # the first is taken
                assert time.monotonic() < deadline, "the writer never took the group"
                time.sleep(0.001)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
        worker.join(timeout=30)
    assert len(results) == len(group)
    return results


def _read_back(node, signed):
    """The receipt of an already committed transaction: the writer reads it back."""
    again = node.ledger.submit(signed)
    assert again.duplicate
    return dataclasses.replace(again, duplicate=False)


def test_every_receipt_of_every_group_is_the_committed_ledgers(node):
    key = node.home.setting("checkpointKey")
    n = 0
    for group_size in (1, 2, 3, 5, 8, 13, 4):  # sizes crossing powers of two
        group = []
        for i in range(group_size):
            n += 1
            org = "cn-cosco" if i == 1 else "cn-gacc"  # the second of each group is refused
            group.append(node.transaction(org, Op.ISSUE, doc=digest(n), **CO))
        results = _one_group(node, group)
        assert [isinstance(r, Refusal) for r in results] == [i == 1 for i in range(group_size)]
        for signed, receipt in zip(group, results, strict=True):
            if isinstance(receipt, Refusal):
                continue
            assert isinstance(receipt, Receipt)
            assert not receipt.duplicate
            assert receipt == _read_back(node, signed)
            cp = checkpoint.open_note(receipt.checkpoint, key)
            (leaf,) = node.ledger._db.execute(
                "SELECT leaf FROM entries WHERE idx = ?", (receipt.index,)
            ).fetchone()
            path = [bytes.fromhex(h) for h in receipt.inclusion]
            assert merkle.verify_inclusion(
                merkle.leaf_hash(bytes(leaf)), receipt.index, cp.size, path, cp.root
            )
    assert node.ledger.verify_log().valid


def test_a_receipt_names_its_records_as_the_group_left_them(node):
    issued = issue_ebl(node)
    ebl = issued.document.digest
    holder = issued.receipt.documents[0]["holder"]
    endorse = node.transaction(holder, Op.ENDORSE, doc=ebl, to="cn-boc")
    transfer = node.transaction("cn-boc", Op.TRANSFER, doc=ebl, to="sg-dbs")
    first, second = _one_group(node, [endorse, transfer])
    assert isinstance(first, Receipt)
    assert isinstance(second, Receipt)
    for signed, receipt in ((endorse, first), (transfer, second)):
        assert receipt == _read_back(node, signed)
    # Both name the record as the group committed it: held by sg-dbs.
    assert first.documents == second.documents
    assert first.documents[0]["holder"] == "sg-dbs"
