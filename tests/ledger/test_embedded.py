"""The embedded engine: receipts, idempotency, atomic refusals, proofs, tampering.

Indexes, trace and racing transfers are in tests/conformance, which runs on both engines.
"""

import base64
import datetime
import json
import sqlite3
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chaincode.canonical import canonical_bytes
from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.read_policy import OPERATOR
from chaincode.transactions import Op
from ledger.admission import batch_root
from ledger.embedded import EmbeddedLedger
from ledger.signed_tx import parse
from ledger.tlog import checkpoint, merkle, proofs
from network.node import Node
from tests.conftest import EXAMPLES

CO = {"kind": DocumentKind.CO, "country": "CN"}


def digest(n: int) -> str:
    return f"sha256:{n:064x}"


def issue_ebl(node):
    return node.issue(
        DocumentKind.EBL, (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes(), "cn-cosco"
    )


def test_a_receipt_proves_inclusion_in_a_signed_checkpoint(node):
    receipt = node.submit("cn-gacc", Op.ISSUE, doc=digest(1), **CO)
    cp = checkpoint.open_note(receipt.checkpoint, node.home.setting("checkpointKey"))
    assert (receipt.index, cp.size) == (0, 1)
    (row,) = node.ledger._db.execute("SELECT leaf FROM entries WHERE idx = 0").fetchall()
    assert canonical_bytes(json.loads(bytes(row[0]))) == bytes(row[0])  # assembled = RFC 8785
    path = [bytes.fromhex(h) for h in receipt.inclusion]
    assert merkle.verify_inclusion(merkle.leaf_hash(bytes(row[0])), 0, cp.size, path, cp.root)
    assert receipt.documents == [
        {"id": digest(1), "issuer": "cn-gacc", "kind": "co", "state": "ISSUED"}
    ]


def test_resubmitting_the_same_signed_transaction_changes_nothing(node):
    signed = node.transaction("cn-gacc", Op.ISSUE, doc=digest(1), **CO)
    first = node.ledger.submit(signed)
    node.submit("cn-gacc", Op.ISSUE, doc=digest(2), **CO)
    again = node.ledger.submit(signed)
    assert again.duplicate
    assert (again.index, again.tx_id, again.checkpoint, again.inclusion) == (
        first.index,
        first.tx_id,
        first.checkpoint,
        first.inclusion,
    )
    assert node.ledger.size() == 2


def test_a_refused_transaction_changes_nothing_even_inside_a_group(node):
    good1 = node.transaction("cn-gacc", Op.ISSUE, doc=digest(1), **CO)
    bad = node.transaction("cn-cosco", Op.ISSUE, doc=digest(2), **CO)  # wrong role
    good2 = node.transaction("cn-gacc", Op.ISSUE, doc=digest(3), **CO)
    results = node.ledger.submit_many([good1, bad, good2])
    assert [getattr(r, "index", None) for r in results] == [0, None, 1]
    assert isinstance(results[1], Refusal)
    assert results[1].kind is RefusalKind.FORBIDDEN
    assert node.ledger.document(digest(2)) is None
    assert node.ledger.size() == 2
    assert node.ledger.verify_log().valid


def test_transactions_far_from_the_ledger_clock_are_refused(demo_home):
    late = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    with Node(demo_home, clock=lambda: late) as skewed:
        signed = skewed.transaction("cn-gacc", Op.ISSUE, doc=digest(1), **CO)
    with Node(demo_home) as node, pytest.raises(Refusal, match="more than 0:05:00"):
        node.ledger.submit(signed)


def test_a_forged_signature_is_refused(node):
    signed = node.transaction("cn-gacc", Op.ISSUE, doc=digest(1), **CO)
    wire = dict(signed.wire)
    wire["tx"] = dict(wire["tx"], doc=digest(2))  # same signature, other content
    with pytest.raises(Refusal, match="signature is not cn-gacc's"):
        node.ledger.submit(parse(wire))


def test_batch_anchoring_and_its_offline_proof(node, tmp_path):
    digests = [digest(100 + i) for i in range(37)]
    receipt = node.submit(
        "cn-gacc", Op.ANCHOR_BATCH, doc=batch_root(digests), digests=digests, **CO
    )
    assert receipt.index == 0
    assert node.ledger.document(digests[20]).batch == batch_root(digests)
    proof = node.proof(digests[20], OPERATOR)
    result = proofs.check(proof, node.ledger.checkpoint(), node.home.setting("checkpointKey"))
    assert result.valid, result.to_json()
    assert any("item 20 of the batch" in c.reason for c in result.checks)
    with pytest.raises(Refusal, match="Merkle root"):
        node.submit("cn-gacc", Op.ANCHOR_BATCH, doc=digest(1), digests=[digest(2)], **CO)


def test_offline_proof_detects_a_changed_entry_or_the_wrong_key(node):
    ebl_id = issue_ebl(node).document.digest
    node.submit("cn-exporter", Op.ENDORSE, doc=ebl_id, to="cn-boc")
    note, key = node.ledger.checkpoint(), node.home.setting("checkpointKey")
    proof = node.proof(ebl_id, OPERATOR)
    good = proofs.check(proof, note, key)
    assert good.valid, good.to_json()
    assert len(proof["entries"]) == 2
    forged = json.loads(json.dumps(proof))
    leaf = json.loads(base64.b64decode(forged["entries"][1]["leaf"]))
    leaf["signed"]["tx"]["to"] = "sg-dbs"
    forged["entries"][1]["leaf"] = base64.b64encode(json.dumps(leaf).encode()).decode()
    bad = proofs.check(forged, note, key)
    assert not bad.valid
    assert any("entry 1: not included" in c.reason for c in bad.failures())
    other_key = checkpoint.verifier_key("other", Ed25519PrivateKey.generate().public_key())
    assert not proofs.check(proof, note, other_key).valid


def test_one_changed_byte_is_found_and_named(node):
    for i in range(5):
        node.submit("cn-gacc", Op.ISSUE, doc=digest(i), **CO)
    assert node.ledger.verify_log().valid
    db = sqlite3.connect(node.home.path / "ledger.db")
    leaf = bytearray(db.execute("SELECT leaf FROM entries WHERE idx = 2").fetchone()[0])
    position = leaf.index(b'"committedAt":"') + len(b'"committedAt":"') + 3
    leaf[position] = ord("9") if leaf[position] != ord("9") else ord("8")
    db.execute("UPDATE entries SET leaf = ? WHERE idx = 2", (bytes(leaf),))
    db.commit()
    db.close()
    result = node.ledger.verify_log()
    assert not result.valid
    assert result.failures()[0].reason.startswith("entry 2:")
    assert any(c.reason.startswith("entry 3: hash chain broken") for c in result.failures())


def test_the_ledger_survives_a_restart(demo_home):
    with Node(demo_home) as node:
        ebl_id = issue_ebl(node).document.digest
        node.submit("cn-exporter", Op.ENDORSE, doc=ebl_id, to="cn-boc")
    with Node(demo_home) as node:
        assert node.ledger.document(ebl_id).holder == "cn-boc"
        assert node.ledger.size() == 2
        check = node.ledger.verify_log()
        assert check.valid, check.to_json()
        assert (check.facts.entries, check.facts.signatures) == (2, 2)


def test_ledgers_opened_at_the_same_moment_all_open(demo_home, tmp_path):
    # tdx serve's workers open the same new ledger at once. Unserialised, switching it to
    # WAL and creating the schema deadlocked inside SQLite about once in ten rounds here
    # ("database is locked", which stopped a freshly started node).
    errors = []
    with Node(demo_home) as node:
        identities, signer = node.identities, node.ledger._signer

        def open_ledger(path, barrier):
            barrier.wait()
            try:
                EmbeddedLedger(path, identities, signer).close()
            except sqlite3.OperationalError as exc:
                errors.append(str(exc))

        for round_ in range(40):
            barrier = threading.Barrier(4)
            path = tmp_path / f"ledger-{round_}.db"
            openers = [threading.Thread(target=open_ledger, args=(path, barrier)) for _ in range(4)]
            for t in openers:
                t.start()
            for t in openers:
                t.join(timeout=60)
    assert errors == []


def test_a_record_whose_log_entry_is_gone_fails_inclusion_instead_of_crashing(node):
    issued = node.issue(DocumentKind.CO, (EXAMPLES / "co_cn_sg.json").read_bytes(), "cn-gacc")
    envelope = node.store.get(issued.document.digest)
    assert node.verify(envelope).valid
    db = sqlite3.connect(node.home.path / "ledger.db")
    db.execute("DELETE FROM history WHERE doc = ?", (issued.document.digest,))
    db.commit()
    db.close()
    checks = {c.name: c for c in node.verify(envelope).checks}
    assert checks["anchored"].status.value == "pass"
    assert checks["inclusion"].status.value == "fail"
    assert checks["inclusion"].reason == "the ledger holds no log entry for the document"


OLD_LAYOUT = """
CREATE TABLE documents (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, issuer TEXT NOT NULL, country TEXT,
    state TEXT NOT NULL, issued_at TEXT NOT NULL, batch TEXT, holder TEXT, detail TEXT
) WITHOUT ROWID;
CREATE TABLE history (doc TEXT NOT NULL, entry INTEGER NOT NULL, PRIMARY KEY (doc, entry))
    WITHOUT ROWID;
CREATE TABLE links (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE TABLE containers (container TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (container, doc)) WITHOUT ROWID;
CREATE TABLE batches (root TEXT PRIMARY KEY, entry INTEGER NOT NULL) WITHOUT ROWID;
"""


def test_a_ledger_file_of_the_first_layout_is_upgraded_in_place(demo_home):
    """Records keyed by digest alone (before issue 10) become records keyed by (digest,
    issuer), with their history, links, containers, batches and rights, and nothing lost."""
    members = [digest(30), digest(31)]
    with Node(demo_home) as node:
        node.submit("cn-gacc", Op.ISSUE, doc=digest(1), **CO)
        node.submit("cn-gacc", Op.AMEND, doc=digest(1), newDoc=digest(2), reason="x", **CO)
        node.submit("cn-gacc", Op.ANCHOR_BATCH, doc=batch_root(members), digests=members, **CO)
        ebl = issue_ebl(node).document.digest
        node.submit("cn-exporter", Op.SURRENDER, doc=ebl, purpose="delivery")
        node.submit("cn-cosco", Op.ACCEPT, doc=ebl)
        expires = node.clock() + datetime.timedelta(days=1)
        node.submit(
            "cn-cosco", Op.RELEASE, doc=ebl, containers=["CXRU1523418"], to="sg-haulier",
            expires=expires,
        )  # fmt: skip
        before = {
            d: (node.ledger.document(d), [e.op for e in node.ledger.history(d)])
            for d in (digest(1), digest(2), members[0], ebl)
        }
        size = node.ledger.size()
    # Rewrite the state tables as the first layout kept them (the log stays as it is).
    db = sqlite3.connect(demo_home.path / "ledger.db", isolation_level=None)
    db.executescript(
        "ALTER TABLE documents RENAME TO new_documents; ALTER TABLE history RENAME TO new_history;"
        "ALTER TABLE links RENAME TO new_links; ALTER TABLE containers RENAME TO new_containers;"
        "ALTER TABLE batches RENAME TO new_batches; DROP TABLE released; DROP TABLE signers;"
        "DROP INDEX IF EXISTS documents_first; DROP INDEX IF EXISTS documents_holder;"
        "DROP INDEX IF EXISTS history_entry;" + OLD_LAYOUT +
        "INSERT INTO documents SELECT id, kind, issuer, country, state, issued_at, batch, holder,"
        " detail FROM new_documents;"
        "INSERT INTO history SELECT doc, entry FROM new_history;"
        "INSERT INTO links SELECT a, b FROM new_links;"
        "INSERT INTO containers SELECT container, doc FROM new_containers;"
        "INSERT INTO batches SELECT root, entry FROM new_batches;"
        "DROP TABLE new_documents; DROP TABLE new_history; DROP TABLE new_links;"
        "DROP TABLE new_containers; DROP TABLE new_batches;"
    )  # fmt: skip
    db.close()
    with Node(demo_home) as node:
        after = {
            d: (node.ledger.document(d), [e.op for e in node.ledger.history(d)]) for d in before
        }
        assert after == before
        assert node.ledger.size() == size
        assert node.ledger.issuers(members[0]) == ["cn-gacc"]
        assert node.ledger.links(digest(2)) == [digest(1)]
        assert node.ledger.documents_for_container("CXRU1523418") == [ebl]
        again = node.transaction(
            "cn-cosco", Op.RELEASE, doc=ebl, containers=["CXRU1523418"], to="sg-haulier",
            expires=expires,
        )  # fmt: skip
        with pytest.raises(Refusal, match="is already released"):
            node.ledger.submit(again)
        assert node.ledger.verify_log().valid
