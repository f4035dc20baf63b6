"""What a verification reads from the embedded ledger about one document (``Evidence``): its
record, the inclusion proof of the first entry that touched it against the latest signed
checkpoint, and this node's note of what it checked when it issued the document.

The engine (``ledger.embedded.engine``) hands a read connection to ``EvidenceReads``, which
asks in one statement as a rule (the rest of the proof is parts of the tree the reader keeps,
``proof_reads``, or a second statement).
"""

from __future__ import annotations

import datetime
import sqlite3
from typing import Any

from chaincode.records import DocumentRecord
from ledger.embedded.proof_reads import ProofReads, entry_reads
from ledger.evidence import Evidence, IssueValidation, MerkleInclusion
from ledger.records_codec import DOCUMENT_COLUMNS, document_from_row, kind_of, state_of

# The first entry that touched a document, its leaf, its inclusion proof and the signed
# checkpoint the proof is against.
Inclusion = tuple[int, bytes, list[bytes], str]
# A row of ``_EVIDENCE``: the record's columns (``DOCUMENT_COLUMNS``), the checkpoint's size
# and note, the first entry, the note of the checks at issue (kind, rules, country,
# verified), and the entry's leaf and low siblings (``proof_reads.entry_reads``).
Row = tuple[Any, ...]


def _first_entry(docs: str) -> str:
    """The first entry below the checkpoint that touched the record, by ``docs``."""
    return (
        f"(SELECT MIN(entry) FROM history WHERE doc {docs} "  # noqa: S608
        "AND issuer = documents.issuer AND entry < cp.size)"
    )


def _evidence_query(by_issuer: bool) -> str:
    where = "documents.id = ?" + (" AND documents.issuer = ?" if by_issuer else "")
    record = ", ".join(f"documents.{column}" for column in DOCUMENT_COLUMNS.split(", "))
    entry_columns, entry_joins = entry_reads("r.first")
    return (
        f"SELECT r.*, {entry_columns} FROM ("  # noqa: S608
        f"SELECT {record}, cp.size, cp.note, "
        # ``doc IN (id, batch)`` builds a table for its list on every run: only a batch
        # member, whose batch's entries count too, needs it.
        f"CASE WHEN documents.batch IS NULL THEN {_first_entry('= documents.id')} "
        f"ELSE {_first_entry('IN (documents.id, documents.batch)')} END AS first, "
        "kept.kind, kept.rules, kept.country, kept.verified "
        "FROM documents LEFT JOIN checkpoints AS cp "
        "ON cp.size = (SELECT MAX(size) FROM checkpoints) "  # one seek, no scan
        "LEFT JOIN signed_documents AS kept ON kept.id = documents.id "
        f"WHERE {where} ORDER BY documents.entry LIMIT 1) AS r {entry_joins}"
    )


# ``document_and_inclusion``'s statement: the digest's first record, and issuer's record.
_EVIDENCE = (_evidence_query(False), _evidence_query(True))


class EvidenceReads:
    """Evidence from the ``documents``, ``history``, ``checkpoints``, ``signed_documents``,
    ``entries`` and ``nodes`` tables, with parts of the tree kept (``ProofReads``)."""

    def __init__(self) -> None:
        self._proofs = ProofReads(keep=True)

    def _read(
        self, db: sqlite3.Connection, doc_id: str, issuer: str | None
    ) -> tuple[Row, MerkleInclusion | None] | None:
        """The statement's row for the record (``issuer``'s, or the digest's first), and the
        inclusion of the first entry that touched it (None only if the stored log does not
        hold the entry). The rest of the proof is parts of the tree kept by the reader, or
        read in a second statement."""
        params = (doc_id, issuer) if issuer else (doc_id,)
        row: Row | None = db.execute(_EVIDENCE[bool(issuer)], params).fetchone()
        if row is None:
            return None
        size, note, first, leaf = row[9], row[10], row[11], row[16]
        if first is None:
            return row, None
        try:
            leaf, path = self._proofs.path_with(
                db, first, size, None if leaf is None else bytes(leaf), row[17:]
            )
        except LookupError:
            return row, None
        return row, MerkleInclusion(first, leaf, tuple(path), note)

    def document_and_inclusion(
        self, db: sqlite3.Connection, doc_id: str, issuer: str | None = None
    ) -> tuple[DocumentRecord, Inclusion | None, IssueValidation | None] | None:
        """A document's record (``issuer``'s, or the digest's first), its inclusion (the
        first entry that touched it, that entry's proof and the latest checkpoint it is
        proven against), and what this node recorded when it validated the document at
        issue (if it signed it): the record, checkpoint, entry number and issue validation
        from one snapshot. The inclusion is None only if the stored log does not hold the
        entry."""
        found = self._read(db, doc_id, issuer)
        if found is None:
            return None
        row, proof = found
        record = document_from_row(row[:9])
        if proof is None:
            return record, None, _validated(row)
        return (
            record,
            (proof.index, proof.leaf, list(proof.path), proof.checkpoint),
            _validated(row),
        )

    def evidence(self, db: sqlite3.Connection, digest: str, issuer: str) -> Evidence | None:
        """``issuer``'s record of ``digest`` and its inclusion proof (see ``Ledger.evidence``);
        if ``issuer`` anchored no record of it, the digest's first record (another issuer's),
        so that the verifier can name who did. With them, this node's note of its
        validation of the document at issue, if it signed it (``Evidence.validated``)."""
        found = self._read(db, digest, issuer) or self._read(db, digest, None)
        if found is None:
            return None
        row, proof = found
        if row[8] is not None:  # details (succession, eBL control, where control lives)
            return Evidence.of(document_from_row(row[:9]), proof, _validated(row))
        # None: the evidence ``Evidence.of`` makes of the record, without the record.
        return Evidence(
            row[0],
            row[2],
            kind_of(row[1]),
            datetime.datetime.fromisoformat(row[5]),
            state_of(row[4]),
            row[7],
            None,
            proof,
            None,
            _validated(row),
        )


def _validated(row: Row) -> IssueValidation | None:
    """This node's note of its validation of the document at issue, if it signed it."""
    if row[12] is None or row[13] is None:
        return None
    return IssueValidation(kind_of(row[12]), row[13], row[14], row[15])


__all__ = ["EvidenceReads", "Inclusion"]
