"""The embedded ledger's tables, and the upgrade of a file made before records were keyed
by issuer.

The log (``entries``, ``nodes``, ``checkpoints``) is the truth; the other tables are the
state the chaincode reads and the indexes the queries use; ``signed_documents`` is the
node's own store of the documents it signed, committed with their entries. A document's
record is keyed by (digest, issuer) and remembers the entry that created it (``entry``), so
the first record of a digest is the one anchored first. Provenance is kept per record:
``history`` and ``links`` name the record (digest and issuer) they belong to.
"""

from __future__ import annotations

import sqlite3

VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    idx INTEGER PRIMARY KEY,
    tx_id TEXT NOT NULL UNIQUE,
    leaf BLOB NOT NULL,
    cp_size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS nodes (
    level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT NOT NULL, kind TEXT NOT NULL, issuer TEXT NOT NULL, country TEXT,
    state TEXT NOT NULL, issued_at TEXT NOT NULL, batch TEXT, holder TEXT, detail TEXT,
    entry INTEGER NOT NULL, PRIMARY KEY (id, issuer)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS documents_first ON documents (id, entry);
CREATE INDEX IF NOT EXISTS documents_holder ON documents (holder) WHERE holder IS NOT NULL;
-- an eBL desk's list of the eBLs a carrier issued, partial so that the many other
-- documents cost no index write
CREATE INDEX IF NOT EXISTS documents_ebls_issued ON documents (issuer, entry) WHERE kind = 'ebl';
CREATE TABLE IF NOT EXISTS history (
    doc TEXT NOT NULL, issuer TEXT NOT NULL, entry INTEGER NOT NULL,
    PRIMARY KEY (doc, issuer, entry)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_entry ON history (entry);
-- a -> b: record (a, issuer) shows b in its provenance, as b_issuer's record of b (NULL:
-- the first record of b)
CREATE TABLE IF NOT EXISTS links (
    a TEXT NOT NULL, issuer TEXT NOT NULL, b TEXT NOT NULL, b_issuer TEXT,
    PRIMARY KEY (a, issuer, b)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS containers (
    container TEXT NOT NULL, doc TEXT NOT NULL, issuer TEXT NOT NULL,
    PRIMARY KEY (container, doc, issuer)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rights (container TEXT PRIMARY KEY, record TEXT NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS released (
    container TEXT NOT NULL, ebl TEXT NOT NULL, carrier TEXT NOT NULL,
    PRIMARY KEY (container, ebl, carrier)) WITHOUT ROWID;
-- Which organisation each ledger key (SHA-256 of its SubjectPublicKeyInfo) acts for: the
-- first organisation whose transaction it signed. One key acts for one organisation.
CREATE TABLE IF NOT EXISTS signers (key TEXT PRIMARY KEY, org TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches (
    root TEXT NOT NULL, issuer TEXT NOT NULL, entry INTEGER NOT NULL,
    PRIMARY KEY (root, issuer)) WITHOUT ROWID;
-- The node's signed documents, kept with the entry that anchored each (same transaction,
-- one fsync), the first one kept per digest, beside the log and never part of it. ``rules``,
-- ``kind`` and ``country``: what the node found when it validated the document at issue;
-- ``verified``: the SHA-256 of the signed bytes whose format, signature and integrity it
-- verified then, and a fingerprint of the code that did (NULL: none).
CREATE TABLE IF NOT EXISTS signed_documents (
    id TEXT PRIMARY KEY, envelope BLOB NOT NULL, kind TEXT, rules TEXT, country TEXT,
    verified TEXT);
"""


def statements(script: str) -> list[str]:
    """The statements of a script without semicolons in its comments or strings."""
    return [s.strip() for s in script.split(";") if s.strip()]


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in db.execute(f"PRAGMA table_info({table})")}


def upgrade(db: sqlite3.Connection) -> None:
    """Bring a file of an older layout to this one; a new or current file is left as it is."""
    _upgrade_records(db)
    kept = _columns(db, "signed_documents")
    if kept and "verified" not in kept:  # kept before issue-time verification was noted
        db.execute("ALTER TABLE signed_documents ADD COLUMN verified TEXT")


def _upgrade_records(db: sqlite3.Connection) -> None:
    """Bring a file of the first layout (one record per digest) to records keyed by issuer,
    in one transaction. Every old digest had one record, so its issuer names the record of
    each row that referred to the digest alone."""
    if "id" not in _columns(db, "documents") or "entry" in _columns(db, "documents"):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        for table in ("documents", "history", "links", "containers", "batches"):
            db.execute(f"ALTER TABLE {table} RENAME TO old_{table}")
        db.execute("DROP INDEX IF EXISTS documents_holder")
        db.execute("DROP INDEX IF EXISTS history_entry")
        for statement in statements(SCHEMA):  # executescript would commit half-way
            db.execute(statement)
        # The record's issuer by digest; a batch root by any of its members.
        db.execute(
            "CREATE TEMP TABLE owner AS SELECT id AS doc, issuer FROM old_documents "
            "UNION SELECT batch, MIN(issuer) FROM old_documents WHERE batch IS NOT NULL "
            "GROUP BY batch"
        )
        db.execute(
            "INSERT INTO documents SELECT d.id, d.kind, d.issuer, d.country, d.state, "
            "d.issued_at, d.batch, d.holder, d.detail, COALESCE("
            "(SELECT MIN(h.entry) FROM old_history h WHERE h.doc = d.id), "
            "(SELECT b.entry FROM old_batches b WHERE b.root = d.batch), 0) FROM old_documents d"
        )
        db.execute(
            "INSERT INTO history SELECT h.doc, COALESCE(o.issuer, "
            "json_extract(e.leaf, '$.signed.tx.actor')), h.entry FROM old_history h "
            "LEFT JOIN owner o ON o.doc = h.doc JOIN entries e ON e.idx = h.entry"
        )
        db.execute(
            "INSERT OR IGNORE INTO links SELECT l.a, o.issuer, l.b, NULL FROM old_links l "
            "JOIN owner o ON o.doc = l.a"
        )
        db.execute(
            "INSERT OR IGNORE INTO containers SELECT c.container, c.doc, o.issuer "
            "FROM old_containers c JOIN owner o ON o.doc = c.doc"
        )
        db.execute(
            "INSERT INTO batches SELECT b.root, o.issuer, b.entry FROM old_batches b "
            "JOIN owner o ON o.doc = b.root"
        )
        db.execute(
            "INSERT OR IGNORE INTO released SELECT container, json_extract(record, '$.ebl'), "
            "json_extract(record, '$.releasedBy') FROM rights"
        )
        for table in ("documents", "history", "links", "containers", "batches"):
            db.execute(f"DROP TABLE old_{table}")
        db.execute("DROP TABLE temp.owner")
        db.execute(f"PRAGMA user_version = {VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


__all__ = ["SCHEMA", "VERSION", "statements", "upgrade"]
