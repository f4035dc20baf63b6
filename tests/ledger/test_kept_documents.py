"""A signed document is committed in the same SQLite transaction as the entry that anchors
it (one fsync for both): acknowledged means both are durable, a refusal keeps neither, and
several processes (``tdx serve``'s workers) write one ledger in turn without losing any."""

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal
from chaincode.transactions import Op
from ledger.interface import SignedDocument
from network import examples
from network.node import Node

from .sigkill import kill_and_read_rest

WRITER = Path(__file__).with_name("issue_writer.py")
ROOT = Path(__file__).resolve().parents[2]


def _writer(home: Path, tag: str, threads: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(home), tag, str(threads), str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _digest(rng: random.Random) -> str:
    return f"sha256:{rng.getrandbits(256):064x}"


def test_the_document_is_committed_with_its_entry(node, demo_home):
    issued = node.issue(DocumentKind.CO, examples.read(examples.CO), "cn-gacc")
    digest = issued.document.digest
    # Another connection (as another process would) sees both, from the same commit.
    with sqlite3.connect(demo_home.path / "ledger.db") as db:
        kept = db.execute("SELECT envelope FROM signed_documents WHERE id = ?", (digest,))
        assert json.loads(kept.fetchone()[0])["document"]["certificateNumber"]
        tx = db.execute("SELECT tx_id FROM entries WHERE idx = ?", (issued.receipt.index,))
        assert tx.fetchone()[0] == issued.receipt.tx_id
    # No file of its own: the store's separate fsync is what this saves.
    assert not list((demo_home.path / "store").glob("*.json"))
    data = node.store.get(digest)
    assert data is not None
    assert node.store.has(digest)
    report = node.verify(data)
    assert report.valid, report.to_json()


def test_a_refused_transaction_keeps_no_document(node):
    rng = random.Random(1)
    doc, other = _digest(rng), _digest(rng)
    fields = {"kind": DocumentKind.CO, "country": "CN"}
    first = node.transaction("cn-gacc", Op.ISSUE, doc=doc, **fields)
    node.ledger.submit_document(first, SignedDocument(doc, b"first"))
    again = node.transaction("cn-gacc", Op.ISSUE, doc=doc, **fields)  # already issued
    assert again.id != first.id
    with pytest.raises(Refusal):
        node.ledger.submit_document(again, SignedDocument(other, b"second"))
    assert node.ledger.signed_document(other) is None
    assert node.ledger.signed_document(doc) == b"first"
    # A transaction sent twice is one entry; its document is not replaced.
    repeat = node.ledger.submit_document(first, SignedDocument(doc, b"changed"))
    assert repeat.duplicate
    assert node.ledger.signed_document(doc) == b"first"


def test_a_document_stored_as_a_file_before_is_still_read(node):
    doc = _digest(random.Random(2))
    assert node.store.put(doc, {"a": 1})
    assert json.loads(node.store.get(doc)) == {"a": 1}
    assert node.ledger.signed_document(doc) is None


def test_every_acknowledged_document_survives_sigkill(demo_home):
    rng = random.Random(7)
    acknowledged: list[tuple[int, str]] = []
    for round_ in range(3):
        proc = _writer(demo_home.path, f"k{round_}", 4, 500)
        wanted = rng.randint(1, 60)  # kill at a point of progress, not of time
        assert proc.stdout is not None
        for _ in range(wanted):
            line = proc.stdout.readline()
            if not line:
                break
            index, digest = line.split()
            acknowledged.append((int(index), digest))
        acknowledged += [(int(i), d) for i, d in kill_and_read_rest(proc)]
    assert len(acknowledged) >= 3
    with Node(demo_home) as node:
        for index, digest in acknowledged:
            data = node.store.get(digest)
            assert data is not None, f"acknowledged {digest} (entry {index}) lost its document"
            assert node.ledger.history(digest)[0].index == index
        for _, digest in acknowledged[:: max(1, len(acknowledged) // 5)]:
            report = node.verify(node.store.get(digest))
            assert report.valid, report.to_json()
        check = node.ledger.verify_log()
        assert check.valid, check.to_json()


def test_two_processes_issue_on_one_ledger_in_turn(demo_home):
    procs = [_writer(demo_home.path, tag, 3, 15) for tag in ("a", "b")]
    lines = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        lines += out.splitlines()
    issued = [(int(i), d) for i, d in (line.split() for line in lines)]
    assert len(issued) == 90
    assert len({i for i, _ in issued}) == 90  # every entry its own index
    with Node(demo_home) as node:
        for index, digest in issued:
            assert node.store.get(digest) is not None
            assert node.ledger.history(digest)[0].index == index
        check = node.ledger.verify_log()
        assert check.valid, check.to_json()
        assert check.facts.entries >= 90


def test_a_queued_document_cannot_be_withdrawn_and_its_answer_still_comes(node):
    # An event loop that gives up on a request (the client went away) cancels the future
    # it awaits; the transaction is queued for the group commit all the same, so the future
    # must refuse the cancel, and the writer must still answer it (and the next ones).
    rng = random.Random(3)
    doc, later = _digest(rng), _digest(rng)
    fields = {"kind": DocumentKind.CO, "country": "CN"}
    signed = node.transaction("cn-gacc", Op.ISSUE, doc=doc, **fields)
    future = node.ledger.submit_document_later(signed, SignedDocument(doc, b"kept"))
    assert not future.cancel()
    receipt = future.result(timeout=60)
    assert not isinstance(receipt, Refusal | int)
    assert receipt.tx_id == signed.id
    assert node.ledger.signed_document(doc) == b"kept"
    after = node.transaction("cn-gacc", Op.ISSUE, doc=later, **fields)
    assert node.ledger.submit_document(after, SignedDocument(later, b"next")).index > receipt.index
