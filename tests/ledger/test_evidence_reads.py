"""The evidence a verification reads (``ledger.embedded.evidence_reads``) is what plain reads
of the tables say, one question at a time: the record (the issuer's, else the digest's
first), the first entry that touched it and that entry's RFC 9162 proof against the latest
checkpoint, and the note of what this node checked at issue. Compared at every tree size
from one entry up, for plain records, batch members, an endorsed eBL, a second issuer's
record of a digest, an eBL whose control lives elsewhere, and digests no one anchored."""

import json
import sqlite3

from chaincode.documents.registry import DocumentKind
from chaincode.transactions import Op
from ledger.admission import batch_root
from ledger.embedded.proof_reads import ProofReads
from ledger.evidence import Evidence, IssueValidation, MerkleInclusion
from ledger.records_codec import DOCUMENT_COLUMNS, document_from_row
from tests.conftest import EXAMPLES

CO = {"kind": DocumentKind.CO, "country": "CN"}


def digest(n: int) -> str:
    return f"sha256:{n:064x}"


def reference(db: sqlite3.Connection, doc_id: str, issuer: str) -> Evidence | None:
    """``Ledger.evidence`` from one plain statement per question, and a fresh proof."""
    columns = f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = ?"
    row = db.execute(f"{columns} AND issuer = ?", (doc_id, issuer)).fetchone()
    if row is None:
        row = db.execute(f"{columns} ORDER BY entry LIMIT 1", (doc_id,)).fetchone()
    if row is None:
        return None
    record = document_from_row(row)
    kept = db.execute(
        "SELECT kind, rules, country, verified FROM signed_documents WHERE id = ?", (doc_id,)
    ).fetchone()
    validated = None
    if kept is not None and kept[0] is not None and kept[1] is not None:
        validated = IssueValidation(DocumentKind(kept[0]), kept[1], kept[2], kept[3])
    size, note = db.execute("SELECT size, note FROM checkpoints ORDER BY size DESC").fetchone()
    (first,) = db.execute(
        "SELECT MIN(entry) FROM history WHERE (doc = ? OR doc = ?) AND issuer = ? AND entry < ?",
        (record.id, record.batch, record.issuer, size),
    ).fetchone()
    if first is None:
        return Evidence.of(record, None, validated)
    leaf, path = ProofReads(keep=False).leaf_and_path(db, first, size)
    return Evidence.of(record, MerkleInclusion(first, leaf, tuple(path), note), validated)


def test_evidence_is_what_plain_reads_say_at_every_size(node):
    asked: list[tuple[str, str]] = [(digest(999), "cn-gacc")]  # never anchored

    def check_all() -> None:
        db = sqlite3.connect(node.home.path / "ledger.db")
        try:
            for doc_id, issuer in asked:
                assert node.ledger.evidence(doc_id, issuer) == reference(db, doc_id, issuer), (
                    doc_id,
                    issuer,
                )
        finally:
            db.close()

    for i in range(12):
        node.submit("cn-gacc", Op.ISSUE, doc=digest(i), **CO)
        asked.append((digest(i), "cn-gacc"))
        asked.append((digest(i), "cn-ccpit"))  # no record of its own: the first record's
        check_all()
    content = json.loads((EXAMPLES / "co_cn_sg.json").read_bytes())
    for i in range(3):  # issued by this node: with the note of its checks at issue
        content["certificateNumber"] = f"EVIDENCE-{i}"
        issued = node.issue(DocumentKind.CO, json.dumps(content).encode(), "cn-gacc")
        asked.append((issued.document.digest, "cn-gacc"))
        check_all()
    members = [digest(100 + i) for i in range(9)]
    node.submit("cn-gacc", Op.ANCHOR_BATCH, doc=batch_root(members), digests=members, **CO)
    asked += [(d, "cn-gacc") for d in members]
    check_all()
    node.submit("cn-ccpit", Op.ISSUE, doc=digest(3), **CO)  # a second record of digest 3
    asked.append((digest(3), "cn-ccpit"))
    check_all()
    ebl = node.issue(
        DocumentKind.EBL, (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes(), "cn-cosco"
    ).document.digest
    node.submit("cn-exporter", Op.ENDORSE, doc=ebl, to="cn-boc")
    asked.append((ebl, "cn-cosco"))
    for i in range(20, 40):
        node.submit("cn-gacc", Op.ISSUE, doc=digest(i), **CO)
        asked.append((digest(i), "cn-gacc"))
        check_all()
    evidence = node.ledger.evidence(ebl, "cn-cosco")
    assert evidence is not None
    assert evidence.holder == "cn-boc"
    assert node.ledger.evidence(digest(3), "cn-ccpit").issuer == "cn-ccpit"
    assert node.ledger.evidence(digest(5), "cn-ccpit").issuer == "cn-gacc"
    assert node.ledger.evidence(digest(999), "cn-gacc") is None


def test_an_ebl_whose_control_lives_elsewhere_says_where(node):
    ebl = node.issue(
        DocumentKind.EBL, (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes(), "cn-cosco"
    ).document.digest
    detail = {"carrier": "cn-cosco", "away": "exported", "awayAt": "eip155:1337:0x" + "ab" * 20}
    with sqlite3.connect(node.home.path / "ledger.db") as db:
        db.execute("UPDATE documents SET detail = ? WHERE id = ?", (json.dumps(detail), ebl))
    with sqlite3.connect(node.home.path / "ledger.db") as db:
        expected = reference(db, ebl, "cn-cosco")
    evidence = node.ledger.evidence(ebl, "cn-cosco")
    assert evidence == expected
    assert evidence is not None
    assert evidence.elsewhere is not None
    assert "0x" + "ab" * 20 in evidence.elsewhere
